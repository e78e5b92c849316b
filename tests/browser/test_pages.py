"""In Chromium at 1366×768, on the demo city of the seed report: log in through the form,
see each role's home page, browse the organisation tree and use its live search, open the
campaign overview and filter its chains. Every page is saved as a screenshot.

Time is set to 15 September 2022 (tick on), inside the demo campaign's consolidation
phase, so the timeline shows a current phase as it would have during the campaign.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Locator, Page, ViewportSize, expect

from accounts.demo import DEFAULT_DEMO_PASSWORD, DemoWorld
from tests.demo_snapshot import demo_city

pytestmark = pytest.mark.django_db(transaction=True)

DURING_CAMPAIGN = dt.datetime(2022, 9, 15, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def world(transactional_db: None) -> Iterator[DemoWorld]:
    """The demo city, built while the clock reads a day of the campaign (once per process,
    then restored from a copy of its rows: tests/demo_snapshot.py)."""
    with demo_city(DURING_CAMPAIGN) as built:
        yield built


def log_in(page: Page, base: str, username: str, password: str = DEFAULT_DEMO_PASSWORD) -> None:
    """Log in through the real form and land on the home page."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")
    assert_assets_loaded(page)


def assert_assets_loaded(page: Page) -> None:
    """Bootstrap, htmx and our own stylesheet are served and applied."""
    assert page.evaluate("typeof window.htmx") == "object", "htmx did not load"
    assert page.evaluate("typeof window.bootstrap") == "object", "Bootstrap did not load"
    navbar = page.locator("nav.app-navbar")
    if navbar.count():
        background = navbar.evaluate("e => getComputedStyle(e).backgroundImage")
        assert "gradient" in background, "app.css did not load"


def follow(link: Locator) -> None:
    """Click something that loads a new page and wait until its scripts have run (htmx and
    our own code attach on load; acting earlier would race them)."""
    with link.page.expect_navigation(wait_until="load"):
        link.click()


