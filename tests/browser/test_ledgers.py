"""Ledger pages in Chromium at 1366×768: the in-row progress update (no page load), the
conflict message when two pages update the same item, the battle map and the item page
with evidence, sign-off and the office's verification. Screenshots go to
``test-artifacts/screenshots/ledger-*.png``.

Data: the shared ``org`` tree with three ledgers built through the services. The clock
reads 1 June 2022 (tick on), so lights and days left are the same on every run.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Browser, Locator, Page, expect

from campaign.tests.builders import add_chain
from tasks_ledger.models import ItemStatus, LedgerItem, LedgerKind, SignOffRequest
from tasks_ledger.services import MilestoneSpec, ledger_item_create
from tasks_ledger.tests.factories import make_item, make_ledger
from tests.browser.conftest import SCREENSHOTS, VIEWPORT

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2022, 6, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PASSWORD = "pass-1234"  # accounts.tests.factories.UserFactory
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass
class Ledgers:
    """The items the tests act on."""

    org: object
    sewer: LedgerItem  # 甲县, red
    estate: LedgerItem  # 甲县, green, in progress
    window: LedgerItem  # 甲县住建局, yellow


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def ledgers(org, clock, settings, tmp_path) -> Ledgers:
    """Three ledgers in three areas with items of every light across the city's units."""
    settings.MEDIA_ROOT = str(tmp_path)
    chain = add_chain(
        subject="城区污水管网改造",
        unit=org.county_a,
        lead=org.county_a_dept,
        campaign=org.campaign,
        cooperating=(org.township_a,),
    )
    tasks = make_ledger(org.campaign, title="2022年重点任务台账", area="项目建设")
    problems = make_ledger(
        org.campaign, kind=LedgerKind.PROBLEM, title="作风问题整改清单", area="作风建设"
    )
    projects = make_ledger(
        org.campaign, kind=LedgerKind.KEY_PROJECT, title="重点项目推进台账", area="重点项目"
    )
    sewer = ledger_item_create(
        actor=None,
        ledger=tasks,
        unit=org.county_a,
        title="城区污水管网改造工程",
        start_date=dt.date(2022, 3, 1),
        deadline=dt.date(2022, 5, 25),
        chain=chain,
        measures="分三段施工，雨季前完成主干管",
        milestones=[
            MilestoneSpec("完成施工图设计", dt.date(2022, 3, 31)),
            MilestoneSpec("主干管铺设", dt.date(2022, 5, 15)),
        ],
        progress=60,
        status=ItemStatus.IN_PROGRESS,
        latest_report="主干管完成约六成",
    )
    estate = make_item(
        tasks,
        org.county_a,
        title="老旧小区改造提升（12个小区）",
        start=dt.date(2022, 4, 1),
        deadline=dt.date(2022, 11, 30),
        progress=30,
        status=ItemStatus.IN_PROGRESS,
        chain=chain,
        latest_report="已完成4个小区外立面改造",
    )
    make_item(
        tasks,
        org.township_a,
        title="甲镇农村人居环境整治",
        start=dt.date(2022, 3, 1),
        deadline=dt.date(2022, 8, 31),
        progress=10,
    )
    make_item(tasks, org.county_b, title="乙县国省道养护提升", deadline=dt.date(2022, 7, 31))
    make_item(tasks, org.city_dept, title="全市重大项目谋划储备", deadline=dt.date(2022, 12, 31))
    window = make_item(
        problems,
        org.county_a_dept,
        title="审批窗口推诿扯皮问题整改",
        start=dt.date(2022, 5, 1),
        deadline=dt.date(2022, 6, 3),
        symptom="群众办理施工许可多头跑、反复跑",
        rectification="推行一窗受理、限时办结",
        progress=80,
        status=ItemStatus.IN_PROGRESS,
    )
    make_item(
        problems,
        org.county_b,
        title="乙县窗口服务态度生硬",
        start=dt.date(2022, 5, 1),
        deadline=dt.date(2022, 5, 20),
    )
    make_item(
        projects,
        org.county_a,
        title="甲县产业园标准厂房建设",
        start=dt.date(2022, 2, 1),
        deadline=dt.date(2022, 12, 31),
        planned_investment=12000,
        funds_in_place=9000,
        investment_completed=4200,
        planned_start=dt.date(2022, 3, 1),
        actual_start=dt.date(2022, 3, 15),
        planned_completion=dt.date(2022, 12, 31),
        progress=35,
        status=ItemStatus.IN_PROGRESS,
    )
    return Ledgers(org=org, sewer=sewer, estate=estate, window=window)


def log_in(page: Page, base: str, username: str) -> None:
    """Log in through the real form and land on the home page."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"


def open_page(page: Page, url: str) -> None:
    """Load a page and wait until its scripts have run."""
    page.goto(url, wait_until="load")
    assert page.evaluate("typeof window.htmx") == "object"


def assert_fits(page: Page) -> None:
    """No horizontal scroll bar at 1366 pixels."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


