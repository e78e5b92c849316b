"""Platform-level tasks: liveness of the worker and the beat scheduler."""

from __future__ import annotations

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

HEARTBEAT_KEY = "celery:heartbeat"


@shared_task(name="config.tasks.heartbeat")
def heartbeat() -> str:
    """Record that a worker ran a task just now; returns the ISO timestamp written."""
    stamp = timezone.now().isoformat()
    cache.set(HEARTBEAT_KEY, stamp, timeout=None)
    return stamp


@shared_task(name="config.tasks.ping")
def ping(value: str) -> str:
    """Echo a value back: a round trip through the broker, a worker and the result store."""
    return f"pong:{value}"
