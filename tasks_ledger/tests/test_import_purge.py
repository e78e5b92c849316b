"""The nightly sweep deletes old uploaded workbooks once, keeps their jobs and never touches
a job in flight."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from tasks_ledger.imports import import_uploads_purge
from tasks_ledger.models import ImportJob, ImportStatus
from tasks_ledger.tasks import purge_import_uploads
from tasks_ledger.tests.factories import make_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def jobs(org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    ledger = make_ledger(org.campaign)
    made = {}
    for key, status, age in (
        ("old_applied", ImportStatus.APPLIED, 40),
        ("old_preview", ImportStatus.CHECKED, 40),
        ("old_running", ImportStatus.APPLYING, 40),
        ("recent", ImportStatus.APPLIED, 5),
    ):
        job = ImportJob.objects.create(
            ledger=ledger,
            created_by=org.inside,
            original_name=f"{key}.xlsx",
            size=4,
            status=status,
            file=ContentFile(b"PK..", name=f"{key}.xlsx"),
        )
        ImportJob.objects.filter(pk=job.pk).update(
            created_at=timezone.now() - dt.timedelta(days=age)
        )
        made[key] = job
    return made


def test_old_files_go_jobs_stay_and_a_second_sweep_does_nothing(jobs):
    paths = {key: job.file.path for key, job in jobs.items()}
    assert import_uploads_purge(keep_days=30) == 2
    assert import_uploads_purge(keep_days=30) == 0
    for key in ("old_applied", "old_preview"):
        job = ImportJob.objects.get(pk=jobs[key].pk)
        assert not job.file
        assert not __import__("os").path.exists(paths[key])
    expired = ImportJob.objects.get(pk=jobs["old_preview"].pk)
    assert expired.status == ImportStatus.FAILED and "过期" in expired.message
    for key in ("old_running", "recent"):
        assert ImportJob.objects.get(pk=jobs[key].pk).file


def test_the_beat_task_uses_the_keeping_setting(jobs, settings):
    settings.LEDGER_IMPORT_KEEP_DAYS = 3
    assert purge_import_uploads() == 3
    assert "tasks_ledger.tasks.purge_import_uploads" in {
        entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }
