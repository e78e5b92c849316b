"""``/metrics``: what to watch on a province's deployment, in the Prometheus text format.

Request metrics (counts, latencies, statuses by view) come from django-prometheus's
middleware. With several gunicorn workers each worker keeps its own counters; when
``PROMETHEUS_MULTIPROC_DIR`` is set (before gunicorn starts; config/gunicorn.py empties it
at start and forgets dead workers) prometheus_client writes them to files there and
django-prometheus's view adds up all workers' files, so any worker answers for the process.

Read at each scrape, from the sources themselves (so every worker answers alike):

- ``nlzf_celery_queue_length{queue}``: messages waiting in each Celery queue (LLEN of the
  queue's Redis lists, priorities included);
- ``nlzf_sweep_last_finished_timestamp_seconds`` and ``nlzf_sweep_last_duration_seconds``:
  the last escalation sweep that finished (accountability's SweepRun rows, which the sweep
  writes anyway);
- ``nlzf_replica_lag_seconds``: how far the read replica's replay is behind, measured on the
  replica (0 when it has replayed all it received); ``nlzf_replication_*``: the replicas the
  primary streams to and their replay lag, from pg_stat_replication (the database user needs
  the pg_monitor role to see the lag columns);
- ``nlzf_metrics_source_up{source}``: 0 when a source did not answer (the error is logged).

Access: a request with ``Authorization: Bearer <METRICS_TOKEN>`` (when that setting is not
empty), or from a client address in ``METRICS_ALLOWED_NETWORKS`` (the address
config.proxy.client_ip finds behind the trusted proxies; loopback by default). Anyone else
gets 403.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Iterator

import prometheus_client
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_prometheus.exports import ExportToDjangoView
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from config.db_router import REPLICA, REPLICA_LAG_SQL, replica_configured
from config.proxy import client_ip
from config.redis_sentinel import redis_client

logger = logging.getLogger(__name__)

# kombu's Redis transport keeps a queue's messages of priority p > 0 in "<queue>\x06\x16<p>".
_PRIORITY_SEP = "\x06\x16"
_PRIORITY_STEPS = (0, 3, 6, 9)

_REPLICATION_SQL = """
    SELECT count(*),
           COALESCE(MAX(EXTRACT(EPOCH FROM replay_lag)), 0),
           COALESCE(MAX(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)
    FROM pg_stat_replication
"""


def queue_names() -> list[str]:
    """The Celery queues to report: METRICS_CELERY_QUEUES, else the default queue."""
    return list(settings.METRICS_CELERY_QUEUES) or [settings.CELERY_TASK_DEFAULT_QUEUE]


class ScaleCollector(Collector):
    """Queue lengths, the last sweep and replication, read afresh at each scrape."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield each metric family; a source that fails is reported down, not raised."""
        up = GaugeMetricFamily(
            "nlzf_metrics_source_up", "1 when the source answered this scrape.", labels=["source"]
        )
        for source, read in (
            ("redis", self._queues),
            ("database", self._sweep),
            ("replication", self._replication),
        ):
            try:
                yield from read()
            except Exception:  # a scrape reports what it can; the reason goes to the log
                logger.exception("metrics: %s did not answer", source)
                up.add_metric([source], 0)
            else:
                up.add_metric([source], 1)
        yield up

    def _queues(self) -> Iterator[GaugeMetricFamily]:
        broker = settings.CELERY_BROKER_URL
        client = redis_client(
            broker if broker.startswith(("redis://", "rediss://")) else settings.REDIS_URL,
            socket_connect_timeout=2,
            socket_timeout=2,
        )
        family = GaugeMetricFamily(
            "nlzf_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        try:
            with client.pipeline(transaction=False) as pipe:
                names = queue_names()
                for name in names:
                    for step in _PRIORITY_STEPS:
                        pipe.llen(name if step == 0 else f"{name}{_PRIORITY_SEP}{step}")
                lengths = pipe.execute()
        finally:
            client.close()
        for index, name in enumerate(names):
            steps = len(_PRIORITY_STEPS)
            family.add_metric([name], sum(lengths[index * steps : (index + 1) * steps]))
        yield family

    def _sweep(self) -> Iterator[GaugeMetricFamily]:
        from accountability.models import SweepRun, SweepStatus

        run = (
            SweepRun.objects.using("default")
            .filter(status=SweepStatus.FINISHED, dry_run=False, finished_at__isnull=False)
            .order_by("-finished_at")
            .values_list("started_at", "finished_at")
            .first()
        )
        finished = GaugeMetricFamily(
            "nlzf_sweep_last_finished_timestamp_seconds",
            "When the last escalation sweep finished (Unix time; absent before the first).",
        )
        duration = GaugeMetricFamily(
            "nlzf_sweep_last_duration_seconds", "How long the last escalation sweep took."
        )
        if run is not None:
            started_at, finished_at = run
            assert finished_at is not None  # filtered on
            finished.add_metric([], finished_at.timestamp())
            duration.add_metric([], (finished_at - started_at).total_seconds())
        yield finished
        yield duration

    def _replication(self) -> Iterator[GaugeMetricFamily]:
        with connections["default"].cursor() as cursor:
            cursor.execute(_REPLICATION_SQL)
            count, lag_seconds, lag_bytes = cursor.fetchone()
        yield GaugeMetricFamily(
            "nlzf_replication_connected_replicas",
            "Replicas the primary streams WAL to.",
            value=count,
        )
        yield GaugeMetricFamily(
            "nlzf_replication_replay_lag_seconds",
            "The largest replay lag the primary reports for its replicas.",
            value=float(lag_seconds),
        )
        yield GaugeMetricFamily(
            "nlzf_replication_replay_lag_bytes",
            "The most WAL a replica has not replayed yet, in bytes.",
            value=float(lag_bytes),
        )
        if replica_configured():
            with connections[REPLICA].cursor() as cursor:
                cursor.execute("SELECT pg_is_in_recovery()")
                (in_recovery,) = cursor.fetchone()
                cursor.execute(REPLICA_LAG_SQL)
                (lag,) = cursor.fetchone()
            yield GaugeMetricFamily(
                "nlzf_replica_lag_seconds",
                "How far the read replica's replay is behind (0: all received WAL replayed).",
                value=float(lag or 0),
            )
            yield GaugeMetricFamily(
                "nlzf_replica_in_recovery",
                "1 while the replica database is a standby (0: promoted, or not a replica).",
                value=1 if in_recovery else 0,
            )


def allowed(request: HttpRequest) -> bool:
    """True for the bearer of METRICS_TOKEN or a client in METRICS_ALLOWED_NETWORKS."""
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return secrets.compare_digest(header.removeprefix("Bearer ").encode(), token.encode())
    address = client_ip(request)
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(
        ip in ipaddress.ip_network(network, strict=False)
        for network in settings.METRICS_ALLOWED_NETWORKS
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """The request metrics of every worker, then the deployment's own gauges."""
    if not allowed(request):
        return HttpResponseForbidden("metrics: not allowed\n", content_type="text/plain")
    registry = prometheus_client.CollectorRegistry(auto_describe=False)
    registry.register(ScaleCollector())
    body = ExportToDjangoView(request).content + prometheus_client.generate_latest(registry)
    return HttpResponse(body, content_type=prometheus_client.CONTENT_TYPE_LATEST)
