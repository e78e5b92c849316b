"""Accountability measures (六问) and exemptions (容错免责): lists, details, recording a
measure, applying for an exemption and the office's decision.

Views are thin: they ask :mod:`accountability.measure_selectors` (scoped to the caller by
:mod:`accountability.rules`), call one service per write and render. What the caller may not
see is a 404; what they see but may not do is a 403 (the service's reason). A service's
refusal of the input comes back on the form, and nothing is saved.
"""

from __future__ import annotations

import tempfile
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.history import scope_of
from accounts.models import Membership, Unit, User
from accounts.tables import history_preview
from accounts.views import history_page, signed_in_user
from campaign.selectors import campaign_list
from tasks_ledger import rules as ledger_rules
from tasks_ledger.excel_views import filter_summary, xlsx_response
from tasks_ledger.models import LedgerItem

from . import rules, services
from .measure_exports import write_measures_workbook
from .measure_filtersets import MeasureFilterSet
from .measure_forms import DecisionForm, ExemptionForm, MeasureForm, add_service_errors
from .measure_selectors import (
    applicable_matters,
    citable_notices,
    exemption_list,
    exemption_queue,
    measure_list,
    strikes_by_measure,
    visible_notice_ids,
)
from .models import (
    AccountabilityMeasure,
    Exemption,
    MeasureKind,
    Notice,
    strike_thresholds,
)

PER_PAGE = 25


def notice_url(notice_id: int) -> str:
    """A notice's page (``accountability:notice-detail``, or its path while that page is
    being built)."""
    try:
        return reverse("accountability:notice-detail", args=[notice_id])
    except NoReverseMatch:
        return f"/supervision/notices/{notice_id}/"


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def strike_summary(measure: AccountabilityMeasure, strikes: services.Strikes) -> str:
    """The strikes in words: "甲县本年度第3次；张三本年度第2次；已达阈值：同时追究单位主要
    负责人（李四）"."""
    parts = [
        _("%(unit)s: strike %(count)d this year")
        % {"unit": measure.unit, "count": strikes.unit_count}
    ]
    if measure.person_id:
        parts.append(
            _("%(person)s: strike %(count)d this year")
            % {"person": measure.person, "count": strikes.person_count}
        )
    threshold = strike_thresholds().get("principal_leader")
    if threshold and strikes.unit_count >= threshold:
        leaders = "、".join(str(user) for user in strikes.involve)
        parts.append(
            _(
                "threshold reached: the unit's principal leader is held accountable too "
                "(%(leaders)s)"
            )
            % {"leaders": leaders or _("no principal leader on record")}
        )
    return "；".join(parts)


def _style_filters(form: Any) -> None:
    """Bootstrap classes and "all" choices for the filter fields."""
    for name, field in form.fields.items():
        select = name != "year"
        field.widget.attrs["class"] = (
            "form-select form-select-sm" if select else "form-control form-control-sm"
        )
    form.fields["year"].widget.input_type = "number"
    form.fields["kind"].empty_label = _("All measures")
    form.fields["kind"].choices = MeasureKind.choices
    form.fields["unit"].empty_label = _("All units")
    form.fields["person"].empty_label = _("Everyone")
    form.fields["person"].label_from_instance = lambda user: f"{user.name or user.username}"


# --- measures ------------------------------------------------------------------------------
@login_required
@require_GET
def measure_list_view(request: HttpRequest) -> HttpResponse:
    """Measures the caller may see, filtered by kind, unit, year and person, with each
    row's strikes that year."""
    user = signed_in_user(request)
    filterset = MeasureFilterSet(request.GET, queryset=measure_list(user=user), request=request)
    _style_filters(filterset.form)
    page = Paginator(filterset.qs, PER_PAGE).get_page(request.GET.get("page"))
    strikes = strikes_by_measure(page.object_list)
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "rows": [(m, strikes[m.pk]) for m in page.object_list],
        "threshold": strike_thresholds().get("principal_leader"),
        "may_record": Unit.objects.filter(rules.recordable_units_q(user)).exists(),
        "query": query.urlencode(),
    }
    return render(request, "accountability/measure_list.html", context)


