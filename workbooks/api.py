"""What every importer's API shares: the job's shape, the mapping's shape, a refused file as
a field error, and the viewset whose steps are the page's (upload, where it stands, remap,
apply), each through :mod:`workbooks.jobs`.

An importer's viewset sets ``importer``, ``get_queryset`` (the caller's own jobs: anyone
else's are 404) and the two steps that differ: :meth:`ImportJobViewSet.create_job` and
:meth:`ImportJobViewSet.remap_job`.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from config.api.base import ServiceErrorsMixin

from . import jobs
from .models import AbstractImportJob
from .safety import ImportRefused


def mapping_field() -> serializers.DictField:
    """The clerk's mapping: header text -> field key, or null to ignore the column."""
    return serializers.DictField(
        child=serializers.CharField(allow_null=True, allow_blank=True),
        required=False,
        help_text="Header text as in the sheet -> field key (see ``choices``), or null to "
        "ignore the column. Columns not named keep their field.",
    )


def workbook_field() -> serializers.FileField:
    """The upload's workbook."""
    return serializers.FileField(
        help_text="The workbook, .xlsx, as saved by Excel, WPS or LibreOffice."
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
    saved = serializers.BooleanField(help_text="Chosen by a kept mapping.")
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


def apply_schema(serializer: type[serializers.Serializer]) -> Any:
    """The schema of an importer's ``apply`` (its own job serializer, 200 or 202)."""
    return extend_schema(
        summary="Apply the checked rows",
        request=None,
        responses={
            200: serializer,
            202: OpenApiResponse(serializer, description="A long sheet: the worker writes it."),
        },
    )


class ImportJobBaseSerializer(serializers.Serializer):
    """An import job as :func:`workbooks.jobs.job_result` describes it (each importer's
    serializer adds its own keys)."""

    id = serializers.IntegerField()
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
    counts = serializers.DictField(help_text="rows, problems, and the rows planned by action.")
    problems = serializers.ListField(
        child=serializers.DictField(), help_text="Problems of the whole file."
    )
    rows = serializers.ListField(
        child=serializers.DictField(),
        help_text="Rows planned (action, every parsed field, warnings) and every row with "
        "problems, each with its ``problems``.",
    )
    warnings = serializers.ListField(child=serializers.JSONField())
    can_apply = serializers.BooleanField()


def refused(exc: ImportRefused) -> exceptions.ValidationError:
    """A refused file as an error of the ``file`` field (400, nothing stored)."""
    return exceptions.ValidationError({"file": [ErrorDetail(exc.message, code="invalid")]})


class ImportJobViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own imports: upload, where one stands, choose columns, apply."""

    importer: jobs.Importer
    http_method_names = ["get", "post", "patch", "head", "options"]
    # Uploads are multipart; choices are JSON.
    parser_classes = [MultiPartParser, JSONParser]

    def create_job(self, request: Request) -> AbstractImportJob:
        """Validate the upload and create the job (raise ``ImportRefused`` for a bad file)."""
        raise NotImplementedError

    def remap_job(self, job: AbstractImportJob, request: Request) -> AbstractImportJob:
        """Validate the clerk's choices and check the job again."""
        raise NotImplementedError

    def result(self, job: AbstractImportJob) -> dict[str, Any]:
        """The job as the detail describes it, read afresh."""
        job = self.get_queryset().get(pk=job.pk)
        return {
            **jobs.job_result(self.importer, job),
            "choices": jobs.field_choices(self.importer, job),
        }

    def list_results(self, page: list[Any]) -> list[dict[str, Any]]:
        """The jobs of one page, each as the detail describes it."""
        return [self.result(job) for job in page]

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The caller's jobs, newest first, each as the detail describes it."""
        page = self.paginate_queryset(self.get_queryset())
        rows = self.list_results(list(page if page is not None else self.get_queryset()))
        if page is not None:
            return self.get_paginated_response(rows)
        return Response(rows)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Status, progress, counts, columns and rows with their problems."""
        return Response(self.result(self.get_object()))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Refuse a bad file (400, nothing stored) or store it and check it."""
        try:
            job = self.create_job(request)
        except ImportRefused as exc:
            raise refused(exc) from exc
        return Response(self.result(job), status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Take the mapping (and the importer's choices); the file is checked again."""
        job = self.remap_job(self.get_object(), request)
        return Response(self.result(job))

    @action(detail=True, methods=["post"])
    def apply(self, request: Request, pk: str | None = None) -> Response:
        """Write every row in one transaction (or none); long sheets go to the worker."""
        job = jobs.job_request_apply(self.importer, self.get_object(), self.caller)
        body = self.result(job)
        running = body["status"] not in ("applied", "failed")
        return Response(body, status=status.HTTP_202_ACCEPTED if running else status.HTTP_200_OK)
