"""Admin for assessments: the scheme with its parts set up here by the assessment office;
rounds, scores, deductions, appeals and results inspected, scoped like every view."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from accounts.admin import JurisdictionAdminMixin, ScopedTabularInline

from . import rules
from .models import (
    Appeal,
    CategoryMember,
    Deduction,
    GradeBand,
    HonorFlag,
    HonorRoll,
    HonorSubmission,
    Indicator,
    IndicatorGroup,
    LinkageRule,
    Result,
    Round,
    Scheme,
    ScoreEntry,
    ScoreImportJob,
    SurveyResponse,
    UnitCategory,
)

if TYPE_CHECKING:
    from accounts.models import User


class IndicatorGroupInline(ScopedTabularInline):
    model = IndicatorGroup
    extra = 0


class IndicatorInline(ScopedTabularInline):
    model = Indicator
    extra = 0
    fields = ("code", "name", "group", "source", "max_points", "sort_order")


class UnitCategoryInline(ScopedTabularInline):
    model = UnitCategory
    extra = 0
    fields = ("name", "sort_order")


class GradeBandInline(ScopedTabularInline):
    model = GradeBand
    extra = 0


class LinkageRuleInline(ScopedTabularInline):
    model = LinkageRule
    extra = 0


@admin.register(Scheme)
class SchemeAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """A campaign's assessment scheme for a year, with its indicators, categories, grade
    bands and linkage rules."""

    jurisdiction_field = "campaign__owner_unit"
    list_display = (
        "title",
        "campaign",
        "year",
        "status",
        "daily_weight",
        "annual_weight",
        "third_party_weight",
        "public_weight",
    )
    list_filter = ("status", "year")
    search_fields = ("title",)
    autocomplete_fields = ["campaign"]
    inlines = [
        IndicatorGroupInline,
        IndicatorInline,
        UnitCategoryInline,
        GradeBandInline,
        LinkageRuleInline,
    ]


@admin.register(CategoryMember)
class CategoryMemberAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Which unit is ranked in which category of a scheme."""

    jurisdiction_field = "unit"
    list_display = ("unit", "category", "scheme")
    list_filter = ("scheme", "category")
    search_fields = ("unit__name",)
    autocomplete_fields = ["unit"]


@admin.register(Round)
class RoundAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Rounds of a scheme; their status moves on the office's pages, through the services."""

    jurisdiction_field = "scheme__campaign__owner_unit"
    inspection_only = True
    list_display = ("title", "scheme", "kind", "quarter", "status", "published_at")
    list_filter = ("status", "kind")
    search_fields = ("title",)


@admin.register(ScoreEntry)
class ScoreEntryAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Scores entered per unit and indicator."""

    jurisdiction_field = "unit"
    inspection_only = True
    list_display = ("round", "unit", "indicator", "points", "assessor", "entered_at")
    list_filter = ("round",)
    search_fields = ("unit__name", "indicator__name")
    list_select_related = ("round", "unit", "indicator", "assessor")


@admin.register(Deduction)
class DeductionAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Deductions with their reason and origin."""

    jurisdiction_field = "unit"
    inspection_only = True
    list_display = ("round", "unit", "indicator", "points", "origin", "status", "recorded_at")
    list_filter = ("status", "origin", "round")
    search_fields = ("unit__name", "reason")
    list_select_related = ("round", "unit", "indicator")


@admin.register(Appeal)
class AppealAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Appeals against deductions and their decisions."""

    jurisdiction_field = "deduction__unit"
    inspection_only = True
    list_display = ("deduction", "status", "filed_by", "filed_at", "decided_by", "decided_at")
    list_filter = ("status",)


@admin.register(Result)
class ResultAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Results as computed for a round (written by the computation, never by hand)."""

    jurisdiction_field = "unit"
    inspection_only = True
    list_display = ("round", "category", "rank", "unit", "total", "grade", "tier", "movement")
    list_filter = ("round", "category", "grade", "tier")
    search_fields = ("unit__name",)
    list_select_related = ("round", "category", "unit")


class SchemePartAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Parts of a scheme belong to whoever manages the campaign's owner unit."""

    jurisdiction_field = "scheme__campaign__owner_unit"


@admin.register(IndicatorGroup)
class IndicatorGroupAdmin(SchemePartAdmin):
    """Groups of indicators (四比四看)."""

    list_display = ("name", "scheme", "sort_order")
    list_filter = ("scheme",)
    search_fields = ("name",)


@admin.register(Indicator)
class IndicatorAdmin(SchemePartAdmin):
    """Indicators with their maximum points and source."""

    list_display = ("code", "name", "scheme", "group", "source", "max_points")
    list_filter = ("scheme", "source")
    search_fields = ("code", "name")


@admin.register(UnitCategory)
class UnitCategoryAdmin(SchemePartAdmin):
    """Categories of units ranked apart."""

    list_display = ("name", "scheme", "sort_order")
    list_filter = ("scheme",)
    search_fields = ("name",)


# --- honor rolls (创先争优月榜) -------------------------------------------------------------
class HonorInspectionInline(ScopedTabularInline):
    """A roll's highlights and flags are decided on the pages, through the services: shown
    here, changed by superusers only."""

    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)


class HonorSubmissionInline(HonorInspectionInline):
    model = HonorSubmission
    fields = ("place", "status", "unit", "title", "submitted_by", "submitted_at", "decided_by")
    readonly_fields = ("submitted_at",)
    raw_id_fields = ("unit", "submitted_by", "decided_by")


class HonorFlagInline(HonorInspectionInline):
    model = HonorFlag
    fields = ("colour", "unit", "reason")
    raw_id_fields = ("unit",)


@admin.register(HonorRoll)
class HonorRollAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """A campaign's monthly honor rolls with their highlights and flags, for inspection: the
    office selects and publishes on the pages. Drafts are the office's, as on the pages."""

    jurisdiction_field = "campaign__owner_unit"
    inspection_only = True
    list_display = ("month", "campaign", "status", "published_at", "published_by")
    list_filter = ("status", "campaign")
    list_select_related = ("campaign", "published_by")
    raw_id_fields = ("campaign", "published_by")
    date_hierarchy = "month"
    inlines = (HonorSubmissionInline, HonorFlagInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        """Within the jurisdiction, and only the rolls the honor rules let the user see."""
        return (
            super()
            .get_queryset(request)
            .filter(rules.viewable_honor_rolls_q(cast("User", request.user)))
        )


# --- the public survey -------------------------------------------------------------------------
@admin.register(SurveyResponse)
class SurveyResponseAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Answers to the public survey, to read (their comments above all). Nobody adds or
    changes one here: answers come only from the survey page. The phone number's keyed hash
    is not shown; it serves the one-answer rule alone."""

    jurisdiction_field = "unit"
    inspection_only = True
    list_display = (
        "round",
        "unit",
        "attitude",
        "efficiency",
        "conduct",
        "overall",
        "submitted_at",
    )
    list_filter = ("round",)
    search_fields = ("unit__name", "comment")
    list_select_related = ("round", "unit")
    exclude = ("phone_hash",)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        """Never: answers come from the survey page."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Never: an answer is kept as given."""
        return False


# --- score imports (helper A) -------------------------------------------------------------------
@admin.register(ScoreImportJob)
class ScoreImportJobAdmin(JurisdictionAdminMixin, admin.ModelAdmin):
    """Excel imports of scores: who uploaded what into which round, and how it went. The
    import page checks and applies the file; its job is only inspected here."""

    jurisdiction_field = "round__scheme__campaign__owner_unit"
    inspection_only = True
    list_display = ("original_name", "round", "status", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("original_name", "round__title", "created_by__name")
    list_select_related = ("round", "created_by")
    exclude = ("file",)  # the uploaded workbook is its uploader's alone

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        """Imports start from the import page, which checks the file."""
        return False
