"""Notice pages: the registry (督办登记) with its Excel export, one notice's page with the
actions the caller may take, drafting, the official document (A4 print view and .docx),
the notice's files and its history.

Views are thin: they parse the request, read through :mod:`accountability.selectors`
(scoped to the caller) and call one service per write. A notice the caller may not see is
a 404 (:func:`accountability.rules.can_view_notice`), so its existence is not given away;
an action the caller may not take is a 403 with the rule's reason
(:func:`accountability.actions.refuse_unless`); a refusal by the service in words (a wrong
status, a missing reason) comes back on the notice's page with nothing saved.
"""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.history import scope_of
from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit, User
from accounts.tables import history_preview
from accounts.views import history_page, signed_in_user, wants_partial
from campaign.models import Campaign, SupervisionGroup
from campaign.selectors import campaign_list
from tasks_ledger import keyset
from tasks_ledger.excel_views import filter_summary, xlsx_response
from tasks_ledger.models import LedgerItem
from tasks_ledger.selectors import ledger_items
from tasks_ledger.views import error_text, stored_file_response

from . import rules, selectors, services
from .actions import allowed_actions, refuse_unless
from .documents import (
    CSS_BODY,
    CSS_HEADING,
    CSS_TITLE,
    SEAL_NOTE,
    notice_context,
    notice_docx,
    notice_filename,
)
from .exports import write_notices_workbook
from .filtersets import NoticeFilterSet, UnitChoice, group_choices, unit_choices
from .forms import EscalateForm, NoticeDraftForm, ReplyForm, ReturnForm
from .models import SENT_STATUSES, Notice, NoticeAttachment, NoticeKind, NoticePerson, NoticeStatus
from .tables import NOTICES_PER_PAGE, NoticeTable

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
#: Where a unit applies for an exemption (the measures pages); the path when not yet routed.
EXEMPTION_APPLY_PATH = "/supervision/exemptions/new/"


def _visible_notice(request: HttpRequest, pk: int) -> Notice:
    notice = (
        Notice.objects.select_related("issuing_unit", "target_unit", "group", "campaign")
        .filter(pk=pk)
        .first()
    )
    if notice is None or not rules.can_view_notice(request.user, notice):  # type: ignore[arg-type]
        raise Http404(_("No such notice in your jurisdiction."))
    return notice


# --- the registry -----------------------------------------------------------------------------
def _registry(request: HttpRequest) -> NoticeFilterSet:
    user = signed_in_user(request)
    return NoticeFilterSet(request.GET, queryset=selectors.notice_list(user=user), request=request)


def _style_filters(form: Any, units: list[UnitChoice], user: User) -> None:
    for name in ("kind", "status", "target_unit", "group"):
        form.fields[name].widget.attrs["class"] = "form-select form-select-sm"
    form.fields["kind"].empty_label = _("All kinds")
    form.fields["kind"].choices = NoticeKind.choices
    form.fields["status"].empty_label = _("All statuses")
    form.fields["status"].choices = NoticeStatus.choices
    form.fields["group"].widget.choices = [("", _("All issuers")), *group_choices(user)]
    # The units listed are cut to a few hundred (filtersets.unit_choices); the field still
    # takes any unit of the caller's jurisdiction.
    top = min((unit.depth for unit in units), default=1)
    form.fields["target_unit"].widget.choices = [
        ("", _("All units")),
        *((unit.pk, "\u3000" * (unit.depth - top) + unit.name) for unit in units),
    ]


