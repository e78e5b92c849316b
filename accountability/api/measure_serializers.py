"""API shapes of accountability measures and exemptions: one serializer per use.

Read serializers only read what the selectors loaded. Write serializers look references up
among what the caller may see or use (an id outside that "does not exist", like an id that
does not exist); the services decide whether the caller may act (403) and whether the
input is valid (400, per field).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from rest_framework import serializers

from accounts.api.serializers import UnitRefSerializer, UserRefSerializer
from accounts.models import Unit, User
from accounts.selectors import unit_list, user_list
from campaign.api.serializers import CampaignRefSerializer
from campaign.models import Campaign
from campaign.selectors import campaign_list
from tasks_ledger.models import TEXT_MAX, TITLE_MAX, LedgerItem

from ..measure_selectors import applicable_matters, citable_notices
from ..models import AccountabilityMeasure, Distinction, Exemption, MeasureKind, Notice


def _caller(serializer: serializers.BaseSerializer) -> Any:
    """The requesting user; anonymous (who sees nothing) when there is no request."""
    request = serializer.context.get("request")
    return AnonymousUser() if request is None else request.user


class CitedNoticeSerializer(serializers.ModelSerializer[Notice]):
    """A notice as a measure or an exemption names it."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    subject = serializers.CharField(read_only=True)

    class Meta:
        model = Notice
        fields = ["id", "kind", "kind_display", "number", "subject"]
        read_only_fields = fields


class MatterItemSerializer(serializers.ModelSerializer[LedgerItem]):
    """A ledger item as an exemption names it."""

    class Meta:
        model = LedgerItem
        fields = ["id", "code", "title"]
        read_only_fields = fields


# --- measures --------------------------------------------------------------------------------
class AccountabilityMeasureSerializer(serializers.ModelSerializer[AccountabilityMeasure]):
    """A measure, with its person's and unit's strikes in its year."""

    campaign = CampaignRefSerializer(read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    person = UserRefSerializer(read_only=True, allow_null=True)
    unit = UnitRefSerializer(read_only=True)
    basis_notices = CitedNoticeSerializer(many=True, read_only=True)
    created_by = UserRefSerializer(read_only=True)
    unit_strikes = serializers.SerializerMethodField(
        help_text="Measures on the unit in the year of this one (this one included)."
    )
    person_strikes = serializers.SerializerMethodField(
        help_text="Measures on the person in that year; 0 for a measure on the unit alone."
    )
    threshold_reached = serializers.SerializerMethodField(
        help_text="The unit's count has reached the threshold at which its principal leader "
        "is held accountable too."
    )

    class Meta:
        model = AccountabilityMeasure
        fields = [
            "id",
            "campaign",
            "kind",
            "kind_display",
            "person",
            "unit",
            "basis_notices",
            "basis",
            "deciding_authority",
            "decided_on",
            "document_number",
            "note",
            "created_by",
            "created_at",
            "unit_strikes",
            "person_strikes",
            "threshold_reached",
        ]
        read_only_fields = fields

    def _strikes(self, measure: AccountabilityMeasure) -> Any:
        return self.context["strikes"][measure.pk]

    def get_unit_strikes(self, measure: AccountabilityMeasure) -> int:
        return int(self._strikes(measure).unit)

    def get_person_strikes(self, measure: AccountabilityMeasure) -> int:
        return int(self._strikes(measure).person)

    def get_threshold_reached(self, measure: AccountabilityMeasure) -> bool:
        return bool(self._strikes(measure).threshold_reached)


class AccountabilityMeasureDetailSerializer(AccountabilityMeasureSerializer):
    """A measure with the people its strikes involve besides (the unit's principal leader
    once the threshold is reached)."""

    involve = serializers.SerializerMethodField()

    class Meta(AccountabilityMeasureSerializer.Meta):
        fields = [*AccountabilityMeasureSerializer.Meta.fields, "involve"]
        read_only_fields = fields

    def get_involve(self, measure: AccountabilityMeasure) -> list[dict[str, Any]]:
        people: list[User] = self.context.get("involve", [])
        return list(UserRefSerializer(people, many=True).data)


class AccountabilityMeasureWriteSerializer(serializers.Serializer):
    """What a client sends to record a measure: campaign, kind, unit, person (optional), the
    notices cited and/or the basis in words, the deciding authority, date and document
    number."""

    campaign = serializers.PrimaryKeyRelatedField(queryset=Campaign.objects.none())
    kind = serializers.ChoiceField(choices=MeasureKind.choices)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.none())
    person = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.none(), allow_null=True, required=False, default=None
    )
    notices = serializers.PrimaryKeyRelatedField(
        queryset=Notice.objects.none(),
        many=True,
        required=False,
        help_text="Issued notices the caller may see, sent to the unit (or above or below it).",
    )
    basis = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")
    deciding_authority = serializers.CharField(max_length=TITLE_MAX)
    decided_on = serializers.DateField()
    document_number = serializers.CharField(
        max_length=50, required=False, allow_blank=True, default=""
    )
    note = serializers.CharField(max_length=TEXT_MAX, required=False, allow_blank=True, default="")

    def get_fields(self) -> dict[str, serializers.Field]:
        """Campaigns, units, people and notices are those the caller may see."""
        fields = super().get_fields()
        user = _caller(self)
        fields["campaign"].queryset = campaign_list(user=user)  # type: ignore[attr-defined]
        fields["unit"].queryset = unit_list(user=user)  # type: ignore[attr-defined]
        fields["person"].queryset = user_list(user=user)  # type: ignore[attr-defined]
        fields["notices"].child_relation.queryset = citable_notices(user)  # type: ignore[attr-defined]
        return fields


