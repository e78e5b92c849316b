"""In Chromium on a 390-pixel phone: the navbar's bell shows the unread count, the inbox
lists the notifications, marks one read with htmx (the bell follows) and then all.
Screenshots: ``inbox-phone*.png``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Notification
from accounts.notifications import notify

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = (390, 844)


def log_in(page: Page, base: str, username: str = "inside") -> None:
    """Sign in through the real form."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def assert_fits(page: Page) -> None:
    """Nothing sticks out sideways: no horizontal scroll bar."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


def test_inbox_on_a_phone(page: Page, live_server, shot: Callable[..., Path], org) -> None:
    """GIVEN three notifications of mine (one urgent, one with a long unbroken title) and one
    of someone else's WHEN I open the bell on a phone THEN I see mine, unread in bold; marking
    one read updates the row and the bell without a page load; 全部标为已读 clears the rest."""
    notify(
        recipients=[org.inside],
        kind="notice",
        title="关于甲县污水管网改造进度滞后的督办通知",
        body="请于三日内书面反馈整改情况。",
        link="/units/",
        urgent=True,
    )
    notify(recipients=[org.inside], kind="notice", title="提醒" * 40)
    notify(recipients=[org.inside], kind="notice", title="台账更新提醒")
    notify(recipients=[org.outsider], kind="notice", title="别人的通知")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    base = live_server.url
    log_in(page, base)

    bell = page.locator(".app-bell")
    expect(bell).to_be_visible()  # outside the collapsed menu: seen without opening it
    expect(page.locator("#nav-unread")).to_contain_text("3")
    with page.expect_navigation(wait_until="load"):
        bell.click()
    expect(page.get_by_role("heading", name="我的通知")).to_be_visible()
    rows = page.locator(".app-notification")
    expect(rows).to_have_count(3)
    expect(page.get_by_text("别人的通知")).to_have_count(0)
    expect(page.locator(".app-notification-unread")).to_have_count(3)
    assert_fits(page)
    shot("inbox-phone")

    urgent = rows.filter(has_text="督办通知")
    urgent.get_by_role("button", name="标为已读").click()
    expect(page.locator("#nav-unread")).to_contain_text("2")
    expect(page.locator("#inbox-unread")).to_have_text("2 条未读")
    expect(page.locator(".app-notification-unread")).to_have_count(2)
    expect(urgent.get_by_role("button")).to_have_count(0)
    assert Notification.objects.exclude(read_at=None).get().title.endswith("督办通知")

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="全部标为已读").click()
    expect(page.get_by_role("alert")).to_contain_text("已将 2 条通知标为已读")
    expect(page.locator(".app-notification-unread")).to_have_count(0)
    expect(page.locator("#nav-unread")).to_be_hidden()
    assert_fits(page)
    shot("inbox-phone-read")
    assert not Notification.objects.filter(recipient=org.inside, read_at=None).exists()


def test_bell_and_preferences_on_a_laptop(
    page: Page, live_server, shot: Callable[..., Path], org
) -> None:
    """GIVEN a laptop WHEN I sign in THEN the bell sits at the navbar's end; on 我的账户 I choose
    the daily digest instead of one email each, and it is saved."""
    notify(recipients=[org.inside], kind="notice", title="台账更新提醒")
    page.set_viewport_size({"width": 1366, "height": 768})
    base = live_server.url
    log_in(page, base)
    expect(page.locator("#nav-unread")).to_contain_text("1")
    page.goto(f"{base}/accounts/profile/")
    section = page.get_by_role("region", name="通知方式")
    expect(section.get_by_label("发送邮件")).to_be_checked()
    expect(section.get_by_label("每天一封汇总邮件")).not_to_be_checked()
    section.get_by_label("每天一封汇总邮件").check()
    with page.expect_navigation(wait_until="load"):
        section.get_by_role("button", name="保存").click()
    expect(page.get_by_role("alert")).to_contain_text("通知方式已保存")
    expect(
        page.get_by_role("region", name="通知方式").get_by_label("每天一封汇总邮件")
    ).to_be_checked()
    assert_fits(page)
    shot("profile-notifications-desktop")
    pref = org.inside.notification_preference
    assert (pref.email, pref.daily_digest) == (True, True)
