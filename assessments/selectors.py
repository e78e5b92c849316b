"""Reads of assessments, scoped to the caller with :mod:`assessments.rules` and carrying
their joins and prefetches, so the pages, the API and the exports agree and a list costs
the same number of queries at any length. A ``*_detail`` raises ``DoesNotExist`` for a
record outside the caller's sight, which views answer with 404.
"""

from __future__ import annotations

import hashlib
import itertools
import math
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import (
    Avg,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit
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
    from accounts.models import User


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


#: Rows a ranking shows at once on screen: a category holding more is paged (the circular
#: and the Excel export always hold every row).
RANKING_PAGE_SIZE = 50
#: Rows of a paged category shown on the overview of every category, above the way to the rest.
RANKING_PREVIEW = 10
#: Names of a tier listed on screen.
TIER_PREVIEW = 20


class _Rows:
    """A ranking's result rows, read on first use (one query) and grouped by category: a
    published ranking seen whole is drawn from the cache and its rows are often never read
    (the page's tables come from the template cache, the API's body from the cache).

    ``preview``, when given, reads only the rows the overview shows (each category's first
    ones, one query) instead of every row."""

    def __init__(
        self,
        load: Callable[[], Iterable[Result]],
        preview: Callable[[], Iterable[Result]] | None = None,
    ) -> None:
        self._load = load
        self._preview = preview

    @cached_property
    def by_category(self) -> dict[int, tuple[Result, ...]]:
        """The rows of each category, by rank."""
        return _grouped(self._load())

    @cached_property
    def previews(self) -> dict[int, tuple[Result, ...]]:
        """Each category's first rows, by rank (at least those the overview shows)."""
        if self._preview is None:
            return {key: rows[:RANKING_PAGE_SIZE] for key, rows in self.by_category.items()}
        return _grouped(sorted(self._preview(), key=lambda r: (r.category_id, r.rank)))


def _grouped(results: Iterable[Result]) -> dict[int, tuple[Result, ...]]:
    grouped: dict[int, list[Result]] = {}
    for result in results:
        grouped.setdefault(result.category_id, []).append(result)
    return {category_id: tuple(rows) for category_id, rows in grouped.items()}


@dataclass(frozen=True)
class CategoryRanking:
    """One category's ranking: its results by rank, grade counts and tier lists."""

    id: int
    name: str
    #: How many units are ranked in the category, and how many have a standing deduction.
    assessed: int
    with_deductions: int
    grades: tuple[GradeCount, ...]
    tiers: tuple[TierList, ...]
    rows: _Rows = field(repr=False, compare=False)

    @property
    def results(self) -> tuple[Result, ...]:
        """The category's results by rank (read on first use)."""
        return self.rows.by_category.get(self.id, ())

    @property
    def paged(self) -> bool:
        """The category holds more than one page: the overview shows its first rows only."""
        return self.assessed > RANKING_PAGE_SIZE

    @property
    def preview(self) -> tuple[Result, ...]:
        """What the overview shows of the category: every row when they fit one page, else
        the first :data:`RANKING_PREVIEW` (read on first use, with the other categories')."""
        rows = self.rows.previews.get(self.id, ())
        return rows[:RANKING_PREVIEW] if self.paged else rows

    @property
    def pages(self) -> int:
        """How many pages the category's rows fill."""
        return max(1, math.ceil(self.assessed / RANKING_PAGE_SIZE))


@dataclass(frozen=True)
class Ranking:
    """A round's ranking as the caller may see it.

    ``assessed`` and ``with_deductions`` count the whole round (the headline figures, "共考核N
    家单位，其中M家存在扣分"); ``complete`` says whether the caller sees every result, and
    ``headline`` whether the headline may be shown (published figures are circulated to
    every unit; before that only to who sees every result). ``token`` names the cached
    snapshot a published ranking seen whole was drawn from (empty otherwise): the page's
    template cache and the API's cached body are keyed by it. ``scope`` names what of a
    published ranking the caller sees (the snapshot's token, and the jurisdiction's roots
    for who sees part of it; empty before publication): what the screen shows of it is the
    same for everyone with that scope, and the page's template cache is keyed by it.
    """

    round: Round
    categories: tuple[CategoryRanking, ...]
    grades: tuple[GradeCount, ...]
    assessed: int
    with_deductions: int
    visible: int
    token: str = ""
    scope: str = ""

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
    *, user: User | None, round_: Round, category: UnitCategory | None = None
) -> QuerySet[Result]:
    """A round's results the caller may see (:func:`rules.viewable_results_q`; every one for
    ``user=None``), category by category (in the scheme's order), by rank; one query, no
    joins needed to show them."""
    results = Result.objects.filter(round=round_)
    if user is not None:
        # The unit's path comes with the join the rules' filter makes: the caller's own
        # results are then found among the rows (:func:`own_results`) without a query.
        results = results.filter(rules.viewable_results_q(user)).annotate(unit_path=F("unit__path"))
    if category is not None:
        results = results.filter(category=category)
    return results.order_by("category__sort_order", "category_id", "rank")


