"""The accountability API's statistics: issued notices by kind, target unit and month
(``GET /api/v1/notice-stats/?year=&campaign=``), the figures the statistics page charts.

The figures come from :func:`accountability.stats.notice_stats`, scoped by
:func:`accountability.rules.viewable_notices_q`, so the page's tables and the API agree.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.base import ServiceErrorsMixin
from config.api.schema import AutoSchema

from ..models import Notice, NoticeKind
from ..stats import NoticeStatsFilterSet, issued_notices, notice_figures


class KindCountSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=NoticeKind.choices)
    # A field named "label" shadows Field.label for the type checker only: DRF's metaclass
    # takes declared fields out of the class.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class _ByKindColumns(serializers.Serializer):
    reminder = serializers.IntegerField()
    supervision = serializers.IntegerField()
    warning = serializers.IntegerField()
    accountability = serializers.IntegerField()
    total = serializers.IntegerField()


class UnitCountSerializer(_ByKindColumns):
    unit = serializers.IntegerField()
    name = serializers.CharField()


class MonthCountSerializer(_ByKindColumns):
    month = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="YYYY-MM")


class NoticeStatsSerializer(serializers.Serializer):
    """Issued notices the caller may see: totals, by kind, by target unit, by month."""

    year = serializers.IntegerField(allow_null=True)
    campaign = serializers.IntegerField(allow_null=True)
    total = serializers.IntegerField(help_text=_("notices issued"))
    closed = serializers.IntegerField(help_text=_("of them closed"))
    overdue = serializers.IntegerField(help_text=_("of them past their reply deadline now"))
    by_kind = KindCountSerializer(many=True)
    by_unit = UnitCountSerializer(many=True)
    by_month = MonthCountSerializer(many=True)


class FilteredObjectSchema(AutoSchema):
    """The schema of a GET that is not a list but takes a filterset's parameters: its 400
    names the filters' fields and codes (drf-spectacular and drf-standardized-errors look
    at filter backends on list views only)."""

    def get_filter_backends(self) -> list[Any]:
        """The view's filter backends, list or not."""
        return list(getattr(self.view, "filter_backends", ()))


class NoticeStatsView(ServiceErrorsMixin, generics.GenericAPIView):
    """Statistics of issued notices, within the caller's jurisdiction.

    The filters are :class:`~accountability.stats.NoticeStatsFilterSet`, as on the page: a
    year that is no year, or a campaign the caller takes no part in, is a 400 on that field.
    """

    queryset = Notice.objects.none()  # for the schema's model; rows come from the selector
    serializer_class = NoticeStatsSerializer
    filter_backends = (DjangoFilterBackend,)
    filterset_class = NoticeStatsFilterSet
    pagination_class = None
    schema = FilteredObjectSchema()

    def get_queryset(self) -> QuerySet[Notice]:
        """Issued notices the caller may see (the filter backend narrows them)."""
        return issued_notices(user=self.caller)

    @extend_schema(
        summary="Notice statistics",
        tags=["notices"],
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Issued notices by kind, by target unit (most first) and by month (every month of
        ``year`` when given), with how many are closed and how many are overdue now."""
        notices = self.filter_queryset(self.get_queryset())
        filters = self.filterset_class(request.query_params, request=request).form
        filters.is_valid()  # already valid: the backend refused anything else with a 400
        figures = notice_figures(
            notices,
            year=filters.cleaned_data.get("year"),
            campaign=filters.cleaned_data.get("campaign"),
        )
        return Response(NoticeStatsSerializer(figures).data)


routes: list = []
urlpatterns = [path("notice-stats/", NoticeStatsView.as_view(), name="notice-stats")]
