"""A long workbook of scores through a real Celery worker: checked and applied there, behind
the page's progress bar, with the task and the uploader named in history."""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pghistory.models import Events

from tests.processes import (
    Process,
    celery_worker_args,
    child_env,
    current_database_url,
    running,
    unique,
)
from workbooks import tasks

from ..models import ScoreEntry, ScoreImportJob
from .conftest import Assessment


@pytest.fixture(scope="module")
def score_worker(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, Process]]:
    """A real worker on a queue of its own, on this run's test database and media folder."""
    queue = unique("test-score-import")
    media = tmp_path_factory.mktemp("media")
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=current_database_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,
        MEDIA_ROOT=str(media),
    )
    logdir = tmp_path_factory.mktemp("celery")
    with running({"worker": celery_worker_args(queue)}, env, logdir) as processes:
        yield queue, media, processes["worker"]


def _on_queue(task: Any, queue: str, *args: Any) -> Any:
    return task.apply_async(args, queue=queue)


def _wait_for(job: ScoreImportJob, status: str, worker: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return
        if job.status == "failed":
            break
        time.sleep(0.2)
    raise AssertionError(f"job is {job.status} ({job.message}):\n{worker.output()[-4000:]}")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_long_score_sheet_is_checked_and_applied_by_the_worker(
    client: Any,
    assessment: Assessment,
    score_worker: tuple[str, Path, Process],
    settings: Any,
    monkeypatch: Any,
) -> None:
    """GIVEN a threshold of 2 rows WHEN the office uploads 5 scores and applies them THEN the
    worker checks the sheet and enters every score, the task and the uploader in history."""
    queue, media, worker = score_worker
    settings.MEDIA_ROOT = media
    settings.LEDGER_IMPORT_ASYNC_ROWS = 2
    for task in (tasks.check_import, tasks.apply_import):
        monkeypatch.setattr(task, "delay", partial(_on_queue, task, queue))
    wb = openpyxl.Workbook()
    ws: Any = wb.active
    ws.append(["第三季度得分"])
    ws.append(["单位", "指标", "得分"])
    for n, unit in enumerate(("县01", "县02", "甲县", "甲镇", "乙县")):
        ws.append([unit, "T1", 70 + n])
    out = io.BytesIO()
    wb.save(out)
    office = assessment.org.assessor
    client.force_login(office)
    url = reverse("assessments:score-import", args=[assessment.scoring.pk])
    response = client.post(url, {"file": SimpleUploadedFile("得分.xlsx", out.getvalue())})
    job = ScoreImportJob.objects.get()
    assert response["Location"] == reverse("assessments:score-import-job", args=[job.pk])
    _wait_for(job, "checked", worker)
    assert job.total_rows == 5 and job.can_apply, job.errors

    client.post(response["Location"], {"action": "apply"})
    polled = client.get(
        response["Location"], headers={"HX-Request": "true", "HX-Target": "import-status"}
    )
    assert polled.status_code in (200, 204)  # the bar, or "done: reload"
    _wait_for(job, "applied", worker)
    assert job.created_count == 5 and ScoreEntry.objects.count() == 5
    event = Events.objects.filter(pgh_label="insert", pgh_obj_model="assessments.ScoreEntry")[0]
    assert event.pgh_context["task"] == "workbooks.tasks.apply_import"
    assert event.pgh_context["import_job"] == job.pk
    assert event.pgh_context["user"] == office.pk
