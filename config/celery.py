"""The Celery app. Every task runs inside a pghistory context naming the task."""

from __future__ import annotations

import os
from typing import Any

import pghistory
from celery import Celery, Task

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")


class HistoryContextTask(Task):
    """Attach the task name and id to every history event written while the task runs."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with pghistory.context(task=self.name, task_id=getattr(self.request, "id", None)):
            return super().__call__(*args, **kwargs)


app = Celery("nlzf", task_cls=HistoryContextTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
