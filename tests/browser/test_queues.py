"""The office's queues in Chromium: the office ticks sign-offs, confirms and verifies them in
bulk at 1366×768; a county liaison reads its waiting requests on a 390-pixel phone.
Screenshots go to ``test-artifacts/screenshots/queues-*.png``.

Data: the shared ``org`` tree with more than a page of sign-offs and reports, written in bulk
by the factories. The clock reads 1 June 2022 (tick on).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from tasks_ledger.models import ItemStatus, LedgerItem, LedgerKind, SignOffRequest
from tasks_ledger.tests.factories import (
    make_items,
    make_ledger,
    pending_extensions,
    pending_reports,
    pending_signoffs,
    pending_status_changes,
)
from tests.browser.conftest import SCREENSHOTS

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2022, 6, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PASSWORD = "pass-1234"  # accounts.tests.factories.UserFactory
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def waiting(org, clock) -> list[SignOffRequest]:
    """30 sign-offs and 40 reports of 甲县 and 甲镇, a few extensions and a suspension."""
    tasks = make_ledger(org.campaign, title="2022年重点任务台账")
    problems = make_ledger(
        org.campaign, kind=LedgerKind.PROBLEM, title="作风问题整改清单", area="作风建设"
    )
    signoffs = pending_signoffs(
        make_items(tasks, org.county_a, 30, title="老旧小区改造提升第"), org.inside
    )
    pending_reports(
        make_items(problems, org.township_a, 40, title="农村人居环境整治问题"), org.inside
    )
    pending_extensions(
        make_items(tasks, org.county_a_dept, 3, title="城区污水管网改造工程"), org.inside
    )
    pending_status_changes(make_items(tasks, org.county_a, 1, title="产业园标准厂房"), org.inside)
    return signoffs


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the window (0: no sideways scrolling)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_office_verifies_ticked_sign_offs_after_confirming(
    page: Page, live_server, shot: Callable[..., Path], waiting: list[SignOffRequest]
) -> None:
    """GIVEN 30 sign-offs waiting WHEN the office ticks three, asks to verify them and
    confirms on the page that lists them THEN the three are signed off, the message says 3,
    and the tab counts 27."""
    base = live_server.url
    log_in(page, base, "above")
    page.goto(f"{base}/ledgers/queues/?queue=signoff", wait_until="load")
    tabs = page.get_by_role("navigation", name="待办列表")
    expect(tabs.get_by_role("link", name=re.compile("销号申请"))).to_contain_text("30")
    expect(tabs.get_by_role("link", name=re.compile("待审核的进展报送"))).to_contain_text("40")
    rows = page.locator("table.app-queue tbody tr")
    expect(rows).to_have_count(25)
    assert overflow(page) <= 0
    shot("queues-office", full_page=False)

    bulk = page.locator("[data-bulk-submit]")
    expect(bulk).to_be_disabled()  # nothing ticked yet
    for index in range(3):
        rows.nth(index).locator("input[name=select]").check()
    expect(bulk).to_be_enabled()
    expect(bulk.locator("[data-bulk-count]")).to_have_text("3")
    picked = [rows.nth(index).locator("td a").first.inner_text() for index in range(3)]
    with page.expect_navigation(wait_until="load"):
        bulk.click()
    expect(page.get_by_text("核验销号：3 项，见下表。")).to_be_visible()
    for title in picked:
        expect(page.get_by_role("link", name=title.strip())).to_be_visible()
    assert not SignOffRequest.objects.exclude(status="pending").exists()  # nothing yet
    shot("queues-office-confirm")

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="确认核验销号 3 项").click()
    expect(page.get_by_text("核验销号：已完成 3 项。")).to_be_visible()
    expect(tabs.get_by_role("link", name=re.compile("销号申请"))).to_contain_text("27")
    assert LedgerItem.objects.filter(status=ItemStatus.SIGNED_OFF).count() == 3

    # One row at a time asks first too: the button opens what verifying does.
    row = page.locator("table.app-queue tbody tr").first
    row.get_by_text("核验销号…").click()
    expect(row.get_by_text("核验后事项即销号")).to_be_visible()
    shot("queues-office-confirm-one", full_page=False)
    with page.expect_navigation(wait_until="load"):
        row.get_by_role("button", name="确认核验").click()
    expect(page.get_by_text("已核验，事项已销号。")).to_be_visible()
    assert LedgerItem.objects.filter(status=ItemStatus.SIGNED_OFF).count() == 4

    # The select-all box ticks the page.
    page.locator("input[data-select-all]").check()
    expect(page.locator("[data-bulk-count]")).to_have_text("25")

    # A filter redraws the tabs and the table in place (htmx), counts included.
    page.evaluate("window.__marker = 'same page'")
    page.get_by_label("单位（含下级）").select_option(label="\u3000\u3000甲镇")
    expect(tabs.get_by_role("link", name=re.compile("销号申请"))).to_contain_text("0")
    expect(tabs.get_by_role("link", name=re.compile("待审核的进展报送"))).to_contain_text("40")
    expect(page).to_have_url(re.compile(r"unit=\d+"))
    assert page.evaluate("window.__marker") == "same page"

    # The other queues; extensions show both deadlines with their year.
    for queue in ("extension", "status", "progress"):
        page.goto(f"{base}/ledgers/queues/?queue={queue}", wait_until="load")
        assert overflow(page) <= 0
        if queue == "extension":
            expect(page.get_by_text("2022-09-30 → 2022-11-30").first).to_be_visible()
        shot(f"queues-office-{queue}", full_page=False)


def test_liaison_reads_the_queues_on_a_phone(
    browser: Browser, live_server, waiting: list[SignOffRequest]
) -> None:
    """GIVEN a county liaison on a 390-pixel phone WHEN they open the queues THEN they see
    their requests waiting with no decision buttons, and the page does not scroll sideways."""
    base = live_server.url
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, base, "inside")
        page.goto(f"{base}/ledgers/queues/", wait_until="load")
        expect(page.get_by_role("heading", name="待办审核")).to_be_visible()
        expect(page.locator("table.app-queue tbody tr").first).to_contain_text("等待核验")
        expect(page.locator("[data-bulk-submit]")).to_have_count(0)
        assert overflow(page) <= 0
        page.screenshot(path=str(SCREENSHOTS / "queues-liaison-phone.png"), full_page=False)
        page.screenshot(path=str(SCREENSHOTS / "queues-liaison-phone-full.png"), full_page=True)
        page.goto(f"{base}/ledgers/queues/?queue=progress", wait_until="load")
        assert overflow(page) <= 0
        page.screenshot(path=str(SCREENSHOTS / "queues-liaison-phone-reports.png"), full_page=True)
        page.locator(".app-queue-pages").scroll_into_view_if_needed()
        page.screenshot(path=str(SCREENSHOTS / "queues-liaison-phone-pages.png"), full_page=False)
        page.wait_for_load_state("networkidle", timeout=5_000)
    finally:
        context.close()
