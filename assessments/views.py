"""The assessment office's workspace (考核办工作台): its schemes and rounds and what waits,
a scheme's set-up, a round with its moves and progress, creating a round, the score grid,
one score with its comment and evidence, and a round's deductions.

Views are thin: they read what the caller's office covers, call one service per write and
render. Someone who is not an assessment office gets a 403 in words
(:func:`assessments.rules.is_assessment_office`); a scheme, round or score outside the
caller's office is a 404, so its existence is not given away; a move the caller may not make
is a 403 (:func:`assessments.actions.refuse_unless`); a service's refusal in words comes
back as a message or on the form, with nothing saved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_tables2 import RequestConfig

from accountability.measure_forms import add_service_errors
from accountability.models import Notice
from accounts.models import Unit, User
from accounts.views import signed_in_user, wants_partial
from tasks_ledger.models import LedgerItem
from tasks_ledger.views import error_text, stored_file_response

from . import rules, services
from .actions import ROUND_ACTIONS, allowed_actions, refuse_unless
from .daily import daily_formula
from .filtersets import RoundDeductionFilterSet
from .forms import DeductionForm, RoundForm, ScoreForm, ScoreGridForm, cell_name
from .models import (
    Appeal,
    AppealStatus,
    CategoryMember,
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    EvidenceFile,
    Indicator,
    Round,
    RoundStatus,
    Scheme,
    SchemeStatus,
    ScoreEntry,
    Source,
    UnitCategory,
)
from .tables import DEDUCTIONS_PER_PAGE, DeductionTable

#: The moves of a round, in the order of its life, each with its service.
MOVES = {
    "open_scoring": services.round_open_scoring,
    "to_review": services.round_to_review,
    "publish": services.round_publish,
    "archive": services.round_archive,
    "show_publicly": services.round_show_publicly,
    "hide_publicly": services.round_hide_publicly,
}
#: The moves that show or hide the round on the public ranking (not a change of status).
PUBLIC_MOVES = ("show_publicly", "hide_publicly")


# --- reads ------------------------------------------------------------------------------------
def office_user(request: HttpRequest) -> User:
    """The signed-in user, when an assessment office; else a 403 in words."""
    user = signed_in_user(request)
    if not rules.is_assessment_office(user):
        raise PermissionDenied(_("Only the assessment office works on these pages."))
    return user


def _one(queryset: QuerySet[Any], pk: int, missing: str) -> Any:
    """The row ``pk`` of ``queryset`` (already scoped to the caller), else a 404 saying
    ``missing``."""
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise Http404(missing)
    return found


def _scheme(user: User, pk: int) -> Scheme:
    schemes = Scheme.objects.filter(rules.manageable_schemes_q(user))
    return cast(
        Scheme,
        _one(
            schemes.select_related("campaign__owner_unit"),
            pk,
            _("No such assessment scheme under your office."),
        ),
    )


def office_round(user: User, pk: int) -> Round:
    """A round the user's office runs (with what the rules read), else a 404."""
    rounds = Round.objects.filter(rules.manageable_rounds_q(user))
    return cast(
        Round,
        _one(
            rounds.select_related("scheme__campaign__owner_unit"),
            pk,
            _("No such assessment round under your office."),
        ),
    )


