"""The unit's side of assessments and the appeals: a unit's rounds and results, one round's
scores, deductions and daily formula with its figures, a deduction with its origin, appeals
and history, filing an appeal, the office's appeal queue and decision, and the office's
button that computes the daily scores from the ledger.

Views are thin: they read through :mod:`assessments.selectors` and :mod:`assessments.rules`,
ask :mod:`assessments.actions` before a write (a 403 with the rule's reason for someone who
may not act), call one service and render. What the caller may not see is a 404 in words.
A service's refusal of the input comes back on the form (422) and nothing is saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
    prefetch_related_objects,
)
from django.forms import ChoiceField
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accountability import rules as accountability_rules
from accountability.measure_forms import add_service_errors
from accountability.measure_views import notice_url
from accounts.history import scope_of
from accounts.models import Unit, User
from accounts.tables import history_preview
from accounts.views import history_page, signed_in_user
from tasks_ledger import rules as ledger_rules
from tasks_ledger.views import error_text

from . import rules, selectors, services
from .actions import (
    APPEAL_ACTIONS,
    DEDUCTION_ACTIONS,
    ROUND_ACTIONS,
    allowed_actions,
    refuse_unless,
)
from .daily import cutoff_text, daily_figures, daily_formula, daily_scores_compute
from .filtersets import AppealFilterSet
from .models import (
    Appeal,
    AppealStatus,
    CategoryMember,
    Deduction,
    DeductionStatus,
    Indicator,
    Result,
    Round,
    RoundStatus,
    ScoreEntry,
    Source,
)
from .unit_forms import AppealDecisionForm, AppealForm

PER_PAGE = 25


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


# --- the office's button: daily scores from the ledger -----------------------------------------
@login_required
@require_POST
def round_daily_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The office computes the round's daily scores from every unit's ledger record; back to
    the round's page with what changed (or why it was refused)."""
    user = signed_in_user(request)
    try:
        round_ = selectors.round_detail(user=user, pk=pk)
    except Round.DoesNotExist as exc:
        raise Http404(_("No such assessment round in your jurisdiction.")) from exc
    refuse_unless(ROUND_ACTIONS, "enter_scores", user, round_)
    try:
        changed = daily_scores_compute(round_=round_, actor=user)
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("Daily scores computed from the ledgers: %(count)d scores new or changed.")
            % {"count": changed},
        )
    if rules.can_manage_round(user, round_):
        return redirect("assessments:round-detail", pk=round_.pk)
    return redirect("assessments:my-results")


# --- the unit's rounds and results ---------------------------------------------------------------
def _my_units(user: User) -> QuerySet[Unit]:
    """Units the user answers for (a post in the unit or above it) that are assessed in some
    scheme: the choices of the unit picker."""
    return (
        Unit.objects.filter(accountability_rules.applicable_units_q(user))
        .filter(pk__in=CategoryMember.objects.values("unit_id"))
        .order_by("path")
    )


def _picked_unit(request: HttpRequest, units: QuerySet[Unit]) -> Unit | None:
    """The unit named by ``?unit=`` among ``units`` (404 for another), else the first."""
    wanted = request.GET.get("unit")
    if wanted:
        unit = units.filter(pk=_int(wanted) or 0).first()
        if unit is None:
            raise Http404(_("No such unit among the units you answer for."))
        return unit
    return units.first()


def _unit_rounds(user: User, unit: Unit) -> list[Round]:
    """The rounds (not drafts) of the schemes assessing ``unit`` that the user may see the
    unit's scores in, latest first."""
    rounds = (
        Round.objects.filter(
            scheme__in=CategoryMember.objects.filter(unit=unit).values("scheme_id")
        )
        .exclude(status=RoundStatus.DRAFT)
        .select_related("scheme__campaign__owner_unit")
        .order_by("-period_start", "-pk")
    )
    return [r for r in rounds if rules.can_view_score(user, r, unit)]


@dataclass
class RoundLine:
    """One round on the unit's page: its result once published, its deductions."""

    round: Round
    result: Result | None
    standing: int = 0
    reversed: int = 0
    pending: int = 0
    window_open: bool = False


