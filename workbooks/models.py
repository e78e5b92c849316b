"""The job every importer's uploads become: an abstract model each app makes concrete with
what the rows go into (a ledger, a round) and its own counts.

A job is created with its file stored under a random name, checked (the preview), then
applied in one transaction or failed with its problems listed; only its uploader reaches it.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    """Where an Excel import stands: checked (the preview), applied all or nothing."""

    CHECKING = "checking", _("being checked")
    CHECKED = "checked", _("checked")
    APPLYING = "applying", _("being applied")
    APPLIED = "applied", _("applied")
    FAILED = "failed", _("failed")


RUNNING = (ImportStatus.CHECKING, ImportStatus.APPLYING)


def upload_path(instance: Any, filename: str) -> str:
    """A random name under the job's ``upload_folder``: the client's name is never a path."""
    return f"{instance.upload_folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}.xlsx"


class AbstractImportJob(models.Model):
    """One uploaded workbook on its way in: checked first, then applied in one transaction.

    ``errors`` holds the problems found, as ``{"row", "column", "message"}`` in the
    uploader's language; ``plan`` what applying would do (counts and the first rows);
    ``columns`` the mapping step: the header row's columns, each with the field its name
    suggests and the field chosen (:class:`workbooks.mapping.SheetColumn`).
    """

    upload_folder = "imports"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    file = models.FileField(_("file"), upload_to=upload_path)
    original_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"))
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    status = models.CharField(
        _("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.CHECKING
    )
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    errors = models.JSONField(_("problems"), default=list, blank=True)
    plan = models.JSONField(_("plan"), default=dict, blank=True)
    message = models.TextField(_("message"), blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    header_row = models.PositiveIntegerField(_("header row"), null=True, blank=True)
    columns = models.JSONField(_("columns"), default=list, blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def can_apply(self) -> bool:
        """Checked without a single problem, and not applied yet."""
        return self.status == ImportStatus.CHECKED and not self.errors

    @property
    def running(self) -> bool:
        """Being checked or applied (here or in the worker)."""
        return self.status in RUNNING
