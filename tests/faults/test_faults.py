"""Faults survived: each test breaks a real service or process of its own under the running
app and checks what the user sees, and that nothing is lost or done twice.

Counted against the world of conftest.py: OVERDUE overdue items (one clean sweep writes one
reminder for each, numbered 1…OVERDUE) and a checked import of IMPORT_ROWS rows.
"""

# The SQL below is built from our own models' table names only.
# ruff: noqa: S608

from __future__ import annotations

import os
import signal
import threading
import time
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from accountability.escalation import LOCK_KEY
from accountability.models import Notice, NoticeKind, SweepRun, SweepStatus
from accounts.models import Notification
from tasks_ledger.models import ImportJob, LedgerItem
from tests.processes import disk_filled, pool_children, wait_until

from .conftest import DATABASE, IMPORT_ROWS, OVERDUE, Stack, xlsx

# django_db: so that pytest-django sets up this run's test database, where the world is built
# (the tests themselves talk to the private cluster only).
pytestmark = [pytest.mark.faults, pytest.mark.slow, pytest.mark.django_db]

NOTICES = Notice._meta.db_table
RUNS = SweepRun._meta.db_table
JOBS = ImportJob._meta.db_table
ITEMS = LedgerItem._meta.db_table
NOTIFICATIONS = Notification._meta.db_table
SERVER_ERROR = "服务器出错了"  # the 500 page's heading (config/errors.py)


def one_clean_sweep(stack: Stack) -> None:
    """What one clean sweep leaves: each overdue item reminded once, numbered 1…OVERDUE
    without gap or repeat, by exactly one finished run that wrote them all."""
    reminders = stack.sql(
        f"SELECT item_id, sequence FROM {NOTICES} WHERE kind = %s ORDER BY sequence",
        [NoticeKind.REMINDER.value],
    )
    assert len(reminders) == OVERDUE
    assert len({item for item, _ in reminders}) == OVERDUE
    assert [seq for _, seq in reminders] == list(range(1, OVERDUE + 1))
    assert stack.value(f"SELECT count(*) FROM {NOTICES}") == OVERDUE
    totals = stack.sql(
        f"SELECT (counts->>'reminder')::int FROM {RUNS} WHERE status = %s",
        [SweepStatus.FINISHED.value],
    )
    assert sorted(t for (t,) in totals if t) == [OVERDUE], totals


def finished_runs(stack: Stack) -> int:
    return int(
        stack.value(
            f"SELECT count(*) FROM {RUNS} WHERE status = %s",
            [SweepStatus.FINISHED.value],
        )
    )


def job_status(stack: Stack) -> str:
    return str(stack.value(f"SELECT status FROM {JOBS} WHERE id = %s", [stack.world.job]))


def imported(stack: Stack) -> int:
    """Items written by the import (each title once if it was applied once)."""
    return int(
        stack.value(
            f"SELECT count(*) FROM {ITEMS} WHERE title = ANY(%s)",
            [stack.world.import_titles],
        )
    )


def waiting_on(conn: Any, locktype: str) -> int:
    """Sessions other than ``conn`` waiting for a lock of ``locktype``."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = %s AND pid <> %s",
            [locktype, conn.get_backend_pid()],
        )
        return int(cursor.fetchone()[0])


def held(stack: Stack, statement: str) -> Any:
    """A transaction of our own on the app's database holding the lock ``statement`` takes."""
    conn = stack.pg.connect(DATABASE, autocommit=False)
    with conn.cursor() as cursor:
        cursor.execute(statement)
    return conn


def apply_url(stack: Stack) -> tuple[str, str]:
    job = reverse("ledger:import-job", args=[stack.world.job])
    return reverse("ledger:import-apply", args=[stack.world.job]), job


