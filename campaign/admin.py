"""Admin for campaigns and their parts, scoped to the user's jurisdiction."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import JurisdictionAdminMixin, ScopedTabularInline

from .models import (
    Campaign,
    CampaignPhase,
    ChainCooperation,
    ResponsibilityChain,
    SupervisionGroup,
    SupervisionGroupMember,
    SupervisionGroupUnit,
    TaskForce,
    TaskForceMember,
    TaskForceUnit,
)


def _link_inline(link_model: Any, target: str, label: Any) -> type[ScopedTabularInline]:
    """An inline editing one many-to-many link table (they have explicit, tracked tables)."""
    return type(
        f"{link_model.__name__}Inline",
        (ScopedTabularInline,),
        {
            "model": link_model,
            "extra": 0,
            "autocomplete_fields": [target],
            "verbose_name": label,
            "verbose_name_plural": label,
        },
    )


TaskForceUnitInline = _link_inline(TaskForceUnit, "unit", _("member units"))
TaskForceMemberInline = _link_inline(TaskForceMember, "user", _("members"))
SupervisionGroupUnitInline = _link_inline(SupervisionGroupUnit, "unit", _("assigned units"))
SupervisionGroupMemberInline = _link_inline(SupervisionGroupMember, "user", _("members"))


class CampaignPhaseInline(ScopedTabularInline):
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
    autocomplete_fields = ["leader"]
    inlines = [TaskForceUnitInline, TaskForceMemberInline]
    list_select_related = ("leader", "campaign")


@admin.register(SupervisionGroup)
class SupervisionGroupAdmin(CampaignPartAdmin):
    """Supervision groups and the units each covers."""

    list_display = ("name", "kind", "leader", "campaign", "unit_count")
    list_filter = ("kind", "campaign")
    search_fields = ("name", "leader__name", "assigned_units__name")
    autocomplete_fields = ["leader"]
    inlines = [SupervisionGroupUnitInline, SupervisionGroupMemberInline]
    list_select_related = ("leader", "campaign")

    def get_queryset(self, request: HttpRequest) -> QuerySet[SupervisionGroup]:
        """Annotate the number of units covered for the list column."""
        from django.db.models import Count

        return super().get_queryset(request).annotate(_unit_count=Count("assigned_units"))

    @admin.display(description=_("units covered"), ordering="_unit_count")
    def unit_count(self, obj: Any) -> int:
        """How many units the group covers."""
        return obj._unit_count


class ChainCooperationFormSet(forms.BaseInlineFormSet):
    """The lead department is not also a cooperating department (checked across the forms)."""

    def clean(self) -> None:
        """Validate the cooperating departments against the chain's lead department."""
        super().clean()
        units = [
            form.cleaned_data["unit"]
            for form in self.forms
            if form.cleaned_data.get("unit") and not form.cleaned_data.get("DELETE")
        ]
        lead = getattr(self.instance, "lead_department", None)
        try:
            ResponsibilityChain.validate_cooperating(lead, units)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["cooperating_departments"]) from exc


class ChainCooperationInline(ScopedTabularInline):
    """Cooperating departments of a chain."""

    model = ChainCooperation
    formset = ChainCooperationFormSet
    extra = 0
    autocomplete_fields = ["unit"]
    verbose_name = _("cooperating department")
    verbose_name_plural = _("cooperating departments")


@admin.register(ResponsibilityChain)
class ResponsibilityChainAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Responsibility chains (两级五岗)."""

    inlines = [ChainCooperationInline]
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
        "responsible_person",
        "task_force",
        "campaign",
        "parent",
    ]
    list_select_related = (
        "unit",
        "principal_leader",
        "leader_in_charge",
        "lead_department",
        "responsible_person",
        "task_force",
    )
