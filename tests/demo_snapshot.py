"""The demo city for transactional (live-server, browser) tests, built once per process and
then restored from a copy of its rows instead of being seeded again for every test.

:func:`accounts.demo.seed_demo` costs 5-8 s; a transactional test's database is flushed
after it, so every such test used to build the city again. :func:`demo_city` builds it the
first time a process asks for a given (clock, as-of date, password), copies the rows of
every table Django flushes into a schema of its own in the same test database
(``nlzf_demo_snapshot_<key>``, never on the search path, so Django's flush and
introspection do not see it) and keeps the returned :class:`~accounts.demo.DemoWorld`
(each test gets a deep copy, so one that changes an instance changes only its own; the
instances keep their primary keys). Later calls restore the rows in one transaction with
the triggers off (``SET LOCAL session_replication_role = replica``: no history trigger
writes events, no foreign key is checked row by row; the rows are the ones seeding wrote,
its history events included), move the sequences past the restored ids, and drop what the
caches keep of the rows that came back with the same ids (what the model signals do when
rows are written one by one).

A snapshot is made by this process's code: the first call in a process drops every snapshot
schema in the database, among them those an earlier run left there (``--reuse-db`` keeps
the test database, and the demo's code may have changed since).
"""

# ruff: noqa: S608 - table, column and sequence names are Django's and PostgreSQL's own

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import time_machine
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from accounts.demo import DEFAULT_DEMO_PASSWORD, DemoWorld, seed_demo

SCHEMA_PREFIX = "nlzf_demo_snapshot_"


@dataclass(frozen=True)
class _Snapshot:
    schema: str
    world: DemoWorld  # never handed out: each test gets a deep copy
    ended: dt.datetime  # the (travelled) clock when seeding ended
    restore_sql: str


#: This process's snapshots by (clock, as-of date, password).
_snapshots: dict[tuple[dt.datetime, dt.date | None, str], _Snapshot] = {}
#: Whether this process has dropped the snapshot schemas it found (see the module's words).
_swept = False


@contextmanager
def demo_city(
    at: dt.datetime, *, as_of: dt.date | None = None, password: str = DEFAULT_DEMO_PASSWORD
) -> Iterator[DemoWorld]:
    """The demo city as :func:`~accounts.demo.seed_demo` builds it while the clock reads
    ``at`` (ticking), with the clock still travelling while the block runs.

    The block's clock starts where the first seeding ended (``at`` plus its few seconds),
    also when the city was restored: the test comes after every row the demo wrote, as it
    did when each test seeded. Only for transactional tests (the database is flushed after
    each); inside a transaction, or where the database user may not switch the triggers
    off, the city is simply seeded every time.
    """
    key = (at, as_of, password)
    snapshot = None if connection.in_atomic_block else _snapshots.get(key)
    if snapshot is None:
        with time_machine.travel(at, tick=True):
            world = seed_demo(as_of=as_of, password=password)
            ended = timezone.now()
        if not connection.in_atomic_block:
            taken = _take(key, world, ended)
            if taken is not None:
                _snapshots[key] = taken
    else:
        restore(snapshot)
        world = copy.deepcopy(snapshot.world)
        ended = snapshot.ended
    with time_machine.travel(ended, tick=True):
        yield world


def _schema_name(key: tuple[dt.datetime, dt.date | None, str]) -> str:
    return SCHEMA_PREFIX + hashlib.sha256(repr(key).encode()).hexdigest()[:16]


def _tables() -> list[str]:
    """The tables Django's flush empties, hence the ones a snapshot keeps."""
    return sorted(
        connection.introspection.django_table_names(only_existing=True, include_views=False)
    )


def _sweep() -> None:
    """Drop every snapshot schema in the database but this process's own (once per process,
    before it takes its first: so all of them)."""
    global _swept
    if _swept:
        return
    own = [snapshot.schema for snapshot in _snapshots.values()]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace "
            "WHERE starts_with(nspname, %s) AND NOT nspname = ANY(%s)",
            [SCHEMA_PREFIX, own],
        )
        for (schema,) in cursor.fetchall():
            cursor.execute(f"DROP SCHEMA {connection.ops.quote_name(schema)} CASCADE")
    _swept = True


