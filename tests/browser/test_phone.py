"""The liaison's pages on a 390×844 phone (is_mobile, has_touch) in Chromium: home, my items
with the in-row update, the item page and the queues, as a county liaison, a township
liaison and the campaign office. Every page is checked for sideways scrolling and for text
squeezed into a column a couple of characters wide, and the key actions are tapped: a
progress update from an item card (htmx, no page load), a sign-off request from the item
page, the office's bulk verification and a returned report in the queues. At 1366 pixels
the same pages keep their tables. Screenshots go to ``test-artifacts/screenshots/phone-*.png``.

Data: the shared ``org`` tree with two ledgers built through the services, a township
liaison, and requests waiting in every queue. The clock reads 1 June 2022 (tick on).
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

from accounts.models import Post, User
from accounts.tests.factories import MembershipFactory, UserFactory
from campaign.tests.builders import add_chain
from tasks_ledger.models import (
    ItemStatus,
    LedgerItem,
    LedgerKind,
    ProgressReport,
    ReviewStatus,
    SignOffRequest,
)
from tasks_ledger.services import ledger_item_create
from tasks_ledger.tests.factories import (
    make_item,
    make_items,
    make_ledger,
    pending_extensions,
    pending_reports,
    pending_signoffs,
)
from tests.browser.conftest import SCREENSHOTS, VIEWPORT

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2022, 6, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PASSWORD = "pass-1234"  # accounts.tests.factories.UserFactory
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PHONE = {"width": 390, "height": 844}
LANDSCAPE = {"width": 844, "height": 390}
#: The smallest height of a button a thumb is expected to hit (Bootstrap's normal button).
TAP = 38


@dataclass
class World:
    """The items and people the tests act on."""

    campaign: str  # its name
    township: User  # 甲镇联络员
    sewer: LedgerItem  # 甲县, red, the earliest deadline
    estate: LedgerItem  # 甲县, green, in progress
    window: LedgerItem  # 甲县住建局, yellow
    village: LedgerItem  # 甲镇, long title


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def world(org, clock, settings, tmp_path) -> World:
    """Items of every light for 甲县 and 甲镇 with long titles, and requests waiting in the
    queues: sign-offs of 甲县, reports of 甲镇 and an extension."""
    settings.MEDIA_ROOT = str(tmp_path)
    township = UserFactory(username="township", name="甲镇联络员")
    MembershipFactory(user=township, unit=org.township_a, post=Post.LIAISON)
    chain = add_chain(
        subject="城区污水管网改造",
        unit=org.county_a,
        lead=org.county_a_dept,
        campaign=org.campaign,
        cooperating=(org.township_a,),
    )
    tasks = make_ledger(org.campaign, title="2022年城市更新和重点项目建设任务台账")
    problems = make_ledger(
        org.campaign, kind=LedgerKind.PROBLEM, title="作风问题整改清单", area="作风建设"
    )
    sewer = ledger_item_create(
        actor=None,
        ledger=tasks,
        unit=org.county_a,
        title="城区污水管网改造工程（含雨污分流改造和老旧管网更新）",
        start_date=dt.date(2022, 3, 1),
        deadline=dt.date(2022, 5, 25),
        chain=chain,
        progress=60,
        status=ItemStatus.IN_PROGRESS,
        latest_report="主干管完成约六成，支管正在进行施工图设计和招标准备工作",
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
    village = make_item(
        tasks,
        org.township_a,
        title="甲镇农村人居环境整治提升暨“厕所革命”问题整改（第二批次）",
        deadline=dt.date(2022, 8, 31),
        progress=10,
        status=ItemStatus.IN_PROGRESS,
    )
    pending_signoffs(make_items(tasks, org.county_a, 4, title="背街小巷硬化亮化工程第"), org.inside)
    pending_reports(make_items(problems, org.township_a, 3, title="农村道路出行难问题"), township)
    pending_extensions(
        make_items(tasks, org.county_a_dept, 1, title="城区供热管网改造"), org.inside
    )
    return World(
        campaign=org.campaign.name,
        township=township,
        sewer=sewer,
        estate=estate,
        window=window,
        village=village,
    )


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    """A fresh phone-sized tab: 390×844, a touch screen, a Chinese locale."""
    context = browser.new_context(
        viewport=PHONE,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    yield tab
    try:
        tab.wait_for_load_state("networkidle", timeout=5_000)
    finally:
        context.close()


def snap(page: Page, name: str, *, full_page: bool = True) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"phone-{name}.png"), full_page=full_page)


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def open_page(page: Page, url: str) -> None:
    page.goto(url, wait_until="load")
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"


# Text squeezed into a narrow column: a visible text of six or more characters broken over
# three or more lines none of which is wider than three and a half characters.
SQUEEZED_JS = """() => {
  const found = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent.trim();
    if (text.length < 6 || !node.parentElement || !node.parentElement.checkVisibility()) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const lines = [...range.getClientRects()].filter((r) => r.width > 0);
    if (lines.length < 3) continue;
    const size = parseFloat(getComputedStyle(node.parentElement).fontSize);
    if (Math.max(...lines.map((r) => r.width)) < 3.5 * size) found.push(text.slice(0, 30));
  }
  return found;
}"""


def assert_fits(page: Page, width: int = PHONE["width"]) -> None:
    """No sideways scrolling, and no text wrapping every couple of characters."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll}px wide in a {width}px window"
    squeezed = page.evaluate(SQUEEZED_JS)
    assert not squeezed, f"text squeezed into a narrow column: {squeezed}"