def row_of(page: Page, item: LedgerItem) -> Locator:
    return page.locator(f"tbody#item-{item.pk}")


def progress_of(item: LedgerItem) -> int:
    return LedgerItem.objects.get(pk=item.pk).progress


def pending_of(item: LedgerItem) -> int | None:
    """The reported figure waiting for the office's review."""
    return LedgerItem.objects.get(pk=item.pk).pending_progress


def test_in_row_update_without_a_page_load(
    page: Page, live_server, shot: Callable[..., Path], ledgers: Ledgers
) -> None:
    """GIVEN the county liaison on My ledgers WHEN they open a row's form, type 75% and what
    was done and save THEN the row alone is redrawn, saying 75% is reported and waits for
    review while the bar keeps the accepted figure, and the page was not reloaded."""
    base = live_server.url
    log_in(page, base, "inside")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="工作台账").click()
    page.wait_for_url(f"{base}/ledgers/items/")
    expect(page.get_by_role("heading", name="我的台账")).to_be_visible()
    expect(page.locator(".app-light-red").first).to_be_visible()
    assert_fits(page)
    shot("ledger-list", full_page=False)
    shot("ledger-list-full")

    page.evaluate("window.__marker = 'same page'")
    row = row_of(page, ledgers.estate)
    row.get_by_role("button", name="更新进度").click()
    percent = row.locator("input[name=percent]")
    expect(percent).to_be_focused()
    percent.fill("75")
    row.locator("input[name=text]").fill("又完成5个小区管网和外立面改造")
    shot("ledger-row-form", full_page=False)
    row.get_by_role("button", name="保存进度").click()

    accepted = progress_of(ledgers.estate)
    row = row_of(page, ledgers.estate)
    expect(row.get_by_text("已提交审核")).to_be_visible()
    expect(row.get_by_text("已报 75%，待审核")).to_be_visible()
    expect(row.locator(".progress")).to_have_attribute("aria-valuenow", str(accepted))
    assert page.evaluate("window.__marker") == "same page"  # swapped in place, no reload
    assert (progress_of(ledgers.estate), pending_of(ledgers.estate)) == (accepted, 75)
    shot("ledger-row-saved", full_page=False)

    # A mistake is said in the row, in Chinese, and the input stays.
    row.get_by_role("button", name="更新进度").click()
    row.locator("input[name=percent]").fill("80")
    row.locator("input[name=text]").fill("   ")
    row.get_by_role("button", name="保存进度").click()
    expect(row_of(page, ledgers.estate).get_by_text("请填写进展情况")).to_be_visible()
    assert pending_of(ledgers.estate) == 75


def test_conflict_between_two_pages(
    page: Page, live_server, shot: Callable[..., Path], ledgers: Ledgers
) -> None:
    """GIVEN the list open in two pages WHEN one page reports 70% and the other then 40% on
    the same item THEN the second is told who changed what, the 70% report stands, and its
    own input is kept to send again."""
    base = live_server.url
    log_in(page, base, "inside")
    first, second = page.context.new_page(), page
    try:
        open_page(second, f"{base}/ledgers/items/")
        open_page(first, f"{base}/ledgers/items/")

        row = row_of(first, ledgers.sewer)
        row.get_by_role("button", name="更新进度").click()
        row.locator("input[name=percent]").fill("70")
        row.locator("input[name=text]").fill("主干管完成七成，支管开工")
        row.get_by_role("button", name="保存进度").click()
        expect(row_of(first, ledgers.sewer).get_by_text("已提交审核")).to_be_visible()

        row = row_of(second, ledgers.sewer)
        row.get_by_role("button", name="更新进度").click()
        row.locator("input[name=percent]").fill("40")
        row.locator("input[name=text]").fill("按旧页面填写的进展")
        row.get_by_role("button", name="保存进度").click()

        row = row_of(second, ledgers.sewer)
        alert = row.get_by_role("alert")
        expect(alert).to_contain_text("修改了该事项")
        expect(alert).to_contain_text("甲县联络员")
        expect(alert).to_contain_text("您的内容未保存")
        expect(alert.locator("ins", has_text="70%")).to_be_visible()
        expect(row.get_by_text("已报 70%，待审核")).to_be_visible()
        expect(row.locator(".progress")).to_have_attribute("aria-valuenow", "60")
        expect(row.locator("input[name=percent]")).to_have_value("40")
        expect(row.locator("input[name=text]")).to_have_value("按旧页面填写的进展")
        assert (progress_of(ledgers.sewer), pending_of(ledgers.sewer)) == (60, 70)
        assert_fits(second)
        shot("ledger-conflict", full_page=False)

        # Sending again now applies on top of the current version.
        row.locator("input[name=percent]").fill("75")
        row.get_by_role("button", name="重新提交").click()
        expect(row_of(second, ledgers.sewer).get_by_text("已提交审核")).to_be_visible()
        assert pending_of(ledgers.sewer) == 75
    finally:
        first.wait_for_load_state("networkidle", timeout=5_000)
        first.close()


