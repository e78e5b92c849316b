"""Issue 9's acceptance, in Chromium on the demo city: the assessment office publishes the
seed report's first quarter (87 units assessed, 46 of them with deductions) and the
published ranking, the circular (.docx) and the Excel agree with each other to the point.

The demo publishes its first quarter itself (its calendar always has a quarter behind), so
the test first takes that round back to where the office stood the day before: under
review, every score, deduction and appeal decision in place, no results, no circular
number, and the 13 units the office added to the scheme after publishing it
(:data:`assessments.demo.JOINED_IN_Q2`) not yet added. Everything after that happens
through the pages, as the office would do it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from accounts.demo import DemoWorld
from assessments.demo import JOINED_IN_Q2
from assessments.models import (
    CategoryMember,
    Deduction,
    DeductionStatus,
    Grade,
    Result,
    Round,
    RoundStatus,
)
from tests.demo_snapshot import demo_city

from .test_pages import log_in

pytestmark = pytest.mark.django_db(transaction=True)

#: The demo as it stands on this day: the first quarter behind, the second being scored.
AS_OF = dt.date(2026, 5, 20)
NOON = dt.datetime(2026, 5, 20, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def world(transactional_db: None) -> Iterator[DemoWorld]:
    with demo_city(NOON, as_of=AS_OF) as built:
        yield built


def _first_quarter_under_review() -> Round:
    """The demo's first round as it stood before publication (see the module's words)."""
    round_ = Round.objects.get(quarter=1, scheme__year=2026)
    Result.objects.filter(round=round_).delete()
    CategoryMember.objects.filter(scheme=round_.scheme, unit__code__in=JOINED_IN_Q2).delete()
    Round.objects.filter(pk=round_.pk).update(
        status=RoundStatus.REVIEW,
        published_at=None,
        published_by=None,
        circular_issue=None,
        public=False,
    )
    round_.refresh_from_db()
    return round_


def _download(page: Page, link_name: str) -> bytes:
    with page.expect_download() as caught:
        page.get_by_role("link", name=link_name).first.click()
    path = caught.value.path()
    assert path is not None
    return Path(path).read_bytes()


def test_the_office_publishes_the_first_quarter_and_all_three_agree(
    page: Page, live_server: Any, shot: Callable[..., Path], world: DemoWorld
) -> None:
    """GIVEN the first quarter under review (87 units, 46 with standing deductions) WHEN the
    office publishes it from its page and opens the ranking THEN the page, the circular and
    the Excel give the same headline, the same tier lists per category and the same count
    per grade."""
    round_ = _first_quarter_under_review()
    standing = Deduction.objects.filter(round=round_, status=DeductionStatus.STANDING)
    assert standing.values("unit").distinct().count() == 46
    base = live_server.url
    with time_machine.travel(NOON, tick=True):
        log_in(page, base, "assessor")
        page.goto(f"{base}/assessments/rounds/{round_.pk}/")
        expect(page.get_by_role("heading", name=round_.title)).to_be_visible()
        page.get_by_role("button", name="发布考核结果").click()
        dialog = page.get_by_role("dialog", name="确认发布考核结果？")
        with page.expect_navigation(wait_until="load"):
            dialog.get_by_role("button", name="立即发布").click()
        expect(page.get_by_text("考核轮次现为已发布。")).to_be_visible()
        round_.refresh_from_db()
        assert round_.status == RoundStatus.PUBLISHED and round_.circular_issue == 1

        with page.expect_navigation(wait_until="load"):
            page.get_by_role("link", name="排名", exact=True).click()
        headline = page.locator('[data-figure="assessed"]')
        expect(headline).to_have_text("87")
        expect(page.locator('[data-figure="with_deductions"]')).to_have_text("46")
        shot("acceptance-first-quarter-ranking")
        page_html = page.content()
        docx = _download(page, "情况通报（Word 文档）")
        xlsx = _download(page, "导出Excel")

    words = "\n".join(p.text for p in Document(io.BytesIO(docx)).paragraphs)
    assert "第1期" in words
    assert "共考核87家单位，其中46家单位存在不同程度扣分" in words

    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    data = [row for row in rows[3:] if row[4]]
    assert len(data) == 87
    assert sum(1 for row in data if row[10]) == 46
    assert "共考核87家单位，其中46家单位存在扣分" in str(rows[1][0])

    results = list(Result.objects.filter(round=round_).order_by("category__sort_order", "rank"))
    assert len(results) == 87
    assert [row[4] for row in data] == [r.unit_name for r in results]
    for grade, grade_label in Grade.choices:
        count = sum(1 for r in results if r.grade == grade)
        assert sum(1 for row in data if row[11] == grade_label) == count
        assert f"{grade_label}{count}家" in words
        assert re.search(rf'data-grade="{grade}">\s*{count}\s*<', page_html)
    tiers: dict[str, dict[str, list[str]]] = {}
    for row in data:
        tiers.setdefault(row[1], {}).setdefault(row[12], []).append(row[4])
    for category, by_tier in tiers.items():
        for tier, names in by_tier.items():
            assert "、".join(names) in words, (category, tier)
            assert "、".join(names) in page_html, (category, tier)
