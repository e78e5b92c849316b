"""Statements planned once per database session: ``PREPARE``d the first time a session runs
them, then ``EXECUTE``d by name, so PostgreSQL plans them once instead of on every request.

A database session (one psycopg2 connection: Django keeps it ``CONN_MAX_AGE`` seconds)
keeps what it prepared whatever its transactions do, until it closes. Each session keeps at
most :data:`MAX_PLANS` of them, and the least recently run is deallocated to make room.

Two users of this:

- :meth:`tasks_ledger.selectors.RowsStatement.run`: a statement compiled once and run
  with each page's ids as its one parameter (``$1``);
- :func:`planned_once`: every read a block of code runs, its parameters written in, for
  pages whose statements take longer to plan than to run (the queues at a province).
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

#: Statements one database session keeps prepared, at most.
MAX_PLANS = 64
#: What :func:`planned_once` prepares: reads, and nothing sent through a named (server-side)
#: cursor, which psycopg2 wraps in a DECLARE of its own.
_READ = re.compile(r"\s*SELECT\b", re.IGNORECASE)


@dataclass
class _Session:
    """What one database session has prepared (least recently run first), and under which
    attempt's names."""

    prepared: OrderedDict[str, None] = field(default_factory=OrderedDict)
    attempt: int = 0


#: What each database session (psycopg2's connection) has prepared.
_SESSIONS: weakref.WeakKeyDictionary[Any, _Session] = weakref.WeakKeyDictionary()


def session_of(cursor: Any) -> _Session:
    """What ``cursor``'s database session has prepared."""
    return _SESSIONS.setdefault(cursor.connection, _Session())


def forget_all(cursor: Any) -> None:
    """Deallocate everything ``cursor``'s session prepared, and forget it: for a caller that
    must see a statement prepared from nothing (a test watching the first PREPARE)."""
    cursor.execute("DEALLOCATE ALL")
    session_of(cursor).prepared.clear()


def run_prepared(
    cursor: Any,
    stem: str,
    body: str,
    args: Sequence[Any] = (),
    execute: Callable[[str, Any], Any] | None = None,
    *,
    logged: bool = False,
) -> Any:
    """Run ``body`` (SQL whose parameters are written in, but for ``$1``… given as
    ``args``) as the prepared statement ``stem`` of ``cursor``'s session: ``EXECUTE`` alone
    when the session has it, else sent after its ``PREPARE`` (one round trip), the least
    recently run beyond :data:`MAX_PLANS` deallocated first.

    Should the round trip fail, whether the PREPARE took is unknown, so the session
    prepares everything again under new names. ``execute``: what sends the SQL and its
    parameters (``cursor.execute``). ``logged``: the connection logs its queries (DEBUG,
    or a test capturing them), so an ``EXECUTE`` alone carries its statement as a comment,
    for the log to say what ran."""
    session = session_of(cursor)
    name = f"{stem}_{session.attempt}"
    prefix = ""
    dropped: list[str] = []  # the least recently run, to make room for this one
    # With arguments the SQL is sent with parameters: its own percent signs doubled.
    written = body.replace("%", "%%") if args else body
    suffix = ""
    if name in session.prepared:
        session.prepared.move_to_end(name)
        if logged:  # its own comment marks broken, so that nothing in it ends the comment
            suffix = " /* " + written.replace("/*", "/ *").replace("*/", "* /") + " */"
    else:
        dropped = list(session.prepared)[: max(len(session.prepared) + 1 - MAX_PLANS, 0)]
        prefix = "".join(f"DEALLOCATE {old}; " for old in dropped)
        prefix += f"PREPARE {name} AS {written}; "
    marks = f"({', '.join(['%s'] * len(args))})" if args else ""
    sql = f"{prefix}EXECUTE {name}{marks}{suffix}"
    try:
        result = (execute or cursor.execute)(sql, list(args) or None)
    except Exception:
        if prefix:
            session.prepared.clear()
            session.attempt += 1
        raise
    for old in dropped:
        del session.prepared[old]
    session.prepared[name] = None
    return result


def _plan_once(execute: Any, sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
    cursor = context["cursor"]
    if many or not _READ.match(sql) or getattr(cursor.cursor, "name", None):
        return execute(sql, params, many, context)
    body = cursor.mogrify(sql, params).decode()
    stem = "plan_" + hashlib.blake2b(body.encode(), digest_size=8).hexdigest()
    return run_prepared(
        cursor,
        stem,
        body,
        execute=lambda text, args: execute(text, args, many, context),
        logged=context["connection"].queries_logged,
    )


@contextmanager
def planned_once() -> Iterator[None]:
    """Every read run inside (on any database) as a statement prepared once per session,
    its parameters written in: the same statement again (the same page for the same
    scope, filters and day) is not planned again. For reads only: a write's execute
    wrappers (pghistory's context) must see its SQL as written."""
    with ExitStack() as stack:
        for connection in connections.all():
            stack.enter_context(connection.execute_wrapper(_plan_once))
        yield
