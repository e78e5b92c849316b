"""Reads of assessments, scoped to the caller with :mod:`assessments.rules` and carrying
their joins and prefetches, so the pages, the API and the exports agree and a list costs
the same number of queries at any length. A ``*_detail`` raises ``DoesNotExist`` for a
record outside the caller's sight, which views answer with 404.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db.models import Avg, Count, Exists, Max, OuterRef, Prefetch, Q, QuerySet

from config.documents import chinese_number

from . import rules
from .models import (
    Appeal,
    Deduction,
    Grade,
    Indicator,
    Result,
    Round,
    Scheme,
    ScoreEntry,
    UnitCategory,
)

if TYPE_CHECKING:
    from accounts.models import Unit, User


# --- records as the API and the pages list them ------------------------------------------------
def scheme_list(*, user: User) -> QuerySet[Scheme]:
    """Schemes of the campaigns the caller takes part in, newest year first."""
    return (
        Scheme.objects.filter(rules.viewable_schemes_q(user))
        .select_related("campaign__owner_unit")
        .order_by("-year", "campaign_id", "pk")
    )


def scheme_detail(*, user: User, pk: int) -> Scheme:
    """One scheme with its groups, indicators, categories (with how many units each), grade
    bands and linkage rules."""
    return (
        scheme_list(user=user)
        .prefetch_related(
            "groups",
            Prefetch("indicators", queryset=Indicator.objects.select_related("group")),
            Prefetch(
                "categories",
                queryset=UnitCategory.objects.annotate(member_count=Count("members")),
            ),
            "bands",
            "linkages",
        )
        .get(pk=pk)
    )


def round_list(*, user: User) -> QuerySet[Round]:
    """Rounds of the schemes the caller may read, latest period first."""
    return (
        Round.objects.filter(rules.viewable_rounds_q(user))
        .select_related("scheme__campaign__owner_unit", "published_by")
        .order_by("-period_start", "-pk")
    )


def round_detail(*, user: User, pk: int) -> Round:
    """One round the caller may read."""
    return round_list(user=user).get(pk=pk)


def score_list(*, user: User) -> QuerySet[ScoreEntry]:
    """Scores the caller may see: a unit only its own before publication."""
    return (
        ScoreEntry.objects.filter(rules.viewable_scores_q(user))
        .select_related("round", "unit", "indicator", "assessor")
        .order_by("round_id", "unit__path", "indicator__sort_order", "indicator__code", "pk")
    )


def deduction_list(*, user: User) -> QuerySet[Deduction]:
    """Deductions the caller may see, newest first: a unit only its own before publication."""
    return (
        Deduction.objects.filter(rules.viewable_deductions_q(user))
        .select_related("round__scheme__campaign__owner_unit", "unit", "indicator", "recorded_by")
        .order_by("-recorded_at", "-pk")
    )


def deduction_detail(*, user: User, pk: int) -> Deduction:
    """One deduction with its evidence and its appeals."""
    return (
        deduction_list(user=user)
        .prefetch_related(
            "evidence", Prefetch("appeals", queryset=Appeal.objects.order_by("filed_at", "pk"))
        )
        .get(pk=pk)
    )


def appeal_list(*, user: User) -> QuerySet[Appeal]:
    """Appeals against deductions the caller may see, newest first."""
    return (
        Appeal.objects.filter(rules.viewable_appeals_q(user))
        .select_related(
            "deduction__round__scheme__campaign__owner_unit",
            "deduction__unit",
            "deduction__indicator",
            "filed_by",
            "decided_by",
        )
        .order_by("-filed_at", "-pk")
    )


def appeal_detail(*, user: User, pk: int) -> Appeal:
    """One appeal the caller may see, with its evidence."""
    return appeal_list(user=user).prefetch_related("evidence").get(pk=pk)


def result_list(*, user: User) -> QuerySet[Result]:
    """Results the caller may see, by round, category and rank."""
    return (
        Result.objects.filter(rules.viewable_results_q(user))
        .select_related("round", "unit", "category")
        .order_by("-round__period_start", "round_id", "category__sort_order", "category_id", "rank")
    )


# --- the unit's own pages (helper B2) -------------------------------------------------------------
def unit_round_deductions(*, user: User, round_: Round, unit: Unit) -> QuerySet[Deduction]:
    """The unit's deductions in a round that the caller may see, by indicator, newest first,
    each with ``appealable`` (the list form of :func:`rules.can_file_appeal`, so the page
    never shows an appeal button whose POST is refused) and its appeals, latest first."""
    appealable = Deduction.objects.filter(pk=OuterRef("pk")).filter(
        rules.appealable_deductions_q(user)
    )
    return (
        Deduction.objects.filter(rules.viewable_deductions_q(user), round=round_, unit=unit)
        .select_related("indicator", "notice", "item")
        .annotate(appealable=Exists(appealable))
        .prefetch_related(Prefetch("appeals", queryset=Appeal.objects.order_by("-filed_at", "-pk")))
        .order_by("indicator__sort_order", "indicator__code", "-recorded_at", "-pk")
    )


# --- publication: rankings, the circular, the export, the dashboard (helper C) ----------------
# One read of a round's results feeds the ranking page, the circular, the Excel export and the
# ranking API, so their figures agree to the point. Everything shown comes from the results'
# own columns, written when the round was computed and frozen at publication (the unit's and
# category's names included): renaming a unit, changing the weights or the bands afterwards
# changes nothing here.
@dataclass(frozen=True)
class GradeCount:
    """How many results have one grade."""

    grade: str
    label: str
    count: int


@dataclass(frozen=True)
class TierList:
    """The units of one tier (第一档, …) of a category, best ranked first."""

    tier: int
    label: str
    names: tuple[str, ...]

    @property
    def count(self) -> int:
        """How many units the tier holds."""
        return len(self.names)


@dataclass(frozen=True)
class CategoryRanking:
    """One category's ranking: its results by rank, grade counts and tier lists."""

    id: int
    name: str
    results: tuple[Result, ...]
    grades: tuple[GradeCount, ...]
    tiers: tuple[TierList, ...]

    @property
    def assessed(self) -> int:
        """How many units are ranked in the category."""
        return len(self.results)

    @property
    def with_deductions(self) -> int:
        """How many of them have a standing deduction."""
        return sum(1 for r in self.results if r.deduction_count)


