"""Import work done by the Celery worker for any importer named by its dotted path (the
ledger keeps its own tasks, ``tasks_ledger.tasks``, under their old names).

Tasks are thin: they load the job afresh, return quietly when it is gone or no longer waiting
for them (a task delivered twice does nothing the second time), and call one function of
:mod:`workbooks.jobs`. The job's status is claimed by the view with a conditional UPDATE
before the task is enqueued (on commit).
"""

from __future__ import annotations

from celery import shared_task
from django.utils.module_loading import import_string

from .models import ImportStatus

#: The importers whose old uploads the nightly purge deletes (besides the ledger's own).
PURGED = ("assessments.score_imports.SCORES",)


def _job(importer_path: str, job_id: int, status: str) -> tuple[object, object | None]:
    importer = import_string(importer_path)
    job = importer.model.objects.filter(pk=job_id, status=status).first()
    return importer, job


@shared_task(name="workbooks.tasks.check_import")
def check_import(importer_path: str, job_id: int) -> str | None:
    """Check an uploaded workbook (the preview) for a job waiting to be checked."""
    from . import jobs

    importer, job = _job(importer_path, job_id, ImportStatus.CHECKING)
    if job is None:
        return None
    return jobs.job_check(importer, job).status  # type: ignore[arg-type]


@shared_task(name="workbooks.tasks.apply_import")
def apply_import(importer_path: str, job_id: int) -> str | None:
    """Apply a checked workbook, all rows or none, for a job claimed for applying."""
    from . import jobs

    importer, job = _job(importer_path, job_id, ImportStatus.APPLYING)
    if job is None:
        return None
    return jobs.job_apply(importer, job).status  # type: ignore[arg-type]


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
