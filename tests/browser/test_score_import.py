"""Scores in from Excel in Chromium at 1366×768 and 390 px: a third-party evaluator uploads
the LibreOffice workbook of the round being scored, sees each column's field and every score
the import would enter (``score-import-preview.png``, ``score-import-preview-phone.png``),
enters them; a workbook with mistakes lists each in Chinese by row and column
(``score-import-problems.png``) and saves nothing.

Data: the assessment world of ``assessments/tests/conftest.py`` (the round 2022年评分中 is
being scored; 县01, 县02, 甲县, 甲镇 are assessed; T1 is the third-party indicator).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.factories import RoleAssignmentFactory, UserFactory
from assessments.models import ScoreEntry, ScoreImportJob
from assessments.tests.conftest import Assessment, assessment  # noqa: F401 - the fixture
from tests.browser.conftest import VIEWPORT

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "pass-1234"  # accounts.tests.factories.UserFactory
FIXTURE = Path(__file__).resolve().parents[2] / "assessments/tests/fixtures/third_party_scores.xlsx"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def world(assessment: Assessment, settings: Any, tmp_path: Path) -> Any:  # noqa: F811
    """The assessment world with a third-party evaluator over the city."""
    settings.MEDIA_ROOT = tmp_path / "media"
    evaluator = UserFactory(username="evaluator", name="第三方评估机构")
    RoleAssignmentFactory(user=evaluator, role=Role.EVALUATOR, scope=assessment.org.city)
    return assessment


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def assert_fits(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


def upload(page: Page, name: str, data: bytes) -> None:
    page.get_by_label("Excel 工作簿（.xlsx）").set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": data}
    )
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="上传并检查").click()


def test_an_evaluator_imports_scores_in_the_browser(
    page: Page, live_server: Any, world: Any, shot: Callable[..., Path]
) -> None:
    """GIVEN the evaluator's LibreOffice workbook WHEN uploaded THEN each column shows its
    field, the preview lists the four scores (90% of 100 as 90.00) on a desktop and a phone;
    WHEN entered THEN the round has them."""
    round_ = world.scoring
    base = live_server.url
    log_in(page, base, "evaluator")
    page.goto(f"{base}/assessments/rounds/{round_.pk}/import/")
    expect(page.get_by_role("heading", name="导入分数", exact=False).first).to_be_visible()
    expect(page.get_by_text("T1", exact=True)).to_be_visible()
    shot("score-import-form")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits(page)
    shot("score-import-form-phone")
    page.set_viewport_size(VIEWPORT)
    upload(page, "第三方评估得分表.xlsx", FIXTURE.read_bytes())

    mapping = page.get_by_role("region", name="核对各列对应的字段")
    expect(mapping.get_by_label("被考核单位")).to_have_value("unit")
    expect(mapping.get_by_label("考核指标")).to_have_value("indicator")
    expect(mapping.get_by_label("得分")).to_have_value("points")
    preview = page.get_by_role("region", name="导入后将会")
    expect(preview).to_contain_text("县02")
    expect(preview).to_contain_text("90.00")
    expect(preview).to_contain_text("由 90% 折算")
    assert_fits(page)
    shot("score-import-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits(page)
    shot("score-import-preview-phone")
    page.set_viewport_size(VIEWPORT)

    with page.expect_navigation(wait_until="load"):
        preview.get_by_role("button", name="录入这 4 个得分").click()
    expect(page.get_by_role("status").filter(has_text="已导入")).to_contain_text("新增 4 个得分")
    assert ScoreEntry.objects.filter(round=round_).count() == 4
    assert ScoreEntry.objects.get(round=round_, unit__name="县02").points == Decimal("90.00")


def test_mistakes_are_listed_in_chinese_and_nothing_is_saved(
    page: Page, live_server: Any, world: Any, shot: Callable[..., Path]
) -> None:
    """GIVEN a sheet naming an unknown unit and points above the maximum WHEN the evaluator
    uploads it THEN both are listed by row and column in Chinese and there is no button to
    enter anything."""
    wb = openpyxl.Workbook()
    ws: Any = wb.active
    ws.append(["第三方评估得分表"])
    ws.append(["单位", "指标", "得分"])
    ws.append(["县01", "T1", 80])
    ws.append(["丙县", "T1", 80])
    ws.append(["县02", "T1", 120])
    out = io.BytesIO()
    wb.save(out)
    base = live_server.url
    log_in(page, base, "evaluator")
    page.goto(f"{base}/assessments/rounds/{world.scoring.pk}/import/")
    upload(page, "有错的得分表.xlsx", out.getvalue())
    problems = page.get_by_role("region", name="发现 2 个问题")
    expect(problems).to_contain_text("未知单位“丙县”")
    expect(problems).to_contain_text("单位（A 列）")
    expect(problems).to_contain_text("超过了")
    expect(page.get_by_role("button", name="录入", exact=False)).to_have_count(0)
    assert_fits(page)
    shot("score-import-problems")
    assert ScoreEntry.objects.count() == 0
    assert ScoreImportJob.objects.get().status == "checked"