def _categories(rows: Sequence[Result]) -> tuple[CategoryRanking, ...]:
    """Categories with their figures from the rows at hand (in category order, by rank)."""
    source = _Rows(lambda: rows)
    categories = []
    for category_id, group in itertools.groupby(rows, key=lambda r: r.category_id):
        results = tuple(group)
        categories.append(
            CategoryRanking(
                id=category_id,
                name=results[0].category_name,
                assessed=len(results),
                with_deductions=sum(1 for r in results if r.deduction_count),
                grades=grade_counts(results),
                tiers=_tiers(results),
                rows=source,
            )
        )
    return tuple(categories)


def round_ranking(*, user: User, round_: Round, category: UnitCategory | None = None) -> Ranking:
    """The round's ranking for the caller.

    A published (frozen) round is read from its cached snapshot (:func:`published_snapshot`):
    whoever sees every result gets the snapshot itself, with no query (its rows are read only
    if something draws them); anyone else one query for the results they see, the headline
    from the snapshot. A round not yet published takes two queries whatever the number of
    units: the visible results, and the whole round's headline counts.
    """
    if round_.frozen:
        snapshot = published_snapshot(round_)
        if sees_whole_snapshot(user, round_, snapshot):
            return snapshot.ranking(round_, category)
        rows = list(ranking_results(user=user, round_=round_, category=category))
        assessed, with_deductions = snapshot.headline(category)
        return Ranking(
            round=round_,
            categories=_categories(rows),
            grades=grade_counts(rows),
            assessed=assessed,
            with_deductions=with_deductions,
            visible=len(rows),
            scope=_part_scope(snapshot, user),
        )
    rows = list(ranking_results(user=user, round_=round_, category=category))
    figures = Result.objects.filter(round=round_)
    if category is not None:
        figures = figures.filter(category=category)
    totals = figures.aggregate(
        assessed=Count("pk"), with_deductions=Count("pk", filter=Q(deduction_count__gt=0))
    )
    return Ranking(
        round=round_,
        categories=_categories(rows),
        grades=grade_counts(rows),
        assessed=totals["assessed"],
        with_deductions=totals["with_deductions"],
        visible=len(rows),
    )


def _part_scope(snapshot: PublishedSnapshot, user: User) -> str:
    """What of a published round someone who does not see it whole sees, as a name: once a
    round is published, :func:`rules.viewable_results_q` gives whoever does not run it the
    results under their jurisdiction's roots (their own units lie under them too), so
    everyone with the same roots sees the same rows."""
    roots = "|".join(sorted(jurisdiction_for(user).view_roots))
    return f"{snapshot.token}:{hashlib.sha256(roots.encode()).hexdigest()[:24]}"


def ranking_units(ranking: Ranking, category: UnitCategory | None = None) -> list[tuple[int, str]]:
    """The units of the ranking the caller sees as (id, name), by name: the dashboard's
    choice of a unit's trend. One query for a published ranking seen whole (its rows are
    not otherwise read), none when the rows are at hand."""
    if ranking.token:
        pairs = ranking_results(user=None, round_=ranking.round, category=category).values_list(
            "unit_id", "unit_name"
        )
        return sorted(pairs, key=lambda pair: pair[1])
    return sorted({(r.unit_id, r.unit_name) for r in ranking.results}, key=lambda pair: pair[1])


