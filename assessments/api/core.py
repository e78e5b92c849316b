"""The assessments API's records: schemes, rounds, scores, deductions, appeals and results.

Reads come from :mod:`assessments.selectors`, scoped to the caller: a record outside the
caller's sight is 404. Every action and every write first asks its rule through the action
table the pages use (:mod:`assessments.actions`): 403 with the rule's reason, before the
rest of the body is read. The services then check the status and the input: 400, per field
(a bulk entry of scores names the line, ``entries.3.unit``), all or nothing.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.fields import empty
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.base import ScopedReadOnlyViewSet

from .. import selectors, services
from ..actions import (
    APPEAL_ACTIONS,
    DEDUCTION_ACTIONS,
    ROUND_ACTIONS,
    SCHEME_ACTIONS,
    Action,
    refuse_unless,
)
from ..filtersets import (
    AppealFilterSet,
    DeductionFilterSet,
    ResultFilterSet,
    RoundFilterSet,
    SchemeFilterSet,
    ScoreFilterSet,
)
from ..models import (
    Appeal,
    CategoryMember,
    Deduction,
    Indicator,
    Result,
    Round,
    Scheme,
    ScoreEntry,
)
from .serializers import (
    AppealDecideSerializer,
    AppealDetailSerializer,
    AppealFileSerializer,
    AppealListSerializer,
    DeductionCreateSerializer,
    DeductionDetailSerializer,
    DeductionListSerializer,
    ResultSerializer,
    RoundCreateSerializer,
    RoundDetailSerializer,
    RoundListSerializer,
    SchemeDetailSerializer,
    SchemeListSerializer,
    ScoreListSerializer,
    ScoresEnteredSerializer,
    ScoresEnterSerializer,
)


class AssessmentViewSet(ScopedReadOnlyViewSet):
    """What the assessment viewsets share: parsing, refusing before parsing, answering."""

    filter_backends = [DjangoFilterBackend]

    def _parse(self, serializer_class: type) -> dict[str, Any]:
        write = serializer_class(data=self.request.data, context=self.get_serializer_context())
        write.is_valid(raise_exception=True)
        return dict(write.validated_data)

    def _target(self, table: dict[str, Action], name: str) -> Any:
        """The record of the URL (404 unseen), if the caller may take the action (403)."""
        obj = self.get_object()
        refuse_unless(table, name, self.caller, obj)
        return obj

    def _refuse_for_reference(
        self, serializer_class: type, field: str, table: dict[str, Action], name: str
    ) -> None:
        """Ask the rule about the record a write names in ``field`` (a round, a scheme, a
        deduction) before the rest of the body is checked; a reference that does not resolve
        is left for the body's own check (400)."""
        reference = serializer_class(context=self.get_serializer_context()).fields[field]
        try:
            obj = reference.run_validation(self.request.data.get(field, empty))
        except serializers.ValidationError:
            return
        refuse_unless(table, name, self.caller, obj)

    def _respond(self, pk: int, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.detail_object(pk)
        serializer_class = self.detail_serializer_class
        assert serializer_class is not None
        return Response(serializer_class(fresh, context=self.get_serializer_context()).data, code)


# --- schemes ---------------------------------------------------------------------------------
@extend_schema(tags=["assessments"])
@extend_schema_view(
    list=extend_schema(description="Assessment schemes of the campaigns the caller takes part in.")
)
class SchemeViewSet(AssessmentViewSet):
    """Assessment schemes (考核方案): weights, indicators, categories, grade bands and linkage
    rules; the office puts a draft in use."""

    queryset = Scheme.objects.none()
    list_serializer_class = SchemeListSerializer
    detail_serializer_class = SchemeDetailSerializer
    filterset_class = SchemeFilterSet

    def selector_queryset(self) -> QuerySet[Scheme]:
        """Schemes the caller may read."""
        return selectors.scheme_list(user=self.caller)

    def detail_object(self, pk: int) -> Scheme:
        """The scheme with everything it holds."""
        return selectors.scheme_detail(user=self.caller, pk=pk)

    @extend_schema(request=None, responses={200: SchemeDetailSerializer}, summary="Put in use")
    @action(detail=True, methods=["post"])
    def activate(self, request: Request, pk: str | None = None) -> Response:
        """Put a draft scheme in use (its weights total 100, every weighted source has an
        indicator, better grades need higher totals)."""
        scheme = self._target(SCHEME_ACTIONS, "activate")
        return self._respond(services.scheme_activate(scheme=scheme, actor=self.caller).pk)


# --- rounds ----------------------------------------------------------------------------------
def _round_move(name: str, service: Any, summary: str, doc: str) -> Any:
    """An action moving the round to its next status through ``service``."""

    def move(self: RoundViewSet, request: Request, pk: str | None = None) -> Response:
        round_ = self._target(ROUND_ACTIONS, name)
        return self._respond(service(round_=round_, actor=self.caller).pk)

    move.__name__ = name
    move.__doc__ = doc
    path = name.replace("_", "-")
    return extend_schema(request=None, responses={200: RoundDetailSerializer}, summary=summary)(
        action(detail=True, methods=["post"], url_path=path, url_name=path)(move)
    )


@extend_schema(tags=["assessments"])
@extend_schema_view(
    list=extend_schema(description="Assessment rounds of the schemes the caller may read."),
    create=extend_schema(
        request=RoundCreateSerializer,
        responses={201: RoundDetailSerializer},
        summary="Open a draft round",
    ),
)
class RoundViewSet(AssessmentViewSet):
    """Assessment rounds (quarterly, annual): draft → scoring → review → published →
    archived; frozen once published."""

    queryset = Round.objects.none()
    list_serializer_class = RoundListSerializer
    detail_serializer_class = RoundDetailSerializer
    filterset_class = RoundFilterSet

    def selector_queryset(self) -> QuerySet[Round]:
        """Rounds the caller may read."""
        return selectors.round_list(user=self.caller)

    def get_serializer_class(self) -> type:
        """The create serializer parses a new round."""
        if self.action == "create":
            return RoundCreateSerializer
        return super().get_serializer_class()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open a draft round under a scheme (``round_create``)."""
        self._refuse_for_reference(RoundCreateSerializer, "scheme", SCHEME_ACTIONS, "create_round")
        data = self._parse(RoundCreateSerializer)
        round_ = services.round_create(
            scheme=data["scheme"],
            actor=self.caller,
            kind=data["kind"],
            quarter=data.get("quarter"),
            title=data["title"],
            period_start=data["period_start"],
            period_end=data["period_end"],
            appeal_until=data.get("appeal_until"),
        )
        return self._respond(round_.pk, status.HTTP_201_CREATED)

    open_scoring = _round_move(
        "open_scoring",
        services.round_open_scoring,
        "Open scoring",
        "A draft round starts being scored (its scheme in use).",
    )
    to_review = _round_move(
        "to_review",
        services.round_to_review,
        "End scoring, review",
        "Scoring ends; the round is reviewed, and appealed against, before publication.",
    )
    publish = _round_move(
        "publish",
        services.round_publish,
        "Publish",
        "Compute every result and publish the round, frozen from then on (refused while an "
        "appeal awaits a decision).",
    )
    archive = _round_move(
        "archive", services.round_archive, "Archive", "A published round is archived."
    )
    show_publicly = _round_move(
        "show_publicly",
        services.round_show_publicly,
        "Show on the public ranking",
        "Once published, the round's grades and tiers are shown on the public ranking.",
    )
    hide_publicly = _round_move(
        "hide_publicly",
        services.round_hide_publicly,
        "Hide from the public ranking",
        "The round is no longer shown on the public ranking.",
    )


# --- scores ----------------------------------------------------------------------------------
@extend_schema(tags=["assessments"])
@extend_schema_view(
    list=extend_schema(
        description="Scores the caller may see (a unit only its own before publication)."
    ),
    create=extend_schema(
        request=ScoresEnterSerializer,
        responses={201: ScoresEnteredSerializer},
        summary="Enter scores in bulk",
        description="Enter or correct scores of one round, all or none; each refusal names "
        "its line (``entries.3.unit``, or the line number in words).",
    ),
)
class ScoreViewSet(AssessmentViewSet):
    """Score entries per unit × indicator in a round."""

    queryset = ScoreEntry.objects.none()
    detail_serializer_class = ScoreListSerializer
    filterset_class = ScoreFilterSet

    def selector_queryset(self) -> QuerySet[ScoreEntry]:
        """Scores the caller may see."""
        return selectors.score_list(user=self.caller)

    def get_serializer_class(self) -> type:
        """The bulk serializer parses scores to enter."""
        if self.action == "create":
            return ScoresEnterSerializer
        return super().get_serializer_class()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """``scores_enter`` with every line's unit and indicator looked up at once: the
        office enters any source's scores, a third-party evaluator the third-party ones."""
        self._refuse_for_reference(ScoresEnterSerializer, "round", ROUND_ACTIONS, "import_scores")
        data = self._parse(ScoresEnterSerializer)
        round_: Round = data["round"]
        if not ROUND_ACTIONS["import_scores"].applies(round_):
            # The service says in words why this round takes no scores (frozen, not scored).
            services.scores_enter(round_=round_, actor=self.caller, entries=[])
        lines = data["entries"]
        units = {
            member.unit_id: member.unit
            for member in CategoryMember.objects.filter(
                scheme_id=round_.scheme_id, unit_id__in={line["unit"] for line in lines}
            ).select_related("unit")
        }
        indicators = Indicator.objects.filter(scheme_id=round_.scheme_id).in_bulk(
            {line["indicator"] for line in lines}
        )
        line_errors: list[dict[str, list[str]]] = []
        for line in lines:
            errors: dict[str, list[str]] = {}
            if line["unit"] not in units:
                errors["unit"] = [_("Choose a unit assessed in this round's scheme.")]
            if line["indicator"] not in indicators:
                errors["indicator"] = [_("Choose an indicator of this round's scheme.")]
            line_errors.append(errors)
        if any(line_errors):
            raise serializers.ValidationError({"entries": line_errors})
        written = services.scores_enter(
            round_=round_,
            actor=self.caller,
            entries=[
                (
                    units[line["unit"]],
                    indicators[line["indicator"]],
                    line["points"],
                    line["comment"],
                )
                for line in lines
            ],
        )
        return Response({"round": round_.pk, "written": written}, status.HTTP_201_CREATED)


# --- deductions ------------------------------------------------------------------------------
@extend_schema(tags=["assessments"])
@extend_schema_view(
    list=extend_schema(
        description="Deductions the caller may see (a unit only its own before publication)."
    ),
    create=extend_schema(
        request={
            "multipart/form-data": DeductionCreateSerializer,
            "application/json": DeductionCreateSerializer,
        },
        responses={201: DeductionDetailSerializer},
        summary="Record a deduction",
    ),
)
class DeductionViewSet(AssessmentViewSet):
    """Deductions (扣分) with their reason, origin and evidence; appealed by the unit."""

    queryset = Deduction.objects.none()
    list_serializer_class = DeductionListSerializer
    detail_serializer_class = DeductionDetailSerializer
    filterset_class = DeductionFilterSet
    parser_classes = [MultiPartParser, JSONParser]

    def selector_queryset(self) -> QuerySet[Deduction]:
        """Deductions the caller may see."""
        return selectors.deduction_list(user=self.caller)

    def detail_object(self, pk: int) -> Deduction:
        """The deduction with its evidence and appeals."""
        return selectors.deduction_detail(user=self.caller, pk=pk)

    def get_serializer_class(self) -> type:
        """The create serializer parses a new deduction."""
        if self.action == "create":
            return DeductionCreateSerializer
        return super().get_serializer_class()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Record a deduction and its evidence, all or nothing."""
        self._refuse_for_reference(
            DeductionCreateSerializer, "round", ROUND_ACTIONS, "record_deduction"
        )
        data = self._parse(DeductionCreateSerializer)
        deduction = services.deduction_record_with_evidence(
            files=data["files"],
            round_=data["round"],
            actor=self.caller,
            unit=data["unit"],
            indicator=data["indicator"],
            points=data["points"],
            reason=data["reason"],
            origin=data["origin"],
            notice=data.get("notice"),
            item=data.get("item"),
        )
        return self._respond(deduction.pk, status.HTTP_201_CREATED)


# --- appeals ---------------------------------------------------------------------------------
@extend_schema(tags=["assessments"])
@extend_schema_view(
    list=extend_schema(description="Appeals against deductions the caller may see."),
    create=extend_schema(
        request=AppealFileSerializer,
        responses={201: AppealDetailSerializer},
        summary="Appeal a deduction",
    ),
)
class AppealViewSet(AssessmentViewSet):
    """Appeals (申诉) against deductions: filed by the unit while the window is open,
    decided by the office with a reason."""

    queryset = Appeal.objects.none()
    parser_classes = [MultiPartParser, JSONParser]
    list_serializer_class = AppealListSerializer
    detail_serializer_class = AppealDetailSerializer
    filterset_class = AppealFilterSet

    def selector_queryset(self) -> QuerySet[Appeal]:
        """Appeals the caller may see."""
        return selectors.appeal_list(user=self.caller)

    def get_serializer_class(self) -> type:
        """Writes parse with their own serializers."""
        writes: dict[str, type] = {"create": AppealFileSerializer, "decide": AppealDecideSerializer}
        return writes.get(self.action or "") or super().get_serializer_class()

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """File an appeal with its evidence (``appeal_file_with_evidence``)."""
        self._refuse_for_reference(AppealFileSerializer, "deduction", DEDUCTION_ACTIONS, "appeal")
        data = self._parse(AppealFileSerializer)
        appeal = services.appeal_file_with_evidence(
            files=data["files"],
            deduction=data["deduction"],
            actor=self.caller,
            reasons=data["reasons"],
        )
        return self._respond(appeal.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=AppealDecideSerializer, responses={200: AppealDetailSerializer}, summary="Decide"
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        """Uphold (the deduction is reversed) or reject the appeal, with the reason."""
        appeal = self._target(APPEAL_ACTIONS, "decide")
        data = self._parse(AppealDecideSerializer)
        decided = services.appeal_decide(
            appeal=appeal, actor=self.caller, upheld=data["upheld"], reason=data["reason"]
        )
        return self._respond(decided.pk)


# --- results ---------------------------------------------------------------------------------
@extend_schema(tags=["assessments"])
@extend_schema_view(
    list=extend_schema(
        description="Results the caller may see: a unit only its own before publication; "
        "ordered by round, category and rank unless ``ordering`` says otherwise."
    )
)
class ResultViewSet(AssessmentViewSet):
    """Results per unit and round: subtotals, total, grade, rank, tier and movement."""

    queryset = Result.objects.none()
    detail_serializer_class = ResultSerializer
    filterset_class = ResultFilterSet

    def selector_queryset(self) -> QuerySet[Result]:
        """Results the caller may see."""
        return selectors.result_list(user=self.caller)


routes: list[tuple[str, Any, str]] = [
    ("assessment-schemes", SchemeViewSet, "assessment-scheme"),
    ("assessment-rounds", RoundViewSet, "assessment-round"),
    ("assessment-scores", ScoreViewSet, "assessment-score"),
    ("deductions", DeductionViewSet, "deduction"),
    ("appeals", AppealViewSet, "appeal"),
    ("assessment-results", ResultViewSet, "assessment-result"),
]
urlpatterns: list[Any] = []
