"""Reads of assessments, scoped to the caller with :mod:`assessments.rules` and carrying
their joins and prefetches, so the pages, the API and the exports agree and a list costs
the same number of queries at any length. A ``*_detail`` raises ``DoesNotExist`` for a
record outside the caller's sight, which views answer with 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, QuerySet

from . import rules
from .models import (
    Appeal,
    Deduction,
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
    """One appeal the caller may see."""
    return appeal_list(user=user).get(pk=pk)


def result_list(*, user: User) -> QuerySet[Result]:
    """Results the caller may see, by round, category and rank."""
    return (
        Result.objects.filter(rules.viewable_results_q(user))
        .select_related("round", "unit", "category")
        .order_by("-round__period_start", "round_id", "category__sort_order", "category_id", "rank")
    )
