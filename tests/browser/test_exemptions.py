"""In Chromium: 甲县's liaison applies for an exemption on a 390-pixel phone (the three
distinctions in full, a refusal for what is missing, then the application), and the city's
campaign office approves it at its desk. Screenshots: ``exemption-*.png``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from accountability.models import Exemption, ExemptionStatus
from accountability.tests.measure_factories import issued_notice

from .test_inbox import PHONE, assert_fits, log_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_apply_on_a_phone_and_the_office_approves(
    page: Page, live_server, shot: Callable[..., Path], org
) -> None:
    """GIVEN a supervision notice issued to 甲县 WHEN its liaison applies on a phone, first
    forgetting the distinction, THEN the form says so and keeps the reasons; sent, the
    application waits; the office approves it and the unit sees the decision."""
    notice = issued_notice(org, org.county_a)
    base = live_server.url
    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    log_in(page, base)
    page.goto(f"{base}/supervision/exemptions/new/?notice={notice.pk}")
    expect(page.get_by_role("heading", name="申请容错免责")).to_be_visible()
    expect(page.get_by_text(notice.number)).to_be_visible()
    expect(page.get_by_label("在推进改革中因缺乏经验", exact=False)).to_be_visible()
    assert_fits(page)
    shot("exemption-apply-phone")

    page.get_by_label("申请理由").fill("全市首个试点，审批无先例可循")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("请至少选择“三个区分开来”中的一项。")).to_be_visible()
    expect(page.get_by_label("申请理由")).to_have_value("全市首个试点，审批无先例可循")
    assert not Exemption.objects.exists()

    page.get_by_label("在尚无明确限制的探索性试验中", exact=False).check()
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("等待活动办公室审批。")).to_be_visible()
    assert_fits(page)
    shot("exemption-sent-phone")
    exemption = Exemption.objects.get(notice=notice)
    assert exemption.distinctions == ["exploratory"]

    page.context.clear_cookies()
    page.set_viewport_size({"width": 1366, "height": 768})
    log_in(page, base, "above")
    page.goto(f"{base}/supervision/exemptions/")
    expect(page.get_by_role("heading", name="待我审批")).to_be_visible()
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("link", name="全市首个试点", exact=False).first.click()
    page.get_by_label("审批意见", exact=False).fill("同意免责，抓紧整改")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="批准", exact=True).click()
    expect(page.get_by_text("已批准容错免责：该事项不再升级督办。")).to_be_visible()
    shot("exemption-approved")
    exemption.refresh_from_db()
    assert exemption.status == ExemptionStatus.APPROVED
