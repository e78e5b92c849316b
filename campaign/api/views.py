"""API views for campaigns, task forces, supervision groups and responsibility chains.

Reads come from :mod:`campaign.selectors`, already scoped to the caller; chain writes go
through :mod:`campaign.services`, which check the caller may change the unit.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.request import Request
from rest_framework.response import Response

from campaign.filtersets import (
    CampaignFilterSet,
    ChainFilterSet,
    SupervisionGroupFilterSet,
    TaskForceFilterSet,
)
from campaign.models import Campaign, ResponsibilityChain, SupervisionGroup, TaskForce
from campaign.selectors import (
    campaign_detail,
    campaign_list,
    chain_detail,
    chain_list,
    supervision_group_list,
    task_force_list,
)
from campaign.services import chain_create, chain_delete, chain_update
from config.api.base import ChangesNeedManageRights, ScopedReadOnlyViewSet

from .serializers import (
    CampaignDetailSerializer,
    CampaignListSerializer,
    ChainDetailSerializer,
    ChainListSerializer,
    ChainWriteSerializer,
    SupervisionGroupDetailSerializer,
    SupervisionGroupListSerializer,
    TaskForceDetailSerializer,
    TaskForceListSerializer,
)


@extend_schema(tags=["campaigns"])
class CampaignViewSet(ScopedReadOnlyViewSet):
    """Campaigns the caller takes part in; the detail carries the phases."""

    queryset = Campaign.objects.none()  # for the schema's model; rows come from the selector
    list_serializer_class = CampaignListSerializer
    detail_serializer_class = CampaignDetailSerializer
    filterset_class = CampaignFilterSet
    ordering_fields = ["year", "name", "start_date"]

    def selector_queryset(self) -> QuerySet[Campaign]:
        """Visible campaigns, newest first, with their counts."""
        return campaign_list(user=self.caller)

    def detail_object(self, pk: int) -> Campaign:
        """The campaign with its phases."""
        return campaign_detail(user=self.caller, pk=pk)


@extend_schema(tags=["campaigns"])
class TaskForceViewSet(ScopedReadOnlyViewSet):
    """Task forces of the caller's campaigns, member units cut to what the caller may see."""

    queryset = TaskForce.objects.none()
    list_serializer_class = TaskForceListSerializer
    detail_serializer_class = TaskForceDetailSerializer
    filterset_class = TaskForceFilterSet
    ordering_fields = ["sort_order", "name"]

    def selector_queryset(self) -> QuerySet[TaskForce]:
        """Visible task forces with leader, units and members loaded."""
        return task_force_list(user=self.caller).order_by("campaign", "sort_order", "name")


@extend_schema(tags=["campaigns"])
class SupervisionGroupViewSet(ScopedReadOnlyViewSet):
    """Supervision groups of the caller's campaigns; filter by the unit a group covers."""

    queryset = SupervisionGroup.objects.none()
    list_serializer_class = SupervisionGroupListSerializer
    detail_serializer_class = SupervisionGroupDetailSerializer
    filterset_class = SupervisionGroupFilterSet
    ordering_fields = ["sort_order", "name"]

    def selector_queryset(self) -> QuerySet[SupervisionGroup]:
        """Visible groups with leader, assigned units and members loaded."""
        return supervision_group_list(user=self.caller).order_by("campaign", "sort_order", "name")


@extend_schema(tags=["chains"])
@extend_schema_view(
    create=extend_schema(request=ChainWriteSerializer, responses={201: ChainDetailSerializer}),
    partial_update=extend_schema(
        request=ChainWriteSerializer, responses={200: ChainDetailSerializer}
    ),
    destroy=extend_schema(responses={204: None}),
)
class ChainViewSet(ScopedReadOnlyViewSet):
    """Responsibility chains (两级五岗): read, create, change and delete.

    Objects outside the caller's jurisdiction are 404; read-only callers get 403 on any
    write; the services decide whether the caller may change the chain's unit (403) and
    whether the posts fit together (400, per field).
    """

    queryset = ResponsibilityChain.objects.none()
    permission_classes = [permissions.IsAuthenticated, ChangesNeedManageRights]
    list_serializer_class = ChainListSerializer
    detail_serializer_class = ChainDetailSerializer
    filterset_class = ChainFilterSet
    ordering_fields = ["subject", "unit__path"]

    def selector_queryset(self) -> QuerySet[ResponsibilityChain]:
        """Visible chains with everything their one-line form needs."""
        return chain_list(user=self.caller).order_by("unit__path", "subject", "pk")

    def detail_object(self, pk: int) -> ResponsibilityChain:
        """One visible chain."""
        return chain_detail(user=self.caller, pk=pk)

    def get_serializer_class(self) -> type:
        """Writes parse with the write serializer; everything else as the base decides."""
        if self.action in ("create", "partial_update"):
            return ChainWriteSerializer
        return super().get_serializer_class()

    def _render(self, chain: ResponsibilityChain) -> dict[str, Any]:
        """The chain as the detail shows it, re-read through the selector."""
        fresh = chain_detail(user=self.caller, pk=chain.pk)
        return ChainDetailSerializer(fresh, context=self.get_serializer_context()).data

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a chain through ``chain_create``."""
        write = self.get_serializer(data=request.data)
        write.is_valid(raise_exception=True)
        chain = chain_create(actor=self.caller, **write.validated_data)
        return Response(self._render(chain), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change some fields of a chain through ``chain_update``."""
        chain = self.get_object()
        write = self.get_serializer(chain, data=request.data, partial=True)
        write.is_valid(raise_exception=True)
        changes = dict(write.validated_data)
        cooperating = changes.pop("cooperating_departments", None)
        chain_update(actor=self.caller, chain=chain, cooperating_departments=cooperating, **changes)
        return Response(self._render(chain))

    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Delete a chain through ``chain_delete``."""
        chain_delete(actor=self.caller, chain=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
