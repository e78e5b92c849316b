"""Reads of dashboards and exports from the streaming replica; everything else on the primary.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database alias and this router.
The router sends a read to the replica only while replica reads are switched on for the
current context (a :mod:`contextvars` variable, so threads and requests never share it):

- :class:`ReplicaReadMiddleware` switches them on for a GET (or HEAD) of one of the views
  named in ``REPLICA_READ_VIEWS`` (the battle map, the rankings, the notice statistics, the
  home tiles, the Excel exports), unless the browser wrote something in the last
  ``REPLICA_PIN_SECONDS``: every request that is not a GET or HEAD sets a short-lived cookie
  that pins the next requests of that browser to the primary, so a liaison who has just saved
  sees the save even on a dashboard, whatever the replica's lag;
- Celery tasks named in ``REPLICA_READ_TASKS`` run with them on (:func:`_task_starts`);
- :func:`replica_reads` switches them on for a block of code.

The middleware and the tasks leave them off while the replica is more than
``REPLICA_MAX_LAG_SECONDS`` behind or does not answer (:func:`replica_usable`).

Whatever the switch, these stay on the primary: every write (also of an object read from
the replica), every read after a write in the same request or task (it must see what it
wrote: the first write switches replica reads off), every read inside a transaction on the
primary (it must see its own uncommitted rows), and the models of ``REPLICA_NEVER_APPS``
(sessions, lockouts, tokens, import jobs: rows that were written a moment ago by another
request or by the task's caller).
Without a replica alias the router answers nothing and Django uses ``default`` as always.
Views are not edited for any of this: the list of view names in settings is the whole choice.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, cast

from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model
from django.http import FileResponse, HttpRequest, HttpResponseBase, StreamingHttpResponse

logger = logging.getLogger(__name__)

REPLICA = "replica"
# Set on the response to any request that may have written; while the browser sends it
# back, its requests read from the primary.
PIN_COOKIE = "nlzf_primary"
SAFE_METHODS = frozenset({"GET", "HEAD"})

_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "replica_reads", default=False
)


def replica_configured() -> bool:
    """True when settings define the ``replica`` database alias."""
    return REPLICA in connections.settings


@contextlib.contextmanager
def replica_reads(enabled: bool = True) -> Iterator[None]:
    """Within the block, reads may go to the replica (or, with ``enabled=False``, may not)."""
    token = _replica_reads.set(enabled)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reading_from_replica() -> bool:
    """True when reads in this context are switched to the replica (and it exists)."""
    return _replica_reads.get() and replica_configured()


# How far the replica's replay is behind, in seconds: 0 when it has replayed all the WAL it
# received (also on a server that is no standby), else the time since the last transaction
# it replayed. Also read by /metrics.
REPLICA_LAG_SQL = """
    SELECT CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn()
                THEN 0
                ELSE EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())
           END
"""
# (time.monotonic() of the last check, whether the replica was usable then), per process.
_last_check: tuple[float, bool] = (-math.inf, True)


def replica_usable() -> bool:
    """True unless the replica is more than REPLICA_MAX_LAG_SECONDS behind or does not
    answer; asked of the replica at most every REPLICA_LAG_CHECK_SECONDS per process.

    A dashboard or export that would read a stale or absent replica reads the primary
    instead: slower, but current (0 switches the check off).
    """
    global _last_check
    max_lag = settings.REPLICA_MAX_LAG_SECONDS
    if max_lag <= 0:
        return True
    checked_at, usable = _last_check
    now = time.monotonic()
    if now - checked_at < settings.REPLICA_LAG_CHECK_SECONDS:
        return usable
    try:
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(REPLICA_LAG_SQL)
            (lag,) = cursor.fetchone()
        usable = lag is None or float(lag) <= max_lag
        if not usable:
            logger.warning("replica %.0f s behind: dashboards read the primary", lag)
    except DatabaseError:
        logger.exception("replica did not answer: dashboards read the primary")
        connections[REPLICA].close()
        usable = False
    _last_check = (now, usable)
    return usable


class ReplicaRouter:
    """Django database router: the replica for switched-on reads, the primary for the rest."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str | None:
        """``replica`` for a switched-on read outside a transaction; otherwise the default."""
        if not reading_from_replica():
            return None
        never = settings.REPLICA_NEVER_APPS
        if model._meta.app_label in never or model._meta.label_lower in never:
            return None
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return REPLICA

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        """Always the primary, also for an object that was read from the replica; reads
        after it in this request or task go to the primary too."""
        if _replica_reads.get():
            _replica_reads.set(False)
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool:
        """The replica holds the primary's rows: objects from either may be related."""
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        """Never migrate the replica: it replays the primary's schema."""
        return db != REPLICA


def _replica_view(request: HttpRequest) -> bool:
    """True when this request is a plain read of a dashboard or export view."""
    match = request.resolver_match
    return (
        request.method in SAFE_METHODS
        and PIN_COOKIE not in request.COOKIES
        and match is not None
        and match.view_name in settings.REPLICA_READ_VIEWS
    )


def _streamed_on_replica(content: Iterable[Any]) -> Iterator[Any]:
    """Yield ``content`` with replica reads on: a streamed export queries while it is sent,
    after the middleware has returned."""
    previous = _replica_reads.get()
    _replica_reads.set(True)
    try:
        yield from content
    finally:
        _replica_reads.set(previous)


class ReplicaReadMiddleware:
    """Switch replica reads on for the dashboard and export views (see the module's doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        # Whatever the view switched on ends with the request (also without a replica).
        token = _replica_reads.set(False)
        try:
            response = self.get_response(request)
            # A file is already written: nothing left to query while it is sent.
            if (
                _replica_reads.get()
                and isinstance(response, StreamingHttpResponse)
                and not isinstance(response, FileResponse)
                and not response.is_async
            ):
                content = cast(Iterator[Any], response.streaming_content)
                response.streaming_content = _streamed_on_replica(content)
        finally:
            _replica_reads.reset(token)
        if request.method not in SAFE_METHODS and replica_configured():
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=settings.REPLICA_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> None:
        """Once the view is known: switch replica reads on when it is a dashboard's GET."""
        if _replica_view(request) and replica_configured() and replica_usable():
            _replica_reads.set(True)


# Celery: ``CELERY_IMPORTS`` names this module, so every worker connects these.
_task_tokens: dict[str, contextvars.Token[bool]] = {}


@task_prerun.connect
def _task_starts(task_id: str, task: Any, **kwargs: Any) -> None:
    """A task named in REPLICA_READ_TASKS reads from the replica while it runs."""
    if task.name in settings.REPLICA_READ_TASKS and replica_configured() and replica_usable():
        _task_tokens[task_id] = _replica_reads.set(True)


@task_postrun.connect
def _task_ends(task_id: str, task: Any, **kwargs: Any) -> None:
    """Switch back after the task (the worker process runs the next task clean)."""
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _replica_reads.reset(token)
