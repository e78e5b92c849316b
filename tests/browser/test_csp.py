"""The Content-Security-Policy breaks nothing: in Chromium, the main pages, their htmx
interactions, the admin and the API docs (Swagger UI) raise no CSP violation.

Violations are caught two ways: Chromium's own console error ("Refused to ... because it
violates the following Content Security Policy directive") and the page's
``securitypolicyviolation`` event, which an init script (run by Playwright, outside the
policy) turns into a console error too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
import time_machine
from playwright.sync_api import ConsoleMessage, Page, expect

from campaign.tests.factories import CampaignFactory
from tasks_ledger.models import LedgerItem
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2022, 6, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PASSWORD = "pass-1234"  # accounts.tests.factories.UserFactory
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", function (event) {
  console.error("CSP violation: " + event.violatedDirective + " blocked " + event.blockedURI
    + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""


@pytest.fixture
def items(org) -> Iterator[list[LedgerItem]]:
    """Two items of 甲县 and a second campaign, so the battle map offers a campaign choice."""
    with time_machine.travel(NOW, tick=True):
        ledger = make_ledger(org.campaign)
        CampaignFactory.create(owner_unit=org.city, name="第二个活动")
        yield [
            make_item(ledger, org.county_a, code="1", title="污水管网改造"),
            make_item(ledger, org.county_a, code="2", title="老旧小区改造", progress=40),
        ]


@pytest.fixture
def violations(page: Page) -> list[str]:
    """CSP violations reported on the page's console, collected for the whole test."""
    found: list[str] = []

    def listen(message: ConsoleMessage) -> None:
        text = message.text
        if "Content Security Policy" in text or text.startswith("CSP violation"):
            found.append(f"{page.url}: {text}")

    page.add_init_script(REPORT_VIOLATIONS)
    page.on("console", listen)
    return found


def visit(page: Page, url: str) -> None:
    """Open a page, check it came with the policy, and let its scripts run."""
    response = page.goto(url, wait_until="load")
    assert response is not None and response.status == 200, url
    assert "script-src 'self'" in response.headers.get("content-security-policy", ""), url


def log_in(page: Page, base: str, username: str) -> None:
    """Sign in through the real form."""
    visit(page, f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def test_main_pages_raise_no_csp_violation(page: Page, live_server, org, items, violations) -> None:
    """GIVEN the policy enforced WHEN the campaign office browses the pages, searches with
    htmx, filters its items and switches the battle map's campaign THEN Chromium reports no
    violation and the scripts did run (htmx swapped, Bootstrap loaded)."""
    base = live_server.url
    log_in(page, base, org.above.username)
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.bootstrap") == "object"
    assert page.evaluate("htmx.config.allowEval") is False
    assert page.evaluate("htmx.config.includeIndicatorStyles") is False

    for path in (
        "/",
        "/units/",
        f"/units/{org.county_a.pk}/",
        "/campaigns/",
        f"/campaigns/{org.campaign.pk}/",
        "/ledgers/",
        f"/ledgers/items/{items[1].pk}/",
        "/ledgers/queues/",
        "/ledgers/meetings/",
        "/ledgers/meetings/new/",
        "/ledgers/excel/import/",
        "/accounts/password/change/",
    ):
        visit(page, f"{base}{path}")

    # htmx: the unit search swaps its results in, with the spinner's rules from app.css.
    visit(page, f"{base}/units/")
    with page.expect_response(re.compile(r"/units/\?")):
        page.get_by_role("searchbox").first.fill("甲县")
    expect(page.locator("#main")).to_contain_text("甲县")

    # htmx: the item list's filter swaps the table.
    visit(page, f"{base}/ledgers/items/")
    with page.expect_response(re.compile(r"/ledgers/items/\?")):
        page.locator("#f-q").fill("污水")
    expect(page.locator("#main")).to_contain_text("污水管网改造")
    expect(page.locator("#main")).not_to_contain_text("老旧小区改造")

    # The battle map's campaign choice submits itself (data-autosubmit, not onchange).
    visit(page, f"{base}/ledgers/map/")
    with page.expect_navigation(url=re.compile(r"/ledgers/map/\?(.*&)?campaign=\d+")):
        page.locator("#map-campaign").select_option(label="第二个活动")

    assert violations == []


def test_admin_raises_no_csp_violation(page: Page, live_server, org, items, violations) -> None:
    """GIVEN the policy WHEN a superuser opens the admin's index, a list and a change form
    THEN no violation (Django 5.2's admin has no inline script)."""
    base = live_server.url
    log_in(page, base, org.superuser.username)
    for path in (
        "/admin/",
        "/admin/accounts/unit/",
        f"/admin/accounts/unit/{org.county_a.pk}/change/",
        f"/admin/tasks_ledger/ledgeritem/{items[0].pk}/change/",
    ):
        visit(page, f"{base}{path}")
    assert violations == []


def test_api_docs_work_under_the_policy(page: Page, live_server, org, settings, violations):
    """GIVEN the docs for signed-in users only WHEN the office opens /api/docs/ THEN Swagger
    UI starts from its script file, shows the operations and raises no violation."""
    settings.API_DOCS_PUBLIC = False
    base = live_server.url
    page.goto(f"{base}/api/docs/")
    page.wait_for_url(re.compile(r"/accounts/login/\?next=/api/docs/$"))
    page.get_by_label("用户名").fill(org.above.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/api/docs/")
    # The schema is generated on request: seconds on a busy machine.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("API", timeout=60_000)
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    page.locator(".swagger-ui .opblock-summary").first.click()
    expect(page.locator(".swagger-ui .opblock-body").first).to_be_visible()
    assert violations == []


def test_the_policy_is_enforced(page: Page, live_server, violations) -> None:
    """GIVEN a page of the app WHEN an inline script and an inline event handler are put in
    it THEN neither runs and both are reported (so the tests above prove something).

    (Playwright's own evaluate is exempt from the page's policy, so eval cannot be tried
    from here.)"""
    visit(page, f"{live_server.url}/accounts/login/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.__inline = true";
          document.body.append(script);
          const button = document.createElement("button");
          button.id = "injected";
          button.setAttribute("onclick", "window.__handler = true");
          button.textContent = "x";
          document.body.append(button);
        }"""
    )
    page.locator("#injected").click()
    page.wait_for_timeout(200)
    assert page.evaluate("window.__inline") is None
    assert page.evaluate("window.__handler") is None
    reported = [v for v in violations if "script-src" in v]
    assert len(reported) >= 2, violations