# --- 1. Redis stopped ----------------------------------------------------------------------------
def test_redis_stopped_pages_and_sign_in_go_on_and_queued_work_is_sent_when_it_returns(
    fresh: Stack,
) -> None:
    """GIVEN a liaison signed in WHEN Redis (cache, broker) stops
    THEN the home page still renders for them and another person signs in; the liaison's
    import is accepted and shows "being applied"; the morning sweep writes its reminders and
    notifications. WHEN Redis is back THEN the import is applied once (each row once) and
    every email due is sent once: the job rows and the notifications in PostgreSQL said what
    was due, and the beat's resend sent it (what was queued in Redis was lost with it)."""
    stack = fresh
    liaison = stack.signed_in(stack.world.liaison)
    stack.redis.stop()

    status, page = liaison.get("/")
    assert status == 200 and "甲县联络员" in page
    office = stack.signed_in(stack.world.office)  # sign-in writes the session to PostgreSQL
    assert office.get("/")[0] == 200

    apply, job_page = apply_url(stack)
    started = time.monotonic()
    status, where = liaison.post(apply, {}, form_page=job_page)
    assert status == 302 and where.endswith(job_page), where
    assert time.monotonic() - started < 15  # the failed send gives up quickly
    assert job_status(stack) == "applying"
    status, page = liaison.get(job_page)
    assert status == 200 and "正在" in page, page[:3000]

    sweep = stack.manage("escalate")
    assert sweep.returncode == 0, sweep.stdout + sweep.stderr
    due = stack.value(
        f"SELECT count(*) FROM {NOTIFICATIONS} n JOIN accounts_user u ON u.id = n.recipient_id"
        " WHERE u.email <> ''"
    )
    assert due > 0 and stack.emails() == 0
    assert imported(stack) == 0

    stack.redis.start()
    wait_until(lambda: job_status(stack) == "applied", "the import applied", stack.processes)
    wait_until(lambda: stack.emails() >= due, "the emails sent", stack.processes)
    time.sleep(2)  # a few more resends: nothing goes twice
    assert imported(stack) == IMPORT_ROWS
    assert stack.emails() == due
    assert (
        stack.value(
            f"SELECT count(*) FROM {NOTIFICATIONS} WHERE emailed_at IS NULL"
            " AND recipient_id IN (SELECT id FROM accounts_user WHERE email <> '')"
        )
        == 0
    )
    one_clean_sweep(stack)
    assert "导入完成" in liaison.get(job_page)[1]


def test_redis_stopped_while_a_task_runs_the_worker_lives_on_and_works_when_it_returns(
    fresh: Stack,
) -> None:
    """GIVEN the worker applying an import (a late-acknowledged task, its message not yet
    acknowledged) WHEN Redis stops THEN the worker does not exit: the apply finishes and its
    acknowledgement, which cannot reach Redis, is only logged; and WHEN Redis is back THEN the
    same worker consumes again (a sweep's emails are sent)."""
    stack = fresh
    worker = stack.processes["worker"]
    liaison = stack.signed_in(stack.world.liaison)
    conn = held(stack, f"LOCK TABLE {ITEMS} IN EXCLUSIVE MODE")  # the writes wait here
    apply, job_page = apply_url(stack)
    assert liaison.post(apply, {}, form_page=job_page)[0] == 302
    wait_until(lambda: waiting_on(conn, "relation") > 0, "the apply writing", stack.processes)
    lost = worker.output().count("Connection to broker lost")
    stack.redis.stop()
    wait_until(
        lambda: worker.output().count("Connection to broker lost") > lost,
        "the worker to notice Redis gone",
        stack.processes,
    )
    conn.rollback()  # the apply goes on and finishes while Redis is down
    conn.close()
    wait_until(lambda: job_status(stack) == "applied", "the import applied", stack.processes)

    stack.redis.start()
    sweep = stack.manage("escalate")
    assert sweep.returncode == 0, sweep.stdout + sweep.stderr
    wait_until(lambda: stack.emails() > 0, "the sweep's emails sent", stack.processes)
    assert worker.alive() and "Unrecoverable error" not in worker.output()
    assert imported(stack) == IMPORT_ROWS


# --- 2. PostgreSQL restarted ---------------------------------------------------------------------
def test_postgres_restarted_the_request_in_flight_fails_politely_and_the_next_succeeds(
    fresh: Stack,
) -> None:
    """GIVEN a request waiting on PostgreSQL WHEN PostgreSQL restarts THEN that request gets
    the Chinese 500 page, and the next request (a new connection, CONN_HEALTH_CHECKS) is
    served."""
    stack = fresh
    liaison = stack.signed_in(stack.world.liaison)
    assert liaison.get("/")[0] == 200
    # Only a web request writes sessions (each request saves its own): the page is drawn
    # and its session's UPDATE waits here, with no worker task in the queue of waiters.
    conn = held(stack, "LOCK TABLE django_session IN ACCESS EXCLUSIVE MODE")
    answer: list[tuple[int, str]] = []
    thread = threading.Thread(target=lambda: answer.append(liaison.get("/")))
    thread.start()
    wait_until(lambda: waiting_on(conn, "relation") > 0, "the request waiting", stack.processes)
    stack.pg.restart()
    thread.join(timeout=60)
    conn.close()
    ((status, page),) = answer
    assert status == 500 and SERVER_ERROR in page, page[:2000]
    status, page = liaison.get("/")
    assert status == 200 and "甲县联络员" in page


