"""In Chromium: the 我的账户 page lists one's API tokens and revokes them, at the offices'
1366×768 and on a 390-pixel phone. Screenshots: ``profile-tokens-*.png``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Dialog, Page, expect

from accounts.models import ApiToken
from accounts.services import api_token_create

pytestmark = pytest.mark.django_db(transaction=True)

CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
)
PHONE = (390, 844)


def log_in(page: Page, base: str, username: str = "inside") -> None:
    """Sign in through the real form."""
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill("pass-1234")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def open_profile_from_the_menu(page: Page) -> None:
    """The user menu's link, as a person finds it (behind the toggler on a phone)."""
    toggler = page.locator(".navbar-toggler")
    if toggler.is_visible():
        toggler.click()
        # The menu slides open; a click while it moves can land beside its target.
        expect(page.locator("#app-nav")).to_have_class(re.compile(r"\bshow\b"))
    page.locator(".app-user").click()
    link = page.get_by_role("link", name="我的账户与 API 令牌")
    expect(link).to_be_visible()
    with page.expect_navigation(wait_until="load"):
        link.click()
    expect(page.get_by_role("heading", name="我的账户", exact=True)).to_be_visible()


def assert_fits(page: Page) -> None:
    """Nothing sticks out sideways: no horizontal scroll bar."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


def test_profile_lists_and_revokes_tokens(
    page: Page, live_server, shot: Callable[..., Path], org
) -> None:
    """GIVEN three tokens of mine and one of someone else's WHEN I open 我的账户 from the
    user menu THEN I see my three, revoke one with its button, and then, after confirming,
    all the others; the other person's token is untouched."""
    laptop, _key = api_token_create(user=org.inside, user_agent=CHROME)
    script, _key = api_token_create(user=org.inside, user_agent="python-requests/2.32.3")
    bare, _key = api_token_create(user=org.inside)
    other, _key = api_token_create(user=org.outsider, user_agent="outsider-device")
    base = live_server.url
    log_in(page, base)
    open_profile_from_the_menu(page)

    rows = page.locator(".app-token")
    expect(rows).to_have_count(3)
    expect(page.get_by_text(f"{laptop.prefix}…")).to_be_visible()
    expect(page.get_by_text("python-requests/2.32.3")).to_be_visible()
    expect(page.get_by_text("未知设备")).to_be_visible()
    expect(page.get_by_text("outsider-device")).to_have_count(0)
    expect(page.get_by_text("令牌的有效期为 30 天")).to_be_visible()
    # A long browser name is cut to one line, in full on hover.
    device = rows.filter(has_text=laptop.prefix).locator(".app-token-device")
    assert device.get_attribute("title") == CHROME
    assert device.evaluate("e => e.scrollWidth > e.clientWidth"), "expected the name cut"
    assert_fits(page)
    shot("profile-tokens-desktop")

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=f"吊销令牌 {script.prefix}…").click()
    expect(page.get_by_role("alert")).to_contain_text(f"令牌 {script.prefix}… 已吊销")
    expect(rows).to_have_count(2)
    assert set(ApiToken.objects.filter(user=org.inside).values_list("pk", flat=True)) == {
        laptop.pk,
        bare.pk,
    }

    # Revoke all asks first: saying no changes nothing.
    dialogs: list[str] = []

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="全部吊销").click()
    expect(rows).to_have_count(2)
    assert dialogs and "吊销您的全部 API 令牌" in dialogs[0]
    assert ApiToken.objects.filter(user=org.inside).count() == 2

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="全部吊销").click()
    expect(page.get_by_role("alert")).to_contain_text("已吊销 2 个令牌")
    expect(page.get_by_text("您还没有 API 令牌。")).to_be_visible()
    expect(page.get_by_role("button", name="全部吊销")).to_have_count(0)
    assert not ApiToken.objects.filter(user=org.inside).exists()
    assert ApiToken.objects.filter(pk=other.pk).exists()
    shot("profile-tokens-desktop-none")


def test_profile_on_a_phone(page: Page, live_server, shot: Callable[..., Path], org) -> None:
    """GIVEN a 390-pixel-wide phone WHEN I open 我的账户 THEN nothing sticks out sideways,
    each token's revoke button sits beside or under it in full, and it works."""
    api_token_create(user=org.inside, user_agent=CHROME)
    script, _key = api_token_create(user=org.inside, user_agent="python-requests/2.32.3")
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    base = live_server.url
    log_in(page, base)
    open_profile_from_the_menu(page)
    assert_fits(page)
    rows = page.locator(".app-token")
    expect(rows).to_have_count(2)
    for index in range(2):
        row_box = rows.nth(index).bounding_box()
        button_box = rows.nth(index).get_by_role("button").bounding_box()
        assert row_box and button_box
        assert button_box["x"] >= row_box["x"]
        assert button_box["x"] + button_box["width"] <= row_box["x"] + row_box["width"] + 0.5
        assert button_box["height"] >= 30, "a button too small to tap"
    shot("profile-tokens-phone")

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name=f"吊销令牌 {script.prefix}…").click()
    expect(rows).to_have_count(1)
    assert_fits(page)
    shot("profile-tokens-phone-revoked")
