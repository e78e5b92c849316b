"""In Chromium: the city's assessment office runs a round from draft to published at its
desk (1280 pixels): opens scoring, enters scores in the grid (a score over the maximum is
refused beside its cell with nothing saved), records a deduction with evidence, moves the
round to review and publishes it after confirming. Then every office page is looked at on a
390-pixel phone. Screenshots: ``assessment-office-*.png``.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from assessments.models import Deduction, Result, RoundStatus, ScoreEntry
from assessments.tests.conftest import Assessment, assessment  # noqa: F401 - the fixture

from .test_inbox import PHONE, assert_fits, log_in

pytestmark = pytest.mark.django_db(transaction=True)

DESK = {"width": 1280, "height": 800}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _cell(page: Page, unit: str, indicator: str) -> Locator:
    return page.get_by_label(f"{unit} · {indicator}", exact=True)


def test_the_office_runs_a_round_to_publication(
    page: Page,
    live_server,
    shot: Callable[..., Path],
    assessment: Assessment,  # noqa: F811 - the fixture imported above
    settings,
    tmp_path,
) -> None:
    """GIVEN the city's scheme in use and its Q4 round a draft WHEN the assessment office opens
    scoring, saves the daily grid (first with a score over the maximum, refused beside the
    cell), records a deduction with evidence, moves the round to review and publishes it
    after confirming THEN each step lands and the results are computed."""
    settings.MEDIA_ROOT = str(tmp_path)
    a = assessment
    round_ = a.rounds[RoundStatus.DRAFT]
    base = live_server.url
    page.set_viewport_size(DESK)
    log_in(page, base, "assessor")

    page.goto(f"{base}/assessments/")
    expect(page.get_by_role("heading", name="考核办工作台")).to_be_visible()
    expect(page.get_by_text("待办事项")).to_be_visible()
    shot("assessment-office-workspace")

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name=round_.title).first.click()
    expect(page.get_by_role("heading", name=round_.title)).to_be_visible()
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="开始评分").click()
    expect(page.get_by_text("考核轮次现为评分中。")).to_be_visible()

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="在评分表中录入分数").click()
    expect(page.get_by_role("heading", name="评分表", exact=False)).to_be_visible()
    _cell(page, "甲县", "台账推进").fill("45")
    _cell(page, "甲县", "督办落实").fill("60")  # over its 50
    _cell(page, "乙县", "台账推进").fill("38.5")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="保存评分表").click()
    expect(page.get_by_text("未保存任何分数", exact=False)).to_be_visible()
    expect(page.get_by_text("确保该值小于或等于50.00", exact=False)).to_be_visible()
    expect(_cell(page, "乙县", "台账推进")).to_have_value("38.5")
    assert not ScoreEntry.objects.filter(round=round_).exists()
    shot("assessment-office-grid-refused")
    _cell(page, "甲县", "督办落实").fill("42")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="保存评分表").click()
    expect(page.get_by_text("已保存分数：3 项。")).to_be_visible()
    shot("assessment-office-grid")
    assert ScoreEntry.objects.get(round=round_, unit=a.org.county_b).points == Decimal("38.50")

    page.goto(f"{base}/assessments/rounds/{round_.pk}/deductions/new/")
    page.get_by_label("单位").select_option(label="甲县")
    page.get_by_label("指标").select_option(value=str(a.w.indicators["D1"].pk))
    page.get_by_label("扣分合计").fill("2")
    page.get_by_label("来源").select_option(value="inspection")
    page.get_by_label("理由").fill("暗访发现台账更新不及时")
    page.get_by_label("佐证材料").set_input_files(
        {"name": "暗访记录.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    shot("assessment-office-deduction-form")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="确认扣分").click()
    expect(page.get_by_text("已记录扣分：甲县 −2", exact=False)).to_be_visible()
    expect(page.get_by_role("link", name="暗访记录.pdf")).to_be_visible()
    shot("assessment-office-deductions")
    page.get_by_label("来源").select_option(value="notice")  # htmx swaps the table alone
    expect(page.locator("#deduction-results")).to_contain_text("扣分 0 项")
    expect(page.get_by_role("link", name="暗访记录.pdf")).to_have_count(0)
    page.get_by_label("来源").select_option(value="inspection")
    expect(page.get_by_role("link", name="暗访记录.pdf")).to_be_visible()
    deduction = Deduction.objects.get(round=round_)
    assert deduction.evidence.count() == 1

    page.goto(f"{base}/assessments/rounds/{round_.pk}/")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="结束评分，转入审核").click()
    expect(page.get_by_text("考核轮次现为审核中。")).to_be_visible()
    page.get_by_role("button", name="发布考核结果").click()
    dialog = page.get_by_role("dialog", name="确认发布考核结果？")
    expect(dialog).to_be_visible()
    shot("assessment-office-publish-confirm", full_page=False)
    with page.expect_navigation(wait_until="load"):
        dialog.get_by_role("button", name="立即发布").click()
    expect(page.get_by_text("考核轮次现为已发布。")).to_be_visible()
    shot("assessment-office-round-published")
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED and round_.circular_issue
    assert Result.objects.filter(round=round_).count() == 5
    assert Result.objects.get(round=round_, unit=a.org.county_a).deduction_count == 1


def test_every_office_page_fits_a_phone(
    page: Page,
    live_server,
    shot: Callable[..., Path],
    assessment: Assessment,  # noqa: F811 - the fixture imported above
) -> None:
    """GIVEN the scheme and its rounds with a score and a deduction WHEN the office opens each
    of its pages on a 390-pixel phone THEN nothing sticks out sideways (the grid and the table
    scroll inside their cards)."""
    a = assessment
    entry = ScoreEntry.objects.create(
        round=a.scoring, unit=a.org.county_a, indicator=a.w.indicators["A1"], points=Decimal(80)
    )
    a.deduct(a.scoring, a.org.county_a)
    base = live_server.url
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    log_in(page, base, "assessor")
    pages = {
        "workspace": "/assessments/",
        "scheme": f"/assessments/schemes/{a.w.scheme.pk}/",
        "round": f"/assessments/rounds/{a.scoring.pk}/",
        "round-new": f"/assessments/rounds/new/?scheme={a.w.scheme.pk}",
        "grid": f"/assessments/rounds/{a.scoring.pk}/scores/?source=daily",
        "score": f"/assessments/scores/{entry.pk}/",
        "deductions": f"/assessments/rounds/{a.scoring.pk}/deductions/",
        "deduction-new": f"/assessments/rounds/{a.scoring.pk}/deductions/new/",
    }
    for name, path in pages.items():
        page.goto(f"{base}{path}")
        expect(page.locator("h1")).to_be_visible()
        assert_fits(page)
        shot(f"assessment-office-{name}-phone")
    page.set_viewport_size(DESK)
    for name in ("scheme", "round", "score"):
        page.goto(f"{base}{pages[name]}")
        shot(f"assessment-office-{name}")
