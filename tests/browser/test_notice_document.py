"""A notice's official document in Chromium: the target unit's liaison opens the A4 print
view of an issued supervision order, sees it laid out as a 公文 (red issuing body, number,
title, recipient, body, signature and date), prints it (print media: the toolbar goes, the
page keeps A4's width less the margins) and downloads the .docx from the link.
Screenshot: ``notice-print.png``.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from docx import Document
from playwright.sync_api import Page, expect

from accountability import services
from accountability.models import NoticeKind
from campaign.tests.builders import add_chain
from tasks_ledger.tests.factories import make_item, make_ledger
from tests.browser.test_inbox import log_in

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = dt.date(2022, 6, 1)


def test_the_print_view_of_a_supervision_order(
    page: Page, live_server: Any, shot: Callable[..., Path], org: Any
) -> None:
    """GIVEN a supervision order issued to 甲县 WHEN its liaison opens the print view THEN the
    document reads as a 公文, prints on A4 without the toolbar, and its .docx downloads with
    the same number."""
    chain = add_chain(
        subject="项目建设提速（甲县）",
        unit=org.county_a,
        lead=org.county_a_dept,
        campaign=org.campaign,
    )
    item = make_item(make_ledger(org.campaign), org.county_a, title="甲县产业园开工", chain=chain)
    notice = services.notice_draft(
        actor=org.supervisor,
        campaign=org.campaign,
        kind=NoticeKind.SUPERVISION,
        facts="产业园项目计划于5月开工，截至6月1日仍未动工，滞后近一个月。",
        requirements="一、查明滞后原因，明确责任人；\n二、十日内报送整改方案和倒排工期计划。",
        reply_deadline=dt.date(2022, 6, 15),
        item=item,
        group=org.group_a,
        today=TODAY,
    )
    notice = services.notice_approve(notice=notice, actor=org.superuser)
    notice = services.notice_issue(notice=notice, actor=org.supervisor, today=TODAY)

    base = live_server.url
    log_in(page, base)
    page.goto(f"{base}/supervision/notices/{notice.pk}/print/")
    expect(page.locator(".issuing-body")).to_have_text(f"测试市{org.group_a.name}")
    expect(page.locator(".number")).to_have_text("督办〔2022〕1号")
    expect(page.locator(".title")).to_have_text("关于甲县产业园开工的督办单")
    expect(page.get_by_text("主送：甲县")).to_be_visible()
    expect(page.get_by_text("请于2022年6月15日前")).to_be_visible()
    expect(page.locator(".date")).to_have_text("2022年6月1日")
    red = page.locator(".issuing-body").evaluate("e => getComputedStyle(e).color")
    assert red == "rgb(230, 0, 18)"
    shot("notice-print")

    page.emulate_media(media="print")
    expect(page.locator(".toolbar")).to_be_hidden()
    page.emulate_media(media="screen")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="下载 Word 文档（.docx）").click()
    download = download_info.value
    assert download.suggested_filename == "督办〔2022〕1号 关于甲县产业园开工的督办单.docx"
    texts = [p.text for p in Document(io.BytesIO(Path(download.path()).read_bytes())).paragraphs]
    assert "督办〔2022〕1号" in texts
