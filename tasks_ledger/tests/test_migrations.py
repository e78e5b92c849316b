"""Migrating a database that holds items, from before the stored light (0006) to the head.

Creating the test database migrates every app from zero on empty tables; this module covers
what that cannot: data migrations (0007 fills each item's stored light, tab and area order
and the kept counts; 0011 and later sum those up the unit tree) running over rows. Migration
0007 calls :func:`tasks_ledger.lights.lights_refresh`, today's code on the tables of 0007's time:
a column or function that code needs from a later migration breaks here first.

The ``migrator`` fixture (django-test-migrations) gives a transactional database and
migrates to the head again afterwards, also after a failure; its tests are marked
``migration_test`` (``-m "not migration_test"`` leaves them out). Its
``apply_initial_migration`` is not used: it drops every table and migrates every app up to
the target in the whole plan's order (nearly all of them here: as long as creating the test
database). Instead the empty test database is migrated back to just before 0007, which
unapplies only 0007, the migrations after it and those depending on them: the state a
database had before 0007, as far as 0007 can tell.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.migrations import Migration
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.state import ProjectState
from django.db.models import Sum
from django.utils import timezone

from accounts.models import Unit
from tasks_ledger import lights
from tasks_ledger.models import (
    LedgerItem,
    LedgerItemCount,
    LedgerItemRollup,
    LedgerItemSubtree,
    ThreeList,
)
from tasks_ledger.selectors import three_list_filter, with_light

STORED_LIGHT = ("tasks_ledger", "0007_stored_light_and_counts")
#: What fill_before_stored_light writes to first (the rest refers to these).
FILLED = [("accounts", "Unit"), ("accounts", "User")]
#: 10:00 in Beijing: the migrations and the checks see the same day however long they take.
NOW = dt.datetime(2026, 5, 15, 2, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 5, 15)


@pytest.fixture
def frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


class DependentsLast(MigrationExecutor):
    """An executor whose whole plan (every app's migrations in an order Django may apply
    them) puts the apps depending on ``migration`` last.

    To unapply migrations Django computes the state before each of them by running through
    the whole plan, the models rendered from the first migration to unapply on: every
    migration after that one in the plan re-renders models. In Django's order (apps by
    name) that is most of the project's migrations for a tasks_ledger one: more than 3
    times slower (124 s against 38 s to unapply 0007 on a loaded machine)."""

    def __init__(self, migration: tuple[str, str]) -> None:
        super().__init__(connection)
        self.migration = migration

    def migration_plan(
        self, targets: Any, clean_start: bool = False
    ) -> list[tuple[Migration, bool]]:
        if clean_start:
            graph = self.loader.graph
            targets = sorted(targets, key=lambda leaf: self.migration in graph.forwards_plan(leaf))
        return super().migration_plan(targets, clean_start)


def migrate_to_just_before(migration: tuple[str, str]) -> ProjectState:
    """Unapply ``migration``, what comes after it in its app and what depends on those; per
    app of its plan, migrate to the last migration it needs (what it depends on stays
    applied, a later migration of such an app is undone; other apps stay as they are).
    Returns the state there."""
    executor = DependentsLast(migration)
    needed = executor.loader.graph.forwards_plan(migration)[:-1]
    targets = {app: (app, name) for app, name in needed}
    return executor.migrate(list(targets.values()))


def fill_before_stored_light(apps: Any) -> None:
    """A province of two levels (a root with items and two units under it), a campaign with
    a light policy and two areas, and items in every light and tab, some progress accepted,
    written with the models as they were at 0006."""
    Unit = apps.get_model("accounts", "Unit")
    User = apps.get_model("accounts", "User")
    Campaign = apps.get_model("campaign", "Campaign")
    Area = apps.get_model("tasks_ledger", "Area")
    Ledger = apps.get_model("tasks_ledger", "Ledger")
    LightPolicy = apps.get_model("tasks_ledger", "LightPolicy")
    Item = apps.get_model("tasks_ledger", "LedgerItem")
    Report = apps.get_model("tasks_ledger", "ProgressReport")

    root = Unit.objects.create(
        path="0001",
        depth=1,
        numchild=2,
        code="P",
        name="测试省",
        level="province",
        kind="government",
    )
    county_a = Unit.objects.create(
        path="00010001", depth=2, code="A", name="甲县", level="county", kind="government"
    )
    county_b = Unit.objects.create(
        path="00010002", depth=2, code="B", name="乙县", level="county", kind="government"
    )
    # A second tree: its items never count under the first.
    other = Unit.objects.create(
        path="0002", depth=1, code="Q", name="另一省", level="province", kind="government"
    )
    reporter = User.objects.create(username="reporter", name="联络员", password="!")
    campaign = Campaign.objects.create(
        name="能力作风建设年",
        year=2026,
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
        status="active",
        owner_unit=root,
    )
    LightPolicy.objects.create(
        campaign=campaign,
        near_deadline_days=5,
        lag_tolerance_percent=10,
        long_term_yellow_days=20,
        long_term_red_days=40,
    )
    projects = Area.objects.create(campaign=campaign, name="项目建设", sort_order=1)
    services = Area.objects.create(campaign=campaign, name="为民服务", sort_order=2)
    key_tasks = Ledger.objects.create(
        campaign=campaign, area=projects, kind="key_task", title="重点任务", owner_unit=root
    )
    petitions = Ledger.objects.create(
        campaign=campaign, area=services, kind="petition", title="信访事项", owner_unit=root
    )

    specs: list[tuple[Any, Any, dict[str, Any]]] = [
        # red: open past its deadline
        (key_tasks, county_a, {"status": "in_progress", "deadline": days(-3), "progress": 40}),
        # yellow: within the policy's 5 days
        (key_tasks, county_a, {"status": "in_progress", "deadline": days(4), "progress": 90}),
        # yellow: behind the elapsed share of its time
        (key_tasks, county_b, {"start_date": days(-90), "deadline": days(90), "progress": 5}),
        # green: on track
        (petitions, county_b, {"status": "in_progress", "deadline": days(200), "progress": 30}),
        # green, awaiting sign-off
        (petitions, root, {"status": "completed", "deadline": days(-10), "progress": 100}),
        # signed off
        (
            key_tasks,
            root,
            {
                "status": "signed_off",
                "progress": 100,
                "signed_off_at": NOW - dt.timedelta(days=2),
            },
        ),
        # no light: suspended, cancelled
        (
            petitions,
            county_a,
            {"status": "suspended", "start_date": days(-60), "deadline": days(-30)},
        ),
        (key_tasks, county_b, {"status": "cancelled"}),
        # long-term, quiet since its start 50 days ago: red
        (key_tasks, county_a, {"deadline": None, "start_date": days(-50)}),
        # long-term, last accepted 25 days ago: yellow
        (petitions, root, {"deadline": None, "start_date": days(-200), "accepted": 25}),
        # long-term, accepted 3 days ago: green
        (key_tasks, county_b, {"deadline": None, "start_date": days(-200), "accepted": 3}),
        # deadline-bound with accepted progress, added this week (the "new" tab)
        (petitions, county_a, {"deadline": days(60), "progress": 50, "accepted": 1, "new": True}),
        (key_tasks, other, {"deadline": days(-1), "new": True}),
    ]
    for number, (ledger, unit, fields) in enumerate(specs, start=1):
        accepted = fields.pop("accepted", None)
        new = fields.pop("new", False)
        fields.setdefault("start_date", days(-20))
        fields.setdefault("deadline", days(30))
        item = Item.objects.create(
            ledger=ledger,
            unit=unit,
            kind=ledger.kind,
            code=f"T{number}",
            title=f"{unit.name}事项{number}",
            **fields,
        )
        if not new:
            Item.objects.filter(pk=item.pk).update(created_at=NOW - dt.timedelta(days=30))
        if accepted is not None:
            reviewed = NOW - dt.timedelta(days=accepted)
            Report.objects.create(
                item=item,
                reporter=reporter,
                percent=item.progress,
                text="推进中",
                review_status="accepted",
                reviewed_at=reviewed,
                reviewed_by=reporter,
            )
            Item.objects.filter(pk=item.pk).update(progress_accepted_on=reviewed.date())
    # A report still waiting for the office leaves the accepted day alone.
    Report.objects.create(
        item=Item.objects.get(code="T3"), reporter=reporter, percent=50, text="待审核"
    )


def computed() -> dict[int, tuple[int, str, int]]:
    """Each item's light rank, tab and area order as the definitions say today."""
    rows: dict[int, tuple[int, str, int]] = {}
    for which in ThreeList.values:
        for pk, rank, area_order in (
            with_light(LedgerItem.objects.filter(three_list_filter(which)))
            .order_by()
            .values_list("pk", "light_rank_now", "ledger__area__sort_order")
        ):
            assert pk not in rows, "an item in two tabs"
            rows[pk] = (rank, which, area_order)
    return rows


