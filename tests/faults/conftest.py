"""The stack every fault test breaks: a PostgreSQL cluster and a Redis of its own (never the
shared ones), gunicorn, a prefork Celery worker and beat, natively, as in production.

The data is built once with the factories in this run's test database, copied into the
private cluster as a template, and each test starts from a fresh copy of it (and an empty
Redis), so every test sees the same world whatever the one before it broke.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

from tests.processes import (
    PYTHON,
    PrivatePostgres,
    PrivateRedis,
    Process,
    WebClient,
    celery_worker_args,
    child_env,
    current_database_url,
    free_port,
    running,
    small_disk,
    unique,
    wait_until,
)

PASSWORD = "pass-1234"  # UserFactory's
OVERDUE = 12  # overdue items: one clean sweep writes exactly this many reminders
IMPORT_ROWS = 5  # rows of the checked import waiting to be applied
TEMPLATE, DATABASE = "faults_template", "faults_app"


@dataclass
class World:
    """What the tests refer to by id (the same in every fresh copy)."""

    liaison: str
    office: str
    ledger: int
    job: int
    import_titles: list[str]


@dataclass
class Stack:
    """The private services, the app's processes and how to reach them."""

    work: Path
    pg: PrivatePostgres
    redis: PrivateRedis
    env: dict[str, str]
    port: int
    queue: str
    media: Path
    mail: Path
    world: World
    processes: dict[str, Process] = field(default_factory=dict)

    def client(self) -> WebClient:
        return WebClient(self.port)

    def signed_in(self, username: str) -> WebClient:
        client = self.client()
        client.sign_in(username, PASSWORD)
        return client

    def sql(self, query: str, params: Any = None) -> list[tuple[Any, ...]]:
        """Rows of ``query`` on the app's database, read afresh."""
        conn = self.pg.connect(DATABASE)
        try:
            with conn.cursor() as cursor:
                cursor.execute(query, params)
                return list(cursor.fetchall())
        finally:
            conn.close()

    def value(self, query: str, params: Any = None) -> Any:
        return self.sql(query, params)[0][0]

    def send_task(self, name: str, **kwargs: Any) -> None:
        """Send a task to this stack's worker through the private Redis (as beat would)."""
        from celery import Celery

        # set_as_current=False: a new app otherwise becomes Celery's current app for the rest
        # of this pytest process, and every later send (shared tasks) goes to this stack's
        # Redis after it has stopped.
        client = Celery("faults", broker=self.redis.url, set_as_current=False)
        try:
            client.send_task(name, kwargs=kwargs, queue=self.queue, ignore_result=True)
        finally:
            client.close()

    def manage(self, *args: str) -> Any:
        """Run a management command under the stack's environment."""
        import subprocess

        return subprocess.run(
            [PYTHON, "manage.py", *args],
            cwd=Path(__file__).resolve().parents[2],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start_worker(self) -> None:
        """(Again) the prefork worker, two processes, waited for until it is ready."""
        args = celery_worker_args(self.queue, pool="prefork", concurrency=2)
        log = self.work / "logs" / "worker.log"
        self.processes["worker"] = Process("worker", args, self.env, log)
        mark = log.read_text(errors="replace").count(" ready.")
        wait_until(
            lambda: log.read_text(errors="replace").count(" ready.") > mark,
            "the worker to be ready",
            self.processes,
            timeout=90,
        )

    def emails(self) -> int:
        """Emails written by the worker's file backend so far."""
        return sum(p.read_text(errors="replace").count("Message-ID:") for p in self.mail.iterdir())


def xlsx(titles: list[str], today: dt.date) -> bytes:
    """A ledger import of one row per title, in 甲县, starting ``today``."""
    wb = openpyxl.Workbook()
    ws: Any = wb.active
    ws.append(["序号", "事项", "责任单位", "开始时间", "完成时限", "进度", "最新进展"])
    for title in titles:
        ws.append(
            [
                "",
                title,
                "甲县",
                today.isoformat(),
                (today + dt.timedelta(days=90)).isoformat(),
                10,
                "已启动",
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _build_world(media: Path) -> World:
    """Committed in this run's test database: a campaign under way today, a county with its
    liaison (who wants email) and OVERDUE overdue items, the office over it, and a checked,
    clean import of IMPORT_ROWS rows waiting to be applied."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from accounts.models import Post, Role, UnitKind, UnitLevel
    from accounts.tests.factories import (
        MembershipFactory,
        RoleAssignmentFactory,
        UnitFactory,
        UserFactory,
    )
    from campaign.tests.factories import CampaignFactory
    from tasks_ledger import imports
    from tasks_ledger.models import ImportStatus
    from tasks_ledger.tests.factories import make_items, make_ledger

    today = timezone.localdate()
    province = UnitFactory.create(name="故障省", level=UnitLevel.PROVINCE, kind=UnitKind.GOVERNMENT)
    city = UnitFactory.create(parent=province, name="故障市", level=UnitLevel.CITY)
    county = UnitFactory.create(parent=city, name="甲县", level=UnitLevel.COUNTY)
    city.refresh_from_db()
    county.refresh_from_db()
    liaison = UserFactory(
        username="fault_liaison", name="甲县联络员", email="liaison@example.gov.cn"
    )
    MembershipFactory(user=liaison, unit=county, post=Post.LIAISON)
    office = UserFactory(
        username="fault_office", name="市能力作风办", email="office@example.gov.cn"
    )
    RoleAssignmentFactory(user=office, role=Role.CAMPAIGN_OFFICE, scope=city)
    campaign = CampaignFactory(
        owner_unit=city,
        start_date=today - dt.timedelta(days=300),
        end_date=today + dt.timedelta(days=300),
    )
    ledger = make_ledger(campaign, title="故障演练台账")
    make_items(
        ledger,
        county,
        OVERDUE,
        title="逾期事项",
        start=today - dt.timedelta(days=200),
        deadline=today - dt.timedelta(days=30),
    )
    titles = [f"导入事项{n}" for n in range(1, IMPORT_ROWS + 1)]
    with override_settings(MEDIA_ROOT=media):
        job = imports.import_job_create(
            actor=liaison,
            ledger=ledger,
            upload=SimpleUploadedFile("导入.xlsx", xlsx(titles, today)),
        )
    assert job.status == ImportStatus.CHECKED and job.can_apply, job.errors
    return World(liaison.username, office.username, ledger.pk, job.pk, titles)


@pytest.fixture(scope="module")
def stack(django_db_setup: None, django_db_blocker: Any) -> Iterator[Stack]:
    """The stack, started once for the module (see the module's docstring)."""
    # A folder of our own, not pytest's numbered one: another pytest session of the same
    # user (a second shell, a colleague on the machine) deletes old numbered folders while
    # this cluster still runs in one.
    work = Path(tempfile.mkdtemp(prefix="nlzf-faults-"))
    try:
        yield from _on_disk(work, django_db_blocker)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _on_disk(work: Path, django_db_blocker: Any) -> Iterator[Stack]:
    media, mail, logs = work / "media", work / "mail", work / "logs"
    for folder in (mail, logs):
        folder.mkdir()
    with small_disk(media):  # uploads on a small disk of their own, for the full-disk test
        yield from _stack(work, media, mail, logs, django_db_blocker)


def _stack(
    work: Path, media: Path, mail: Path, logs: Path, django_db_blocker: Any
) -> Iterator[Stack]:
    pg = PrivatePostgres(work)
    redis = PrivateRedis(work / "redis")
    pg.start()
    try:
        redis.start()
        with django_db_blocker.unblock():
            try:
                world = _build_world(media)
                pg.copy_from(current_database_url(), TEMPLATE)
            finally:
                call_command("flush", interactive=False, verbosity=0)
        pg.recreate(DATABASE, TEMPLATE)
        port, queue = free_port(), unique("faults")
        env = child_env(
            DJANGO_SETTINGS_MODULE="config.settings.test",
            DATABASE_URL=pg.url(DATABASE),
            REDIS_URL=redis.url,
            CACHE_KEY_PREFIX=queue,
            CELERY_TASK_DEFAULT_QUEUE=queue,
            MEDIA_ROOT=str(media),
            EMAIL_URL=f"filemail:///{mail}",
            LEDGER_IMPORT_ASYNC_ROWS="2",
            # The resends every second, at once: what is due is sent as soon as Redis is back.
            BEAT_RESEND_IMPORTS_SECONDS="1",
            BEAT_DELIVER_PENDING_NOTIFICATIONS_SECONDS="1",
            NOTIFICATION_RESEND_AFTER_SECONDS="0",
        )
        s = Stack(work, pg, redis, env, port, queue, media, mail, world)
        beat = [PYTHON, "-m", "celery", "-A", "config", "beat", "-l", "info",
                "-s", str(work / "beat-schedule")]  # fmt: skip
        web = [PYTHON, "-m", "gunicorn", "config.wsgi:application", "--bind",
               f"127.0.0.1:{port}", "--workers", "1", "--timeout", "60"]  # fmt: skip
        with running({"beat": beat, "web": web}, env, logs) as processes:
            s.processes = processes
            s.start_worker()
            wait_until(lambda: s.client().get("/healthz")[0] == 200, "gunicorn", processes)
            try:
                yield s
            finally:
                s.processes["worker"].stop()
    finally:
        redis.stop()
        pg.stop()


@pytest.fixture
def fresh(stack: Stack) -> Stack:
    """The stack on a fresh copy of the world, with Redis up and empty and no mail sent."""
    if not stack.processes["worker"].alive():
        stack.start_worker()
    if not stack.redis.server.proc or stack.redis.server.proc.poll() is not None:
        stack.redis.start()
    import redis

    client = redis.Redis.from_url(stack.redis.url)
    client.flushall()
    client.close()
    stack.pg.recreate(DATABASE, TEMPLATE)
    shutil.rmtree(stack.mail)
    stack.mail.mkdir()
    return stack
