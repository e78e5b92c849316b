"""Published rankings in Chromium: the assessment office opens Q2's ranking, the dashboard
(its charts drawn from the ranking API, the same figures in the tables under them) and the
circular's A4 print view, and downloads the .docx and the Excel; the public, without
signing in, reads the public ranking on a phone. Each page at 1280 px and at 390 px.
Screenshots: ``assessment-ranking-*.png``, ``assessment-dashboard-*.png``,
``assessment-circular-*.png``, ``assessment-public-*.png``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from assessments.models import Result, Round
from assessments.tests.conftest import assessment  # noqa: F401 - the fixture
from assessments.tests.test_publication import Published, publish_world
from tests.browser.test_inbox import assert_fits, log_in

pytestmark = pytest.mark.django_db(transaction=True)

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def published(assessment: Any) -> Published:  # noqa: F811 - the fixture above
    return publish_world(assessment)


def _both_widths(page: Page, shot: Callable[..., Path], name: str, url: str) -> None:
    for label, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.goto(url)
        if label == "phone":
            assert_fits(page)
        shot(f"{name}-{label}")


def test_the_office_reads_the_ranking_dashboard_and_circular(
    page: Page, live_server: Any, shot: Callable[..., Path], published: Published
) -> None:
    """GIVEN Q2 published WHEN the assessment office opens its ranking, the dashboard and the
    circular THEN the ranking lists every unit by category with the headline 共考核5家单位，
    the charts draw, and the circular and the Excel download with the same figures."""
    base = live_server.url
    round_ = published.round
    log_in(page, base, "assessor")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/assessments/rounds/{round_.pk}/ranking/")
    expect(page.locator("[data-headline]")).to_contain_text("共考核5家单位，其中3家单位存在扣分")
    expect(page.locator("table.app-ranking-table tbody tr")).to_have_count(5)
    expect(page.get_by_role("heading", name="乡镇")).to_be_visible()
    _both_widths(page, shot, "assessment-ranking", page.url)

    with page.expect_download() as excel:
        page.get_by_role("link", name="导出Excel").click()
    ws: Any = load_workbook(io.BytesIO(Path(excel.value.path()).read_bytes())).active
    names = [row[4] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert names == [
        r.unit_name for r in Result.objects.filter(round=round_).order_by("category_id", "rank")
    ]

    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/assessments/ranking/?round={round_.pk}")
    expect(page.locator("#ranking-charts")).to_have_attribute("data-loaded", "true")
    expect(page.locator("#ranking-charts canvas").first).to_be_visible()
    expect(page.locator("[data-chart-error]")).to_be_hidden()
    expect(page.locator("table[data-table=ranking] tbody tr")).to_have_count(5)
    shot("assessment-dashboard-desktop")
    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#ranking-charts")).to_have_attribute("data-loaded", "true")
    assert_fits(page)
    shot("assessment-dashboard-phone")
    # The trend of one unit, chosen from the drop-down.
    page.get_by_label("单位走势").select_option(label="县01")
    expect(page.get_by_role("heading", name="历次考核走势：县01")).to_be_visible()
    expect(page.locator("#ranking-charts")).to_have_attribute("data-loaded", "true")

    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/assessments/rounds/{round_.pk}/circular/")
    expect(page.locator(".mark")).to_have_text("能力作风建设情况通报")
    expect(page.locator(".issue")).to_have_text(f"第{round_.circular_issue}期")
    expect(page.locator("[data-headline]")).to_have_text(
        "本季度共考核5家单位，其中3家单位存在不同程度扣分。"
    )
    red = page.locator(".mark").evaluate("e => getComputedStyle(e).color")
    assert red == "rgb(230, 0, 18)"
    _both_widths(page, shot, "assessment-circular", page.url)
    page.set_viewport_size(DESKTOP)
    page.emulate_media(media="print")
    expect(page.locator(".toolbar")).to_be_hidden()
    page.emulate_media(media="screen")
    with page.expect_download() as docx:
        page.get_by_role("link", name="下载 Word 文档（.docx）").click()
    texts = [p.text for p in Document(docx.value.path()).paragraphs]
    assert "本季度共考核5家单位，其中3家单位存在不同程度扣分。" in texts


def test_the_public_reads_a_public_ranking_on_a_phone(
    page: Page, live_server: Any, shot: Callable[..., Path], published: Published
) -> None:
    """GIVEN Q2 published and made public WHEN anyone opens the public ranking on a phone
    THEN the round is listed, its page shows each unit's grade and tier and no score; a round
    not public answers a Chinese 404."""
    Round.objects.filter(pk=published.round.pk).update(public=True)
    base = live_server.url
    _both_widths(page, shot, "assessment-public-list", f"{base}/public/ranking/")
    page.get_by_role("link", name=published.round.title).click()
    expect(page.locator("[data-unit-name]")).to_have_count(5)
    expect(page.get_by_text("第一档").first).to_be_visible()
    _both_widths(page, shot, "assessment-public-round", page.url)
    page.goto(f"{base}/public/ranking/{published.a.scoring.pk}/")
    expect(page.get_by_text("这份排名未公开")).to_be_visible()
    shot("assessment-public-404-phone")