def ranking_unit(ranking: Ranking, category: UnitCategory | None, pk: int | None) -> Unit | None:
    """The unit ``pk`` when it is ranked in what the caller sees of the ranking (the
    dashboard's choice of a unit's trend), else None; one query at most."""
    if pk is None:
        return None
    if ranking.token:
        ranked = ranking_results(user=None, round_=ranking.round, category=category)
        return Unit.objects.filter(pk=pk, pk__in=ranked.values("unit_id")).first()
    if any(result.unit_id == pk for result in ranking.results):
        return Unit.objects.filter(pk=pk).first()
    return None


def _preview_results(round_: Round, categories: Sequence[_CategoryFigures]) -> list[Result]:
    """The rows the overview shows of a published round seen whole: each category's first
    ones by rank (all of a category that fits one page), one query whatever the round's size
    (a UNION ALL of one short index scan per category)."""
    parts = [
        Result.objects.filter(round=round_, category_id=c.id).order_by("rank")[
            : RANKING_PREVIEW if c.assessed > RANKING_PAGE_SIZE else RANKING_PAGE_SIZE
        ]
        for c in categories
    ]
    if not parts:
        return []
    first, *rest = parts
    return list(first.union(*rest, all=True) if rest else first)


@dataclass(frozen=True)
class RankingPage:
    """One page of a category's ranking, by rank: ``number`` of ``count`` pages, each
    :data:`RANKING_PAGE_SIZE` rows; ``unit_id`` the unit asked for (found on this page)."""

    category: CategoryRanking
    number: int
    load: Callable[[], Sequence[Result]] = field(repr=False, compare=False)
    unit_id: int | None = None

    @property
    def count(self) -> int:
        """How many pages the category fills."""
        return self.category.pages

    @cached_property
    def results(self) -> tuple[Result, ...]:
        """The page's rows, by rank (read on first use: a page drawn from the template cache
        reads none)."""
        return tuple(self.load())

    @property
    def has_previous(self) -> bool:
        """There is a page before this one."""
        return self.number > 1

    @property
    def has_next(self) -> bool:
        """There is a page after this one."""
        return self.number < self.count

    @property
    def previous_number(self) -> int:
        """The number of the page before."""
        return self.number - 1

    @property
    def next_number(self) -> int:
        """The number of the page after."""
        return self.number + 1

    @property
    def first_position(self) -> int:
        """The place (from 1) of the page's first row in the category."""
        return (self.number - 1) * RANKING_PAGE_SIZE + 1

    @property
    def last_position(self) -> int:
        """The place of the page's last row in the category."""
        return min(self.number * RANKING_PAGE_SIZE, self.category.assessed)

    @property
    def numbers(self) -> list[int | None]:
        """The page numbers the pager offers: the first, the last and one either side of
        this one (one line on a phone), None where numbers are left out."""
        shown = sorted(
            {1, self.count, *range(max(1, self.number - 1), min(self.count, self.number + 1) + 1)}
        )
        numbers: list[int | None] = []
        for number in shown:
            if numbers and number - (numbers[-1] or 0) > 1:
                numbers.append(None)
            numbers.append(number)
        return numbers