@login_required
@require_GET
def notice_list_view(request: HttpRequest) -> HttpResponse:
    """The registry: notices the caller may see, filtered, sorted and paged.

    Built for a province's 100,000 notices: the keys of one page from an index in the order
    chosen, after the ``after`` (or before the ``before``) cursor however deep, then its rows
    by id, and a count that stops at :data:`selectors.COUNT_CAP`. No page numbers, nothing
    counted or sorted over the whole table; the same queries for 8 notices as for 100,000
    (``test_registry_query_count_is_fixed``).
    """
    user = signed_in_user(request)
    # The notices the filters narrow are set below, once the units are known.
    filterset = NoticeFilterSet(request.GET, queryset=Notice.objects.none(), request=request)
    filterset.is_valid()
    ordering = filterset.form.cleaned_data.get("ordering")
    units, every_unit = unit_choices(user, filterset.form.cleaned_data.get("target_unit"))
    small = every_unit and not jurisdiction_for(user).is_global
    # A small jurisdiction's rule reads its units' ids, not their paths through a join of
    # the unit table (selectors.by_unit_ids): ``units`` is every unit of it.
    filterset.queryset = selectors.registry_notices(user=user, units=units if small else None)
    notices = filterset.qs
    reach = None
    if small:
        # A small jurisdiction (a county, a township): its notices are found by its units'
        # ids through an index, not by walking the whole registry in order.
        reach = selectors.registry_reach(user=user)
        notices = notices.filter(
            selectors.registry_scope(user=user, unit_ids=[u.pk for u in units], reach=reach)
        )

    # A large jurisdiction's page walks the registry's index backwards until 51 keys pass the
    # rule: a serial walk of a few dozen rows, no parallel scan (the rule reads the caller's
    # groups and named notices once, see rules._groups_q).
    page = keyset.page_ids(
        notices,
        selectors.registry_order(ordering),
        after=request.GET.get("after") or None,
        before=request.GET.get("before") or None,
        size=NOTICES_PER_PAGE,
    )
    # No ``request=``: django-tables2 would then paginate the rows by 25 and sort them in
    # Python (the table showed only the first 25 of a page's 50 notices on a wide screen).
    rows = selectors.notice_rows(ids=page.ids, counting=notices)
    count, exact = selectors.page_count(rows, notices)
    table = NoticeTable(rows)
    table.show_order(ordering or ())
    table.keyset = page
    table.head = table.draw_head(request.GET)
    form = filterset.form
    _style_filters(form, units, user)
    context = {
        "filter": filterset,
        "form": form,
        "table": table,
        "count": count,
        "count_exact": exact,
        "today": timezone.localdate(),
        "may_draft": _may_draft_somewhere(user, reach),
        "filtered": any(
            value
            for name, value in request.GET.items()
            if name not in ("page", "ordering", "after", "before")
        ),
    }
    template = "accountability/notice_list.html"
    if wants_partial(request, "notice-results"):
        template += "#results"
    return render(request, template, context)


def _may_draft_somewhere(user: User, reach: selectors.Reach | None = None) -> bool:
    """Whether the registry offers "draft a notice": the office, or a group's people (the
    groups in ``reach`` when the page has read them already)."""
    j = jurisdiction_for(user)
    if j.is_global or (j.has_role(*rules.OFFICE_ROLES) and not j.is_read_only):
        return True
    if reach is not None:
        return bool(reach.groups)
    return SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user)).exists()


@login_required
@require_GET
def notice_export_view(request: HttpRequest) -> HttpResponseBase:
    """The registry's notices, filtered by the same query string, as 督办登记表.xlsx."""
    filterset = _registry(request)
    if not filterset.is_valid():
        errors = "; ".join(
            f"{filterset.form.fields[name].label}: {' '.join(problems)}"
            for name, problems in filterset.form.errors.items()
        )
        return HttpResponse(
            _("The filters are not valid: %(errors)s") % {"errors": errors}, status=400
        )
    today = timezone.localdate()
    subtitle = _("Exported on %(date)s") % {"date": today.isoformat()}
    summary = filter_summary(filterset)
    if summary:
        subtitle = _("Filters: %(filters)s") % {"filters": summary} + "    " + subtitle
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_notices_workbook(
        filterset.qs, stream, title=_("Supervision notice register"), subtitle=subtitle
    )
    stream.seek(0)
    return xlsx_response(
        stream,
        _("notice_register_%(date)s.xlsx") % {"date": today.isoformat()},
        f"notice_register_{today.isoformat()}.xlsx",
    )