@dataclass(frozen=True)
class Ranking:
    """A round's ranking as the caller may see it.

    ``assessed`` and ``with_deductions`` count the whole round (the headline figures, "共考核N
    家单位，其中M家存在扣分"); ``complete`` says whether the caller sees every result, and
    ``headline`` whether the headline may be shown (published figures are circulated to
    every unit; before that only to who sees every result).
    """

    round: Round
    categories: tuple[CategoryRanking, ...]
    grades: tuple[GradeCount, ...]
    assessed: int
    with_deductions: int
    visible: int

    @property
    def complete(self) -> bool:
        """The caller sees every result of the round."""
        return self.visible == self.assessed

    @property
    def headline(self) -> bool:
        """The round's headline figures are for the caller."""
        return self.assessed > 0 and (self.complete or self.round.frozen)

    @property
    def results(self) -> list[Result]:
        """Every visible result, category by category, by rank."""
        return [r for category in self.categories for r in category.results]


def tier_label(tier: int) -> str:
    """第一档, 第二档, … (as the circular and the ranking call tiers)."""
    return f"第{chinese_number(tier)}档"


def movement_text(movement: int | None) -> str:
    """↑2, ↓1, — for no change, empty when there is no previous round to compare."""
    if movement is None:
        return ""
    if movement > 0:
        return f"↑{movement}"
    if movement < 0:
        return f"↓{-movement}"
    return "—"


def grade_counts(results: Iterable[Result]) -> tuple[GradeCount, ...]:
    """How many of ``results`` have each grade, best grade first (every grade listed)."""
    counts = Counter(r.grade for r in results)
    return tuple(
        GradeCount(grade, str(label), counts.get(grade, 0))
        for grade, label in zip(Grade.values, Grade.labels, strict=True)
    )