def _position(ranking: Ranking, category: CategoryRanking, unit_id: int) -> int | None:
    """The place (from 0) of the unit's row among the category's rows the caller sees, None
    when it is not one of them; one query for a published ranking seen whole (the rows
    ranked above it counted on the ranking's unique index), none otherwise."""
    if not ranking.token:
        return next(
            (index for index, r in enumerate(category.results) if r.unit_id == unit_id), None
        )
    above = (
        Result.objects.filter(
            round_id=OuterRef("round_id"),
            category_id=OuterRef("category_id"),
            rank__lt=OuterRef("rank"),
        )
        .order_by()
        .values("round_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        Result.objects.filter(round=ranking.round, category_id=category.id, unit_id=unit_id)
        .annotate(above=Coalesce(Subquery(above), 0))
        .values_list("above", flat=True)
        .first()
    )


def ranking_page(
    ranking: Ranking,
    category_id: int | None,
    *,
    number: int | None = None,
    unit_id: int | None = None,
) -> RankingPage | None:
    """A page of one category of the ranking, as the caller sees it: page ``number`` (the
    first or last when out of range), or the page holding the unit ``unit_id`` when it is
    there; None when the caller sees no such category. Its rows are read on first use: one
    query for a published ranking seen whole (a short index scan), none otherwise."""
    category = next((c for c in ranking.categories if c.id == category_id), None)
    if category is None:
        return None
    found = None
    if unit_id is not None:
        position = _position(ranking, category, unit_id)
        if position is not None:
            number, found = position // RANKING_PAGE_SIZE + 1, unit_id
    number = min(max(number or 1, 1), category.pages)
    start = (number - 1) * RANKING_PAGE_SIZE
    end = start + RANKING_PAGE_SIZE

    def load() -> Sequence[Result]:
        if not ranking.token:
            return category.results[start:end]
        rows = Result.objects.filter(round=ranking.round, category_id=category.id)
        return list(rows.order_by("rank")[start:end])

    return RankingPage(category=category, number=number, load=load, unit_id=found)


def own_results(*, user: User, ranking: Ranking) -> list[Result]:
    """The results of the caller's own units (those they hold a post in) in the ranking:
    found among the rows at hand when the caller sees part of it, else one query; none for
    who holds no post. A unit always sees its own result (:func:`rules.viewable_results_q`),
    so no further filter is needed."""
    paths = set(jurisdiction_for(user).member_paths)
    if not paths:
        return []
    if not ranking.token:
        return [r for r in ranking.results if getattr(r, "unit_path", None) in paths]
    return list(
        Result.objects.filter(round=ranking.round, unit__path__in=paths).order_by(
            "category__sort_order", "category_id", "rank"
        )
    )


# --- the published ranking's cache ---------------------------------------------------------------
# Every leader opens the same ranking the morning a round is published. A published round is
# frozen (its results are snapshots, written once by round_publish), so what every reader who
# sees the whole round is shown is the same: it is read once and kept in the cache (Redis),
# keyed by the database and the round. What is kept is small: per category its name, counts,
# grade counts and tier lists, and the common prefix of the assessed units' paths (who sees
# every result is decided from it without a query). The rows themselves are not kept: the
# page keeps its rendered tables and the API its rendered body under the snapshot's token,
# and a reader who sees part of the round reads that part from the database (one query).
# The services that publish, archive, show or hide a round forget its snapshot
# (:func:`forget_published_ranking`), and with it everything keyed by its token.
RANKING_CACHE_SECONDS = 60 * 60


@dataclass(frozen=True)
class _CategoryFigures:
    id: int
    name: str
    assessed: int
    with_deductions: int
    grades: tuple[tuple[str, int], ...]
    tiers: tuple[TierList, ...]


@dataclass(frozen=True)
class PublishedSnapshot:
    """What the cache keeps of a published round's ranking (see above)."""

    token: str
    common_path: str
    categories: tuple[_CategoryFigures, ...]

    def headline(self, category: UnitCategory | None = None) -> tuple[int, int]:
        """Units assessed and how many have deductions: in the round, or in one category."""
        chosen = [c for c in self.categories if category is None or c.id == category.pk]
        return sum(c.assessed for c in chosen), sum(c.with_deductions for c in chosen)

    def ranking(self, round_: Round, category: UnitCategory | None = None) -> Ranking:
        """The whole ranking (or one category's) as who sees every result sees it; its rows
        are read only when something draws them."""
        chosen = [c for c in self.categories if category is None or c.id == category.pk]
        source = _Rows(
            lambda: ranking_results(user=None, round_=round_, category=category),
            preview=lambda: _preview_results(round_, chosen),
        )
        counts: Counter[str] = Counter()
        for c in chosen:
            counts.update(dict(c.grades))
        categories = tuple(
            CategoryRanking(
                id=c.id,
                name=c.name,
                assessed=c.assessed,
                with_deductions=c.with_deductions,
                grades=_grade_figures(dict(c.grades)),
                tiers=c.tiers,
                rows=source,
            )
            for c in chosen
        )
        assessed, with_deductions = self.headline(category)
        return Ranking(
            round=round_,
            categories=categories,
            grades=_grade_figures(counts),
            assessed=assessed,
            with_deductions=with_deductions,
            visible=assessed,
            token=self.token,
            scope=self.token,
        )


def _grade_figures(counts: Mapping[str, int]) -> tuple[GradeCount, ...]:
    # Labels are translated when read, never cached: the cache serves every language.
    return tuple(
        GradeCount(grade, str(label), counts.get(grade, 0))
        for grade, label in zip(Grade.values, Grade.labels, strict=True)
    )


def _snapshot_key(round_id: int) -> str:
    # The database's name keeps two databases on one Redis (tests, a copy) apart.
    return f"ranking:{connection.settings_dict['NAME']}:{round_id}"


def _common_path(paths: Sequence[str]) -> str:
    """The longest path every one of ``paths`` lies under (their common prefix, cut to whole
    steps of the unit tree's materialised path); empty when they share none."""
    if not paths:
        return ""
    low, high = min(paths), max(paths)
    size = 0
    while size < min(len(low), len(high)) and low[size] == high[size]:
        size += 1
    return low[: size - size % Unit.steplen]


def _build_snapshot(round_: Round) -> PublishedSnapshot:
    rows = (
        Result.objects.filter(round=round_)
        .order_by("category__sort_order", "category_id", "rank")
        .values_list(
            "category_id",
            "category_name",
            "grade",
            "tier",
            "unit_name",
            "deduction_count",
            "unit__path",
        )
    )
    categories: list[_CategoryFigures] = []
    paths: list[str] = []
    for category_id, group in itertools.groupby(rows, key=lambda row: row[0]):
        members = list(group)
        paths.extend(row[6] for row in members)
        tiers: dict[int, list[str]] = {}
        for row in members:
            tiers.setdefault(row[3], []).append(row[4])
        categories.append(
            _CategoryFigures(
                id=category_id,
                name=members[0][1],
                assessed=len(members),
                with_deductions=sum(1 for row in members if row[5]),
                grades=tuple(Counter(row[2] for row in members).items()),
                tiers=tuple(
                    TierList(t, tier_label(t), tuple(names)) for t, names in sorted(tiers.items())
                ),
            )
        )
    return PublishedSnapshot(
        token=uuid.uuid4().hex, common_path=_common_path(paths), categories=tuple(categories)
    )


def published_snapshot(round_: Round) -> PublishedSnapshot:
    """The published round's snapshot: from the cache, or read (one query) and kept. With
    Redis down every read is a miss and the page is drawn from the database."""
    key = _snapshot_key(round_.pk)
    snapshot: PublishedSnapshot | None = cache.get(key)
    if snapshot is None:
        snapshot = _build_snapshot(round_)
        cache.set(key, snapshot, RANKING_CACHE_SECONDS)
    return snapshot


def sees_whole_snapshot(user: User | None, round_: Round, snapshot: PublishedSnapshot) -> bool:
    """Whether the caller sees every result of the published round, decided without a query
    from what the rules already hold: the office over the round (and administrators), or
    someone whose jurisdiction covers every assessed unit (once a round is published,
    :func:`rules.viewable_results_q` is exactly that, for the office and for everyone else
    by the units' paths; ``test_ranking_cache`` checks the two agree)."""
    if user is None:
        return True
    if rules.can_manage_round(user, round_):
        return True
    if not snapshot.categories:
        return True
    return covers_snapshot(user, snapshot)


def covers_snapshot(user: User, snapshot: PublishedSnapshot) -> bool:
    """Whether the caller's jurisdiction holds every unit assessed in the published round's
    snapshot (so they see every result: :func:`sees_whole_snapshot`), with no query."""
    return any(snapshot.common_path.startswith(root) for root in jurisdiction_for(user).view_roots)


def kept_snapshot(round_id: int) -> PublishedSnapshot | None:
    """The published round's snapshot if the cache holds it; never read from the database."""
    found = cache.get(_snapshot_key(round_id))
    return found if isinstance(found, PublishedSnapshot) else None


def forget_published_ranking(round_id: int) -> None:
    """Drop the round's cached snapshot (and so the page's tables and the API's body kept
    under its token): called by the services that publish, archive, show or hide a round,
    at once and again once their transaction commits, so no reader keeps or refills what
    the transaction changed."""
    key = _snapshot_key(round_id)
    cache.delete(key)
    transaction.on_commit(lambda: cache.delete(key))


def api_body_key(ranking: Ranking, category: UnitCategory | None, language: str) -> str:
    """Where the API keeps the rendered body of a published ranking seen whole, gzipped."""
    return f"ranking-api-gz:{ranking.token}:{category.pk if category else 0}:{language}"


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
