"""The stored light, tab and area order, and the kept counts, agree with their definitions
(:func:`~tasks_ledger.selectors.with_light`, :func:`~tasks_ledger.selectors.three_list_filter`)
after every kind of write and after the date passes; keyset pages walk every row once.

The clock reads 1 June 2022 (the test campaign runs through 2022) unless a test moves it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count, F, Sum, Value
from django.urls import reverse

from accounts.models import Unit
from tasks_ledger import keyset, lights, services, tasks
from tasks_ledger.models import (
    ImportJob,
    ImportStatus,
    ItemStatus,
    LedgerItem,
    LedgerItemCount,
    LedgerItemRollup,
    LedgerItemRollupChange,
    LedgerItemSubtree,
    StatusChange,
    ThreeList,
)
from tasks_ledger.selectors import three_list_filter, with_light
from tasks_ledger.tests.factories import make_item, make_items, make_ledger

pytestmark = pytest.mark.django_db

BEIJING = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2022, 6, 1, 9, 0, tzinfo=BEIJING)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
RED, YELLOW, GREEN, NONE = 3, 2, 1, 0


@pytest.fixture(autouse=True)
def clock() -> Iterator[time_machine.Traveller]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def ledger(org):
    return make_ledger(org.campaign, title="项目建设重点任务台账")


def mismatches(today: dt.date | None = None) -> list[tuple[int, str, object, object]]:
    """Items whose stored light, tab or area order differ from what the definitions say."""
    wrong: list[tuple[int, str, object, object]] = []
    for item in with_light(LedgerItem.objects.select_related("ledger__area"), today=today):
        now = item.light_rank_now
        if item.light_rank != now:
            wrong.append((item.pk, "light", item.light_rank, now))
        if item.area_order != item.ledger.area.sort_order:
            wrong.append((item.pk, "area", item.area_order, item.ledger.area.sort_order))
    for tab in ThreeList.values:
        for pk, stored in (
            LedgerItem.objects.filter(three_list_filter(tab, today=today))
            .exclude(three_list=tab)
            .values_list("pk", "three_list")
        ):
            wrong.append((pk, "tab", stored, tab))
    return wrong


def counted() -> dict[tuple[int, int, int, str], int]:
    """The kept counts (rows counted down to 0 left out)."""
    return {
        (c.unit_id, c.ledger_id, c.light_rank, c.three_list): c.items
        for c in LedgerItemCount.objects.exclude(items=0)
    }


def recounted() -> dict[tuple[int, int, int, str], int]:
    """The same counts from the items themselves."""
    rows = LedgerItem.objects.values("unit_id", "ledger_id", "light_rank", "three_list")
    return {
        (r["unit_id"], r["ledger_id"], r["light_rank"], r["three_list"]): r["n"]
        for r in rows.annotate(n=Count("pk")).order_by()
    }


Key = tuple[int, int, int, str]  # unit, ledger, light rank, tab


def rolled_up() -> dict[Key, int]:
    """The kept roll-up as readers read it (its rows and the changes not yet folded into
    them, summed; keys summing to 0 left out)."""
    rows = LedgerItemSubtree.objects.values("unit_id", "ledger_id", "light_rank", "three_list")
    return {
        (r["unit_id"], r["ledger_id"], r["light_rank"], r["three_list"]): r["n"]
        for r in rows.annotate(n=Sum("items")).order_by()
        if r["n"]
    }


def folded() -> dict[Key, int]:
    """The roll-up's own rows (rows counted down to 0 left out)."""
    return {
        (r.unit_id, r.ledger_id, r.light_rank, r.three_list): r.items
        for r in LedgerItemRollup.objects.exclude(items=0)
    }


def rerolled() -> dict[Key, int]:
    """The same from the items: each counts for its unit and every unit above it, by its
    ledger, light and tab."""
    by_path = dict(Unit.objects.values_list("path", "pk"))
    sums: dict[Key, int] = {}
    items = LedgerItem.objects.values_list("unit__path", "ledger_id", "light_rank", "three_list")
    for path, ledger, rank, tab in items:
        for end in range(Unit.steplen, len(path) + 1, Unit.steplen):
            key = (by_path[path[:end]], ledger, rank, tab)
            sums[key] = sums.get(key, 0) + 1
    return sums


