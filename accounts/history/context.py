"""Where a change came from: the context every history event is written under.

Each entry point opens one pghistory context, so every event it writes carries the same
context id (which groups a bulk write into one line) and says where it came from:

- a request: ``user``, ``url``, ``method`` and ``request_id`` (:class:`RequestHistoryMiddleware`);
- a Celery task: ``task`` and ``task_id`` (``config.celery.HistoryContextTask``);
- a management command: ``command`` (:func:`command_context`);
- an Excel import: ``import_job`` (the importer's apply step), inside any of the above.

:mod:`accounts.history.sources` turns these keys into words.
"""

from __future__ import annotations

import uuid
from typing import Any

import pghistory
from django.http import HttpRequest
from pghistory.middleware import HistoryMiddleware


class RequestHistoryMiddleware(HistoryMiddleware):
    """Add the method and a request id to the user and URL pghistory records by default."""

    def get_context(self, request: HttpRequest) -> dict[str, Any]:
        """Context stored with every event written while this request runs."""
        context = super().get_context(request)
        context["method"] = request.method
        context["request_id"] = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        return context


def command_context(command: str) -> Any:
    """Context manager naming a management command as the source of its changes."""
    return pghistory.context(command=command)
