"""API shapes of ledgers, items, their workflows and review meetings: one serializer per use.

Read serializers only read what the selectors loaded (joins, prefetches and annotations such
as the light), so a list costs the same number of queries at any length. Write serializers
parse input and look references up among what the caller may see (an id outside the
jurisdiction "does not exist", like an id that does not exist); the services decide whether
the caller may act and whether the change is valid.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.files.uploadedfile import UploadedFile
from rest_framework import serializers

from accounts.api.serializers import UnitRefSerializer, UserRefSerializer
from accounts.models import Unit
from accounts.selectors import unit_list, user_list
from campaign.api.serializers import (
    CampaignRefSerializer,
    ChainListSerializer,
    TaskForceRefSerializer,
)
from campaign.models import ResponsibilityChain
from campaign.selectors import campaign_list, chain_list
from config.api.planned import PlannedListSerializer
from tasks_ledger import rules
from tasks_ledger.models import (
    REPORT_MAX,
    Area,
    Evidence,
    ExtensionRequest,
    ItemStatus,
    Ledger,
    LedgerItem,
    Light,
    Measure,
    Milestone,
    ProgressReport,
    ReviewMeeting,
    SignOffRequest,
    StatusChange,
    StatusChangeRequest,
)
from tasks_ledger.selectors import ledger_choices
from tasks_ledger.services import evidence_validate

# Fields of one kind of item; blank (or null) on items of the other kinds.
KIND_FIELDS = [
    "symptom",
    "rectification",
    "petition_source",
    "petitioner_demand",
    "handling_result",
    "planned_investment",
    "funds_in_place",
    "investment_completed",
    "planned_start",
    "actual_start",
    "planned_completion",
    "actual_completion",
]


def _caller(serializer: serializers.BaseSerializer) -> Any:
    """The requesting user; anonymous (who sees nothing) when there is no request."""
    request = serializer.context.get("request")
    return AnonymousUser() if request is None else request.user


# --- ledgers and areas -----------------------------------------------------------------------
class AreaSerializer(serializers.ModelSerializer[Area]):
    """An area of work (方面) of a campaign."""

    class Meta:
        model = Area
        fields = ["id", "campaign", "name", "sort_order"]
        read_only_fields = fields


class AreaRefSerializer(serializers.ModelSerializer[Area]):
    """An area as a ledger or item names it."""

    class Meta:
        model = Area
        fields = ["id", "name"]
        read_only_fields = fields


class LedgerRefSerializer(serializers.ModelSerializer[Ledger]):
    """A ledger as an item names it."""

    class Meta:
        model = Ledger
        fields = ["id", "title", "kind"]
        read_only_fields = fields


class LedgerSerializer(serializers.ModelSerializer[Ledger]):
    """A ledger with its place (campaign, area, owner) and how many of its items the caller
    sees, and how many of those are signed off."""

    campaign = CampaignRefSerializer(read_only=True)
    area = AreaRefSerializer(read_only=True)
    owner_unit = UnitRefSerializer(read_only=True)
    task_force = TaskForceRefSerializer(read_only=True, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    visible_items = serializers.IntegerField(
        read_only=True, help_text="Items of this ledger the caller may see."
    )
    signed_off_items = serializers.IntegerField(
        read_only=True, help_text="Of those, how many are signed off."
    )

    class Meta:
        model = Ledger
        fields = [
            "id",
            "campaign",
            "area",
            "kind",
            "kind_display",
            "title",
            "owner_unit",
            "task_force",
            "description",
            "sort_order",
            "visible_items",
            "signed_off_items",
        ]
        read_only_fields = fields


# --- items: reading --------------------------------------------------------------------------
class ChainSummarySerializer(serializers.ModelSerializer[ResponsibilityChain]):
    """The chain as a list row shows it: subject, lead department and the two people."""

    lead_department = UnitRefSerializer(read_only=True)
    leader_in_charge = UserRefSerializer(read_only=True)
    responsible_person = UserRefSerializer(read_only=True)

    class Meta:
        model = ResponsibilityChain
        fields = ["id", "subject", "lead_department", "leader_in_charge", "responsible_person"]
        read_only_fields = fields


class LedgerItemListSerializer(serializers.ModelSerializer[LedgerItem]):
    """An item as a list row: light, days left, version, the fields of its kind, unit and
    chain summary. ``light`` and ``days_left`` are computed in SQL for today."""

    ledger = LedgerRefSerializer(read_only=True)
    area = AreaRefSerializer(source="ledger.area", read_only=True)
    unit = UnitRefSerializer(read_only=True)
    chain = ChainSummarySerializer(read_only=True, allow_null=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    light = serializers.ChoiceField(choices=Light.choices, read_only=True)
    light_display = serializers.SerializerMethodField()
    days_left = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="Days until the deadline (negative once it has passed); null for a "
        "long-term item, which has none.",
    )
    funds_rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Key projects: funds in place as a percentage of planned investment.",
    )
    investment_rate = serializers.DecimalField(
        max_digits=7,
        decimal_places=2,
        read_only=True,
        allow_null=True,
        help_text="Key projects: investment completed as a percentage of planned investment.",
    )
    version = serializers.IntegerField(
        read_only=True, help_text="Grows with every change; send it back to change the item."
    )

    class Meta:
        model = LedgerItem
        fields = [
            "id",
            "ledger",
            "area",
            "kind",
            "kind_display",
            "code",
            "title",
            "unit",
            "chain",
            "measures",
            "start_date",
            "deadline",
            "days_left",
            "status",
            "status_display",
            "progress",
            "pending_progress",
            "signoff_pending",
            "latest_report",
            "light",
            "light_display",
            *KIND_FIELDS,
            "funds_rate",
            "investment_rate",
            "signed_off_at",
            "version",
            "updated_at",
        ]
        read_only_fields = fields
        # A page of rows written with the fields built once a process (none reads the
        # context); a subclass whose fields do must set DRF's own ListSerializer again.
        list_serializer_class = PlannedListSerializer

    def get_light_display(self, item: LedgerItem) -> str:
        """The light's label (红, 黄, 绿, 无) in the caller's language."""
        return str(Light(item.light).label)  # type: ignore[attr-defined]


class MilestoneSerializer(serializers.ModelSerializer[Milestone]):
    """A milestone (节点) of an item."""

    class Meta:
        model = Milestone
        fields = ["id", "title", "deadline", "done_on", "sort_order"]
        read_only_fields = fields


class MeasureSerializer(serializers.ModelSerializer[Measure]):
    """One measure of a hard problem or problem."""

    class Meta:
        model = Measure
        fields = ["id", "text", "deadline", "done", "sort_order"]
        read_only_fields = fields


class MeetingRefSerializer(serializers.ModelSerializer[ReviewMeeting]):
    """The meeting an item was decided at."""

    class Meta:
        model = ReviewMeeting
        fields = ["id", "kind", "title", "date"]
        read_only_fields = fields


class EvidenceSerializer(serializers.ModelSerializer[Evidence]):
    """A file backing a progress report or sign-off request (name, type and size only)."""

    class Meta:
        model = Evidence
        fields = ["id", "original_name", "content_type", "size", "uploaded_at", "report", "signoff"]
        read_only_fields = fields


class ProjectRatesSerializer(serializers.Serializer):
    """The four rates (四率) of a key project, computed in SQL; null when not yet due."""

    start_rate = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="开工率: started if due."
    )
    funds_rate = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True, help_text="资金到位率."
    )
    investment_rate = serializers.DecimalField(
        max_digits=7, decimal_places=1, allow_null=True, help_text="投资完成率."
    )
    on_time_rate = serializers.DecimalField(
        max_digits=5,
        decimal_places=1,
        allow_null=True,
        help_text="按期竣工率: completed by the planned date, if due.",
    )


class SignOffBriefSerializer(serializers.ModelSerializer[SignOffRequest]):
    """A sign-off request (销号申请) as its item's page lists it."""

    requested_by = UserRefSerializer(read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = SignOffRequest
        fields = [
            "id",
            "requested_by",
            "requested_at",
            "note",
            "status",
            "status_display",
            "decided_by",
            "decided_at",
            "reason",
            "evidence",
        ]
        read_only_fields = fields


class ExtensionBriefSerializer(serializers.ModelSerializer[ExtensionRequest]):
    """An extension request (延期申请) as its item's page lists it."""

    requested_by = UserRefSerializer(read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = ExtensionRequest
        fields = [
            "id",
            "requested_by",
            "requested_at",
            "reason",
            "old_deadline",
            "new_deadline",
            "status",
            "status_display",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class StatusChangeBriefSerializer(serializers.ModelSerializer[StatusChangeRequest]):
    """A suspension, cancellation or resumption request as its item's page lists it."""

    requested_by = UserRefSerializer(read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)
    change_display = serializers.CharField(source="get_change_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = StatusChangeRequest
        fields = [
            "id",
            "change",
            "change_display",
            "requested_by",
            "requested_at",
            "reason",
            "status",
            "status_display",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields


class LedgerItemDetailSerializer(LedgerItemListSerializer):
    """One item: the list row plus milestones, measures, the whole chain as a line, the
    four rates of a key project, its sign-off and extension requests, evidence, and what
    the caller may do with it."""

    chain = ChainListSerializer(read_only=True, allow_null=True)  # type: ignore[assignment]
    milestones = MilestoneSerializer(many=True, read_only=True)
    measure_list = MeasureSerializer(source="measure_set", many=True, read_only=True)
    source_meeting = MeetingRefSerializer(read_only=True, allow_null=True)
    signed_off_by = UserRefSerializer(read_only=True, allow_null=True)
    project_rates = ProjectRatesSerializer(
        read_only=True, allow_null=True, help_text="Key projects only; null for other kinds."
    )
    signoff_requests = SignOffBriefSerializer(many=True, read_only=True)
    extension_requests = ExtensionBriefSerializer(many=True, read_only=True)
    status_requests = StatusChangeBriefSerializer(many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    can_update = serializers.SerializerMethodField()
    can_review = serializers.SerializerMethodField()

    class Meta(LedgerItemListSerializer.Meta):
        fields = [
            *LedgerItemListSerializer.Meta.fields,
            "milestones",
            "measure_list",
            "source_meeting",
            "signed_off_by",
            "project_rates",
            "signoff_requests",
            "extension_requests",
            "status_requests",
            "evidence",
            "created_at",
            "can_update",
            "can_review",
        ]
        read_only_fields = fields
        # can_update and can_review read the caller from the context.
        list_serializer_class = serializers.ListSerializer  # type: ignore[assignment]

    def get_can_update(self, item: LedgerItem) -> bool:
        """Whether the caller may change the item, report progress and make requests."""
        return rules.can_update_item(_caller(self), item)

    def get_can_review(self, item: LedgerItem) -> bool:
        """Whether the caller reviews its reports and decides its extensions."""
        return rules.can_review_item(_caller(self), item)


# --- items: writing --------------------------------------------------------------------------
class MilestoneWriteSerializer(serializers.Serializer):
    """A milestone to create with an item."""

    title = serializers.CharField(max_length=200)
    deadline = serializers.DateField()


class LedgerItemCreateSerializer(serializers.ModelSerializer[LedgerItem]):
    """What a client sends to add an item: ledger, unit, dates, the fields of its kind and,
    optionally, milestones and measures. The number (序号) is the next free one if omitted.
    An item starts not started; progress is reported through ``progress/``."""

    ledger = serializers.PrimaryKeyRelatedField(queryset=Ledger.objects.none())
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.none())
    chain = serializers.PrimaryKeyRelatedField(
        queryset=ResponsibilityChain.objects.none(), allow_null=True, required=False
    )
    milestones = MilestoneWriteSerializer(many=True, required=False)
    measure_texts = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="Measures of a hard problem or problem, one per entry.",
    )

    class Meta:
        model = LedgerItem
        fields = [
            "ledger",
            "unit",
            "code",
            "title",
            "start_date",
            "deadline",
            "chain",
            "measures",
            *KIND_FIELDS,
            "milestones",
            "measure_texts",
        ]
        extra_kwargs = {
            "code": {"required": False},
            "deadline": {
                "required": True,
                "allow_null": True,
                "help_text": "The deadline; null for a long-term item (长期坚持), never overdue.",
            },
        }
        # Uniqueness and checks are the model's (full_clean in the service), reported per field.
        validators: list[Any] = []

    def get_fields(self) -> dict[str, serializers.Field]:
        """Scope every reference to what the caller may see."""
        fields = super().get_fields()
        user = _caller(self)
        fields["ledger"].queryset = ledger_choices(user=user)  # type: ignore[attr-defined]
        fields["unit"].queryset = unit_list(user=user)  # type: ignore[attr-defined]
        fields["chain"].queryset = chain_list(user=user)  # type: ignore[attr-defined]
        return fields


class LedgerItemUpdateSerializer(serializers.ModelSerializer[LedgerItem]):
    """What a client sends to change an item (PATCH): any of these fields, and the version it
    read (or ``If-Match``). Progress goes through ``progress/`` and sign-off through
    ``signoff/``; a deadline is refused here, it moves only through an approved extension."""

    chain = serializers.PrimaryKeyRelatedField(
        queryset=ResponsibilityChain.objects.none(), allow_null=True, required=False
    )
    status = serializers.ChoiceField(
        choices=ItemStatus.choices,
        required=False,
        help_text="Always refused: a status follows accepted progress, a verified sign-off, or "
        "an approved suspension or cancellation request (``status-request/``).",
    )
    deadline = serializers.DateField(
        required=False,
        help_text="Always refused: a deadline changes only through an approved extension.",
    )
    progress = serializers.IntegerField(
        required=False,
        help_text="Always refused: progress moves only through a reported and accepted "
        "``progress/`` report.",
    )
    latest_report = serializers.CharField(
        required=False,
        help_text="Always refused: the latest progress is the text of the last accepted report.",
    )
    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The version the change was made on; instead of an If-Match header.",
    )

    class Meta:
        model = LedgerItem
        fields = [
            "title",
            "measures",
            *KIND_FIELDS,
            "chain",
            "status",
            "progress",
            "latest_report",
            "deadline",
            "version",
        ]
        validators: list[Any] = []

    def get_fields(self) -> dict[str, serializers.Field]:
        """Chains are those the caller may see."""
        fields = super().get_fields()
        user = _caller(self)
        fields["chain"].queryset = chain_list(user=user)  # type: ignore[attr-defined]
        return fields


class VersionedSerializer(serializers.Serializer):
    """A write that must be made on the current version of the item."""

    version = serializers.IntegerField(
        min_value=1,
        required=False,
        help_text="The item version the caller read; instead of an If-Match header.",
    )


def check_files(files: list[UploadedFile]) -> list[UploadedFile]:
    """Refuse a file whose name, size or real type is not accepted, before anything is saved."""
    errors: list[str] = []
    for upload in files:
        try:
            evidence_validate(upload)
        except DjangoValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise serializers.ValidationError(errors)
    return files


class ProgressWriteSerializer(VersionedSerializer):
    """A progress report: percent done, what was done, and evidence files (multipart)."""

    percent = serializers.IntegerField(min_value=0, max_value=100)
    text = serializers.CharField(
        max_length=REPORT_MAX, help_text="What was done since the last report."
    )
    lower_reason = serializers.CharField(
        max_length=REPORT_MAX,
        required=False,
        allow_blank=True,
        default="",
        help_text="Required when ``percent`` is below the accepted progress.",
    )
    files = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Evidence: PDF, JPG, PNG, Word or Excel files (send as multipart).",
    )

    def validate_files(self, files: list[UploadedFile]) -> list[UploadedFile]:
        """Each file's type and size."""
        return check_files(files)


class SignOffWriteSerializer(VersionedSerializer):
    """A sign-off request: what was completed and at least one piece of evidence."""

    note = serializers.CharField(max_length=REPORT_MAX, help_text="Completion report.")
    files = serializers.ListField(
        child=serializers.FileField(),
        help_text="Evidence: PDF, JPG, PNG, Word or Excel files (send as multipart).",
    )

    def validate_files(self, files: list[UploadedFile]) -> list[UploadedFile]:
        """Each file's type and size."""
        return check_files(files)


class ExtensionWriteSerializer(serializers.Serializer):
    """An extension request, made before the deadline."""

    reason = serializers.CharField(max_length=REPORT_MAX)
    new_deadline = serializers.DateField()


class StatusChangeWriteSerializer(serializers.Serializer):
    """A request to suspend, cancel or resume an item, with a reason."""

    change = serializers.ChoiceField(choices=StatusChange.choices)
    reason = serializers.CharField(max_length=REPORT_MAX)


class ReasonSerializer(serializers.Serializer):
    """Why a report or request is returned."""

    reason = serializers.CharField(max_length=REPORT_MAX)


class NoteSerializer(serializers.Serializer):
    """A note on a decision (optional when approving)."""

    note = serializers.CharField(
        max_length=REPORT_MAX, required=False, allow_blank=True, default=""
    )


class RefusalSerializer(serializers.Serializer):
    """Why an extension or a status change is refused."""

    note = serializers.CharField(max_length=REPORT_MAX)


# --- progress reports and requests -----------------------------------------------------------
class ItemRefSerializer(serializers.ModelSerializer[LedgerItem]):
    """An item as a report or request names it, with where it stands now."""

    unit = UnitRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = LedgerItem
        fields = [
            "id",
            "ledger",
            "kind",
            "code",
            "title",
            "unit",
            "deadline",
            "status",
            "status_display",
            "progress",
            "pending_progress",
            "signoff_pending",
            "version",
        ]
        read_only_fields = fields


class ProgressReportSerializer(serializers.ModelSerializer[ProgressReport]):
    """A progress report and the campaign office's review of it."""

    item = ItemRefSerializer(read_only=True)
    reporter = UserRefSerializer(read_only=True)
    reviewed_by = UserRefSerializer(read_only=True, allow_null=True)
    review_status_display = serializers.CharField(
        source="get_review_status_display", read_only=True
    )
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "item",
            "reporter",
            "text",
            "percent",
            "previous_percent",
            "lower_reason",
            "created_at",
            "review_status",
            "review_status_display",
            "reviewed_by",
            "reviewed_at",
            "return_reason",
            "evidence",
        ]
        read_only_fields = fields


class SignOffRequestSerializer(SignOffBriefSerializer):
    """A sign-off request with its item."""

    item = ItemRefSerializer(read_only=True)

    class Meta(SignOffBriefSerializer.Meta):
        fields = ["id", "item", *SignOffBriefSerializer.Meta.fields[1:]]
        read_only_fields = fields


class ExtensionRequestSerializer(ExtensionBriefSerializer):
    """An extension request with its item."""

    item = ItemRefSerializer(read_only=True)

    class Meta(ExtensionBriefSerializer.Meta):
        fields = ["id", "item", *ExtensionBriefSerializer.Meta.fields[1:]]
        read_only_fields = fields


class StatusChangeRequestSerializer(StatusChangeBriefSerializer):
    """A status-change request with its item."""

    item = ItemRefSerializer(read_only=True)

    class Meta(StatusChangeBriefSerializer.Meta):
        fields = ["id", "item", *StatusChangeBriefSerializer.Meta.fields[1:]]
        read_only_fields = fields


class ProgressResultSerializer(serializers.Serializer):
    """A new progress report and the item as it now stands."""

    report = ProgressReportSerializer(read_only=True)
    item = LedgerItemDetailSerializer(read_only=True)


class SignOffResultSerializer(serializers.Serializer):
    """A new sign-off request and the item as it now stands (unchanged, marked as waiting
    for verification)."""

    request = SignOffRequestSerializer(read_only=True)
    item = LedgerItemDetailSerializer(read_only=True)


# --- meetings --------------------------------------------------------------------------------
class MeetingListSerializer(serializers.ModelSerializer[ReviewMeeting]):
    """A review meeting (调度会, 推进会, 会商会) with how many decisions it made."""

    campaign = CampaignRefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    host_unit = UnitRefSerializer(read_only=True)
    chair = UserRefSerializer(read_only=True)
    attending_units = UnitRefSerializer(many=True, read_only=True)
    decision_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = ReviewMeeting
        fields = [
            "id",
            "campaign",
            "kind",
            "kind_display",
            "title",
            "date",
            "host_unit",
            "chair",
            "attending_units",
            "decision_count",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingListSerializer):
    """One meeting with its minutes and the decisions (items) the caller may see."""

    decisions = LedgerItemListSerializer(many=True, read_only=True)

    class Meta(MeetingListSerializer.Meta):
        fields = [*MeetingListSerializer.Meta.fields, "minutes", "decisions"]
        read_only_fields = fields


class DecisionWriteSerializer(serializers.Serializer):
    """A decision (议定事项) that becomes an item of a ledger with its chain and deadline."""

    ledger = serializers.PrimaryKeyRelatedField(queryset=Ledger.objects.none())
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.none())
    title = serializers.CharField(max_length=300)
    deadline = serializers.DateField(
        allow_null=True, help_text="Null for a standing measure (长期坚持): no deadline."
    )
    chain = serializers.PrimaryKeyRelatedField(
        queryset=ResponsibilityChain.objects.none(), allow_null=True, required=False
    )
    measures = serializers.CharField(required=False, allow_blank=True, default="")
    milestones = MilestoneWriteSerializer(many=True, required=False)

    def get_fields(self) -> dict[str, serializers.Field]:
        """Scope every reference to what the caller may see."""
        fields = super().get_fields()
        user = _caller(self)
        fields["ledger"].queryset = ledger_choices(user=user)  # type: ignore[attr-defined]
        fields["unit"].queryset = unit_list(user=user)  # type: ignore[attr-defined]
        fields["chain"].queryset = chain_list(user=user)  # type: ignore[attr-defined]
        return fields


