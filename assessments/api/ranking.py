"""The ranking for dashboards: ``GET /api/v1/ranking/?round=&category=`` (a round's results
with rank, tier, grade and movement, the headline figures, the grade distribution and the
tier lists) and ``GET /api/v1/ranking/trend/?scheme=&unit=`` (across the scheme's rounds,
the unit's results or each category's average total).

Both read :mod:`assessments.selectors` (``round_ranking``, ``ranking_trend``), scoped by
:func:`assessments.rules.viewable_results_q`, the same reads as the ranking page, the
dashboard's tables and the Excel export, so their figures agree. Each runs a fixed number of
queries whatever the number of units. A filter not understood, or naming a round, scheme or
unit the caller does not see, is a 400 on that field in the one error shape.
"""

from __future__ import annotations

import gzip
import hashlib
import re
from typing import Any

import django_filters
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.urls import path
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from accountability.api.stats import FilteredObjectSchema
from accounts.models import Unit
from config.api.base import ServiceErrorsMixin

from .. import rules, selectors
from ..models import Grade, Result, Round, Scheme, UnitCategory


# --- filters -----------------------------------------------------------------------------------
def _rounds(request: Any) -> QuerySet[Round]:
    if request is None:
        return Round.objects.none()
    return selectors.ranked_rounds(user=request.user)


def _schemes(request: Any) -> QuerySet[Scheme]:
    if request is None:
        return Scheme.objects.none()
    return Scheme.objects.filter(rules.viewable_schemes_q(request.user))


def _units(request: Any) -> QuerySet[Unit]:
    if request is None:
        return Unit.objects.none()
    seen = Result.objects.filter(rules.viewable_results_q(request.user)).values("unit_id")
    return Unit.objects.filter(pk__in=seen)


