"""Production hardening: lockout behind the reverse proxy, the Content-Security-Policy,
no caching of signed-in responses, API docs for signed-in users, and the API's JSON 404.

The CSP is checked here as a header and as a scan of every template and script for what it
would block; tests/browser/test_csp.py checks that real pages raise no violation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from itertools import chain
from pathlib import Path

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory

from config.proxy import client_ip
from tasks_ledger.models import Evidence
from tasks_ledger.tests.factories import make_item, make_ledger

ROOT = Path(__file__).resolve().parent.parent
LOGIN = "/accounts/login/"
TOKEN = "/api/v1/auth/token/"
PASSWORD = "pass-1234"  # accounts.tests.factories.UserFactory
PROXY = "172.18.0.1"  # the reverse proxy, as REMOTE_ADDR
CLIENT_A = "10.20.1.15"
CLIENT_B = "10.20.7.33"


def behind_proxy(address: str, forwarded: str | None = None) -> dict[str, str]:
    """Request headers as the one reverse proxy passes them on for a client at ``address``."""
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": forwarded or address}


def login_get(client: Client, user, url: str, **extra):
    """GET ``url`` as ``user``; the answer must be 200."""
    client.force_login(user)
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return response


# --- the client's address ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        pytest.param(0, "10.1.1.1", "127.0.0.9", id="no-proxy-ignores-the-header"),
        pytest.param(1, "10.1.1.1", "10.1.1.1", id="one-proxy"),
        pytest.param(1, "6.6.6.6, 10.1.1.1", "10.1.1.1", id="one-proxy-client-prepends"),
        pytest.param(2, "10.1.1.1, 192.168.9.2", "10.1.1.1", id="gateway-and-nginx"),
        pytest.param(2, "6.6.6.6, 10.1.1.1, 192.168.9.2", "10.1.1.1", id="two-spoofed"),
        pytest.param(1, "", "127.0.0.9", id="header-missing"),
        pytest.param(2, "10.1.1.1", "127.0.0.9", id="fewer-hops-than-proxies"),
        pytest.param(1, "not-an-address", "127.0.0.9", id="garbage"),
        pytest.param(1, "2001:db8::1", "2001:db8::1", id="ipv6"),
    ],
)
def test_client_ip_is_the_entry_the_outermost_proxy_appended(
    settings, count: int, forwarded: str, expected: str
) -> None:
    """GIVEN TRUSTED_PROXY_COUNT proxies THEN the client is that many entries from the right
    of X-Forwarded-For; what a client writes further left is never read."""
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.9", HTTP_X_FORWARDED_FOR=forwarded)
    assert client_ip(request) == expected


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


def test_lockout_behind_the_proxy_is_per_client_address(org, settings, auth_log) -> None:
    """GIVEN one reverse proxy WHEN client A types a wrong password three times (the test
    limit) THEN A is locked out of that account, even when it puts another address in
    X-Forwarded-For itself, while client B signs in to the same account; axes and the log
    record A's address, not the proxy's."""
    settings.TRUSTED_PROXY_COUNT = 1
    client_a = Client(**behind_proxy(CLIENT_A))
    wrong = {"username": "inside", "password": "wrong"}
    right = {"username": "inside", "password": PASSWORD}
    assert client_a.post(LOGIN, wrong).status_code == 200
    assert client_a.post(LOGIN, wrong).status_code == 200
    assert client_a.post(LOGIN, wrong).status_code == 429
    assert client_a.post(LOGIN, right).status_code == 429
    # A header of A's own choosing ends up left of what the proxy appended: still A.
    spoofed = client_a.post(LOGIN, right, HTTP_X_FORWARDED_FOR=f"10.99.0.1, {CLIENT_A}")
    assert spoofed.status_code == 429

    client_b = Client(**behind_proxy(CLIENT_B))
    response = client_b.post(LOGIN, right)
    assert response.status_code == 302
    assert "_auth_user_id" in client_b.session

    attempt = AccessAttempt.objects.get(username="inside")
    assert attempt.ip_address == CLIENT_A
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {CLIENT_A}
    assert AccessLog.objects.get(username="inside").ip_address == CLIENT_B
    messages = [r.getMessage() for r in auth_log.records]
    assert f"login failure user=inside ip={CLIENT_A}" in messages
    assert f"login success user=inside ip={CLIENT_B}" in messages
    assert not any(PROXY in m for m in messages)


def test_api_token_lockout_behind_the_proxy_is_per_client_address(org, settings) -> None:
    """GIVEN one reverse proxy WHEN client A fails the token sign-in three times THEN A gets
    429 and client B still gets a token for the same user."""
    settings.TRUSTED_PROXY_COUNT = 1
    client_a = Client(**behind_proxy(CLIENT_A))
    wrong = {"username": "inside", "password": "wrong"}
    for _attempt in range(2):
        assert client_a.post(TOKEN, wrong).status_code == 400
    assert client_a.post(TOKEN, wrong).status_code == 429
    assert client_a.post(TOKEN, {"username": "inside", "password": PASSWORD}).status_code == 429
    client_b = Client(**behind_proxy(CLIENT_B))
    response = client_b.post(TOKEN, {"username": "inside", "password": PASSWORD})
    assert response.status_code == 200, response.content
    assert AccessAttempt.objects.get(username="inside").ip_address == CLIENT_A


def test_without_proxy_setting_the_forwarded_header_is_ignored(org, settings) -> None:
    """GIVEN no trusted proxy (development) WHEN a client sends X-Forwarded-For THEN axes
    records the connecting address: the header cannot choose the address locked out."""
    settings.TRUSTED_PROXY_COUNT = 0
    client = Client(REMOTE_ADDR="10.30.0.4", HTTP_X_FORWARDED_FOR="10.99.0.1")
    client.post(LOGIN, {"username": "inside", "password": "wrong"})
    assert AccessAttempt.objects.get(username="inside").ip_address == "10.30.0.4"


# --- Content-Security-Policy ---------------------------------------------------------------


def directives(header: str) -> dict[str, list[str]]:
    """A CSP header as {directive: [sources]}."""
    parts = (p.split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def test_pages_send_a_policy_without_inline_script_or_eval(org, client) -> None:
    """GIVEN any page THEN its CSP allows scripts and styles from the app only: no inline
    script, no eval, no <style> element; only style attributes may be inline."""
    for response in (client.get(LOGIN), login_get(client, org.inside, "/")):
        policy = directives(response["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["style-src-attr"] == ["'unsafe-inline'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert "'unsafe-eval'" not in " ".join(chain.from_iterable(policy.values()))


TEMPLATES = sorted([*ROOT.glob("templates/**/*.html"), *ROOT.glob("*/templates/**/*.html")])
SCRIPTS = sorted([*ROOT.glob("static/**/*.js"), *ROOT.glob("*/static/**/*.js")])
APPS = ("accounts", "campaign", "tasks_ledger", "assessments", "accountability", "workbooks")
#: Python modules that draw markup themselves (the rows, the map, the selects, the badges):
#: what they write reaches the browser as a template's would.
MARKUP_MODULES = sorted(
    path
    for app in ("config", *APPS)
    for path in (ROOT / app).rglob("*.py")
    if "tests" not in path.parts
    and "migrations" not in path.parts
    and re.search(r"\b(format_html|format_html_fast|html_fast|mark_safe)\b", path.read_text())
)


def csp_problems(name: object, text: str) -> list[str]:
    """What the policy would block in ``text``: an inline <script>, an on...= handler, a
    javascript: URL, a <style> element, an htmx attribute that needs eval."""
    problems = []
    for tag in re.findall(r"<script\b[^>]*>", text, re.I):
        if "src=" not in tag and 'type="application/json"' not in tag:
            problems.append(f"{name}: inline script {tag}")
    for match in re.findall(r"<[a-z][^>]*\son[a-z]+\s*=", text, re.I):
        problems.append(f"{name}: event handler attribute in {match}")
    if re.search(r"javascript:", text, re.I):
        problems.append(f"{name}: javascript: URL")
    if re.search(r"<style\b", text, re.I):
        problems.append(f"{name}: <style> element")
    if re.search(r"\bhx-on[:-]|js:", text):
        problems.append(f"{name}: htmx attribute that needs eval")
    return problems


def test_templates_have_no_inline_script_handler_or_javascript_url() -> None:
    """GIVEN every template THEN the CSP has nothing to block: each <script> has a src, no
    element has an on...= handler or a javascript: URL, and there is no <style> element."""
    assert len(TEMPLATES) > 20
    problems = [
        p for path in TEMPLATES for p in csp_problems(path.relative_to(ROOT), path.read_text())
    ]
    assert problems == []


def test_markup_drawn_in_python_has_no_inline_script_handler_or_javascript_url() -> None:
    """GIVEN every module that draws HTML in Python (the item rows, the battle map, the
    queues, the registry, the fast selects) THEN the same holds as for the templates."""
    names = {str(path.relative_to(ROOT)) for path in MARKUP_MODULES}
    assert {
        "tasks_ledger/item_rows.py",
        "tasks_ledger/battle_map.py",
        "tasks_ledger/tables.py",
        "accountability/tables.py",
    } <= names
    problems = [
        p for path in MARKUP_MODULES for p in csp_problems(path.relative_to(ROOT), path.read_text())
    ]
    assert problems == []


def test_scripts_do_not_evaluate_strings() -> None:
    """GIVEN our own JavaScript THEN nothing needs 'unsafe-eval'."""
    assert SCRIPTS
    for path in SCRIPTS:
        text = path.read_text()
        assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|setTimeout\(\s*[\"']", text), path


def test_htmx_is_configured_for_the_policy(org, client) -> None:
    """GIVEN a page THEN htmx is told not to inject its indicator <style> nor to eval, and the
    indicator rules come from app.css instead."""
    page = login_get(client, org.inside, "/").content.decode()
    assert (
        """<meta name="htmx-config" content='{"includeIndicatorStyles": false, """
        """"allowEval": false}'>"""
    ) in page
    css = (ROOT / "static" / "css" / "app.css").read_text()
    assert ".htmx-request .htmx-indicator" in css


