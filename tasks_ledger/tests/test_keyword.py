"""The keyword at a province's size: a two-character keyword is matched by its gram alone
(exact, and PostgreSQL then knows how many items hold it), and the tab badges of a keyword
search count the matches once when they are few, each tab apart only past that."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_ledger import selectors
from tasks_ledger.filtersets import grams_are_exact, is_uncased, keyword_filter
from tasks_ledger.models import ItemStatus, LedgerItem
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("value", "exact"),
    [
        ("推进", True),
        ("ab", True),
        ("A1", True),
        ("推", False),  # no gram at all
        ("推进计划", False),  # its grams may be there out of order
        ("a b", False),
        ("Éa", False),  # cased beyond ASCII: lower() and UPPER() may disagree
    ],
)
def test_grams_are_exact_for_two_plain_characters(value, exact):
    assert grams_are_exact(value) is exact


@pytest.mark.parametrize(
    ("value", "uncased"),
    [
        ("推进", True),
        ("2022年", True),
        ("·-（）", True),
        ("ab", False),
        ("推进A", False),
        ("ß", False),
    ],
)
def test_uncased_keywords(value, uncased):
    assert is_uncased(value) is uncased


def test_a_chinese_keyword_matches_unit_names_without_upper_casing_them(org):
    """GIVEN items of a unit whose name holds the keyword, and a Latin keyword in another
    case WHEN searched THEN the Chinese keyword reads the names as they are (no UPPER() of
    each name), the Latin one case-blind, and both find the unit's items."""
    ledger = make_ledger(org.campaign)
    make_item(ledger, org.county_a, title="某任务")
    with CaptureQueriesContext(connection) as captured:
        assert "某任务" in matched(org.county_a.name[:2])
    units_sql = [q["sql"] for q in captured.captured_queries if '"accounts_unit"' in q["sql"]]
    assert units_sql and all("UPPER" not in sql for sql in units_sql)
    org.county_a.short_name = "Xcounty"
    org.county_a.save()
    assert "某任务" in matched("xCOUNTY")


def matched(value: str) -> set[str]:
    return set(keyword_filter(LedgerItem.objects.all(), value).values_list("title", flat=True))


def test_two_characters_match_by_the_gram_alone_and_find_every_item(org):
    """GIVEN items holding a word in the title, the measures or the problem, in any case, and
    an item holding its two characters apart WHEN a two-character keyword is searched THEN
    every holder is found and nothing else, and no LIKE reads the item's text."""
    ledger = make_ledger(org.campaign)
    make_item(ledger, org.county_a, title="推进老旧小区改造")
    make_item(ledger, org.county_a, title="污水管网", measures="加快推进施工")
    make_item(ledger, org.county_a, title="作风问题", symptom="工作推进不力")
    make_item(ledger, org.county_a, title="推动进度")  # 推 and 进, not 推进
    make_item(ledger, org.county_a, title="Ab road", measures="none")
    make_item(ledger, org.county_a, title="xAB", measures="none")
    make_item(ledger, org.county_a, title="a b", measures="none")  # apart: no "ab"
    with CaptureQueriesContext(connection) as captured:
        assert matched("推进") == {"推进老旧小区改造", "污水管网", "作风问题"}
    items_sql = [q["sql"] for q in captured.captured_queries if "ledgeritem" in q["sql"]]
    assert items_sql and all("LIKE" not in sql for sql in items_sql)
    assert "@>" in items_sql[0]
    assert matched("ab") == matched("AB") == {"Ab road", "xAB"}
    # Longer keywords keep the check of the order: 推进 and 进改 are both in 推进老旧小区改造's
    # grams only as 推进, 老旧…; 推动进度 holds 推, 进 but no 推进.
    assert matched("推进老旧") == {"推进老旧小区改造"}
    assert matched("动进度") == {"推动进度"}


def counts(org, items=None):
    items = items if items is not None else keyword_filter(LedgerItem.objects.all(), "推进")
    return selectors.item_list_tab_counts(user=org.above, filters={"q": "推进"}, items=items)


def expected(cap: int) -> tuple[dict[str, int], bool]:
    """Each tab's matching items, counted plainly, capped as the badges are."""
    found = {
        tab: LedgerItem.objects.filter(three_list=tab, title__contains="推进").count()
        for tab in selectors.THREE_LISTS
    }
    return {tab: min(n, cap) for tab, n in found.items()}, all(n <= cap for n in found.values())


def test_keyword_tab_counts_from_one_scan_or_each_tab_capped(org, monkeypatch):
    """GIVEN matches in two tabs WHEN the tabs are counted for a keyword THEN the counts are
    those of the matching items whether they fit in the first scan (counted from it) or
    not (each tab counted apart, up to its cap, and flagged as not exact); one query."""
    monkeypatch.setattr(selectors, "TAB_COUNT_CAP", 2)  # a first scan of 4 x 3 = 12 rows
    ledger = make_ledger(org.campaign)
    for number in range(3):
        make_item(ledger, org.county_a, title=f"推进任务{number}")
    make_item(ledger, org.county_a, title="推进已销号", status=ItemStatus.CANCELLED)
    make_item(ledger, org.county_a, title="别的任务")
    tabs, exact = counts(org)
    assert ({tab: tabs[tab] for tab in selectors.THREE_LISTS}, exact) == expected(2)
    assert exact is False and tabs["set_aside"] == 1 and tabs["all"] == 3
    # Past the first scan (more than 12 matches): each tab counted apart, the same figures.
    for number in range(12):
        make_item(ledger, org.county_a, title=f"又一推进任务{number}")
    items = keyword_filter(LedgerItem.objects.all(), "推进")  # reads the units' names
    with CaptureQueriesContext(connection) as captured:
        tabs, exact = counts(org, items)
    assert len(captured.captured_queries) == 1
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + captured.captured_queries[0]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # The tab holding the 15 running items passed its cap in the first scan: not counted
    # again; the three others are.
    assert plan.count("Limit (never executed)") == 1, plan
    assert ({tab: tabs[tab] for tab in selectors.THREE_LISTS}, exact) == expected(2)
    assert tabs["set_aside"] == 1 and tabs["all"] == 3


def test_keyword_tab_counts_are_exact_when_few_match(org):
    """GIVEN few matches WHEN the tabs are counted THEN exactly, from one scan of the
    matches: the four per-tab counts are never run."""
    ledger = make_ledger(org.campaign)
    make_item(ledger, org.county_a, title="推进任务")
    make_item(ledger, org.county_a, title="推进已销号", status=ItemStatus.CANCELLED)
    make_item(ledger, org.county_a, title="别的任务")
    items = keyword_filter(LedgerItem.objects.all(), "推进")
    with CaptureQueriesContext(connection) as captured:
        tabs, exact = counts(org, items)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, COSTS OFF) " + captured.captured_queries[0]["sql"])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # Four per-tab counts, each a Limit over the items: none of them ran.
    assert plan.count("Limit (never executed)") == 4, plan
    assert ({tab: tabs[tab] for tab in selectors.THREE_LISTS}, exact) == (
        expected(selectors.TAB_COUNT_CAP)
    )
    assert exact is True and tabs["all"] == 2
