"""History of business records, read from django-pghistory's trigger-written events.

Pages and the admin show what changed, who changed it, when, and from which request or
background task, in words (:mod:`.render`, :mod:`.sources`). History rows are never edited
or deleted by the application.

- :mod:`.context`: the context every write runs under (request, task, command, import);
- :mod:`.scope`: which events a page shows (a record, what points at it, a set of records);
- :mod:`.query`: the events grouped into lines in SQL, so bulk writes are one line;
- :mod:`.render`: the lines as people read them.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from .context import RequestHistoryMiddleware, command_context
from .query import count_lines
from .render import HistoryEntry, entries, when_display
from .scope import HistoryScope, scope_of, scope_of_records

__all__ = [
    "HistoryEntry",
    "HistoryScope",
    "RequestHistoryMiddleware",
    "command_context",
    "count_lines",
    "entries",
    "history_for",
    "scope_of",
    "scope_of_records",
    "when_display",
]


def history_for(
    obj: models.Model,
    *,
    limit: int = 50,
    only: Iterable[type[models.Model]] | None = None,
    reader_id: int | None = None,
) -> list[HistoryEntry]:
    """The latest lines of history of ``obj`` and of the records pointing at it (of the
    models in ``only``, when given)."""
    return entries(scope_of(obj, related=only), limit=limit, reader_id=reader_id)
