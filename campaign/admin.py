"""Admin for campaigns and their parts, scoped to the user's jurisdiction."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import JurisdictionAdminMixin
from accounts.jurisdiction import jurisdiction_for

from .models import Campaign, CampaignPhase, ResponsibilityChain, SupervisionGroup, TaskForce


class CampaignPhaseInline(admin.TabularInline):
    """The four phases of a campaign, edited on the campaign page."""

    model = CampaignPhase
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Campaigns with their phases."""

    jurisdiction_field = "owner_unit"
    list_display = ("name", "year", "owner_unit", "status", "start_date", "end_date")
    list_filter = ("status", "year")
    search_fields = ("name", "owner_unit__name")
    autocomplete_fields = ["owner_unit"]
    inlines = [CampaignPhaseInline]
    list_select_related = ("owner_unit",)


class CampaignPartAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Parts of a campaign are managed by whoever manages the campaign's owner unit."""

    jurisdiction_field = "campaign__owner_unit"


@admin.register(TaskForce)
class TaskForceAdmin(CampaignPartAdmin):
    """Task forces, their areas, leaders and members."""

    list_display = ("name", "kind", "area", "leader", "campaign")
    list_filter = ("kind", "campaign")
    search_fields = ("name", "area", "leader__name")
    autocomplete_fields = ["leader", "member_units", "members"]
    list_select_related = ("leader", "campaign")


@admin.register(SupervisionGroup)
class SupervisionGroupAdmin(CampaignPartAdmin):
    """Supervision groups and the units each covers."""

    list_display = ("name", "kind", "leader", "campaign", "unit_count")
    list_filter = ("kind", "campaign")
    search_fields = ("name", "leader__name", "assigned_units__name")
    autocomplete_fields = ["leader", "members", "assigned_units"]
    list_select_related = ("leader", "campaign")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SupervisionGroup]:
        """Annotate the number of units covered for the list column."""
        from django.db.models import Count

        return super().get_queryset(request).annotate(_unit_count=Count("assigned_units"))

    @admin.display(description=_("units covered"), ordering="_unit_count")
    def unit_count(self, obj: Any) -> int:
        """How many units the group covers."""
        return obj._unit_count


class ResponsibilityChainForm(forms.ModelForm):
    """Checks the lead department is not also cooperating (a many-to-many rule)."""

    class Meta:
        model = ResponsibilityChain
        fields = [
            "campaign",
            "task_force",
            "subject",
            "unit",
            "principal_leader",
            "leader_in_charge",
            "lead_department",
            "cooperating_departments",
            "responsible_person",
        ]

    def clean(self) -> dict[str, Any]:
        """Validate the cooperating departments against the lead department."""
        data = super().clean() or {}
        ResponsibilityChain.validate_cooperating(
            data.get("lead_department"), list(data.get("cooperating_departments") or [])
        )
        return data


@admin.register(ResponsibilityChain)
class ResponsibilityChainAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Responsibility chains (两级五岗)."""

    form = ResponsibilityChainForm
    list_display = (
        "subject",
        "unit",
        "principal_leader",
        "leader_in_charge",
        "lead_department",
        "responsible_person",
        "task_force",
    )
    list_filter = ("campaign", "task_force", "unit__level")
    search_fields = (
        "subject",
        "lead_department__name",
        "principal_leader__name",
        "leader_in_charge__name",
        "responsible_person__name",
    )
    autocomplete_fields = [
        "unit",
        "principal_leader",
        "leader_in_charge",
        "lead_department",
        "cooperating_departments",
        "responsible_person",
        "task_force",
        "campaign",
    ]
    list_select_related = (
        "unit",
        "principal_leader",
        "leader_in_charge",
        "lead_department",
        "responsible_person",
        "task_force",
    )

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """Offer only units the user may manage."""
        if db_field.name in {"unit", "lead_department"}:
            kwargs["queryset"] = jurisdiction_for(request.user).units(manage=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