# --- exemptions ------------------------------------------------------------------------------
class ExemptionSerializer(serializers.ModelSerializer[Exemption]):
    """An exemption application and the office's decision on it."""

    campaign = CampaignRefSerializer(read_only=True)
    unit = UnitRefSerializer(read_only=True)
    notice = CitedNoticeSerializer(read_only=True, allow_null=True)
    item = MatterItemSerializer(read_only=True, allow_null=True)
    distinctions = serializers.ListField(
        child=serializers.ChoiceField(choices=Distinction.choices), read_only=True
    )
    distinctions_display = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    applied_by = UserRefSerializer(read_only=True)
    decided_by = UserRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Exemption
        fields = [
            "id",
            "campaign",
            "unit",
            "notice",
            "item",
            "distinctions",
            "distinctions_display",
            "reasons",
            "status",
            "status_display",
            "applied_by",
            "applied_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = fields

    def get_distinctions_display(self, exemption: Exemption) -> list[str]:
        """The chosen distinctions in their full wording."""
        return [str(Distinction(value).label) for value in exemption.distinctions]


class ExemptionApplySerializer(serializers.Serializer):
    """What a unit sends to apply: the notice or the ledger item, at least one of the three
    distinctions, and its reasons."""

    notice = serializers.PrimaryKeyRelatedField(
        queryset=Notice.objects.none(), allow_null=True, required=False, default=None
    )
    item = serializers.PrimaryKeyRelatedField(
        queryset=LedgerItem.objects.none(), allow_null=True, required=False, default=None
    )
    distinctions = serializers.ListField(
        child=serializers.ChoiceField(choices=Distinction.choices), allow_empty=False
    )
    reasons = serializers.CharField(max_length=TEXT_MAX)

    def get_fields(self) -> dict[str, serializers.Field]:
        """Notices and items of the units the caller applies for."""
        fields = super().get_fields()
        notices, items = applicable_matters(_caller(self))
        fields["notice"].queryset = notices  # type: ignore[attr-defined]
        fields["item"].queryset = items  # type: ignore[attr-defined]
        return fields