class RankingFilterSet(django_filters.FilterSet):
    """Which round's ranking (one with results the caller sees), and optionally one of its
    scheme's categories."""

    round = django_filters.ModelChoiceFilter(
        queryset=_rounds,
        required=True,
        method="_keep",
        label=gettext_lazy("round (one with results you may see)"),
    )
    category = django_filters.ModelChoiceFilter(
        queryset=UnitCategory.objects.all(),
        method="_keep",
        label=gettext_lazy("unit category of the round's scheme"),
    )

    class Meta:
        model = Result
        fields = ["round", "category"]

    def _keep(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset  # the selector reads the values; the filterset only checks them


class TrendFilterSet(django_filters.FilterSet):
    """Which scheme's rounds, and optionally which unit (one whose results the caller sees)."""

    scheme = django_filters.ModelChoiceFilter(
        queryset=_schemes, required=True, method="_keep", label=gettext_lazy("scheme")
    )
    unit = django_filters.ModelChoiceFilter(
        queryset=_units,
        method="_keep",
        label=gettext_lazy("unit (empty: each category's average)"),
    )

    class Meta:
        model = Result
        fields = ["scheme", "unit"]

    def _keep(self, queryset: QuerySet[Any], name: str, value: Any) -> QuerySet[Any]:
        return queryset


# --- serializers -------------------------------------------------------------------------------
class RankingRoundSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.CharField()
    scheme = serializers.IntegerField(source="scheme_id")
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    published_at = serializers.DateTimeField(allow_null=True)
    circular_issue = serializers.IntegerField(allow_null=True)


class RankingResultSerializer(serializers.Serializer):
    """One unit's published figures, as they were computed (names included)."""

    unit = serializers.IntegerField(source="unit_id")
    unit_code = serializers.CharField()
    unit_name = serializers.CharField()
    category = serializers.IntegerField(source="category_id")
    category_name = serializers.CharField()
    rank = serializers.IntegerField()
    daily = serializers.DecimalField(max_digits=7, decimal_places=2)
    annual = serializers.DecimalField(max_digits=7, decimal_places=2)
    third_party = serializers.DecimalField(max_digits=7, decimal_places=2)
    public = serializers.DecimalField(max_digits=7, decimal_places=2)
    total = serializers.DecimalField(max_digits=7, decimal_places=2)
    deducted = serializers.DecimalField(max_digits=7, decimal_places=2)
    deduction_count = serializers.IntegerField()
    grade = serializers.ChoiceField(choices=Grade.choices)
    grade_label = serializers.CharField(source="get_grade_display")
    grade_note = serializers.CharField()
    tier = serializers.IntegerField()
    tier_label = serializers.SerializerMethodField()
    movement = serializers.IntegerField(allow_null=True)
    movement_text = serializers.SerializerMethodField()

    def get_tier_label(self, result: Result) -> str:
        """第一档, 第二档, …"""
        return selectors.tier_label(result.tier)

    def get_movement_text(self, result: Result) -> str:
        """↑2, ↓1, — (no change), empty (no previous round)."""
        return selectors.movement_text(result.movement)


class GradeCountSerializer(serializers.Serializer):
    grade = serializers.ChoiceField(choices=Grade.choices)
    # A field named "label" shadows Field.label for the type checker only.
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()


class TierListSerializer(serializers.Serializer):
    tier = serializers.IntegerField()
    label = serializers.CharField()  # type: ignore[assignment]
    count = serializers.IntegerField()
    names = serializers.ListField(child=serializers.CharField())


class CategoryRankingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    assessed = serializers.IntegerField()
    with_deductions = serializers.IntegerField()
    grades = GradeCountSerializer(many=True)
    tiers = TierListSerializer(many=True)


class RankingSerializer(serializers.Serializer):
    """A round's ranking as the caller may see it. ``assessed`` and ``with_deductions`` are
    the round's headline figures (null when not for the caller: before publication, for
    whoever does not see every result); ``visible`` counts the results listed."""

    round = RankingRoundSerializer()
    assessed = serializers.IntegerField(allow_null=True)
    with_deductions = serializers.IntegerField(allow_null=True)
    visible = serializers.IntegerField()
    grades = GradeCountSerializer(many=True)
    categories = CategoryRankingSerializer(many=True)
    results = RankingResultSerializer(many=True)


class TrendPointSerializer(serializers.Serializer):
    round = serializers.IntegerField(source="round_id")
    title = serializers.CharField()
    period_start = serializers.DateField()
    category = serializers.IntegerField(source="category_id")
    category_name = serializers.CharField()
    total = serializers.DecimalField(
        max_digits=7, decimal_places=2, help_text=gettext_lazy("the unit's total, or the average")
    )
    count = serializers.IntegerField(help_text=gettext_lazy("results averaged"))
    rank = serializers.IntegerField(allow_null=True)
    tier = serializers.IntegerField(allow_null=True)
    grade = serializers.CharField()


class TrendSerializer(serializers.Serializer):
    scheme = serializers.IntegerField()
    unit = serializers.IntegerField(allow_null=True)
    points = TrendPointSerializer(many=True)


# --- views -------------------------------------------------------------------------------------
class _FilteredView(ServiceErrorsMixin, generics.GenericAPIView):
    queryset = Result.objects.none()  # for the schema's model; rows come from the selectors
    filter_backends = (DjangoFilterBackend,)
    pagination_class = None
    schema = FilteredObjectSchema()
    filterset_class: Any  # each view's

    def get_queryset(self) -> QuerySet[Result]:
        """Nothing to filter: the filterset only validates the parameters."""
        return Result.objects.none()

    def cleaned(self, request: Request) -> dict[str, Any]:
        """The valid filters, checked once (anything else is a 400, as the filter backend
        answers it)."""
        backend = DjangoFilterBackend()
        filterset = backend.get_filterset(request, self.get_queryset(), self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        return filterset.form.cleaned_data


class RankingView(_FilteredView):
    """A round's ranking for dashboards."""

    serializer_class = RankingSerializer
    filterset_class = RankingFilterSet

    def _seen_whole(self, request: Request) -> selectors.Ranking | None:
        """The ranking asked for, when the request names a round and nothing else the
        filters read, the cache holds that round's published snapshot, and the caller's
        jurisdiction holds every unit in it: the snapshot's ranking, as
        :func:`~assessments.selectors.round_ranking` gives whoever sees it whole.

        Such a round is certainly one with results the caller sees, so the filterset's check
        (a query over the round's results through the rules, half this endpoint's time at a
        province) would only say yes; the round is read by its id instead. Anything else (a
        category, a round seen in part or not at all, one not published or not yet kept, a
        value that is no id) goes through the filterset and its errors, with no query more."""
        if "category" in request.query_params:
            return None
        value = request.query_params.get("round", "")
        if not (value.isascii() and value.isdigit() and len(value) <= 9):
            return None
        snapshot = selectors.kept_snapshot(int(value))
        if snapshot is None or not snapshot.categories:
            return None
        if not selectors.covers_snapshot(self.caller, snapshot):
            return None
        round_ = (
            Round.objects.select_related("scheme__campaign__owner_unit")
            .filter(pk=int(value))
            .first()
        )
        if round_ is None or not round_.frozen:
            return None
        return snapshot.ranking(round_, None)

    @extend_schema(summary="A round's ranking", tags=["assessments"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> HttpResponseBase:
        """The round's results the caller may see, category by category by rank, with the
        headline figures, the grade distribution and each category's tier lists."""
        ranking = self._seen_whole(request)
        category = None
        if ranking is None:
            filters = self.cleaned(request)
            round_, category = filters["round"], filters.get("category")
            if category is not None and category.scheme_id != round_.scheme_id:
                raise ValidationError({"category": _("Choose a category of the round's scheme.")})
            ranking = selectors.round_ranking(user=self.caller, round_=round_, category=category)
        renderer = request.accepted_renderer
        if not ranking.token or renderer.format != "json":
            return Response(self._data(ranking))
        # A published ranking seen whole is the same body for every such reader: rendered
        # once per snapshot (serialising thousands of results takes most of a second),
        # gzipped once (a province's 2 MB is 0.2 MB) and kept under the snapshot's token,
        # so it goes when the snapshot is forgotten.
        key = selectors.api_body_key(ranking, category, get_language())
        etag = f'W/"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
        unchanged = get_conditional_response(request, etag=etag)
        if unchanged is not None:  # the dashboard already holds this body
            return _varying(unchanged)
        packed = cache.get(key)
        if packed is None:
            body = renderer.render(
                self._data(ranking), request.accepted_media_type, self.get_renderer_context()
            )
            raw = body.encode() if isinstance(body, str) else body
            packed = gzip.compress(raw, compresslevel=6, mtime=0)
            cache.set(key, packed, selectors.RANKING_CACHE_SECONDS)
        if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            response = HttpResponse(packed, content_type=renderer.media_type)
            response["Content-Encoding"] = "gzip"
        else:
            response = HttpResponse(gzip.decompress(packed), content_type=renderer.media_type)
        response["ETag"] = etag
        return _varying(response)

    @staticmethod
    def _data(ranking: selectors.Ranking) -> Any:
        return RankingSerializer(
            {
                "round": ranking.round,
                "assessed": ranking.assessed if ranking.headline else None,
                "with_deductions": ranking.with_deductions if ranking.headline else None,
                "visible": ranking.visible,
                "grades": ranking.grades,
                "categories": ranking.categories,
                "results": ranking.results,
            }
        ).data


class RankingTrendView(_FilteredView):
    """The trend across a scheme's rounds for dashboards."""

    serializer_class = TrendSerializer
    filterset_class = TrendFilterSet

    @extend_schema(summary="Ranking trend across rounds", tags=["assessments"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Per round of the scheme in period order: the unit's total, rank, tier and grade
        (with ``unit``), or each category's average total over the results the caller sees."""
        filters = self.cleaned(request)
        scheme, unit = filters["scheme"], filters.get("unit")
        points = selectors.ranking_trend(user=self.caller, scheme=scheme, unit=unit)
        data = {"scheme": scheme.pk, "unit": unit.pk if unit else None, "points": points}
        return Response(TrendSerializer(data).data)


#: A client that takes gzip (as Django's GZipMiddleware reads Accept-Encoding).
ACCEPTS_GZIP = re.compile(r"\bgzip\b")


def _varying(response: HttpResponseBase) -> HttpResponseBase:
    """The cached ranking's answer differs by the encoding asked for, and by who asks (the
    body is the same for every reader who sees the whole round, but others get theirs)."""
    patch_vary_headers(response, ("Accept-Encoding", "Cookie", "Authorization"))
    return response


routes: list = []
urlpatterns = [
    path("ranking/", RankingView.as_view(), name="ranking"),
    path("ranking/trend/", RankingTrendView.as_view(), name="ranking-trend"),
]
