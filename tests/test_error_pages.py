"""Refusals, missing pages, bad requests, lockouts and crashes speak Chinese and say what to do.

Each status has three forms (config/errors.py): the page in the site's layout, a small alert
for htmx (aimed at ``#app-alerts``), and the API's JSON error shape under ``/api/``.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse
from django.utils.translation import gettext as _
from rest_framework import exceptions

from config import errors
from tasks_ledger.tests.factories import make_item, make_ledger

ROOT = Path(__file__).resolve().parent.parent
HTMX = {"HX-Request": "true", "HX-Current-URL": "http://testserver/ledgers/items/"}
pytestmark = pytest.mark.usefixtures("no_debug")


@pytest.fixture
def no_debug(settings) -> None:
    """What users see (DEBUG would show Django's technical 404 and 500 pages instead)."""
    settings.DEBUG = False


def assert_fragment(response, status: int) -> str:
    """An htmx answer: the status, a small alert aimed at the page's alert region."""
    assert response.status_code == status
    assert response["HX-Retarget"] == "#app-alerts"
    assert response["HX-Reswap"] == "innerHTML"
    assert response["HX-Push-Url"] == "false"
    html = response.content.decode()
    assert html.lstrip().startswith('<div class="alert') and "<html" not in html
    assert f'data-error-status="{status}"' in html
    return html


def api_error(response, status: int, code: str) -> str:
    """The API's one error shape; returns its detail."""
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    body = json.loads(response.content)
    assert body["type"] == ("server_error" if status >= 500 else "client_error")
    [error] = body["errors"]
    assert error["code"] == code and error["attr"] is None
    return error["detail"]


# --- 403 ---------------------------------------------------------------------------------------


def test_a_refusal_shows_its_reason_in_the_layout(org, client: Client) -> None:
    """GIVEN a read-only official WHEN they open the meeting form THEN 403 in the site's
    layout with the code's own Chinese reason and the ways back."""
    client.force_login(org.official)
    response = client.get("/ledgers/meetings/new/", HTTP_REFERER="http://testserver/ledgers/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "只有能力作风办可以录入调度推进会议。" in html
    assert "您无权进行此操作" in html and "请联系本单位管理员或能力作风办" in html
    assert 'href="/"' in html and "返回首页" in html
    assert 'href="http://testserver/ledgers/"' in html and "返回上一页" in html
    assert "主导航" in html and 'id="app-alerts"' in html  # the site's navbar, alert region
    assert "403 Forbidden" not in html and "重新登录" not in html


def test_a_back_link_only_leads_to_this_site(org, client: Client) -> None:
    client.force_login(org.official)
    response = client.get("/ledgers/meetings/new/", HTTP_REFERER="https://evil.example/x")
    assert response.status_code == 403
    assert "evil.example" not in response.content.decode()


def test_an_htmx_refusal_is_an_alert_with_the_reason(org, client: Client) -> None:
    """GIVEN an htmx request the code refuses THEN the same reason as a fragment for the
    page's alert region, not a whole page."""
    client.force_login(org.official)
    response = client.get("/ledgers/meetings/new/", headers=HTMX)
    html = assert_fragment(response, 403)
    assert "只有能力作风办可以录入调度推进会议。" in html and "您无权进行此操作" in html
    assert 'href="http://testserver/ledgers/items/"' in html and "刷新页面" in html


def test_an_htmx_history_restore_gets_the_whole_page(org, client: Client) -> None:
    client.force_login(org.official)
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    response = client.get("/ledgers/meetings/new/", headers=headers)
    assert response.status_code == 403 and "HX-Retarget" not in response
    assert "<html" in response.content.decode()


def test_every_permission_denied_says_why() -> None:
    """Every PermissionDenied our code raises carries a (translatable) message, which the
    403 page, the alert and the API show."""
    bare = []
    for app in ("accounts", "campaign", "tasks_ledger", "assessments", "accountability", "config"):
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                exc = node.exc if isinstance(node, ast.Raise) else None
                name = exc.func if isinstance(exc, ast.Call) else exc
                called_bare = isinstance(exc, ast.Call) and not (exc.args or exc.keywords)
                named = isinstance(name, ast.Name | ast.Attribute) and (
                    getattr(name, "id", None) == "PermissionDenied"
                    or getattr(name, "attr", None) == "PermissionDenied"
                )
                if named and (called_bare or not isinstance(exc, ast.Call)):
                    bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert bare == []


# --- the expired page (CSRF) ------------------------------------------------------------------


@pytest.fixture
def csrf_client(org) -> Client:
    """A browser whose page was drawn before its last log-in: its token no longer holds."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.inside)
    return client


def test_a_form_from_before_the_last_log_in_says_the_page_expired(org, csrf_client) -> None:
    item = make_item(make_ledger(org.campaign), org.county_a)
    url = reverse("ledger:item-progress", args=[item.pk])
    page = f"http://testserver/ledgers/items/{item.pk}/"
    response = csrf_client.post(url, {"percent": 10, "text": "x"}, HTTP_REFERER=page)
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期" in html and "没有保存任何内容" in html and "请刷新页面" in html
    assert f'href="{page}"' in html and "主导航" in html
    assert "CSRF token" not in html and "Forbidden" not in html


def test_an_htmx_action_from_an_expired_page_says_so_in_an_alert(org, csrf_client) -> None:
    item = make_item(make_ledger(org.campaign), org.county_a)
    url = reverse("ledger:item-progress", args=[item.pk])
    response = csrf_client.post(url, {"percent": 10, "text": "x"}, headers=HTMX)
    html = assert_fragment(response, 403)
    assert "页面已过期" in html and "重新登录" not in html


def test_an_expired_page_of_a_signed_out_user_offers_to_log_in_again(db) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/logout/", HTTP_REFERER="http://testserver/ledgers/items/?light=red"
    )
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期" in html
    assert 'href="/accounts/login/?next=%2Fledgers%2Fitems%2F%3Flight%3Dred"' in html


def test_an_expired_public_form_asks_to_reload_not_to_log_in(db) -> None:
    """The public survey needs no sign-in: its expired form says to reload, nothing more."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/public/survey/1/", HTTP_REFERER="http://testserver/public/survey/1/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "页面已过期" in html and "刷新页面" in html
    assert "/accounts/login/" not in html.split("<main", 1)[-1]


# --- 404 ---------------------------------------------------------------------------------------


def test_an_item_outside_the_jurisdiction_is_a_chinese_404(org, client: Client) -> None:
    item = make_item(make_ledger(org.campaign), org.county_b)
    client.force_login(org.inside)
    response = client.get(f"/ledgers/items/{item.pk}/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "您的辖区内没有该事项" in html and "返回首页" in html and "主导航" in html
    assert "Not Found" not in html

    here = f"http://testserver/ledgers/items/{item.pk}/"  # htmx asking for its own page
    response = client.get(f"/ledgers/items/{item.pk}/", headers={**HTMX, "HX-Current-URL": here})
    html = assert_fragment(response, 404)
    assert "您的辖区内没有该事项" in html and f'href="{here}"' in html


def test_an_unknown_page_hides_the_url_map(org, client: Client) -> None:
    client.force_login(org.inside)
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "没有这个页面" in html and "Resolver404" not in html and "tried" not in html


def test_get_object_or_404s_english_is_not_shown(org, client: Client) -> None:
    client.force_login(org.above)
    response = client.post("/ledgers/reports/999999/accept/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "matches the given query" not in html and "没有这个页面" in html


def test_unknown_api_paths_answer_json_in_chinese(org, client: Client) -> None:
    client.force_login(org.inside)
    for method in (client.get, client.post, client.delete):
        detail = api_error(method("/api/v1/no-such-thing/"), 404, "not_found")
        assert detail == "未找到。"


def test_the_api_keeps_the_reason_of_a_django_404() -> None:
    """GIVEN an API view whose code raises Django's Http404 with a message THEN the JSON
    detail is that message, translated (drf-standardized-errors alone drops it)."""
    context: Any = {"view": None, "args": (), "kwargs": {}, "request": None}
    found = Http404(_("No such unit in your jurisdiction."))
    converted = errors.ApiExceptionHandler(found, context).convert_known_exceptions(found)
    assert isinstance(converted, exceptions.NotFound)
    assert str(converted.detail) == "您的辖区内没有该单位。"
    bare = PermissionDenied()
    converted = errors.ApiExceptionHandler(bare, context).convert_known_exceptions(bare)
    assert isinstance(converted, exceptions.PermissionDenied)
    assert str(converted.detail) == "您没有执行该操作的权限。"


# --- 400 ---------------------------------------------------------------------------------------


@override_settings(DATA_UPLOAD_MAX_NUMBER_FIELDS=5)
def test_a_form_with_too_many_fields_is_a_chinese_400(db, client: Client) -> None:
    data = {f"field{n}": "x" for n in range(10)}
    response = client.post("/accounts/login/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "无法处理该请求" in html and "表单一次提交的字段过多。" in html and "返回首页" in html
    assert "主导航" in html

    response = client.post("/accounts/login/", data, headers=HTMX)
    assert "表单一次提交的字段过多。" in assert_fragment(response, 400)


def test_a_foreign_host_is_a_400_page_and_json_under_the_api(db, client: Client) -> None:
    """DisallowedHost: the page cannot even trust the Host header, and still renders."""
    response = client.get("/", HTTP_HOST="evil.example", HTTP_REFERER="http://evil.example/")
    assert response.status_code == 400
    html = response.content.decode()
    assert "无法处理该请求" in html and "evil.example" not in html

    response = client.get("/api/v1/", HTTP_HOST="evil.example")
    assert api_error(response, 400, "parse_error") == "错误的请求。"


# --- 429 ---------------------------------------------------------------------------------------


def test_a_lockout_says_when_to_try_again_and_whom_to_ask(org, client: Client, settings) -> None:
    """GIVEN AXES_FAILURE_LIMIT wrong passwords THEN a 429 page in the layout saying how many
    minutes to wait and whom to ask, with the way back to the log-in page."""
    wrong = {"username": "inside", "password": "wrong"}
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        response = client.post("/accounts/login/", wrong)
    assert response.status_code == 429
    html = response.content.decode()
    assert "登录失败次数过多" in html
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"请在 {minutes} 分钟后再试。" in html
    assert "请联系本单位管理员重置" in html and "返回登录页" in html

    html = assert_fragment(client.post("/accounts/login/", wrong, headers=HTMX), 429)
    assert "该账号已被暂时锁定" in html


def test_a_lockout_under_the_api_is_json_with_retry_after(db, settings) -> None:
    request = RequestFactory().post("/api/v1/auth/token/", {"username": "x"})
    response = errors.locked_out(request, None, {"username": "x"})
    detail = api_error(response, 429, "locked_out")
    assert detail.startswith("登录失败次数过多，该账号已被暂时锁定。")
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    assert f"请 {minutes} 分钟后再试" in detail and "秒" not in detail
    assert int(response["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())


# --- 500 ---------------------------------------------------------------------------------------


def test_the_server_error_answers_need_no_database() -> None:
    """The 500 page, alert and JSON come from templates alone: this test may not touch the
    database (pytest-django would fail it), as a request may not when PostgreSQL is down."""
    factory = RequestFactory()
    html = errors.server_error(factory.get("/ledgers/items/")).content.decode()
    assert "服务器出错了" in html and "错误已记录" in html and "返回首页" in html
    assert "app-navbar" in html and 'id="app-alerts"' in html  # the site's layout
    assert "退出登录" not in html  # no user menu: nothing about the user is read

    response = errors.server_error(factory.get("/ledgers/items/", headers=HTMX))
    assert "服务器出错了" in assert_fragment(response, 500)

    response = errors.server_error(factory.get("/api/v1/ledgers/"))
    assert api_error(response, 500, "error") == "服务器出错，并非您的操作所致，错误已记录。"


DATABASE_DOWN = """
import json, django
from django.test.utils import setup_test_environment
django.setup()
setup_test_environment()
from django.test import Client
client = Client(raise_request_exception=False)
client.cookies["sessionid"] = "s" * 32  # the session is read from the database
answers = {}
for name, path, headers in [
    ("page", "/ledgers/items/", {}),
    ("htmx", "/ledgers/items/", {"HX-Request": "true"}),
    ("api", "/api/v1/ledgers/", {"Authorization": "Token " + "t" * 64}),
]:
    response = client.get(path, headers=headers)
    answers[name] = [response.status_code, response.content.decode()]
print(json.dumps(answers))
"""


def test_with_the_database_down_users_still_get_the_chinese_500() -> None:
    """GIVEN PostgreSQL does not answer WHEN a signed-in user opens a page, an htmx request
    or an API call THEN each gets its Chinese 500, through the whole middleware stack."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nlzf",  # nothing listens on port 1
        "DEBUG": "false",
    }
    result = subprocess.run(
        [sys.executable, "-c", DATABASE_DOWN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    answers = json.loads(result.stdout.strip().splitlines()[-1])
    status, html = answers["page"]
    assert status == 500 and "服务器出错了" in html and "app-navbar" in html
    status, html = answers["htmx"]
    assert status == 500 and "服务器出错了" in html and "<html" not in html
    status, body = answers["api"]
    assert status == 500
    assert json.loads(body)["errors"][0]["detail"] == "服务器出错，并非您的操作所致，错误已记录。"
    assert "OperationalError" in result.stderr  # and the error was logged


MAKE_RUN = """
import json, django
from django.test.utils import setup_test_environment
django.setup()
setup_test_environment()
from django.conf import settings
from django.test import Client
client = Client(raise_request_exception=False)
page = client.get("/no-such-page/")
style = client.get("/static/vendor/bootstrap/css/bootstrap.min.css")
print(json.dumps([settings.DEBUG, page.status_code, page.content.decode(), style.status_code]))
"""


def test_make_run_shows_the_pages_users_see() -> None:
    """GIVEN the settings of `make run` (the demo) WHEN a page is missing THEN the Chinese
    404 in the layout, not Django's debug page, and the static files still load without
    collectstatic."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    env.pop("DEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", MAKE_RUN],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    debug, status, html, style = json.loads(result.stdout.strip().splitlines()[-1])
    assert debug is False
    assert status == 404 and "没有这个页面" in html and "app-navbar" in html
    assert "Page not found" not in html and "URLconf" not in html
    assert style == 200
