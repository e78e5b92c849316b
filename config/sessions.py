"""Sessions: Django's cached_db store (Redis in front, PostgreSQL behind), telling a
database that failed apart from a session deleted meanwhile.

Django's database store turns every database error of a session's save into
``UpdateError`` ("the session was deleted before the request completed"), which the session
middleware answers with 400. When the error is the database itself failing (a restart, a
lost connection) the user should get the server-error page and its advice to try again,
and the server's log the real error: that error is raised instead. A session really
deleted meanwhile (its row gone, so the forced update wrote nothing) is still 400.
"""

from __future__ import annotations

from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.base import UpdateError
from django.db import DatabaseError

#: What Django's Model.save(force_update=True) raises when the row is gone.
ROW_GONE = "Forced update did not affect any rows."


class SessionStore(cached_db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except UpdateError as error:
            cause = error.__context__
            if isinstance(cause, DatabaseError) and str(cause) != ROW_GONE:
                raise cause from None
            raise
