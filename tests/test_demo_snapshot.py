"""tests/demo_snapshot.py: the demo city restored from its snapshot after a flush is the city
a fresh ``seed_demo()`` builds (rows per table, logins, a liaison's jurisdiction, the item
list's light counts, unread counts, the published ranking), whatever the test before it
changed and whatever the cache kept of that; new rows take ids past every one restored; a
snapshot an earlier run left in the database is dropped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from accounts.demo import DEFAULT_DEMO_PASSWORD, seed_demo
from accounts.jurisdiction import jurisdiction_for
from accounts.models import Membership, Notification, RoleAssignment, User
from accounts.notifications import unread_count
from assessments.models import Result, Round, RoundStatus
from assessments.selectors import forget_published_ranking, published_snapshot
from tasks_ledger.models import LedgerItem
from tasks_ledger.selectors import ledger_light_counts
from tests import demo_snapshot
from tests.demo_snapshot import demo_city

pytestmark = pytest.mark.django_db(transaction=True)

#: A clock of this module's own: the browser modules' snapshots are other keys.
AT = dt.datetime(2022, 9, 16, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
LIAISON = "county_liaison"
LOGINS = ("office", LIAISON, "assessor")


def flush(*, reset_sequences: bool = False) -> None:
    """What TransactionTestCase does after each test (content types come back, new ids).

    The demo is the same city whatever the ids, but not to the row: a few of its times and
    numbers are salted with ids (accountability/demo.py salts with the items' ids), so two
    seeds are compared from the same sequences (``reset_sequences``)."""
    call_command(
        "flush",
        verbosity=0,
        interactive=False,
        reset_sequences=reset_sequences,
        allow_cascade=False,
        inhibit_post_migrate=False,
    )


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in demo_snapshot._tables():
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def table_fingerprints() -> dict[str, str]:
    """Each table's rows, ids and all, as one hash."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        prints = {}
        for table in demo_snapshot._tables():
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) "  # noqa: S608
                f"FROM {quote(table)} t"
            )
            prints[table] = cursor.fetchone()[0]
    return prints


def published_round() -> Round:
    found = Round.objects.filter(status=RoundStatus.PUBLISHED).order_by("pk").first()
    assert found is not None, "the demo publishes a round"
    return found


def facts() -> dict[str, Any]:
    """What a test of the city relies on, read through the caches as the pages read it
    (fresh user objects: no per-object memo)."""
    liaison = User.objects.get(username=LIAISON)
    office = User.objects.get(username="office")
    jurisdiction = dataclasses.replace(jurisdiction_for(liaison), user_id=None)
    return {
        "rows": table_counts(),
        "logins": {
            user.username: user.check_password(DEFAULT_DEMO_PASSWORD)
            for user in User.objects.filter(username__in=LOGINS)
        },
        "liaison_jurisdiction": jurisdiction,
        "lights": {
            name: ledger_light_counts(user=user)
            for name, user in (("liaison", liaison), ("office", office))
        },
        "unread": {user.username: unread_count(user=user) for user in User.objects.all()},
        "ranking": published_snapshot(published_round()).headline(),
    }


def assert_same(got: dict[str, Any], want: dict[str, Any]) -> None:
    """``got == want``, saying which tables' row counts differ when they do."""
    rows = {t: (n, want["rows"].get(t)) for t, n in got["rows"].items() if n != want["rows"].get(t)}
    assert rows == {}
    assert got == want


def max_ids() -> dict[tuple[str, str], int]:
    """Each (table, column) with a sequence: the largest id it holds."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT t.relname, a.attname
            FROM pg_class s
            JOIN pg_depend d ON d.objid = s.oid AND d.deptype IN ('a', 'i')
                AND d.classid = 'pg_class'::regclass AND d.refclassid = 'pg_class'::regclass
            JOIN pg_class t ON t.oid = d.refobjid
            JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = 'public'
            JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid
            WHERE s.relkind = 'S'
            """
        )
        found = {}
        for table, column in cursor.fetchall():
            cursor.execute(f"SELECT max({quote(column)}) FROM {quote(table)}")  # noqa: S608
            found[table, column] = cursor.fetchone()[0] or 0
    return found


