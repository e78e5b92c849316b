"""The FilterSets of assessment lists (schemes, rounds, scores, deductions, appeals, results).

Each narrows a queryset that :mod:`assessments.selectors` has already scoped to the caller;
its choices (schemes, rounds, units, indicators, categories) are scoped too, so an id out of
sight is refused as a choice that does not exist, like an id that does not exist.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit
from tasks_ledger.widgets import FastSelect

from . import rules
from .models import (
    Appeal,
    AppealStatus,
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    Grade,
    Indicator,
    Result,
    Round,
    RoundKind,
    RoundStatus,
    Scheme,
    SchemeStatus,
    ScoreEntry,
    Source,
    UnitCategory,
)


def _user(request: Any) -> Any:
    return None if request is None else request.user


def _schemes(request: Any) -> QuerySet[Scheme]:
    return Scheme.objects.filter(rules.viewable_schemes_q(_user(request))).order_by("pk")


def _rounds(request: Any) -> QuerySet[Round]:
    return Round.objects.filter(rules.viewable_rounds_q(_user(request))).order_by("pk")


def _units(request: Any) -> QuerySet[Unit]:
    return jurisdiction_for(_user(request)).units().order_by("path")


def _indicators(request: Any) -> QuerySet[Indicator]:
    return Indicator.objects.filter(scheme__in=_schemes(request).values("pk")).order_by("pk")


def _categories(request: Any) -> QuerySet[UnitCategory]:
    return UnitCategory.objects.filter(scheme__in=_schemes(request).values("pk")).order_by("pk")


def _round_filter(field_name: str = "round") -> django_filters.ModelChoiceFilter:
    return django_filters.ModelChoiceFilter(
        queryset=_rounds, field_name=field_name, label=_("round")
    )


def _unit_filter(field_name: str = "unit") -> django_filters.ModelChoiceFilter:
    # FastSelect: a province's office sees 5,000 units, drawn by a template apiece they took
    # seconds (the appeals queue 3.3 s; tasks_ledger/widgets.py). Same HTML.
    return django_filters.ModelChoiceFilter(
        queryset=_units, field_name=field_name, label=_("unit"), widget=FastSelect
    )


class SchemeFilterSet(django_filters.FilterSet):
    """Schemes by year and status."""

    year = django_filters.NumberFilter(label=_("year"), min_value=2000, max_value=2100)
    status = django_filters.ChoiceFilter(choices=SchemeStatus.choices, label=_("status"))

    class Meta:
        model = Scheme
        fields: list[str] = []


class RoundFilterSet(django_filters.FilterSet):
    """Rounds by scheme, status and kind."""

    scheme = django_filters.ModelChoiceFilter(queryset=_schemes, label=_("scheme"))
    status = django_filters.ChoiceFilter(choices=RoundStatus.choices, label=_("status"))
    kind = django_filters.ChoiceFilter(choices=RoundKind.choices, label=_("kind"))

    class Meta:
        model = Round
        fields: list[str] = []


class ScoreFilterSet(django_filters.FilterSet):
    """Scores by round, unit, indicator and source."""

    round = _round_filter()
    unit = _unit_filter()
    indicator = django_filters.ModelChoiceFilter(queryset=_indicators, label=_("indicator"))
    source = django_filters.ChoiceFilter(
        choices=Source.choices, field_name="indicator__source", label=_("source")
    )

    class Meta:
        model = ScoreEntry
        fields: list[str] = []


class DeductionFilterSet(django_filters.FilterSet):
    """Deductions by round, unit, origin and status."""

    round = _round_filter()
    unit = _unit_filter()
    origin = django_filters.ChoiceFilter(choices=DeductionOrigin.choices, label=_("origin"))
    status = django_filters.ChoiceFilter(choices=DeductionStatus.choices, label=_("status"))

    class Meta:
        model = Deduction
        fields: list[str] = []


class AppealFilterSet(django_filters.FilterSet):
    """Appeals by round, unit and status."""

    round = _round_filter("deduction__round")
    unit = _unit_filter("deduction__unit")
    status = django_filters.ChoiceFilter(choices=AppealStatus.choices, label=_("status"))

    class Meta:
        model = Appeal
        fields: list[str] = []


class ResultFilterSet(django_filters.FilterSet):
    """Results by round, category, grade, tier and unit; ordered by rank (the default) or
    by total."""

    round = _round_filter()
    category = django_filters.ModelChoiceFilter(queryset=_categories, label=_("category"))
    grade = django_filters.ChoiceFilter(choices=Grade.choices, label=_("grade"))
    tier = django_filters.NumberFilter(label=_("tier"), min_value=1, max_value=9)
    unit = _unit_filter()
    ordering = django_filters.OrderingFilter(
        fields=(("rank", "rank"), ("total", "total")), label=_("sort by")
    )

    class Meta:
        model = Result
        fields: list[str] = []


# --- the office's deductions page (helper B1) -------------------------------------------------
class RoundDeductionFilterSet(django_filters.FilterSet):
    """One round's deductions by unit, indicator, origin and status; the choices come from
    the round itself (its scheme's assessed units and indicators)."""

    unit = django_filters.ModelChoiceFilter(
        queryset=Unit.objects.none(), label=_("unit"), widget=FastSelect
    )
    indicator = django_filters.ModelChoiceFilter(
        queryset=Indicator.objects.none(), label=_("indicator")
    )
    origin = django_filters.ChoiceFilter(
        choices=DeductionOrigin.choices, label=_("origin"), empty_label=_("All origins")
    )
    status = django_filters.ChoiceFilter(
        choices=DeductionStatus.choices, label=_("status"), empty_label=_("All statuses")
    )

    class Meta:
        model = Deduction
        fields: list[str] = []

    def __init__(self, *args: Any, round_: Round, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from .models import CategoryMember

        members = CategoryMember.objects.filter(scheme_id=round_.scheme_id).values("unit_id")
        self.filters["unit"].queryset = Unit.objects.filter(pk__in=members).order_by("path")
        self.filters["indicator"].queryset = Indicator.objects.filter(
            scheme_id=round_.scheme_id
        ).order_by("sort_order", "code")