def assert_tappable(control: Locator) -> None:
    """The control lies inside the window's width and is tall enough for a thumb."""
    expect(control).to_be_visible()
    box = control.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    assert box["height"] >= TAP, f"{box['height']}px high"


def label_of(cell: Locator) -> str:
    """The column's name a card shows before a value (its ``::before``)."""
    return str(cell.evaluate("el => getComputedStyle(el, '::before').content")).strip('"')


def card_of(page: Page, item: LedgerItem) -> Locator:
    return page.locator(f"tbody#item-{item.pk}")


def test_county_liaison_updates_progress_from_a_card(
    phone: Page, live_server, world: World
) -> None:
    """GIVEN the county liaison on a phone WHEN they open home and My ledgers THEN neither
    scrolls sideways, the campaign name reads on one or two lines, each item is a card with
    its light, status, deadline and an update button; WHEN they tap the button, type 75% and
    save THEN the card alone is redrawn (htmx) saying 75% waits for review."""
    page, base = phone, live_server.url
    log_in(page, base, "inside")
    expect(page.get_by_role("heading", name="台账事项红黄绿灯")).to_be_visible()
    campaign = page.get_by_role("link", name=world.campaign)
    expect(campaign).to_be_visible()
    assert_fits(page)
    snap(page, "home-county-liaison")

    # A light tile opens the list with that filter set, and shows it.
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name=re.compile("红灯：已超期")).tap()
    expect(page).to_have_url(re.compile(r"light=red"))
    expect(page.locator("label[for=f-light-red]")).to_be_visible()
    expect(page.locator("table.app-items > tbody.app-item")).to_have_count(1)

    open_page(page, f"{base}/ledgers/items/")
    expect(page.get_by_role("heading", name="我的台账")).to_be_visible()
    expect(page.locator("table.app-items > thead")).to_be_hidden()
    card = card_of(page, world.sewer)
    expect(card.get_by_text("红灯")).to_be_visible()
    deadline, unit = card.locator("td.app-col-deadline"), card.locator("td.app-col-unit")
    expect(deadline).to_have_text(re.compile(r"2022-05-25\s*超期 7 天"))
    expect(unit).to_have_text("甲县")
    assert (label_of(deadline), label_of(unit)) == ("完成时限：", "责任单位：")
    assert_fits(page)
    snap(page, "items-county-liaison", full_page=False)
    snap(page, "items-county-liaison-full")

    # The filters other than the keyword fold behind a button, so cards show at once.
    expect(page.get_by_label("工作领域")).to_be_hidden()
    assert card_of(page, world.sewer).bounding_box()["y"] < PHONE["height"]  # type: ignore[index]
    page.get_by_role("button", name="筛选").tap()
    expect(page.get_by_label("工作领域")).to_be_visible()
    expect(page.locator("label[for=f-light-red]")).to_be_visible()
    expect(page.locator("#f-more")).to_have_class(re.compile(r"\bcollapse show\b"))  # settled
    assert_fits(page)
    snap(page, "items-filters-open", full_page=False)
    page.get_by_role("button", name="筛选").tap()
    expect(page.get_by_label("工作领域")).to_be_hidden()

    page.evaluate("window.__marker = 'same page'")
    card = card_of(page, world.estate)
    button = card.get_by_role("button", name="更新进度")
    assert_tappable(button)
    button.tap()
    percent = card.locator("input[name=percent]")
    expect(percent).to_be_visible()
    percent.fill("75")
    card.locator("input[name=text]").fill("又完成5个小区管网和外立面改造")
    save = card.get_by_role("button", name="保存进度")
    assert_tappable(save)
    assert_fits(page)
    card.scroll_into_view_if_needed()
    snap(page, "items-card-form", full_page=False)
    save.tap()

    card = card_of(page, world.estate)
    expect(card.get_by_text("已提交审核")).to_be_visible()
    expect(card.get_by_text("已报 75%，待审核")).to_be_visible()
    expect(card.locator(".progress")).to_have_attribute("aria-valuenow", "30")
    assert page.evaluate("window.__marker") == "same page"  # swapped in place, no reload
    assert LedgerItem.objects.get(pk=world.estate.pk).pending_progress == 75
    assert_fits(page)
    snap(page, "items-card-saved", full_page=False)

    # No column headers to sort by: the sort menu orders the cards.
    page.get_by_role("button", name="排序").tap()
    page.get_by_role("link", name="完成时限最早的在前").tap()
    expect(page).to_have_url(re.compile(r"ordering=deadline"))
    expect(page.locator("table.app-items > tbody.app-item").first).to_have_id(
        f"item-{world.sewer.pk}"
    )
    assert page.evaluate("window.__marker") == "same page"  # htmx again

    # Held sideways (844×390) the cards stay, with the update button in the window.
    page.set_viewport_size(LANDSCAPE)
    open_page(page, f"{base}/ledgers/items/")
    button = card_of(page, world.sewer).get_by_role("button", name="更新进度")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box is not None and box["x"] + box["width"] <= LANDSCAPE["width"], box
    assert_fits(page, LANDSCAPE["width"])
    snap(page, "items-landscape", full_page=False)


