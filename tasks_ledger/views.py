"""Ledger pages: my items with the in-row progress update, one item's page with its
workflow, the battle map, the office's queues, the ledger list and review meetings.

Views are thin: they parse the request, ask the selectors (scoped to the caller), call one
service per write and render. What the caller may not see is a 404; what they may see but
not change is a 403. A progress update made on a stale row is refused by the service
(:class:`~tasks_ledger.services.StaleEdit`): the row comes back with the current values,
what changed since the user opened it, and their unsent input to send again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property, partial
from typing import Any, Protocol

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import EmptyResultSet, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import F, Q, QuerySet, Value, Window
from django.db.models.functions import RowNumber
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from accounts.history import HistoryScope, scope_of, scope_of_records
from accounts.jurisdiction import jurisdiction_for, kept_beside_jurisdictions
from accounts.models import Unit, User
from accounts.selectors import unit_detail
from accounts.tables import history_preview
from accounts.views import history_page, signed_in_user, unit_history_tabs, wants_partial
from campaign.models import Campaign, ResponsibilityChain
from campaign.selectors import campaign_list, chain_detail, chain_list
from campaign.views import chain_history_tabs
from config.expressions import AnyOf
from config.plans import planned_once

from . import battle_map, item_rows, keyset, rules, selectors, services
from .filtersets import THREE_LISTS, WAITING_DAYS, LedgerItemFilterSet, QueueFilterSet
from .forms import (
    DecisionForm,
    DecisionFormSet,
    ExtensionRequestForm,
    MeetingForm,
    ProgressForm,
    RowProgressForm,
    SignOffRequestForm,
    StatusChangeRequestForm,
)
from .models import (
    OPEN_STATUSES,
    Area,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerKind,
    Light,
    MeetingAttendance,
    ProgressReport,
    ReviewMeeting,
    ReviewStatus,
    SignOffRequest,
    StatusChange,
    StatusChangeRequest,
)
from .tables import (
    ITEMS_PER_PAGE,
    QUEUE_PER_PAGE,
    ExtensionQueueTable,
    KeyedPages,
    LedgerItemTable,
    LedgerTable,
    MeetingTable,
    ProgressQueueTable,
    QueueTable,
    SignOffQueueTable,
    StatusChangeQueueTable,
    with_evidence,
)
from .widgets import FastSelect

LEDGERS_PER_PAGE = 25
MEETINGS_PER_PAGE = 25
#: Statuses in which progress may be reported or sign-off asked (as the services allow).
REPORTABLE = (*OPEN_STATUSES, ItemStatus.COMPLETED)
#: Fields shown on the item page for each kind, after those every item has.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    LedgerKind.KEY_TASK: ("measures",),
    LedgerKind.PROBLEM: ("symptom", "rectification"),
    LedgerKind.HARD_PROBLEM: ("measures",),
    LedgerKind.COMMITMENT: ("measures",),
    LedgerKind.PETITION: ("petition_source", "petitioner_demand", "handling_result"),
    LedgerKind.KEY_PROJECT: (
        "planned_investment",
        "funds_in_place",
        "investment_completed",
        "planned_start",
        "actual_start",
        "planned_completion",
        "actual_completion",
        "measures",
    ),
}


def error_text(exc: ValidationError) -> str:
    """All messages of a ValidationError as one list of sentences (joined by ；), for a
    message on a page; every app's views use it."""
    return "；".join(str(message) for message in exc.messages)


def _next_url(request: HttpRequest, default: str) -> str:
    """The ``next`` parameter if it points into this site, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _visible_item(request: HttpRequest, pk: int) -> LedgerItem:
    """The item with its light, or 404 when the caller may not see it (rules.can_view_item)."""
    try:
        return selectors.ledger_items(user=signed_in_user(request), with_led=True).get(pk=pk)
    except LedgerItem.DoesNotExist as exc:
        raise Http404(_("No such item in your jurisdiction.")) from exc


# --- my ledgers: the item list -----------------------------------------------------------


def _without(filterset: LedgerItemFilterSet, *skip: str) -> QuerySet[LedgerItem]:
    """The filterset's queryset with every valid filter applied except ``skip``."""
    items = filterset.queryset.all()
    for name, value in filterset.form.cleaned_data.items():
        if name not in skip:
            items = filterset.filters[name].filter(items, value)
    return items


#: The light filter's toggles, worst first, with their Bootstrap colour.
LIGHT_CHOICES = [
    (Light.RED, Light.RED.label, "danger"),
    (Light.YELLOW, Light.YELLOW.label, "warning"),
    (Light.GREEN, Light.GREEN.label, "success"),
    (Light.NONE, Light.NONE.label, "secondary"),
]


def _filter_options(
    user: User, top: int, levels: int | None = None
) -> dict[str, list[tuple[int, str]]]:
    """The options of the area, ledger and unit filters, each in the order its select shows
    them, as one query (three selects read one by one were three, each through a cursor).

    Areas and ledgers are those of the caller's campaigns, in their models' order; units
    are the caller's in tree order, the top :data:`LIST_UNIT_LEVELS` levels (a province
    holds thousands; a choice takes the units under it too, as the queues' filter does),
    each indented by its depth under the caller's top level ``top`` (``levels``: another
    number of levels, as the queues' :data:`QUEUE_UNIT_LEVELS`).

    Kept in the cache for everyone who sees the same units, until a unit, campaign, area or
    ledger changes (:func:`accounts.jurisdiction.kept_beside_jurisdictions`): its planning
    alone was 3 ms of every list page at a province.
    """
    return kept_beside_jurisdictions(
        "ledger-filter-options",
        jurisdiction_for(user),
        lambda: _read_filter_options(user, top, levels),
        top,
        levels,
    )


def _read_filter_options(
    user: User, top: int, levels: int | None
) -> dict[str, list[tuple[int, str]]]:
    campaigns = campaign_list(user=user).values("pk")
    columns = ("part", "pk", "label", "depth", "place")
    in_campaign = (F("campaign__year").desc(), F("campaign__name"))
    areas = (
        Area.objects.filter(campaign__in=campaigns)
        .annotate(
            part=Value(0),
            label=F("name"),
            depth=Value(0),
            place=Window(RowNumber(), order_by=[*in_campaign, F("sort_order"), F("name")]),
        )
        .values_list(*columns)
    )
    ledgers = (
        Ledger.objects.filter(campaign__in=campaigns)
        .annotate(
            part=Value(1),
            label=F("title"),
            depth=Value(0),
            place=Window(
                RowNumber(),
                order_by=[*in_campaign, F("area__sort_order"), F("sort_order"), F("title")],
            ),
        )
        .values_list(*columns)
    )
    units = (
        jurisdiction_for(user)
        .units()
        .filter(depth__lt=top + (levels or LIST_UNIT_LEVELS))
        .annotate(part=Value(2), label=F("name"), place=Window(RowNumber(), order_by=[F("path")]))
        .values_list(*columns)
    )
    # Wrapped in a SELECT: a statement opening with "(" reads as a write to pghistory,
    # which would prepend its context to it.
    combined = areas.union(ledgers, units, all=True)
    sql, params = combined.query.sql_with_params()
    options: dict[str, list[tuple[int, str]]] = {"area": [], "ledger": [], "unit": []}
    names = list(options)
    with connections[combined.db].cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({sql}) AS options ORDER BY 1, 5", params)  # noqa: S608
        rows = cursor.fetchall()
    for part, pk, label, depth, _place in rows:
        if part == 2:
            label = "\u3000" * max(depth - top, 0) + label
        options[names[part]].append((pk, label))
    return options