class MeetingWriteSerializer(serializers.ModelSerializer[ReviewMeeting]):
    """A meeting and its decisions, recorded together (all or nothing)."""

    attending_units = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Unit.objects.none(), required=False
    )
    decisions = DecisionWriteSerializer(many=True, required=False)

    class Meta:
        model = ReviewMeeting
        fields = [
            "campaign",
            "kind",
            "title",
            "date",
            "host_unit",
            "chair",
            "attending_units",
            "minutes",
            "decisions",
        ]
        validators: list[Any] = []

    def get_fields(self) -> dict[str, serializers.Field]:
        """Campaigns, units and people are those the caller may see."""
        fields = super().get_fields()
        user = _caller(self)
        units = unit_list(user=user)
        fields["campaign"].queryset = campaign_list(user=user)  # type: ignore[attr-defined]
        fields["host_unit"].queryset = units  # type: ignore[attr-defined]
        fields["attending_units"].child_relation.queryset = units  # type: ignore[attr-defined]
        fields["chair"].queryset = user_list(user=user)  # type: ignore[attr-defined]
        return fields


# --- errors ----------------------------------------------------------------------------------
class ApiErrorSerializer(serializers.Serializer):
    """One error of the standard shape."""

    code = serializers.CharField()
    detail = serializers.CharField()
    attr = serializers.CharField(allow_null=True)


class ConflictResponseSerializer(serializers.Serializer):
    """409: the item changed since the caller read it. Nothing was written; ``current`` is
    the item as it is now (its ``version`` is the one to send with a retried change)."""

    type = serializers.CharField(help_text='Always "client_error".')
    errors = ApiErrorSerializer(many=True, help_text='One error, code "conflict".')  # type: ignore[assignment]
    current = LedgerItemDetailSerializer()


class PreconditionRequiredResponseSerializer(serializers.Serializer):
    """428: the change did not say which version it was made on."""

    type = serializers.CharField(help_text='Always "client_error".')
    errors = ApiErrorSerializer(  # type: ignore[assignment]
        many=True, help_text='One error, code "precondition_required".'
    )