@login_required
@require_GET
def my_results_view(request: HttpRequest) -> HttpResponse:
    """The rounds of the unit the user answers for (a picker when several), each with its
    result once published and its deductions and appeals counted."""
    user = signed_in_user(request)
    units = _my_units(user)
    unit = _picked_unit(request, units)
    lines: list[RoundLine] = []
    if unit is not None:
        rounds = _unit_rounds(user, unit)
        frozen = [r.pk for r in rounds if r.frozen]
        results = {r.round_id: r for r in Result.objects.filter(round_id__in=frozen, unit=unit)}
        counts: dict[int, dict[str, Any]] = {
            row["round_id"]: dict(row)
            for row in Deduction.objects.filter(round__in=rounds, unit=unit)
            .values("round_id")
            .annotate(
                standing=Count("pk", filter=Q(status=DeductionStatus.STANDING), distinct=True),
                reversed=Count("pk", filter=Q(status=DeductionStatus.REVERSED), distinct=True),
                pending=Count("appeals", filter=Q(appeals__status=AppealStatus.PENDING)),
            )
        }
        today = timezone.localdate()
        for round_ in rounds:
            row = counts.get(round_.pk, {})
            lines.append(
                RoundLine(
                    round=round_,
                    result=results.get(round_.pk),
                    standing=row.get("standing", 0),
                    reversed=row.get("reversed", 0),
                    pending=row.get("pending", 0),
                    window_open=rules.appeal_window_open(round_, today),
                )
            )
    context = {"units": list(units[:200]), "unit": unit, "lines": lines}
    return render(request, "assessments/unit_results.html", context)


@dataclass
class IndicatorLine:
    """One indicator of the unit's round: the score entered, the standing deductions on it."""

    indicator: Indicator
    score: ScoreEntry | None
    deducted: Decimal = Decimal(0)

    @property
    def net(self) -> Decimal | None:
        """Points after standing deductions (at most the maximum, at least 0), as results
        count them; None before a score is entered."""
        if self.score is None:
            return None
        points = min(self.score.points, self.indicator.max_points)
        return max(points - self.deducted, Decimal(0))


@dataclass
class SourceBlock:
    """A source's indicators with the weight it carries."""

    source: str
    label: str
    weight: Decimal
    lines: list[IndicatorLine] = field(default_factory=list)
    subtotal: Decimal | None = None


@dataclass
class DailyBlock:
    """A computed daily indicator: its formula, the figures and the points (live while the
    round is open; as recorded with the score once it is frozen)."""

    indicator: Indicator
    formula: str
    text: str
    points: Decimal | None


def _round_unit(request: HttpRequest, user: User, round_: Round) -> Unit:
    """The unit of the page: ``?unit=`` when the user may see its scores in the round, else
    the first of the user's units assessed in the round's scheme; 404 in words otherwise."""
    wanted = _int(request.GET.get("unit"))
    assessed = CategoryMember.objects.filter(scheme_id=round_.scheme_id)
    if wanted is not None:
        unit = Unit.objects.filter(pk=wanted, pk__in=assessed.values("unit_id")).first()
    else:
        unit = _my_units(user).filter(pk__in=assessed.values("unit_id")).first()
    if unit is None or not rules.can_view_score(user, round_, unit):
        raise Http404(_("No such assessment of a unit in your jurisdiction."))
    return unit


def _daily_blocks(round_: Round, unit: Unit, scores: dict[int, ScoreEntry]) -> list[DailyBlock]:
    computed = [i for i in round_.scheme.indicators.all() if i.metric]
    if not computed:
        return []
    if round_.frozen or round_.status == RoundStatus.REVIEW:
        # Scoring is over: the figures are the ones recorded with the score.
        return [
            DailyBlock(
                indicator,
                daily_formula(indicator),
                scores[indicator.pk].comment if indicator.pk in scores else "",
                scores[indicator.pk].points if indicator.pk in scores else None,
            )
            for indicator in computed
        ]
    return [
        DailyBlock(f.indicator, f.formula, f.text, f.points) for f in daily_figures(round_, unit)
    ]


