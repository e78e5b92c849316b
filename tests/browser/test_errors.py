"""Error answers in Chromium: an htmx action that fails shows why, in Chinese, in the page's
alert region (htmx swaps no 4xx answer by itself), and the error pages sit in the layout.
Screenshots go to ``test-artifacts/screenshots/error-*.png``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tasks_ledger.models import LedgerItem
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-1234"  # accounts.tests.factories.UserFactory


@pytest.fixture
def item(org) -> LedgerItem:
    """An item of 甲县, on which its liaison (``inside``) may report."""
    return make_item(make_ledger(org.campaign), org.county_a, title="城区污水管网改造工程")


def log_in(page: Page, base: str, username: str) -> None:
    """Log in through the real form and land on the home page."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def report_in_row(page: Page, item: LedgerItem, percent: str, text: str) -> None:
    """Open the item's row form on My ledgers and send it (htmx)."""
    row = page.locator(f"tbody#item-{item.pk}")
    row.get_by_role("button", name="更新进度").click()
    row.locator("input[name=percent]").fill(percent)
    row.locator("input[name=text]").fill(text)
    row.get_by_role("button", name="保存进度").click()


def test_an_htmx_action_from_a_page_drawn_before_the_last_log_in(
    page: Page, live_server, item: LedgerItem, shot: Callable[..., Path]
) -> None:
    """GIVEN My ledgers open in one tab WHEN the liaison logs out and in again in another
    tab (a new CSRF token) and then saves progress from the old tab THEN the server refuses
    (403) and the old tab says, in Chinese, that the page expired and nothing was saved,
    with a reload link; the row stays as it was."""
    base = live_server.url
    log_in(page, base, "inside")
    page.goto(f"{base}/ledgers/items/")
    page.evaluate("window.__marker = 'same page'")

    other = page.context.new_page()
    other.goto(f"{base}/")
    other.get_by_role("button", name="甲县联络员").click()
    other.get_by_role("button", name="退出登录").click()
    log_in(other, base, "inside")
    other.close()

    report_in_row(page, item, "40", "按旧页面填写的进展")
    alert = page.locator("#app-alerts").get_by_role("alert")
    expect(alert).to_contain_text("页面已过期")
    expect(alert).to_contain_text("没有保存任何内容")
    expect(alert.get_by_role("link", name="刷新页面")).to_have_attribute(
        "href", f"{base}/ledgers/items/"
    )
    expect(alert).to_be_in_viewport()
    row = page.locator(f"tbody#item-{item.pk}")
    expect(row.locator("input[name=text]")).to_have_value("按旧页面填写的进展")  # input kept
    assert page.evaluate("window.__marker") == "same page"
    assert LedgerItem.objects.get(pk=item.pk).pending_progress is None
    shot("error-htmx-expired", full_page=False)

    alert.get_by_role("button", name="关闭").click()
    expect(page.locator("#app-alerts .alert")).to_have_count(0)


def test_an_htmx_action_on_an_item_moved_out_of_reach_says_so(
    page: Page, live_server, org, item: LedgerItem
) -> None:
    """GIVEN My ledgers open WHEN the office moves the item to another county meanwhile and
    the liaison saves progress on it THEN a 404 alert names the reason from the code."""
    base = live_server.url
    log_in(page, base, "inside")
    page.goto(f"{base}/ledgers/items/")
    LedgerItem.objects.filter(pk=item.pk).update(unit=org.county_b)

    report_in_row(page, item, "40", "已完成")
    alert = page.locator("#app-alerts").get_by_role("alert")
    expect(alert).to_contain_text("您的辖区内没有该事项")
    expect(page.locator(f"tbody#item-{item.pk}")).to_be_visible()  # not replaced by the alert


def test_error_pages_sit_in_the_layout(
    page: Page, live_server, org, item: LedgerItem, shot: Callable[..., Path]
) -> None:
    """A refused page and a missing one: the navbar, the reason in Chinese, ways back."""
    base = live_server.url
    log_in(page, base, "official")
    response = page.goto(f"{base}/ledgers/meetings/new/", referer=f"{base}/ledgers/items/")
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", name="您无权进行此操作")).to_be_visible()
    expect(page.get_by_text("只有能力作风办可以录入调度推进会议。")).to_be_visible()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    expect(page.get_by_role("link", name="返回上一页")).to_have_attribute(
        "href", f"{base}/ledgers/items/"
    )
    shot("error-403", full_page=False)

    page.get_by_role("link", name="返回首页").click()
    page.wait_for_url(f"{base}/")

    response = page.goto(f"{base}/ledgers/items/{item.pk + 1000}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="未找到")).to_be_visible()
    shot("error-404", full_page=False)
