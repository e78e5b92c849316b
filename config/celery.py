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
