"""Import work done by the Celery worker for any importer named by its dotted path (the
ledger keeps its own tasks, ``tasks_ledger.tasks``, under their old names).

Tasks are thin: they load the job afresh and lock it, return quietly when it is gone, no longer
waiting for them or held by another worker (a task delivered twice runs once), and call one
function of :mod:`workbooks.jobs`. The job's status is claimed by the view with a conditional UPDATE
before the task is enqueued (on commit).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.utils.module_loading import import_string

from .models import ImportStatus

#: The importers whose old uploads the nightly purge deletes (besides the ledger's own).
PURGED = ("assessments.score_imports.SCORES",)


#: Every importer whose long sheets the worker checks and applies (the beat's resend covers
#: each), by dotted path.
IMPORTERS = ("tasks_ledger.imports.jobs.LEDGER", "assessments.score_imports.SCORES")


def run_claimed(importer: Any, job_id: int, status: str, step: Callable[..., Any]) -> str | None:
    """Run ``step(importer, job)`` on the job if it still has ``status`` and no other worker
    has it (:func:`workbooks.jobs.job_claimed`); its new status, or None."""
    from . import jobs

    with jobs.job_claimed(importer.model, job_id, status) as job:
        if job is None:
            return None
        return str(step(importer, job).status)


# acks_late (the default here) with reject_on_worker_lost: a worker process killed mid-apply
# hands the message back and another applies the job whole (its first try rolled back).
@shared_task(name="workbooks.tasks.check_import", reject_on_worker_lost=True, ignore_result=True)
def check_import(importer_path: str, job_id: int) -> str | None:
    """Check an uploaded workbook (the preview) for a job waiting to be checked."""
    from . import jobs

    return run_claimed(import_string(importer_path), job_id, ImportStatus.CHECKING, jobs.job_check)


@shared_task(name="workbooks.tasks.apply_import", reject_on_worker_lost=True, ignore_result=True)
def apply_import(importer_path: str, job_id: int) -> str | None:
    """Apply a checked workbook, all rows or none, for a job claimed for applying."""
    from . import jobs

    return run_claimed(import_string(importer_path), job_id, ImportStatus.APPLYING, jobs.job_apply)


@shared_task(name="workbooks.tasks.resend_imports")
def resend_imports() -> int:
    """Send again every long import left checking or applying with no worker on it (its send
    failed while Redis was down, or its worker was killed); how many were sent."""
    from . import jobs

    return sum(jobs.jobs_resend(import_string(path)) for path in IMPORTERS)


@shared_task(name="workbooks.tasks.purge_import_uploads")
def purge_import_uploads() -> int:
    """Delete uploaded workbooks of the importers in :data:`PURGED` past their keeping time
    (the jobs themselves stay)."""
    from django.conf import settings

    from . import jobs

    return sum(
        jobs.uploads_purge(import_string(path).model, keep_days=settings.LEDGER_IMPORT_KEEP_DAYS)
        for path in PURGED
    )