# --- one notice -------------------------------------------------------------------------------
def _exemption_url(notice: Notice) -> str:
    try:
        base = reverse("accountability:exemption-apply")
    except NoReverseMatch:
        base = EXEMPTION_APPLY_PATH
    return f"{base}?notice={notice.pk}"


def _detail(request: HttpRequest, pk: int, *, status: int = 200, **forms: Any) -> HttpResponse:
    """Render a notice's page; ``forms`` replaces the blank forms (after a failed post)."""
    user = signed_in_user(request)
    today = timezone.localdate()
    try:
        notice = selectors.notice_detail(user=user, pk=pk, today=today)
    except Notice.DoesNotExist as exc:
        raise Http404(_("No such notice in your jurisdiction.")) from exc
    allowed = allowed_actions(user, notice)
    files = list(notice.attachments.all())
    context: dict[str, Any] = {
        "notice": notice,
        "today": today,
        "allowed": allowed,
        "sent_files": [f for f in files if not f.with_reply],
        "reply_files": [f for f in files if f.with_reply],
        "people": list(notice.responsible_people.all()),
        "escalations": list(notice.escalations.all()),
        "reply_form": ReplyForm(),
        "return_form": ReturnForm(),
        "escalate_form": EscalateForm(current_kind=notice.kind),
        "may_apply_exemption": notice.status in SENT_STATUSES
        and notice.status != NoticeStatus.CLOSED
        and rules.can_apply_exemption(user, notice.target_unit),
        "exemption_url": _exemption_url(notice),
        "history": history_preview(
            scope_of(notice, related=(NoticeAttachment, NoticePerson)),
            reader_id=user.pk,
            full_url=reverse("accountability:notice-history", args=[notice.pk]),
        ),
    }
    context.update(forms)
    return render(request, "accountability/notice_detail.html", context, status=status)


@login_required
@require_GET
def notice_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One notice: everything about it, and the actions the caller may take."""
    return _detail(request, pk)


def _act(
    request: HttpRequest,
    pk: int,
    name: str,
    act: Callable[[User, Notice], Notice],
    done: str,
    *,
    form_key: str = "",
    form: Any = None,
) -> HttpResponse:
    """Run one action: 404 unseen, 403 refused, the form's or the service's errors back on
    the page (422, nothing saved), else a message and the notice's page."""
    user = signed_in_user(request)
    notice = _visible_notice(request, pk)
    refuse_unless(name, user, notice)
    if form is not None and not form.is_valid():
        return _detail(request, pk, status=422, open_form=name, **{form_key: form})
    try:
        result = act(user, notice)
    except ValidationError as exc:
        extra = {form_key: form} if form is not None else {}
        if form is not None and hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            return _detail(request, pk, status=422, open_form=name, **extra)
        return _detail(request, pk, status=422, open_form=name, form_error=error_text(exc), **extra)
    messages.success(request, done)
    back = request.POST.get("next", "")
    if result.pk == notice.pk and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)  # the list the action was taken from (the workspace's tab)
    return redirect("accountability:notice-detail", pk=result.pk)


def _plain(
    name: str, service: Callable[..., Notice], done: Any, doc: str
) -> Callable[[HttpRequest, int], HttpResponse]:
    """The POST view of an action that takes no input: ``service(notice=, actor=)``."""

    @login_required
    @require_POST
    def view(request: HttpRequest, pk: int) -> HttpResponse:
        return _act(
            request, pk, name, lambda user, notice: service(notice=notice, actor=user), str(done)
        )

    view.__doc__ = doc
    view.__name__ = f"notice_{name}_view"
    return view


