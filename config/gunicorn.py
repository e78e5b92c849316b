"""gunicorn settings for the web processes (``gunicorn -c python:config.gunicorn``).

Only what the Prometheus metrics need with several workers (config/metrics.py): with
``PROMETHEUS_MULTIPROC_DIR`` set, each worker writes its counters to files there. The
directory is emptied when gunicorn starts (files of an earlier run would be added to this
run's counts) and a worker that exits is marked dead, so its live gauges drop out. Command
line options (bind, workers, timeout) still come from docker-compose.yml.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


def on_starting(server: Any) -> None:
    """Start with an empty metrics directory."""
    if _MULTIPROC_DIR:
        directory = Path(_MULTIPROC_DIR)
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    """Forget the live gauges of a worker that exited."""
    if _MULTIPROC_DIR:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
