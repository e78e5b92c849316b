"""Notice statistics: issued notices by kind, target unit and month, scoped to the caller
(rules.viewable_notices_q), filtered by year and campaign; the page (/supervision/stats/)
and the API (GET /api/v1/notice-stats/) give the same figures, counted in SQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from accountability import services, stats
from accountability.models import NoticeKind
from campaign.tests.factories import CampaignFactory
from tasks_ledger.tests.factories import make_item, make_items, make_ledger

from .conftest import Notices

pytestmark = pytest.mark.django_db

API = "/api/v1/notice-stats/"
PAGE = "/supervision/stats/"
MAY = dt.date(2022, 5, 10)
JUNE = dt.date(2022, 6, 1)


def issue(notices: Notices, kind: str, on: dt.date, **fields: Any) -> Any:
    """A notice drafted and issued on ``on`` (approved first where its kind needs it)."""
    notice = services.notice_draft(
        actor=notices.org.supervisor,
        campaign=notices.org.campaign,
        kind=kind,
        facts="滞后",
        requirements="整改",
        reply_deadline=dt.date(2022, 6, 15),
        group=notices.org.group_a,
        today=on,
        **fields,
    )
    if kind != NoticeKind.REMINDER:
        notice = services.notice_approve(notice=notice, actor=notices.leader)
    return services.notice_issue(notice=notice, actor=notices.org.supervisor, today=on)


@pytest.fixture
def issued(notices: Notices) -> Notices:
    """甲县: a reminder in May and a supervision order in June about its item; 甲镇: a reminder
    in June, then closed; a draft warning (not issued, not counted); 乙县: a reminder from the
    office in June (outside group A's and 甲县's sight)."""
    org = notices.org
    issue(notices, NoticeKind.REMINDER, MAY, item=notices.item)
    issue(notices, NoticeKind.SUPERVISION, JUNE, item=notices.item)
    township = issue(notices, NoticeKind.REMINDER, JUNE, item=notices.plain)
    township = services.notice_sign_for(notice=township, actor=org.inside)
    township = services.notice_reply(notice=township, actor=org.inside, text="已修复")
    services.notice_accept(notice=township, actor=org.supervisor)
    notices.draft(NoticeKind.WARNING)
    other = make_item(notices.item.ledger, org.county_b, title="乙县事项")
    draft = services.notice_draft(
        actor=org.above,
        campaign=org.campaign,
        kind=NoticeKind.REMINDER,
        item=other,
        facts="滞后",
        requirements="整改",
        reply_deadline=dt.date(2022, 6, 15),
        today=JUNE,
    )
    services.notice_issue(notice=draft, actor=org.above, today=JUNE)
    return notices


def by_kind(figures: dict[str, Any]) -> dict[str, int]:
    return {row["kind"]: row["count"] for row in figures["by_kind"]}


def test_figures_by_kind_unit_and_month(issued: Notices) -> None:
    """GIVEN the fixture's notices WHEN the office (over the whole city) asks for 2022 THEN
    four issued notices: three reminders and one supervision order, 甲县 2, 甲镇 1, 乙县 1,
    one in May and three in June, one closed; the draft warning is not counted."""
    figures = stats.notice_stats(user=issued.org.above, year=2022, today=JUNE)
    assert figures["total"] == 4 and figures["closed"] == 1
    assert by_kind(figures) == {"reminder": 3, "supervision": 1, "warning": 0, "accountability": 0}
    assert [row["label"] for row in figures["by_kind"]] == [
        "提示单",
        "督办单",
        "警示单",
        "问责建议单",
    ]
    units = {
        row["name"]: (row["reminder"], row["supervision"], row["total"])
        for row in figures["by_unit"]
    }
    assert units == {"甲县": (1, 1, 2), "甲镇": (1, 0, 1), "乙县": (1, 0, 1)}
    assert figures["by_unit"][0]["name"] == "甲县"  # most first
    months = {row["month"]: row["total"] for row in figures["by_month"]}
    assert len(months) == 12 and months["2022-05"] == 1 and months["2022-06"] == 3
    assert sum(months.values()) == 4


def test_overdue_counts_notices_still_awaiting_their_reply(issued: Notices) -> None:
    """As of 20 June the three notices still awaiting a reply due 15 June are overdue; the
    closed one is not."""
    figures = stats.notice_stats(user=issued.org.above, year=2022, today=dt.date(2022, 6, 20))
    assert figures["overdue"] == 3
    assert stats.notice_stats(user=issued.org.above, year=2022, today=JUNE)["overdue"] == 0


def test_each_user_counts_only_what_they_may_see(issued: Notices) -> None:
    """甲县's liaison: 甲县's and 甲镇's three; 乙县's liaison: its one; group A's member: the
    group's three; the official over the city: all four."""
    org = issued.org
    totals = {
        name: stats.notice_stats(user=user, year=2022)["total"]
        for name, user in org.personas().items()
    }
    assert totals["inside"] == 3 and totals["outsider"] == 1 and totals["supervisor"] == 3
    assert totals["official"] == 4 and totals["above"] == 4
    outsider = stats.notice_stats(user=org.outsider, year=2022)
    assert [row["name"] for row in outsider["by_unit"]] == ["乙县"]


