"""``/healthz``: is this web process able to reach PostgreSQL and Redis?

Used by the compose health check and by load balancers. Answers 200 with JSON when both
answer, 503 otherwise; names only which check failed, never the error text (it may carry
host names or credentials). The last Celery heartbeat is reported for information only: a
worker still starting must not make the web container unhealthy.
"""

from __future__ import annotations

import logging

import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from config.redis_sentinel import redis_client
from config.tasks import HEARTBEAT_KEY

logger = logging.getLogger(__name__)


def _database() -> bool:
    """One round trip to PostgreSQL."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # any failure means unhealthy; the reason goes to the logs, not out
        logger.exception("health check: PostgreSQL did not answer")
        return False


def _redis() -> bool:
    """One PING to the Redis that serves as cache and Celery broker."""
    try:
        # Through the sentinels' master when REDIS_SENTINELS is set.
        client = redis_client(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        logger.exception("health check: Redis did not answer")
        return False


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report the state of the database and Redis as JSON."""
    checks = {"database": _database(), "redis": _redis()}
    healthy = all(checks.values())
    heartbeat = None
    if checks["redis"]:
        try:
            heartbeat = cache.get(HEARTBEAT_KEY)
        except redis.RedisError:
            heartbeat = None
    return JsonResponse(
        {
            "status": "ok" if healthy else "error",
            "checks": {name: "ok" if ok else "error" for name, ok in checks.items()},
            "celery_heartbeat": heartbeat,
        },
        status=200 if healthy else 503,
    )
