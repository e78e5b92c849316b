"""Ledger work done by the Celery worker: checking and applying large Excel imports.

Tasks are thin: they take the job's id, load it afresh, return quietly when it is gone or
no longer waiting for them (a task delivered twice does nothing the second time), and
call one function of :mod:`tasks_ledger.imports`. The job's status is claimed by the view
with a conditional UPDATE before the task is enqueued (on commit).
"""

from __future__ import annotations

from celery import shared_task

from .models import ImportJob, ImportStatus


@shared_task(name="tasks_ledger.tasks.check_import")
def check_import(job_id: int) -> str | None:
    """Check an uploaded workbook (the preview) for a job waiting to be checked."""
    from . import imports

    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.CHECKING).first()
    if job is None:
        return None
    return imports.import_job_check(job=job).status


@shared_task(name="tasks_ledger.tasks.apply_import")
def apply_import(job_id: int) -> str | None:
    """Apply a checked workbook, all rows or none, for a job claimed for applying."""
    from . import imports

    job = ImportJob.objects.filter(pk=job_id, status=ImportStatus.APPLYING).first()
    if job is None:
        return None
    return imports.import_job_apply(job=job).status


@shared_task(name="tasks_ledger.tasks.purge_import_uploads")
def purge_import_uploads() -> int:
    """Delete uploaded workbooks past their keeping time (the jobs themselves stay)."""
    from django.conf import settings

    from . import imports

    return imports.import_uploads_purge(keep_days=settings.LEDGER_IMPORT_KEEP_DAYS)
