"""The Celery app. Every task runs inside a pghistory context naming the task.

Work that follows a write is sent with :func:`send_on_commit`: after the transaction commits,
and without failing the write when Redis (the broker) is down. What was to be sent is never
only in Redis: the rows it is about say it is due (an import job still checking or applying,
a notification not yet emailed or texted), and a beat task sends it again from them
(``workbooks.tasks.resend_imports``, ``accounts.tasks.deliver_pending_notifications``).
"""

from __future__ import annotations

import os
from functools import partial
from typing import Any

import pghistory
from celery import Celery, Task
from django.db import transaction

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


class HistoryContextTask(Task):
    """Attach the task name and id to every history event written while the task runs."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with pghistory.context(task=self.name, task_id=getattr(self.request, "id", None)):
            return super().__call__(*args, **kwargs)


def closed_broker_channel_raises_connection_error() -> None:
    """Make a kombu Redis channel whose connection is closed raise a *connection* error
    (redis-py's ``ConnectionError``) when it needs a new Redis client, instead of an
    ``AttributeError`` on the missing connection details.

    With Celery 5.7 and kombu 5.7, when Redis goes away the worker's consumer first
    ``collect()``s its broker connection and then ``close()``s it. ``collect()`` tries to close
    the default channel, which can fail before the channel is marked closed (one waiting in
    BRPOP first reads the reply, which raises ``ConnectionError``, swallowed), then detaches the
    transport (``transport.client = None``). ``close()`` closes that channel again, and now goes
    on to restore the unacknowledged messages (with ``acks_late``, any task still running),
    which builds a new client from ``transport.client``: ``AttributeError: 'NoneType' object has
    no attribute 'hostname'``. Celery only survives connection and channel errors there, so the
    worker exited ("Unrecoverable error") on every Redis restart or outage that came while a
    task ran; the acknowledgement of such a task, on the same channel, fails the same way.

    As a connection error, the restore is given up (Redis is unreachable anyway; kombu restores
    unacknowledged messages left in Redis after its visibility timeout), the failed
    acknowledgement is logged, and the consumer reconnects when Redis is back.
    """
    from kombu.transport import redis as kombu_redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    connparams = kombu_redis.Channel._connparams
    if getattr(connparams, "closed_raises_connection_error", False):
        return

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if getattr(self.connection, "client", None) is None:
            raise RedisConnectionError("the connection to the broker has been closed")
        return connparams(self, asynchronous=asynchronous)

    _connparams.closed_raises_connection_error = True  # type: ignore[attr-defined]
    # The Sentinel channel is a subclass: it inherits this.
    kombu_redis.Channel._connparams = _connparams  # type: ignore[method-assign]


closed_broker_channel_raises_connection_error()

app = Celery("nlzf", task_cls=HistoryContextTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def send_on_commit(task: Task, *args: Any) -> None:
    """Send ``task(*args)`` once the current transaction commits (at once outside one).

    With the broker down the send fails within a second and is logged (``robust``), the
    write it follows stands, and the beat's resend picks the work up from the database when
    Redis is back. Such tasks keep no result (``ignore_result=True`` on the task): their
    outcome is in the database, and with Redis down Celery's result store would otherwise
    retry for about 20 s before failing the send.
    """
    send = partial(task.delay, *args)
    on_commit_robust(send, f"{task.name}.delay")


def on_commit_robust(call: partial[Any], name: str) -> None:
    """``transaction.on_commit(call, robust=True)``: an error in ``call`` is logged, not
    raised. Django's log line names the callable by ``__qualname__``, which a partial lacks
    (without it the error handler itself raises), so the partial is given ``name``."""
    call.__qualname__ = name  # type: ignore[attr-defined]
    transaction.on_commit(call, robust=True)