def _style_filters(form: Any, user: User) -> None:
    """The filter selects: Bootstrap classes, an "all" choice first, units indented by
    level; their options from :func:`_filter_options` (one query), drawn in Python
    (:class:`~tasks_ledger.widgets.FastSelect`: the office's 350 options were as many
    template renders). The fields' own choices only validated the request."""
    roots = jurisdiction_for(user).view_roots
    top = min((len(root) for root in roots), default=Unit.steplen) // Unit.steplen
    options: dict[str, list[tuple[Any, Any]]] = {
        **_filter_options(user, top),
        "kind": list(LedgerKind.choices),
    }
    empty = {
        "area": _("All areas"),
        "ledger": _("All ledgers"),
        "kind": _("All kinds"),
        "unit": _("All units"),
    }
    for name, label in empty.items():
        form.fields[name].widget = FastSelect(
            attrs={"class": "form-select form-select-sm"}, choices=[("", label), *options[name]]
        )


#: Levels of units the item list's unit filter offers, from the top of the jurisdiction.
LIST_UNIT_LEVELS = 3


@login_required
@require_GET
def item_list_view(request: HttpRequest) -> HttpResponse:
    """Items in the caller's jurisdiction: filters, the three lists as tabs, sorting, pages.

    Built for a province's million items (``test_list_query_count_is_fixed``): the filter
    choices, the tab badges (from the kept counts, or capped counts when a keyword, status
    or deadline narrows the list), the keys of one page from an index in the list's order
    after the ``after`` (or before the ``before``) cursor, and its rows by id; a keyword
    reads the matching unit names first. For a county's units or less so narrowed, the
    page's keys and the exact tab counts come from one statement
    (:func:`tasks_ledger.keyset.page_ids_and_tabs`). No page numbers and no total over the table.
    The filter form and the sort and page links ask htmx for the ``results`` partial.
    """
    user = signed_in_user(request)
    filterset = LedgerItemFilterSet(request.GET, queryset=LedgerItem.objects.all(), request=request)
    filterset.is_valid()
    data = filterset.form.cleaned_data
    # The scope (and the chosen unit and below) as the ids of its units; none when it is
    # every unit (a province's office): the planner spent 25 ms weighing 5,000 ids that
    # excluded nothing.
    scope = keyset.scope_unit_ids(user, data.get("unit"))
    items = LedgerItem.objects.all()
    filterset.queryset = items if scope is None else items.filter(AnyOf(F("unit_id"), scope))
    filterset.few_units = keyset.few_units(scope)
    # The tabs count every item once: the three lists and the items set aside add up to all.
    others = {name: value for name, value in data.items() if name not in ("three", "ordering")}
    narrowed = _without(filterset, "three", "ordering", "unit")
    current_three = data.get("three") or ""
    order = keyset.order_for(data.get("ordering"))
    after, before = request.GET.get("after") or None, request.GET.get("before") or None
    counted: dict[str, int] | None = None
    few = filterset.few_units is not None
    if few and not selectors.counts_are_kept(others):
        # A county's items with a keyword, status or deadline: its matches are read once,
        # for the page and the tabs together.
        page, counted = keyset.page_ids_and_tabs(
            narrowed,
            order,
            selectors.THREE_LISTS,
            tab=current_three,
            after=after,
            before=before,
            size=ITEMS_PER_PAGE,
        )
    else:
        listed = (
            filterset.filters["three"].filter(narrowed, data["three"])
            if data.get("three")
            else narrowed
        )
        page = keyset.page_ids(listed, order, after=after, before=before, size=ITEMS_PER_PAGE)
    if counted is not None:
        tab_counts, exact = {**counted, "all": sum(counted.values())}, True
    else:
        # Planned once per database session: the same filters give the same statement
        # (no cursor in it), and a keyword's capped counts took 0.8 ms to plan.
        with planned_once():
            tab_counts, exact = selectors.item_list_tab_counts(
                user=user, filters=others, items=narrowed, few=few
            )
    cap = selectors.tab_count_cap(others)
    capped = {key: not exact and value >= cap for key, value in tab_counts.items()}
    tabs = [{"value": "", "label": _("all"), "count": tab_counts["all"], "more": not exact}]
    tabs += [
        {"value": value, "label": label, "count": tab_counts[value], "more": capped[value]}
        for value, label in THREE_LISTS
    ]
    ordering = request.GET.get("ordering", "") if "ordering" in data else ""
    rows = selectors.item_list_rows(ids=page.ids)
    table = LedgerItemTable(rows, request=request)
    table.show_order(data.get("ordering") or ())
    table.keyset = page
    table.head = table.draw_head(request.GET)
    table.drawn_rows = item_rows.RowDrawer(request, user, request.get_full_path()).rows(rows)
    form = filterset.form
    _style_filters(form, user)
    more_filters = ("status", "ledger", "deadline_after", "deadline_before")
    shown = next((tab for tab in tabs if tab["value"] == current_three), tabs[0])
    context = {
        "filter": filterset,
        "form": form,
        "table": table,
        "tabs": tabs,
        "shown_count": shown,
        "current_three": current_three,
        "ordering": ordering,
        "light_choices": LIGHT_CHOICES,
        "more_open": any(request.GET.get(name) for name in more_filters),
        "filtered": any(
            value
            for name, value in request.GET.items()
            if name not in ("page", "ordering", "after", "before")
        ),
    }
    template = "tasks_ledger/item_list.html"
    if wants_partial(request, "item-results"):
        template += "#results"
    return render(request, template, context)


# --- the in-row update and its conflict ------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """One value that changed between the version a user saw and the current one."""

    label: str
    before: str
    after: str


@dataclass
class Conflict:
    """What someone else changed since the user read the item."""

    changes: list[Change] = field(default_factory=list)
    by: str = ""
    at: datetime | None = None


def _shown(name: str, value: Any) -> str:
    if name == "deadline" and value is None:
        return str(_("long-term"))
    if value in (None, ""):
        return "—"
    if name in ("progress", "pending_progress"):
        return f"{value}%"
    if name == "signoff_pending":
        return str(_("yes") if value else _("no"))
    if name == "status":
        try:
            return str(ItemStatus(value).label)
        except ValueError:
            return str(value)
    if name == "deadline":
        if isinstance(value, str):
            value = date.fromisoformat(value)
        return date_format(value, "Y-m-d")
    return Truncator(str(value)).chars(60)


CONFLICT_FIELDS = {
    "progress": gettext_lazy("accepted progress"),
    "pending_progress": gettext_lazy("reported progress awaiting review (%)"),
    "signoff_pending": gettext_lazy("sign-off awaiting verification"),
    "status": gettext_lazy("status"),
    "deadline": gettext_lazy("deadline"),
    "latest_report": gettext_lazy("latest progress"),
}


