"""What the beat sends again from the database when the queue lost it (Redis down, a
worker killed): the emails and texts not sent, and the long imports left with no worker.
Each goes once however often the resend runs. The real outage is in tests/faults."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, NotificationPreference
from accounts.notifications import notifications_deliver_pending, notify
from tasks_ledger import imports, tasks
from tasks_ledger.imports.jobs import LEDGER
from tasks_ledger.models import ImportJob, ImportStatus, LedgerItem
from tasks_ledger.tests.factories import make_ledger
from workbooks.jobs import job_claimed, jobs_resend

pytestmark = pytest.mark.django_db


def test_emails_and_texts_not_sent_are_sent_once_by_the_resend(org: Any) -> None:
    """GIVEN notifications whose queued delivery never ran (on commit never comes in a test
    transaction, as when Redis was down): to a user who wants each email, one who wants a
    daily digest, one without an address, and an urgent one to a user who wants texts
    WHEN the resend runs twice THEN the first email and the text go once; the digest user
    and the user without an address get nothing by it; notifications younger than the grace
    period are left to their queued delivery."""
    inside, above, outsider = org.inside, org.above, org.outsider
    inside.email = "inside@example.gov.cn"
    inside.save(update_fields=["email"])
    above.email = "above@example.gov.cn"
    above.save(update_fields=["email"])
    NotificationPreference.objects.create(user=above, email=True, daily_digest=True)
    outsider.email = ""
    outsider.save(update_fields=["email"])
    notify(recipients=[inside, above, outsider], kind="notice", title="督办通知")
    notify(recipients=[outsider], kind="notice", title="紧急督办", urgent=True)
    assert not Notification.objects.exclude(emailed_at=None).exists()

    assert notifications_deliver_pending(grace=dt.timedelta(minutes=2)) == {
        "emailed": 0,
        "texted": 0,
    }
    first = notifications_deliver_pending(grace=dt.timedelta(0))
    second = notifications_deliver_pending(grace=dt.timedelta(0))
    assert first == {"emailed": 1, "texted": 1} and second == {"emailed": 0, "texted": 0}
    assert [m.to for m in mail.outbox] == [["inside@example.gov.cn"]]
    texted = Notification.objects.exclude(texted_at=None)
    assert [(n.recipient, n.title) for n in texted] == [(outsider, "紧急督办")]


def long_import(org: Any, settings: Any, title: str) -> ImportJob:
    """A checked, clean import of three rows titled ``title``0…2, which the worker applies."""
    ledger = make_ledger(org.campaign)
    wb = openpyxl.Workbook()
    ws: Any = wb.active
    ws.append(["序号", "事项", "责任单位", "开始时间", "完成时限"])
    for n in range(3):
        ws.append(["", f"{title}{n}", "甲县", "2022-03-01", "2022-09-30"])
    out = io.BytesIO()
    wb.save(out)
    job = imports.import_job_create(
        actor=org.inside, ledger=ledger, upload=SimpleUploadedFile("台账.xlsx", out.getvalue())
    )
    assert job.can_apply, job.errors
    settings.LEDGER_IMPORT_ASYNC_ROWS = 2  # three rows: the worker's
    return job


def test_a_long_import_left_applying_is_sent_again_and_applied_once(
    org: Any, settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a long import claimed for applying whose task never reached a worker
    WHEN the resend runs THEN it sends the job again; the task applies it, a copy of the
    task does nothing, and once applied the resend has nothing more to send."""
    settings.MEDIA_ROOT = tmp_path
    job = long_import(org, settings, "补发事项")
    assert imports.import_job_start_apply(job=job, actor=org.inside)
    sent: list[int] = []
    monkeypatch.setattr(tasks.apply_import, "delay", sent.append)

    assert jobs_resend(LEDGER) == 1 and sent == [job.pk]
    assert tasks.apply_import(job.pk) == ImportStatus.APPLIED
    assert tasks.apply_import(job.pk) is None  # the copy
    assert LedgerItem.objects.filter(title__startswith="补发事项").count() == 3
    assert jobs_resend(LEDGER) == 0 and sent == [job.pk]
    job.refresh_from_db()
    assert job.finished_at is not None and job.finished_at <= timezone.now()