def test_postgres_restarted_during_a_sweep_the_next_run_completes_without_duplicates(
    fresh: Stack,
) -> None:
    """GIVEN the sweep running in the worker (waiting on its lock) WHEN PostgreSQL restarts
    THEN that run fails, having written nothing; the next run marks it interrupted and
    leaves exactly what one clean sweep would."""
    stack = fresh
    conn = held(stack, f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
    stack.send_task("accountability.tasks.escalate", trigger="beat")
    wait_until(lambda: waiting_on(conn, "advisory") > 0, "the sweep waiting", stack.processes)
    stack.pg.restart()
    conn.close()
    assert stack.value(f"SELECT count(*) FROM {NOTICES}") == 0

    stack.send_task("accountability.tasks.escalate", trigger="beat")
    wait_until(lambda: finished_runs(stack) == 1, "the next sweep", stack.processes)
    one_clean_sweep(stack)
    statuses = [s for (s,) in stack.sql(f"SELECT status FROM {RUNS} ORDER BY id")]
    assert statuses == [SweepStatus.INTERRUPTED.value, SweepStatus.FINISHED.value]


# --- 3. a worker killed --------------------------------------------------------------------------
def test_worker_killed_during_an_import_the_import_is_applied_whole_once(fresh: Stack) -> None:
    """GIVEN the worker writing an import's rows WHEN the whole worker is SIGKILLed THEN the
    page says the import is still being applied, none of its rows are kept, and once a
    worker runs again the beat's resend has it applied whole, each row once."""
    stack = fresh
    liaison = stack.signed_in(stack.world.liaison)
    conn = held(stack, f"LOCK TABLE {ITEMS} IN EXCLUSIVE MODE")  # the writes wait here
    apply, job_page = apply_url(stack)
    assert liaison.post(apply, {}, form_page=job_page)[0] == 302
    wait_until(lambda: waiting_on(conn, "relation") > 0, "the apply writing", stack.processes)
    worker = stack.processes["worker"]
    os.killpg(worker.proc.pid, signal.SIGKILL)
    worker.proc.wait(timeout=10)
    conn.rollback()  # the killed session's write goes through, finds its client gone, rolls back
    conn.close()
    assert job_status(stack) == "applying"
    assert "正在" in liaison.get(job_page)[1]

    stack.start_worker()
    wait_until(lambda: job_status(stack) == "applied", "the import applied", stack.processes)
    time.sleep(2)  # a few more resends: nothing is applied twice
    assert imported(stack) == IMPORT_ROWS
    assert "导入完成" in liaison.get(job_page)[1]


def test_worker_process_killed_during_a_sweep_leaves_what_one_clean_sweep_would(
    fresh: Stack,
) -> None:
    """GIVEN the sweep running in a worker process WHEN the pool is SIGKILLed THEN the
    message goes back to the queue (acks_late, reject_on_worker_lost), another process
    sweeps, and the notices are exactly those of one clean sweep."""
    stack = fresh
    conn = held(stack, f"SELECT pg_advisory_xact_lock({LOCK_KEY})")
    stack.send_task("accountability.tasks.escalate", trigger="beat")
    wait_until(lambda: waiting_on(conn, "advisory") == 1, "the sweep waiting", stack.processes)
    # Every pool process (the one sweeping among them), as the OOM killer might.
    for pid in pool_children(stack.processes["worker"]):
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: waiting_on(conn, "advisory") == 2, "the sweep sent again", stack.processes)
    conn.rollback()
    conn.close()
    wait_until(lambda: finished_runs(stack) >= 1, "the sweep done", stack.processes)
    one_clean_sweep(stack)


def waiting_pids(conn: Any) -> set[int]:
    """Sessions other than ``conn`` waiting for a lock on a relation."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_locks WHERE NOT granted AND locktype = 'relation' AND pid <> %s",
            [conn.get_backend_pid()],
        )
        return {int(pid) for (pid,) in cursor.fetchall()}


def set_server(stack: Stack, setting: str, value: str | None) -> None:
    """Set (or with None reset) a setting of the private cluster and reload it."""
    conn = stack.pg.connect(DATABASE)
    try:
        with conn.cursor() as cursor:
            if value is None:
                cursor.execute(f"ALTER SYSTEM RESET {setting}")
            else:
                cursor.execute(f"ALTER SYSTEM SET {setting} = %s", [value])
            cursor.execute("SELECT pg_reload_conf()")
    finally:
        conn.close()


def test_an_import_that_kills_its_worker_every_time_fails_visibly_and_can_be_retried(
    fresh: Stack,
) -> None:
    """GIVEN an import whose apply kills its worker process every time (the pool SIGKILLed
    whenever the apply writes, as a sheet that runs the worker out of memory would)
    WHEN it has been tried LEDGER_IMPORT_MAX_ATTEMPTS (3) times THEN it is not sent again:
    its page says in Chinese that the server stopped 3 times, to try again later with
    "check again" or tell the administrator; none of its rows are kept. WHEN the liaison
    checks it again from the page and applies it (the worker now well) THEN it is applied,
    each row once."""
    stack = fresh
    # A session whose worker was killed while waiting on a lock ends within 0.1 s (not when
    # the lock is let go), so the job it held is free for the next try.
    set_server(stack, "client_connection_check_interval", "100ms")
    try:
        liaison = stack.signed_in(stack.world.liaison)
        conn = held(stack, f"LOCK TABLE {ITEMS} IN EXCLUSIVE MODE")  # the writes wait here
        apply, job_page = apply_url(stack)
        assert liaison.post(apply, {}, form_page=job_page)[0] == 302
        worker, tried = stack.processes["worker"], set[int]()

        def next_try() -> bool:
            return bool(waiting_pids(conn) - tried) or job_status(stack) != "applying"

        while True:
            wait_until(next_try, "the next try, or the job given up", stack.processes)
            if job_status(stack) != "applying":
                break
            tried |= waiting_pids(conn)
            assert len(tried) <= 3, "tried more often than LEDGER_IMPORT_MAX_ATTEMPTS"
            for pid in pool_children(worker):
                os.kill(pid, signal.SIGKILL)
        conn.rollback()
        conn.close()
    finally:
        set_server(stack, "client_connection_check_interval", None)
    assert len(tried) == 3
    assert job_status(stack) == "failed"
    time.sleep(2)  # a few more resends: a failed job is not sent again
    assert job_status(stack) == "failed" and imported(stack) == 0
    status, page = liaison.get(job_page)
    assert status == 200 and "服务器处理此导入时已中断 3 次" in page, page[:3000]
    assert "系统管理员" in page and "重新检查" in page

    # "Check again" with the form as the page shows it (each column's field, the choices).
    ((columns, numbering, duplicates),) = stack.sql(
        f"SELECT columns, numbering, duplicates FROM {JOBS} WHERE id = %s", [stack.world.job]
    )
    form = {f"col{c['index']}": c["field"] or "" for c in columns}
    form.update(numbering=numbering, duplicates=duplicates)
    mapping = reverse("ledger:import-mapping", args=[stack.world.job])
    status, where = liaison.post(mapping, form, form_page=job_page)
    assert status == 302, where[:3000]
    wait_until(lambda: job_status(stack) == "checked", "the check", stack.processes)
    assert liaison.post(apply, {}, form_page=job_page)[0] == 302
    wait_until(lambda: job_status(stack) == "applied", "the import applied", stack.processes)
    assert imported(stack) == IMPORT_ROWS


# --- 4. two beats --------------------------------------------------------------------------------
def test_two_beats_at_once_write_no_duplicate_notices(fresh: Stack) -> None:
    """GIVEN two beats both sending the sweep every second to a worker of two processes
    WHEN they run for a while THEN several sweeps ran, at the same moments, and the notices
    are exactly those of one clean sweep: the sweep's lock and unique index decide."""
    from tests.processes import PYTHON, running

    stack = fresh
    env = {**stack.env, "BEAT_ESCALATION_SWEEP_SECONDS": "1"}
    beats = {
        f"beat{n}": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "-s",
            str(stack.work / f"beat{n}-schedule"),
        ]
        for n in (1, 2)
    }
    with running(beats, env, stack.work / "logs") as processes:
        wait_until(
            lambda: finished_runs(stack) >= 4, "four sweeps", {**stack.processes, **processes}
        )
    wait_until(
        lambda: not stack.value(f"SELECT count(*) FROM {RUNS} WHERE status = 'running'"),
        "the last sweep",
        stack.processes,
    )
    one_clean_sweep(stack)


