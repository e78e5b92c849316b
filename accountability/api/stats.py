"""The accountability API's statistics: issued notices by kind, target unit and month
(``GET /api/v1/notice-stats/?year=&campaign=``), the figures the statistics page charts.

The figures come from :func:`accountability.stats.notice_stats`, scoped by
:func:`accountability.rules.viewable_notices_q`, so the page's tables and the API agree.
"""

from __future__ import annotations

from typing import Any

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from campaign.models import Campaign
from campaign.selectors import campaign_list
from config.api.base import ServiceErrorsMixin

from ..models import NoticeKind
from ..stats import notice_stats


class NoticeStatsQuerySerializer(serializers.Serializer):
    """The filters: a year (of the issue date) and a campaign the caller takes part in."""

    year = serializers.IntegerField(
        required=False, min_value=2000, max_value=2100, help_text=_("year the notices were issued")
    )
    campaign = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.none(),
        required=False,
        allow_null=True,
        help_text=_("campaign (one the caller takes part in)"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            field = self.fields["campaign"]
            field.queryset = campaign_list(user=request.user)  # type: ignore[attr-defined]


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


class NoticeStatsView(ServiceErrorsMixin, generics.GenericAPIView):
    """Statistics of issued notices, within the caller's jurisdiction."""

    serializer_class = NoticeStatsSerializer
    filter_backends = ()
    pagination_class = None

    @extend_schema(
        summary="Notice statistics",
        tags=["notices"],
        parameters=[NoticeStatsQuerySerializer],
        responses={200: NoticeStatsSerializer},
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Issued notices by kind, by target unit (most first) and by month (every month of
        ``year`` when given), with how many are closed and how many are overdue now."""
        query = NoticeStatsQuerySerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        figures = notice_stats(
            user=self.caller,
            year=query.validated_data.get("year"),
            campaign=query.validated_data.get("campaign"),
        )
        return Response(NoticeStatsSerializer(figures).data)


routes: list = []
urlpatterns = [path("notice-stats/", NoticeStatsView.as_view(), name="notice-stats")]
