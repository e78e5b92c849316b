"""gunicorn settings for the web processes (``gunicorn --config python:config.gunicorn``).

Only what the Prometheus metrics need with several workers (config/metrics.py): each worker
writes its counters to files in ``PROMETHEUS_MULTIPROC_DIR``, and /metrics adds up all
workers' files. Unless the environment names that directory, each gunicorn gets its own
under the temporary directory (set here, in the master, before the workers are forked and
import prometheus_client). It is emptied when gunicorn starts (files of an earlier run
would be added to this run's counts), a worker that exits is marked dead so its live gauges
drop out, and a directory made here is removed on exit. Bind, workers and timeout still
come from the command line (docker-compose.yml).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

_OWN_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
_MULTIPROC_DIR = Path(
    os.environ.setdefault(
        "PROMETHEUS_MULTIPROC_DIR",
        str(Path(tempfile.gettempdir()) / f"nlzf-prometheus-{os.getpid()}"),
    )
)


def on_starting(server: Any) -> None:
    """Start with an empty metrics directory."""
    shutil.rmtree(_MULTIPROC_DIR, ignore_errors=True)
    _MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Forget the live gauges of a worker that exited."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_MULTIPROC_DIR))


def on_exit(server: Any) -> None:
    """Remove the directory this module chose (one named by the environment stays)."""
    if _OWN_DIR:
        shutil.rmtree(_MULTIPROC_DIR, ignore_errors=True)