notice_approve_view = _plain(
    "approve",
    services.notice_approve,
    gettext_lazy("Approved: the notice may now be issued."),
    "Approve a draft supervision order or more serious notice.",
)
notice_issue_view = _plain(
    "issue",
    services.notice_issue,
    gettext_lazy("Issued: the notice has its number and has gone to the unit."),
    "Issue the notice with its official number.",
)
notice_sign_for_view = _plain(
    "sign_for",
    services.notice_sign_for,
    gettext_lazy("Signed for. Reply with the rectification before the deadline."),
    "The target unit signs for the notice (签收).",
)
notice_accept_view = _plain(
    "accept",
    services.notice_accept,
    gettext_lazy("Reply accepted: the notice is closed."),
    "Accept the reply: the matter is closed (办结).",
)


@login_required
@require_POST
def notice_reply_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The target unit replies with its rectification and evidence (整改反馈)."""
    form = ReplyForm(request.POST, request.FILES)
    return _act(
        request,
        pk,
        "reply",
        lambda user, notice: services.notice_reply(
            notice=notice,
            actor=user,
            text=form.cleaned_data["text"],
            files=form.cleaned_data["evidence"],
        ),
        _("Reply sent. The issuer will accept it or return it for rework."),
        form_key="reply_form",
        form=form,
    )


@login_required
@require_POST
def notice_return_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Return the reply for rework, with the reason."""
    form = ReturnForm(request.POST)
    return _act(
        request,
        pk,
        "return",
        lambda user, notice: services.notice_return(
            notice=notice, actor=user, reason=form.cleaned_data["reason"]
        ),
        _("Reply returned; the unit will see the reason and reply again."),
        form_key="return_form",
        form=form,
    )


@login_required
@require_POST
def notice_escalate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Draft the next, more serious notice about the same matter; go to the new draft."""
    notice = _visible_notice(request, pk)
    form = EscalateForm(request.POST, current_kind=notice.kind)
    return _act(
        request,
        pk,
        "escalate",
        lambda user, notice: services.notice_escalate(
            notice=notice,
            actor=user,
            reply_deadline=form.cleaned_data["reply_deadline"],
            kind=form.cleaned_data.get("kind") or None,
            facts=form.cleaned_data.get("facts", ""),
            requirements=form.cleaned_data.get("requirements", ""),
        ),
        _("Escalated: the more serious notice is drafted; approve and issue it."),
        form_key="escalate_form",
        form=form,
    )


# --- drafting ---------------------------------------------------------------------------------
def _param_pk(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name) or request.POST.get(name) or ""
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _draft_subject(
    request: HttpRequest, user: User
) -> tuple[LedgerItem | None, Unit | None, Campaign | None]:
    """The item or the unit the draft is about (403 when the caller may not draft there)."""
    item_pk, unit_pk = _param_pk(request, "item"), _param_pk(request, "unit")
    refusal = _("You may not draft a notice to this unit.")
    if item_pk is not None:
        item = ledger_items(user=user).select_related("ledger__campaign", "unit").filter(pk=item_pk)
        found = item.first()
        if found is None:
            raise PermissionDenied(refusal)
        return found, found.unit, found.ledger.campaign
    if unit_pk is not None:
        unit = Unit.objects.filter(_draftable_units_q(user), pk=unit_pk).first()
        if unit is None:
            raise PermissionDenied(refusal)
        return None, unit, None
    return None, None, None


@login_required
@require_http_methods(["GET", "POST"])
def notice_draft_view(request: HttpRequest) -> HttpResponse:
    """Draft a notice about a ledger item (``?item=``) or a matter in words to a unit
    (``?unit=``); ``?escalate=<notice>`` goes to that notice's escalation form instead."""
    user = signed_in_user(request)
    escalate = _param_pk(request, "escalate")
    if escalate is not None:
        notice = _visible_notice(request, escalate)
        return redirect(reverse("accountability:notice-detail", args=[notice.pk]) + "#escalate")
    item, unit, campaign = _draft_subject(request, user)
    if unit is None:
        return render(request, "accountability/notice_draft_pick.html", {"units": _pickable(user)})
    campaigns = list(campaign_list(user=user).order_by("-year", "-pk")) if campaign is None else []
    if campaign is None:
        campaign = campaigns[0] if campaigns else None
    if campaign is None:
        raise PermissionDenied(_("There is no campaign to draft a notice in."))
    groups = selectors.draft_groups(user=user, campaign=campaign, unit=unit)
    office = rules.can_draft_notice(user, unit)
    if not office and not groups:
        raise PermissionDenied(_("You may not draft a notice to this unit."))
    initial: dict[str, Any] = {"kind": request.GET.get("kind") or NoticeKind.REMINDER}
    if len(groups) == 1 and not office:
        initial["group"] = groups[0].pk
    form = NoticeDraftForm(
        request.POST or None,
        request.FILES or None,
        groups=SupervisionGroup.objects.filter(pk__in=[g.pk for g in groups]),
        office=office,
        needs_subject=item is None,
        initial=initial,
    )
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = services.notice_draft(
                actor=user,
                campaign=campaign,
                kind=data["kind"],
                facts=data["facts"],
                requirements=data["requirements"],
                reply_deadline=data["reply_deadline"],
                item=item,
                target_unit=unit,
                subject_title=data.get("subject_title", ""),
                group=data.get("group"),
                files=data["attachments"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                error = error_text(exc)
        else:
            messages.success(request, _("Notice drafted. Check it, then approve or issue it."))
            return redirect("accountability:notice-detail", pk=notice.pk)
    return render(
        request,
        "accountability/notice_draft.html",
        {"form": form, "item": item, "unit": unit, "campaign": campaign, "error": error},
        status=422 if request.method == "POST" else 200,
    )


def _draftable_units_q(user: User) -> Q:
    """Units the user may draft to in the office's name or in any of their groups'."""
    query = rules.draftable_units_q(user)
    for group in SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user)).distinct():
        query |= rules.draftable_units_q(user, group)
    return query