def test_battle_map_clicks_through_to_the_items(
    page: Page, live_server, shot: Callable[..., Path], ledgers: Ledgers
) -> None:
    """GIVEN the city's campaign office WHEN it opens the battle map THEN units × areas show
    their worst light with counts, and a cell opens exactly its items."""
    base = live_server.url
    log_in(page, base, "above")
    open_page(page, f"{base}/ledgers/map/")
    expect(page.get_by_role("heading", name="挂图作战")).to_be_visible()
    table = page.locator("table.app-map")
    expect(table.get_by_role("columnheader", name="项目建设", exact=True)).to_be_visible()
    expect(table.get_by_role("columnheader", name="作风建设")).to_be_visible()
    expect(table.get_by_role("columnheader", name="重点项目")).to_be_visible()
    first_cell = table.locator("td.app-map-cell", has=page.locator('a[title="甲县 · 项目建设"]'))
    expect(first_cell).to_have_class(re.compile("app-map-red"))
    expect(first_cell).to_contain_text("红1")
    expect(first_cell).to_contain_text("绿1")
    assert_fits(page)
    shot("ledger-map")

    # A unit's row sums its whole subtree: 甲县's cell opens 甲县's items and 甲镇's under it.
    with page.expect_navigation(wait_until="load"):
        first_cell.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/ledgers/items/\?unit=\d+&area=\d+"))
    rows = page.locator("table.app-items > tbody.app-item")
    expect(rows).to_have_count(3)
    expect(page.get_by_text("城区污水管网改造工程")).to_be_visible()
    expect(page.get_by_text("甲镇农村人居环境整治")).to_be_visible()  # a unit under 甲县

    # 甲县's own map has a row of its own items: that cell opens 甲县's items alone.
    open_page(page, f"{base}/ledgers/map/?unit={ledgers.org.county_a.pk}")
    own_cell = page.locator(
        "table.app-map td.app-map-cell", has=page.locator('a[title="甲县 · 项目建设"]')
    )
    expect(own_cell.get_by_role("link")).to_have_attribute("href", re.compile("unit_only="))
    with page.expect_navigation(wait_until="load"):
        own_cell.get_by_role("link").click()
    expect(page).to_have_url(re.compile(r"/ledgers/items/\?unit_only=\d+&area=\d+"))
    expect(rows).to_have_count(2)
    expect(page.get_by_text("城区污水管网改造工程")).to_be_visible()
    expect(page.get_by_text("甲镇农村人居环境整治")).to_have_count(0)
    expect(page.get_by_text("仅甲县本级，不含下级单位")).to_be_visible()
    shot("ledger-map-cell", full_page=False)


