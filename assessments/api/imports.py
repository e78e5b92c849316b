"""Scores in from Excel through the API, under ``/api/v1/score-imports/``: the page's steps,
through the same functions (:mod:`assessments.score_imports` on :mod:`workbooks.jobs`).

1. ``POST /api/v1/score-imports/`` (multipart: ``round``, ``file``) refuses a bad file with
   400 before anything is stored, or stores it as a job and checks it (in the request for a
   short sheet, in the worker for a long one). A round the caller may see but not import
   into is refused with 403 and the reason.
2. ``PATCH /api/v1/score-imports/<id>/`` with ``{"mapping": {"<header>": "<field>" | null}}``
   takes the columns and checks again.
3. ``GET /api/v1/score-imports/<id>/`` says where the job stands: ``status``, ``progress``,
   ``counts``, ``rows`` (each score with its action, and every row with its problems) and
   ``can_apply``.
4. ``POST /api/v1/score-imports/<id>/apply/`` enters every score in one transaction, or none.

A job is reached only by the person who uploaded it: anyone else gets 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.request import Request

from workbooks import api as shared
from workbooks import jobs

from .. import rules, score_imports
from ..models import Round, ScoreImportJob


class ScoreImportCreateSerializer(serializers.Serializer):
    """The upload: the round to import scores into and the workbook (.xlsx)."""

    round = serializers.PrimaryKeyRelatedField(queryset=Round.objects.none())
    file = shared.workbook_field()

    def get_fields(self) -> dict[str, serializers.Field]:
        """Rounds the caller sees can be named; whether they may import is the rule's."""
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        fields["round"].queryset = (  # type: ignore[attr-defined]
            Round.objects.filter(rules.viewable_rounds_q(user)).select_related(
                "scheme__campaign__owner_unit"
            )
            if user is not None and user.is_authenticated
            else Round.objects.none()
        )
        return fields


class ScoreImportRemapSerializer(serializers.Serializer):
    """The clerk's choice of field for each column."""

    mapping = shared.mapping_field()


class ScoreImportJobSerializer(shared.ImportJobBaseSerializer):
    """A score import as :func:`assessments.score_imports.score_import_result` describes it."""

    round = serializers.DictField(help_text="id and title of the round imported into.")
    layout = serializers.CharField(
        allow_blank=True, help_text="long (a row per score) or wide (a column per indicator)."
    )
    counts = serializers.DictField(help_text="rows, create, update, unchanged, problems.")
    unknown = serializers.ListField(child=serializers.JSONField())
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


JOB_RESPONSES: dict[int, Any] = {200: ScoreImportJobSerializer}


@extend_schema(tags=["score imports"])
@extend_schema_view(
    list=extend_schema(
        summary="My score imports", responses={200: ScoreImportJobSerializer(many=True)}
    ),
    retrieve=extend_schema(summary="Where a score import stands", responses=JOB_RESPONSES),
    create=extend_schema(
        summary="Upload a workbook of scores",
        request={"multipart/form-data": ScoreImportCreateSerializer},
        responses={201: ScoreImportJobSerializer},
    ),
    partial_update=extend_schema(
        summary="Choose columns, check again",
        request=ScoreImportRemapSerializer,
        responses=JOB_RESPONSES,
    ),
    apply=shared.apply_schema(ScoreImportJobSerializer),
)
class ScoreImportJobViewSet(shared.ImportJobViewSet):
    """Imports of the caller's own workbooks of scores into rounds being scored."""

    importer = score_imports.SCORES
    queryset = ScoreImportJob.objects.none()
    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ScoreImportJobSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[ScoreImportJob]:
        """The caller's own jobs, newest first."""
        return score_imports.score_import_jobs(user=self.caller)

    def list_results(self, page: list[Any]) -> list[dict[str, Any]]:
        """The page's jobs with the indicators of their rounds read at once (a fixed number
        of queries whatever the page's length)."""
        score_imports.prefetch(page, user=self.caller)
        return [
            {
                **score_imports.score_import_result(job=job),
                "choices": jobs.field_choices(self.importer, job),
            }
            for job in page
        ]

    def create_job(self, request: Request) -> ScoreImportJob:
        """The round named and the workbook."""
        upload = ScoreImportCreateSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        return score_imports.score_import_create(
            actor=self.caller,
            round_=upload.validated_data["round"],
            upload=upload.validated_data["file"],
        )

    def remap_job(self, job: Any, request: Request) -> ScoreImportJob:
        """The mapping."""
        choices = ScoreImportRemapSerializer(data=request.data)
        choices.is_valid(raise_exception=True)
        return score_imports.score_import_remap(
            job=job, actor=self.caller, mapping=choices.validated_data.get("mapping")
        )


routes: list[tuple[str, Any, str]] = [
    ("score-imports", ScoreImportJobViewSet, "score-import"),
]
urlpatterns: list[Any] = []
