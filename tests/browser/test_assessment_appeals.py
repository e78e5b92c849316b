"""In Chromium: 甲县's liaison reads the unit's assessment on a 390-pixel phone (its rounds,
the review round with its deductions and the daily formula with its figures), appeals a
deduction with evidence (first forgetting the reasons), and the assessment office upholds it
at its desk; the unit then sees the deduction reversed. Screenshots: ``appeal-*.png``.

Data: the assessment world of ``assessments/tests/conftest.py`` (the Q2 round under review,
appeals until 20 July 2022); the clock reads 10 July 2022 (tick on).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import time_machine
from playwright.sync_api import Page, expect

from assessments.models import (
    Appeal,
    AppealStatus,
    DailyMetric,
    DeductionOrigin,
    DeductionStatus,
    Result,
    Round,
    RoundStatus,
    ScoreEntry,
)
from assessments.results import round_compute
from assessments.tests.conftest import Assessment, assessment  # noqa: F401 - the fixture

from .test_inbox import PHONE, assert_fits, log_in

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2022, 7, 10, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=True):
        yield


def test_the_liaison_appeals_on_a_phone_and_the_office_upholds(
    page: Page,
    live_server,
    shot: Callable[..., Path],
    clock: None,
    assessment: Assessment,  # noqa: F811 - the fixture imported above
    settings,
    tmp_path: Path,
) -> None:
    """GIVEN 5 points off 甲县's 台账推进 for an unanswered notice, in the round under review
    WHEN its liaison opens 我的考核 on a phone, finds the deduction and appeals, first without
    reasons THEN the form says what is missing and saves nothing; sent with a receipt, the
    appeal waits; the office opens it from its queue and upholds it with a reason; the
    liaison sees the deduction reversed and the decision."""
    settings.MEDIA_ROOT = str(tmp_path)
    a = assessment
    org = a.org
    d1 = a.w.indicators["D1"]
    d1.metric = DailyMetric.ON_TIME_RATE
    d1.save(update_fields=["metric"])
    a.w.full_marks(org.county_a)
    ScoreEntry.objects.filter(round=a.review, unit=org.county_a, indicator=d1).update(
        points=Decimal(45), comment="按时完成 18/20 项"
    )
    notice = a.notice(org.county_a, "城区污水管网改造进度滞后督办")
    deduction = a.deduct(
        a.review,
        org.county_a,
        "5",
        origin=DeductionOrigin.NOTICE,
        notice=notice,
    )
    a.deduct(a.review, org.county_b, "4")  # someone else's: never shown to 甲县
    base = live_server.url
    receipt = tmp_path / "反馈回执.pdf"
    receipt.write_bytes(PDF)

    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    log_in(page, base)
    page.goto(f"{base}/assessments/mine/")
    expect(page.get_by_role("heading", name="本单位考核")).to_be_visible()
    expect(page.get_by_text("可申诉至 2022-07-20")).to_be_visible()
    assert_fits(page)
    shot("appeal-mine-phone")

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name=a.review.title, exact=False).first.click()
    expect(page.get_by_text("按时完成 18/20 项")).to_be_visible()
    expect(page.get_by_text("得分 = 50 × 按时完成事项数", exact=False)).to_be_visible()
    expect(page.get_by_text("乙县")).to_have_count(0)
    assert_fits(page)
    shot("appeal-round-phone")

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="提出申诉", exact=True).click()
    expect(page.get_by_role("heading", name="对扣分提出申诉")).to_be_visible()
    assert_fits(page)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="提交申诉").click()
    expect(page.get_by_text("请说明申诉理由。")).to_be_visible()
    assert not Appeal.objects.exists()
    page.get_by_label("申诉理由").fill("督办事项已于6月28日书面反馈，附签收回执")
    page.get_by_label("佐证材料").set_input_files(str(receipt))
    assert_fits(page)
    shot("appeal-form-phone")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="提交申诉").click()
    expect(page.get_by_text("申诉已提交", exact=False)).to_be_visible()
    expect(page.get_by_text("申诉待决定").first).to_be_visible()
    assert_fits(page)
    shot("appeal-sent-phone")
    appeal = Appeal.objects.get(deduction=deduction)
    assert appeal.evidence.get().original_name == "反馈回执.pdf"

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, base, "assessor")
    page.goto(f"{base}/assessments/appeals/")
    expect(page.get_by_text("1 件待你决定")).to_be_visible()
    shot("appeal-queue")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="督办事项已于6月28日", exact=False).click()
    expect(page.get_by_role("link", name="反馈回执.pdf")).to_be_visible()
    page.get_by_label("成立：撤销该项扣分").check()
    page.get_by_label("决定理由").fill("回执属实，按期反馈")
    shot("appeal-decide")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="提交决定").click()
    expect(page.get_by_text("申诉成立：该项扣分已撤销", exact=False)).to_be_visible()
    appeal.refresh_from_db()
    deduction.refresh_from_db()
    assert appeal.status == AppealStatus.UPHELD
    assert deduction.status == DeductionStatus.REVERSED

    page.context.clear_cookies()
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    log_in(page, base)
    page.goto(f"{base}/assessments/deductions/{deduction.pk}/")
    expect(page.get_by_text("回执属实，按期反馈", exact=True)).to_be_visible()
    expect(page.get_by_text("申诉成立").first).to_be_visible()
    expect(page.get_by_role("link", name="提出申诉", exact=True)).to_have_count(0)
    assert_fits(page)
    shot("appeal-upheld-phone")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="甲县联络员 于", exact=False).click()
    expect(page.get_by_text("回执属实，按期反馈", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="提交决定")).to_have_count(0)
    assert_fits(page)
    shot("appeal-detail-phone")
    page.goto(f"{base}/assessments/appeals/")
    expect(page.get_by_text("督办事项已于6月28日", exact=False)).to_be_visible()
    assert_fits(page)
    shot("appeal-queue-phone")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{base}/assessments/mine/{a.review.pk}/")
    expect(page.get_by_text("已撤销").first).to_be_visible()
    shot("appeal-round-desktop")


def test_a_published_result_on_a_phone_and_at_a_desk(
    page: Page,
    live_server,
    shot: Callable[..., Path],
    clock: None,
    assessment: Assessment,  # noqa: F811 - the fixture imported above
) -> None:
    """GIVEN the Q2 round computed and published, 甲县 second of five and up two places WHEN
    its liaison opens the round THEN the total, grade, rank, tier and movement show, with
    the subtotals by source, on a phone as at a desk."""
    a = assessment
    for unit in (a.org.county_a, a.org.county_b, a.org.township_a, *a.w.units):
        a.w.full_marks(unit)
    a.deduct(a.review, a.org.county_a, "5")
    round_compute(round_=a.review)
    Round.objects.filter(pk=a.review.pk).update(status=RoundStatus.PUBLISHED)
    Result.objects.filter(round=a.review, unit=a.org.county_a).update(movement=2)
    result = Result.objects.get(round=a.review, unit=a.org.county_a)
    base = live_server.url
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    log_in(page, base)
    page.goto(f"{base}/assessments/mine/{a.review.pk}/")
    expect(page.get_by_role("heading", name="考核结果")).to_be_visible()
    expect(page.get_by_text(str(result.total), exact=True)).to_be_visible()
    expect(page.get_by_text("↑2")).to_be_visible()
    assert_fits(page)
    shot("appeal-published-phone")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{base}/assessments/mine/")
    expect(page.get_by_text(str(result.total), exact=True)).to_be_visible()
    shot("appeal-mine-desktop")
    page.goto(f"{base}/assessments/mine/{a.review.pk}/")
    shot("appeal-published-desktop")
