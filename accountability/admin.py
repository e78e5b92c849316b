"""Admin for notices, accountability measures and exemptions: inspected here, scoped like
every view; written by the services.

Notices move through their lifecycle on the pages and the API (drafting, approval, issue,
signing for, replies and decisions, with their rules and their numbers), so the admin lets
non-superusers look, never add, change or delete.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _

from accounts.admin import JurisdictionAdminMixin, ScopedTabularInline
from accounts.models import User

from . import rules
from .escalation import queue_sweep
from .models import (
    AccountabilityMeasure,
    EscalationPolicy,
    Exemption,
    MeasureBasis,
    Notice,
    NoticeAttachment,
    NoticeKind,
    NoticePerson,
    SweepRun,
    SweepTrigger,
)


class NoticePersonInline(ScopedTabularInline):
    """The responsible people named on the notice."""

    model = NoticePerson
    extra = 0
    raw_id_fields = ("user",)


class NoticeAttachmentInline(ScopedTabularInline):
    """Files sent with the notice and evidence with the reply."""

    model = NoticeAttachment
    extra = 0
    raw_id_fields = ("uploaded_by",)


@admin.register(Notice)
class NoticeAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Notices within the user's jurisdiction that the notice rules let them see."""

    jurisdiction_field = "target_unit"
    inspection_only = True
    list_display = (
        "number",
        "kind",
        "status",
        "subject",
        "target_unit",
        "group",
        "reply_deadline",
        "issued_on",
    )
    list_filter = ("kind", "status", "campaign")
    search_fields = ("number", "subject_title", "item__title", "target_unit__name", "facts")
    list_select_related = ("target_unit", "group", "item")
    raw_id_fields = (
        "campaign",
        "group",
        "issuing_unit",
        "target_unit",
        "item",
        "escalated_from",
        "drafted_by",
        "approved_by",
        "issued_by",
        "signed_for_by",
        "replied_by",
        "closed_by",
    )
    readonly_fields = ("number", "number_year", "sequence")
    inlines = (NoticePersonInline, NoticeAttachmentInline)
    date_hierarchy = "reply_deadline"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Within the jurisdiction, and only what the notice rules let the user see (a
        group's draft stays with the group and the office)."""
        return (
            super().get_queryset(request).filter(rules.viewable_notices_q(cast(User, request.user)))
        )


class MeasureBasisInline(ScopedTabularInline):
    """The notices a measure cites."""

    model = MeasureBasis
    extra = 0
    raw_id_fields = ("notice",)


@admin.register(AccountabilityMeasure)
class AccountabilityMeasureAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Measures within the user's jurisdiction that the measure rules let them see; recorded
    by the service (which checks the office's right and the basis), inspected here."""

    jurisdiction_field = "unit"
    inspection_only = True
    list_display = ("kind", "person", "unit", "decided_on", "deciding_authority", "document_number")
    list_filter = ("kind", "campaign")
    search_fields = ("person__name", "unit__name", "document_number", "basis")
    list_select_related = ("person", "unit")
    raw_id_fields = ("campaign", "person", "unit", "created_by")
    inlines = (MeasureBasisInline,)
    date_hierarchy = "decided_on"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Within the jurisdiction, as the measure rules say."""
        return (
            super()
            .get_queryset(request)
            .filter(rules.viewable_measures_q(cast(User, request.user)))
        )


@admin.register(Exemption)
class ExemptionAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Exemption applications within the user's jurisdiction; applied for and decided through
    the services, inspected here."""

    jurisdiction_field = "unit"
    inspection_only = True
    list_display = ("__str__", "unit", "status", "applied_at", "decided_at")
    list_filter = ("status", "campaign")
    search_fields = ("unit__name", "reasons", "notice__number", "item__title")
    list_select_related = ("unit", "notice", "item")
    raw_id_fields = ("campaign", "unit", "notice", "item", "applied_by", "decided_by")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Within the jurisdiction, as the exemption rules say."""
        return (
            super()
            .get_queryset(request)
            .filter(rules.viewable_exemptions_q(cast(User, request.user)))
        )


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """How the daily sweep escalates in each campaign (the campaign's office tunes it here).
    The first sweep of a campaign gives it the defaults."""

    jurisdiction_field = "campaign__owner_unit"
    list_display = (
        "campaign",
        "enabled",
        "reminder_after_days",
        "reply_days",
        "supervision_after_days",
        "supervision_issue_at_once",
        "warning_after_days",
        "warning_issue_at_once",
        "accountability_after_days",
    )
    autocomplete_fields = ["campaign"]
    fieldsets = (
        (None, {"fields": ("campaign", "enabled")}),
        (
            _("Reminders for overdue ledger items"),
            {"fields": ("reminder_after_days", "long_term_days", "reply_days", "due_soon_days")},
        ),
        (
            _("Escalation of unanswered notices"),
            {
                "fields": (
                    "supervision_after_days",
                    "supervision_issue_at_once",
                    "warning_after_days",
                    "warning_issue_at_once",
                    "accountability_after_days",
                )
            },
        ),
    )


@admin.register(SweepRun)
class SweepRunAdmin(admin.ModelAdmin):
    """Every run of the escalation sweep, read-only; a button queues one now."""

    change_list_template = "admin/accountability/sweeprun/change_list.html"
    list_display = (
        "number",
        "as_of",
        "started_at",
        "trigger",
        "dry_run",
        "status",
        "written",
        "statements",
    )
    list_filter = ("status", "trigger", "dry_run")
    date_hierarchy = "started_at"

    @admin.display(description=_("number"), ordering="pk")
    def number(self, run: SweepRun) -> int:
        return run.pk

    @admin.display(description=_("notices written"))
    def written(self, run: SweepRun) -> str:
        counts = run.counts or {}
        return "，".join(
            f"{NoticeKind(kind).label} {counts.get(kind, 0)}" for kind in NoticeKind.values
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list[URLPattern]:
        run_now = self.admin_site.admin_view(self.run_now)
        return [
            path("run-now/", run_now, name="accountability_sweeprun_run_now"),
            *super().get_urls(),
        ]

    def run_now(self, request: HttpRequest) -> HttpResponse:
        """POST: queue a sweep on the worker (superusers only); when the queue cannot be
        reached, say so at once and start nothing (:func:`queue_sweep`)."""
        if request.method != "POST" or not request.user.is_superuser:
            raise PermissionDenied(_("Only a superuser may start the sweep by hand."))
        if queue_sweep(trigger=SweepTrigger.ADMIN):
            self.message_user(
                request,
                _("The sweep is queued; its run appears here when the worker has done it."),
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _(
                    "The task queue cannot be reached, so the sweep was not started. The "
                    "morning sweep runs as scheduled once the queue is back; to sweep now, run "
                    "“manage.py escalate” on the server."
                ),
                messages.ERROR,
            )
        return redirect("admin:accountability_sweeprun_changelist")
