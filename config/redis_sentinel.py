"""Redis behind Sentinel: one client helper for the code that talks to Redis itself.

With ``REDIS_SENTINELS`` set (``host:port,host:port``), settings point every Redis user at
the master that the sentinels call ``REDIS_SENTINEL_MASTER``, each through its library's own
Sentinel support:

- the cache (and so cached sessions and rate limits): django-redis's
  ``SentinelConnectionFactory``;
- Celery's broker and result backend: Celery's ``sentinel://`` transport;
- the health check and the metrics: :func:`redis_client`, redis-py's ``Sentinel.master_for``.

``REDIS_URL`` still says the database number and the password; without ``REDIS_SENTINELS``
it is used as it is, as before.
"""

from __future__ import annotations

from typing import Any

import redis
from django.conf import settings
from redis.connection import parse_url
from redis.sentinel import Sentinel


def sentinel_addresses(entries: list[str]) -> list[tuple[str, int]]:
    """``host:port`` entries as (host, port) pairs."""
    pairs = []
    for entry in entries:
        host, _, port = entry.rpartition(":")
        pairs.append((host.strip("[]"), int(port)))
    return pairs


def redis_client(url: str | None = None, **options: Any) -> redis.Redis:
    """A client for the Redis of ``url`` (default ``REDIS_URL``): the sentinels' master when
    ``REDIS_SENTINELS`` is set (the URL's host and port are then not used), else the URL's."""
    url = url or settings.REDIS_URL
    if not settings.REDIS_SENTINELS:
        return redis.Redis.from_url(url, **options)
    params = {**parse_url(url), **options}
    params.pop("host", None)
    params.pop("port", None)
    timeouts = {k: v for k, v in params.items() if k.startswith("socket_")}
    sentinel = Sentinel(sentinel_addresses(settings.REDIS_SENTINELS), sentinel_kwargs=timeouts)
    return sentinel.master_for(settings.REDIS_SENTINEL_MASTER, **params)
