"""The rows statements are prepared once per database session and then run by name with a
page's ids (``RowsStatement.run``): the same rows as the statement run plainly."""

from __future__ import annotations

from dataclasses import replace

import pytest
from django.db import connection
from django.db.models import CharField, Value
from django.test.utils import CaptureQueriesContext

from config.plans import _SESSIONS
from tasks_ledger.selectors import RowsStatement
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db


def statement(label: str = "完成 50%") -> RowsStatement:
    """A statement with a percent sign written into it, as a LIKE pattern would be."""
    return RowsStatement.of(
        lambda items: (
            items.annotate(label=Value(label, output_field=CharField()))
            .order_by()
            .values("pk", "title", "label")
        ),
        connection.alias,
    )


def test_prepared_once_per_session_then_run_by_name_with_the_same_rows(org):
    ledger = make_ledger(org.campaign)
    items = [make_item(ledger, org.county_a, title=f"任务{n}") for n in range(3)]
    ids = [item.pk for item in items]
    rows = statement()
    plain = replace(rows, prepare=False).run(ids, connection.alias)
    with CaptureQueriesContext(connection) as first:
        assert rows.run(ids, connection.alias) == plain
    with CaptureQueriesContext(connection) as second:
        assert rows.run(ids[:1], connection.alias) == [r for r in plain if r["pk"] == ids[0]]
    (said,) = [q["sql"] for q in first.captured_queries]  # one round trip
    assert "PREPARE rows_" in said and "EXECUTE rows_" in said
    again = [q["sql"] for q in second.captured_queries]
    assert len(again) == 1 and "EXECUTE rows_" in again[0] and "PREPARE" not in again[0]
    assert {r["label"] for r in plain} == {"完成 50%"}
    # Kept per session: the psycopg2 connection this test runs on has it, by name.
    assert any(f"{rows._name}_0" in session.prepared for session in _SESSIONS.values())


def test_a_failed_round_trip_prepares_again_under_a_new_name(org):
    """GIVEN a statement whose first run fails (its transaction is already broken) WHEN it
    is run again in a sound one THEN it is prepared anew under another name (whether the
    first PREPARE took is unknown) and gives its rows."""
    from django.db import DatabaseError, transaction

    ledger = make_ledger(org.campaign)
    ids = [make_item(ledger, org.county_a, title="任务").pk]
    rows = statement("另一个 10%")
    with pytest.raises(DatabaseError), transaction.atomic():
        with connection.cursor() as cursor, pytest.raises(DatabaseError):
            cursor.execute("SELECT 1/0")
        rows.run(ids, connection.alias)  # the transaction is broken: fails
    session = _SESSIONS[connection.connection]
    assert session.attempt == 1 and f"{rows._name}_0" not in session.prepared
    assert [row["label"] for row in rows.run(ids, connection.alias)] == ["另一个 10%"]
    assert f"{rows._name}_1" in session.prepared
