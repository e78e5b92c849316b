"""API shapes of campaigns and their parts: one serializer per use (list, detail, write).

Read serializers only read what the selectors loaded (``select_related``, prefetches and
annotations), so a list costs the same number of queries at any length. The write
serializer only parses and checks references; the services validate and save.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.api.serializers import UnitRefSerializer, UserRefSerializer
from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit
from accounts.selectors import unit_list, user_list
from campaign.models import (
    Campaign,
    CampaignPhase,
    ResponsibilityChain,
    SupervisionGroup,
    TaskForce,
)
from campaign.rules import can_view_chain
from campaign.selectors import campaign_list, chain_children, chain_list, task_force_list


class CampaignRefSerializer(serializers.ModelSerializer[Campaign]):
    """A campaign as other records point at it."""

    class Meta:
        model = Campaign
        fields = ["id", "name", "year"]
        read_only_fields = fields


class PhaseSerializer(serializers.ModelSerializer[CampaignPhase]):
    """One phase of a campaign's timeline."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = CampaignPhase
        fields = ["id", "kind", "kind_display", "order", "start_date", "end_date", "goals"]
        read_only_fields = fields


class CampaignListSerializer(serializers.ModelSerializer[Campaign]):
    """A campaign in a list, with how many task forces and supervision groups it has."""

    owner_unit = UnitRefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    task_force_count = serializers.IntegerField(read_only=True)
    supervision_group_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "year",
            "start_date",
            "end_date",
            "status",
            "status_display",
            "owner_unit",
            "task_force_count",
            "supervision_group_count",
        ]
        read_only_fields = fields


class CampaignDetailSerializer(CampaignListSerializer):
    """One campaign with its description and phases."""

    phases = PhaseSerializer(many=True, read_only=True)

    class Meta(CampaignListSerializer.Meta):
        fields = [*CampaignListSerializer.Meta.fields, "description", "phases"]
        read_only_fields = fields


class TaskForceListSerializer(serializers.ModelSerializer[TaskForce]):
    """A task force with its leader and the member units the caller may see."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    leader = UserRefSerializer(read_only=True)
    member_units = UnitRefSerializer(many=True, read_only=True)

    class Meta:
        model = TaskForce
        fields = [
            "id",
            "campaign",
            "name",
            "kind",
            "kind_display",
            "area",
            "leader",
            "member_units",
            "sort_order",
        ]
        read_only_fields = fields


class TaskForceDetailSerializer(TaskForceListSerializer):
    """One task force, also naming its campaign and member people."""

    campaign = CampaignRefSerializer(read_only=True)
    members = UserRefSerializer(many=True, read_only=True)

    class Meta(TaskForceListSerializer.Meta):
        fields = [*TaskForceListSerializer.Meta.fields, "members"]
        read_only_fields = fields


class SupervisionGroupListSerializer(serializers.ModelSerializer[SupervisionGroup]):
    """A supervision group with its leader and the assigned units the caller may see."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    leader = UserRefSerializer(read_only=True)
    assigned_units = UnitRefSerializer(many=True, read_only=True)

    class Meta:
        model = SupervisionGroup
        fields = [
            "id",
            "campaign",
            "name",
            "kind",
            "kind_display",
            "leader",
            "assigned_units",
            "sort_order",
        ]
        read_only_fields = fields


class SupervisionGroupDetailSerializer(SupervisionGroupListSerializer):
    """One supervision group, also naming its campaign and members."""

    campaign = CampaignRefSerializer(read_only=True)
    members = UserRefSerializer(many=True, read_only=True)

    class Meta(SupervisionGroupListSerializer.Meta):
        fields = [*SupervisionGroupListSerializer.Meta.fields, "members"]
        read_only_fields = fields


class ChainListSerializer(serializers.ModelSerializer[ResponsibilityChain]):
    """A responsibility chain (两级五岗): its five posts and the chain as one line."""

    unit = UnitRefSerializer(read_only=True)
    principal_leader = UserRefSerializer(read_only=True)
    leader_in_charge = UserRefSerializer(read_only=True)
    lead_department = UnitRefSerializer(read_only=True)
    cooperating_departments = UnitRefSerializer(many=True, read_only=True)
    responsible_person = UserRefSerializer(read_only=True)
    line = serializers.CharField(
        source="as_line", read_only=True, help_text="The whole chain as one line of text."
    )

    class Meta:
        model = ResponsibilityChain
        fields = [
            "id",
            "subject",
            "campaign",
            "task_force",
            "unit",
            "principal_leader",
            "leader_in_charge",
            "lead_department",
            "cooperating_departments",
            "responsible_person",
            "parent",
            "line",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "parent": {"help_text": "Id of the higher level's chain this one carries a share of."}
        }


