"""The session store (config/sessions.py): a session deleted meanwhile is still the
middleware's 400, a database that failed under the save is a server error."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.contrib.sessions.models import Session
from django.db import OperationalError, connection

from config.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_session_deleted_meanwhile_is_an_update_error() -> None:
    store = SessionStore()
    store["x"] = 1
    store.create()
    Session.objects.filter(session_key=store.session_key).delete()
    store["x"] = 2
    with pytest.raises(UpdateError):
        store.save()


def test_a_database_failing_under_the_save_is_raised_as_itself() -> None:
    """GIVEN a saved session WHEN the database fails while it is saved again (PostgreSQL
    restarted) THEN the database's error comes out, not UpdateError: the user gets the
    server-error page, not "bad request"."""
    store = SessionStore()
    store["x"] = 1
    store.create()

    def fail(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("UPDATE") and "django_session" in sql:
            raise OperationalError("terminating connection due to administrator command")
        return execute(sql, params, many, context)

    store["x"] = 2
    with connection.execute_wrapper(fail), pytest.raises(OperationalError):
        store.save()
