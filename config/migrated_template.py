"""A migrated database to copy from, so tests and benchmarks skip migrating from zero.

``manage.py migrate`` on an empty database costs about 52 s of Python (Django renders the
project state of every migration), on an up-to-date one about 2.6 s. So the database every
test run and benchmark starts from is migrated once into a template, ``nlzf_tpl_<hash>``,
and copied from it with ``CREATE DATABASE ... TEMPLATE`` (a file copy, a second or two);
Django's migrate on the copy then finds nothing to do.

- The name's hash covers the content of every migration file of the installed apps (the
  project's and third-party ones) and Django's version: a changed migration gives a new
  name, hence a new template; an existing one is never migrated again.
- :func:`ensure_template` builds it under a PostgreSQL advisory lock, so two xdist workers
  or two processes never build it twice (the second waits and then finds it). It runs
  ``manage.py migrate`` in a subprocess, and only then marks the database complete with a
  comment; a build that died half-way is dropped and built again. The comment also says
  when the template was last asked for (updated at most every 10 minutes). After a build,
  templates of other hashes that nobody asked for in :data:`STALE_SECONDS` are dropped:
  another checkout on the same server (a branch with other migrations, a CI run) may still
  be copying its own.
- A finished template refuses connections (``ALLOW_CONNECTIONS false``): PostgreSQL
  refuses to copy a database anyone is connected to, so nobody must be.

Users: the root ``conftest.py`` (each test database is a copy, pytest-django's
``--reuse-db`` still keeps one across runs), ``tests/test_load_script.py`` (a scratch copy
from :func:`migrated_copy`), ``tests/test_smoke_processes.py`` (a copy too, on which the
operator's ``migrate`` then finds nothing to apply) and ``bench/_common.py``. Migrating an
empty database is what building the template does (and ``tasks_ledger/tests/test_migrations.py``
walks the migrations step by step).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import subprocess
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
PREFIX = "nlzf_tpl_"
COMPLETE = "nlzf migrated template: complete"
#: A template of other migrations is dropped once nobody has asked for it for this long.
STALE_SECONDS = 6 * 3600
#: How often the last-asked time is written (a catalog write, not on every test process).
TOUCH_SECONDS = 600
# One lock for all template builds on a server (pg_advisory_lock takes a bigint).
LOCK_KEY = zlib.crc32(b"nlzf migrated template")


def migration_files() -> list[Path]:
    """Every migration file of the installed apps (Django must be set up)."""
    from importlib.util import find_spec

    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    files: list[Path] = []
    for app_config in apps.get_app_configs():
        module, _explicit = MigrationLoader.migrations_module(app_config.label)
        if module is None:
            continue
        try:
            spec = find_spec(module)
        except ModuleNotFoundError:
            continue
        if spec is None or not spec.submodule_search_locations:
            continue
        for location in spec.submodule_search_locations:
            files.extend(sorted(Path(location).glob("*.py")))
    return files


def template_name(files: Iterable[Path] | None = None) -> str:
    """``nlzf_tpl_`` and a short hash of the migration files' content and Django's version."""
    import django

    digest = hashlib.sha256(django.__version__.encode())
    for path in migration_files() if files is None else files:
        digest.update(f"{path.parent.name}/{path.name}\0".encode())
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return PREFIX + digest.hexdigest()[:12]


def database_url(settings_dict: dict[str, Any], name: str) -> str:
    """A DATABASE_URL for database ``name`` on the server of ``settings_dict``."""
    auth = quote(settings_dict.get("USER") or "", safe="")
    if settings_dict.get("PASSWORD"):
        auth += ":" + quote(settings_dict["PASSWORD"], safe="")
    host = settings_dict.get("HOST") or "127.0.0.1"
    return f"postgres://{auth}@{host}:{settings_dict.get('PORT') or 5432}/{name}"


@contextmanager
def _server(settings_dict: dict[str, Any]) -> Iterator[Any]:
    """An autocommit connection to the server's ``postgres`` database."""
    import psycopg2

    conn = psycopg2.connect(
        host=settings_dict.get("HOST") or "127.0.0.1",
        port=settings_dict.get("PORT") or 5432,
        user=settings_dict.get("USER") or None,
        password=settings_dict.get("PASSWORD") or None,
        dbname="postgres",
    )
    conn.autocommit = True
    try:
        yield conn
    finally:
        conn.close()


