"""The sweep in real processes on PostgreSQL: two at once, one killed mid-sweep, and the
beat's task in a real Celery worker. Each checks the notices against what one clean sweep
writes: every overdue item reminded once, the overdue reminder escalated once, numbers
1…N with no gap and no repeat.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.db import connection

from tasks_ledger.tests.factories import make_items
from tests.processes import (
    PYTHON,
    ROOT,
    celery_worker_args,
    child_env,
    current_database_url,
    running,
    unique,
    wait_until,
)

from ..models import Notice, NoticeKind, NoticeStatus, SweepRun, SweepStatus
from ..tasks import escalate
from .conftest import TODAY, Notices
from .test_sweep import DUE, sweep_on

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

SWEEP_DAY = "2022-07-05T06:00"
OVERDUE_ITEMS = 30


@pytest.fixture
def overdue(notices: Notices) -> Notices:
    """30 more overdue items of 甲县, and a reminder issued about the plain item whose reply
    deadline passed long ago (the sweep escalates it)."""
    make_items(notices.item.ledger, notices.org.county_a, OVERDUE_ITEMS, title="逾期", deadline=DUE)
    notices.issued(NoticeKind.REMINDER, item=notices.plain, reply_deadline=TODAY)
    return notices


def expected_ok() -> None:
    """What one clean sweep on SWEEP_DAY leaves, whoever ran it and however often."""
    reminders = Notice.objects.filter(kind=NoticeKind.REMINDER)
    # Every overdue item once: the chained item and the 30 (the plain one already had one).
    assert reminders.count() == OVERDUE_ITEMS + 2
    assert reminders.values("item").distinct().count() == OVERDUE_ITEMS + 2
    sequences = sorted(n.sequence or 0 for n in reminders)
    assert sequences == list(range(1, OVERDUE_ITEMS + 3))
    orders = Notice.objects.filter(kind=NoticeKind.SUPERVISION)
    assert orders.count() == 1 and orders.get().status == NoticeStatus.ISSUED
    assert orders.get().sequence == 1
    assert not Notice.objects.filter(kind__in=[NoticeKind.WARNING, NoticeKind.ACCOUNTABILITY])


def _connect() -> Any:
    s = connection.settings_dict
    conn = psycopg2.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"],
        password=s["PASSWORD"] or None,
        dbname=s["NAME"],
    )
    conn.autocommit = False
    return conn


def _waiting(conn: Any, locktype: str) -> int:
    """Sessions other than ``conn`` waiting for a lock of ``locktype``."""
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted AND locktype = %s AND pid <> %s"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            [locktype, conn.get_backend_pid()],
        )
        return int(cursor.fetchone()[0])


def _escalate_command() -> list[str]:
    return [PYTHON, str(ROOT / "manage.py"), "escalate", "--now", SWEEP_DAY]


def _env() -> dict[str, str]:
    return child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test", DATABASE_URL=current_database_url()
    )


@contextlib.contextmanager
def _held(statement: str) -> Iterator[Any]:
    """A transaction of our own holding the lock ``statement`` takes, until the block ends."""
    conn = _connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement)
        yield conn
    finally:
        conn.rollback()
        conn.close()


def test_two_sweeps_at_once_write_what_one_writes(overdue: Notices, tmp_path: Path) -> None:
    """Both commands start while we hold the sweep's advisory lock, so both are inside
    sweep() waiting for it when we let go: a true race, decided by the lock."""
    from ..escalation import LOCK_KEY

    with _held(f"SELECT pg_advisory_xact_lock({LOCK_KEY})") as conn:
        specs = {name: _escalate_command() for name in ("first", "second")}
        with running(specs, _env(), tmp_path) as procs:
            wait_until(lambda: _waiting(conn, "advisory") == 2, "both sweeps waiting", procs)
            conn.rollback()  # let them go
            for proc in procs.values():
                assert proc.proc.wait(timeout=60) == 0, proc.output()
    runs = SweepRun.objects.filter(dry_run=False).order_by("finished_at")
    assert [r.status for r in runs] == [SweepStatus.FINISHED] * 2
    # One wrote everything, the other found it all done.
    assert sorted(r.total for r in runs) == [0, OVERDUE_ITEMS + 2], [r.counts for r in runs]
    expected_ok()


def test_a_sweep_killed_midway_leaves_nothing_and_the_next_does_it_all(
    overdue: Notices, tmp_path: Path
) -> None:
    """The sweep is stopped inside its transaction (after inserting the notices, waiting to
    number them) and its process killed; nothing it wrote survives, the next sweep writes
    everything once and marks the killed run interrupted."""
    from ..models import NoticeCounter

    table = NoticeCounter._meta.db_table
    with (
        _held(f"LOCK TABLE {table} IN EXCLUSIVE MODE") as conn,
        running({"doomed": _escalate_command()}, _env(), tmp_path) as procs,
    ):
        wait_until(lambda: _waiting(conn, "relation") == 1, "the sweep blocked", procs)
        doomed = SweepRun.objects.get(status=SweepStatus.RUNNING)
        os.killpg(procs["doomed"].proc.pid, signal.SIGKILL)
        procs["doomed"].proc.wait(timeout=10)
    # The lock is gone; the orphaned session finds its client gone and rolls back.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [doomed.backend_pid])
            if cursor.fetchone() is None:
                break
        time.sleep(0.2)
    assert Notice.objects.filter(sweep_run__isnull=False).count() == 0
    assert Notice.objects.count() == 1  # the reminder issued by hand

    again = sweep_on(dt.date(2022, 7, 5))
    assert again.total == OVERDUE_ITEMS + 2
    expected_ok()
    doomed.refresh_from_db()
    assert doomed.status == SweepStatus.INTERRUPTED


def test_the_beat_task_sweeps_in_a_real_worker(overdue: Notices, tmp_path: Path) -> None:
    """The task the beat sends runs the same sweep in a worker; acks late, so a worker lost
    mid-sweep hands it back to the queue."""
    assert escalate.acks_late and escalate.reject_on_worker_lost
    queue = unique("test-sweep")
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=current_database_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    with running({"worker": celery_worker_args(queue)}, env, tmp_path) as procs:
        result = escalate.apply_async(("beat", SWEEP_DAY), queue=queue)
        try:
            counts = result.get(timeout=60)
        except Exception:
            print(procs["worker"].output()[-4000:])
            raise
    run = SweepRun.objects.get(pk=counts["run"])
    assert run.trigger == "beat" and run.task_id == result.id
    assert run.status == SweepStatus.FINISHED and run.as_of == dt.date(2022, 7, 5)
    expected_ok()
