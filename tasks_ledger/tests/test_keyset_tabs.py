"""One read for a few units' page and tab counts (``keyset.page_ids_and_tabs``): the same
pages, in every order and either direction, as :func:`keyset.page_ids` reads, with every
tab counted over all of the items whatever the page, the tab shown or the cursor."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.tests.factories import UnitFactory
from tasks_ledger import keyset, selectors
from tasks_ledger.models import ItemStatus, LedgerItem
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db


@pytest.fixture
def items(org):
    """Nine items of a county in two tabs (new, set aside), with
    deadlines to sort by, and one item of another county that is never counted."""
    ledger = make_ledger(org.campaign)
    for number in range(9):
        status = (ItemStatus.IN_PROGRESS, ItemStatus.CANCELLED, ItemStatus.SUSPENDED)[number % 3]
        make_item(
            ledger,
            org.county_a if number % 2 else org.township_a,
            code=str(number + 1),
            title=f"任务{number}",
            status=status,
            deadline=dt.date(2022, 6, 1 + number % 4),
        )
    make_item(ledger, org.county_b, title="乙县任务")
    return LedgerItem.objects.filter(unit__in=[org.county_a, org.township_a])


def walk(read, items, order, tab=""):
    """Every page from the first by "next", then back from the last by "previous": the
    ids of each page in turn, and what each read said of the tabs."""
    pages, said = [], []
    page, counts = read(items, order, tab=tab)
    while True:
        pages.append(page.ids)
        said.append(counts)
        if not page.has_next:
            break
        page, counts = read(items, order, tab=tab, after=page.next_cursor)
    back = [page.ids]
    while page.has_previous:
        page, counts = read(items, order, tab=tab, before=page.previous_cursor)
        back.append(page.ids)
        said.append(counts)
    return pages, back[::-1], said


def plain(items, order, *, tab="", after=None, before=None):
    listed = items.filter(three_list=tab) if tab else items
    return keyset.page_ids(listed, order, after=after, before=before, size=2), None


def together(items, order, *, tab="", after=None, before=None):
    return keyset.page_ids_and_tabs(
        items, order, selectors.THREE_LISTS, tab=tab, after=after, before=before, size=2
    )


@pytest.mark.parametrize("ordering", ["", "-deadline", "unit", "-light", "code"])
@pytest.mark.parametrize("tab", ["", "new", "set_aside"])
def test_the_same_pages_as_page_ids_and_the_tabs_counted_over_all_items(items, ordering, tab):
    order = keyset.order_for(ordering)
    expected = Counter(items.values_list("three_list", flat=True))
    pages, back, _none = walk(plain, items, order, tab)
    found_pages, found_back, said = walk(together, items, order, tab)
    assert found_pages == pages and found_back == back
    assert [ids for page in pages for ids in page] == [ids for page in back for ids in page]
    counts = {key: expected.get(key, 0) for key in selectors.THREE_LISTS}
    assert all(value == counts for value in said), said
    assert sum(counts.values()) == 9


def test_one_query_and_no_counts_from_an_empty_page(items):
    order = keyset.order_for("")
    with CaptureQueriesContext(connection) as captured:
        page, counts = together(items, order)
    assert len(captured.captured_queries) == 1 and counts is not None and len(page.ids) == 2
    last = keyset.encode((99, 10**9, 99, "99", 10**9), order.name)
    page, counts = together(items, order, after=last)
    assert page.ids == [] and counts is None  # the caller counts apart
    assert page.previous_cursor is not None
    page, counts = together(items, order, tab="signed_off")  # a tab holding none of them
    assert page.ids == [] and counts is None


@pytest.mark.django_db(transaction=True)  # inside a transaction that wrote, nothing is kept
def test_a_scopes_unit_ids_are_kept_until_a_unit_changes(org: Any) -> None:
    """GIVEN 甲县's liaison's scope read once WHEN it is asked again THEN no query reads the
    units; WHEN a unit is added under 甲县 THEN the next read has it (a unit written drops
    what is kept beside the jurisdictions), and another user's kept scope is their own."""
    first = keyset.scope_unit_ids(org.inside)
    assert first is not None and org.county_a.pk in first
    reader = User.objects.get(pk=org.inside.pk)  # as a new request loads the user
    with CaptureQueriesContext(connection) as ctx:
        assert keyset.scope_unit_ids(reader) == first
    assert not [q for q in ctx.captured_queries if "accounts_unit" in q["sql"]]
    township = UnitFactory.create(parent=org.county_a, name="甲县新镇")
    fresh = User.objects.get(pk=org.inside.pk)  # a new request's user
    again = keyset.scope_unit_ids(fresh)
    assert again is not None and set(again) == {*first, township.pk}
    above = keyset.scope_unit_ids(org.above)
    assert above is not None and set(again) < set(above)