def migrate_subprocess(url: str) -> None:
    """``manage.py migrate`` into the database at ``url``, in a child process."""
    done = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": url,
            "DJANGO_SETTINGS_MODULE": os.environ.get(
                "DJANGO_SETTINGS_MODULE", "config.settings.test"
            ),
        },
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrating the template failed:\n{(done.stdout + done.stderr)[-4000:]}")


def ensure_template(
    settings_dict: dict[str, Any] | None = None,
    *,
    name: str | None = None,
    build: Callable[[str], None] = migrate_subprocess,
    drop_stale: bool = True,
) -> str:
    """The name of a complete migrated template on the server, built first if missing.

    ``settings_dict`` is a Django database setting (default: the ``default`` alias);
    ``name`` defaults to :func:`template_name`; ``build`` migrates the database at the URL
    it is given. Returns once the template exists, is complete and nobody is connected."""
    from psycopg2 import sql

    if settings_dict is None:
        from django.conf import settings

        settings_dict = settings.DATABASES["default"]
    name = name or template_name()
    with _server(settings_dict) as conn, conn.cursor() as cursor:
        if _state(cursor, name) == "complete":  # the common case: no lock needed
            if time.time() - _used_at(_comment(cursor, name)) > TOUCH_SECONDS:
                _mark(cursor, name)
            return name
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            state = _state(cursor, name)
            if state == "complete":
                return name
            database = sql.Identifier(name)
            if state == "partial":  # a build that died half-way
                cursor.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(database))
            cursor.execute(sql.SQL("CREATE DATABASE {}").format(database))
            try:
                build(database_url(settings_dict, name))
                cursor.execute(
                    sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(database)
                )
                _wait_for_no_sessions(cursor, name)
                _mark(cursor, name)
            except BaseException:
                cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
                raise
            if drop_stale:
                _drop_stale(cursor, keep=name)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    return name


@contextmanager
def migrated_copy(settings_dict: dict[str, Any], name: str) -> Iterator[str]:
    """A new database ``name``, a copy of the template (built first if missing), on the
    server of ``settings_dict``; yields its URL and drops it (forcibly) afterwards."""
    from psycopg2 import sql

    template = ensure_template(settings_dict)
    database = sql.Identifier(name)
    with _server(settings_dict) as conn, conn.cursor() as cursor:
        cursor.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(database, sql.Identifier(template))
        )
    try:
        yield database_url(settings_dict, name)
    finally:
        with _server(settings_dict) as conn, conn.cursor() as cursor:
            cursor.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))


def _comment(cursor: Any, name: str) -> str | None:
    """The database's comment ("" for none); None when there is no such database."""
    cursor.execute(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [name],
    )
    row = cursor.fetchone()
    return None if row is None else row[0] or ""


def _state(cursor: Any, name: str) -> str:
    """``missing``, ``partial`` (no completion mark) or ``complete``."""
    comment = _comment(cursor, name)
    if comment is None:
        return "missing"
    return "complete" if comment.startswith(COMPLETE) else "partial"


def _mark(cursor: Any, name: str) -> None:
    """Mark the template complete, asked for now."""
    from psycopg2 import sql

    cursor.execute(
        sql.SQL("COMMENT ON DATABASE {} IS %s").format(sql.Identifier(name)),
        [f"{COMPLETE}; asked for at {int(time.time())}"],
    )


def _used_at(comment: str | None) -> float:
    """When a template was last asked for, from its comment (0 when it does not say)."""
    _, _, stamp = (comment or "").rpartition(" at ")
    return float(stamp) if stamp.isdigit() else 0.0


def _wait_for_no_sessions(cursor: Any, name: str, timeout: float = 30.0) -> None:
    """Wait until the migrate child's session has really gone (a backend outlives its
    client by a moment), so the first copy is not refused."""
    deadline = time.monotonic() + timeout
    while True:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name])
        if cursor.fetchone()[0] == 0 or time.monotonic() > deadline:
            return
        time.sleep(0.1)


def _drop_stale(cursor: Any, *, keep: str) -> None:
    """Drop the templates of other hashes that nobody asked for in :data:`STALE_SECONDS`
    (a half-built one too: builds hold the lock we hold); one being copied stays."""
    import psycopg2
    from psycopg2 import sql

    cursor.execute(
        "SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database"
        " WHERE datname LIKE %s",
        [PREFIX.replace("_", r"\_") + "%"],
    )
    for datname, comment in cursor.fetchall():
        if datname != keep and time.time() - _used_at(comment) > STALE_SECONDS:
            # One in use (another checkout's run) stays; a later build drops it.
            with contextlib.suppress(psycopg2.Error):
                cursor.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(datname)))
