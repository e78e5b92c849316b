"""bench/lights_refresh.py still runs (a few items, in the test database) and leaves the
rows as it found them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import time_machine

from bench import lights_refresh
from tasks_ledger.models import LedgerItem, LedgerItemRollupChange
from tasks_ledger.tests.factories import make_items, make_ledger

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2022, 6, 1, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_refresh_benchmark_measures_one_statement_and_rolls_it_back(org, capsys) -> None:
    """GIVEN 3 items due on 1 June (yellow), 2 due on 30 June (green) and 1 signed off
    WHEN the benchmark refreshes as of 2 June, twice THEN each run is one UPDATE that turned
    the 3 overdue items red, their roll-up changes are counted and folded, the table is
    printed, and the items keep the lights of 1 June."""
    ledger = make_ledger(org.campaign)
    make_items(ledger, org.county_a, 3, deadline=dt.date(2022, 6, 1))
    make_items(ledger, org.county_b, 2, deadline=dt.date(2022, 6, 30))
    done = make_items(ledger, org.county_b, 1, title="已销号")[0]
    LedgerItem.objects.filter(pk=done.pk).update(status="signed_off", signed_off_at=NOW)
    before = sorted(LedgerItem.objects.values_list("pk", "light_rank", "three_list"))
    pending = LedgerItemRollupChange.objects.count()

    runs = lights_refresh.run(today=dt.date(2022, 6, 2), repeat=2)

    assert [(r["run"], r["statements"], r["rows_changed"]) for r in runs] == [(1, 1, 3), (2, 1, 3)]
    assert all(r["rollup_changes"] > 0 and r["folded"] >= r["rollup_changes"] for r in runs)
    assert sorted(LedgerItem.objects.values_list("pk", "light_rank", "three_list")) == before
    assert LedgerItemRollupChange.objects.count() == pending
    assert "rows changed" in capsys.readouterr().out


def test_the_plan_is_the_refresh_update_explained(org) -> None:
    make_items(make_ledger(org.campaign), org.county_a, 2, deadline=dt.date(2022, 6, 1))

    plan = lights_refresh.plan(dt.date(2022, 6, 2))

    assert plan.startswith("Update on tasks_ledger_ledgeritem")
    assert "Execution Time" in plan
    assert sorted(LedgerItem.objects.values_list("light_rank", flat=True)) == [2, 2]