def _count(queryset: QuerySet[Any], outer: str) -> Coalesce:
    """A correlated COUNT(*) of ``queryset`` rows whose ``outer`` is the outer row."""
    counted = (
        queryset.filter(**{outer: OuterRef("pk")})
        .order_by()
        .values(outer)
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _scheme_count(model: type[Any], **filters: Any) -> Coalesce:
    """On a round: how many ``model`` rows its scheme has."""
    counted = (
        model.objects.filter(scheme=OuterRef("scheme_id"), **filters)
        .order_by()
        .values("scheme")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def office_rounds(user: User) -> QuerySet[Round]:
    """The rounds the user's office runs, with their scores entered, units and indicators
    of their scheme, standing deductions and pending appeals counted (one query)."""
    return (
        Round.objects.filter(rules.manageable_rounds_q(user))
        .select_related("scheme__campaign")
        .annotate(
            entered=_count(ScoreEntry.objects.all(), "round"),
            members=_scheme_count(CategoryMember),
            indicator_count=_scheme_count(Indicator),
            standing=_count(Deduction.objects.filter(status=DeductionStatus.STANDING), "round"),
            pending_appeals=_count(
                Appeal.objects.filter(status=AppealStatus.PENDING), "deduction__round"
            ),
        )
        .order_by("-period_start", "-pk")
    )


# --- the workspace ----------------------------------------------------------------------------
@dataclass
class Waiting:
    """What waits for the office: rounds in scoring with scores missing, appeals pending,
    rounds ready to publish."""

    missing: list[tuple[Round, int]] = field(default_factory=list)
    appeals: int = 0
    appeal_rounds: list[Round] = field(default_factory=list)
    publishable: list[Round] = field(default_factory=list)

    @property
    def any(self) -> bool:
        """Whether anything waits."""
        return bool(self.missing or self.appeals or self.publishable)


@login_required
@require_GET
def office_view(request: HttpRequest) -> HttpResponse:
    """The office's schemes and rounds by status, and what waits for it."""
    user = office_user(request)
    schemes = list(
        Scheme.objects.filter(rules.manageable_schemes_q(user))
        .select_related("campaign")
        .annotate(round_count=Count("rounds"))
    )
    rounds = list(office_rounds(user))
    by_status: dict[str, list[Round]] = defaultdict(list)
    waiting = Waiting()
    for round_ in rounds:
        by_status[round_.status].append(round_)
        missing = round_.members * round_.indicator_count - round_.entered  # type: ignore[attr-defined]
        if round_.status == RoundStatus.SCORING and missing > 0:
            waiting.missing.append((round_, missing))
        if round_.status == RoundStatus.REVIEW:
            if round_.pending_appeals:  # type: ignore[attr-defined]
                waiting.appeals += round_.pending_appeals  # type: ignore[attr-defined]
                waiting.appeal_rounds.append(round_)
            else:
                waiting.publishable.append(round_)
    context = {
        "schemes": schemes,
        "groups": [(status, by_status[status.value]) for status in RoundStatus],
        "waiting": waiting,
        "appeal_queue_url": reverse("assessments:appeal-queue"),
    }
    return render(request, "assessments/office_workspace.html", context)


# --- a scheme ---------------------------------------------------------------------------------
@login_required
@require_GET
def scheme_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A scheme as set up in the admin: the four weights, indicators by group (computed ones
    with their formula), categories with their units counted, grade bands, linkage rules, and
    its rounds."""
    user = office_user(request)
    scheme = _scheme(user, pk)
    indicators = list(scheme.indicators.select_related("group").order_by("sort_order", "code"))
    grouped: dict[Any, list[tuple[Indicator, str]]] = defaultdict(list)
    for indicator in indicators:
        grouped[indicator.group].append((indicator, daily_formula(indicator)))
    groups = sorted(
        grouped.items(),
        key=lambda pair: (pair[0] is None, pair[0].sort_order if pair[0] else 0, str(pair[0])),
    )
    points: defaultdict[str, Decimal] = defaultdict(Decimal)
    for indicator in indicators:
        points[indicator.source] += indicator.max_points
    weights = [
        (source.label, scheme.weight_of(source.value), points[source.value]) for source in Source
    ]
    context = {
        "scheme": scheme,
        "weights": weights,
        "weights_ok": scheme.weights_total == 100,
        "groups": groups,
        "categories": scheme.categories.annotate(member_count=Count("members")),
        "bands": scheme.bands.all(),
        "linkages": scheme.linkages.all(),
        "rounds": scheme.rounds.order_by("-period_start"),
        "may_activate": scheme.status == SchemeStatus.DRAFT
        and rules.can_manage_scheme(user, scheme),
        "admin_url": reverse("admin:assessments_scheme_change", args=[scheme.pk])
        if user.is_staff
        else "",
    }
    return render(request, "assessments/office_scheme.html", context)


@login_required
@require_POST
def scheme_activate_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Put the scheme in use (its weights total 100 and every weighted source has indicators);
    a refusal says what to fix."""
    user = office_user(request)
    scheme = _scheme(user, pk)
    try:
        services.scheme_activate(scheme=scheme, actor=user)
    except ValidationError as exc:
        messages.error(request, _("The scheme stays a draft: %(why)s") % {"why": error_text(exc)})
    else:
        messages.success(request, _("The scheme is in use: rounds under it may be scored."))
    return redirect("assessments:scheme-detail", pk=pk)


# --- a round ----------------------------------------------------------------------------------
@dataclass
class Progress:
    """Scores entered for one source against the units × indicators expected."""

    source: Source
    indicators: int
    entered: int
    expected: int
    url: str

    @property
    def percent(self) -> int:
        """Share entered, in whole percent (100 when nothing is expected)."""
        return 100 if not self.expected else min(100, self.entered * 100 // self.expected)


def _progress(round_: Round) -> list[Progress]:
    members = CategoryMember.objects.filter(scheme_id=round_.scheme_id).count()
    per_source = dict(
        Indicator.objects.filter(scheme_id=round_.scheme_id)
        .values("source")
        .annotate(n=Count("pk"))
        .values_list("source", "n")
    )
    entered = dict(
        ScoreEntry.objects.filter(round=round_)
        .values("indicator__source")
        .annotate(n=Count("pk"))
        .values_list("indicator__source", "n")
    )
    grid = reverse("assessments:round-scores", args=[round_.pk])
    return [
        Progress(
            source=source,
            indicators=per_source.get(source.value, 0),
            entered=entered.get(source.value, 0),
            expected=members * per_source.get(source.value, 0),
            url=f"{grid}?source={source.value}",
        )
        for source in Source
        if per_source.get(source.value)
    ]


def _round_page(request: HttpRequest, user: User, round_: Round) -> HttpResponse:
    allowed = allowed_actions(ROUND_ACTIONS, user, round_)
    counts = office_rounds(user).get(pk=round_.pk)  # its deductions and appeals counted
    context = {
        "round": round_,
        "statuses": RoundStatus.choices,
        "moves": [name for name in MOVES if name in allowed and name not in PUBLIC_MOVES],
        "public_move": next((name for name in PUBLIC_MOVES if name in allowed), ""),
        "public_url": reverse("public:round-ranking", args=[round_.pk]),
        "may_score": "enter_scores" in allowed,
        "may_deduct": "record_deduction" in allowed,
        "progress": _progress(round_),
        "counts": counts,
        "links": {
            "import": reverse("assessments:score-import", args=[round_.pk]),
            "appeals": f"{reverse('assessments:appeal-queue')}?round={round_.pk}",
            "ranking": reverse("assessments:round-ranking", args=[round_.pk]),
            "daily": reverse("assessments:round-daily", args=[round_.pk]),
            "survey": reverse("assessments:survey-manage", args=[round_.pk]),
        },
    }
    return render(request, "assessments/office_round.html", context)


@login_required
@require_GET
def round_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A round: its status with the moves the caller may make, scoring progress per source,
    and the way to its grid, deductions, import, appeals and ranking."""
    user = office_user(request)
    return _round_page(request, user, office_round(user, pk))


@login_required
@require_POST
def round_move_view(request: HttpRequest, pk: int, move: str) -> HttpResponse:
    """Open scoring, end scoring, publish (confirmed) or archive, through the services; a
    refusal comes back as a message in words."""
    user = office_user(request)
    round_ = office_round(user, pk)
    if move not in MOVES:
        raise Http404(_("No such move of a round."))
    refuse_unless(ROUND_ACTIONS, move, user, round_)
    if move == "publish" and request.POST.get("confirm") != "yes":
        messages.error(request, _("Confirm the publication first: it cannot be undone."))
        return redirect("assessments:round-detail", pk=pk)
    try:
        round_ = MOVES[move](round_=round_, actor=user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        if move in PUBLIC_MOVES:
            done = (
                _("The round is shown on the public ranking once published.")
                if round_.public
                else _("The round is no longer shown on the public ranking.")
            )
        else:
            done = _("The round is now %(status)s.") % {"status": round_.get_status_display()}
        messages.success(request, done)
    return redirect("assessments:round-detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def round_create_view(request: HttpRequest) -> HttpResponse:
    """A new draft round under the scheme named by ``?scheme=``."""
    user = office_user(request)
    scheme_id = request.GET.get("scheme", "")
    if not (scheme_id.isascii() and scheme_id.isdigit()):
        raise Http404(_("Open a new round from its scheme's page."))
    scheme = _scheme(user, int(scheme_id))
    form = RoundForm(request.POST or None, initial={"kind": "quarterly"})
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_create(scheme=scheme, actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Round created as a draft. Open scoring when ready."))
            return redirect("assessments:round-detail", pk=round_.pk)
    return render(
        request,
        "assessments/office_round_form.html",
        {"scheme": scheme, "form": form},
        status=422 if request.method == "POST" else 200,
    )


# --- the score grid ---------------------------------------------------------------------------
@dataclass
class Cell:
    """One unit's score on one indicator in the grid."""

    indicator: Indicator
    entry: ScoreEntry | None
    field: Any  # the bound form field, when typed in and the round is being scored


@dataclass
class GridRow:
    """One unit of the grid."""

    member: CategoryMember
    cells: list[Cell]


#: Most units on one page of the grid.
GRID_ROWS = 50


def _grid_rows(indicators: list[Indicator]) -> int:
    """Units per page of the grid: at most GRID_ROWS, and few enough that a page's inputs
    stay under the number of fields Django accepts in one request."""
    typed = sum(1 for indicator in indicators if not indicator.metric) or 1
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS or 10**6
    return max(1, min(GRID_ROWS, (limit - 10) // typed))


def _grid_source(request: HttpRequest, round_: Round) -> str:
    asked = request.GET.get("source", "")
    if asked in Source.values:
        return asked
    present = set(
        Indicator.objects.filter(scheme_id=round_.scheme_id).values_list("source", flat=True)
    )
    return next((s for s in Source.values if s in present), Source.DAILY.value)


@login_required
@require_http_methods(["GET", "POST"])
def round_scores_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The score grid: the round's units (by category) × the indicators of one source. While
    the round is scored, the office types points in and saves the grid at once: every
    changed cell through :func:`services.scores_enter`, all or nothing. Indicators computed
    from the ledger are shown, not typed in. Queries are fixed whatever the number of units."""
    user = office_user(request)
    round_ = office_round(user, pk)
    source = _grid_source(request, round_)
    categories = list(UnitCategory.objects.filter(scheme_id=round_.scheme_id))
    category_id = request.GET.get("category", "")
    category = next((c for c in categories if str(c.pk) == category_id), None)
    members_qs = CategoryMember.objects.filter(scheme_id=round_.scheme_id)
    if category is not None:
        members_qs = members_qs.filter(category=category)
    indicators = list(
        Indicator.objects.filter(scheme_id=round_.scheme_id, source=source).order_by(
            "sort_order", "code"
        )
    )
    page = Paginator(
        members_qs.select_related("unit", "category").order_by("unit__path"),
        _grid_rows(indicators),
    ).get_page(request.GET.get("page"))
    members = list(page.object_list)
    unit_ids = [m.unit_id for m in members]
    entries = {
        (e.unit_id, e.indicator_id): e
        for e in ScoreEntry.objects.filter(
            round=round_, indicator__in=indicators, unit_id__in=unit_ids
        )
        .select_related("assessor")
        .annotate(evidence_count=Count("evidence"))
    }
    editable = rules.can_enter_scores(user, round_)
    form = ScoreGridForm(
        request.POST if request.method == "POST" else None,
        unit_ids=unit_ids,
        indicators=indicators,
        initial={
            "opened_at": timezone.now().isoformat(),
            **{cell_name(u, i): entry.points for (u, i), entry in entries.items()},
        },
    )
    status = 200
    if request.method == "POST":
        refuse_unless(ROUND_ACTIONS, "enter_scores", user, round_)
        saved = _save_grid(request, form, round_, user, members, indicators, entries)
        if saved is not None:
            return redirect(request.get_full_path())
        status = 422
    rows = [
        GridRow(
            member=m,
            cells=[
                Cell(
                    indicator=i,
                    entry=entries.get((m.unit_id, i.pk)),
                    field=form[cell_name(m.unit_id, i.pk)] if editable and not i.metric else None,
                )
                for i in indicators
            ],
        )
        for m in members
    ]
    context = {
        "round": round_,
        "source": source,
        "sources": Source.choices,
        "categories": categories,
        "category": category,
        "indicators": indicators,
        "rows": rows,
        "page": page,
        "form": form,
        "editable": editable,
        "import_url": reverse("assessments:score-import", args=[round_.pk]),
    }
    return render(request, "assessments/office_scores.html", context, status=status)


def _changed_since(entry: ScoreEntry | None, opened: Any, user: User) -> bool:
    """Whether someone else saved the score after the grid was opened."""
    return (
        entry is not None
        and opened is not None
        and entry.entered_at > opened
        and entry.assessor_id != user.pk
    )


def _changed_message(entry: Any) -> str:
    return _(
        "%(who)s saved %(points)s here after you opened this page; reload the page to see it "
        "before changing it."
    ) % {"who": entry.assessor or _("someone else"), "points": entry.points}


def _save_grid(
    request: HttpRequest,
    form: ScoreGridForm,
    round_: Round,
    user: User,
    members: list[CategoryMember],
    indicators: list[Indicator],
    entries: Mapping[tuple[int, int], ScoreEntry],
) -> int | None:
    """Enter the grid's changed cells at once; the number saved, or None when nothing was
    (the errors are on the form)."""
    form.is_valid()
    opened = form.cleaned_data.get("opened_at")
    changes = []
    for member in members:
        for indicator in indicators:
            name = cell_name(member.unit_id, indicator.pk)
            if name not in form.fields or name in form.errors:
                continue
            value = form.cleaned_data.get(name)
            entry = entries.get((member.unit_id, indicator.pk))
            if _changed_since(entry, opened, user) and (entry is None or entry.points != value):
                form.add_error(name, _changed_message(entry))
                continue
            if value is None:
                if entry is not None:
                    form.add_error(name, _("A score once entered is not cleared; enter 0 instead."))
                continue
            if entry is None or entry.points != value:
                comment = entry.comment if entry is not None else ""
                changes.append((member.unit, indicator, value, comment))
    if form.errors:
        form.add_error(None, _("Nothing was saved. Correct the marked cells and save again."))
        return None
    if not changes:
        messages.info(request, _("Nothing changed: no score was saved."))
        return 0
    try:
        saved = services.scores_enter(round_=round_, actor=user, entries=changes)
    except ValidationError as exc:
        form.add_error(None, exc.messages)
        return None
    messages.success(request, _("Scores saved: %(count)d.") % {"count": saved})
    return saved


# --- one score --------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def score_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One score: points, comment, assessor and evidence; while the round is scored the office
    corrects it and adds evidence (a score computed from the ledger is only shown)."""
    user = office_user(request)
    entries = ScoreEntry.objects.filter(
        round__in=Round.objects.filter(rules.manageable_rounds_q(user))
    )
    entry = cast(
        ScoreEntry,
        _one(
            entries.select_related(
                "round__scheme__campaign__owner_unit", "unit", "indicator", "assessor"
            ).prefetch_related("evidence"),
            pk,
            _("No such score under your office."),
        ),
    )
    editable = rules.can_enter_scores(user, entry.round) and not entry.indicator.metric
    posting = request.method == "POST"
    form = ScoreForm(
        request.POST if posting else None,
        request.FILES if posting else None,
        entry=entry,
        initial={
            "points": entry.points,
            "comment": entry.comment,
            "opened_at": timezone.now().isoformat(),
        },
    )
    if posting:
        refuse_unless(ROUND_ACTIONS, "enter_scores", user, entry.round)
        if form.is_valid() and _changed_since(entry, form.cleaned_data["opened_at"], user):
            form.add_error("points", _changed_message(entry))
        elif form.is_valid():
            try:
                services.score_update(
                    entry=entry,
                    actor=user,
                    points=form.cleaned_data["points"],
                    comment=form.cleaned_data["comment"],
                    files=form.cleaned_data["evidence"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, _("Score saved."))
                return redirect("assessments:score-detail", pk=pk)
    grid = reverse("assessments:round-scores", args=[entry.round_id])
    context = {
        "entry": entry,
        "round": entry.round,
        "form": form,
        "editable": editable,
        "formula": daily_formula(entry.indicator),
        "grid_url": f"{grid}?source={entry.indicator.source}",
    }
    return render(
        request,
        "assessments/office_score.html",
        context,
        status=422 if posting else 200,
    )


@login_required
@require_GET
def evidence_file_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """Download an evidence file (of a score, a deduction, an appeal or an honor-roll
    highlight): whoever may see what it backs (:func:`rules.can_view_evidence`)."""
    user = signed_in_user(request)
    stored = (
        EvidenceFile.objects.select_related(
            "score__round__scheme__campaign__owner_unit",
            "score__unit",
            "deduction__round__scheme__campaign__owner_unit",
            "deduction__unit",
            "appeal__deduction__round__scheme__campaign__owner_unit",
            "appeal__deduction__unit",
            "submission__roll__campaign__owner_unit",
            "submission__unit",
        )
        .filter(pk=pk)
        .first()
    )
    if stored is None or not rules.can_view_evidence(user, stored):
        raise Http404(_("No such file in your jurisdiction."))
    return stored_file_response(stored)


# --- deductions -------------------------------------------------------------------------------
@login_required
@require_GET
def round_deductions_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A round's deductions, filtered by unit, indicator, origin and status, paged."""
    user = office_user(request)
    round_ = office_round(user, pk)
    deductions = (
        Deduction.objects.filter(round=round_)
        .select_related("unit", "indicator", "notice", "item", "recorded_by")
        .prefetch_related(Prefetch("evidence", queryset=EvidenceFile.objects.order_by("pk")))
    )
    filterset = RoundDeductionFilterSet(request.GET, queryset=deductions, round_=round_)
    filterset.is_valid()
    for name in ("unit", "indicator", "origin", "status"):
        filterset.form.fields[name].widget.attrs["class"] = "form-select form-select-sm"
    filterset.form.fields["unit"].empty_label = _("All units")
    filterset.form.fields["indicator"].empty_label = _("All indicators")
    table = DeductionTable(filterset.qs, request=request)
    RequestConfig(request, paginate={"per_page": DEDUCTIONS_PER_PAGE}).configure(table)
    context = {
        "round": round_,
        "filter": filterset,
        "table": table,
        "may_deduct": rules.can_record_deduction(user, round_),
        "filtered": any(v for k, v in request.GET.items() if k not in ("page", "ordering")),
    }
    template = "assessments/office_deductions.html"
    if wants_partial(request, "deduction-results"):
        template += "#results"
    return render(request, template, context)


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


@login_required
@require_http_methods(["GET", "POST"])
def deduction_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a deduction in the round, with evidence; ``?notice=`` or ``?item=`` fills in the
    origin and the unit."""
    user = office_user(request)
    round_ = office_round(user, pk)
    if round_.status not in rules.DEDUCTING_STATUSES:
        raise PermissionDenied(
            _("Deductions are recorded while the round is scored or reviewed; it is %(status)s.")
            % {"status": round_.get_status_display()}
        )
    refuse_unless(ROUND_ACTIONS, "record_deduction", user, round_)
    campaign_id = round_.scheme.campaign_id
    units = Unit.objects.filter(
        pk__in=CategoryMember.objects.filter(scheme_id=round_.scheme_id).values("unit_id")
    ).order_by("path")
    notices = Notice.objects.filter(campaign_id=campaign_id, target_unit__in=units).select_related(
        "target_unit"
    )
    items = LedgerItem.objects.filter(ledger__campaign_id=campaign_id, unit__in=units)
    initial: dict[str, Any] = {}
    matter: Notice | LedgerItem | None = None
    notice_id, item_id = _int(request.GET.get("notice")), _int(request.GET.get("item"))
    if notice_id is not None:
        matter = notices.filter(pk=notice_id).first()
        if matter is not None:
            initial = {"notice": matter.pk, "unit": matter.target_unit_id, "origin": "notice"}
    elif item_id is not None:
        matter = items.select_related("unit").filter(pk=item_id).first()
        if matter is not None:
            initial = {"item": matter.pk, "unit": matter.unit_id, "origin": "overdue_item"}
    if (notice_id or item_id) and matter is None:
        raise Http404(_("No such notice or ledger item of an assessed unit in this campaign."))
    posting = request.method == "POST"
    # A GET offers only the matter's own notice or item (lists of a whole campaign are too
    # long to choose from); a POST is checked against every one of the campaign's.
    shown_notices = notices if posting else notices.filter(pk=notice_id or 0)
    shown_items = items if posting else items.select_related("unit").filter(pk=item_id or 0)
    form = DeductionForm(
        request.POST if posting else None,
        request.FILES if posting else None,
        units=units,
        indicators=Indicator.objects.filter(scheme_id=round_.scheme_id).order_by(
            "sort_order", "code"
        ),
        notices=shown_notices,
        items=shown_items,
        initial=initial,
    )
    if posting and form.is_valid():
        data = form.cleaned_data
        try:
            services.deduction_record_with_evidence(
                round_=round_,
                actor=user,
                unit=data["unit"],
                indicator=data["indicator"],
                points=data["points"],
                reason=data["reason"],
                origin=data["origin"],
                notice=data["notice"],
                item=data["item"],
                files=data["evidence"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Deduction recorded: %(unit)s −%(points)s.")
                % {"unit": data["unit"].name, "points": data["points"]},
            )
            return redirect("assessments:round-deductions", pk=round_.pk)
    context = {
        "round": round_,
        "form": form,
        "matter": matter,
        "origins": DeductionOrigin,
    }
    return render(
        request,
        "assessments/office_deduction_form.html",
        context,
        status=422 if posting else 200,
    )
