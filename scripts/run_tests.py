#!/usr/bin/env python
"""`make test`: the whole pytest suite against real PostgreSQL and Redis.

Uses DATABASE_URL and REDIS_URL (defaults: postgres://postgres@127.0.0.1:5432/nlzf and
redis://127.0.0.1:6379/0). When one of them does not answer, an embedded one is started for
the run (see scripts/services.py) and stopped afterwards. Arguments are passed to pytest.

Unless the arguments choose otherwise (``-n 0`` runs serially), tests run in parallel on
every core with pytest-xdist, grouped by module (``--dist loadscope``) so a module's
shared processes (the smoke test's gunicorn, worker and beat) start once. Each xdist
worker has its own test database; live-server, browser and Celery tests work under it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from services import embedded_services, url_reachable

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/nlzf"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def with_parallel_default(argv: list[str]) -> list[str]:
    """Add ``-n auto --dist loadscope`` unless the caller chose a number of workers."""
    chosen = any(
        arg.startswith(("-n", "--numprocesses")) or arg in ("no:xdist", "-pno:xdist")
        for arg in argv
    )
    return argv if chosen else ["-n", "auto", "--dist", "loadscope", *argv]


def main(argv: list[str]) -> int:
    """Find or start the services, run pytest, stop what was started; exit as pytest did."""
    database_url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    pg_port = None if url_reachable(database_url) else int(os.environ.get("NLZF_PG_PORT", "55433"))
    redis_port = (
        None if url_reachable(redis_url) else int(os.environ.get("NLZF_REDIS_PORT", "56380"))
    )
    # Ctrl-C goes to pytest too (same process group); wait for it instead of dying first,
    # so the embedded services are stopped after it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    with embedded_services(
        ROOT / ".local" / "test", pg_port=pg_port, redis_port=redis_port, fast=True
    ) as started:
        env = {"DATABASE_URL": database_url, "REDIS_URL": redis_url, **os.environ, **started}
        print(f"tests use {env['DATABASE_URL']} and {env['REDIS_URL']}", flush=True)
        result = subprocess.run(
            [sys.executable, "-m", "pytest", *with_parallel_default(argv)],
            cwd=ROOT,
            env=env,
            check=False,
            preexec_fn=_default_signals,
        )
    return result.returncode


def _default_signals() -> None:
    """In pytest's process: Ctrl-C and SIGTERM behave as usual again."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
