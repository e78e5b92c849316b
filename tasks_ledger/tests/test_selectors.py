"""Selectors other than the light: lists, queues, detail and meetings, scoped to the caller."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tasks_ledger import lights, selectors, services
from tasks_ledger.models import ItemStatus, LedgerItem
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db
TODAY = dt.date(2022, 6, 1)
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def world(org):
    ledger = make_ledger(org.campaign)
    a = make_item(ledger, org.county_a)
    b = make_item(ledger, org.county_b)
    return ledger, a, b


def test_ledger_list_counts_only_visible_items(org, world):
    ledger, _a, _b = world
    mine = selectors.ledger_list(user=org.inside).get(pk=ledger.pk)
    assert mine.visible_items == 1
    assert selectors.ledger_list(user=org.above).get(pk=ledger.pk).visible_items == 2


def test_ledger_list_sums_the_kept_counts_and_never_reads_the_items(org, world):
    """GIVEN a ledger with items of two counties, one signed off WHEN its list is read THEN
    the numbers are right for each user, and no query reads the item table (at a province,
    counting a million items joined to the ledgers ran for minutes): the kept counts only."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ledger, a, _b = world
    LedgerItem.objects.filter(pk=a.pk).update(
        status=ItemStatus.SIGNED_OFF, signed_off_at=timezone.now()
    )
    lights.lights_refresh(items=LedgerItem.objects.filter(pk=a.pk))
    with CaptureQueriesContext(connection) as captured:
        above = selectors.ledger_list(user=org.above).get(pk=ledger.pk)
        inside = selectors.ledger_list(user=org.inside).get(pk=ledger.pk)
        outside = selectors.ledger_list(user=org.outsider).get(pk=ledger.pk)
    assert (above.visible_items, above.signed_off_items) == (2, 1)
    assert (inside.visible_items, inside.signed_off_items) == (1, 1)
    assert (outside.visible_items, outside.signed_off_items) == (1, 0)
    assert not [q for q in captured.captured_queries if '"tasks_ledger_ledgeritem"' in q["sql"]]


def test_ledger_owned_above_without_visible_items_is_hidden(org):
    empty = make_ledger(org.campaign, title="空台账")
    assert not selectors.ledger_list(user=org.inside).filter(pk=empty.pk).exists()
    assert selectors.ledger_list(user=org.above).filter(pk=empty.pk).exists()


def test_item_detail_is_404_outside(org, world):
    _ledger, a, b = world
    assert selectors.ledger_item_detail(user=org.inside, pk=a.pk, today=TODAY).pk == a.pk
    with pytest.raises(LedgerItem.DoesNotExist):
        selectors.ledger_item_detail(user=org.inside, pk=b.pk, today=TODAY)


def test_queues_show_pending_requests_to_the_office_only_within_reach(org, world):
    _ledger, a, b = world
    for item, user in ((a, org.inside), (b, org.outsider)):
        services.signoff_request_create(
            item=item,
            requester=user,
            note="完成",
            expected_version=item.version,
            files=[SimpleUploadedFile("a.pdf", PDF)],
        )
        services.extension_request_create(
            item=make_item(item.ledger, item.unit),
            requester=user,
            reason="汛期",
            new_deadline=dt.date(2022, 9, 1),
            today=TODAY,
        )
        services.ledger_item_report_progress(
            item=make_item(item.ledger, item.unit),
            reporter=user,
            percent=10,
            text="开始",
            expected_version=1,
        )
    assert selectors.signoff_queue(user=org.above).count() == 2
    assert [r.item.unit.name for r in selectors.signoff_queue(user=org.inside)] == ["甲县"]
    assert selectors.extension_queue(user=org.above).count() == 2
    assert selectors.extension_queue(user=org.official).count() == 0  # read only
    assert selectors.report_queue(user=org.above).count() == 2


def test_meetings_seen_by_hosts_attendees_and_those_below_the_host(org, world):
    _ledger, _a, _b = world
    services.meeting_create(
        actor=None,
        campaign=org.campaign,
        kind="promotion",
        title="县级推进会",
        date=TODAY,
        host_unit=org.county_b,
        chair=org.outsider,
        attending_units=[org.county_b],
    )
    services.meeting_create(
        actor=None,
        campaign=org.campaign,
        kind="dispatch",
        title="全市调度会",
        date=TODAY,
        host_unit=org.city,
        chair=org.above,
        attending_units=[org.county_a],
    )
    assert [m.title for m in selectors.meeting_list(user=org.inside)] == ["全市调度会"]
    assert {m.title for m in selectors.meeting_list(user=org.above)} == {"县级推进会", "全市调度会"}


def test_list_rows_show_what_the_orm_reads_for_each_day(org):
    """GIVEN items with and without a chain, in several states WHEN a page's rows are read
    (their statement compiled once a day) THEN each row says what the items and their
    relations say, with the light and days left of the day asked for, in the order asked;
    a later day gets its own lights."""
    from tasks_ledger.tests.test_api import make_chain

    ledger = make_ledger(org.campaign)
    chained = make_item(ledger, org.county_a, chain=make_chain(org), progress=40)
    plain = make_item(ledger, org.county_b, deadline=dt.date(2022, 6, 10))
    lasting = make_item(ledger, org.township_a, deadline=None)
    done = make_item(ledger, org.county_a, title="已完成事项")
    LedgerItem.objects.filter(pk=done.pk).update(status=ItemStatus.COMPLETED, progress=100)
    ids = [lasting.pk, done.pk, plain.pk, chained.pk]
    for today in (TODAY, dt.date(2022, 7, 5)):
        rows = selectors.item_list_rows(ids=ids, today=today)
        expected = selectors.with_light(
            LedgerItem.objects.select_related(
                "ledger__area", "unit", "chain__lead_department", "chain__responsible_person"
            ),
            today=today,
        ).in_bulk(ids)
        assert [row.pk for row in rows] == ids
        for row in rows:
            item = expected[row.pk]
            assert (row.code, row.title, row.status, row.progress, row.deadline) == (
                item.code,
                item.title,
                item.status,
                item.progress,
                item.deadline,
            )
            assert (row.light, row.days_left) == (item.light, item.days_left), today
            assert (row.ledger.title, row.ledger.area.name) == (
                item.ledger.title,
                item.ledger.area.name,
            )
            assert (row.unit.name, row.unit.path) == (item.unit.name, item.unit.path)
            if item.chain is None:
                assert row.chain is None
            else:
                assert (
                    row.chain.lead_department.display_name
                    == item.chain.lead_department.display_name
                )
                assert row.chain.responsible_person == item.chain.responsible_person.name
    assert {row.light for row in selectors.item_list_rows(ids=ids, today=dt.date(2022, 7, 5))} >= {
        "red"
    }
    assert selectors.item_list_rows(ids=[], today=TODAY) == []
