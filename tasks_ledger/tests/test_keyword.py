"""The keyword at a province's size: a two-character keyword is matched by its gram alone
(exact, and PostgreSQL then knows how many items hold it), a county's by its text; the tab
badges of a keyword search count each tab up to a cap (a county's exactly)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tasks_ledger import keyset, selectors
from tasks_ledger.filtersets import grams_are_exact, is_uncased, keyword_filter
from tasks_ledger.models import ItemStatus, Ledger, LedgerItem
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


def county_matches(org: Any, count: int) -> Ledger:
    """A ledger with ``count`` items of 甲县 whose titles hold 推进."""
    ledger = make_ledger(org.campaign)
    for number in range(count):
        make_item(ledger, org.county_a, title=f"推进任务{number}")
    return ledger


def matched(value: str, among: list[int] | None = None) -> set[str]:
    found = keyword_filter(LedgerItem.objects.all(), value, among=among)
    return set(found.values_list("title", flat=True))


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


def test_keyword_tab_counts_each_tab_capped_in_one_query(org, monkeypatch):
    """GIVEN matches in two tabs, more than the cap in one WHEN the tabs are counted for a
    keyword THEN each tab is counted up to its cap, flagged as not exact past it; one
    query whatever the number of matches."""
    monkeypatch.setattr(selectors, "KEYWORD_TAB_COUNT_CAP", 2)
    ledger = county_matches(org, 3)
    make_item(ledger, org.county_a, title="推进已销号", status=ItemStatus.CANCELLED)
    make_item(ledger, org.county_a, title="别的任务")
    tabs, exact = counts(org)
    assert ({tab: tabs[tab] for tab in selectors.THREE_LISTS}, exact) == expected(2)
    assert exact is False and tabs["set_aside"] == 1 and tabs["all"] == 3
    for number in range(12):
        make_item(ledger, org.county_a, title=f"又一推进任务{number}")
    items = keyword_filter(LedgerItem.objects.all(), "推进")  # reads the units' names
    with CaptureQueriesContext(connection) as captured:
        tabs, exact = counts(org, items)
    assert len(captured.captured_queries) == 1
    assert ({tab: tabs[tab] for tab in selectors.THREE_LISTS}, exact) == expected(2)
    assert tabs["set_aside"] == 1 and tabs["all"] == 3


def test_keyword_tab_counts_are_exact_when_few_match(org):
    """GIVEN fewer matches than the cap WHEN the tabs are counted THEN exactly."""
    ledger = make_ledger(org.campaign)
    make_item(ledger, org.county_a, title="推进任务")
    make_item(ledger, org.county_a, title="推进已销号", status=ItemStatus.CANCELLED)
    make_item(ledger, org.county_a, title="别的任务")
    tabs, exact = counts(org)
    assert ({tab: tabs[tab] for tab in selectors.THREE_LISTS}, exact) == (
        expected(selectors.KEYWORD_TAB_COUNT_CAP)
    )
    assert exact is True and tabs["all"] == 2


def test_tabs_the_chosen_statuses_rule_out_are_not_counted(org):
    """GIVEN items in every tab WHEN the tabs are counted for chosen statuses THEN the
    tabs no item of those statuses can be in read 0 without a subquery of their own (at a
    province, looking for one walked the whole tab: 0.8 s), and the others count."""
    ledger = make_ledger(org.campaign)
    make_item(ledger, org.county_a, title="推进任务", status=ItemStatus.IN_PROGRESS)
    make_item(ledger, org.county_a, title="推进已取消", status=ItemStatus.CANCELLED)
    items = LedgerItem.objects.filter(status=ItemStatus.IN_PROGRESS)
    with CaptureQueriesContext(connection) as captured:
        tabs, exact = selectors.item_list_tab_counts(
            user=org.above, filters={"status": [ItemStatus.IN_PROGRESS]}, items=items
        )
    (sql,) = [q["sql"] for q in captured.captured_queries]
    assert sql.count("COUNT(*)") == 2  # new and being advanced; not signed off, set aside
    assert (tabs["signed_off"], tabs["set_aside"], tabs["all"], exact) == (0, 0, 1, True)
    assert set(selectors.TAB_STATUSES) == set(selectors.THREE_LISTS)
    for tab, statuses in selectors.TAB_STATUSES.items():
        for status in ItemStatus.values:
            if status not in statuses:
                assert not LedgerItem.objects.filter(three_list=tab, status=status).exists()


def test_among_few_units_the_text_is_tested_as_it_is_with_the_same_matches(org):
    """GIVEN the items of the grams test above, in a county's units WHEN searched among
    those few units THEN the same items match for every kind of keyword (% and _ taken as
    they are), the text is tested as it is and not by the grams: a keyword without case
    with strpos() and no UPPER(), its units' names in Python; a cased one case-blind."""
    ledger = make_ledger(org.campaign)
    titles = ["推进老旧小区改造", "推动进度", "Ab road", "xAB", "a b", "完成50%", "完成5a0"]
    for title in titles:
        make_item(ledger, org.county_a, title=title, measures="none")
    make_item(ledger, org.township_a, title="污水管网", measures="加快推进施工")
    make_item(ledger, org.county_a_dept, title="作风问题", symptom="工作推进不力")
    among = [org.county_a.pk, org.county_a_dept.pk, org.township_a.pk]
    values = ("推进", "ab", "AB", "推进老旧", "动进度", "推", "甲镇", "甲县住建局", "0%", "5_0")
    for value in values:
        assert matched(value, among) == matched(value), value
    assert matched("甲镇", among) == {"污水管网"}
    assert matched("0%", among) == {"完成50%"} and matched("5_0", among) == set()
    with CaptureQueriesContext(connection) as captured:
        assert matched("推进", among) == {"推进老旧小区改造", "污水管网", "作风问题"}
    units_sql, items_sql = (q["sql"] for q in captured.captured_queries)
    assert '"accounts_unit"' in units_sql and "LIKE" not in units_sql  # the names, to test
    assert "STRPOS" in items_sql and "LIKE" not in items_sql
    assert "@>" not in items_sql and "UPPER" not in items_sql
    with CaptureQueriesContext(connection) as captured:
        matched("ab", among)
    assert "UPPER" in captured.captured_queries[-1]["sql"]  # case-blind, as without units


