"""Admin for notices, accountability measures and exemptions: inspected here, scoped like
every view; written by the services.

Notices move through their lifecycle on the pages and the API (drafting, approval, issue,
signing for, replies and decisions, with their rules and their numbers), so the admin lets
non-superusers look, never add, change or delete.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import JurisdictionAdminMixin, ScopedTabularInline
from accounts.models import User

from . import rules
from .models import (
    AccountabilityMeasure,
    Exemption,
    MeasureBasis,
    Notice,
    NoticeAttachment,
    NoticePerson,
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
