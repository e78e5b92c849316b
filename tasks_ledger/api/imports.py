"""The Excel import in the API: the same four steps as the page, through the same services.

1. ``POST /api/v1/imports/`` (multipart: ``ledger``, ``file``) refuses a bad file with 400
   before anything is stored, or stores it as a job and checks it (in the request for a
   short sheet, in the worker for a long one). The answer is the job, with ``columns``:
   each header as written, the field it suggests and the field chosen.
2. ``PATCH /api/v1/imports/<id>/`` with ``{"mapping": {"<header>": "<field>" | null},
   "numbering": "item" | "row", "duplicates": "skip" | "add"}`` takes the choices and
   checks again; the mapping is kept for the ledger's next upload.
3. ``GET /api/v1/imports/<id>/`` says where the job stands: ``status``, ``progress``,
   ``counts``, ``rows`` (what each would do, with its problems) and ``can_apply``.
4. ``POST /api/v1/imports/<id>/apply/`` writes every row in one transaction, or nothing.

A job is reached only by the person who uploaded it: anyone else gets 404. Read-only
accounts are refused with 403 before the file is read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.base import ServiceErrorsMixin
from tasks_ledger import imports
from tasks_ledger.models import ImportDuplicates, ImportJob, ImportNumbering, Ledger
from tasks_ledger.selectors import import_jobs, ledger_choices

from .permissions import LedgerRules


# --- serializers ---------------------------------------------------------------------------------
class ImportCreateSerializer(serializers.Serializer):
    """The upload: the ledger to import into and the workbook (.xlsx)."""

    ledger = serializers.PrimaryKeyRelatedField(queryset=Ledger.objects.none())
    file = serializers.FileField(
        help_text="The workbook, .xlsx, as saved by Excel, WPS or LibreOffice."
    )

    def get_fields(self) -> dict[str, serializers.Field]:
        """Only ledgers of the caller's campaigns can be named."""
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        fields["ledger"].queryset = (  # type: ignore[attr-defined]
            ledger_choices(user=user) if user is not None else Ledger.objects.none()
        )
        return fields


class ImportRemapSerializer(serializers.Serializer):
    """The clerk's choices: which field each column fills, how 序号 is read, and what to do
    with rows that match an open item."""

    mapping = serializers.DictField(
        child=serializers.CharField(allow_null=True, allow_blank=True),
        required=False,
        help_text="Header text as in the sheet -> field key (see ``choices``), or null to "
        "ignore the column. Columns not named keep their field.",
    )
    numbering = serializers.ChoiceField(
        choices=ImportNumbering.choices,
        required=False,
        allow_blank=True,
        help_text="item: 序号 is this ledger's item number (rows update those items); "
        "row: 序号 is the sheet's own row number (every row is new); empty: as suggested.",
    )
    duplicates = serializers.ChoiceField(
        choices=ImportDuplicates.choices,
        required=False,
        help_text="Rows whose title and unit match an open item: skip them or add them anyway.",
    )


class ImportColumnSerializer(serializers.Serializer):
    """One column of the sheet and the field chosen for it."""

    index = serializers.IntegerField(help_text="The column's position in the sheet, from 0.")
    header = serializers.CharField(
        help_text="The header as written (made unique when two are alike): the mapping's key."
    )
    text = serializers.CharField(allow_blank=True, help_text="The header cell's own text.")
    letter = serializers.CharField(help_text="The column's letter in the sheet (A, B, …).")
    sample = serializers.CharField(allow_blank=True, allow_null=True, required=False)
    suggested = serializers.CharField(
        allow_null=True, help_text="The field its name suggests, or null."
    )
    field = serializers.CharField(
        allow_null=True, help_text="The field chosen, or null: the column is ignored."
    )
    saved = serializers.BooleanField(help_text="Chosen by the ledger's kept mapping.")
    computed = serializers.BooleanField(
        help_text="A column the platform computes (e.g. the light): read, never imported."
    )
    label = serializers.CharField(allow_blank=True, help_text="The chosen field's name.")  # type: ignore[assignment]
    note = serializers.CharField(
        allow_blank=True, required=False, help_text="What the importer does with the field."
    )
    left_out = serializers.BooleanField(
        required=False, help_text="A known header (such as 备注) not imported unless chosen."
    )