@pytest.mark.django_db(transaction=True)  # inside a transaction that wrote, nothing is kept
def test_a_countys_unit_names_are_kept_until_a_unit_changes(org):
    """GIVEN a county's units searched once WHEN a keyword is searched among them again
    THEN no query reads the units; WHEN one is renamed THEN the next search finds it by its
    new name and not by the old."""
    ledger = make_ledger(org.campaign)
    make_item(ledger, org.township_a, title="某任务")
    among = [org.county_a.pk, org.township_a.pk]
    assert matched("甲镇", among) == {"某任务"}
    with CaptureQueriesContext(connection) as captured:
        assert matched("甲镇", among) == {"某任务"}
    assert not [q for q in captured.captured_queries if '"accounts_unit"' in q["sql"]]
    org.township_a.name = "新名镇"
    org.township_a.short_name = ""
    org.township_a.save()
    assert matched("新名", among) == {"某任务"}
    assert matched("甲镇", among) == set()


def test_few_units_tabs_are_counted_exactly_in_one_query(org, monkeypatch):
    """GIVEN more matches in a tab than a keyword's cap WHEN the tabs of a county's items
    are counted THEN exactly, in one query; wider (not few) they stop at the keyword's
    cap, which is lower than the other filters'."""
    assert selectors.KEYWORD_TAB_COUNT_CAP < selectors.TAB_COUNT_CAP
    assert selectors.tab_count_cap({"q": "推进"}) == selectors.KEYWORD_TAB_COUNT_CAP
    assert selectors.tab_count_cap({"status": ["open"]}) == selectors.TAB_COUNT_CAP
    monkeypatch.setattr(selectors, "KEYWORD_TAB_COUNT_CAP", 2)
    ledger = county_matches(org, 5)
    make_item(ledger, org.county_a, title="推进已销号", status=ItemStatus.CANCELLED)
    among = [org.county_a.pk]
    items = keyword_filter(LedgerItem.objects.filter(unit__in=among), "推进", among=among)
    with CaptureQueriesContext(connection) as captured:
        tabs, exact = selectors.item_list_tab_counts(
            user=org.above, filters={"q": "推进"}, items=items, few=True
        )
    assert len(captured.captured_queries) == 1
    assert exact is True and tabs["set_aside"] == 1 and tabs["all"] == 6
    assert sum(tabs[tab] for tab in selectors.THREE_LISTS) == 6
    tabs, exact = selectors.item_list_tab_counts(
        user=org.above, filters={"q": "推进"}, items=items, few=False
    )
    assert exact is False and max(tabs[tab] for tab in selectors.THREE_LISTS) == 2