def _pickable(user: User) -> list[Unit]:
    return list(Unit.objects.filter(_draftable_units_q(user)).order_by("path")[:500])


# --- files, history and the official document ---------------------------------------------------
@login_required
@require_GET
def notice_attachment_view(request: HttpRequest, pk: int) -> FileResponse:
    """A notice's file, for those who may see the notice (files are never served directly)."""
    attachment = NoticeAttachment.objects.select_related("notice").filter(pk=pk).first()
    if attachment is None:
        raise Http404(_("No such file."))
    _visible_notice(request, attachment.notice_id)
    return stored_file_response(attachment)


@login_required
@require_GET
def notice_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """All changes of a notice, its files and the people named on it."""
    notice = _visible_notice(request, pk)
    name = f"{notice.number or notice.get_kind_display()} {notice.subject}"
    return history_page(
        request,
        scope=scope_of(notice, related=(NoticeAttachment, NoticePerson)),
        heading=_("History of %(name)s") % {"name": name},
        crumbs=[
            (_("Notice register"), reverse("accountability:notice-list")),
            (Truncator(name).chars(40), reverse("accountability:notice-detail", args=[pk])),
        ],
    )


@login_required
@require_GET
def notice_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice on an A4 page, for the browser's print."""
    notice = _visible_notice(request, pk)
    return render(
        request,
        "accountability/notice_print.html",
        {
            "notice": notice,
            "doc": notice_context(notice),
            "seal_note": SEAL_NOTE,
            "fonts": {"body": CSS_BODY, "title": CSS_TITLE, "heading": CSS_HEADING},
        },
    )


@login_required
@require_GET
def notice_document(request: HttpRequest, pk: int) -> FileResponse:
    """The notice as a .docx to open in WPS or Word, edit and stamp."""
    notice = _visible_notice(request, pk)
    filename, ascii_name = notice_filename(notice)
    response = xlsx_response(io.BytesIO(notice_docx(notice)), filename, ascii_name)
    response["Content-Type"] = DOCX
    return response