@login_required
@require_GET
def unit_round_view(request: HttpRequest, round_pk: int) -> HttpResponse:
    """A unit's round: before publication its own scores and deductions only; once published
    also its subtotals, total, grade, rank, tier and movement; the daily formula with its
    figures; each deduction with its reason and, while the window is open, the appeal."""
    user = signed_in_user(request)
    round_ = (
        Round.objects.select_related("scheme__campaign__owner_unit")
        .exclude(status=RoundStatus.DRAFT)
        .filter(pk=round_pk)
        .first()
    )
    if round_ is None:
        raise Http404(_("No such assessment round in your jurisdiction."))
    unit = _round_unit(request, user, round_)
    scheme = round_.scheme
    scheme_members = Q(pk__in=CategoryMember.objects.filter(scheme_id=scheme.pk).values("unit_id"))
    indicators = list(scheme.indicators.all())
    scores = {
        s.indicator_id: s
        for s in ScoreEntry.objects.filter(round=round_, unit=unit).filter(
            rules.viewable_scores_q(user)
        )
    }
    deductions = list(selectors.unit_round_deductions(user=user, round_=round_, unit=unit))
    cut: dict[int, Decimal] = {}
    for d in deductions:
        if d.status == DeductionStatus.STANDING:
            cut[d.indicator_id] = cut.get(d.indicator_id, Decimal(0)) + d.points
    result = Result.objects.filter(round=round_, unit=unit).first() if round_.frozen else None
    blocks = []
    for source in Source:
        lines = [
            IndicatorLine(i, scores.get(i.pk), cut.get(i.pk, Decimal(0)))
            for i in indicators
            if i.source == source
        ]
        if lines:
            blocks.append(
                SourceBlock(
                    source.value,
                    str(source.label),
                    scheme.weight_of(source),
                    lines,
                    getattr(result, source.value) if result else None,
                )
            )
    context = {
        "round": round_,
        "unit": unit,
        "units": [
            u
            for u in _my_units(user).filter(scheme_members)
            if u.pk != unit.pk and rules.can_view_score(user, round_, u)
        ][:50],
        "result": result,
        "blocks": blocks,
        "daily": _daily_blocks(round_, unit, scores),
        "daily_period": cutoff_text(round_),
        "deductions": deductions,
        "window_open": rules.appeal_window_open(round_),
    }
    return render(request, "assessments/unit_round.html", context)


# --- a deduction ----------------------------------------------------------------------------------
def _visible_deduction(user: User, pk: int) -> Deduction:
    try:
        return selectors.deduction_detail(user=user, pk=pk)
    except Deduction.DoesNotExist as exc:
        raise Http404(_("No such deduction in your jurisdiction.")) from exc


def why_no_appeal(deduction: Deduction) -> str:
    """Why the deduction cannot be appealed now, in words ("" when it can)."""
    round_ = deduction.round
    if deduction.status != DeductionStatus.STANDING:
        return _("The deduction has been reversed already.")
    if any(a.status == AppealStatus.PENDING for a in deduction.appeals.all()):
        return _("This deduction already has an appeal awaiting a decision.")
    if round_.status != RoundStatus.REVIEW or round_.appeal_until is None:
        return _("Appeals are filed while the round is under review.")
    if timezone.localdate() > round_.appeal_until:
        return _("Appeals closed on %(date)s.") % {
            "date": date_format(round_.appeal_until, "DATE_FORMAT")
        }
    return ""


def _history(user: User, record: Deduction | Appeal, deduction: Deduction) -> Any:
    """The latest changes of ``record`` (and what points at it), with the way to all the
    changes of its deduction."""
    return history_preview(
        scope_of(record),
        reader_id=user.pk,
        full_url=reverse("assessments:deduction-history", args=[deduction.pk]),
    )


def _origin_link(user: User, deduction: Deduction) -> str:
    if deduction.notice is not None and accountability_rules.can_view_notice(
        user, deduction.notice
    ):
        return notice_url(deduction.notice.pk)
    if deduction.item is not None and ledger_rules.can_view_item(user, deduction.item):
        return reverse("ledger:item-detail", args=[deduction.item.pk])
    return ""


@login_required
@require_GET
def deduction_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A deduction: reason, evidence, origin (linked to its notice or ledger item), its
    appeals with their decisions, its history, and the appeal button while it may be filed."""
    user = signed_in_user(request)
    deduction = _visible_deduction(user, pk)
    may_appeal = "appeal" in allowed_actions(DEDUCTION_ACTIONS, user, deduction)
    appeals = list(deduction.appeals.all())
    prefetch_related_objects(appeals, "evidence", "filed_by", "decided_by")
    context = {
        "deduction": deduction,
        "origin_link": _origin_link(user, deduction),
        "appeals": appeals,
        "may_appeal": may_appeal,
        "no_appeal": "" if may_appeal else why_no_appeal(deduction),
        "on_unit_side": rules.can_view_score(user, deduction.round, deduction.unit),
        "history": _history(user, deduction, deduction),
    }
    return render(request, "assessments/unit_deduction.html", context)


@login_required
@require_GET
def deduction_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Every change of a deduction and of what points at it (its appeals, its evidence)."""
    user = signed_in_user(request)
    deduction = _visible_deduction(user, pk)
    name = f"{deduction.indicator} −{deduction.points}"
    return history_page(
        request,
        scope=scope_of(deduction),
        heading=_("History of %(name)s") % {"name": name},
        crumbs=[
            (_("My assessment results"), reverse("assessments:my-results")),
            (name, reverse("assessments:deduction-detail", args=[deduction.pk])),
        ],
    )


