"""A notice's whole course in a real browser (Chromium): a supervision group's member drafts
a reminder about an overdue item from the workspace and issues it on the notice's page; the
target unit's liaison, on a 390-pixel phone, finds it in the inbox, signs for it with one
tap and replies with an evidence file; the campaign office accepts the reply from its
workspace and the notice is closed (办结). 乙县's liaison sees nothing of it. Screenshots go
to ``test-artifacts/screenshots/notice-*.png``.

Data: the shared ``org`` tree with an item of 甲县 past its deadline; the clock reads 5 July
2022 (tick on).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import time_machine
from playwright.sync_api import Browser, Page, expect

from accountability.models import Notice, NoticeStatus
from tasks_ledger.models import LedgerItem
from tasks_ledger.tests.factories import make_item, make_ledger
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_phone import PDF, assert_fits, assert_tappable, log_in

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2022, 7, 5, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PHONE = {"width": 390, "height": 844}


@dataclass
class World:
    item: LedgerItem  # 甲县, due 30 June, overdue
    other: LedgerItem  # 乙县, overdue, not group A's


@pytest.fixture
def world(org, settings, tmp_path) -> Iterator[World]:
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(NOW, tick=True):
        ledger = make_ledger(org.campaign, title="2022年重点项目建设任务台账")
        item = make_item(
            ledger,
            org.county_a,
            title="城区污水管网改造工程",
            deadline=dt.date(2022, 6, 30),
            progress=40,
        )
        other = make_item(
            ledger, org.county_b, title="乙县供热管网改造", deadline=dt.date(2022, 6, 1)
        )
        yield World(item=item, other=other)


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A phone-sized tab: 390×844, touch, Chinese."""
    context = browser.new_context(
        viewport=PHONE, locale="zh-CN", timezone_id="Asia/Shanghai", is_mobile=True, has_touch=True
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    try:
        tab.wait_for_load_state("networkidle", timeout=5_000)
    finally:
        context.close()


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"notice-{name}.png"), full_page=True)


def draft_and_issue(page: Page, base: str, world: World) -> Notice:
    """The group's member drafts a reminder from the workspace's overdue items and issues
    it on the notice's page."""
    log_in(page, base, "supervisor")
    page.get_by_role("button", name=re.compile("督查督办")).click()
    page.locator(".dropdown-menu").get_by_role("link", name="督查督办工作台").click()
    expect(page.get_by_role("heading", name="督查督办工作台")).to_be_visible()
    page.get_by_role("link", name=re.compile("超期事项")).first.click()
    row = page.locator(f"[data-item='{world.item.pk}']")
    expect(row).to_contain_text("超期 5 天")
    expect(page.locator(f"[data-item='{world.other.pk}']")).to_have_count(0)
    snap(page, "workspace-items")
    row.get_by_role("link", name="起草通知").click()
    page.locator("textarea[name=facts]").fill("城区污水管网改造工程已超过完成时限，进度仅40%。")
    page.locator("textarea[name=requirements]").fill("请于7月15日前报送整改措施和佐证材料。")
    page.locator("input[name=reply_deadline]").fill("2022-07-15")
    page.get_by_role("button", name=re.compile("保存")).click()
    notice = Notice.objects.get(item=world.item)
    expect(page).to_have_url(re.compile(rf"/supervision/notices/{notice.pk}/$"))
    page.locator(f"form[action$='/notices/{notice.pk}/issue/'] button").click()
    expect(page.get_by_text("提示〔2022〕1号").first).to_be_visible()
    snap(page, "issued")
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.ISSUED
    return notice