def _visible_measure(user: User, pk: int) -> AccountabilityMeasure:
    try:
        return measure_list(user=user).get(pk=pk)
    except AccountabilityMeasure.DoesNotExist as exc:
        raise Http404(_("No such accountability measure in your jurisdiction.")) from exc


@login_required
@require_GET
def measure_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One measure: what, on whom, its basis (notices linked where the caller sees them),
    who decided it, and its strikes that year."""
    user = signed_in_user(request)
    measure = _visible_measure(user, pk)
    notices = list(measure.basis_notices.all())
    visible = visible_notice_ids(user, notices)
    strikes = services.measure_strikes(measure)
    threshold = strike_thresholds().get("principal_leader") or 0
    context = {
        "measure": measure,
        "notices": [(n, notice_url(n.pk) if n.pk in visible else "") for n in notices],
        "strikes": strikes,
        "strike_text": strike_summary(measure, strikes),
        "threshold_reached": bool(threshold) and strikes.unit_count >= threshold,
        "history": history_preview(
            scope_of(measure),
            reader_id=user.pk,
            full_url=reverse("accountability:measure-history", args=[measure.pk]),
        ),
    }
    return render(request, "accountability/measure_detail.html", context)


def _measure_form(request: HttpRequest, user: User) -> tuple[MeasureForm, Notice | None]:
    """The form, its choices scoped to the caller, preselected from ``?notice=``."""
    units = Unit.objects.filter(rules.recordable_units_q(user)).order_by("path")
    citable = citable_notices(user).filter(
        target_unit__in=Unit.objects.filter(rules.recordable_units_q(user))
    )
    notice: Notice | None = None
    notice_id = _int(request.GET.get("notice"))
    if notice_id is not None:
        notice = citable.filter(pk=notice_id).first()
        if notice is None:
            raise Http404(_("No such notice in your jurisdiction."))
    campaigns = campaign_list(user=user)
    people = User.objects.filter(
        pk__in=Membership.objects.filter(unit__in=units).values("user_id")
    ).order_by("name")
    data = request.POST if request.method == "POST" else None
    initial: dict[str, Any] = {"decided_on": timezone.localdate()}
    shown_people: QuerySet[User] = people
    shown_notices: QuerySet[Notice] = citable
    if notice is not None:
        initial.update(campaign=notice.campaign_id, unit=notice.target_unit_id, notices=[notice.pk])
        # The notice's responsible people, or the unit's when the notice names none.
        shown_people = notice.responsible_people.order_by("name")
        if not shown_people.exists():
            shown_people = people.filter(
                memberships__unit__path__startswith=notice.target_unit.path
            ).distinct()
        shown_notices = citable.filter(target_unit=notice.target_unit)
    else:
        initial["campaign"] = campaigns.values_list("pk", flat=True).first()
        unit_id = _int(request.GET.get("unit"))
        unit = units.filter(pk=unit_id).first() if unit_id else None
        if unit is not None:
            initial["unit"] = unit.pk
            shown_people = people.filter(memberships__unit__path__startswith=unit.path).distinct()
            shown_notices = citable.filter(target_unit=unit)
    form = MeasureForm(
        data,
        campaigns=campaigns,
        units=units,
        # A POST is checked against every choice the caller has; a GET shows the notice's.
        people=people if data is not None else shown_people,
        notices=citable if data is not None else shown_notices,
        initial=initial,
    )
    return form, notice


@login_required
@require_http_methods(["GET", "POST"])
def measure_new_view(request: HttpRequest) -> HttpResponse:
    """Record a measure (the campaign office over the unit), then say its strikes."""
    user = signed_in_user(request)
    if not Unit.objects.filter(rules.recordable_units_q(user)).exists():
        raise PermissionDenied(_("Only the campaign office records accountability measures."))
    form, notice = _measure_form(request, user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            measure = services.measure_record(
                actor=user,
                campaign=data["campaign"],
                kind=data["kind"],
                unit=data["unit"],
                person=data["person"],
                notices=data["notices"],
                basis=data["basis"],
                deciding_authority=data["deciding_authority"],
                decided_on=data["decided_on"],
                document_number=data["document_number"],
                note=data["note"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            strikes = services.measure_strikes(measure)
            messages.success(
                request,
                _("Measure recorded. %(strikes)s.") % {"strikes": strike_summary(measure, strikes)},
            )
            return redirect("accountability:measure-detail", pk=measure.pk)
    return render(
        request,
        "accountability/measure_form.html",
        {"form": form, "notice": notice, "notice_link": notice and notice_url(notice.pk)},
        status=422 if request.method == "POST" else 200,
    )


# --- exemptions ----------------------------------------------------------------------------
@login_required
@require_GET
def exemption_list_view(request: HttpRequest) -> HttpResponse:
    """The office's queue (pending ones it decides) and every exemption the caller sees,
    pending first; a unit sees its own."""
    user = signed_in_user(request)
    queue = list(exemption_queue(user=user)[:PER_PAGE])
    page = Paginator(exemption_list(user=user), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "queue": queue,
        "page": page,
        "may_apply": Unit.objects.filter(rules.applicable_units_q(user)).exists(),
    }
    return render(request, "accountability/exemption_list.html", context)


def _visible_exemption(user: User, pk: int) -> Exemption:
    try:
        return exemption_list(user=user).get(pk=pk)
    except Exemption.DoesNotExist as exc:
        raise Http404(_("No such exemption in your jurisdiction.")) from exc


def _exemption_page(
    request: HttpRequest, exemption: Exemption, form: DecisionForm | None = None, status: int = 200
) -> HttpResponse:
    user = signed_in_user(request)
    notice = exemption.notice
    context = {
        "exemption": exemption,
        "distinctions": exemption_distinctions(exemption),
        "notice_link": notice_url(notice.pk)
        if notice is not None and rules.can_view_notice(user, notice)
        else "",
        "item_link": reverse("ledger:item-detail", args=[exemption.item_id])
        if exemption.item is not None and ledger_rules.can_view_item(user, exemption.item)
        else "",
        "may_decide": rules.can_decide_exemption(user, exemption),
        "form": form or DecisionForm(),
        "history": history_preview(
            scope_of(exemption),
            reader_id=user.pk,
            full_url=reverse("accountability:exemption-history", args=[exemption.pk]),
        ),
    }
    return render(request, "accountability/exemption_detail.html", context, status=status)


def exemption_distinctions(exemption: Exemption) -> list[str]:
    """The chosen distinctions in their full wording."""
    from .models import Distinction

    return [str(Distinction(value).label) for value in exemption.distinctions]


@login_required
@require_GET
def exemption_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One application: the matter, the distinctions, the reasons, and the decision (or the
    office's forms to take it)."""
    return _exemption_page(request, _visible_exemption(signed_in_user(request), pk))