def test_an_import_whose_worker_dies_every_time_fails_after_the_tries_allowed(
    org: Any, client: Any, settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a long import whose apply dies with its worker each time it is tried (each try
    counted before it starts, its writes rolled back with the dead worker's transaction)
    WHEN it has been tried LEDGER_IMPORT_MAX_ATTEMPTS times THEN the next send does not try
    it: the job fails, nothing written, its page says in Chinese what happened and what to
    do, and the resend stops sending it. The clerk's "check again" counts afresh, and the
    job is then applied once."""
    settings.MEDIA_ROOT = tmp_path
    settings.LEDGER_IMPORT_MAX_ATTEMPTS = 3
    job = long_import(org, settings, "崩溃事项")
    assert imports.import_job_start_apply(job=job, actor=org.inside)
    sent: list[int] = []
    monkeypatch.setattr(tasks.apply_import, "delay", sent.append)
    monkeypatch.setattr(tasks.check_import, "delay", sent.append)

    for _ in range(3):
        assert jobs_resend(LEDGER) == 1
        # The try, and its worker dying in it: its transaction rolls back.
        with pytest.raises(SystemExit), job_claimed(ImportJob, job.pk, "applying") as claimed:
            assert claimed is not None
            raise SystemExit("the worker was killed")
        job.refresh_from_db()
        assert job.status == ImportStatus.APPLYING
    assert tasks.apply_import(job.pk) is None  # the fourth send gives up
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED and job.finished_at is not None
    assert "3 次" in job.message and "管理员" in job.message, job.message
    assert jobs_resend(LEDGER) == 0
    assert not LedgerItem.objects.filter(title__startswith="崩溃事项").exists()
    client.force_login(org.inside)
    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert job.message in page and "重新检查" in page

    imports.import_job_remap(job=job, actor=org.inside)
    assert tasks.check_import(job.pk) == ImportStatus.CHECKED
    assert imports.import_job_start_apply(job=job, actor=org.inside)
    assert tasks.apply_import(job.pk) == ImportStatus.APPLIED
    assert LedgerItem.objects.filter(title__startswith="崩溃事项").count() == 3


def test_a_copy_sent_while_another_session_holds_the_job_counts_no_try(
    org: Any, settings: Any, tmp_path: Any
) -> None:
    """GIVEN a long import being applied and another database session holding the job (a
    worker at it, or a killed worker's session not yet ended) WHEN a second copy of the task
    arrives THEN it does nothing and counts no try, so the tries allowed are all spent on
    tries that ran; once that session lets go, the next copy counts one try and gets the job."""
    import psycopg2
    from django.db import connection

    settings.MEDIA_ROOT = tmp_path
    job = long_import(org, settings, "并发副本")
    assert imports.import_job_start_apply(job=job, actor=org.inside)
    other = psycopg2.connect(**connection.get_connection_params())
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_lock(hashtextextended(%s, 0))",
                [f"{ImportJob._meta.db_table}:{job.pk}"],
            )
        with job_claimed(ImportJob, job.pk, "applying") as claimed:
            assert claimed is None
        job.refresh_from_db()
        assert "attempts" not in (job.plan or {})
        with other.cursor() as cursor:  # let go now: a closed session's lock goes a moment later
            cursor.execute(
                "SELECT pg_advisory_unlock(hashtextextended(%s, 0))",
                [f"{ImportJob._meta.db_table}:{job.pk}"],
            )
    finally:
        other.close()
    with job_claimed(ImportJob, job.pk, "applying") as claimed:
        assert claimed is not None and claimed.pk == job.pk
    job.refresh_from_db()
    assert job.plan["attempts"] == 1