def assert_agrees(today: dt.date | None = None) -> None:
    assert mismatches(today) == []
    assert counted() == recounted()
    assert rolled_up() == rerolled()


def stored(item: LedgerItem) -> tuple[int, str]:
    item.refresh_from_db()
    return item.light_rank, item.three_list


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("证明.pdf", PDF, content_type="application/pdf")


# --- every write -----------------------------------------------------------------------------


def test_each_kind_of_write_keeps_the_stored_light_and_the_counts(org, ledger):
    """GIVEN items red, yellow and green WHEN progress is accepted, an extension approved, a
    suspension approved and a sign-off verified THEN after each the stored light and tab
    equal with_light's and the counts equal a recount (each step moved a light)."""
    red = make_item(ledger, org.county_a, start=dt.date(2022, 1, 1), deadline=dt.date(2022, 5, 1))
    near = make_item(ledger, org.county_a, start=dt.date(2022, 5, 1), deadline=dt.date(2022, 6, 2))
    late = make_item(
        ledger, org.township_a, start=dt.date(2022, 1, 1), deadline=dt.date(2022, 7, 1)
    )
    assert_agrees()
    assert (stored(red), stored(near), stored(late)) == (
        (RED, ThreeList.NEW),
        (YELLOW, ThreeList.NEW),
        (YELLOW, ThreeList.NEW),  # 0 % with most of its time gone
    )

    # Progress accepted: 80 % on an item whose time is 5/6 gone is on track.
    item = LedgerItem.objects.get(pk=late.pk)
    report = services.ledger_item_report_progress(
        item=item, reporter=org.inside, percent=80, text="主体完工", expected_version=item.version
    )
    assert stored(late)[0] == YELLOW  # waiting for review moves nothing
    services.progress_report_accept(report=report, reviewer=org.above)
    assert stored(late)[0] == GREEN
    assert_agrees()

    # Deadline extension: the red item's deadline moves past today.
    extension = services.extension_request_create(
        item=LedgerItem.objects.get(pk=near.pk),
        requester=org.inside,
        reason="征地未完成",
        new_deadline=dt.date(2022, 12, 31),
    )
    services.extension_approve(request=extension, approver=org.above)
    assert stored(near)[0] == GREEN
    assert_agrees()

    # Status change: a suspended item has no light and sits in the set-aside tab.
    change = services.status_change_request_create(
        item=LedgerItem.objects.get(pk=red.pk),
        requester=org.inside,
        change=StatusChange.SUSPEND,
        reason="上级政策调整",
    )
    services.status_change_approve(request=change, approver=org.above)
    assert stored(red) == (NONE, ThreeList.SET_ASIDE)
    assert_agrees()

    # Sign-off verified: green, in the signed-off tab.
    item = LedgerItem.objects.get(pk=late.pk)
    done = services.ledger_item_report_progress(
        item=item, reporter=org.inside, percent=100, text="全部完工", expected_version=item.version
    )
    services.progress_report_accept(report=done, reviewer=org.above)
    item = LedgerItem.objects.get(pk=late.pk)
    signoff = services.signoff_request_create(
        item=item, requester=org.inside, note="已完成", files=[pdf()], expected_version=item.version
    )
    services.signoff_approve(request=signoff, verifier=org.above)
    assert stored(late) == (GREEN, ThreeList.SIGNED_OFF)
    assert_agrees()

    # A delete counts down.
    LedgerItem.objects.filter(pk=near.pk).delete()
    assert_agrees()