# --- Cache-Control -------------------------------------------------------------------------


def private_no_store(response) -> bool:
    """Whether Cache-Control says private and no-store."""
    given = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= given


@pytest.mark.parametrize(
    "url",
    ["/", "/units/", "/campaigns/", "/ledgers/items/", "/ledgers/map/", "/api/v1/me/", "/admin/"],
)
def test_responses_to_a_signed_in_user_are_private_and_not_stored(org, client, url) -> None:
    """GIVEN a signed-in user WHEN a page, the admin or the API answers THEN Cache-Control
    says private, no-store."""
    assert private_no_store(login_get(client, org.superuser, url))


def test_api_answers_to_a_token_are_private_and_not_stored(org, client) -> None:
    """GIVEN an API token (no session) THEN API answers are private, no-store too."""
    token = client.post(TOKEN, {"username": "inside", "password": PASSWORD}).json()["token"]
    response = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200
    assert private_no_store(response)


def test_downloads_are_private_and_not_stored(org, client, settings, tmp_path) -> None:
    """GIVEN an item with evidence WHEN its file and the Excel export are downloaded THEN
    neither may be stored by a cache."""
    settings.MEDIA_ROOT = str(tmp_path)
    item = make_item(make_ledger(org.campaign), org.county_a)
    client.force_login(org.inside)
    pdf = SimpleUploadedFile("报告.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")
    posted = client.post(
        f"/ledgers/items/{item.pk}/progress/",
        {"percent": 10, "text": "开工", "version": item.version, "evidence": [pdf]},
    )
    assert posted.status_code == 302
    evidence = Evidence.objects.get(item=item)
    download = client.get(f"/ledgers/evidence/{evidence.pk}/")
    assert download.status_code == 200
    assert private_no_store(download)
    export = client.get("/ledgers/excel/export/")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert private_no_store(export)


