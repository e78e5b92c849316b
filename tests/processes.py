"""Helpers for tests that run the real processes: Celery worker and beat, gunicorn.

Each process starts in a session of its own, so stopping it also stops its pool children;
its output goes to a log file that is printed when a test fails while waiting for it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


# Set in this process by the browser tests (Playwright runs an event loop); a real
# deployment never has it, and `check --deploy` rightly fails on it.
TEST_ONLY_VARIABLES = ("DJANGO_ALLOW_ASYNC_UNSAFE",)


def child_env(**overrides: str) -> dict[str, str]:
    """This process's environment without test-only variables, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
    env.update(overrides)
    return env


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def unique(prefix: str) -> str:
    """A name no other test run (or xdist worker) uses: queues, cache prefixes, node names."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def current_database_url() -> str:
    """DATABASE_URL of the database pytest-django set up for this (xdist) worker."""
    s = connection.settings_dict
    auth = quote(s["USER"] or "", safe="")
    if s.get("PASSWORD"):
        auth += ":" + quote(s["PASSWORD"], safe="")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


@contextlib.contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """An empty database of its own on the test server; dropped (forcibly) afterwards."""
    import psycopg2
    from psycopg2 import sql

    s = connection.settings_dict
    name = unique(prefix).replace("-", "_")
    params = {
        "host": s["HOST"] or "127.0.0.1",
        "port": s["PORT"] or 5432,
        "user": s["USER"],
        "password": s["PASSWORD"] or None,
        "dbname": "postgres",
    }

    def execute(statement: sql.Composable) -> None:
        conn = psycopg2.connect(**params)
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute(statement)
        finally:
            conn.close()

    execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        base = current_database_url()
        yield base[: base.rindex("/") + 1] + name
    finally:
        execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Process:
    """A child process with a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(
                args,
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace")

    def alive(self) -> bool:
        """True while the process runs."""
        return self.proc.poll() is None

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM to the whole group (a warm shutdown for Celery), SIGKILL if it lingers."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # pool children left behind, if any


@contextlib.contextmanager
def running(
    specs: dict[str, list[str]], env: dict[str, str], logdir: Path
) -> Iterator[dict[str, Process]]:
    """Start named processes; stop all of them on the way out, in reverse order."""
    logdir.mkdir(parents=True, exist_ok=True)
    started: dict[str, Process] = {}
    try:
        for name, args in specs.items():
            started[name] = Process(name, args, env, logdir / f"{name}.log")
        yield started
    finally:
        for process in reversed(started.values()):
            process.stop()


def wait_until(
    condition: Callable[[], object], what: str, processes: dict[str, Process], timeout: float = 60
) -> None:
    """Poll ``condition()`` until it is true; fail with the processes' logs otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        dead = [p for p in processes.values() if not p.alive()]
        if dead:
            raise AssertionError(
                f"{dead[0].name} exited while waiting for {what}:\n" + dead[0].output()[-4000:]
            )
        with contextlib.suppress(OSError):
            if condition():
                return
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.name} ---\n{p.output()[-3000:]}" for p in processes.values())
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")


def celery_worker_args(queue: str, *extra: str, pool: str = "solo") -> list[str]:
    """Command line of a Celery worker consuming only ``queue``."""
    return [
        PYTHON,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "-l",
        "info",
        "-P",
        pool,
        "-c",
        "1",
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-mingle",
        "--without-gossip",
        *extra,
    ]