# --- 5. the disk for uploads full ----------------------------------------------------------------
def test_disk_for_uploads_full_the_upload_is_refused_in_words_and_nothing_is_kept(
    fresh: Stack,
) -> None:
    """GIVEN the disk that holds uploads full WHEN a liaison uploads a workbook to import
    THEN the answer (507) says in Chinese that the server's storage is full and nothing was
    saved; no import is recorded and no file, whole or part, is left. Once space is freed
    the same upload goes through."""
    stack = fresh
    liaison = stack.signed_in(stack.world.liaison)
    upload = reverse("ledger:import")
    data = xlsx(["磁盘已满时上传"], timezone.localdate())
    files = {"file": ("台账.xlsx", data)}
    before = {p for p in stack.media.rglob("*") if p.is_file()}
    jobs = stack.value(f"SELECT count(*) FROM {JOBS}")
    with disk_filled(stack.media):
        status, page = liaison.post_file(
            upload, {"ledger": str(stack.world.ledger)}, files, form_page=upload
        )
        assert status == 507, page[:3000]
        assert "服务器存储空间已满" in page and "均未保存" in page
        assert {p for p in stack.media.rglob("*") if p.is_file()} == before | {
            stack.media / "filler.bin"
        }
        assert stack.value(f"SELECT count(*) FROM {JOBS}") == jobs
    status, where = liaison.post_file(
        upload, {"ledger": str(stack.world.ledger)}, files, form_page=upload
    )
    assert status == 302, where[:3000]
    assert stack.value(f"SELECT count(*) FROM {JOBS}") == jobs + 1


def test_disk_for_uploads_full_the_api_upload_gets_the_apis_507(fresh: Stack) -> None:
    """GIVEN the disk that holds uploads full WHEN an API client (signed in) uploads a
    workbook to import THEN the answer is the API's JSON error shape with 507, code
    ``insufficient_storage`` and the same Chinese sentence as the page (not DRF's generic
    500); no import is recorded and no file is left. Once space is freed it goes through."""
    import json

    from urllib3.filepost import encode_multipart_formdata

    stack = fresh
    client = stack.signed_in(stack.world.liaison)
    data = xlsx(["接口上传时磁盘已满"], timezone.localdate())
    body, content_type = encode_multipart_formdata(
        {"ledger": str(stack.world.ledger), "file": ("台账.xlsx", data)}
    )
    headers = {
        "Content-Type": content_type,
        "Accept": "application/json",
        "X-CSRFToken": client.cookies["csrftoken"],
        "Origin": f"http://127.0.0.1:{stack.port}",
        "Referer": f"http://127.0.0.1:{stack.port}/",
    }
    upload = reverse("api:import-list")
    before = {p for p in stack.media.rglob("*") if p.is_file()}
    jobs = stack.value(f"SELECT count(*) FROM {JOBS}")
    with disk_filled(stack.media):
        status, _, text = client.request("POST", upload, body, headers)
        assert status == 507, text[:3000]
        answer = json.loads(text)
        assert answer["type"] == "server_error", answer
        ((error,),) = [answer["errors"]]
        assert error["code"] == "insufficient_storage", answer
        assert "服务器磁盘已满" in error["detail"] and "均未保存" in error["detail"], answer
        assert {p for p in stack.media.rglob("*") if p.is_file()} == before | {
            stack.media / "filler.bin"
        }
        assert stack.value(f"SELECT count(*) FROM {JOBS}") == jobs
    status, _, text = client.request("POST", upload, body, headers)
    assert status == 201, text[:3000]
    assert stack.value(f"SELECT count(*) FROM {JOBS}") == jobs + 1