class ChainRefSerializer(serializers.ModelSerializer[ResponsibilityChain]):
    """A chain as another chain names it: the level above or below."""

    unit = UnitRefSerializer(read_only=True)

    class Meta:
        model = ResponsibilityChain
        fields = ["id", "subject", "unit"]
        read_only_fields = fields


class TaskForceRefSerializer(serializers.ModelSerializer[TaskForce]):
    """A task force as a chain names it."""

    class Meta:
        model = TaskForce
        fields = ["id", "name", "area"]
        read_only_fields = fields


class ChainDetailSerializer(ChainListSerializer):
    """One chain, naming its campaign and task force, and whether the caller may change it."""

    campaign = CampaignRefSerializer(read_only=True, allow_null=True)
    task_force = TaskForceRefSerializer(read_only=True, allow_null=True)
    # DRF takes declared fields off the class, so this does not clash with Field.parent.
    parent = serializers.SerializerMethodField()  # type: ignore[assignment]
    children = serializers.SerializerMethodField()
    can_change = serializers.SerializerMethodField()

    class Meta(ChainListSerializer.Meta):
        fields = [*ChainListSerializer.Meta.fields, "children", "can_change"]
        read_only_fields = fields

    @extend_schema_field(ChainRefSerializer(allow_null=True))
    def get_parent(self, chain: ResponsibilityChain) -> dict[str, Any] | None:
        """The higher level's chain when the caller may see it (``campaign.rules``)."""
        request = self.context.get("request")
        parent = chain.parent
        if request is None or parent is None or not can_view_chain(request.user, parent):
            return None
        return ChainRefSerializer(parent).data

    @extend_schema_field(ChainRefSerializer(many=True))
    def get_children(self, chain: ResponsibilityChain) -> list[dict[str, Any]]:
        """The next level's chains carrying a share of this one, those the caller may see."""
        request = self.context.get("request")
        if request is None:
            return []
        children = chain_children(user=request.user, chain=chain)
        return list(ChainRefSerializer(children, many=True).data)

    def get_can_change(self, chain: ResponsibilityChain) -> bool:
        """Whether the caller may change or delete this chain (no query)."""
        request = self.context.get("request")
        return request is not None and jurisdiction_for(request.user).can_manage(chain.unit)


class ChainWriteSerializer(serializers.ModelSerializer[ResponsibilityChain]):
    """What a client sends to create or change a chain: ids of units, people and campaign.

    Every reference is looked up among what the caller may see, so an id from outside the
    jurisdiction is "does not exist", exactly like an id that does not exist. Whether the
    posts and departments fit together is checked by the service, whose errors come back
    under the same field names.
    """

    # Declared because the link table is an explicit (history-tracked) through model, which
    # ModelSerializer would otherwise make read-only.
    cooperating_departments = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Unit.objects.none(), required=False
    )

    class Meta:
        model = ResponsibilityChain
        fields = [
            "subject",
            "campaign",
            "task_force",
            "unit",
            "principal_leader",
            "leader_in_charge",
            "lead_department",
            "cooperating_departments",
            "responsible_person",
            "parent",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:  # schema generation: no caller, nothing to scope
            return
        user = request.user
        units = unit_list(user=user)
        people = user_list(user=user)
        fields = self.fields
        fields["unit"].queryset = units  # type: ignore[attr-defined]
        fields["lead_department"].queryset = units  # type: ignore[attr-defined]
        fields["cooperating_departments"].child_relation.queryset = units  # type: ignore[attr-defined]
        for name in ("principal_leader", "leader_in_charge", "responsible_person"):
            fields[name].queryset = people  # type: ignore[attr-defined]
        fields["campaign"].queryset = campaign_list(user=user)  # type: ignore[attr-defined]
        fields["task_force"].queryset = task_force_list(user=user).prefetch_related(None)  # type: ignore[attr-defined]
        fields["parent"].queryset = chain_list(user=user).prefetch_related(None)  # type: ignore[attr-defined]
