"""Filters for lists of campaigns, task forces, supervision groups and chains.

Shared by the API and the pages. Filters narrow a list that a selector has already scoped
to the caller; choices that name a campaign are themselves scoped, so a caller cannot probe
for campaigns they do not take part in. Unit filters compare materialised paths inside the
list query (the unit's path is a subquery), one SQL statement at any depth.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Exists, F, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit
from campaign.selectors import campaign_list, chain_search_q

from .models import (
    Campaign,
    ResponsibilityChain,
    SupervisionGroup,
    SupervisionGroupUnit,
    TaskForce,
)


def _visible_campaigns(request: Any) -> QuerySet[Campaign]:
    """Campaign choices: those the caller takes part in (none without a request)."""
    if request is None:
        return Campaign.objects.none()
    return campaign_list(user=request.user)


def _path_of(unit_id: int) -> Subquery:
    return Subquery(Unit.objects.filter(pk=unit_id).order_by().values("path")[:1])


class CampaignFilterSet(django_filters.FilterSet):
    """Campaigns by year and status."""

    class Meta:
        model = Campaign
        fields = ["year", "status"]


class TaskForceFilterSet(django_filters.FilterSet):
    """Task forces by campaign and kind."""

    campaign = django_filters.ModelChoiceFilter(queryset=_visible_campaigns, label=_("campaign"))

    class Meta:
        model = TaskForce
        fields = ["campaign", "kind"]


class SupervisionGroupFilterSet(django_filters.FilterSet):
    """Supervision groups by campaign, kind and a unit they cover."""

    campaign = django_filters.ModelChoiceFilter(queryset=_visible_campaigns, label=_("campaign"))
    unit = django_filters.NumberFilter(
        method="filter_unit",
        label=_("covers unit"),
        help_text=_("Id of a unit: groups assigned to it or to a unit above it."),
    )

    class Meta:
        model = SupervisionGroup
        fields = ["campaign", "kind", "unit"]

    def filter_unit(
        self, queryset: QuerySet[SupervisionGroup], name: str, value: int
    ) -> QuerySet[SupervisionGroup]:
        """Groups covering the unit: an assigned unit's path is a prefix of the unit's path.

        A group assigned to a county covers its townships and departments too, as in
        :func:`accounts.jurisdiction.compute_jurisdiction`.
        """
        covering = SupervisionGroupUnit._default_manager.annotate(
            target_path=_path_of(value)
        ).filter(group_id=OuterRef("pk"), target_path__startswith=F("unit__path"))
        return queryset.filter(Exists(covering))


class ChainFilterSet(django_filters.FilterSet):
    """Responsibility chains by campaign, task force, unit (and below) and text."""

    campaign = django_filters.ModelChoiceFilter(queryset=_visible_campaigns, label=_("campaign"))
    task_force = django_filters.NumberFilter(field_name="task_force_id", label=_("task force"))
    unit = django_filters.NumberFilter(
        method="filter_unit",
        label=_("unit"),
        help_text=_("Id of a unit: chains of that unit and of the units under it."),
    )
    search = django_filters.CharFilter(
        method="filter_search",
        label=_("search"),
        help_text=_("Part of the subject, the lead department or a person's name."),
    )

    class Meta:
        model = ResponsibilityChain
        fields = ["campaign", "task_force", "unit"]

    def filter_unit(
        self, queryset: QuerySet[ResponsibilityChain], name: str, value: int
    ) -> QuerySet[ResponsibilityChain]:
        """Chains whose unit is the given unit or lies under it."""
        return queryset.filter(unit__path__startswith=_path_of(value))

    def filter_search(
        self, queryset: QuerySet[ResponsibilityChain], name: str, value: str
    ) -> QuerySet[ResponsibilityChain]:
        """Chains matching the text (subject, lead department, people)."""
        value = value.strip()
        return queryset.filter(chain_search_q(value)) if value else queryset
