"""The FilterSets of accountability measures and exemptions, shared by the pages, the API and
the Excel export. They narrow querysets the selectors have already scoped to the caller;
their choices are scoped to the caller too."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit, User
from accounts.selectors import user_list
from tasks_ledger.widgets import FastSelect

from . import rules
from .models import (
    AccountabilityMeasure,
    Exemption,
    ExemptionStatus,
    MeasureKind,
    Notice,
)


def _units(request: Any) -> QuerySet[Unit]:
    if request is None:
        return Unit.objects.none()
    return jurisdiction_for(request.user).units().order_by("path")


def _people(request: Any) -> QuerySet[User]:
    if request is None:
        return User.objects.none()
    return user_list(user=request.user)


def _notices(request: Any) -> QuerySet[Notice]:
    if request is None:
        return Notice.objects.none()
    return Notice.objects.filter(rules.viewable_notices_q(request.user))


class UnitAndBelowFilter(django_filters.ModelChoiceFilter):
    """A unit and every unit under it (path prefix, inside the same query)."""

    def filter(self, qs: QuerySet[Any], value: Unit | None) -> QuerySet[Any]:
        if value is None:
            return qs
        return qs.filter(unit__path__startswith=value.path)


class YearFilter(django_filters.NumberFilter):
    """A calendar year: a whole number a date can have (1 to 9999)."""

    field_class = forms.IntegerField


class MeasureFilterSet(django_filters.FilterSet):
    """Measures by kind, unit (and below), year of decision and person."""

    kind = django_filters.ChoiceFilter(choices=MeasureKind.choices, label=_("measure"))
    # FastSelect: at a province's office the units and the people are 5,000 options each,
    # drawn by a template apiece they took seconds (tasks_ledger/widgets.py).
    unit = UnitAndBelowFilter(queryset=_units, label=_("unit (and below)"), widget=FastSelect)
    year = YearFilter(
        field_name="decided_on", lookup_expr="year", label=_("year"), min_value=1, max_value=9999
    )
    person = django_filters.ModelChoiceFilter(
        queryset=_people, label=_("person"), widget=FastSelect
    )

    class Meta:
        model = AccountabilityMeasure
        fields: list[str] = []


class ExemptionFilterSet(django_filters.FilterSet):
    """Exemptions by status, unit (and below), notice and ledger item."""

    status = django_filters.ChoiceFilter(choices=ExemptionStatus.choices, label=_("status"))
    unit = UnitAndBelowFilter(queryset=_units, label=_("unit (and below)"))
    notice = django_filters.ModelChoiceFilter(queryset=_notices, label=_("notice"))
    item = django_filters.NumberFilter(field_name="item", label=_("ledger item"))

    class Meta:
        model = Exemption
        fields: list[str] = []