def test_a_reminder_is_issued_signed_for_answered_and_closed(
    page: Page, phone: Page, browser: Browser, live_server, org, world: World
) -> None:
    """GIVEN an overdue item of 甲县 WHEN group A's member drafts and issues a reminder from
    the workspace THEN 甲县's liaison finds it in the inbox on a phone (no sideways
    scrolling), signs for it with one tap and replies with a PDF; WHEN the office accepts
    the reply from its workspace THEN the notice is closed (办结) and 乙县's liaison never
    sees it."""
    base = live_server.url
    notice = draft_and_issue(page, base, world)

    # The liaison on a phone: the home tile leads to the inbox; the card offers 签收.
    log_in(phone, base, "inside")
    phone.get_by_role("link", name=re.compile("本单位督办通知")).first.tap()
    expect(phone.get_by_role("heading", name="本单位督办通知")).to_be_visible()
    card = phone.locator(f"article[data-notice='{notice.pk}']")
    expect(card).to_contain_text("提示〔2022〕1号")
    expect(card).to_contain_text("城区污水管网改造工程")
    sign = card.get_by_role("button", name="签收")
    assert_tappable(sign)
    assert_fits(phone)
    snap(phone, "inbox-phone")
    sign.tap()
    phone.wait_for_url(re.compile(rf"/supervision/notices/{notice.pk}/"))
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SIGNED_FOR

    # Back in the inbox the card asks for the reply, which opens the page's reply form.
    phone.goto(f"{base}/supervision/inbox/")
    card = phone.locator(f"article[data-notice='{notice.pk}']")
    expect(card.get_by_role("button", name="签收")).to_have_count(0)
    card.get_by_role("link", name="反馈整改情况").tap()
    phone.wait_for_url(re.compile(r"#reply$"))
    phone.locator("textarea[name=text]").fill("管网主干已完工，支管7月底前完成，附现场照片。")
    phone.locator("input[name=evidence]").set_input_files(
        {"name": "整改佐证.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    assert_fits(phone)
    phone.locator(f"form[action$='/notices/{notice.pk}/reply/'] button[type=submit]").tap()
    expect(phone.get_by_role("link", name="整改佐证.pdf")).to_be_visible()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.REPLIED
    phone.goto(f"{base}/supervision/inbox/")
    expect(phone.locator("#waiting").locator(f"article[data-notice='{notice.pk}']")).to_be_visible()
    assert_fits(phone)
    snap(phone, "inbox-replied")

    # The office reviews the reply from its workspace and accepts it.
    office = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    office_page = office.new_page()
    try:
        log_in(office_page, base, "above")
        office_page.goto(f"{base}/supervision/?tab=review")
        row = office_page.locator(f"[data-notice='{notice.pk}']")
        expect(row).to_contain_text("管网主干已完工")
        row.get_by_role("link", name="审核反馈").click()
        accepted = f"/notices/{notice.pk}/accept/"
        # Wait for the decision's answer: "办结" may be on the page before it (a legend).
        with office_page.expect_response(
            lambda response: response.url.endswith(accepted) and response.request.method == "POST"
        ):
            office_page.locator(f"form[action$='{accepted}'] button").click()
        office_page.wait_for_load_state()
        expect(office_page.get_by_text(re.compile("办结")).first).to_be_visible()
        snap(office_page, "closed")
    finally:
        office.close()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED

    # The liaison's inbox folds it among the closed ones; 乙县's liaison sees none of it.
    phone.goto(f"{base}/supervision/inbox/")
    closed = phone.locator("#closed")
    expect(closed.locator(f"article[data-notice='{notice.pk}']")).to_be_hidden()
    closed.locator("summary").tap()
    expect(closed.locator(f"article[data-notice='{notice.pk}']")).to_be_visible()
    phone.context.clear_cookies()
    log_in(phone, base, "outsider")
    phone.goto(f"{base}/supervision/inbox/")
    expect(phone.locator("article[data-notice]")).to_have_count(0)
    assert "城区污水管网改造工程" not in phone.content()


def test_the_statistics_draw_their_charts(
    page: Page, phone: Page, live_server, org, world: World
) -> None:
    """GIVEN a reminder issued to 甲县 WHEN the office opens the statistics THEN ECharts
    (served by the app under its Content-Security-Policy) draws the three charts from the
    API, with the same figures as the table; on a phone 甲县's liaison sees the page fit."""
    from accountability import services

    notice = services.notice_draft(
        actor=org.above,
        campaign=org.campaign,
        kind="reminder",
        item=world.item,
        facts="滞后",
        requirements="整改",
        reply_deadline=dt.date(2022, 7, 15),
    )
    services.notice_issue(notice=notice, actor=org.above)  # today: 5 July (the world's clock)
    base = live_server.url
    log_in(page, base, "above")
    page.goto(f"{base}/supervision/stats/")
    expect(page.locator("#notice-charts")).to_have_attribute("data-loaded", "true")
    expect(page.locator("[data-chart] canvas")).to_have_count(3)
    expect(page.locator("[data-chart-error]")).to_be_hidden()
    expect(page.locator("[data-figure=reminder]")).to_have_text("1")
    snap(page, "stats")
    log_in(phone, base, "inside")
    phone.goto(f"{base}/supervision/stats/")
    expect(phone.locator("#notice-charts")).to_have_attribute("data-loaded", "true")
    assert_fits(phone)