class ImportJobSerializer(serializers.Serializer):
    """An import job as :func:`tasks_ledger.imports.import_job_result` describes it."""

    id = serializers.IntegerField()
    ledger = serializers.DictField(help_text="id and title of the ledger imported into.")
    file_name = serializers.CharField()
    status = serializers.CharField(help_text="checking, checked, applying, applied or failed.")
    status_label = serializers.CharField()
    message = serializers.CharField(allow_blank=True)
    progress = serializers.DictField(help_text="Rows done and rows in all: {done, total}.")
    header_row = serializers.IntegerField(allow_null=True)
    columns = ImportColumnSerializer(many=True)
    choices = serializers.ListField(
        child=serializers.DictField(),
        help_text="The fields a column may fill: key, label, required, note.",
    )
    numbering = serializers.DictField(
        help_text="chosen (item, row or null: as suggested), applied, suggested, and the "
        "counts behind the suggestion."
    )
    duplicates = serializers.CharField()
    counts = serializers.DictField(
        help_text="rows, create, update, unchanged, duplicate, examples, problems."
    )
    problems = serializers.ListField(
        child=serializers.DictField(), help_text="Problems of the whole file."
    )
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="Rows planned (action, every parsed field, old and new values of an update, "
        "warnings) and every row with problems, each with its ``problems``.",
    )
    warnings = serializers.ListField(child=serializers.JSONField())
    defaults = serializers.ListField(child=serializers.JSONField())
    unknown = serializers.ListField(child=serializers.JSONField())
    can_apply = serializers.BooleanField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


# --- the viewset ------------------------------------------------------------------------------
JOB_RESPONSES: dict[int, Any] = {200: ImportJobSerializer}


def _refused(exc: imports.ImportRefused) -> exceptions.ValidationError:
    return exceptions.ValidationError({"file": [ErrorDetail(exc.message, code="invalid")]})


@extend_schema(tags=["ledger imports"])
@extend_schema_view(
    list=extend_schema(summary="My imports", responses={200: ImportJobSerializer(many=True)}),
    retrieve=extend_schema(summary="Where an import stands", responses=JOB_RESPONSES),
)
class ImportJobViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Imports of the caller's own workbooks into ledgers (Excel in)."""

    queryset = ImportJob.objects.none()
    permission_classes = [permissions.IsAuthenticated, LedgerRules]
    serializer_class = ImportJobSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    # Uploads are multipart; choices are JSON.
    parser_classes = [MultiPartParser, JSONParser]

    def get_queryset(self) -> QuerySet[ImportJob]:
        """The caller's own jobs, newest first."""
        return import_jobs(user=self.caller)

    def _result(self, job: ImportJob) -> dict[str, Any]:
        job = self.get_queryset().get(pk=job.pk)
        return {
            **imports.import_job_result(job=job),
            "choices": imports.import_field_choices(ledger=job.ledger),
        }

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The caller's jobs, newest first, each as the detail describes it."""
        page = self.paginate_queryset(self.get_queryset())
        rows = [self._result(job) for job in (page if page is not None else self.get_queryset())]
        if page is not None:
            return self.get_paginated_response(rows)
        return Response(rows)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Status, progress, counts, columns and rows with their problems."""
        return Response(self._result(self.get_object()))

    @extend_schema(
        summary="Upload a workbook",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={201: ImportJobSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Refuse a bad file (400, nothing stored) or store it and check it."""
        upload = ImportCreateSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        try:
            job = imports.import_job_create(
                actor=self.caller,
                ledger=upload.validated_data["ledger"],
                upload=upload.validated_data["file"],
            )
        except imports.ImportRefused as exc:
            raise _refused(exc) from exc
        return Response(self._result(job), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Choose columns and numbering, check again",
        request=ImportRemapSerializer,
        responses=JOB_RESPONSES,
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Take the mapping and numbering; the file is checked again."""
        job = self.get_object()
        choices = ImportRemapSerializer(data=request.data)
        choices.is_valid(raise_exception=True)
        job = imports.import_job_remap(job=job, actor=self.caller, **choices.validated_data)
        return Response(self._result(job))

    @extend_schema(
        summary="Apply the checked rows",
        request=None,
        responses={
            200: ImportJobSerializer,
            202: OpenApiResponse(
                ImportJobSerializer, description="A long sheet: the worker writes it."
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        """Write every row in one transaction (or none); long sheets go to the worker."""
        job = imports.import_job_request_apply(job=self.get_object(), actor=self.caller)
        body = self._result(job)
        running = body["status"] not in ("applied", "failed")
        return Response(body, status=status.HTTP_202_ACCEPTED if running else status.HTTP_200_OK)
