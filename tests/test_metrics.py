"""``/metrics`` (config/metrics.py): who may read it and what it reports.

The gauges are read from the real sources: a Celery queue in the real Redis, sweep runs in
the test database, pg_stat_replication on the test server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import redis
from django.conf import settings as django_settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accountability.models import SweepRun, SweepStatus
from conftest import Org
from tests.processes import unique

pytestmark = pytest.mark.django_db


def _value(body: str, name: str, labels: str = "") -> float:
    """The sample ``name{labels}`` of a Prometheus text page."""
    pattern = "^" + re.escape(name) + (re.escape("{" + labels + "}") if labels else "") + r" (\S+)$"
    match = re.search(pattern, body, re.MULTILINE)
    assert match, f"{name}{{{labels}}} not in the metrics"
    return float(match[1])


@pytest.fixture
def queue(settings: Any) -> Iterator[str]:
    """A queue of its own in the real Redis, reported by the metrics; emptied afterwards."""
    name = unique("metrics")
    settings.METRICS_CELERY_QUEUES = [name]
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    try:
        yield name
    finally:
        client.delete(name, f"{name}\x06\x163")
        client.close()


def test_metrics_report_queue_length_sweep_replication_and_requests(
    client: Client, queue: str
) -> None:
    """GIVEN three messages waiting (one with a priority), a finished sweep and a dry run
    after it WHEN /metrics is read from the machine itself
    THEN it reports 3 queued, the real sweep's end and duration, the replication state, the
    request counts of django-prometheus, and every source up.
    """
    backend = redis.Redis.from_url(django_settings.REDIS_URL)
    backend.lpush(queue, "a", "b")
    backend.lpush(f"{queue}\x06\x163", "c")
    backend.close()
    started = timezone.now() - timedelta(minutes=5)
    SweepRun.objects.create(
        as_of=started.date(),
        started_at=started,
        finished_at=started + timedelta(seconds=42),
        status=SweepStatus.FINISHED,
    )
    SweepRun.objects.create(  # a dry run later: not what the sweep wrote
        as_of=started.date(),
        started_at=started + timedelta(minutes=1),
        finished_at=started + timedelta(minutes=2),
        status=SweepStatus.FINISHED,
        dry_run=True,
    )
    client.get(reverse("login"))

    response = client.get("/metrics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=")
    body = response.content.decode()
    assert _value(body, "nlzf_celery_queue_length", f'queue="{queue}"') == 3
    assert _value(body, "nlzf_sweep_last_duration_seconds") == 42
    assert _value(body, "nlzf_sweep_last_finished_timestamp_seconds") == pytest.approx(
        (started + timedelta(seconds=42)).timestamp()
    )
    assert _value(body, "nlzf_replication_connected_replicas") == 0
    assert "nlzf_replication_replay_lag_seconds" in body
    for source in ("redis", "database", "replication"):
        assert _value(body, "nlzf_metrics_source_up", f'source="{source}"') == 1
    assert re.search(
        r'django_http_requests_total_by_view_transport_method_total\{method="GET",'
        r'transport="http",view="login"\} [1-9]',
        body,
    ), "no request counted for the login page"


def test_a_source_that_does_not_answer_is_reported_down(client: Client, settings: Any) -> None:
    """GIVEN Redis unreachable for the metrics WHEN /metrics is read
    THEN it still answers 200, with redis down and the database's gauges present.
    """
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens on port 9

    response = client.get("/metrics")

    assert response.status_code == 200
    body = response.content.decode()
    assert _value(body, "nlzf_metrics_source_up", 'source="redis"') == 0
    assert _value(body, "nlzf_metrics_source_up", 'source="database"') == 1


def test_metrics_are_refused_to_other_addresses_without_the_token(
    client: Client, settings: Any, org: Org
) -> None:
    """GIVEN METRICS_TOKEN set WHEN another address asks without it, with a wrong one, or as a
    signed-in superuser THEN 403; with the token 200; from loopback without a token 200.
    """
    settings.METRICS_TOKEN = "s3cret-token-for-prometheus"
    remote = {"REMOTE_ADDR": "10.20.30.40"}
    assert client.get("/metrics", **remote).status_code == 403
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong", **remote).status_code == 403
    client.force_login(org.superuser)
    assert client.get("/metrics", **remote).status_code == 403
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus", **remote)
    assert ok.status_code == 200
    assert b"nlzf_celery_queue_length" in ok.content
    assert client.get("/metrics").status_code == 200  # 127.0.0.1, in METRICS_ALLOWED_NETWORKS


def test_allowed_networks_are_read_behind_the_trusted_proxy(client: Client, settings: Any) -> None:
    """GIVEN one trusted proxy and Prometheus's network allowed
    WHEN a scrape arrives through the proxy from that network THEN 200; from elsewhere 403,
    even when the client writes an allowed address into X-Forwarded-For itself.
    """
    settings.TRUSTED_PROXY_COUNT = 1
    settings.METRICS_ALLOWED_NETWORKS = ["172.18.0.0/16"]
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="172.18.0.9", **proxy).status_code == 200
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="8.8.8.8", **proxy).status_code == 403
    forged = "172.18.0.9, 8.8.8.8"
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR=forged, **proxy).status_code == 403