# --- filing an appeal -----------------------------------------------------------------------------
@transaction.atomic
@login_required
@require_http_methods(["GET", "POST"])
def appeal_create_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The unit appeals a deduction, with reasons and evidence, while the window is open."""
    user = signed_in_user(request)
    deduction = _visible_deduction(user, pk)
    refuse_unless(DEDUCTION_ACTIONS, "appeal", user, deduction)
    if request.method == "GET" and "appeal" not in allowed_actions(
        DEDUCTION_ACTIONS, user, deduction
    ):
        messages.warning(request, why_no_appeal(deduction))
        return redirect("assessments:deduction-detail", pk=pk)
    form = AppealForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appeal_file_with_evidence(
                deduction=deduction,
                actor=user,
                reasons=form.cleaned_data["reasons"],
                files=form.cleaned_data["evidence"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Appeal filed. The assessment office will decide; you will see it here."),
            )
            return redirect("assessments:deduction-detail", pk=pk)
    return render(
        request,
        "assessments/appeal_form.html",
        {"deduction": deduction, "form": form},
        status=422 if request.method == "POST" else 200,
    )


# --- the office's queue and decision --------------------------------------------------------------
@login_required
@require_GET
def appeal_queue_view(request: HttpRequest) -> HttpResponse:
    """Appeals the caller may see, pending first: the office's queue of decisions to take, a
    unit's own appeals; filtered by round, unit and status."""
    user = signed_in_user(request)
    appeals = selectors.appeal_list(user=user).annotate(
        waiting=Case(
            When(status=AppealStatus.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    )
    filterset = AppealFilterSet(request.GET, queryset=appeals, request=request)
    for name, form_field in filterset.form.fields.items():
        form_field.widget.attrs["class"] = "form-select form-select-sm"
        if isinstance(form_field, ChoiceField):
            form_field.empty_label = _("All")  # type: ignore[attr-defined]
            # The widget kept the declared field's choices ("---------"): give it this one's.
            form_field.widget.choices = form_field.choices
        form_field.widget.attrs["aria-label"] = str(form_field.label or name)
    rows = (
        filterset.qs.order_by("waiting", "-filed_at", "-pk")
        if filterset.is_valid()
        else (appeals.none())
    )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter": filterset,
        "page": page,
        "to_decide": Appeal.objects.filter(rules.decidable_appeals_q(user)).count()
        if rules.is_assessment_office(user)
        else 0,
        "query": query.urlencode(),
    }
    return render(request, "assessments/appeal_queue.html", context)


def _visible_appeal(user: User, pk: int) -> Appeal:
    try:
        return (
            selectors.appeal_list(user=user)
            .select_related("deduction__notice", "deduction__item")
            .prefetch_related("evidence", "deduction__evidence")
            .get(pk=pk)
        )
    except Appeal.DoesNotExist as exc:
        raise Http404(_("No such appeal in your jurisdiction.")) from exc


def _appeal_page(
    request: HttpRequest,
    user: User,
    appeal: Appeal,
    form: AppealDecisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    deduction = appeal.deduction
    context = {
        "appeal": appeal,
        "deduction": deduction,
        "origin_link": _origin_link(user, deduction),
        "may_decide": "decide" in allowed_actions(APPEAL_ACTIONS, user, appeal),
        "form": form or AppealDecisionForm(),
        "history": _history(user, appeal, deduction),
    }
    return render(request, "assessments/appeal_detail.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def appeal_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """An appeal: the deduction it is against, the unit's reasons and evidence, and the
    decision, or the office's form to take it (upheld reverses the deduction)."""
    user = signed_in_user(request)
    appeal = _visible_appeal(user, pk)
    if request.method == "GET":
        return _appeal_page(request, user, appeal)
    refuse_unless(APPEAL_ACTIONS, "decide", user, appeal)
    form = AppealDecisionForm(request.POST)
    if form.is_valid():
        try:
            services.appeal_decide(
                appeal=appeal, actor=user, upheld=form.upheld, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Appeal upheld: the deduction is reversed and no longer counts in the results.")
                if form.upheld
                else _("Appeal rejected: the deduction stands. The unit will see why."),
            )
            return redirect("assessments:appeal-detail", pk=pk)
    return _appeal_page(request, user, _visible_appeal(user, pk), form=form, status=422)
