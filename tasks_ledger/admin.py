"""Admin for ledgers and their items, scoped to the user's jurisdiction like every view."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from accounts.admin import JurisdictionAdminMixin

from .models import (
    Area,
    Evidence,
    ExtensionRequest,
    ImportJob,
    Ledger,
    LedgerItem,
    LightPolicy,
    Measure,
    MeetingAttendance,
    Milestone,
    ProgressReport,
    ReviewMeeting,
    SignOffRequest,
)


@admin.register(LightPolicy)
class LightPolicyAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Traffic-light thresholds per campaign (officials tune them here)."""

    jurisdiction_field = "campaign__owner_unit"
    list_display = ("campaign", "near_deadline_days", "lag_tolerance_percent")
    autocomplete_fields = ["campaign"]


@admin.register(Area)
class AreaAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Areas of work grouping ledgers."""

    jurisdiction_field = "campaign__owner_unit"
    list_display = ("name", "campaign", "sort_order")
    list_filter = ("campaign",)
    search_fields = ("name",)


@admin.register(Ledger)
class LedgerAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Ledgers by area and kind."""

    jurisdiction_field = "owner_unit"
    list_display = ("title", "area", "kind", "owner_unit", "task_force", "campaign")
    list_filter = ("kind", "area", "campaign")
    search_fields = ("title", "owner_unit__name")
    autocomplete_fields = ["owner_unit", "task_force", "campaign"]
    list_select_related = ("area", "owner_unit", "task_force", "campaign")


class MilestoneInline(admin.TabularInline):
    """Milestones of an item."""

    model = Milestone
    extra = 0


class MeasureInline(admin.TabularInline):
    """Measures of a hard problem or problem."""

    model = Measure
    extra = 0


@admin.register(LedgerItem)
class LedgerItemAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Ledger items; the version and sign-off fields are kept by the services."""

    list_display = ("code", "title", "ledger", "unit", "status", "progress", "deadline")
    list_filter = ("kind", "status", "ledger__area", "ledger")
    search_fields = ("code", "title", "unit__name", "measures")
    autocomplete_fields = ["unit", "chain", "ledger", "source_meeting"]
    readonly_fields = ("version", "signed_off_at", "signed_off_by", "created_at", "updated_at")
    list_select_related = ("ledger", "unit")
    date_hierarchy = "deadline"
    inlines = [MilestoneInline, MeasureInline]


class ItemPartAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Records hanging off an item are scoped by the item's unit."""

    jurisdiction_field = "item__unit"
    list_select_related = ("item__unit",)


@admin.register(ProgressReport)
class ProgressReportAdmin(ItemPartAdmin):
    """Progress reports and their review."""

    list_display = ("item", "percent", "reporter", "created_at", "review_status")
    list_filter = ("review_status",)
    search_fields = ("item__code", "item__title", "text", "reporter__name")
    raw_id_fields = ("item", "reporter", "reviewed_by")


@admin.register(SignOffRequest)
class SignOffRequestAdmin(ItemPartAdmin):
    """Sign-off requests and their verification."""

    list_display = ("item", "requested_by", "requested_at", "status", "decided_by")
    list_filter = ("status",)
    search_fields = ("item__code", "item__title", "note")
    raw_id_fields = ("item", "requested_by", "decided_by")


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ItemPartAdmin):
    """Extension requests and their decision."""

    list_display = ("item", "old_deadline", "new_deadline", "status", "requested_by")
    list_filter = ("status",)
    search_fields = ("item__code", "item__title", "reason")
    raw_id_fields = ("item", "requested_by", "decided_by")


@admin.register(Evidence)
class EvidenceAdmin(ItemPartAdmin):
    """Evidence files (type and size were checked on upload)."""

    list_display = ("original_name", "item", "content_type", "size", "uploaded_by", "uploaded_at")
    search_fields = ("original_name", "item__code", "item__title")
    raw_id_fields = ("item", "report", "signoff", "uploaded_by")


class AttendanceInline(admin.TabularInline):
    """Units attending a meeting."""

    model = MeetingAttendance
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(ReviewMeeting)
class ReviewMeetingAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Review meetings; their decisions are ledger items."""

    jurisdiction_field = "host_unit"
    list_display = ("date", "title", "kind", "host_unit", "chair")
    list_filter = ("kind", "campaign")
    search_fields = ("title", "minutes")
    autocomplete_fields = ["host_unit", "chair", "campaign"]
    date_hierarchy = "date"
    inlines = [AttendanceInline]


@admin.register(ImportJob)
class ImportJobAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Excel imports: who uploaded what into which ledger, and how it went."""

    jurisdiction_field = "ledger__owner_unit"
    list_display = ("original_name", "ledger", "status", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("original_name", "ledger__title", "created_by__name")
    list_select_related = ("ledger", "created_by")

    def has_add_permission(self, request: Any) -> bool:
        """Imports start from the import page, which checks the file."""
        return False
