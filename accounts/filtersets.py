"""Filters for lists of units, shared by the API and the pages.

Tree filters (``ancestor``, ``parent``) compare materialised paths inside the list query:
the given unit's path is a subquery, so "everything under X" is one SQL statement at any
depth and costs no extra round trip. They narrow a list that is already scoped to the
caller, so naming a unit outside the jurisdiction reveals nothing about it.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, Subquery
from django.utils.translation import gettext_lazy as _

from .models import Unit, UnitQuerySet


def _path_of(unit_id: int) -> Subquery:
    return Subquery(Unit.objects.filter(pk=unit_id).order_by().values("path")[:1])


def _depth_of(unit_id: int) -> Subquery:
    return Subquery(Unit.objects.filter(pk=unit_id).order_by().values("depth")[:1])


class UnitFilterSet(django_filters.FilterSet):
    """Units by place in the tree, level, kind, assessment status and text."""

    ancestor = django_filters.NumberFilter(
        method="filter_ancestor",
        label=_("under unit"),
        help_text=_("Id of a unit: every unit below it, at any depth."),
    )
    parent = django_filters.NumberFilter(
        method="filter_parent",
        label=_("parent unit"),
        help_text=_("Id of a unit: its direct sub-units."),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("search"),
        help_text=_("Part of the full name, short name or code."),
    )

    class Meta:
        model = Unit
        fields = ["level", "kind", "under_special_assessment"]

    def filter_ancestor(self, queryset: UnitQuerySet, name: str, value: int) -> UnitQuerySet:
        """Units strictly below the given unit (its path is a prefix of theirs)."""
        return queryset.filter(path__startswith=_path_of(value)).exclude(pk=value)

    def filter_parent(self, queryset: UnitQuerySet, name: str, value: int) -> UnitQuerySet:
        """Direct children: below the given unit and exactly one level deeper."""
        return queryset.filter(path__startswith=_path_of(value), depth=_depth_of(value) + 1)

    def filter_search(self, queryset: UnitQuerySet, name: str, value: str) -> UnitQuerySet:
        """Units whose full name, short name or code contains the text."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(short_name__icontains=value) | Q(code__icontains=value)
        )
