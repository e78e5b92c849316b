"""Admin for ledgers and their items, scoped to the user's jurisdiction like every view."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.admin import JurisdictionAdminMixin, ScopedTabularInline

from . import lights, services
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
    StatusChangeRequest,
)


@admin.register(LightPolicy)
class LightPolicyAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Traffic-light thresholds per campaign (officials tune them here)."""

    jurisdiction_field = "campaign__owner_unit"
    list_display = (
        "campaign",
        "near_deadline_days",
        "lag_tolerance_percent",
        "long_term_yellow_days",
        "long_term_red_days",
    )
    autocomplete_fields = ["campaign"]

    # Thresholds move every light of the campaign: the stored lights follow at once.
    def save_model(self, request: HttpRequest, obj: LightPolicy, form: Any, change: bool) -> None:
        """Save, then store the campaign's items' lights as the new thresholds give them."""
        super().save_model(request, obj, form, change)
        lights.lights_refresh(items=LedgerItem.objects.filter(ledger__campaign=obj.campaign_id))

    def delete_model(self, request: HttpRequest, obj: LightPolicy) -> None:
        """Delete, then store the campaign's lights under the default thresholds."""
        campaign = obj.campaign_id
        super().delete_model(request, obj)
        lights.lights_refresh(items=LedgerItem.objects.filter(ledger__campaign=campaign))

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        """Delete several, then store their campaigns' lights under the defaults."""
        campaigns = list(queryset.values_list("campaign_id", flat=True))
        super().delete_queryset(request, queryset)
        lights.lights_refresh(items=LedgerItem.objects.filter(ledger__campaign__in=campaigns))


@admin.register(Area)
class AreaAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Areas of work grouping ledgers."""

    jurisdiction_field = "campaign__owner_unit"
    list_display = ("name", "campaign", "sort_order")
    list_filter = ("campaign",)
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: Area, form: Any, change: bool) -> None:
        """Save, then store the area's sort order on its items (the list's default order)."""
        super().save_model(request, obj, form, change)
        lights.lights_refresh(items=LedgerItem.objects.filter(ledger__area=obj))


@admin.register(Ledger)
class LedgerAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Ledgers by area and kind."""

    jurisdiction_field = "owner_unit"
    list_display = ("title", "area", "kind", "owner_unit", "task_force", "campaign")
    list_filter = ("kind", "area", "campaign")
    search_fields = ("title", "owner_unit__name")
    autocomplete_fields = ["owner_unit", "task_force", "campaign"]
    list_select_related = ("area", "owner_unit", "task_force", "campaign")

    def save_model(self, request: HttpRequest, obj: Ledger, form: Any, change: bool) -> None:
        """Save, then store the (maybe new) area's sort order and lights on its items."""
        super().save_model(request, obj, form, change)
        lights.lights_refresh(items=LedgerItem.objects.filter(ledger=obj))


class MilestoneInline(ScopedTabularInline):
    """Milestones of an item."""

    model = Milestone
    extra = 0


class MeasureInline(ScopedTabularInline):
    """Measures of a hard problem or problem."""

    model = Measure
    extra = 0


