"""Serializers of the assessments API: one for a row of a list, one for a detail, and one per
write. Read serializers only read what :mod:`assessments.selectors` loaded; write
serializers parse and look references up among what the caller may see (an id out of sight
"does not exist", like an id that does not exist); the services decide.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import UploadedFile
from rest_framework import serializers

from accountability.models import Notice
from accountability.selectors import notice_list
from accounts.api.serializers import UnitRefSerializer, UserRefSerializer
from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit
from campaign.api.serializers import CampaignRefSerializer
from tasks_ledger.api.serializers import check_files
from tasks_ledger.models import TEXT_MAX, TITLE_MAX, LedgerItem
from tasks_ledger.selectors import ledger_items

from .. import rules
from ..actions import (
    APPEAL_ACTIONS,
    DEDUCTION_ACTIONS,
    ROUND_ACTIONS,
    SCHEME_ACTIONS,
    Action,
    allowed_actions,
)
from ..models import (
    Appeal,
    DailyMetric,
    Deduction,
    DeductionOrigin,
    EvidenceFile,
    GradeBand,
    Indicator,
    IndicatorGroup,
    LinkageRule,
    Result,
    Round,
    RoundKind,
    Scheme,
    ScoreEntry,
    UnitCategory,
)

FILES_HELP = "Evidence: PDF, JPG, PNG, Word or Excel files (send as multipart)."


def _caller(serializer: serializers.BaseSerializer) -> Any:
    """The requesting user; anonymous (who sees nothing) when there is no request."""
    request = serializer.context.get("request")
    return AnonymousUser() if request is None else request.user


def _actions_field(table: dict[str, Action]) -> serializers.SerializerMethodField:
    return serializers.SerializerMethodField(
        help_text="What the caller may do now: " + ", ".join(table) + "."
    )


def _allowed(
    serializer: serializers.BaseSerializer, table: dict[str, Action], obj: Any
) -> list[str]:
    return allowed_actions(table, _caller(serializer), obj)


# --- references ------------------------------------------------------------------------------
class SchemeRefSerializer(serializers.ModelSerializer[Scheme]):
    """A scheme as a round names it."""

    class Meta:
        model = Scheme
        fields = ["id", "year", "title", "status"]
        read_only_fields = fields


class RoundRefSerializer(serializers.ModelSerializer[Round]):
    """A round as its scores, deductions and results name it."""

    class Meta:
        model = Round
        fields = ["id", "title", "status"]
        read_only_fields = fields


class IndicatorRefSerializer(serializers.ModelSerializer[Indicator]):
    """An indicator as a score or deduction names it."""

    class Meta:
        model = Indicator
        fields = ["id", "code", "name", "source", "max_points"]
        read_only_fields = fields


class EvidenceFileSerializer(serializers.ModelSerializer[EvidenceFile]):
    """A file backing a score, a deduction or an appeal."""

    class Meta:
        model = EvidenceFile
        fields = ["id", "original_name", "content_type", "size", "uploaded_at"]
        read_only_fields = fields


# --- schemes ---------------------------------------------------------------------------------
class SchemeListSerializer(serializers.ModelSerializer[Scheme]):
    """A row of the schemes: campaign, year, status and the four weights (percent)."""

    campaign = CampaignRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Scheme
        fields = [
            "id",
            "campaign",
            "year",
            "title",
            "status",
            "status_display",
            "daily_weight",
            "annual_weight",
            "third_party_weight",
            "public_weight",
            "tier_count",
            "created_at",
        ]
        read_only_fields = fields


class IndicatorGroupSerializer(serializers.ModelSerializer[IndicatorGroup]):
    """A group of indicators (四比四看)."""

    class Meta:
        model = IndicatorGroup
        fields = ["id", "name", "sort_order"]
        read_only_fields = fields


class IndicatorSerializer(serializers.ModelSerializer[Indicator]):
    """An indicator: its group, maximum points, source, and for a daily one computed from the
    ledger the metric and points per count."""

    source_display = serializers.CharField(source="get_source_display", read_only=True)
    # Declared so the schema says "" (scored by assessors) beside the metrics: a model
    # serializer drops allow_blank from a read-only field.
    metric = serializers.ChoiceField(
        choices=DailyMetric.choices,
        allow_blank=True,
        read_only=True,
        help_text="Blank when assessors score it; otherwise what in the ledger computes it.",
    )

    class Meta:
        model = Indicator
        fields = [
            "id",
            "group",
            "code",
            "name",
            "source",
            "source_display",
            "max_points",
            "description",
            "metric",
            "metric_step",
            "sort_order",
        ]
        read_only_fields = fields


class UnitCategorySerializer(serializers.ModelSerializer[UnitCategory]):
    """A category of units ranked together, with how many units it has."""

    member_count = serializers.IntegerField(read_only=True, help_text="Units assessed in it.")

    class Meta:
        model = UnitCategory
        fields = ["id", "name", "sort_order", "member_count"]
        read_only_fields = fields


class GradeBandSerializer(serializers.ModelSerializer[GradeBand]):
    """The lowest total of a grade and its quota (percent of the category; null: none)."""

    grade_display = serializers.CharField(source="get_grade_display", read_only=True)

    class Meta:
        model = GradeBand
        fields = ["id", "grade", "grade_display", "min_total", "quota_percent"]
        read_only_fields = fields


class LinkageRuleSerializer(serializers.ModelSerializer[LinkageRule]):
    """An accountability measure that caps a grade."""

    class Meta:
        model = LinkageRule
        fields = ["id", "measure_kind", "target", "best_grade"]
        read_only_fields = fields


class SchemeDetailSerializer(SchemeListSerializer):
    """A scheme with its indicators, categories, grade bands and linkage rules."""

    groups = IndicatorGroupSerializer(many=True, read_only=True)
    indicators = IndicatorSerializer(many=True, read_only=True)
    categories = UnitCategorySerializer(many=True, read_only=True)
    bands = GradeBandSerializer(many=True, read_only=True)
    linkages = LinkageRuleSerializer(many=True, read_only=True)
    actions = _actions_field(SCHEME_ACTIONS)

    class Meta(SchemeListSerializer.Meta):
        fields = [
            *SchemeListSerializer.Meta.fields,
            "groups",
            "indicators",
            "categories",
            "bands",
            "linkages",
            "actions",
        ]
        read_only_fields = fields

    def get_actions(self, scheme: Scheme) -> list[str]:
        return _allowed(self, SCHEME_ACTIONS, scheme)


# --- rounds ----------------------------------------------------------------------------------
class RoundListSerializer(serializers.ModelSerializer[Round]):
    """A row of the rounds: scheme, kind, period, status, appeal window and publication."""

    scheme = SchemeRefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "scheme",
            "kind",
            "kind_display",
            "quarter",
            "title",
            "period_start",
            "period_end",
            "status",
            "status_display",
            "appeal_until",
            "published_at",
            "circular_issue",
            "survey_open",
            "public",
        ]
        read_only_fields = fields


class RoundDetailSerializer(RoundListSerializer):
    """A round, who published it, and the actions the caller may take on it now."""

    published_by = UserRefSerializer(read_only=True, allow_null=True)
    actions = _actions_field(ROUND_ACTIONS)

    class Meta(RoundListSerializer.Meta):
        fields = [*RoundListSerializer.Meta.fields, "published_by", "actions"]
        read_only_fields = fields

    def get_actions(self, round_: Round) -> list[str]:
        return _allowed(self, ROUND_ACTIONS, round_)


class RoundCreateSerializer(serializers.Serializer):
    """A new draft round under a scheme."""

    scheme = serializers.PrimaryKeyRelatedField(queryset=Scheme.objects.none())
    kind = serializers.ChoiceField(choices=RoundKind.choices)
    quarter = serializers.IntegerField(
        min_value=1,
        max_value=4,
        required=False,
        allow_null=True,
        help_text="1 to 4 for a quarterly round; left out for an annual one.",
    )
    title = serializers.CharField(max_length=TITLE_MAX)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    appeal_until = serializers.DateField(
        required=False, allow_null=True, help_text="The last day units may appeal a deduction."
    )

    def get_fields(self) -> dict[str, Any]:
        """Schemes the caller may read."""
        fields = super().get_fields()
        fields["scheme"].queryset = Scheme.objects.filter(  # type: ignore[attr-defined]
            rules.viewable_schemes_q(_caller(self))
        ).select_related("campaign__owner_unit")
        return fields


class RoundChoiceSerializer(serializers.Serializer):
    """The round a bulk write is about (read first, to ask the rule before the rest)."""

    round = serializers.PrimaryKeyRelatedField(queryset=Round.objects.none())

    def get_fields(self) -> dict[str, Any]:
        """Rounds the caller may read."""
        fields = super().get_fields()
        fields["round"].queryset = Round.objects.filter(  # type: ignore[attr-defined]
            rules.viewable_rounds_q(_caller(self))
        ).select_related("scheme__campaign__owner_unit")
        return fields


# --- scores ----------------------------------------------------------------------------------
class ScoreListSerializer(serializers.ModelSerializer[ScoreEntry]):
    """A score: round, unit, indicator (with its source), points, comment and assessor."""

    round = RoundRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True)
    indicator = IndicatorRefSerializer(read_only=True)
    source = serializers.CharField(source="indicator.source", read_only=True)  # type: ignore[assignment]
    assessor = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = ScoreEntry
        fields = [
            "id",
            "round",
            "unit",
            "indicator",
            "source",
            "points",
            "comment",
            "assessor",
            "entered_at",
        ]
        read_only_fields = fields


class ScoreLineSerializer(serializers.Serializer):
    """One score to enter: unit and indicator by id, the points and a comment."""

    unit = serializers.IntegerField(help_text="A unit assessed in the round's scheme.")
    indicator = serializers.IntegerField(help_text="An indicator of the round's scheme.")
    points = serializers.DecimalField(min_value=0, max_digits=7, decimal_places=2)
    comment = serializers.CharField(
        max_length=TEXT_MAX, required=False, allow_blank=True, default=""
    )


class ScoresEnterSerializer(RoundChoiceSerializer):
    """Scores in bulk for one round: all are entered, or none (each refusal names its line)."""

    entries = ScoreLineSerializer(many=True, allow_empty=False)


class ScoresEnteredSerializer(serializers.Serializer):
    """What a bulk entry wrote."""

    round = serializers.IntegerField()
    written = serializers.IntegerField(help_text="Scores entered or corrected.")


# --- deductions ------------------------------------------------------------------------------
class AppealRefSerializer(serializers.ModelSerializer[Appeal]):
    """An appeal as its deduction lists it."""

    filed_by = UserRefSerializer(read_only=True)

    class Meta:
        model = Appeal
        fields = ["id", "status", "filed_by", "filed_at", "decided_at", "decision_reason"]
        read_only_fields = fields


class DeductionListSerializer(serializers.ModelSerializer[Deduction]):
    """A deduction: round, unit, indicator, points, reason, origin, status, who recorded it."""

    round = RoundRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True)
    indicator = IndicatorRefSerializer(read_only=True)
    origin_display = serializers.CharField(source="get_origin_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    recorded_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Deduction
        fields = [
            "id",
            "round",
            "unit",
            "indicator",
            "points",
            "reason",
            "origin",
            "origin_display",
            "notice",
            "item",
            "status",
            "status_display",
            "recorded_by",
            "recorded_at",
            "reversed_reason",
            "reversed_at",
        ]
        read_only_fields = fields


class DeductionDetailSerializer(DeductionListSerializer):
    """A deduction with its evidence, its appeals and what the caller may do (appeal)."""

    evidence = EvidenceFileSerializer(many=True, read_only=True)
    appeals = AppealRefSerializer(many=True, read_only=True)
    actions = _actions_field(DEDUCTION_ACTIONS)

    class Meta(DeductionListSerializer.Meta):
        fields = [*DeductionListSerializer.Meta.fields, "evidence", "appeals", "actions"]
        read_only_fields = fields

    def get_actions(self, deduction: Deduction) -> list[str]:
        return _allowed(self, DEDUCTION_ACTIONS, deduction)


class DeductionCreateSerializer(RoundChoiceSerializer):
    """A deduction to record, with evidence files (multipart)."""

    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.none())
    indicator = serializers.PrimaryKeyRelatedField(queryset=Indicator.objects.none())
    points = serializers.DecimalField(min_value=0, max_digits=7, decimal_places=2)
    reason = serializers.CharField(max_length=TEXT_MAX)
    origin = serializers.ChoiceField(choices=DeductionOrigin.choices)
    notice = serializers.PrimaryKeyRelatedField(
        queryset=Notice.objects.none(),
        required=False,
        allow_null=True,
        help_text="The notice it comes from (origin notice).",
    )
    item = serializers.PrimaryKeyRelatedField(
        queryset=LedgerItem.objects.none(),
        required=False,
        allow_null=True,
        help_text="The overdue ledger item (origin overdue_item).",
    )
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text=FILES_HELP
    )

    def get_fields(self) -> dict[str, Any]:
        """Units, indicators, notices and items the caller may see."""
        fields = super().get_fields()
        user = _caller(self)
        fields["unit"].queryset = jurisdiction_for(user).units()
        fields["indicator"].queryset = Indicator.objects.filter(
            scheme__in=Scheme.objects.filter(rules.viewable_schemes_q(user)).values("pk")
        )
        fields["notice"].queryset = notice_list(user=user)
        fields["item"].queryset = ledger_items(user=user)
        return fields

    def validate_files(self, files: list[UploadedFile]) -> list[UploadedFile]:
        """Each file's type and size."""
        return check_files(files)