def _tiers(results: Sequence[Result]) -> tuple[TierList, ...]:
    names: dict[int, list[str]] = {}
    for r in results:
        names.setdefault(r.tier, []).append(r.unit_name)
    return tuple(TierList(t, tier_label(t), tuple(n)) for t, n in sorted(names.items()))


def ranked_rounds(*, user: User) -> QuerySet[Round]:
    """Rounds with results the caller may see, latest period first (the dashboard's and the
    ranking API's choice of round)."""
    visible = Result.objects.filter(round=OuterRef("pk")).filter(rules.viewable_results_q(user))
    return (
        Round.objects.filter(Exists(visible))
        .select_related("scheme__campaign__owner_unit")
        .order_by("-period_start", "-pk")
    )


def ranking_results(
    *, user: User, round_: Round, category: UnitCategory | None = None
) -> QuerySet[Result]:
    """A round's results the caller may see (:func:`rules.viewable_results_q`), category by
    category (in the scheme's order), by rank; one query, no joins needed to show them."""
    results = Result.objects.filter(round=round_).filter(rules.viewable_results_q(user))
    if category is not None:
        results = results.filter(category=category)
    return results.order_by("category__sort_order", "category_id", "rank")


def round_ranking(*, user: User, round_: Round, category: UnitCategory | None = None) -> Ranking:
    """The round's ranking for the caller, in two queries whatever the number of units: the
    visible results, and the whole round's headline counts."""
    rows = list(ranking_results(user=user, round_=round_, category=category))
    figures = Result.objects.filter(round=round_)
    if category is not None:
        figures = figures.filter(category=category)
    totals = figures.aggregate(
        assessed=Count("pk"), with_deductions=Count("pk", filter=Q(deduction_count__gt=0))
    )
    categories = []
    for category_id, group in itertools.groupby(rows, key=lambda r: r.category_id):
        results = tuple(group)
        categories.append(
            CategoryRanking(
                id=category_id,
                name=results[0].category_name,
                results=results,
                grades=grade_counts(results),
                tiers=_tiers(results),
            )
        )
    return Ranking(
        round=round_,
        categories=tuple(categories),
        grades=grade_counts(rows),
        assessed=totals["assessed"],
        with_deductions=totals["with_deductions"],
        visible=len(rows),
    )


@dataclass(frozen=True)
class TrendPoint:
    """One round's figure in a trend: a unit's total, rank, tier and grade, or a category's
    average total over its units."""

    round_id: int
    title: str
    period_start: date
    category_id: int
    category_name: str
    total: Decimal
    count: int
    rank: int | None = None
    tier: int | None = None
    grade: str = ""


def ranking_trend(*, user: User, scheme: Scheme, unit: Unit | None = None) -> list[TrendPoint]:
    """Across the scheme's rounds, in period order: the unit's result in each (when ``unit``
    is given) or each category's average total, over the results the caller may see; one
    query."""
    results = Result.objects.filter(round__scheme=scheme).filter(rules.viewable_results_q(user))
    if unit is not None:
        rows = results.filter(unit=unit).order_by("round__period_start", "round_id")
        return [
            TrendPoint(
                round_id=r.round_id,
                title=r.round.title,
                period_start=r.round.period_start,
                category_id=r.category_id,
                category_name=r.category_name,
                total=r.total,
                count=1,
                rank=r.rank,
                tier=r.tier,
                grade=r.grade,
            )
            for r in rows.select_related("round")
        ]
    groups = (
        results.values("round_id", "round__title", "round__period_start", "category_id")
        .annotate(average=Avg("total"), count=Count("pk"), name=Max("category_name"))
        .order_by("round__period_start", "round_id", "category__sort_order", "category_id")
    )
    return [
        TrendPoint(
            round_id=g["round_id"],
            title=g["round__title"],
            period_start=g["round__period_start"],
            category_id=g["category_id"],
            category_name=g["name"],
            total=Decimal(g["average"]).quantize(Decimal("0.01")),
            count=g["count"],
        )
        for g in groups
    ]
