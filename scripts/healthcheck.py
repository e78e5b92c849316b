#!/usr/bin/env python
"""Container health checks (docker-compose.yml), also run by the smoke test.

    scripts/healthcheck.py web         # /healthz answers 200 with status "ok"
    scripts/healthcheck.py heartbeat   # beat sent, and a worker ran, a heartbeat lately

``web`` asks gunicorn the way the TLS proxy would: with a Host from ALLOWED_HOSTS and
``X-Forwarded-Proto: https``, so neither host validation nor the HTTPS redirect is bypassed.
The URL is HEALTHCHECK_URL (default http://127.0.0.1:8000/healthz).

``heartbeat`` passes when the ``config.tasks.heartbeat`` stamp in the cache is younger than
HEARTBEAT_MAX_AGE seconds (default 1500: two and a half times the 10-minute schedule).
Exit status 0 means healthy.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path


def web() -> int:
    """GET /healthz through the same checks a real request meets."""
    url = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")
    hosts = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "localhost").split(",")]
    host = next((h.lstrip(".") for h in hosts if h and h != "*"), "localhost")
    request = urllib.request.Request(  # noqa: S310 (the URL is ours, from the environment)
        url, headers={"Host": host, "X-Forwarded-Proto": "https"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body = json.load(response)
    except (urllib.error.URLError, OSError, ValueError) as error:
        print(f"unhealthy: {error}", file=sys.stderr)
        return 1
    print(json.dumps(body, ensure_ascii=False))
    return 0 if body.get("status") == "ok" else 1


def heartbeat() -> int:
    """Read the last heartbeat stamp through Django's cache and judge its age."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
    import django

    django.setup()
    from django.core.cache import cache
    from django.utils import timezone

    from config.tasks import HEARTBEAT_KEY

    stamp = cache.get(HEARTBEAT_KEY)
    if not stamp:
        print("unhealthy: no heartbeat yet", file=sys.stderr)
        return 1
    age = timezone.now() - datetime.fromisoformat(stamp)
    limit = timedelta(seconds=float(os.environ.get("HEARTBEAT_MAX_AGE", "1500")))
    print(f"last heartbeat {stamp} ({age.total_seconds():.0f}s ago)")
    return 0 if age <= limit else 1


if __name__ == "__main__":
    checks = {"web": web, "heartbeat": heartbeat}
    name = sys.argv[1] if len(sys.argv) > 1 else "web"
    if name not in checks:
        raise SystemExit(f"usage: {sys.argv[0]} [{'|'.join(checks)}]")
    raise SystemExit(checks[name]())