@login_required
@require_http_methods(["GET", "POST"])
def exemption_apply_view(request: HttpRequest) -> HttpResponse:
    """A unit applies for an exemption about a notice (``?notice=``) or a ledger item
    (``?item=``) under the three distinctions."""
    user = signed_in_user(request)
    if not Unit.objects.filter(rules.applicable_units_q(user)).exists():
        raise PermissionDenied(_("Only the unit concerned applies for an exemption."))
    notices, items = applicable_matters(user)
    initial: dict[str, Any] = {}
    matter: Notice | LedgerItem | None = None
    notice_id, item_id = _int(request.GET.get("notice")), _int(request.GET.get("item"))
    if notice_id is not None:
        matter = notices.filter(pk=notice_id).first()
        initial["notice"] = notice_id
    elif item_id is not None:
        matter = items.filter(pk=item_id).first()
        initial["item"] = item_id
    if (notice_id or item_id) and matter is None:
        raise Http404(_("No such matter in your jurisdiction."))
    data = request.POST if request.method == "POST" else None
    form = ExemptionForm(data, notices=notices, items=items, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            exemption = services.exemption_apply(
                actor=user,
                notice=form.cleaned_data["notice"],
                item=form.cleaned_data["item"],
                distinctions=form.cleaned_data["distinctions"],
                reasons=form.cleaned_data["reasons"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Application sent. The campaign office will decide; you will see it here."),
            )
            return redirect("accountability:exemption-detail", pk=exemption.pk)
    context = {"form": form, "matter": matter, "matter_is_notice": isinstance(matter, Notice)}
    return render(
        request,
        "accountability/exemption_form.html",
        context,
        status=422 if request.method == "POST" else 200,
    )


def _decide(request: HttpRequest, pk: int, approve: bool) -> HttpResponse:
    user = signed_in_user(request)
    exemption = _visible_exemption(user, pk)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    if form.is_valid():
        try:
            if approve:
                services.exemption_approve(exemption=exemption, actor=user, note=note)
            else:
                services.exemption_refuse(exemption=exemption, actor=user, note=note)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Exemption approved: escalation of this matter stops.")
                if approve
                else _("Exemption refused; the unit will see why."),
            )
            return redirect("accountability:exemption-detail", pk=pk)
    return _exemption_page(request, _visible_exemption(user, pk), form=form, status=422)


@login_required
@require_POST
def exemption_approve_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign office approves (a note is optional)."""
    return _decide(request, pk, approve=True)


@login_required
@require_POST
def exemption_refuse_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The campaign office refuses, saying why."""
    return _decide(request, pk, approve=False)


@login_required
@require_GET
def measure_export_view(request: HttpRequest) -> HttpResponseBase:
    """The list page's measures, filtered by the same query string, as 问责情况登记表."""
    user = signed_in_user(request)
    filterset = MeasureFilterSet(request.GET, queryset=measure_list(user=user), request=request)
    if not filterset.is_valid():
        return HttpResponseBadRequest(
            _("The filters are not valid: %(errors)s")
            % {"errors": "; ".join(" ".join(e) for e in filterset.form.errors.values())}
        )
    today = timezone.localdate()
    subtitle = _("Exported on %(date)s") % {"date": today.isoformat()}
    summary = filter_summary(cast(Any, filterset))
    if summary:
        subtitle = _("Filters: %(filters)s") % {"filters": summary} + "    " + subtitle
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_measures_workbook(
        filterset.qs, stream, title=_("Accountability register"), subtitle=subtitle
    )
    stream.seek(0)
    return xlsx_response(
        stream,
        _("accountability_%(date)s.xlsx") % {"date": today.isoformat()},
        f"accountability_{today.isoformat()}.xlsx",
    )


# --- history -------------------------------------------------------------------------------
@login_required
@require_GET
def measure_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """All changes of a measure and of the notices it cites (the links, not the notices)."""
    measure = _visible_measure(signed_in_user(request), pk)
    name = f"{measure.get_kind_display()} · {measure.person or measure.unit}"
    return history_page(
        request,
        scope=scope_of(measure),
        heading=_("History of %(name)s") % {"name": name},
        crumbs=[
            (_("Accountability measures"), reverse("accountability:measure-list")),
            (name, reverse("accountability:measure-detail", args=[measure.pk])),
        ],
    )


@login_required
@require_GET
def exemption_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """All changes of an exemption application: applied, then approved or refused."""
    exemption = _visible_exemption(signed_in_user(request), pk)
    return history_page(
        request,
        scope=scope_of(exemption),
        heading=_("History of %(name)s") % {"name": _("Exemption application")},
        crumbs=[
            (_("Exemptions"), reverse("accountability:exemption-list")),
            (_("Exemption application"), reverse("accountability:exemption-detail", args=[pk])),
        ],
    )