def conflict_since(item: LedgerItem, seen_version: int) -> Conflict:
    """Compare the version the user saw (from the item's history) with the item now.

    Two queries, three with a name: the snapshot of the seen version, the latest change
    and, when that change was made in a request or task of a person, their name.
    """
    conflict = Conflict()
    seen = item.events.filter(version=seen_version).order_by("-pgh_id").first()  # type: ignore[attr-defined]
    if seen is not None:
        for name, label in CONFLICT_FIELDS.items():
            before, after = getattr(seen, name), getattr(item, name)
            if before != after:
                conflict.changes.append(
                    Change(label=str(label), before=_shown(name, before), after=_shown(name, after))
                )
    latest = (
        item.events.filter(version__gt=seen_version)  # type: ignore[attr-defined]
        .select_related("pgh_context")
        .order_by("-pgh_id")
        .first()
    )
    conflict.at = item.updated_at  # the application's clock, as every other time shown
    if latest is not None:
        metadata = latest.pgh_context.metadata if latest.pgh_context else {}
        if metadata.get("user"):
            conflict.by = (
                User.objects.filter(pk=metadata["user"]).values_list("name", flat=True).first()
                or ""
            )
    return conflict


def _row(
    request: HttpRequest, item: LedgerItem, *, status: int = 200, **extra: Any
) -> HttpResponse:
    """One row of the item list, as an htmx update answers with it: the form sent
    (``row_form``) and its errors, a ``row_error`` of the whole row, a ``conflict``, the form
    left open (``row_open``) or the row just ``saved``."""
    form = extra.get("row_form")
    drawer = item_rows.RowDrawer(
        request, signed_in_user(request), _next_url(request, reverse("ledger:item-list"))
    )
    drawn = drawer.row(
        item,
        conflict=extra.get("conflict"),
        form=form,
        errors=form.errors if form is not None else item_rows.NO_ROW_ERRORS,
        error=extra.get("row_error", ""),
        open_=extra.get("row_open", False),
        saved=extra.get("saved", False),
    )
    return HttpResponse(drawn, status=status)


@login_required
@require_POST
def item_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Report progress on an item: from its row (htmx, answered with the row) or from the
    item page (with evidence files, answered with a redirect or the page with errors).

    Answers: 200 saved, 409 changed by someone else (nothing written), 422 invalid input,
    403 no right to report. The row's htmx handler swaps all four.
    """
    user = signed_in_user(request)
    item = _visible_item(request, pk)
    in_row = wants_partial(request, f"item-{pk}")
    form_class = RowProgressForm if in_row else ProgressForm
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        if in_row:
            return _row(request, item, status=422, row_form=form, row_open=True)
        return _detail(request, item, status=422, progress_form=form, open_form="progress")
    data = form.cleaned_data
    try:
        services.ledger_item_report_progress(
            item=item,
            reporter=user,
            percent=data["percent"],
            text=data["text"],
            expected_version=data["version"],
            files=data.get("evidence") or [],
            lower_reason=data.get("lower_reason") or "",
        )
    except services.StaleEdit:
        current = _visible_item(request, pk)
        conflict = conflict_since(current, data["version"])
        # The user's input stays in the form, now aimed at the current version.
        kept = form_class(
            initial={
                "percent": data["percent"],
                "text": data["text"],
                "lower_reason": data.get("lower_reason") or "",
                "version": current.version,
            }
        )
        if in_row:
            return _row(
                request, current, status=409, conflict=conflict, row_form=kept, row_open=True
            )
        return _detail(
            request,
            current,
            status=409,
            conflict=conflict,
            progress_form=kept,
            open_form="progress",
        )
    except PermissionDenied as exc:
        if in_row:
            return _row(
                request,
                item,
                status=403,
                row_error=str(exc) or _("You may not report on this item."),
            )
        raise
    except ValidationError as exc:
        if hasattr(exc, "error_dict") and set(exc.error_dict) <= set(form.fields):
            for name, errors in exc.error_dict.items():
                form.add_error(name, errors)
                widget = form.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
            error = ""
        else:
            error = error_text(exc)
        if in_row:
            return _row(request, item, status=422, row_form=form, row_open=True, row_error=error)
        return _detail(
            request,
            item,
            status=422,
            progress_form=form,
            form_error=error,
            open_form="progress",
        )
    if in_row:
        return _row(request, _visible_item(request, pk), saved=True)
    fresh = _visible_item(request, pk)
    if fresh.pending_progress is not None:
        done = _("Progress reported: %(percent)d%%. It counts once the campaign office accepts it.")
    else:
        done = _("Progress reported: %(percent)d%%.")
    messages.success(request, done % {"percent": data["percent"]})
    return redirect(_next_url(request, reverse("ledger:item-detail", args=[pk])))


# --- the item page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneRow:
    """A milestone marked done, overdue or upcoming."""

    title: str
    deadline: date
    done_on: date | None
    state: str  # "done", "overdue", "upcoming"


def _milestones(item: LedgerItem, today: date) -> list[MilestoneRow]:
    rows = []
    for milestone in item.milestones.all():
        if milestone.done_on:
            state = "done"
        elif milestone.deadline < today:
            state = "overdue"
        else:
            state = "upcoming"
        rows.append(MilestoneRow(milestone.title, milestone.deadline, milestone.done_on, state))
    return rows


def _kind_fields(item: LedgerItem) -> list[tuple[str, Any, str]]:
    """(label, value, field name) of the fields of the item's kind."""
    rows = []
    for name in KIND_FIELDS.get(item.kind, ()):
        label = getattr(LedgerItem._meta.get_field(name), "verbose_name", name)
        rows.append((str(label), getattr(item, name), name))
    return rows


def _detail(
    request: HttpRequest, item: LedgerItem, *, status: int = 200, **forms: Any
) -> HttpResponse:
    """Render the item page; ``forms`` replaces the blank forms (after a failed post)."""
    user = signed_in_user(request)
    today = timezone.localdate()
    try:
        item = selectors.ledger_item_detail(user=user, pk=item.pk)
    except LedgerItem.DoesNotExist as exc:
        raise Http404(_("No such item in your jurisdiction.")) from exc
    signoffs = list(item.signoff_requests.all())
    extensions = list(item.extension_requests.all())
    pending_signoff = next((s for s in signoffs if s.status == ReviewStatus.PENDING), None)
    pending_extension = next((e for e in extensions if e.status == ExtensionStatus.PENDING), None)
    status_requests = list(item.status_requests.all())
    pending_status = next((r for r in status_requests if r.status == ExtensionStatus.PENDING), None)
    can_update = rules.can_update_item(user, item)
    changes = [
        change for change, allowed in services.STATUS_CHANGE_FROM.items() if item.status in allowed
    ]
    context: dict[str, Any] = {
        "item": item,
        "kind_fields": _kind_fields(item),
        "milestones": _milestones(item, today),
        "measure_rows": list(item.measure_set.all()),
        "reports": list(item.reports.all()),
        "signoffs": signoffs,
        "extensions": extensions,
        "status_requests": status_requests,
        "reviews_progress": services.reviews_progress(item),
        "pending_status": pending_status,
        "may_request_status_change": can_update and bool(changes) and not pending_status,
        "status_form": StatusChangeRequestForm(changes=changes),
        "evidence": list(item.evidence.all()),
        "history": history_preview(
            scope_of(item),
            reader_id=user.pk,
            full_url=reverse("ledger:item-history", args=[item.pk]),
        ),
        "can_update": can_update,
        "can_review": rules.can_review_item(user, item),
        "can_verify": bool(pending_signoff and rules.can_verify_signoff(user, pending_signoff)),
        "pending_signoff": pending_signoff,
        "pending_extension": pending_extension,
        "may_report": can_update and item.status in REPORTABLE,
        "may_request_signoff": can_update and item.status in REPORTABLE and not pending_signoff,
        "may_request_extension": can_update
        and item.status in OPEN_STATUSES
        and item.deadline is not None
        and today <= item.deadline
        and not pending_extension,
        "extension_too_late": can_update
        and item.status in OPEN_STATUSES
        and item.deadline is not None
        and today > item.deadline
        and not pending_extension,
        "progress_form": ProgressForm(
            initial={
                "percent": item.progress
                if item.pending_progress is None
                else item.pending_progress,
                "version": item.version,
            }
        ),
        "signoff_form": SignOffRequestForm(initial={"version": item.version}),
        "extension_form": ExtensionRequestForm(),
        "here": reverse("ledger:item-detail", args=[item.pk]),
    }
    if item.kind == LedgerKind.KEY_PROJECT:
        context["rates"] = selectors.project_rates(
            LedgerItem.objects.filter(pk=item.pk), today=today
        )
    context.update(forms)
    return render(request, "tasks_ledger/item_detail.html", context, status=status)