# --- appeals ---------------------------------------------------------------------------------
class AppealListSerializer(serializers.ModelSerializer[Appeal]):
    """An appeal: the deduction it is against, the reasons, its status and decision."""

    deduction = DeductionListSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    filed_by = UserRefSerializer(read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "deduction",
            "reasons",
            "status",
            "status_display",
            "filed_by",
            "filed_at",
            "decided_by",
            "decided_at",
            "decision_reason",
        ]
        read_only_fields = fields


class AppealDetailSerializer(AppealListSerializer):
    """An appeal with its evidence and what the caller may do with it now (decide)."""

    evidence = EvidenceFileSerializer(many=True, read_only=True)
    actions = _actions_field(APPEAL_ACTIONS)

    class Meta(AppealListSerializer.Meta):
        fields = [*AppealListSerializer.Meta.fields, "evidence", "actions"]
        read_only_fields = fields

    def get_actions(self, appeal: Appeal) -> list[str]:
        return _allowed(self, APPEAL_ACTIONS, appeal)


class AppealFileSerializer(serializers.Serializer):
    """An appeal against a deduction: which, why it is wrong, and evidence files (multipart)."""

    deduction = serializers.PrimaryKeyRelatedField(queryset=Deduction.objects.none())
    reasons = serializers.CharField(max_length=TEXT_MAX)
    files = serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text=FILES_HELP
    )

    def validate_files(self, files: list[UploadedFile]) -> list[UploadedFile]:
        """Each file's type and size."""
        return check_files(files)

    def get_fields(self) -> dict[str, Any]:
        """Deductions the caller may see."""
        fields = super().get_fields()
        fields["deduction"].queryset = Deduction.objects.filter(  # type: ignore[attr-defined]
            rules.viewable_deductions_q(_caller(self))
        ).select_related("round__scheme__campaign__owner_unit", "unit")
        return fields


class AppealDecideSerializer(serializers.Serializer):
    """The office's decision: upheld (the deduction is reversed) or not, and why."""

    upheld = serializers.BooleanField(help_text="True upholds the appeal, false rejects it.")
    reason = serializers.CharField(max_length=TEXT_MAX)


# --- results ---------------------------------------------------------------------------------
class ResultSerializer(serializers.ModelSerializer[Result]):
    """A unit's result in a round: per-source subtotals (each out of 100), weighted total,
    deductions, grade (and why it differs from the score's), rank and tier in its category,
    and places moved since the previous round. Names as they were when computed."""

    round = RoundRefSerializer(read_only=True)
    grade_display = serializers.CharField(source="get_grade_display", read_only=True)

    class Meta:
        model = Result
        fields = [
            "id",
            "round",
            "unit",
            "unit_code",
            "unit_name",
            "category",
            "category_name",
            "daily",
            "annual",
            "third_party",
            "public",
            "total",
            "deduction_count",
            "deducted",
            "band_grade",
            "grade",
            "grade_display",
            "grade_note",
            "rank",
            "tier",
            "movement",
        ]
        read_only_fields = fields
