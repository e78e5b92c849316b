"""The accountability API's measures (六问) and exemptions (容错免责).

Reads come from :mod:`accountability.measure_selectors`, scoped to the caller by the rules
(an object outside the jurisdiction is 404); writes go through
:mod:`accountability.services`, which decide whether the caller may act (403, the rule's
reason) and whether the input is valid (400, per field). Read-only callers, and callers who
may record (or apply) nowhere, are refused before the body is read, as on the pages.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import Unit
from config.api.base import ScopedReadOnlyViewSet
from tasks_ledger.api.permissions import Rule
from tasks_ledger.api.serializers import NoteSerializer, RefusalSerializer
from tasks_ledger.api.views import WRITE_PERMISSIONS

from .. import rules, services
from ..measure_filtersets import ExemptionFilterSet, MeasureFilterSet
from ..measure_selectors import exemption_list, measure_list, strikes_by_measure
from ..models import AccountabilityMeasure, Exemption
from .measure_serializers import (
    AccountabilityMeasureDetailSerializer,
    AccountabilityMeasureSerializer,
    AccountabilityMeasureWriteSerializer,
    ExemptionApplySerializer,
    ExemptionSerializer,
)


def _records_somewhere(user: Any, _obj: Any) -> bool:
    return Unit.objects.filter(rules.recordable_units_q(user)).exists()


def _applies_somewhere(user: Any, _obj: Any) -> bool:
    return Unit.objects.filter(rules.applicable_units_q(user)).exists()


@extend_schema(tags=["accountability"])
@extend_schema_view(
    create=extend_schema(
        request=AccountabilityMeasureWriteSerializer,
        responses={201: AccountabilityMeasureDetailSerializer},
        summary="Record a measure",
    ),
    retrieve=extend_schema(responses={200: AccountabilityMeasureDetailSerializer}),
)
class MeasureViewSet(ScopedReadOnlyViewSet):
    """Accountability measures (六问) the caller may see, with their strikes per person and
    unit that year; the campaign office records them."""

    queryset = AccountabilityMeasure.objects.none()
    permission_classes = WRITE_PERMISSIONS
    create_rule: Rule = (
        _records_somewhere,
        _("Only the campaign office records accountability measures."),
    )
    list_serializer_class = AccountabilityMeasureSerializer
    detail_serializer_class = AccountabilityMeasureDetailSerializer
    filterset_class = MeasureFilterSet
    ordering_fields = ["decided_on", "created_at"]

    def selector_queryset(self) -> QuerySet[AccountabilityMeasure]:
        """Visible measures, newest decision first."""
        return measure_list(user=self.caller)

    def _detail(self, measure: AccountabilityMeasure, code: int = status.HTTP_200_OK) -> Response:
        strikes = services.measure_strikes(measure)
        context = {
            **self.get_serializer_context(),
            "strikes": strikes_by_measure([measure]),
            "involve": strikes.involve,
        }
        return Response(
            AccountabilityMeasureDetailSerializer(measure, context=context).data, status=code
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A page of measures, each with its strikes (counted once per year shown)."""
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        rows = list(page) if page is not None else list(queryset)
        context = {**self.get_serializer_context(), "strikes": strikes_by_measure(rows)}
        data = AccountabilityMeasureSerializer(rows, many=True, context=context).data
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The measure, with whom its strikes involve besides."""
        return self._detail(self.get_object())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a measure through ``measure_record``; all of it or nothing."""
        write = AccountabilityMeasureWriteSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        write.is_valid(raise_exception=True)
        measure = services.measure_record(actor=self.caller, **write.validated_data)
        return self._detail(
            measure_list(user=self.caller).get(pk=measure.pk), status.HTTP_201_CREATED
        )


@extend_schema(tags=["accountability"])
@extend_schema_view(
    create=extend_schema(
        request=ExemptionApplySerializer,
        responses={201: ExemptionSerializer},
        summary="Apply for an exemption",
    ),
)
class ExemptionViewSet(ScopedReadOnlyViewSet):
    """Exemptions (容错免责) the caller may see, pending first: a unit applies about a notice
    or a ledger item; the campaign office over it approves or refuses."""

    queryset = Exemption.objects.none()
    permission_classes = WRITE_PERMISSIONS
    create_rule: Rule = (
        _applies_somewhere,
        _("Only the unit concerned applies for an exemption."),
    )
    serializer_class = ExemptionSerializer
    filterset_class = ExemptionFilterSet
    ordering_fields = ["applied_at", "decided_at"]

    def selector_queryset(self) -> QuerySet[Exemption]:
        """Visible exemptions, pending first, newest first."""
        return exemption_list(user=self.caller)

    def _respond(self, exemption: Exemption, code: int = status.HTTP_200_OK) -> Response:
        fresh = exemption_list(user=self.caller).get(pk=exemption.pk)
        return Response(
            ExemptionSerializer(fresh, context=self.get_serializer_context()).data, status=code
        )

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Apply through ``exemption_apply``."""
        write = ExemptionApplySerializer(data=request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        exemption = services.exemption_apply(actor=self.caller, **write.validated_data)
        return self._respond(exemption, status.HTTP_201_CREATED)

    def _note(self, serializer_class: type) -> str:
        write = serializer_class(data=self.request.data)
        write.is_valid(raise_exception=True)
        return str(write.validated_data["note"])

    @extend_schema(request=NoteSerializer, responses={200: ExemptionSerializer}, summary="Approve")
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve (the campaign office over the unit): escalation of the matter stops."""
        exemption = self.get_object()
        services.exemption_approve(
            exemption=exemption, actor=self.caller, note=self._note(NoteSerializer)
        )
        return self._respond(exemption)

    @extend_schema(
        request=RefusalSerializer, responses={200: ExemptionSerializer}, summary="Refuse"
    )
    @action(detail=True, methods=["post"])
    def refuse(self, request: Request, pk: str | None = None) -> Response:
        """Refuse, saying why (the campaign office over the unit)."""
        exemption = self.get_object()
        services.exemption_refuse(
            exemption=exemption, actor=self.caller, note=self._note(RefusalSerializer)
        )
        return self._respond(exemption)


routes = [
    ("measures", MeasureViewSet, "measure"),
    ("exemptions", ExemptionViewSet, "exemption"),
]
urlpatterns: list = []