@login_required
@require_GET
def item_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One item: its fields, chain, milestones, progress timeline, evidence, sign-off and
    extension requests, and history, with the actions the caller's rights allow."""
    return _detail(request, _visible_item(request, pk))


@login_required
@require_POST
def signoff_request_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask for sign-off with a completion report and evidence."""
    user = signed_in_user(request)
    item = _visible_item(request, pk)
    form = SignOffRequestForm(request.POST, request.FILES)
    if not form.is_valid():
        return _detail(request, item, status=422, signoff_form=form, open_form="signoff")
    try:
        services.signoff_request_create(
            item=item,
            requester=user,
            note=form.cleaned_data["note"],
            files=form.cleaned_data["evidence"],
            expected_version=form.cleaned_data["version"],
        )
    except services.StaleEdit as exc:
        kept = SignOffRequestForm(
            initial={"note": form.cleaned_data["note"], "version": exc.current.version}
        )
        conflict = conflict_since(exc.current, form.cleaned_data["version"])
        return _detail(
            request, item, status=409, signoff_form=kept, conflict=conflict, open_form="signoff"
        )
    except ValidationError as exc:
        return _detail(
            request,
            item,
            status=422,
            signoff_form=form,
            form_error=error_text(exc),
            open_form="signoff",
        )
    messages.success(request, _("Sign-off requested. The verifier has been put on notice."))
    return redirect("ledger:item-detail", pk=pk)


@login_required
@require_POST
def extension_request_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask, before the deadline, to move it to a later date."""
    user = signed_in_user(request)
    item = _visible_item(request, pk)
    form = ExtensionRequestForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, status=422, extension_form=form, open_form="extension")
    try:
        services.extension_request_create(
            item=item,
            requester=user,
            reason=form.cleaned_data["reason"],
            new_deadline=form.cleaned_data["new_deadline"],
        )
    except ValidationError as exc:
        return _detail(
            request,
            item,
            status=422,
            extension_form=form,
            form_error=error_text(exc),
            open_form="extension",
        )
    messages.success(request, _("Extension requested. The deadline stays until it is approved."))
    return redirect("ledger:item-detail", pk=pk)


@login_required
@require_POST
def status_change_request_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask the office to suspend, cancel or resume the item, with a reason."""
    user = signed_in_user(request)
    item = _visible_item(request, pk)
    form = StatusChangeRequestForm(request.POST)
    if not form.is_valid():
        return _detail(request, item, status=422, status_form=form, open_form="status")
    try:
        services.status_change_request_create(
            item=item,
            requester=user,
            change=form.cleaned_data["change"],
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as exc:
        return _detail(
            request,
            item,
            status=422,
            status_form=form,
            form_error=error_text(exc),
            open_form="status",
        )
    messages.success(
        request,
        _("Request sent. The item stays as it is until the campaign office approves it."),
    )
    return redirect("ledger:item-detail", pk=pk)


# --- the office's decisions ------------------------------------------------------------------


def _decide(request: HttpRequest, item: LedgerItem, act: Any, done: str) -> HttpResponseRedirect:
    """Run one decision service; say what happened; go back where the user came from."""
    back = _next_url(request, reverse("ledger:item-detail", args=[item.pk]))
    try:
        act()
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(request, done)
    return redirect(back)


def _reason(request: HttpRequest) -> str:
    form = DecisionForm(request.POST)
    return form.cleaned_data["reason"] if form.is_valid() else ""


# What the rules read of an item: its unit and its chain's lead department.
ITEM_RULE_FIELDS = ("item__unit", "item__chain__lead_department", "item__ledger__campaign")


def _visible_or_404(user: User, item: LedgerItem) -> None:
    if not rules.can_view_item(user, item):
        raise Http404(_("No such item in your jurisdiction."))


@login_required
@require_POST
def report_decide_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Accept a progress report, or return it with a reason."""
    user = signed_in_user(request)
    report = get_object_or_404(ProgressReport.objects.select_related(*ITEM_RULE_FIELDS), pk=pk)
    _visible_or_404(user, report.item)
    reason = _reason(request)
    if action == "accept":
        return _decide(
            request,
            report.item,
            lambda: services.progress_report_accept(report=report, reviewer=user),
            _("Progress report accepted."),
        )
    return _decide(
        request,
        report.item,
        lambda: services.progress_report_return(report=report, reviewer=user, reason=reason),
        _("Progress report returned; the unit will see the reason."),
    )


@login_required
@require_POST
def signoff_decide_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Verify a sign-off request (the item is signed off), or return it with a reason."""
    user = signed_in_user(request)
    signoff = get_object_or_404(
        SignOffRequest.objects.select_related(*ITEM_RULE_FIELDS),
        pk=pk,
    )
    _visible_or_404(user, signoff.item)
    reason = _reason(request)
    if action == "approve":
        return _decide(
            request,
            signoff.item,
            lambda: services.signoff_approve(request=signoff, verifier=user),
            _("Verified: the item is signed off."),
        )
    return _decide(
        request,
        signoff.item,
        lambda: services.signoff_return(request=signoff, verifier=user, reason=reason),
        _("Sign-off returned with the reason; the item stays as it was."),
    )


@login_required
@require_POST
def extension_decide_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Approve an extension (the deadline moves), or refuse it with a reason."""
    user = signed_in_user(request)
    extension = get_object_or_404(ExtensionRequest.objects.select_related(*ITEM_RULE_FIELDS), pk=pk)
    _visible_or_404(user, extension.item)
    reason = _reason(request)
    if action == "approve":
        return _decide(
            request,
            extension.item,
            lambda: services.extension_approve(request=extension, approver=user, note=reason),
            _("Extension approved: the deadline is now %(date)s.")
            % {"date": date_format(extension.new_deadline, "Y-m-d")},
        )
    return _decide(
        request,
        extension.item,
        lambda: services.extension_refuse(request=extension, approver=user, note=reason),
        _("Extension refused; the deadline stays."),
    )


