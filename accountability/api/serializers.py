"""Serializers of the notices API: one for a row of the list, one for the detail, and one
per write (draft, reply, return, escalate). Writes only parse; the services decide."""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext as _
from rest_framework import serializers

from accounts.api.serializers import UnitRefSerializer, UserRefSerializer
from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit
from campaign.models import Campaign, SupervisionGroup
from campaign.selectors import campaign_list
from tasks_ledger.api.serializers import check_files
from tasks_ledger.models import TEXT_MAX, TITLE_MAX, LedgerItem
from tasks_ledger.selectors import ledger_items

from ..actions import allowed_actions
from ..models import Notice, NoticeAttachment, NoticeKind

FILES_HELP = "PDF, JPG, PNG, Word or Excel files (send as multipart)."


class GroupRefSerializer(serializers.ModelSerializer[SupervisionGroup]):
    """A supervision group as a notice names it."""

    class Meta:
        model = SupervisionGroup
        fields = ["id", "name"]
        read_only_fields = fields


class NoticeRefSerializer(serializers.ModelSerializer[Notice]):
    """A notice as another notice names it (its escalation chain)."""

    class Meta:
        model = Notice
        fields = ["id", "kind", "number", "status"]
        read_only_fields = fields


class NoticeAttachmentSerializer(serializers.ModelSerializer[NoticeAttachment]):
    """A file of a notice: sent with it, or evidence with the reply."""

    class Meta:
        model = NoticeAttachment
        fields = ["id", "original_name", "content_type", "size", "uploaded_at", "with_reply"]
        read_only_fields = fields


class NoticeListSerializer(serializers.ModelSerializer[Notice]):
    """A row of the notice register."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    subject = serializers.CharField(read_only=True)
    target_unit = UnitRefSerializer(read_only=True)
    issuing_unit = UnitRefSerializer(read_only=True)
    group = GroupRefSerializer(read_only=True, allow_null=True)
    overdue = serializers.BooleanField(
        read_only=True, help_text="Past the reply deadline and still awaiting the reply."
    )

    class Meta:
        model = Notice
        fields = [
            "id",
            "campaign",
            "kind",
            "kind_display",
            "number",
            "status",
            "status_display",
            "subject",
            "item",
            "subject_title",
            "target_unit",
            "issuing_unit",
            "group",
            "reply_deadline",
            "issued_on",
            "overdue",
            "escalated_from",
            "drafted_at",
        ]
        read_only_fields = fields


class NoticeDetailSerializer(NoticeListSerializer):
    """A notice with everything its page shows, and the actions the caller may take now."""

    responsible_people = UserRefSerializer(many=True, read_only=True)
    attachments = NoticeAttachmentSerializer(many=True, read_only=True)
    escalations = NoticeRefSerializer(many=True, read_only=True)
    drafted_by = UserRefSerializer(read_only=True, allow_null=True)
    approved_by = UserRefSerializer(read_only=True, allow_null=True)
    issued_by = UserRefSerializer(read_only=True, allow_null=True)
    signed_for_by = UserRefSerializer(read_only=True, allow_null=True)
    replied_by = UserRefSerializer(read_only=True, allow_null=True)
    closed_by = UserRefSerializer(read_only=True, allow_null=True)
    actions = serializers.SerializerMethodField(
        help_text="What the caller may do now: approve, issue, sign_for, reply, accept, "
        "return, escalate."
    )

    class Meta(NoticeListSerializer.Meta):
        fields = [
            *NoticeListSerializer.Meta.fields,
            "facts",
            "requirements",
            "responsible_people",
            "attachments",
            "escalations",
            "drafted_by",
            "approved_by",
            "approved_at",
            "issued_by",
            "signed_for_by",
            "signed_for_at",
            "reply",
            "replied_by",
            "replied_at",
            "return_reason",
            "closed_by",
            "closed_at",
            "actions",
        ]
        read_only_fields = fields

    def get_actions(self, notice: Notice) -> list[str]:
        request = self.context.get("request")
        if request is None:
            return []
        return sorted(allowed_actions(request.user, notice))


def _files_field() -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FileField(), required=False, default=list, help_text=FILES_HELP
    )


class NoticeDraftSerializer(serializers.Serializer):
    """A new notice: about a ledger item (it goes to the item's unit) or about a matter in
    words to ``target_unit``; in a supervision group's name or the office's own."""

    kind = serializers.ChoiceField(choices=NoticeKind.choices)
    item = serializers.PrimaryKeyRelatedField(
        queryset=LedgerItem.objects.none(), required=False, allow_null=True
    )
    target_unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.none(), required=False, allow_null=True
    )
    subject_title = serializers.CharField(
        max_length=TITLE_MAX, required=False, allow_blank=True, default=""
    )
    group = serializers.PrimaryKeyRelatedField(
        queryset=SupervisionGroup.objects.none(), required=False, allow_null=True
    )
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.none(),
        required=False,
        allow_null=True,
        help_text="Needed only when neither an item nor a group says which campaign.",
    )
    facts = serializers.CharField(max_length=TEXT_MAX)
    requirements = serializers.CharField(max_length=TEXT_MAX)
    reply_deadline = serializers.DateField()
    files = _files_field()

    def get_fields(self) -> dict[str, Any]:
        """Choices scoped to the caller."""
        fields = super().get_fields()
        request = self.context.get("request")
        if request is not None:
            user = request.user
            campaigns = campaign_list(user=user)
            fields["item"].queryset = ledger_items(user=user)  # type: ignore[attr-defined]
            fields["target_unit"].queryset = jurisdiction_for(user).units()  # type: ignore[attr-defined]
            fields["group"].queryset = SupervisionGroup.objects.filter(  # type: ignore[attr-defined]
                campaign__in=campaigns.values("pk")
            )
            fields["campaign"].queryset = Campaign.objects.filter(  # type: ignore[attr-defined]
                pk__in=campaigns.values("pk")
            )
        return fields

    def validate_files(self, files: list[UploadedFile]) -> list[UploadedFile]:
        """Each file's type and size."""
        return check_files(files)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The campaign: the item's, else the group's, else the one given."""
        item, group = attrs.get("item"), attrs.get("group")
        if item is not None:
            attrs["campaign"] = item.ledger.campaign
        elif group is not None:
            attrs["campaign"] = group.campaign
        elif attrs.get("campaign") is None:
            raise serializers.ValidationError(
                {"campaign": [_("Choose the campaign, an item or a supervision group.")]}
            )
        return attrs


class NoticeReplySerializer(serializers.Serializer):
    """The target unit's reply: the rectification and evidence files."""

    text = serializers.CharField(max_length=TEXT_MAX)
    files = _files_field()

    def validate_files(self, files: list[UploadedFile]) -> list[UploadedFile]:
        """Each file's type and size."""
        return check_files(files)


class NoticeReturnSerializer(serializers.Serializer):
    """Why the reply is returned for rework."""

    reason = serializers.CharField(max_length=TEXT_MAX)


class NoticeEscalateSerializer(serializers.Serializer):
    """The next notice about the same matter: a new reply deadline; by default the next kind
    with this notice's facts and requirements."""

    reply_deadline = serializers.DateField()
    kind = serializers.ChoiceField(choices=NoticeKind.choices, required=False, allow_null=True)
    facts = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")
    requirements = serializers.CharField(
        max_length=TEXT_MAX, required=False, allow_blank=True, default=""
    )