@admin.register(LedgerItem)
class LedgerItemAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Ledger items: what an item is can be corrected here; where it stands (status,
    progress, deadline, latest report) moves only through reviewed reports, extensions and
    verified sign-offs on the pages, so it is read-only except to superusers. The version
    and sign-off fields are the services' alone."""

    # A new item needs its first deadline; after that only an approved extension moves it.
    service_fields = (
        "status",
        "progress",
        "deadline",
        "latest_report",
        "pending_progress",
        "signoff_pending",
    )
    service_fields_on_add = ("deadline",)

    list_display = ("code", "title", "ledger", "unit", "status", "progress", "deadline")
    list_filter = ("kind", "status", "ledger__area", "ledger")
    search_fields = ("code", "title", "unit__name", "measures")
    autocomplete_fields = ["unit", "chain", "ledger", "source_meeting"]
    # The review marks follow the waiting reports and requests: nobody sets them by hand.
    readonly_fields = (
        "version",
        "pending_progress",
        "signoff_pending",
        "signed_off_at",
        "signed_off_by",
        "created_at",
        "updated_at",
    )
    list_select_related = ("ledger", "unit")
    date_hierarchy = "deadline"
    inlines = [MilestoneInline, MeasureInline]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        """A new item's form asks the one creation service what it would refuse."""
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is not None:
            return form
        actor = request.user

        class NewItemForm(form):  # type: ignore[misc,valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                if "code" in self.fields:  # blank: the next free number, as on the pages
                    self.fields["code"].required = False
                    self.fields["code"].help_text = _("Leave blank for the next free number.")

            def clean(self) -> dict[str, Any]:
                data = super().clean()
                if self.errors:
                    return data
                try:
                    services.ledger_item_check(
                        actor=actor,  # type: ignore[arg-type]
                        ledger=data["ledger"],
                        spec=_spec(data),
                    )
                except PermissionDenied as exc:
                    raise ValidationError(str(exc)) from exc
                return data

        return NewItemForm

    def save_model(
        self, request: HttpRequest, obj: LedgerItem, form: ModelForm, change: bool
    ) -> None:
        """A new item is made by the creation service, as on the pages and the API; a
        changed one gets a new version, so a page or API edit made on a copy read before
        this one is refused as stale rather than overwriting it."""
        if not change:
            created = services.ledger_items_bulk_create(
                actor=request.user,  # type: ignore[arg-type]
                ledger=obj.ledger,
                specs=[_spec(form.cleaned_data)],
            )[0]
            obj.pk, obj.code, obj.version = created.pk, created.code, created.version
            obj._state.adding = False
            return
        if change and form.has_changed():
            obj.version = F("version") + 1
        super().save_model(request, obj, form, change)
        if change and form.has_changed():
            lights.lights_refresh(items=LedgerItem.objects.filter(pk=obj.pk))
            obj.refresh_from_db(fields=["version"])


def _spec(data: dict[str, Any]) -> services.NewItem:
    """The admin form's values as the creation service takes them."""
    allowed = services.ITEM_FIELDS | services.STATE_FIELDS
    return services.NewItem(
        unit=data["unit"],
        title=data["title"],
        start_date=data["start_date"],
        deadline=data["deadline"],
        code=data.get("code") or "",
        chain=data.get("chain"),
        source_meeting=data.get("source_meeting"),
        fields={
            name: value
            for name, value in data.items()
            if name in allowed and name not in ("chain", "title") and value not in (None, "")
        },
    )


class ItemPartAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Records hanging off an item are scoped by the item's unit.

    They are the workflow itself (reports, requests and their decisions, checked files):
    made and decided on the pages and the API through the services, only inspected here,
    except by superusers.
    """

    jurisdiction_field = "item__unit"
    inspection_only = True
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


@admin.register(StatusChangeRequest)
class StatusChangeRequestAdmin(ItemPartAdmin):
    """Requests to suspend, cancel or resume an item, and their decision."""

    list_display = ("item", "change", "status", "requested_by", "requested_at", "decided_by")
    list_filter = ("change", "status")
    search_fields = ("item__code", "item__title", "reason")
    raw_id_fields = ("item", "requested_by", "decided_by")


@admin.register(Evidence)
class EvidenceAdmin(ItemPartAdmin):
    """Evidence files (type and size were checked on upload)."""

    list_display = ("original_name", "item", "content_type", "size", "uploaded_by", "uploaded_at")
    search_fields = ("original_name", "item__code", "item__title")
    raw_id_fields = ("item", "report", "signoff", "uploaded_by")


class AttendanceInline(ScopedTabularInline):
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
    # The import page checks and applies the file; its job is only inspected here.
    inspection_only = True
    list_display = ("original_name", "ledger", "status", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("original_name", "ledger__title", "created_by__name")
    list_select_related = ("ledger", "created_by")

    def has_add_permission(self, request: Any) -> bool:
        """Imports start from the import page, which checks the file."""
        return False
