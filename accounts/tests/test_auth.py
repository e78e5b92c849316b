"""Signing in and out through the real forms: logging, lockout, password change, idle expiry."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
PASSWORD = "pass-1234"  # the factories' password


@pytest.fixture
def auth_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Capture the ``accounts.auth`` logger (it does not propagate to the root logger)."""
    logger = logging.getLogger("accounts.auth")
    logger.addHandler(caplog.handler)
    caplog.set_level(logging.INFO, logger="accounts.auth")
    try:
        yield caplog
    finally:
        logger.removeHandler(caplog.handler)


def auth_messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "accounts.auth"]


def test_login_page_speaks_chinese(client: Client) -> None:
    response = client.get(LOGIN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "能力作风建设平台" in page
    assert "登录" in page
    # The page states the rules it enforces (3 failures in test settings, 30 idle minutes).
    assert "连续输错密码 3 次" in page
    assert "30 分钟无操作将自动退出登录" in page


def test_anonymous_is_sent_to_login(client: Client) -> None:
    for url in ("/", "/units/", "/campaigns/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(f"{LOGIN}?next=")


def test_successful_login_redirects_home_and_is_logged(org, client: Client, auth_log) -> None:
    """GIVEN a user WHEN they log in through the form THEN they land home and it is logged."""
    response = client.post(LOGIN, {"username": "inside", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert "login success user=inside ip=127.0.0.1" in auth_messages(auth_log)
    assert AccessLog.objects.filter(username="inside").count() == 1
    home = client.get("/")
    assert "甲县联络员" in home.content.decode()


def test_login_follows_next(org, client: Client) -> None:
    response = client.post(
        f"{LOGIN}?next=/units/", {"username": "inside", "password": PASSWORD, "next": "/units/"}
    )
    assert response["Location"] == "/units/"


def test_failed_login_is_logged_and_shows_error(org, client: Client, auth_log) -> None:
    """GIVEN a user WHEN a wrong password is posted THEN the form says so and it is logged."""
    response = client.post(LOGIN, {"username": "inside", "password": "wrong"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # Django's own Chinese message
    assert "login failure user=inside ip=127.0.0.1" in auth_messages(auth_log)
    assert AccessFailureLog.objects.filter(username="inside").count() == 1
    assert AccessAttempt.objects.get(username="inside").failures_since_start == 1
    assert "_auth_user_id" not in client.session


def test_lockout_after_repeated_failures_even_with_right_password(org, client: Client) -> None:
    """GIVEN AXES_FAILURE_LIMIT=3 WHEN three wrong passwords are posted
    THEN the third answer is the lockout page and the right password is refused too."""
    for _attempt in range(2):
        assert client.post(LOGIN, {"username": "inside", "password": "wrong"}).status_code == 200
    locked = client.post(LOGIN, {"username": "inside", "password": "wrong"})
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "登录失败次数过多" in page
    assert "密码已连续输错 3 次" in page
    assert "请在 30 分钟后再试" in page
    again = client.post(LOGIN, {"username": "inside", "password": PASSWORD})
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not affected (lockout is per username + address).
    other = client.post(LOGIN, {"username": "above", "password": PASSWORD})
    assert other.status_code == 302


def test_lockout_lifts_after_cool_off(org, client: Client) -> None:
    for _attempt in range(3):
        client.post(LOGIN, {"username": "inside", "password": "wrong"})
    with time_machine.travel(timezone.now() + timedelta(minutes=31), tick=False):
        response = client.post(LOGIN, {"username": "inside", "password": PASSWORD})
    assert response.status_code == 302


def test_logout_is_post_only_and_says_so(org, client: Client, auth_log) -> None:
    client.force_login(org.inside)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "您已安全退出。" in response.content.decode()
    assert "logout user=inside ip=127.0.0.1" in auth_messages(auth_log)
    assert client.get("/").status_code == 302


def test_password_change(org, client: Client) -> None:
    NEW = "Xq9!long-enough"
    client.force_login(org.inside)
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    assert "修改密码" in page.content.decode()
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )
    assert response["Location"] == reverse("password_change_done")
    assert "密码已修改" in client.get(reverse("password_change_done")).content.decode()
    client.post("/accounts/logout/")
    assert client.post(LOGIN, {"username": "inside", "password": NEW}).status_code == 302


def test_password_change_needs_login(client: Client) -> None:
    assert client.get(reverse("password_change")).status_code == 302


def test_idle_session_expires(org, client: Client, settings) -> None:
    """GIVEN a 1-second idle limit WHEN the user waits longer THEN they must log in again."""
    settings.SESSION_COOKIE_AGE = 1
    client.post(LOGIN, {"username": "inside", "password": PASSWORD})
    assert client.get("/").status_code == 200
    time.sleep(1.6)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_activity_pushes_the_expiry_forward(org, client: Client) -> None:
    """GIVEN a logged-in user WHEN they make a request later THEN the session expiry moves
    forward by the idle limit from that request (SESSION_SAVE_EVERY_REQUEST)."""
    client.post(LOGIN, {"username": "inside", "password": PASSWORD})
    key = client.session.session_key
    first = Session.objects.get(session_key=key).expire_date
    later = timezone.now() + timedelta(minutes=20)
    with time_machine.travel(later, tick=False):
        assert client.get("/").status_code == 200
    second = Session.objects.get(session_key=key).expire_date
    assert second - first >= timedelta(minutes=19)
    assert abs((second - later) - timedelta(minutes=30)) < timedelta(seconds=5)


def test_browser_close_ends_the_session(org, client: Client) -> None:
    """The session cookie carries no max-age: closing the browser ends the session."""
    response = client.post(LOGIN, {"username": "inside", "password": PASSWORD})
    cookie = response.cookies["sessionid"]
    assert not cookie["max-age"]
    assert not cookie["expires"]