def assert_fits(page: Page) -> None:
    """Nothing sticks out sideways: no horizontal scroll bar at 1366 pixels."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


def test_login_page_and_lockout(page: Page, live_server, shot: Callable[..., Path], world) -> None:
    """GIVEN the login page WHEN a wrong password is typed three times THEN the lockout page
    explains, in Chinese, when to try again."""
    base = live_server.url
    page.goto(f"{base}/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/$"))
    expect(page.get_by_role("heading", name="能力作风建设平台")).to_be_visible()
    assert_assets_loaded(page)
    assert_fits(page)
    shot("login")
    for _attempt in range(2):
        page.get_by_label("用户名").fill("office")
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_text("请输入一个正确的")).to_be_visible()
    shot("login-error")
    page.get_by_label("用户名").fill("office")
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="登录失败次数过多")).to_be_visible()
    expect(page.get_by_text("请在 30 分钟后再试。")).to_be_visible()
    assert_fits(page)
    shot("locked-out")


HOMES = {
    "office": ["辖区概况", "2022年“能力作风建设年”活动"],
    "county_liaison": ["我的单位", "下级单位", "我的责任链条"],
    "supervisor": ["我的督查组", "第一督查指导组"],
    "official": ["辖区概况（只读）"],
    "admin": ["管理后台"],
}


@pytest.mark.parametrize("username", list(HOMES))
def test_home_page_per_role(
    page: Page, live_server, shot: Callable[..., Path], world, username: str
) -> None:
    """Each demo role logs in through the form and sees what it needs first."""
    with time_machine.travel(DURING_CAMPAIGN, tick=True):
        log_in(page, live_server.url, username)
        expect(page.get_by_role("heading", name=re.compile("^您好，"))).to_be_visible()
        for text in HOMES[username]:
            expect(page.get_by_text(text, exact=False).first).to_be_visible()
        assert_fits(page)
        shot(f"home-{username.replace('_', '-')}")


def test_tree_and_live_search(page: Page, live_server, shot: Callable[..., Path], world) -> None:
    """GIVEN the campaign office WHEN it opens the tree and types into the search box
    THEN matches appear with their place in the tree, without a page load."""
    base = live_server.url
    with time_machine.travel(DURING_CAMPAIGN, tick=True):
        log_in(page, base, "office")
        follow(page.get_by_role("navigation", name="主导航").get_by_role("link", name="组织机构"))
        expect(page.get_by_text(re.compile(r"辖区内共 \d+ 个单位"))).to_be_visible()
        expect(page.locator(".app-tree-name", has_text="兴城区").first).to_be_visible()
        assert_fits(page)
        shot("unit-tree", full_page=False)
        shot("unit-tree-full")

        # Collapse and expand.
        page.get_by_role("button", name="全部收起").click()
        expect(page.locator(".app-tree details[open]")).to_have_count(0)
        page.get_by_role("button", name="全部展开").click()

        # Live search: no submit, the results replace the tree in place.
        page.evaluate("window.__marker = 'same page'")
        page.get_by_role("searchbox").press_sequentially("住建", delay=60)
        expect(page.get_by_text(re.compile(r"找到 \d+ 个单位"))).to_be_visible()
        assert page.evaluate("window.__marker") == "same page"  # htmx swapped, no reload
        expect(page).to_have_url(re.compile(r"/units/\?q=%E4%BD%8F%E5%BB%BA"))
        first = page.locator(".app-matches .list-group-item").first
        expect(first.locator(".app-trail .breadcrumb-item").first).to_be_visible()
        assert_fits(page)
        shot("unit-search")

        # Clear the text and filter by level instead: the counties.
        page.get_by_role("searchbox").fill("")
        page.get_by_label("层级", exact=True).select_option("county")
        expect(page.get_by_text("找到 4 个单位")).to_be_visible()
        expect(page).to_have_url(re.compile(r"level=county"))
        assert_fits(page)
        shot("unit-search-filtered")

        # Open a unit from the results.
        first = page.locator(".app-matches .list-group-item a.fw-semibold").first
        name = first.inner_text()
        follow(first)
        expect(page.get_by_role("heading", level=1)).to_have_text(name)
        expect(page.get_by_role("heading", name="人员及职务")).to_be_visible()
        expect(page.get_by_role("heading", name="变更记录")).to_be_visible()
        assert_fits(page)
        shot("unit-detail")


def test_campaign_overview(page: Page, live_server, shot: Callable[..., Path], world) -> None:
    """GIVEN the campaign office WHEN it opens the campaign THEN it sees the phases with the
    current one marked, task forces, supervision groups and a chain table it can filter."""
    base = live_server.url
    with time_machine.travel(DURING_CAMPAIGN, tick=True):
        log_in(page, base, "office")
        follow(page.get_by_role("navigation", name="主导航").get_by_role("link", name="活动"))
        expect(page.get_by_role("heading", name="活动")).to_be_visible()
        assert_fits(page)
        shot("campaign-list")

        follow(page.get_by_role("link", name="2022年“能力作风建设年”活动").first)
        expect(page.get_by_role("heading", name="活动阶段")).to_be_visible()
        current = page.locator('[aria-current="step"]')
        expect(current).to_contain_text("巩固提升")
        expect(current).to_contain_text("当前阶段")
        expect(page.get_by_role("heading", name="工作专班")).to_be_visible()
        expect(page.get_by_role("heading", name="督查组", exact=True)).to_be_visible()
        assert_fits(page)
        shot("campaign-detail", full_page=False)
        shot("campaign-detail-full")

        # Open one supervision group's unit list.
        page.locator("#forces-heading").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.locator("section[aria-labelledby=groups-heading] details summary").first.click()
        page.locator("section[aria-labelledby=forces-heading] details summary").first.click()
        shot("campaign-groups-open", full_page=False)

        # Filter chains by a task force: only the chain table is replaced.
        chains = page.locator("#chains")
        chains.evaluate("e => e.scrollIntoView({block: 'start'})")
        before = chains.locator("tbody tr").count()
        select = page.locator("#id_task_force")
        option = select.locator("option").nth(1)
        force_name = option.inner_text()
        select.select_option(option.get_attribute("value"))
        expect(page).to_have_url(re.compile(r"task_force=\d+"))
        rows = page.locator("#chains tbody tr")
        expect(rows.first).to_contain_text(force_name)
        assert rows.count() <= before
        assert_fits(page)
        # The table got shorter: bring it back to the top of the window before the picture.
        page.locator("#chains").evaluate("e => e.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(200)
        shot("campaign-chains-filtered", full_page=False)

        # Open a chain.
        follow(rows.first.get_by_role("link").first)
        expect(page).to_have_url(re.compile(r"/campaigns/chains/\d+/$"))
        expect(page.get_by_role("heading", name="两级五岗")).to_be_visible()
        expect(page.locator("nav.app-navbar")).to_have_count(1)  # a page, not a fragment
        assert_fits(page)
        shot("chain-detail")


def test_language_switch_and_logout(
    page: Page, live_server, shot: Callable[..., Path], world
) -> None:
    """The interface switches to English and back; logging out ends the session."""
    with time_machine.travel(DURING_CAMPAIGN, tick=True):
        log_in(page, live_server.url, "county_liaison")
        follow(page.get_by_role("button", name="English"))
        expect(page.get_by_role("link", name="Organisation")).to_be_visible()
        expect(page.get_by_role("heading", name=re.compile("^Hello, "))).to_be_visible()
        assert_fits(page)
        shot("home-english")
        follow(page.get_by_role("button", name="简体中文"))
        expect(page.get_by_role("link", name="组织机构")).to_be_visible()

        # The password change page is one click away in the user menu.
        page.get_by_role("button", name="陈亚楠").click()
        follow(page.get_by_role("link", name="修改密码"))
        expect(page.get_by_role("heading", name="修改密码")).to_be_visible()
        assert_fits(page)
        shot("password-change", full_page=False)

        # Log out from the user menu (a POST form): back on the login page, told so.
        page.get_by_role("button", name="陈亚楠").click()
        follow(page.get_by_role("button", name="退出登录"))
        expect(page).to_have_url(re.compile(r"/accounts/login/$"))
        expect(page.get_by_text("您已安全退出。")).to_be_visible()
        assert_fits(page)
        shot("logged-out", full_page=False)
        page.goto(f"{live_server.url}/units/")
        expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/units/$"))


PHONE: ViewportSize = {"width": 390, "height": 844}


def test_chain_pages_from_a_county_item(
    page: Page, live_server, shot: Callable[..., Path], world
) -> None:
    """GIVEN 兴城区's liaison and one of its petition cases WHEN they open the case's chain
    THEN they see 兴城区's share of the city's chain, only 兴城区's items on it, and a link
    up to the city's chain, which lists 兴城区's share and no other county's; at 1366 pixels
    and on a 390-pixel phone nothing sticks out sideways."""
    from tasks_ledger.models import LedgerItem

    base = live_server.url
    item = (
        LedgerItem.objects.filter(unit__code="LX-XC", chain__parent__isnull=False)
        .select_related("chain__parent")
        .order_by("pk")
        .first()
    )
    assert item is not None and item.chain is not None and item.chain.parent is not None
    share, city_chain = item.chain, item.chain.parent
    with time_machine.travel(DURING_CAMPAIGN, tick=True):
        log_in(page, base, "county_liaison")
        expect(page.locator("#chains-heading")).to_be_visible()
        expect(page.get_by_role("link", name=share.subject)).to_be_visible()
        page.goto(f"{base}/ledgers/items/{item.pk}/")
        follow(page.get_by_role("link", name="查看责任链条"))
        expect(page).to_have_url(re.compile(rf"/campaigns/chains/{share.pk}/$"))
        expect(page.get_by_role("heading", name=share.subject)).to_be_visible()
        expect(page.get_by_role("heading", name="两级五岗")).to_be_visible()
        expect(page.get_by_role("heading", name="上下级链条")).to_be_visible()
        rows = page.locator("#chain-items tbody tr")
        expect(rows.first).to_be_visible()
        units = set(rows.locator("td:nth-child(2)").all_inner_texts())
        assert units and all(u == "兴城区" or u.endswith(("街道", "镇", "乡")) for u in units)
        assert_fits(page)
        shot("chain-county-share")

        # A second page of items comes in place (htmx), when there is one.
        pager = page.locator("#chain-items .pagination a", has_text="2")
        if pager.count():
            page.evaluate("window.__marker = 'same page'")
            pager.first.click()
            expect(page).to_have_url(re.compile(r"page=2"))
            assert page.evaluate("window.__marker") == "same page"

        follow(page.get_by_role("link", name=city_chain.subject).first)
        expect(page).to_have_url(re.compile(rf"/campaigns/chains/{city_chain.pk}/$"))
        expect(page.get_by_text("1 项下一级分解任务（您辖区内）")).to_be_visible()
        expect(page.get_by_role("link", name="兴城区", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="龙湖区", exact=True)).to_have_count(0)
        assert_fits(page)
        shot("chain-city-seen-by-county")

        page.set_viewport_size(PHONE)
        page.goto(f"{base}/campaigns/chains/{share.pk}/")
        shot("chain-county-share-phone")
        assert_fits(page)
        page.goto(f"{base}/")
        shot("home-county-liaison-phone")
        assert_fits(page)