def _take(
    key: tuple[dt.datetime, dt.date | None, str], world: DemoWorld, ended: dt.datetime
) -> _Snapshot | None:
    """Copy every flushed table's rows into the key's schema; prepare the restore. None
    when the triggers cannot be switched off (they can by a superuser, or from PostgreSQL
    15 with ``GRANT SET ON PARAMETER session_replication_role``)."""
    _sweep()
    quote = connection.ops.quote_name
    schema = _schema_name(key)
    tables = _tables()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote(schema)}")
        for table in tables:
            cursor.execute(f"CREATE TABLE {quote(schema)}.{quote(table)} AS TABLE {quote(table)}")
        restore_sql = _restore_sql(cursor, schema, tables)
    return _Snapshot(
        schema=schema,
        world=copy.deepcopy(world),
        ended=ended,
        restore_sql=restore_sql,
    )


def _restore_sql(cursor: CursorWrapper, schema: str, tables: list[str]) -> str:
    """One script: empty each table (the flush leaves the content types and permissions
    that post_migrate made again, under new ids), copy the snapshot's rows back (all columns
    but generated ones), then move each sequence past the largest id, never back: ids that
    tests of this process used stay unused, so nothing kept under them is met again."""
    quote = connection.ops.quote_name
    cursor.execute(
        """
        SELECT c.relname, a.attname
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relname = ANY(%s) AND a.attnum > 0
          AND NOT a.attisdropped AND a.attgenerated = ''
        ORDER BY c.relname, a.attnum
        """,
        [tables],
    )
    columns: dict[str, list[str]] = {}
    for table, column in cursor.fetchall():
        columns.setdefault(table, []).append(quote(column))
    cursor.execute(
        """
        SELECT t.relname, a.attname, s.oid::regclass::text
        FROM pg_class s
        JOIN pg_depend d ON d.objid = s.oid AND d.classid = 'pg_class'::regclass
            AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
        JOIN pg_class t ON t.oid = d.refobjid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
        WHERE s.relkind = 'S' AND n.nspname = 'public' AND t.relname = ANY(%s)
        ORDER BY t.relname
        """,
        [tables],
    )
    sequences = cursor.fetchall()
    statements = ["SET LOCAL session_replication_role = replica"]
    for table in tables:
        names = ", ".join(columns[table])
        statements.append(f"DELETE FROM {quote(table)}")
        statements.append(
            f"INSERT INTO {quote(table)} ({names}) "
            f"SELECT {names} FROM {quote(schema)}.{quote(table)}"
        )
    statements.append("SET LOCAL session_replication_role = origin")
    for table, column, sequence in sequences:
        statements.append(
            f"SELECT setval('{sequence}', GREATEST((SELECT max({quote(column)}) FROM "
            f"{quote(table)}), (SELECT last_value FROM {sequence})), true)"
        )
    return ";\n".join(statements)


def restore(snapshot: _Snapshot) -> None:
    """Put the snapshot's rows back, then drop what in-process and Redis caches keep of
    rows that now carry the snapshot's ids again."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(snapshot.restore_sql)
    forget_cached()


def forget_cached() -> None:
    """What the model signals (:mod:`accounts.receivers`) and the services would have
    dropped had the rows been written one by one: every kept jurisdiction (and what is kept
    beside them), every user's unread count, every round's published ranking; and Django's
    own cache of content types (their ids are the snapshot's again)."""
    from accounts.jurisdiction import jurisdictions_changed
    from accounts.models import User
    from accounts.notifications import unread_changed
    from assessments.models import Round
    from assessments.selectors import forget_published_ranking

    ContentType.objects.clear_cache()
    jurisdictions_changed()
    unread_changed(user_ids=User.objects.values_list("pk", flat=True))
    for round_id in Round.objects.values_list("pk", flat=True):
        forget_published_ranking(round_id)
