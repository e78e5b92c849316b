"""The public satisfaction survey in Chromium: answered on a 390×844 phone without signing in
(the unit chosen from the list grouped by category, four ratings tapped, the number typed
with spaces), a second answer from the number refused in Chinese, the limit per address
answered with its own page; and the office's page at 1366 pixels, computing public scores.
Screenshots go to ``test-artifacts/screenshots/survey-*.png``.

Data: the shared ``org`` tree with make_world's scheme, its round being scored with the
survey open, and the org's counties assessed beside make_world's. The limit's counts live in
the real Redis under a key prefix of each test's own.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from playwright.sync_api import Page, expect

from assessments.models import CategoryMember, Round, RoundStatus, SchemeStatus, SurveyResponse
from assessments.tests.test_results import make_world
from tests.browser.conftest import SCREENSHOTS
from tests.browser.test_phone import assert_fits, assert_tappable, log_in, phone  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def own_cache(settings: Any) -> Iterator[None]:
    """A cache key prefix of this test's own, so the limit's counts start at zero."""
    caches = {alias: dict(config) for alias, config in django_settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"nlzf-test-survey-{uuid.uuid4().hex}"
    settings.CACHES = caches
    yield


@pytest.fixture
def survey(org: Any) -> Round:
    """make_world's round, being scored with its survey open; the org's counties and
    township assessed too."""
    w = make_world(org, 3)
    for unit in (org.county_a, org.township_a, org.county_b):
        unit.refresh_from_db()
    w.scheme.status = SchemeStatus.IN_USE
    w.scheme.save(update_fields=["status"])
    CategoryMember.objects.bulk_create(
        CategoryMember(scheme=w.scheme, category=w.category, unit=unit)
        for unit in (org.county_a, org.township_a, org.county_b)
    )
    w.round.status, w.round.survey_open = RoundStatus.SCORING, True
    w.round.save(update_fields=["status", "survey_open"])
    return w.round


def snap(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"survey-{name}.png"), full_page=True)


def answer(page: Page, unit: str, phone_number: str) -> None:
    """Choose the unit, tap 5, 4, 4, 5 and type the number; the caller submits."""
    page.get_by_label("办事单位").select_option(label=unit)
    for legend, rating in (("服务态度", 5), ("办事效率", 4), ("廉洁守纪", 4), ("总体满意度", 5)):
        button = page.locator("fieldset", has_text=legend).locator("label.btn").nth(rating - 1)
        assert_tappable(button)
        button.tap()
    page.get_by_label("意见和建议（选填）").fill("窗口办事很快，态度也好。")
    page.get_by_label("您的手机号码").fill(phone_number)


def test_a_member_of_the_public_answers_on_a_phone(
    phone: Page,  # noqa: F811
    live_server: Any,
    survey: Round,
    org: Any,
) -> None:
    """GIVEN the survey open WHEN someone opens the link on a phone, picks 甲县, taps four
    ratings, types their number with spaces and submits THEN thanks, one answer saved; WHEN
    the same number answers again THEN refused in Chinese, nothing more saved. No page
    scrolls sideways and every rating is a thumb-sized button."""
    page, base = phone, live_server.url
    page.goto(f"{base}/public/survey/")
    expect(page.locator("nav.app-navbar")).to_contain_text("群众满意度评价")
    expect(page.get_by_text("登录")).to_have_count(0)
    assert_fits(page)
    snap(page, "phone-list")
    page.get_by_role("link", name=survey.title).tap()
    expect(page.get_by_role("heading", name=survey.title)).to_be_visible()
    assert_fits(page)
    snap(page, "phone-form")
    answer(page, "甲县", "138 1234 5678")
    assert_tappable(page.get_by_role("button", name="提交评价"))
    snap(page, "phone-form-filled")
    page.get_by_role("button", name="提交评价").tap()
    expect(page.get_by_role("heading", name="感谢您的评价")).to_be_visible()
    assert_fits(page)
    snap(page, "phone-thanks")
    saved = SurveyResponse.objects.get()
    assert (saved.unit, saved.attitude, saved.efficiency, saved.overall) == (org.county_a, 5, 4, 5)

    page.goto(f"{base}/public/survey/{survey.pk}/")
    answer(page, "乙县", "+86 13812345678")
    page.get_by_role("button", name="提交评价").tap()
    expect(page.locator("#survey-errors")).to_contain_text("该手机号已参加过本轮评价")
    assert_fits(page)
    snap(page, "phone-duplicate")
    assert SurveyResponse.objects.count() == 1
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{base}/public/survey/{survey.pk}/")
    assert_fits(page, 1366)
    snap(page, "desktop-form")


def test_too_many_answers_from_one_address_get_a_page_saying_when_to_try_again(
    phone: Page,  # noqa: F811
    live_server: Any,
    survey: Round,
    settings: Any,
) -> None:
    settings.SURVEY_RATE_LIMIT = "1/10m"
    page, base = phone, live_server.url
    # The clock stands still: django-ratelimit counts in fixed windows, and two answers
    # either side of a window's end would both be let through.
    with time_machine.travel(time.time(), tick=False):
        page.goto(f"{base}/public/survey/{survey.pk}/")
        answer(page, "甲县", "13812345678")
        page.get_by_role("button", name="提交评价").tap()
        expect(page.get_by_role("heading", name="感谢您的评价")).to_be_visible()
        page.goto(f"{base}/public/survey/{survey.pk}/")
        answer(page, "乙县", "13912345678")
        page.get_by_role("button", name="提交评价").tap()
        expect(page.get_by_role("heading", name="提交过于频繁")).to_be_visible()
        expect(page.locator(".app-error-reason")).to_contain_text("请 10 分钟后再试")
        assert_fits(page)
        snap(page, "phone-limited")
    assert SurveyResponse.objects.count() == 1


def test_the_office_computes_public_scores_from_its_page(
    page: Page, live_server: Any, survey: Round, org: Any, settings: Any
) -> None:
    """GIVEN five answers for 甲县 and one for 乙县 WHEN the office opens the round's survey
    page and computes THEN 甲县 has its score and the page names 乙县 as too few."""
    from assessments.survey import survey_respond

    for n in range(5):
        survey_respond(
            round_=survey,
            unit=org.county_a,
            phone=f"1390000000{n}",
            attitude=4,
            efficiency=5,
            conduct=4,
            overall=5,
        )
    survey_respond(
        round_=survey,
        unit=org.county_b,
        phone="13900000009",
        attitude=3,
        efficiency=3,
        conduct=3,
        overall=3,
    )
    base = live_server.url
    log_in(page, base, "assessor")
    page.goto(f"{base}/assessments/rounds/{survey.pk}/survey/")
    expect(page.locator("#survey-state")).to_have_text("评价进行中")
    expect(page.locator("#survey-total")).to_have_text("6")
    snap(page, "office")
    page.get_by_role("button", name="计算公众考核得分").click()
    expect(page.locator(".alert-success")).to_contain_text("写入 1 项得分")
    expect(page.locator(".alert-warning")).to_contain_text("乙县（1 份）")
    row = page.locator("#survey-units tr", has_text="甲县")
    expect(row).to_contain_text("87.50")
    snap(page, "office-computed")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    assert_fits(page)
    snap(page, "office-phone")