def test_anonymous_pages_and_static_files_keep_their_caching(org, settings) -> None:
    """GIVEN the login page and a static file THEN they are not forced to no-store by the
    middleware: the login page has Django's own never-cache headers (it holds a CSRF token),
    and static files stay cacheable even for a signed-in user."""
    settings.WHITENOISE_USE_FINDERS = True  # read by the middleware of a new Client
    client = Client()
    login = client.get(LOGIN)
    assert "max-age=0" in login["Cache-Control"]  # never_cache, as Django's LoginView sets
    client.force_login(org.inside)
    css = client.get("/static/css/app.css")
    assert css.status_code == 200
    assert "max-age=" in css["Cache-Control"]
    assert "no-store" not in css["Cache-Control"]
    assert "private" not in css["Cache-Control"]


def test_answers_to_anonymous_callers_are_left_alone(client) -> None:
    """GIVEN no user THEN the middleware adds nothing (only signed-in answers are private)."""
    response = client.get("/api/v1/units/")
    assert response.status_code == 401
    assert "Cache-Control" not in response


# --- API schema and docs ---------------------------------------------------------------------


def test_schema_and_docs_need_a_signed_in_user_when_not_public(org, client, settings) -> None:
    """GIVEN API_DOCS_PUBLIC off (production) WHEN anonymous THEN the schema answers 401 in
    the API's error shape and the docs page sends to the login page; signed in, both work."""
    settings.API_DOCS_PUBLIC = False
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 401
    assert schema.json()["errors"][0]["code"] == "not_authenticated"
    docs = client.get("/api/docs/")
    assert docs.status_code == 302
    assert docs["Location"] == f"{LOGIN}?next=/api/docs/"
    assert client.get("/api/docs/", {"script": ""}).status_code == 302

    client.force_login(org.inside)
    assert client.get("/api/schema/", {"format": "json"}).status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_schema_and_docs_are_open_when_public(client, settings) -> None:
    """GIVEN API_DOCS_PUBLIC on (development and tests) THEN anonymous callers read both."""
    settings.API_DOCS_PUBLIC = True
    assert client.get("/api/schema/", {"format": "json"}).status_code == 200
    assert client.get("/api/docs/").status_code == 200