def test_the_page_counts_a_county_exactly_and_a_wider_scope_up_to_the_keyword_cap(
    client, org, monkeypatch
):
    """GIVEN five matching items in a county WHEN its liaison searches THEN the badges are
    exact; WHEN an office whose scope is not few units searches THEN they stop at the
    keyword's cap and read "2+" (the cap made 2 here)."""
    monkeypatch.setattr(selectors, "KEYWORD_TAB_COUNT_CAP", 2)
    county_matches(org, 5)
    client.force_login(org.inside)
    tabs = client.get("/ledgers/items/", {"q": "推进"}).context["tabs"]
    assert tabs[0]["count"] == 5 and not any(tab["more"] for tab in tabs)
    monkeypatch.setattr(keyset, "FEW_UNITS", 1)
    client.force_login(org.above)
    response = client.get("/ledgers/items/", {"q": "推进"})
    running = [tab for tab in response.context["tabs"] if tab["count"] == 2]
    assert running and all(tab["more"] for tab in running)
    assert "2+</span>" in response.content.decode()


def test_the_api_searches_a_countys_items_by_their_text(client, org):
    """GIVEN a county liaison WHEN the API lists items for a keyword THEN it finds them as
    the page does, testing the few units' text (strpos()), not the grams."""
    ledger = make_ledger(org.campaign)
    make_item(ledger, org.county_a, title="推进任务")
    make_item(ledger, org.county_a, title="别的任务")
    client.force_login(org.inside)
    with CaptureQueriesContext(connection) as captured:
        found = client.get("/api/v1/items/", {"q": "推进"}).json()["results"]
    assert [item["title"] for item in found] == ["推进任务"]
    keys = [q["sql"] for q in captured.captured_queries if '"k0"' in q["sql"]]
    assert keys and "STRPOS" in keys[0] and "@>" not in keys[0]


def test_unit_names_are_found_by_their_grams_index(org):
    """GIVEN units with names and short names WHEN a keyword is searched over every unit
    THEN the names are read through their grams' index (the query's expression is the
    index's), and match as LIKE would: in the name or the short name, in any case, never
    across the two."""
    ledger = make_ledger(org.campaign)
    make_item(ledger, org.county_a_dept, title="某任务")  # 甲县住房和城乡建设局 / 甲县住建局
    make_item(ledger, org.city_dept, title="另一任务")  # …发展和改革委员会 / 市发改委
    org.city_dept.short_name = "NDRC"
    org.city_dept.save()
    assert matched("住建") == {"某任务"}
    assert matched("ndrc") == matched("NdRc") == {"另一任务"}
    assert matched("局甲") == set()  # the end of one name and the start of the other
    assert matched("发改委") == set()  # the short name changed
    with CaptureQueriesContext(connection) as captured:
        matched("住建")
    units_sql = captured.captured_queries[0]["sql"]
    assert "tasks_ledger_bigrams" in units_sql and "LIKE" not in units_sql
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + units_sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "unit_name_grams_idx" in plan, plan


def test_a_wide_scopes_keyword_counts_are_planned_once_per_session(client, org, monkeypatch):
    """GIVEN an office whose scope is not a few units WHEN it searches a keyword twice THEN
    the second request counts the tabs by the statement the first prepared (no cursor is in
    it, so the same filters give the same statement), with the same badges."""
    monkeypatch.setattr(keyset, "FEW_UNITS", 1)
    county_matches(org, 3)
    client.force_login(org.above)
    first = client.get("/ledgers/items/", {"q": "推进"}).context["tabs"]
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/ledgers/items/", {"q": "推进"}).context["tabs"]
    assert again == first and first[0]["count"] == 3
    counting = [q["sql"] for q in captured.captured_queries if "three_list" in q["sql"]]
    assert len(counting) == 1 and counting[0].startswith("EXECUTE plan_"), counting
