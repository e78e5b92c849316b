"""History in Chromium, as a liaison and the campaign office read it, at 1366 and 390 pixels:
the item's changes in sentences after a progress report made on its page, and a unit's and a
chain's own changes with their items' changes (a bulk creation as one line) one click away.
Screenshots go to ``test-artifacts/screenshots/history-*.png``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pghistory
import pytest
from playwright.sync_api import Page, expect

from campaign.tests.builders import add_chain
from tasks_ledger.services import NewItem, ledger_items_bulk_create
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-1234"  # accounts.tests.factories.UserFactory
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}


def log_in(page: Page, base: str, username: str) -> None:
    """Log in through the real form and land on the home page."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def assert_fits(page: Page) -> None:
    """No sideways scrolling at the window's width."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


@pytest.fixture
def world(org):
    """甲县's chain with one item reported on by hand and 40 items made by the demo seed."""
    chain = add_chain(
        subject="县城污水管网改造",
        unit=org.county_a,
        lead=org.county_a_dept,
        campaign=org.campaign,
        cooperating=(org.township_a,),
    )
    ledger = make_ledger(org.campaign)
    item = make_item(
        ledger,
        org.county_a,
        title="城区污水管网改造工程",
        chain=chain,
        deadline=dt.date.today() + dt.timedelta(days=60),
        start=dt.date.today() - dt.timedelta(days=30),
    )
    with pghistory.context(command="seed_demo"):
        ledger_items_bulk_create(
            actor=None,
            ledger=ledger,
            specs=[
                NewItem(
                    unit=org.county_a,
                    title=f"管网片区{n}",
                    start_date=item.start_date,
                    deadline=item.deadline,
                    chain=chain,
                )
                for n in range(1, 41)
            ],
        )
    return org, chain, item


def test_item_history_reads_as_sentences(
    page: Page, live_server, shot: Callable[..., Path], world
) -> None:
    """GIVEN a liaison's progress report made on the item page WHEN they open the item's
    history THEN it says who (with their unit), what changed in words, when in Beijing time,
    and from which page; at 390 pixels each line is a card with no sideways scrolling."""
    _org, _chain, item = world
    base = live_server.url
    log_in(page, base, "inside")
    page.goto(f"{base}/ledgers/items/{item.pk}/")
    form = page.locator("#report form")
    form.locator("input[name=percent]").fill("40")
    form.locator("textarea[name=text]").fill("主干管铺设完成四成")
    with page.expect_navigation(wait_until="load"):
        form.get_by_role("button", name="保存进度").click()

    page.locator("#history-heading").click()  # the section opens (a <details>)
    page.get_by_role("link", name="全部变更记录").click()
    page.wait_for_load_state()
    expect(
        page.get_by_role("heading", name=f"{item.code} 城区污水管网改造工程 的变更记录")
    ).to_be_visible()
    table = page.locator("table.app-history")
    expect(table.get_by_text("新建进展报送“主干管铺设完成四成”")).to_be_visible()
    expect(table.get_by_text("待审核的报送进度（%）").first).to_be_visible()
    expect(table.get_by_text("页面：更新进度").first).to_be_visible()
    expect(table.get_by_text("甲县联络员").first).to_be_visible()
    expect(table.get_by_text("新建台账事项“")).to_be_visible()
    today = dt.date.today()
    expect(table.get_by_text(f"{today.year}年{today.month}月{today.day}日").first).to_be_visible()
    assert "None" not in table.inner_text() and "in_progress" not in table.inner_text()
    assert_fits(page)
    shot("history-item")

    page.set_viewport_size(PHONE)
    page.reload()
    expect(table.get_by_text("页面：更新进度").first).to_be_visible()
    assert_fits(page)
    shot("history-item-phone")


def test_unit_and_chain_keep_to_their_own_changes(
    page: Page, live_server, shot: Callable[..., Path], world
) -> None:
    """GIVEN 41 items of 甲县 on its chain, 40 made by the demo seed WHEN the office opens the
    unit's and the chain's pages THEN their history names their own records, not the items;
    one click shows the items' changes, the seed's 40 as one line that lists them."""
    org, chain, _item = world
    base = live_server.url
    log_in(page, base, "above")
    for width, suffix in ((DESKTOP, ""), (PHONE, "-phone")):
        page.set_viewport_size(width)
        page.goto(f"{base}/units/{org.county_a.pk}/")
        history = page.locator("section", has=page.locator("#history-heading"))
        expect(history.get_by_text("新建单位“甲县”")).to_be_visible()
        expect(history.get_by_text("管网片区")).to_have_count(0)
        assert_fits(page)
        shot(f"history-unit{suffix}")

        history.get_by_role("link", name="台账事项的变更记录").click()
        page.wait_for_load_state()
        expect(page.get_by_role("heading", name="甲县 台账事项的变更记录")).to_be_visible()
        expect(page.get_by_role("link", name="单位本身")).to_be_visible()
        line = page.locator("tr", has_text="新建台账事项 40 项")
        expect(line.get_by_text("命令：初始化演示数据")).to_be_visible()
        assert_fits(page)
        shot(f"history-unit-items{suffix}")

        line.get_by_role("link", name="逐条查看").click()
        page.wait_for_load_state()
        expect(page.get_by_text("以下逐条列出一次批量变更涉及的每条记录。")).to_be_visible()
        expect(page.get_by_text("新建台账事项“", exact=False)).to_have_count(25)
        assert_fits(page)

    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/campaigns/chains/{chain.pk}/")
    section = page.locator("section", has=page.locator("#history-heading"))
    section.locator("summary").click()
    expect(section.get_by_text("加入配合部门“甲镇”")).to_be_visible()
    expect(section.get_by_text("管网片区")).to_have_count(0)
    shot("history-chain")
    section.get_by_role("link", name="台账事项的变更记录").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="县城污水管网改造 台账事项的变更记录")).to_be_visible()
    expect(page.locator("tr", has_text="新建台账事项 40 项")).to_be_visible()
    assert_fits(page)


def test_admin_index_and_event_list_are_chinese(
    page: Page, live_server, shot: Callable[..., Path], world
) -> None:
    """GIVEN the superuser in the admin THEN the index heads axes and pghistory in Chinese
    and lists their models in Chinese, and the event list reads like the pages."""
    base = live_server.url
    log_in(page, base, "root")
    page.goto(f"{base}/admin/")
    for name in ("登录安全", "登录失败记录", "变更历史", "变更事件"):
        expect(page.get_by_text(name, exact=True).first).to_be_visible()
    body = page.locator("body").inner_text()
    for english in ("AXES", "PGHISTORY", "Access attempts", "Events"):
        assert english not in body, english
    shot("history-admin-index")
    page.get_by_role("link", name="变更事件").first.click()
    page.wait_for_load_state()
    expect(page.get_by_text("新建台账事项“", exact=False).first).to_be_visible()
    expect(page.get_by_text("命令：初始化演示数据").first).to_be_visible()
    shot("history-admin-events", full_page=False)