def test_schema_accepts_a_token(org, client, settings) -> None:
    """GIVEN API_DOCS_PUBLIC off THEN a script with an API token can fetch the schema."""
    settings.API_DOCS_PUBLIC = False
    token = client.post(TOKEN, {"username": "inside", "password": PASSWORD}).json()["token"]
    response = Client().get("/api/schema/", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200


def test_docs_page_loads_its_start_up_script_as_a_file(org, client, settings) -> None:
    """GIVEN the docs page THEN it has no inline script or style: Swagger UI's start-up
    script is a separate JavaScript response from the same view."""
    settings.API_DOCS_PUBLIC = False
    page = login_get(client, org.inside, "/api/docs/").content.decode()
    assert re.findall(r"<script\b(?![^>]*\bsrc=)", page) == []
    assert "<style" not in page
    assert "/static/css/api-docs.css" in page
    script = login_get(client, org.inside, "/api/docs/", data={"script": ""})
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle(" in script.content
    assert b"/api/schema/" in script.content


# --- the API's 404 ---------------------------------------------------------------------------


def assert_api_404(response) -> None:
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["type"] == "client_error"
    assert [e["code"] for e in body["errors"]] == ["not_found"]
    assert body["errors"][0]["attr"] is None


@pytest.mark.parametrize(
    "path", ["/api/v1/nope/", "/api/whatever", "/api/", "/api/v2/units/", "/api/v1/units/1/x/"]
)
def test_unknown_api_paths_answer_json_404(org, client, path) -> None:
    """GIVEN an unknown path under /api/ THEN anonymous and signed-in callers, with any
    method, get 404 in the API's one error shape (drf-standardized-errors)."""
    assert_api_404(client.get(path))
    assert_api_404(client.post(path, {"a": 1}))
    client.force_login(org.inside)
    assert_api_404(client.get(path, HTTP_ACCEPT="text/html"))
    assert_api_404(client.delete(path))


def test_known_api_object_outside_jurisdiction_keeps_the_same_shape(org, client) -> None:
    """GIVEN a unit id the caller may not see THEN the viewset's 404 has the same shape."""
    client.force_login(org.outsider)
    assert_api_404(client.get(f"/api/v1/units/{org.county_a.pk}/"))


def test_unknown_page_paths_keep_the_html_404(org, client) -> None:
    """GIVEN an unknown page path (or one that merely starts with "api") THEN Django's HTML
    404 page answers, and a missing trailing slash is still redirected."""
    for path in ("/nope/", "/apiary/", "/ledgers/nope/"):
        response = client.get(path)
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html"), path
    assert client.get("/api/v1/units").status_code == 301
