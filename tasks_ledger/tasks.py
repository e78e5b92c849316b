"""Ledger work done by the Celery worker: checking and applying large Excel imports.

Tasks are thin: they take the job's id, load it afresh, return quietly when it is gone or
no longer waiting for them (a task delivered twice does nothing the second time), and
call one function of :mod:`tasks_ledger.imports`. The job's status is claimed by the view
with a conditional UPDATE before the task is enqueued (on commit).
"""

from __future__ import annotations

from celery import shared_task

from .models import ImportStatus


@shared_task(name="tasks_ledger.tasks.check_import", reject_on_worker_lost=True, ignore_result=True)
def check_import(job_id: int) -> str | None:
    """Check an uploaded workbook (the preview) for a job waiting to be checked."""
    from workbooks import jobs
    from workbooks.tasks import run_claimed

    from .imports.jobs import LEDGER

    return run_claimed(LEDGER, job_id, ImportStatus.CHECKING, jobs.job_check)


@shared_task(name="tasks_ledger.tasks.apply_import", reject_on_worker_lost=True, ignore_result=True)
def apply_import(job_id: int) -> str | None:
    """Apply a checked workbook, all rows or none, for a job claimed for applying (locked
    while it runs, so a copy sent again runs it once: :func:`workbooks.jobs.job_claimed`)."""
    from workbooks import jobs
    from workbooks.tasks import run_claimed

    from .imports.jobs import LEDGER

    return run_claimed(LEDGER, job_id, ImportStatus.APPLYING, jobs.job_apply)


@shared_task(name="tasks_ledger.tasks.purge_import_uploads")
def purge_import_uploads() -> int:
    """Delete uploaded workbooks past their keeping time (the jobs themselves stay)."""
    from django.conf import settings

    from . import imports

    return imports.import_uploads_purge(keep_days=settings.LEDGER_IMPORT_KEEP_DAYS)


@shared_task(name="tasks_ledger.tasks.refresh_lights")
def refresh_lights() -> int:
    """Store today's lights and tabs of the items the date alone may have moved (the
    morning run; safe to repeat: only rows that differ are written)."""
    from . import lights

    return lights.lights_refresh_daily()


@shared_task(name="tasks_ledger.tasks.fold_rollup")
def fold_rollup() -> int:
    """Fold the changes appended to the item roll-up into its rows (every minute; safe to
    repeat or to run twice at once: each change is folded once)."""
    from . import lights

    return lights.rollup_fold()