@login_required
@require_POST
def status_change_decide_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Approve a suspension, cancellation or resumption, or refuse it with a reason."""
    user = signed_in_user(request)
    change = get_object_or_404(StatusChangeRequest.objects.select_related(*ITEM_RULE_FIELDS), pk=pk)
    _visible_or_404(user, change.item)
    reason = _reason(request)
    if action == "approve":
        return _decide(
            request,
            change.item,
            lambda: services.status_change_approve(request=change, approver=user, note=reason),
            _("Request approved: the item is now %(status)s.")
            % {"status": StatusChange(change.change).label},
        )
    return _decide(
        request,
        change.item,
        lambda: services.status_change_refuse(request=change, approver=user, note=reason),
        _("Request refused; the item stays as it was."),
    )


@login_required
@require_GET
def evidence_download_view(request: HttpRequest, pk: int) -> FileResponse:
    """An evidence file, for those who may see its item (files are never served directly)."""
    user = signed_in_user(request)
    evidence = get_object_or_404(Evidence.objects.select_related(*ITEM_RULE_FIELDS), pk=pk)
    _visible_or_404(user, evidence.item)
    return stored_file_response(evidence)


class StoredDownload(Protocol):
    """What a download needs of a :class:`~tasks_ledger.models.StoredFile` (each subclass
    declares its own ``file``)."""

    file: Any
    original_name: str
    content_type: str


def stored_file_response(stored: StoredDownload) -> FileResponse:
    """A checked upload (evidence, a notice's file) as a download under its own name; 404
    in words when storage has lost it. The caller has decided who may see it."""
    try:
        handle = stored.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404(_("The file is missing from storage.")) from exc
    return FileResponse(
        handle,
        as_attachment=True,
        filename=stored.original_name,
        content_type=stored.content_type or "application/octet-stream",
    )


# --- the battle map --------------------------------------------------------------------------


def _pick_campaign(request: HttpRequest, campaigns: list[Campaign]) -> Campaign | None:
    wanted = request.GET.get("campaign", "")
    for campaign in campaigns:
        if str(campaign.pk) == wanted:
            return campaign
    return campaigns[0] if campaigns else None


def _map_unit(request: HttpRequest) -> Unit | None:
    """The unit asked for (``?unit=``), if any: whether the user may see it is
    :func:`selectors.map_under`'s question."""
    wanted = request.GET.get("unit", "")
    if not wanted.isdigit() or len(wanted) > 18:  # beyond a bigint: no such unit
        return None
    return Unit.objects.filter(pk=int(wanted)).first()


def map_crumbs(user: User, under: str | None) -> list[str]:
    """Paths from the user's jurisdiction root down to ``under`` (the map's way back up)."""
    if under is None:
        return []
    j = jurisdiction_for(user)
    roots = [root for root in j.view_roots if under.startswith(root)]
    top = min((len(root) for root in roots), default=Unit.steplen)
    return [under[:end] for end in range(top, len(under) + 1, Unit.steplen)]


@login_required
@require_GET
@planned_once()
def battle_map_view(request: HttpRequest) -> HttpResponse:
    """挂图作战: areas of a campaign across a unit's own items and each unit under it (its
    whole subtree summed), each cell coloured by its worst light; a row opens the map of
    the units under it (``?unit=``), crumbs lead back up.

    Read from the kept counts, never the items, so it costs the same at a million items:
    the campaigns, the areas, the counts (one grouped query) and the units of the rows and
    crumbs; one more for the unit asked for with ``?unit=``.
    """
    user = signed_in_user(request)
    campaigns = list(campaign_list(user=user))
    campaign = _pick_campaign(request, campaigns)
    context: dict[str, Any] = {"campaigns": campaigns, "campaign": campaign, "rows": []}
    if campaign is not None:
        under = selectors.map_under(user=user, unit=_map_unit(request))
        areas = list(selectors.area_list(user=user, campaign=campaign))
        cells = selectors.battle_map(user=user, campaign=campaign, under=under)
        crumbs = map_crumbs(user, under)
        units = selectors.map_units(user=user, paths=[c["branch"] for c in cells] + crumbs)
        context.update(
            battle_map.build_map(cells, areas, units, under, battle_map.MapCells(campaign.pk))
        )
        context["areas"] = areas
        context["under"] = units.get(under) if under else None
        context["crumbs"] = [units[path] for path in crumbs if path in units]
    return render(request, "tasks_ledger/battle_map.html", context)


# --- the office's queues ---------------------------------------------------------------------


class CountedPaginator(Paginator):
    """A paginator told its count: the queue's tab badge already counted the same filtered
    rows, so the page costs no second COUNT and the badge and the pages agree."""

    def __init__(self, object_list: Any, per_page: int, *, count: int, **kwargs: Any) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self._known_count = count

    @cached_property
    def count(self) -> int:
        """The count given, not asked of the database again."""
        return self._known_count


def capped_counts(querysets: dict[str, QuerySet[Any]], limit: int) -> dict[str, int]:
    """How many rows each queryset holds, up to ``limit``: one statement for them all (a
    capped COUNT per queryset, as ``queryset[:limit].count()`` asks, each a scalar subquery).

    Each keeps its order, so a long queue is counted by walking its partial index on waiting
    rows and stopping at ``limit``; the tab badges cost one round trip instead of four.
    """
    return capped_heads(querysets, limit)[0]


def capped_heads(
    querysets: dict[str, QuerySet[Any]],
    limit: int,
    pages: dict[str, slice] | None = None,
) -> tuple[dict[str, int], dict[str, list[int]]]:
    """:func:`capped_counts`, and for the querysets named in ``pages`` the ids of that
    slice of the counted rows, in the queryset's order, read by the same walk (the rows a
    page shows, so a long queue's waiting rows are found once, not again for the page).
    """
    pages = pages or {}
    if not querysets:
        return {}, {}
    using = next(iter(querysets.values())).db
    parts: list[str] = []
    params: list[Any] = []
    for key, queryset in querysets.items():
        capped = queryset.values("pk")[:limit]
        try:
            sql, values = capped.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:  # a scope that holds nothing (the rules' NOTHING)
            parts.append("0")
            continue
        page = pages.get(key)
        head = "COUNT(*)"
        if page is not None:  # the count, then the page's ids (in the capped rows' order)
            head += f' || (array_agg(capped."pk"))[{page.start + 1:d}:{page.stop:d}]'
        parts.append(f"(SELECT {head} FROM ({sql}) AS capped)")  # noqa: S608 - compiled SQL
        params.extend(values)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    counts: dict[str, int] = {}
    ids: dict[str, list[int]] = {}
    for key, value in zip(querysets, row, strict=True):
        if isinstance(value, list):
            counts[key], *ids[key] = value
        else:
            counts[key] = value
            if key in pages:  # nothing to count: no page either
                ids[key] = []
    return counts, ids


@dataclass(frozen=True)
class Queue:
    """One of the office's queues: its waiting rows (a selector scoped to the caller, with
    ``can_act`` and ``waiting_since``; given the managed units' ids, or None for every
    unit, it filters by those instead of joining the units by path), every row whatever its
    state (to name a row decided meanwhile), its table, and its one approving service."""

    key: str
    label: Any
    icon: str
    rows: Callable[..., QuerySet[Any]]
    every: Callable[[User], QuerySet[Any]]
    table: type[QueueTable]
    approve: Callable[[Any, User], Any]
    approve_label: Any
    #: What its table's rows show (tables.QueueRows), all a page reads of them: the row's
    #: own fields, its asker's name, the item's number, title and status, its unit's names
    #: and its ledger's title (a row's item has some 45 columns, the people and units more).
    shown: tuple[str, ...] = ()
    #: The evidence's key to its rows, for the queues whose rows list their files.
    evidence: str = ""


#: What every queue's rows show of the item (and the people asking: ``requested_by``).
_SHOWN = (
    "item__code",
    "item__title",
    "item__status",
    "item__unit__name",
    "item__unit__short_name",
    "item__ledger__title",
)
_ASKER = ("requested_at", "requested_by__name", "requested_by__username")


QUEUES: dict[str, Queue] = {
    queue.key: queue
    for queue in (
        Queue(
            key="signoff",
            label=gettext_lazy("Sign-off requests"),
            icon="bi-patch-check",
            rows=lambda user, units=selectors.BY_RULE: selectors.signoff_queue(
                user=user, unit_ids=units
            ),
            every=lambda user: selectors.signoff_request_list(user=user),
            table=SignOffQueueTable,
            approve=lambda row, user: services.signoff_approve(request=row, verifier=user),
            approve_label=gettext_lazy("Verify"),
            shown=(*_SHOWN, *_ASKER, "note"),
            evidence="signoff",
        ),
        Queue(
            key="extension",
            label=gettext_lazy("Extension requests"),
            icon="bi-calendar-plus",
            rows=lambda user, units=selectors.BY_RULE: selectors.extension_queue(
                user=user, unit_ids=units
            ),
            every=lambda user: selectors.extension_request_list(user=user),
            table=ExtensionQueueTable,
            approve=lambda row, user: services.extension_approve(request=row, approver=user),
            approve_label=gettext_lazy("Approve"),
            shown=(*_SHOWN, *_ASKER, "old_deadline", "new_deadline", "reason"),
        ),
        Queue(
            key="status",
            label=gettext_lazy("Suspension and cancellation requests"),
            icon="bi-pause-circle",
            rows=lambda user, units=selectors.BY_RULE: selectors.status_change_queue(
                user=user, unit_ids=units
            ),
            every=lambda user: selectors.status_change_request_list(user=user),
            table=StatusChangeQueueTable,
            approve=lambda row, user: services.status_change_approve(request=row, approver=user),
            approve_label=gettext_lazy("Approve"),
            shown=(*_SHOWN, *_ASKER, "change", "reason"),
        ),
        Queue(
            key="progress",
            label=gettext_lazy("Progress reports to review"),
            icon="bi-clipboard-check",
            rows=lambda user, units=selectors.BY_RULE: selectors.report_queue(
                user=user, unit_ids=units
            ),
            every=lambda user: selectors.progress_report_list(user=user),
            table=ProgressQueueTable,
            approve=lambda row, user: services.progress_report_accept(report=row, reviewer=user),
            approve_label=gettext_lazy("Accept"),
            shown=(
                *_SHOWN,
                "created_at",
                "reporter__name",
                "reporter__username",
                "percent",
                "previous_percent",
                "text",
                "lower_reason",
            ),
            evidence="report",
        ),
    )
}
#: Rows one bulk approval takes at most (a few pages' worth).
BULK_LIMIT = 100
#: Levels of units the queues' unit filter offers, from the top of the jurisdiction.
QUEUE_UNIT_LEVELS = 3
#: Past this many waiting rows a queue's badge says "1000+" and its pages end there (the
#: filters narrow it): the count never reads a whole province's waiting rows.
QUEUE_COUNT_CAP = 1000
#: The queue tables' default order (``-requested``: newest first) as their querysets say it.
QUEUE_ORDER = ("-waiting_since", "-pk")


def _page_number(request: HttpRequest) -> int:
    """The page asked for, as django-tables2 reads it (a page that is no number: the
    first; one past the end is found out by the paginator)."""
    try:
        return max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        return 1


def _queue_filters(request: HttpRequest, user: User) -> QueueFilterSet:
    """The queues' one filterset, validated, with Bootstrap selects and "all" choices.

    Its own queryset is never read (each queue's rows are filtered with
    ``filter_queryset``): a plain one, not a queue's with its rule built for nothing."""
    filterset = QueueFilterSet(request.GET, queryset=SignOffRequest.objects.all(), request=request)
    filterset.is_valid()
    form = filterset.form
    for name in ("unit", "ledger", "kind", "waiting"):
        form.fields[name].widget.attrs["class"] = "form-select form-select-sm"
    form.fields["unit"].empty_label = _("All units")
    form.fields["ledger"].empty_label = _("All ledgers")
    # django-filter's choice iterator belongs to the class's field: set the choices anew so
    # the widget's options see the instance's empty label.
    form.fields["kind"].empty_label = _("All kinds")
    form.fields["kind"].choices = LedgerKind.choices
    form.fields["waiting"].empty_label = _("Any time")
    form.fields["waiting"].choices = WAITING_DAYS
    roots = jurisdiction_for(user).view_roots
    top = min((len(root) for root in roots), default=Unit.steplen) // Unit.steplen
    # A province holds thousands of units: offer the top QUEUE_UNIT_LEVELS levels (a city
    # and its counties, a county and its townships); a choice takes the units under it too.
    unit_field = form.fields["unit"]
    unit_field.queryset = unit_field.queryset.filter(depth__lt=top + QUEUE_UNIT_LEVELS)
    # The unit and ledger selects' options as the item list reads them (one query for both,
    # drawn from values, not from 300 model instances); the fields' own querysets only
    # validate a chosen value.
    options = _filter_options(user, top, QUEUE_UNIT_LEVELS)
    for name in ("unit", "ledger"):
        form.fields[name].widget = FastSelect(
            attrs={"class": "form-select form-select-sm"},
            choices=[("", form.fields[name].empty_label), *options[name]],
        )
    return filterset


@login_required
@require_GET
@planned_once()
def queues_view(request: HttpRequest) -> HttpResponse:
    """The office's four queues as tabs (``?queue=signoff|extension|status|progress``), each
    a paged table, newest first, sortable by age and unit, filtered by unit (and below),
    ledger, kind and waiting time. Decision buttons and bulk checkboxes only on the rows the
    rules let the caller decide (``can_act``, computed in SQL).

    Queries are fixed whatever the queues hold (``test_queues.py``): the filter choices, one
    statement counting every queue (the tab badges: true counts with the filters, up to
    QUEUE_COUNT_CAP; in the default order it also reads the ids of the page asked for,
    :func:`capped_heads`), one page of rows (by those ids, or its keys found first in the
    same statement: :class:`~tasks_ledger.tables.KeyedPages`) and, for sign-offs and
    reports, their evidence. The filter form asks htmx for ``results``.

    Its statements are planned once per database session (:func:`config.plans.planned_once`):
    a county's took twice as long to plan as to run.
    """
    user = signed_in_user(request)
    filterset = _queue_filters(request, user)
    # The managed units' ids, kept in the cache (None for every unit: a province's office
    # filters by none); a unit chosen in the filter joins the units by path anyway.
    units = selectors.BY_RULE
    if not filterset.form.cleaned_data.get("unit"):
        units = keyset.scope_unit_ids(user, manage=True)
    querysets = {key: filterset.filter_queryset(q.rows(user, units)) for key, q in QUEUES.items()}
    chosen = request.GET.get("queue", "")
    # In the tables' default order (newest first), the page asked for is read with the
    # counts: the open queue's (every queue's while which one opens is not known yet).
    pages: dict[str, slice] = {}
    start = (_page_number(request) - 1) * QUEUE_PER_PAGE
    if not request.GET.get("ordering"):
        querysets = {key: rows.order_by(*QUEUE_ORDER) for key, rows in querysets.items()}
        page = slice(start, start + QUEUE_PER_PAGE)
        pages = {key: page for key in QUEUES if chosen not in QUEUES or key == chosen}
    # Each badge reads at most QUEUE_COUNT_CAP + 1 rows (through the table's partial index
    # on its waiting rows), however long a province's queue grows.
    counts, heads = capped_heads(querysets, QUEUE_COUNT_CAP + 1, pages)
    if chosen not in QUEUES:
        # Open the first queue with something in it.
        chosen = next((key for key, count in counts.items() if count), "signoff")
    queue = QUEUES[chosen]
    # No request= here: the table would paginate itself first, with a COUNT of its own.
    known = (start, QUEUE_ORDER, heads[chosen]) if chosen in heads else None
    # The page reads what its rows show, with the tables they show it from (not the chain
    # and lead department a sign-off's rule may join: the rule's joins stay in its WHERE).
    related = sorted({name.rpartition("__")[0] for name in queue.shown if "__" in name})
    rows = (
        querysets[chosen]
        .select_related(None)
        .select_related(*related)
        .prefetch_related(None)
        .only(*queue.shown)
    )
    if queue.evidence:  # the rows' files in the same statement
        rows = with_evidence(rows, queue.evidence)
    table = queue.table(KeyedPages(rows, count=min(counts[chosen], QUEUE_COUNT_CAP), known=known))
    RequestConfig(
        request,
        paginate={
            "per_page": QUEUE_PER_PAGE,
            "paginator_class": partial(
                CountedPaginator, count=min(counts[chosen], QUEUE_COUNT_CAP)
            ),
        },
    ).configure(table)
    filtered = any(request.GET.get(name) for name in filterset.filters)
    context = {
        "tabs": [
            {
                "key": key,
                "label": q.label,
                "icon": q.icon,
                "count": min(counts[key], QUEUE_COUNT_CAP),
                "more": counts[key] > QUEUE_COUNT_CAP,
            }
            for key, q in QUEUES.items()
        ],
        "queue": queue,
        "table": table,
        "more": counts[chosen] > QUEUE_COUNT_CAP,
        "form": filterset.form,
        "filtered": filtered,
        # (Through the table's rows, as before: each row drawn so far counts towards the
        # rows' even and odd classes.)
        "may_bulk": any(row.record.can_act for row in table.page.object_list),
        "here": request.get_full_path(),
    }
    template = "tasks_ledger/queues.html"
    if wants_partial(request, "queue-results"):
        template += "#results"
    return render(request, template, context)


def _selected_ids(data: Any) -> list[int]:
    """The rows ticked (``select``), in order, each once, at most BULK_LIMIT."""
    ids: list[int] = []
    for value in data.getlist("select"):
        if value.isdigit() and int(value) not in ids:
            ids.append(int(value))
    return ids[:BULK_LIMIT]


def _row_name(row: Any) -> str:
    """A row as people name it: the item's number and title."""
    return f"{row.item.code} {Truncator(row.item.title).chars(30)}"


@login_required
@require_http_methods(["GET", "POST"])
def queue_bulk_view(request: HttpRequest) -> HttpResponse:
    """Approve the ticked rows of one queue: GET shows what will be done (how many, which,
    and which rows the caller may not decide), POST does it.

    Each row goes through its queue's one service, which checks the rule again, in its own
    transaction: the rows are separate decisions, so one that someone else decided in the
    meantime (or that the rules refuse) is reported and the others still stand, rather
    than the whole batch being undone for the office to redo. The answer says how many were
    done and, row by row, why the others were not.
    """
    user = signed_in_user(request)
    data = request.POST if request.method == "POST" else request.GET
    queue = QUEUES.get(data.get("queue", ""))
    if queue is None:
        raise Http404(_("No such queue."))
    ids = _selected_ids(data)
    back = _next_url(request, f"{reverse('ledger:queues')}?queue={queue.key}")
    if request.method == "POST":
        return _bulk_approve(request, queue, user, ids, back)
    rows = list(queue.rows(user).filter(pk__in=ids))
    context = {
        "queue": queue,
        "ready": [row for row in rows if row.can_act],
        "not_yours": [row for row in rows if not row.can_act],
        "ticked": len(ids),
        "gone": len(ids) - len(rows),
        "table": queue.table(
            [row for row in rows if row.can_act],
            exclude=("select", "actions"),
            orderable=False,
        ),
        "back": back,
    }
    return render(request, "tasks_ledger/queue_confirm.html", context)


def _bulk_approve(
    request: HttpRequest, queue: Queue, user: User, ids: list[int], back: str
) -> HttpResponseRedirect:
    """Run the queue's service on each row, one transaction each; say what happened."""
    # Every visible row, decided or not, so a row decided meanwhile is named and refused
    # by the service ("already decided") rather than silently skipped.
    rows = {
        row.pk: row
        for row in queue.every(user).select_related(*ITEM_RULE_FIELDS).filter(pk__in=ids)
    }
    done: list[str] = []
    refused: list[str] = []
    for pk in ids:
        row = rows.get(pk)
        if row is None:
            refused.append(_("#%(pk)d: not in your jurisdiction") % {"pk": pk})
            continue
        try:
            queue.approve(row, user)
        except (PermissionDenied, ValidationError) as exc:
            reason = error_text(exc) if isinstance(exc, ValidationError) else str(exc)
            refused.append(
                _("%(row)s: %(reason)s")
                % {"row": _row_name(row), "reason": reason or _("you may not decide it")}
            )
        else:
            done.append(_row_name(row))
    if done:
        messages.success(
            request,
            ngettext(
                "%(action)s: %(count)d row done.",
                "%(action)s: %(count)d rows done.",
                len(done),
            )
            % {"action": queue.approve_label, "count": len(done)},
        )
    if refused:
        messages.error(
            request,
            ngettext(
                "%(count)d row was not done: %(rows)s",
                "%(count)d rows were not done: %(rows)s",
                len(refused),
            )
            % {"count": len(refused), "rows": "；".join(refused)},
        )
    if not done and not refused:
        messages.warning(request, _("Nothing was selected."))
    return redirect(back)


# --- ledgers ---------------------------------------------------------------------------------


@login_required
@require_GET
def ledger_list_view(request: HttpRequest) -> HttpResponse:
    """Ledgers of the caller's campaigns with the items they can see, by area."""
    table = LedgerTable(selectors.ledger_list(user=signed_in_user(request)))
    RequestConfig(request, paginate={"per_page": LEDGERS_PER_PAGE}).configure(table)
    return render(request, "tasks_ledger/ledger_list.html", {"table": table})


# --- review meetings -------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list_view(request: HttpRequest) -> HttpResponse:
    """Review meetings hosted or attended within the caller's jurisdiction."""
    user = signed_in_user(request)
    table = MeetingTable(selectors.meeting_list(user=user))
    RequestConfig(request, paginate={"per_page": MEETINGS_PER_PAGE}).configure(table)
    return render(
        request,
        "tasks_ledger/meeting_list.html",
        {"table": table, "may_create": rules.can_record_meeting(user)},
    )


@login_required
@require_GET
def meeting_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One meeting: its facts, attending units and the decisions that became items."""
    user = signed_in_user(request)
    try:
        meeting = selectors.meeting_detail(user=user, pk=pk)
    except ReviewMeeting.DoesNotExist as exc:
        raise Http404(_("No such meeting in your jurisdiction.")) from exc
    decisions = list(meeting.decisions.all())
    context = {
        "meeting": meeting,
        "decisions": decisions,
        "hidden_decisions": meeting.decision_count - len(decisions),  # type: ignore[attr-defined]
        "history": history_preview(
            meeting_history_scope(meeting),
            reader_id=user.pk,
            full_url=reverse("ledger:meeting-history", args=[meeting.pk]),
        ),
    }
    return render(request, "tasks_ledger/meeting_detail.html", context)


def _meeting_forms(request: HttpRequest, user: User) -> tuple[MeetingForm, Any]:
    j = jurisdiction_for(user)
    units = j.units().order_by("path")
    campaigns = Campaign.objects.filter(pk__in=campaign_list(user=user).values("pk")).order_by(
        "-year", "name"
    )
    chairs = (
        User.objects.filter(Q(memberships__unit__in=units) | Q(pk=user.pk))
        .distinct()
        .order_by("name")
    )
    data = request.POST if request.method == "POST" else None
    host_units = Unit.objects.filter(rules.meeting_host_units_q(user)).order_by("path")
    initial: dict[str, Any] = {"date": timezone.localdate(), "chair": user.pk}
    if data is None:
        # The newest campaign and the office's own top unit are the usual answers.
        initial["campaign"] = campaigns.values_list("pk", flat=True).first()
        initial["host_unit"] = host_units.values_list("pk", flat=True).first()
    form = MeetingForm(
        data,
        campaigns=campaigns,
        host_units=host_units,
        units=units,
        chairs=chairs,
        initial=initial,
    )
    ledgers = (
        Ledger.objects.filter(campaign__in=campaigns)
        .select_related("area")
        .order_by("campaign", "area__sort_order", "sort_order", "title")
    )
    chains: QuerySet[ResponsibilityChain] = chain_list(user=user).order_by("subject")
    formset = DecisionFormSet(
        data,
        prefix="decisions",
        form_kwargs={"ledgers": ledgers, "units": units, "chains": chains},
    )
    return form, formset


def _check_decisions(form: MeetingForm, formset: Any) -> bool:
    """Decisions fit their meeting: same campaign, deadline not before the meeting."""
    campaign, day = form.cleaned_data["campaign"], form.cleaned_data["date"]
    ok = True
    for decision in formset.forms:
        data = getattr(decision, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or not decision.has_changed():
            continue
        if data["ledger"].campaign_id != campaign.pk:
            decision.add_error("ledger", _("This ledger belongs to another campaign."))
            ok = False
        if data.get("chain") and data["chain"].campaign_id not in (None, campaign.pk):
            decision.add_error("chain", _("This chain belongs to another campaign."))
            ok = False
        if data["deadline"] is not None and data["deadline"] < day:
            decision.add_error("deadline", _("The deadline is before the meeting."))
            ok = False
    return ok


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create_view(request: HttpRequest) -> HttpResponse:
    """Record a meeting and turn its decisions into ledger items in one step, all or
    nothing (the campaign office only)."""
    user = signed_in_user(request)
    if not rules.can_record_meeting(user):
        raise PermissionDenied(_("Only the campaign office records review meetings."))
    form, formset = _meeting_forms(request, user)
    error = ""
    valid = request.method == "POST" and form.is_valid() and formset.is_valid()
    if valid and _check_decisions(form, formset):
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                actor=user,
                campaign=data["campaign"],
                kind=data["kind"],
                title=data["title"],
                date=data["date"],
                host_unit=data["host_unit"],
                chair=data["chair"],
                attending_units=data["attending_units"],
                minutes=data["minutes"],
                decisions=[
                    services.DecisionSpec(
                        ledger=d["ledger"],
                        unit=d["unit"],
                        title=d["title"],
                        deadline=d["deadline"],
                        chain=d.get("chain"),
                    )
                    for d in formset.decisions()
                ],
            )
        except PermissionDenied as exc:
            error = str(exc)
        except ValidationError as exc:
            error = _("Nothing was saved: %(errors)s") % {"errors": error_text(exc)}
        else:
            messages.success(
                request,
                _("Meeting recorded; %(count)d decisions became ledger items.")
                % {"count": len(formset.decisions())},
            )
            return redirect("ledger:meeting-detail", pk=meeting.pk)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "tasks_ledger/meeting_form.html",
        {"form": form, "formset": formset, "error": error},
        status=status,
    )


# --- history -----------------------------------------------------------------------------


@login_required
@require_GET
def item_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """All changes of an item and of its reports, requests, files, milestones and measures."""
    item = _visible_item(request, pk)
    return history_page(
        request,
        scope=scope_of(item),
        heading=_("History of %(name)s") % {"name": f"{item.code} {item.title}"},
        description=_("Every change to the item, its reports, requests and files."),
        crumbs=[
            (_("My ledgers"), reverse("ledger:item-list")),
            (
                Truncator(f"{item.code} {item.title}").chars(40),
                reverse("ledger:item-detail", args=[item.pk]),
            ),
        ],
    )


def meeting_history_scope(meeting: ReviewMeeting) -> HistoryScope:
    """A meeting's own changes and its attending units; the items it decided are listed on
    its page within the reader's jurisdiction, so their changes stay on their own pages."""
    return scope_of(meeting, related=(MeetingAttendance,))


@login_required
@require_GET
def meeting_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """All changes of a review meeting and its attending units."""
    try:
        meeting = selectors.meeting_detail(user=signed_in_user(request), pk=pk)
    except ReviewMeeting.DoesNotExist as exc:
        raise Http404(_("No such meeting in your jurisdiction.")) from exc
    return history_page(
        request,
        scope=meeting_history_scope(meeting),
        heading=_("History of %(name)s") % {"name": meeting.title},
        crumbs=[
            (_("Review meetings"), reverse("ledger:meeting-list")),
            (meeting.title, reverse("ledger:meeting-detail", args=[meeting.pk])),
        ],
    )


def _pk(value: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise Http404(_("No such record.")) from exc


@login_required
@require_GET
def items_history_view(request: HttpRequest) -> HttpResponse:
    """The changes of the ledger items of a unit (and the units under it) or of a chain, as
    far as the reader may see them: the unit's and the chain's pages link here rather than
    list every item's creation among their own changes."""
    user = signed_in_user(request)
    items = LedgerItem.objects.filter(rules.viewable_items_q(user))
    if request.GET.get("unit"):
        try:
            unit = unit_detail(user=user, pk=_pk(request.GET["unit"]))
        except Unit.DoesNotExist as exc:
            raise Http404(_("No such unit in your jurisdiction.")) from exc
        items = items.filter(unit__path__startswith=unit.path)
        heading = _("Changes to the ledger items of %(name)s") % {"name": unit.display_name}
        description = _("Items of the unit and of the units under it that you may see.")
        crumbs = [
            (_("Organisation"), reverse("unit-list")),
            (unit.display_name, reverse("unit-detail", args=[unit.pk])),
        ]
        tabs = unit_history_tabs(unit, items=True)
    elif request.GET.get("chain"):
        try:
            chain = chain_detail(user=user, pk=_pk(request.GET["chain"]))
        except ResponsibilityChain.DoesNotExist as exc:
            raise Http404(_("No such responsibility chain in your jurisdiction.")) from exc
        items = items.filter(chain=chain)
        heading = _("Changes to the ledger items of %(name)s") % {"name": chain.subject}
        description = _("Items the chain carries that you may see.")
        crumbs = [(chain.subject, reverse("campaign:chain-detail", args=[chain.pk]))]
        tabs = chain_history_tabs(chain, items=True)
    else:
        raise Http404(_("Choose a unit or a responsibility chain."))
    return history_page(
        request,
        scope=scope_of_records(items),
        heading=heading,
        description=description,
        crumbs=crumbs,
        tabs=tabs,
    )
