"""In Chromium: 甲县's liaison submits a highlight with a photo on a 390-pixel phone; the city's
assessment office selects it at its desk, gives 乙县 a blue flag and publishes (the
confirmation first forgotten); 乙县's liaison reads the published roll on a phone; the office
reads the leaders' lists. Screenshots: ``honor-*.png`` and ``leader-lists-*.png``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Post
from accounts.tests.factories import MembershipFactory, UserFactory
from assessments.models import HonorRoll, HonorRollStatus, HonorSubmission

from .test_inbox import PHONE, assert_fits, log_in

pytestmark = pytest.mark.django_db(transaction=True)

DESK = {"width": 1280, "height": 800}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_month_of_the_honor_roll(page: Page, live_server, shot: Callable[..., Path], org) -> None:
    """GIVEN the city campaign WHEN 甲县's liaison submits on a phone, the office selects,
    flags and publishes THEN 乙县's liaison sees 甲县 at place 1 and its own blue flag."""
    MembershipFactory(
        user=UserFactory(username="jia_leader", name="甲县县长"),
        unit=org.county_a,
        post=Post.PRINCIPAL_LEADER,
    )
    base = live_server.url
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    log_in(page, base)
    page.goto(f"{base}/assessments/honor/")
    expect(page.get_by_role("heading", name="创先争优月榜")).to_be_visible()
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="报送工作亮点").click()
    expect(page.get_by_role("heading", name="报送工作亮点")).to_be_visible()
    page.get_by_label("单位").select_option(label="甲县")
    page.get_by_label("月份").select_option(label="2022年5月")
    page.get_by_label("标题").fill("信访积案清仓见底")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="报送").click()
    expect(page.get_by_text("请写明本单位取得的成效。")).to_be_visible()  # nothing saved
    assert not HonorSubmission.objects.exists()
    page.get_by_label("主要成效").fill("本月化解信访积案12件，群众满意率明显提升。")
    page.get_by_label("佐证材料").set_input_files(
        {"name": "现场照片.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    assert_fits(page)
    shot("honor-submit-phone")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="报送").click()
    expect(page.get_by_text("亮点已报送")).to_be_visible()
    expect(page.get_by_text("等待评选").first).to_be_visible()
    expect(page.get_by_role("link", name="现场照片.pdf")).to_be_visible()
    assert_fits(page)
    shot("honor-list-phone")

    page.context.clear_cookies()
    page.set_viewport_size(DESK)
    log_in(page, base, "assessor")
    page.goto(f"{base}/assessments/honor/?campaign={org.campaign.pk}")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="评选和发布").first.click()
    expect(page.get_by_role("heading", name="待评选的亮点")).to_be_visible()
    shot("honor-board-desk")
    page.get_by_label("名次").first.fill("1")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="入选").first.click()
    expect(page.get_by_text("甲县：入选，第1名。")).to_be_visible()
    flag_form = page.locator("form", has=page.get_by_role("button", name="授旗"))
    flag_form.get_by_label("单位").select_option(label="乙县")
    flag_form.get_by_label("旗帜").select_option(label="蓝旗")
    flag_form.get_by_label("理由").fill("台账推进滞后，督办事项整改不到位")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="授旗").click()
    expect(page.get_by_text("已授予乙县蓝旗。")).to_be_visible()
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_text("请勾选确认后再发布月榜。")).to_be_visible()
    assert HonorRoll.objects.get().status == HonorRollStatus.DRAFT
    page.get_by_label("我已核对名次和红蓝旗", exact=False).check()
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="发布", exact=True).click()
    expect(page.get_by_text("创先争优月榜已发布，已通知上榜和授旗单位。")).to_be_visible()
    shot("honor-published-desk")
    roll = HonorRoll.objects.get()
    assert roll.status == HonorRollStatus.PUBLISHED and roll.month == dt.date(2022, 5, 1)

    page.context.clear_cookies()
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    log_in(page, base, "outsider")
    page.goto(f"{base}/assessments/honor/{roll.pk}/")
    expect(page.get_by_text("信访积案清仓见底")).to_be_visible()
    expect(page.get_by_text("台账推进滞后，督办事项整改不到位")).to_be_visible()
    expect(page.get_by_role("button", name="发布", exact=True)).to_have_count(0)
    assert_fits(page)
    shot("honor-roll-phone")

    page.context.clear_cookies()
    log_in(page, base, "assessor")
    page.goto(f"{base}/assessments/leaders/")
    expect(page.get_by_role("heading", name="甲县县长")).to_be_visible()
    expect(page.get_by_text("登上月榜第1名")).to_be_visible()
    assert_fits(page)
    shot("leader-lists-phone")
    page.set_viewport_size(DESK)
    shot("leader-lists-desk")
