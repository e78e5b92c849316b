"""What every importer's job page shares: its context (the outcome, the progress bar, the
mapping step, the problems) and the answer to the progress bar's poll."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.views import wants_partial

from . import jobs
from .models import AbstractImportJob, ImportStatus

POLL_SECONDS = 1


def job_context(
    importer: jobs.Importer, job: AbstractImportJob, *, poll_url: str, form: Any = None
) -> dict[str, Any]:
    """The job page's context: ``result`` (:func:`workbooks.jobs.job_result`), ``running``,
    ``done`` and ``percent`` for the progress bar polling ``poll_url``, ``mapping_form``
    (``form``, shown while the job may be checked again), ``row_problems``."""
    result = jobs.job_result(importer, job)
    running = job.running
    done, total = result["progress"]["done"], result["progress"]["total"]
    editable = not running and job.status != ImportStatus.APPLIED and bool(job.columns)
    return {
        "job": job,
        "result": result,
        "running": running,
        "done": done,
        "percent": min(100, round(100 * done / total)) if total else 0,
        "phase": jobs.job_phase(importer, job) if running else "",
        "poll_seconds": POLL_SECONDS,
        "poll_url": poll_url,
        "plan": job.plan,
        "async_rows": settings.LEDGER_IMPORT_ASYNC_ROWS,
        "in_worker": jobs.runs_in_worker(job),
        "mapping_form": form if editable else None,
        "row_problems": [p for p in job.errors if p.get("row")],
    }


def job_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The job page, or its progress bar for the bar's poll (``#status`` of ``template``);
    once the job is done the poll reloads the whole page to show the outcome."""
    if wants_partial(request, "import-status"):
        if not context["running"]:
            response = HttpResponse(status=204)
            response["HX-Refresh"] = "true"
            return response
        return render(request, f"{template}#status", context)
    return render(request, template, context)