def kept_counts() -> tuple[Counter[tuple[int, int, int, str]], Counter[tuple[int, int, str]]]:
    """The kept counts and roll-up per unit, light and tab, zeros left out."""
    counts = Counter(
        {
            (unit, ledger, rank, tab): items
            for unit, ledger, rank, tab, items in LedgerItemCount.objects.filter(
                items__gt=0
            ).values_list("unit", "ledger", "light_rank", "three_list", "items")
        }
    )
    # The roll-up as readers see it (lights.subtree_counts): its rows plus the changes not
    # yet folded into them.
    sums = (
        LedgerItemSubtree.objects.values("unit", "light_rank", "three_list")
        .annotate(n=Sum("items"))
        .order_by()
    )
    rollup = Counter(
        {(s["unit"], s["light_rank"], s["three_list"]): s["n"] for s in sums if s["n"] != 0}
    )
    return counts, rollup


@pytest.mark.usefixtures("frozen_clock")
def test_items_migrate_from_before_the_stored_light_to_the_head(migrator) -> None:
    """GIVEN a database just before 0007 holding 13 items (every light and tab, two areas,
    a root, two units under it and a second root) WHEN it migrates to the head THEN each
    item's stored light, tab and area order are what with_light and the tab filters compute,
    the kept counts are the items counted and the roll-up (as readers see it, and folded)
    their sums up the tree; refreshing or rebuilding them changes nothing."""
    old = migrate_to_just_before(STORED_LIGHT)
    assert old.apps.get_model("tasks_ledger", "LedgerItem")._meta.get_field("progress_accepted_on")
    assert ("tasks_ledger", "ledgeritemcount") not in old.models
    fill_before_stored_light(old.apps)

    head = MigrationLoader(connection, ignore_no_migrations=True).graph.leaf_nodes()
    try:
        migrator.apply_tested_migration(head)
    except Exception:
        # Without the rows the fixture migrates to the head again: the tests after this one
        # in the process (and the next --reuse-db run) find a usable database.
        tables = [old.apps.get_model(*name)._meta.db_table for name in FILLED]
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(tables)} CASCADE")
        raise

    assert timezone.localdate() == TODAY
    stored = {
        pk: (rank, tab, area_order)
        for pk, rank, tab, area_order in LedgerItem.objects.values_list(
            "pk", "light_rank", "three_list", "area_order"
        )
    }
    assert len(stored) == 13
    assert stored == computed()
    # Every light and every tab is there: the comparison is not between defaults.
    assert {rank for rank, _, _ in stored.values()} == {0, 1, 2, 3}
    assert {tab for _, tab, _ in stored.values()} == set(ThreeList.values)
    assert {order for _, _, order in stored.values()} == {1, 2}
    by_code = dict(LedgerItem.objects.values_list("code", "light_rank"))
    assert [by_code[f"T{n}"] for n in range(1, 14)] == [3, 2, 2, 1, 1, 1, 0, 0, 3, 2, 1, 1, 3]
    # The stored light's own writer finds nothing to change.
    assert lights.lights_refresh() == 0

    counts, rollup = kept_counts()
    items = list(LedgerItem.objects.values_list("unit", "ledger", "light_rank", "three_list"))
    assert counts == Counter(items)
    unit_of_path = dict(Unit.objects.values_list("path", "pk"))
    paths = {pk: path for path, pk in unit_of_path.items()}
    expected_rollup: Counter[tuple[int, int, str]] = Counter()
    for unit, _, rank, tab in items:
        path = paths[unit]
        for cut in range(4, len(path) + 1, 4):
            expected_rollup[(unit_of_path[path[:cut]], rank, tab)] += 1
    assert rollup == expected_rollup
    assert sum(n for (unit, _, _), n in rollup.items() if unit == unit_of_path["0001"]) == 12
    # Rebuilding them from the items changes nothing; folded, the roll-up's own rows agree.
    lights.counts_rebuild()
    assert kept_counts() == (counts, rollup)
    lights.rollup_fold()
    folded: Counter[tuple[int, int, str]] = Counter()
    for unit, rank, tab, n in LedgerItemRollup.objects.exclude(items=0).values_list(
        "unit", "light_rank", "three_list", "items"
    ):
        folded[(unit, rank, tab)] += n  # a row per ledger: summed over them
    assert folded == rollup