def test_an_excel_import_keeps_the_stored_light_and_the_counts(client, org, ledger):
    """GIVEN a workbook adding an overdue item and a completed one WHEN it is applied THEN
    the new items carry their lights (red, green) and the counts include them."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["序号", "事项", "责任单位", "开始时间", "完成时限", "状态", "进度", "最新进展"])
    ws.append(["", "逾期的一项", "甲县", "2022-01-01", "2022-05-01", "推进中", 10, "已启动"])
    ws.append(["", "完成的一项", "甲县", "2022-01-01", "2022-08-01", "已完成", 100, "完工"])
    data = io.BytesIO()
    wb.save(data)
    client.force_login(org.above)
    upload = SimpleUploadedFile("台账.xlsx", data.getvalue())
    client.post(reverse("ledger:import"), {"ledger": ledger.pk, "file": upload})
    job = ImportJob.objects.get()
    assert job.errors == [], job.errors
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED
    assert stored(LedgerItem.objects.get(title="逾期的一项"))[0] == RED
    assert stored(LedgerItem.objects.get(title="完成的一项"))[0] == GREEN
    assert_agrees()


def test_the_morning_run_moves_what_the_date_moved_and_only_that(org, ledger, clock):
    """GIVEN items green on 1 June WHEN the date passes their deadline, and a week passes
    since they were added THEN the stored values lag until the morning run, which writes
    exactly the rows that changed, and a second run writes none."""
    soon = make_items(
        ledger,
        org.county_a,
        3,
        start=dt.date(2022, 5, 1),
        deadline=dt.date(2022, 6, 20),
        status=ItemStatus.IN_PROGRESS,
        progress=90,
    )
    later = make_item(
        ledger,
        org.county_a,
        start=dt.date(2022, 5, 1),
        deadline=dt.date(2022, 12, 1),
        status=ItemStatus.IN_PROGRESS,
        progress=50,
    )
    signed = make_item(ledger, org.county_a, status=ItemStatus.CANCELLED)
    assert_agrees()
    assert {stored(item) for item in soon} == {(GREEN, ThreeList.NEW)}

    clock.move_to(dt.datetime(2022, 6, 21, 0, 20, tzinfo=BEIJING))
    today = dt.date(2022, 6, 21)
    assert len(mismatches(today)) == 3 * 2 + 1  # three turned red, four left the new tab
    assert tasks.refresh_lights() == 4
    assert_agrees(today)
    assert {stored(item) for item in soon} == {(RED, ThreeList.IN_PROGRESS)}
    assert stored(later) == (GREEN, ThreeList.IN_PROGRESS)
    assert stored(signed) == (NONE, ThreeList.SET_ASIDE)
    assert tasks.refresh_lights() == 0


def test_the_morning_run_is_on_the_beat_schedule_before_the_sweep():
    entry: Any = settings.CELERY_BEAT_SCHEDULE["refresh_lights"]
    sweep: Any = settings.CELERY_BEAT_SCHEDULE["escalation_sweep"]
    assert entry["task"] == "tasks_ledger.tasks.refresh_lights"
    assert entry["schedule"].hour == {0} and sweep["schedule"].hour == {6}


def test_a_light_policy_changed_in_the_admin_moves_its_campaign_lights(client, org, ledger):
    """GIVEN an item 10 days from its deadline (green) WHEN the office sets the yellow
    warning to 14 days in the admin THEN it is stored yellow at once."""
    from tasks_ledger.models import LightPolicy

    item = make_item(
        ledger,
        org.county_a,
        start=dt.date(2022, 5, 25),
        deadline=dt.date(2022, 6, 11),
        status=ItemStatus.IN_PROGRESS,
        progress=50,
    )
    assert stored(item)[0] == GREEN
    policy = LightPolicy.objects.get_or_create(campaign=org.campaign)[0]
    client.force_login(org.superuser)
    url = reverse("admin:tasks_ledger_lightpolicy_change", args=[policy.pk])
    response = client.post(
        url,
        {
            "campaign": org.campaign.pk,
            "near_deadline_days": 14,
            "lag_tolerance_percent": 20,
            "long_term_yellow_days": 30,
            "long_term_red_days": 60,
            "review_progress": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(item)[0] == YELLOW
    assert_agrees()


def test_a_full_rebuild_gives_the_counts_the_triggers_kept(org, ledger):
    make_items(ledger, org.county_a, 4)
    make_items(ledger, org.township_a, 2, deadline=dt.date(2022, 5, 1))
    LedgerItem.objects.filter(pk=LedgerItem.objects.order_by("pk").values("pk")[:1]).delete()
    lights.rollup_fold()  # the roll-up holds rows (a rebuild replaces them) and changes
    make_items(ledger, org.county_a, 1)
    kept, up = counted(), rolled_up()
    assert LedgerItemRollupChange.objects.exists() and LedgerItemRollup.objects.exists()
    assert lights.counts_rebuild() == len(kept)
    assert counted() == kept == recounted()
    assert rolled_up() == up == rerolled() == folded()  # the changes are in the rebuild
    assert not LedgerItemRollupChange.objects.exists()


def test_the_roll_up_follows_a_unit_moved_in_the_tree(org, ledger):
    """GIVEN items of 甲镇 (under 甲县) WHEN the township is moved under 乙县 (as the admin's
    tree does) THEN 甲县's subtree counts lose them and 乙县's gain them."""
    make_items(ledger, org.township_a, 3)
    lights.rollup_fold()
    make_items(ledger, org.county_a, 2)
    tabs = lights.tab_counts
    assert tabs(user=org.inside)["all"] == 5 and tabs(user=org.outsider)["all"] == 0
    Unit.objects.move(
        Unit.objects.get(pk=org.township_a.pk),
        Unit.objects.get(pk=org.county_b.pk),
        "sorted-child",
    )
    assert tabs(user=org.inside)["all"] == 2 and tabs(user=org.outsider)["all"] == 3
    assert rolled_up() == rerolled()


def test_the_fold_moves_the_changes_into_the_roll_up_and_no_sum_moves(org, ledger):
    """GIVEN items written, changed and deleted (each statement appending its change for
    the unit and every unit above) WHEN the beat's fold runs THEN the changes are gone, the
    roll-up's own rows hold the sums, and what readers read did not move; a second fold
    finds nothing."""
    items = make_items(ledger, org.township_a, 3)
    make_items(ledger, org.county_a, 2, deadline=dt.date(2022, 5, 1))
    LedgerItem.objects.filter(pk=items[0].pk).delete()
    assert LedgerItemRollupChange.objects.exists()
    before = rolled_up()
    assert before == rerolled()
    tabs = lights.tab_counts(user=org.inside)
    assert tasks.fold_rollup() > 0
    assert not LedgerItemRollupChange.objects.exists()
    assert folded() == rolled_up() == before
    assert lights.tab_counts(user=org.inside) == tabs
    assert lights.rollup_fold() == 0


def test_the_fold_is_on_the_beat_schedule_every_minute():
    entry: Any = settings.CELERY_BEAT_SCHEDULE["fold_rollup"]
    assert entry["task"] == "tasks_ledger.tasks.fold_rollup"
    assert entry["schedule"].minute == set(range(60))


@pytest.mark.django_db(transaction=True)
def test_writers_of_two_units_do_not_wait_for_each_other_on_the_roll_up(org, ledger):
    """GIVEN an item of 甲镇 and one of 乙县 (two units under one city and province, whose
    roll-up rows both reach) WHEN one transaction changes the first item's light and stays
    open (an import still writing its rows) THEN another changes the second's at once (it
    waited, before, for the first to commit: the shared rows were updated in place) and,
    once both commit, the roll-up agrees with the items."""
    import psycopg2
    from django.db import connection

    first = make_item(ledger, org.township_a)
    second = make_item(ledger, org.county_b)
    flip = f"UPDATE {LedgerItem._meta.db_table} SET light_rank = 3 - light_rank WHERE id = %s"  # noqa: S608
    params = connection.get_connection_params()
    holding, other = psycopg2.connect(**params), psycopg2.connect(**params)
    try:
        with holding.cursor() as cursor:
            cursor.execute(flip, [first.pk])  # not committed
        with other.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
            cursor.execute(flip, [second.pk])  # a lock wait would fail here
        other.commit()
        holding.commit()
    finally:
        holding.close()
        other.close()
    assert rolled_up() == rerolled()


# --- keyset pages ----------------------------------------------------------------------------


def test_keyset_pages_walk_every_row_once_in_every_order_both_ways(org, ledger):
    """GIVEN 11 items of mixed lights, deadlines (one long-term), units and numbers WHEN each
    order is paged 3 at a time forward to the end and back to the start THEN every item is
    seen once, in the order a plain sort gives, and the way back retraces it."""
    make_items(ledger, org.county_a, 4, deadline=dt.date(2022, 9, 30))
    make_items(ledger, org.township_a, 3, deadline=dt.date(2022, 5, 1))
    other = make_ledger(org.campaign, title="问题清单", area="民生实事")
    make_items(other, org.county_a, 3, deadline=dt.date(2022, 6, 3))
    make_item(other, org.township_a, deadline=None, title="长期坚持")
    items = LedgerItem.objects.all()
    for name, order in keyset.ORDERS.items():
        names = [f"k{n}" for n in range(len(order.keys))]
        keyed = items.annotate(**dict(zip(names, order.keys, strict=True)))
        terms = [F(n).desc() if order.descending else F(n).asc() for n in names]
        expected = list(keyed.order_by(*terms).values_list("pk", flat=True))
        chosen = keyset.order_for(name)
        seen: list[int] = []
        pages = [keyset.page_ids(items, chosen, size=3)]
        while pages[-1].has_next:
            seen += pages[-1].ids
            pages.append(keyset.page_ids(items, chosen, after=pages[-1].next_cursor, size=3))
        seen += pages[-1].ids
        assert seen == expected, name
        back = pages[-1]
        while back.has_previous:
            back = keyset.page_ids(items, chosen, before=back.previous_cursor, size=3)
        assert back.ids == expected[:3] and not back.has_previous, name


def test_a_cursor_of_another_order_or_a_forged_one_reads_as_the_first_page(org, ledger):
    make_items(ledger, org.county_a, 5)
    items = LedgerItem.objects.all()
    first = keyset.page_ids(items, keyset.order_for(""), size=2)
    by_light = keyset.order_for("-light")
    assert keyset.page_ids(items, by_light, after=first.next_cursor, size=2).ids == (
        keyset.page_ids(items, by_light, size=2).ids
    )
    for forged in ("x", "eyJvIjoibmF0dXJhbCIsImsiOlsxXX0", "%%%"):
        assert keyset.page_ids(items, keyset.order_for(""), after=forged, size=2).ids == first.ids


def test_the_page_reads_the_keys_from_the_order_index(org, ledger):
    """The natural order's key query is an index scan of item_list_order_idx with the
    cursor as its index condition (no sort, no OFFSET), at a deep cursor too."""
    from django.db import connection

    make_items(ledger, org.county_a, 30)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tasks_ledger_ledgeritem")
        cursor.execute("SET LOCAL enable_seqscan = off")
    order = keyset.order_for("")
    first = keyset.page_ids(LedgerItem.objects.all(), order, size=5)
    names = [f"k{n}" for n in range(len(order.keys))]
    query = (
        LedgerItem.objects.annotate(**dict(zip(names, order.keys, strict=True)))
        .filter(
            keyset.RowAfter(
                [F(n) for n in names],
                [
                    Value(v)
                    for v in keyset.decode(first.next_cursor or "", order.name, len(names)) or []
                ],
            )
        )
        .order_by(*names)
        .values_list("pk")[:6]
    )
    plan = query.explain()
    assert "item_list_order_idx" in plan and "Sort" not in plan, plan


def test_an_api_page_after_a_cursor_compares_the_key_as_one_row(org, ledger):
    """GIVEN more items than a page WHEN the API's next link is followed THEN the page is
    read with one row comparison on the default order's columns (an index range), in the
    same number of queries as the first page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    make_items(ledger, org.county_a, 7)
    client = APIClient()
    client.force_authenticate(org.above)
    url = reverse("api:ledger-item-list")
    with CaptureQueriesContext(connection) as first:
        body = client.get(url, {"page_size": 3}).json()
    with CaptureQueriesContext(connection) as second:
        following = client.get(body["next"]).json()
    assert len(second) <= len(first)  # the same user object: its jurisdiction is known
    assert [r["id"] for r in following["results"]] == list(
        LedgerItem.objects.order_by("area_order", "ledger_id", "code", "pk").values_list(
            "pk", flat=True
        )[3:6]
    )
    page_sql = next(q["sql"] for q in second.captured_queries if "LIMIT 4" in q["sql"])
    assert '(("tasks_ledger_ledgeritem"."area_order", "tasks_ledger_ledgeritem"."ledger_id"' in (
        page_sql
    ), page_sql