def test_year_and_campaign_filters(issued: Notices) -> None:
    """Another year or another campaign: nothing."""
    org = issued.org
    assert stats.notice_stats(user=org.above, year=2021)["total"] == 0
    other = CampaignFactory(owner_unit=org.city, name="另一活动")
    assert stats.notice_stats(user=org.above, year=2022, campaign=other)["total"] == 0
    assert stats.notice_stats(user=org.above, year=2022, campaign=org.campaign)["total"] == 4
    assert stats.issued_years(user=org.above) == [2022]


def test_the_figures_take_three_queries_however_many(
    notices: Notices, django_assert_num_queries: Any
) -> None:
    """Totals and kinds in one aggregate, units and months grouped (one each); the
    jurisdiction is read first."""
    stats.notice_stats(user=notices.org.above, year=2022)  # the jurisdiction, cached
    issue(notices, NoticeKind.REMINDER, JUNE, item=notices.item)
    with django_assert_num_queries(3):
        stats.notice_stats(user=notices.org.above, year=2022)
    ledger = make_ledger(notices.org.campaign, title="更多")
    for item in make_items(ledger, notices.org.county_a_dept, 6):
        issue(notices, NoticeKind.REMINDER, MAY, item=item)
    with django_assert_num_queries(3):
        assert stats.notice_stats(user=notices.org.above, year=2022)["total"] == 7


def test_the_api_answers_the_same(client: Client, issued: Notices) -> None:
    """GET /api/v1/notice-stats/?year=2022 as 乙县's liaison: its one reminder, nothing of
    甲县; as the office: four, filtered by campaign too."""
    assert reverse("api:notice-stats") == API
    client.force_login(issued.org.outsider)
    data = client.get(API, {"year": 2022}).json()
    assert data["total"] == 1 and by_kind(data)["reminder"] == 1
    assert [row["name"] for row in data["by_unit"]] == ["乙县"]
    client.force_login(issued.org.above)
    data = client.get(API, {"year": 2022, "campaign": issued.org.campaign.pk}).json()
    assert data["total"] == 4 and data["campaign"] == issued.org.campaign.pk
    assert {"by_kind", "by_unit", "by_month", "overdue", "closed", "year"} <= set(data)


def test_the_api_refuses_a_campaign_outside_and_bad_years(client: Client, issued: Notices) -> None:
    """A campaign the caller takes no part in is a 400 on ``campaign``, as is a year that
    is no year; signed out is refused."""
    org = issued.org
    elsewhere = CampaignFactory(owner_unit=org.county_b, name="乙县活动")
    client.force_login(org.inside)
    response = client.get(API, {"campaign": elsewhere.pk})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "campaign"
    for year in ("abc", "99999", "2022.5"):
        response = client.get(API, {"year": year})
        assert response.status_code == 400, year
        assert response.json()["errors"][0]["attr"] == "year"
    client.logout()
    assert client.get(API).status_code in (401, 403)


def test_the_page_shows_the_figures_and_loads_the_charts(client: Client, issued: Notices) -> None:
    """The page's cards and tables hold the figures; the chart container names the API with
    the same filters, and ECharts is served from the app itself. 乙县's liaison sees only
    乙县 in the tables."""
    client.force_login(issued.org.above)
    html = client.get(PAGE, {"year": 2022}).content.decode()
    assert f'data-url="{API}?year=2022"' in html
    assert "/static/vendor/echarts/echarts.min.js" in html
    assert 'data-figure="total">4<' in html and 'data-figure="reminder">3<' in html
    assert "甲县" in html and "乙县" in html
    client.force_login(issued.org.outsider)
    html = client.get(PAGE).content.decode()
    assert 'data-figure="total">1<' in html
    assert f'data-unit="{issued.org.county_a.pk}"' not in html
    assert '<option value="2022" selected>' in html  # the latest year with notices


def test_the_page_without_notices(client: Client, notices: Notices) -> None:
    """No notices yet: the current year, zeros and a sentence, no error."""
    client.force_login(notices.org.inside)
    response = client.get(PAGE, {"year": "x", "campaign": "y"})
    assert response.status_code == 200
    assert "暂无已签发的通知" in response.content.decode()