def test_county_liaison_requests_sign_off_from_the_item_page(
    phone: Page, live_server, world: World
) -> None:
    """GIVEN the county liaison on an item page on a phone THEN the page fits and buttons
    under the title lead to the forms at its foot; WHEN they tap 申请销号 and send the note
    with a file THEN the request waits for verification, and their queue shows it."""
    page, base = phone, live_server.url
    item = world.window
    log_in(page, base, "inside")
    open_page(page, f"{base}/ledgers/items/{item.pk}/")
    expect(page.get_by_role("heading", name="审批窗口推诿扯皮问题整改")).to_be_visible()
    jump = page.get_by_role("navigation", name="操作")
    for name in ("报送进展", "申请销号", "申请延期"):
        assert_tappable(jump.get_by_role("link", name=name))
    assert_fits(page)
    snap(page, "item-county-liaison", full_page=False)
    snap(page, "item-county-liaison-full")

    jump.get_by_role("link", name="申请销号").tap()
    expect(page).to_have_url(re.compile(r"#signoff$"))
    form = page.locator("#signoff form")
    note = form.locator("textarea[name=note]")
    expect(note).to_be_in_viewport()
    note.fill("整改全部完成，群众满意度回访98%")
    form.locator("input[type=file]").set_input_files(
        [{"name": "整改验收表.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    send = form.get_by_role("button", name="申请销号")
    assert_tappable(send)
    with page.expect_navigation(wait_until="load"):
        send.tap()
    expect(page.get_by_text("已申请销号，等待核验。")).to_be_visible()
    assert SignOffRequest.objects.filter(item=item, status="pending").exists()
    assert_fits(page)

    # The history opens inside the page's width.
    page.locator("#history-heading").tap()
    expect(page.locator("#history-heading").locator("xpath=ancestor::details")).to_have_attribute(
        "open", ""
    )
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    open_page(page, f"{base}/ledgers/queues/?queue=signoff")
    expect(page.get_by_role("link", name="审批窗口推诿扯皮问题整改")).to_be_visible()
    expect(page.locator("table.app-queue tbody tr").first).to_contain_text("等待核验")
    assert_fits(page)
    snap(page, "queues-county-liaison", full_page=False)


def test_township_liaison_pages_on_a_phone(phone: Page, live_server, world: World) -> None:
    """GIVEN the township liaison on a phone WHEN they open home, My ledgers, their item
    and the queues THEN none scrolls sideways or squeezes its text, and their one item's
    card updates in place."""
    page, base = phone, live_server.url
    log_in(page, base, "township")
    assert_fits(page)
    snap(page, "home-township-liaison")

    open_page(page, f"{base}/ledgers/items/")
    cards = page.locator("table.app-items > tbody.app-item")
    expect(cards).to_have_count(4)  # the village item and three with reports waiting
    card = card_of(page, world.village)
    expect(card.get_by_role("link", name=world.village.title)).to_be_visible()
    assert_fits(page)
    snap(page, "items-township-liaison")
    card.get_by_role("button", name="更新进度").tap()
    card.locator("input[name=percent]").fill("40")
    card.locator("input[name=text]").fill("完成户厕改造120户")
    card.get_by_role("button", name="保存进度").tap()
    expect(card_of(page, world.village).get_by_text("已报 40%，待审核")).to_be_visible()

    open_page(page, f"{base}/ledgers/items/{world.village.pk}/")
    assert_tappable(
        page.get_by_role("navigation", name="操作").get_by_role("link", name="报送进展")
    )
    assert_fits(page)
    snap(page, "item-township-liaison")

    open_page(page, f"{base}/ledgers/queues/?queue=progress")
    rows = page.locator("table.app-queue tbody tr")
    expect(rows).to_have_count(4)
    expect(rows.first).to_contain_text("等待能力作风办审核")
    assert_fits(page)
    snap(page, "queues-township-liaison")


def test_office_decides_in_the_queues_on_a_phone(phone: Page, live_server, world: World) -> None:
    """GIVEN the campaign office on a phone WHEN it ticks two sign-offs, confirms, and then
    returns one progress report with a reason and accepts another THEN each is done, and
    every step fits the window with buttons big enough to tap."""
    page, base = phone, live_server.url
    log_in(page, base, "above")
    assert_fits(page)
    snap(page, "home-office")

    open_page(page, f"{base}/ledgers/queues/?queue=signoff")
    rows = page.locator("table.app-queue tbody tr")
    expect(rows).to_have_count(4)
    assert_fits(page)
    snap(page, "queues-office", full_page=False)
    for index in range(2):
        box = rows.nth(index).locator("input[name=select]")
        box.tap()
        expect(box).to_be_checked()
    assert_tappable(rows.first.get_by_text("核验销号…"))
    bulk = page.locator("[data-bulk-submit]")
    expect(bulk.locator("[data-bulk-count]")).to_have_text("2")
    with page.expect_navigation(wait_until="load"):
        bulk.tap()
    expect(page.get_by_text("核验销号：2 项，见下表。")).to_be_visible()
    assert_fits(page)
    snap(page, "queues-office-confirm")
    confirm = page.get_by_role("button", name="确认核验销号 2 项")
    assert_tappable(confirm)
    with page.expect_navigation(wait_until="load"):
        confirm.tap()
    expect(page.get_by_text("核验销号：已完成 2 项。")).to_be_visible()
    assert LedgerItem.objects.filter(status=ItemStatus.SIGNED_OFF).count() == 2

    open_page(page, f"{base}/ledgers/queues/?queue=progress")
    rows = page.locator("table.app-queue tbody tr")
    expect(rows).to_have_count(3)
    first, second = rows.nth(0), rows.nth(1)
    returned = first.locator("a").first.inner_text().strip()
    first.get_by_text("退回…").tap()
    reason = first.locator("textarea[name=reason]")
    expect(reason).to_be_visible()
    reason.fill("请补充现场照片")
    assert_tappable(first.get_by_role("button", name="退回", exact=True))
    assert_fits(page)
    first.scroll_into_view_if_needed()
    snap(page, "queues-office-return", full_page=False)
    with page.expect_navigation(wait_until="load"):
        first.get_by_role("button", name="退回", exact=True).tap()
    expect(page.get_by_text("进展报送已退回，单位将看到退回理由。")).to_be_visible()
    report = ProgressReport.objects.get(item__title=returned)
    assert (report.review_status, report.return_reason) == (ReviewStatus.RETURNED, "请补充现场照片")

    rows = page.locator("table.app-queue tbody tr")
    expect(rows).to_have_count(2)
    accept = rows.first.get_by_role("button", name="通过")
    assert_tappable(accept)
    with page.expect_navigation(wait_until="load"):
        accept.tap()
    expect(page.get_by_text("进展报送已通过。")).to_be_visible()
    assert ProgressReport.objects.filter(review_status=ReviewStatus.ACCEPTED).count() == 1
    assert second  # the other row stays waiting
    assert ProgressReport.objects.filter(review_status=ReviewStatus.PENDING).count() == 1

    open_page(page, f"{base}/ledgers/queues/?queue=extension")
    assert_fits(page)
    snap(page, "queues-office-extension", full_page=False)

    # The last report waiting can be decided on its item page too, with buttons as big.
    waiting = ProgressReport.objects.get(review_status=ReviewStatus.PENDING)
    open_page(page, f"{base}/ledgers/items/{waiting.item_id}/")
    timeline = page.locator("#timeline")
    assert_tappable(timeline.get_by_role("button", name="通过"))
    timeline.get_by_text("退回…").tap()
    assert_tappable(timeline.get_by_role("button", name="退回报送"))
    assert_fits(page)


def test_desktop_keeps_its_tables(
    page: Page, live_server, shot: Callable[..., Path], world: World
) -> None:
    """GIVEN the county liaison at 1366×768 THEN home shows the campaigns as a table with
    every column, My ledgers keeps its column headers, and the item page has no jump
    buttons (its action cards stand beside the item)."""
    assert page.viewport_size == VIEWPORT
    base = live_server.url
    log_in(page, base, "inside")
    campaigns = page.locator("section", has=page.get_by_role("heading", name="我参与的活动"))
    for header in ("名称", "主办单位", "状态", "工作专班", "督查组", "责任链条"):
        expect(campaigns.get_by_role("columnheader", name=header)).to_be_visible()
    assert_fits(page, VIEWPORT["width"])

    open_page(page, f"{base}/ledgers/items/")
    table = page.locator("table.app-items")
    expect(table.get_by_role("columnheader", name="红黄绿灯")).to_be_visible()
    expect(page.get_by_role("button", name="排序")).to_be_hidden()
    assert_fits(page, VIEWPORT["width"])
    shot("phone-desktop-items", full_page=False)

    open_page(page, f"{base}/ledgers/items/{world.window.pk}/")
    expect(page.get_by_role("navigation", name="操作")).to_be_hidden()
    expect(page.locator("#report")).to_be_in_viewport()
    assert_fits(page, VIEWPORT["width"])
    shot("phone-desktop-item", full_page=False)
