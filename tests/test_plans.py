"""Statements planned once per database session (config.plans): a read inside
``planned_once`` is prepared the first time and run by name after, with the same rows;
writes and server-side cursors pass as written; each session keeps a bounded number."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Unit
from config import plans

pytestmark = pytest.mark.django_db


def names(org: Any, like: str) -> list[str]:
    """A read whose text holds a percent sign (a LIKE), written into the prepared body."""
    return list(
        Unit.objects.filter(name__contains=like).order_by("pk").values_list("name", flat=True)
    )


def test_a_read_is_prepared_once_then_run_by_name_with_the_same_rows(org: Any) -> None:
    plain = names(org, "县")
    assert plain
    with connection.cursor() as cursor:  # an earlier test of this session may have run it
        plans.forget_all(cursor)
    with plans.planned_once():
        with CaptureQueriesContext(connection) as first:
            assert names(org, "县") == plain
        with CaptureQueriesContext(connection) as second:
            assert names(org, "县") == plain
    (said,) = [q["sql"] for q in first.captured_queries]
    assert said.startswith("PREPARE plan_") and "LIKE '%%县%%'" not in said and "县" in said
    (again,) = [q["sql"] for q in second.captured_queries]
    assert again.startswith("EXECUTE plan_") and "PREPARE" not in again
    with CaptureQueriesContext(connection) as outside:
        assert names(org, "县") == plain
    assert outside.captured_queries[0]["sql"].startswith("SELECT")


def test_writes_and_server_side_cursors_pass_as_written(org: Any) -> None:
    """GIVEN a block planned once WHEN it writes and iterates a server-side cursor THEN
    both run as written (a write's history context and psycopg2's DECLARE need its SQL),
    and the write is made."""
    with plans.planned_once(), CaptureQueriesContext(connection) as captured:
        Unit.objects.filter(pk=org.county_a.pk).update(short_name="甲县简称")
        streamed = list(Unit.objects.order_by("pk").values_list("pk", flat=True).iterator())
    sent = [q["sql"] for q in captured.captured_queries]
    assert any(sql.startswith("UPDATE") for sql in sent)
    assert not [sql for sql in sent if "PREPARE" in sql or "EXECUTE plan_" in sql]
    assert streamed == list(Unit.objects.order_by("pk").values_list("pk", flat=True))
    assert Unit.objects.get(pk=org.county_a.pk).short_name == "甲县简称"


def test_a_session_keeps_at_most_max_plans_the_least_recently_run_deallocated(
    org: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN room for two plans WHEN three reads are prepared THEN the third deallocates the
    least recently run first; the session keeps two, and the dropped read is prepared
    again when it comes back, with its rows."""
    monkeypatch.setattr(plans, "MAX_PLANS", 2)
    with connection.cursor() as cursor:  # this test's session starts with nothing prepared
        plans.forget_all(cursor)
    with plans.planned_once():
        first, second = names(org, "甲"), names(org, "乙")
        names(org, "甲")  # the first is now the most recently run
        with CaptureQueriesContext(connection) as captured:
            names(org, "市")
        with connection.cursor() as cursor:
            kept = list(plans.session_of(cursor).prepared)
        (said,) = [q["sql"] for q in captured.captured_queries]
        assert said.startswith("DEALLOCATE plan_") and "PREPARE plan_" in said
        assert len(kept) == 2
        with CaptureQueriesContext(connection) as back:
            assert names(org, "乙") == second
        assert "PREPARE plan_" in back.captured_queries[0]["sql"]
        assert names(org, "甲") == first


@pytest.mark.parametrize("url", ["/", "/ledgers/map/", "/ledgers/queues/"])
def test_the_dashboards_reads_are_planned_once_per_session(org: Any, client: Any, url: str) -> None:
    """GIVEN the home page, the battle map or the queues opened once WHEN opened again THEN
    every read of the page's own is run by name (only the session's user is read as
    written, before the view), and the page is served again."""
    client.force_login(org.above)
    first = client.get(url)
    with CaptureQueriesContext(connection) as again:
        second = client.get(url)
    assert first.status_code == second.status_code == 200
    reads = [q["sql"] for q in again.captured_queries if q["sql"].startswith(("SELECT", "EXEC"))]
    assert len([sql for sql in reads if sql.startswith("EXECUTE plan_")]) >= 2, reads
    assert [sql for sql in reads if sql.startswith("SELECT")] == reads[:1], reads
    assert '"accounts_user"' in reads[0]