def spoil() -> dict[tuple[str, str], int]:
    """What a test might do to the city, with the caches filled from the changed rows; the
    largest ids it took."""
    liaison = User.objects.get(username=LIAISON)
    before = jurisdiction_for(liaison)
    RoleAssignment.objects.filter(user=liaison).delete()
    Membership.objects.filter(user=liaison).delete()
    narrowed = jurisdiction_for(User.objects.get(pk=liaison.pk))  # kept in the cache
    assert narrowed != before
    unread = unread_count(user=liaison)
    Notification.objects.create(recipient=liaison, kind="notice", title="Left by a test")
    assert unread_count(user=liaison) == unread + 1  # kept in the cache
    round_ = published_round()
    Result.objects.filter(round=round_, pk__in=Result.objects.filter(round=round_)[:5]).delete()
    forget_published_ranking(round_.pk)
    published_snapshot(round_)  # the smaller ranking kept in the cache
    LedgerItem.objects.filter(pk__in=LedgerItem.objects.order_by("pk")[:5]).delete()
    office = User.objects.get(username="office")
    office.set_password("another-password-2022")
    office.save()
    User.objects.create_user(username="added_by_a_test", password=DEFAULT_DEMO_PASSWORD)
    return max_ids()


def test_the_restored_city_is_the_one_a_fresh_seed_builds() -> None:
    """GIVEN a fresh seed's facts WHEN the helper builds the city, a test spoils it (rows,
    roles, passwords, cached values), the database is flushed and the helper is asked
    again THEN the facts are the fresh seed's, every table holds the rows the helper's seed
    wrote (ids and all), and new rows take ids past every id used so far; the same when
    the helper restores over rows a test left without a flush."""
    key = (AT, None, DEFAULT_DEMO_PASSWORD)
    assert key not in demo_snapshot._snapshots
    flush(reset_sequences=True)
    with time_machine.travel(AT, tick=True):
        seed_demo()
    fresh = facts()
    flush(reset_sequences=True)

    with demo_city(AT) as first:
        assert key in demo_snapshot._snapshots
        assert_same(facts(), fresh)
        prints = table_fingerprints()
        used = spoil()
    assert facts() != fresh
    flush()

    with demo_city(AT) as restored:
        assert restored is not first
        assert restored.users[LIAISON].pk == first.users[LIAISON].pk
        assert restored.users[LIAISON] is not first.users[LIAISON]
        assert_same(facts(), fresh)
        assert table_fingerprints() == prints
        used = {column: max(used[column], largest) for column, largest in spoil().items()}

    # Restored over what the test left, without a flush.
    with demo_city(AT):
        assert_same(facts(), fresh)
        assert table_fingerprints() == prints
        added = User.objects.create_user(username="after_restore", password="x-2022-pass")
        assert added.pk > used["accounts_user", "id"]
        assert added.check_password("x-2022-pass")
        with connection.cursor() as cursor:
            for (table, column), largest in used.items():
                cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s))", [table, column])
                assert cursor.fetchone()[0] > largest, table


def test_snapshots_left_by_an_earlier_run_are_dropped(monkeypatch: pytest.MonkeyPatch) -> None:
    """GIVEN a snapshot schema an earlier run left (``--reuse-db``) WHEN a process takes its
    first snapshot THEN the old one is dropped and the process's own are kept."""
    quote = connection.ops.quote_name
    left = demo_snapshot.SCHEMA_PREFIX + "left_by_an_earlier_run"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE SCHEMA {quote(left)}")
        cursor.execute(f"CREATE TABLE {quote(left)}.accounts_user (id int)")
    monkeypatch.setattr(demo_snapshot, "_swept", False)
    demo_snapshot._sweep()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s)",
            [demo_snapshot.SCHEMA_PREFIX],
        )
        schemas = {name for (name,) in cursor.fetchall()}
    assert left not in schemas
    assert schemas == {snapshot.schema for snapshot in demo_snapshot._snapshots.values()}
