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
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers
from rest_framework.request import Request

from tasks_ledger import imports
from tasks_ledger.models import ImportDuplicates, ImportJob, ImportNumbering, Ledger
from tasks_ledger.selectors import import_jobs, ledger_choices
from workbooks import api as shared

from .permissions import LedgerRules


# --- serializers ---------------------------------------------------------------------------------
class ImportCreateSerializer(serializers.Serializer):
    """The upload: the ledger to import into and the workbook (.xlsx)."""

    ledger = serializers.PrimaryKeyRelatedField(queryset=Ledger.objects.none())
    file = shared.workbook_field()

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

    mapping = shared.mapping_field()
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


class ImportJobSerializer(shared.ImportJobBaseSerializer):
    """A ledger import job as :func:`tasks_ledger.imports.import_job_result` describes it."""

    ledger = serializers.DictField(help_text="id and title of the ledger imported into.")
    numbering = serializers.DictField(
        help_text="chosen (item, row or null: as suggested), applied, suggested, and the "
        "counts behind the suggestion."
    )
    duplicates = serializers.CharField()
    counts = serializers.DictField(
        help_text="rows, create, update, unchanged, duplicate, examples, problems."
    )
    defaults = serializers.ListField(child=serializers.JSONField())
    unknown = serializers.ListField(child=serializers.JSONField())
    created = serializers.IntegerField()
    updated = serializers.IntegerField()


# --- the viewset ------------------------------------------------------------------------------
JOB_RESPONSES: dict[int, Any] = {200: ImportJobSerializer}


@extend_schema(tags=["ledger imports"])
@extend_schema_view(
    list=extend_schema(summary="My imports", responses={200: ImportJobSerializer(many=True)}),
    retrieve=extend_schema(summary="Where an import stands", responses=JOB_RESPONSES),
    create=extend_schema(
        summary="Upload a workbook",
        request={"multipart/form-data": ImportCreateSerializer},
        responses={201: ImportJobSerializer},
    ),
    partial_update=extend_schema(
        summary="Choose columns and numbering, check again",
        request=ImportRemapSerializer,
        responses=JOB_RESPONSES,
    ),
    apply=shared.apply_schema(ImportJobSerializer),
)
class ImportJobViewSet(shared.ImportJobViewSet):
    """Imports of the caller's own workbooks into ledgers (Excel in)."""

    importer = imports.LEDGER
    queryset = ImportJob.objects.none()
    permission_classes = [permissions.IsAuthenticated, LedgerRules]
    serializer_class = ImportJobSerializer

    def get_queryset(self) -> QuerySet[ImportJob]:
        """The caller's own jobs, newest first."""
        return import_jobs(user=self.caller)

    def create_job(self, request: Request) -> ImportJob:
        """The ledger named (of the caller's campaigns) and the workbook."""
        upload = ImportCreateSerializer(data=request.data, context={"request": request})
        upload.is_valid(raise_exception=True)
        return imports.import_job_create(
            actor=self.caller,
            ledger=upload.validated_data["ledger"],
            upload=upload.validated_data["file"],
        )

    def remap_job(self, job: Any, request: Request) -> ImportJob:
        """The mapping, numbering and duplicates choice."""
        choices = ImportRemapSerializer(data=request.data)
        choices.is_valid(raise_exception=True)
        return imports.import_job_remap(job=job, actor=self.caller, **choices.validated_data)
