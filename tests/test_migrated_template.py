"""The migrated template test databases are copied from (config/migrated_template.py)."""

from __future__ import annotations

import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg2
import pytest
from django.conf import settings
from django.db import connection
from psycopg2 import sql

from config.migrated_template import (
    COMPLETE,
    PREFIX,
    ensure_template,
    migrated_copy,
    migration_files,
    template_name,
)


def _connect(dbname: str) -> Any:
    s = settings.DATABASES["default"]
    conn = psycopg2.connect(
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        user=s["USER"] or None,
        password=s["PASSWORD"] or None,
        dbname=dbname,
    )
    conn.autocommit = True
    return conn


def _server_cursor_run(statement: sql.Composable | str, params: list[object] | None = None) -> list:
    conn = _connect("postgres")
    try:
        with conn.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchall() if cursor.description else []
    finally:
        conn.close()


def _drop(name: str) -> None:
    _server_cursor_run(
        sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
    )


def test_the_name_follows_every_migration_file(tmp_path: Path) -> None:
    """GIVEN the project's migration files THEN the name hashes them: the same files give
    the same name, a changed file another one."""
    files = migration_files()
    names = {path.parent.parent.name for path in files}
    assert {"accounts", "campaign", "tasks_ledger", "assessments", "accountability"} <= names
    assert template_name() == template_name() == template_name(files)
    assert template_name().startswith(PREFIX) and len(template_name()) <= 63

    copies = []
    for path in files[:3]:
        copy = tmp_path / path.parent.parent.name / "migrations" / path.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        copy.write_bytes(path.read_bytes())
        copies.append(copy)
    before = template_name(copies)
    copies[1].write_bytes(copies[1].read_bytes() + b"\n# changed\n")
    assert template_name(copies) != before


@pytest.mark.django_db
def test_the_test_database_is_a_copy_of_the_complete_template() -> None:
    """GIVEN this run's test database THEN it was created from the current template, which
    is marked complete and refuses connections; asking again reuses it without building."""
    name = template_name()
    assert settings.DATABASES["default"]["TEST"]["TEMPLATE"] == name
    rows = _server_cursor_run(
        "SELECT datallowconn, shobj_description(oid, 'pg_database') FROM pg_database"
        " WHERE datname = %s",
        [name],
    )
    assert rows[0][0] is False and rows[0][1].startswith(COMPLETE)

    def must_not_build(url: str) -> None:
        raise AssertionError(f"built again: {url}")

    assert ensure_template(connection.settings_dict, build=must_not_build) == name
    with connection.cursor() as cursor:  # the copy holds the migrated schema
        cursor.execute("SELECT count(*) FROM django_migrations")
        assert cursor.fetchone()[0] > 30


def test_concurrent_calls_build_once() -> None:
    """GIVEN a missing template WHEN three callers ask for it at once THEN one builds it
    (under the advisory lock), the others wait and get the same complete database."""
    name = f"h_tpltest_{uuid.uuid4().hex[:12]}"  # outside PREFIX: no real run drops it
    builds: list[str] = []
    results: list[str] = []
    errors: list[BaseException] = []

    def build(url: str) -> None:
        builds.append(url)
        time.sleep(1)  # long enough for the others to arrive and wait

    def call() -> None:
        try:
            results.append(
                ensure_template(connection.settings_dict, name=name, build=build, drop_stale=False)
            )
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=call) for _ in range(3)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        assert results == [name] * 3
        assert len(builds) == 1 and builds[0].endswith(f"/{name}")
        rows = _server_cursor_run(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        )
        assert rows[0][0].startswith(COMPLETE)
    finally:
        _drop(name)


def test_a_failed_build_leaves_no_template() -> None:
    """GIVEN a build that fails THEN the half-built database is dropped, so the next call
    builds it again instead of copying something incomplete."""
    name = f"h_tpltest_{uuid.uuid4().hex[:12]}"

    def broken(url: str) -> None:
        raise RuntimeError("migrate failed")

    try:
        with pytest.raises(RuntimeError, match="migrate failed"):
            ensure_template(connection.settings_dict, name=name, build=broken, drop_stale=False)
        assert _server_cursor_run("SELECT 1 FROM pg_database WHERE datname = %s", [name]) == []
    finally:
        _drop(name)


def test_a_migrated_copy_is_migrated_and_dropped_afterwards() -> None:
    """GIVEN the template WHEN a scratch copy is taken (as the load test does) THEN it holds
    every applied migration of the template and is gone after the block."""
    name = f"h_tplcopy_{uuid.uuid4().hex[:12]}"
    with migrated_copy(connection.settings_dict, name) as url:
        assert url.endswith(f"/{name}")
        conn = _connect(name)
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'tasks_ledger'")
                assert cursor.fetchone()[0] >= 17
        finally:
            conn.close()
    assert _server_cursor_run("SELECT 1 FROM pg_database WHERE datname = %s", [name]) == []


def test_only_templates_nobody_asked_for_lately_are_dropped() -> None:
    """GIVEN templates of other migrations: one last asked for 7 hours ago, one a minute ago
    (another checkout's run may be copying it), one half built WHEN a build tidies up THEN
    the old and the half-built one are dropped and the recent one stays."""
    from config.migrated_template import LOCK_KEY, STALE_SECONDS, _drop_stale

    suffix = uuid.uuid4().hex[:8]
    old, recent, partial = (f"{PREFIX}t{kind}{suffix}" for kind in "orp")
    now = int(time.time())
    try:
        for name, comment in (
            (old, f"{COMPLETE}; asked for at {now - STALE_SECONDS - 3600}"),
            (recent, f"{COMPLETE}; asked for at {now - 60}"),
            (partial, None),
        ):
            _server_cursor_run(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            if comment:
                _server_cursor_run(
                    sql.SQL("COMMENT ON DATABASE {} IS %s").format(sql.Identifier(name)),
                    [comment],
                )
        conn = _connect("postgres")
        try:
            with conn.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])  # as a build holds it
                try:
                    _drop_stale(cursor, keep=template_name())
                finally:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
        finally:
            conn.close()
        left = {
            row[0]
            for row in _server_cursor_run(
                "SELECT datname FROM pg_database WHERE datname = ANY(%s)", [[old, recent, partial]]
            )
        }
        assert left == {recent}
        assert _server_cursor_run(
            "SELECT 1 FROM pg_database WHERE datname = %s", [template_name()]
        ) == [(1,)]
    finally:
        for name in (old, recent, partial):
            _drop(name)