def test_item_page_evidence_sign_off_and_verification(
    browser: Browser, page: Page, live_server, shot: Callable[..., Path], ledgers: Ledgers
) -> None:
    """GIVEN the liaison on an item page WHEN they report 100% with a file and ask for
    sign-off with evidence THEN the office finds the request in its queue and verifies it,
    and the item is signed off."""
    base = live_server.url
    item = ledgers.window
    log_in(page, base, "inside")
    open_page(page, f"{base}/ledgers/items/{item.pk}/")
    expect(page.get_by_role("heading", name="审批窗口推诿扯皮问题整改")).to_be_visible()
    expect(page.get_by_text("群众办理施工许可多头跑、反复跑")).to_be_visible()
    expect(page.get_by_text("剩 2 天").first).to_be_visible()
    assert_fits(page)
    shot("ledger-item")

    form = page.locator("#report form")
    form.locator("input[name=percent]").fill("100")
    form.locator("textarea[name=text]").fill("一窗受理全面运行，办结时限压缩一半")
    form.locator("input[type=file]").set_input_files(
        [{"name": "窗口运行台账.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    with page.expect_navigation(wait_until="load"):
        form.get_by_role("button", name="保存进度").click()
    expect(page.get_by_text("已报送进度：100%。经能力作风办审核通过后生效。")).to_be_visible()
    timeline = page.locator("#timeline")
    expect(timeline.get_by_text("一窗受理全面运行，办结时限压缩一半")).to_be_visible()
    expect(timeline.get_by_role("link", name="窗口运行台账.pdf")).to_be_visible()

    signoff = page.locator("#signoff form")
    signoff.locator("textarea[name=note]").fill("整改全部完成，群众满意度回访98%")
    signoff.locator("input[type=file]").set_input_files(
        [{"name": "整改验收表.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    with page.expect_navigation(wait_until="load"):
        signoff.get_by_role("button", name="申请销号").click()
    expect(page.get_by_text("已申请销号，等待核验。")).to_be_visible()
    expect(page.locator("#signoff").get_by_text("等待核验")).to_be_visible()
    shot("ledger-item-signoff-requested")

    office = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
    office.set_default_timeout(10_000)
    tab = office.new_page()
    try:
        log_in(tab, base, "above")
        open_page(tab, f"{base}/ledgers/queues/")
        queue = tab.locator("section", has=tab.get_by_role("heading", name="销号申请"))
        expect(queue.get_by_text("整改全部完成，群众满意度回访98%")).to_be_visible()
        assert_fits(tab)
        tab.screenshot(path=str(SCREENSHOTS / "ledger-queues.png"), full_page=True)
        # Verifying asks first: the button opens what it does and the confirming button.
        queue.get_by_text("核验销号…", exact=True).click()
        with tab.expect_navigation(wait_until="load"):
            queue.get_by_role("button", name="确认核验").click()
        expect(tab.get_by_text("已核验，事项已销号。")).to_be_visible()
        tab.wait_for_load_state("networkidle", timeout=5_000)
    finally:
        office.close()
    assert LedgerItem.objects.get(pk=item.pk).status == ItemStatus.SIGNED_OFF
    assert SignOffRequest.objects.get(item=item).decided_by == ledgers.org.above

    open_page(page, f"{base}/ledgers/items/{item.pk}/")
    expect(page.get_by_text("已由 市能力作风办")).to_be_visible()
    shot("ledger-item-signed-off")


# --- the demo city ------------------------------------------------------------------------------

DEMO_DAY = dt.datetime(2022, 7, 18, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def demo(transactional_db: None) -> Iterator[object]:
    """The demo city with its 20 ledgers, seen on the day of its snapshot (built once per
    process, then restored from a copy of its rows: tests/demo_snapshot.py)."""
    from tests.demo_snapshot import demo_city

    with demo_city(DEMO_DAY) as built:
        yield built


def demo_log_in(page: Page, base: str, username: str) -> None:
    from accounts.demo import DEFAULT_DEMO_PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEFAULT_DEMO_PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_demo_city_ledgers(
    browser: Browser, page: Page, live_server, shot: Callable[..., Path], demo
) -> None:
    """GIVEN the demo city on 18 July 2022 WHEN the county liaison looks for red items and
    the office opens the map, its queues, the ledger index and a meeting THEN every page
    reads well at 1366×768 with real amounts of data."""
    base = live_server.url
    with time_machine.travel(DEMO_DAY, tick=True):
        demo_log_in(page, base, "county_liaison")
        expect(page.get_by_role("heading", name="台账事项红黄绿灯")).to_be_visible()
        shot("ledger-demo-home-liaison", full_page=False)
        open_page(page, f"{base}/ledgers/items/")
        page.evaluate("window.__marker = 'same page'")
        page.locator("label[for=f-light-red]").click()  # htmx: the results only
        expect(page).to_have_url(re.compile(r"light=red"))
        expect(page.locator("table.app-items > tbody.app-item").first).to_be_visible()
        for badge in page.locator("table.app-items .app-light").all():
            expect(badge).to_have_text("红灯")
        assert page.evaluate("window.__marker") == "same page"
        assert_fits(page)
        shot("ledger-demo-liaison-red", full_page=False)

        office = browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        office.set_default_timeout(15_000)
        tab = office.new_page()
        try:
            demo_log_in(tab, base, "office")
            for name, url in (
                ("ledger-demo-office-list", "/ledgers/items/"),
                ("ledger-demo-map", "/ledgers/map/"),
                ("ledger-demo-queues", "/ledgers/queues/"),
                ("ledger-demo-index", "/ledgers/"),
                ("ledger-demo-meetings", "/ledgers/meetings/"),
            ):
                open_page(tab, f"{base}{url}")
                assert_fits(tab)
                tab.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
            with tab.expect_navigation(wait_until="load"):
                tab.locator("table a[href*='/ledgers/meetings/']").first.click()
            expect(tab.get_by_role("heading", name="议定事项")).to_be_visible()
            assert_fits(tab)
            tab.screenshot(path=str(SCREENSHOTS / "ledger-demo-meeting.png"), full_page=True)
            open_page(tab, f"{base}/ledgers/meetings/new/")
            tab.get_by_role("button", name="添加议定事项").click()
            expect(tab.locator(".app-decision-row")).to_have_count(2)
            assert_fits(tab)
            tab.screenshot(path=str(SCREENSHOTS / "ledger-demo-meeting-form.png"), full_page=True)
            tab.wait_for_load_state("networkidle", timeout=5_000)
        finally:
            office.close()
