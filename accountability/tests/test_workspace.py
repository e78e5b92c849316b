"""The supervision workspace (/supervision/): the units a group supervises, their red items
with a link to draft a notice, and the notice queues (to approve, to issue, replies to
review, overdue with a link to escalate), scoped by the rules, in a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accountability import rules, services, stats
from accountability.models import Notice, NoticeKind
from accounts.models import Unit
from tasks_ledger.tests.factories import make_item, make_items, make_ledger

from .conftest import TODAY, Notices

pytestmark = pytest.mark.django_db

#: A day when the items due 30 June are overdue and notices due 15 June are past their reply.
LATER = dt.datetime(2022, 7, 5, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
URL = "/supervision/"


@pytest.fixture
def later() -> Iterator[None]:
    with time_machine.travel(LATER, tick=False):
        yield


def page_as(client: Client, user: Any, tab: str = "", status: int = 200) -> str:
    client.force_login(user)
    response = client.get(URL + (f"?tab={tab}" if tab else ""))
    assert response.status_code == status
    return response.content.decode()


def reply(notice: Notice, user: Any) -> Notice:
    notice = services.notice_sign_for(notice=notice, actor=user)
    return services.notice_reply(notice=notice, actor=user, text="已整改完毕，附照片")


def test_the_url_is_named() -> None:
    assert reverse("accountability:workspace") == URL


def test_red_items_of_the_supervised_units_each_link_to_a_draft(
    client: Client, notices: Notices, later: None
) -> None:
    """GIVEN overdue items in 甲县 (supervised by group A) and in 乙县 WHEN the group's member
    opens the overdue items tab THEN only 甲县's are listed, each with 起草通知 to the draft
    page for that item, and an item's open notice is shown beside it."""
    org = notices.org
    other = make_item(notices.item.ledger, org.county_b, title="乙县超期事项")
    notices.issued()  # a reminder about notices.item, still open
    html = page_as(client, org.supervisor, "items")
    draft = reverse("accountability:notice-draft")
    assert f'href="{draft}?item={notices.item.pk}"' in html
    assert f'href="{draft}?item={notices.plain.pk}"' in html  # 甲镇, under 甲县
    assert f"?item={other.pk}" not in html and "乙县超期事项" not in html
    assert "提示〔2022〕1号" in html
    assert re.search(r'data-count="items">\s*<div class="app-stat-value">2<', html)


def test_the_leader_approves_and_the_member_issues(
    client: Client, notices: Notices, later: None
) -> None:
    """GIVEN a draft supervision order and a draft reminder of group A THEN the leader's
    approve tab holds the order with its approve button, the member's does not (only the
    leader approves), and the member's issue tab holds the reminder with its issue button."""
    order = notices.draft(NoticeKind.SUPERVISION, reply_deadline=dt.date(2022, 7, 30))
    reminder = notices.draft(item=notices.plain, reply_deadline=dt.date(2022, 7, 30))
    html = page_as(client, notices.leader, "approve")
    assert reverse("accountability:notice-approve", args=[order.pk]) in html
    member = page_as(client, notices.org.supervisor, "approve")
    assert reverse("accountability:notice-approve", args=[order.pk]) not in member
    assert "1 份草稿待组长审批" in member  # the member is told where the order waits
    assert 'data-count="pending"' not in html
    issue = page_as(client, notices.org.supervisor, "issue")
    assert reverse("accountability:notice-issue", args=[reminder.pk]) in issue
    assert reverse("accountability:notice-issue", args=[order.pk]) not in issue


def test_approving_from_the_workspace_returns_to_its_tab(
    client: Client, notices: Notices, later: None
) -> None:
    """GIVEN the leader's approve tab WHEN they approve a draft there THEN they are back on
    that tab; a ``next`` pointing off the site is ignored (the notice's page instead)."""
    first = notices.draft(NoticeKind.SUPERVISION, reply_deadline=dt.date(2022, 7, 30))
    second = notices.draft(
        NoticeKind.SUPERVISION, item=notices.plain, reply_deadline=dt.date(2022, 7, 30)
    )
    tab = reverse("accountability:workspace") + "?tab=approve"
    assert 'name="next"' in page_as(client, notices.leader, "approve")
    client.force_login(notices.leader)
    back = client.post(reverse("accountability:notice-approve", args=[first.pk]), {"next": tab})
    assert back.status_code == 302 and back["Location"] == tab
    away = client.post(
        reverse("accountability:notice-approve", args=[second.pk]),
        {"next": "https://evil.example/"},
    )
    assert away["Location"] == reverse("accountability:notice-detail", args=[second.pk])


def test_replies_to_review_and_overdue_notices_with_escalation(
    client: Client, notices: Notices, later: None
) -> None:
    """GIVEN one answered reminder and one issued reminder past its reply deadline THEN the
    review tab lists the reply with a link to decide on it, and the overdue tab the other
    with a link to draft its escalation; the office over 甲县 sees both too."""
    org = notices.org
    answered = reply(notices.issued(), org.inside)
    late = notices.issued(item=notices.plain)
    for user in (org.supervisor, org.above):
        review = page_as(client, user, "review")
        assert reverse("accountability:notice-detail", args=[answered.pk]) in review
        assert "已整改完毕" in review
        overdue = page_as(client, user, "overdue")
        draft = reverse("accountability:notice-draft")
        assert f"{draft}?escalate={late.pk}" in overdue
        assert f"?escalate={answered.pk}" not in overdue


def test_the_first_tab_with_work_opens(client: Client, notices: Notices, later: None) -> None:
    """GIVEN a draft reminder ready to issue WHEN the member opens the workspace without a
    tab THEN the issue tab is open; with nothing waiting, the units tab."""
    assert 'aria-current="page" href="?tab=units"' in page_as(client, notices.org.supervisor)
    notices.draft(reply_deadline=dt.date(2022, 7, 30))
    assert 'aria-current="page" href="?tab=issue"' in page_as(client, notices.org.supervisor)


def test_the_units_tab_counts_per_unit(client: Client, notices: Notices, later: None) -> None:
    """GIVEN 甲县 with a red item and an overdue notice, 甲镇 with a red item THEN the units
    tab shows both units with their counts, worst first, and nothing of 乙县."""
    org = notices.org
    make_item(notices.item.ledger, org.county_b, title="乙县超期事项")
    notices.issued()
    rows = stats.units_at_work(user=org.supervisor)
    assert [(r["name"], r["red"], r["open"], r["overdue"]) for r in rows] == [
        ("甲县", 1, 1, 1),
        ("甲镇", 1, 0, 0),
    ]
    html = page_as(client, org.supervisor, "units")
    assert f'data-unit="{org.county_a.pk}"' in html and f'data-unit="{org.county_b.pk}"' not in html


@pytest.mark.parametrize("persona", ["inside", "outsider", "official", "assessor"])
def test_others_are_refused(client: Client, notices: Notices, persona: str) -> None:
    """Liaisons, officials and the assessment office have no workspace: 403 in words."""
    html = page_as(client, getattr(notices.org, persona), status=403)
    assert "督查组" in html


def test_signed_out_goes_to_log_in(client: Client) -> None:
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_groups_notices_stay_out(client: Client, notices: Notices, later: None) -> None:
    """GIVEN a notice of the office to 乙县 THEN group A's member sees none of it in any tab,
    while the office does."""
    org = notices.org
    ledger = make_ledger(org.campaign, title="乙县台账")
    item = make_item(ledger, org.county_b, title="乙县产业园")
    other = services.notice_draft(
        actor=org.above,
        campaign=org.campaign,
        kind=NoticeKind.REMINDER,
        item=item,
        facts="滞后",
        requirements="整改",
        reply_deadline=dt.date(2022, 6, 15),
        today=TODAY,
    )
    services.notice_issue(notice=other, actor=org.above, today=TODAY)
    for tab in ("units", "items", "approve", "issue", "review", "overdue"):
        assert "乙县产业园" not in page_as(client, org.supervisor, tab), tab
    assert "乙县产业园" in page_as(client, org.above, "overdue")


def test_supervised_units_agree_with_the_drafting_rule(notices: Notices) -> None:
    """The workspace's units (stats.supervised_units_q) are exactly those the user may draft
    a notice to (rules.can_draft_notice, in the office's name or one of their groups')."""
    org = notices.org
    units = list(Unit.objects.all())
    for user in (org.supervisor, notices.leader, org.above, org.inside, org.official):
        groups = list(org.campaign.supervision_groups.all())
        expected = {
            u.pk
            for u in units
            if rules.can_draft_notice(user, u)
            or any(rules.can_draft_notice(user, u, g) for g in groups)
        }
        got = set(Unit.objects.filter(stats.supervised_units_q(user)).values_list("pk", flat=True))
        assert got == expected, user


def _many(notices: Notices, count: int) -> None:
    """``count`` red items of 甲县, each with a row in every queue of group A's leader: an
    issued reminder past its reply deadline, a draft supervision order, an answered warning
    and an approved accountability recommendation."""
    ledger = make_ledger(notices.org.campaign, title=f"台账{count}")
    for item in make_items(ledger, notices.org.county_a, count, deadline=dt.date(2022, 6, 20)):
        notices.issued(item=item)
        notices.draft(NoticeKind.SUPERVISION, item=item)
        reply(notices.issued(NoticeKind.WARNING, item=item), notices.org.inside)
        draft = notices.draft(NoticeKind.ACCOUNTABILITY, item=item)
        services.notice_approve(notice=draft, actor=notices.leader)


#: Queries per tab besides the eleven every tab runs: the user (1), the jurisdiction (3), the
#: scope's root units (1), the four queue counts in one aggregate (1), the red items' COUNT
#: (1), the navbar's unread notifications (1) and the session's save (3, with its savepoint).
TAB_QUERIES = {
    "units": 3,  # the notices' and the red items' grouped counts, names of units with red only
    "items": 2,  # a page of items, their open notices
    "approve": 1,  # a page of notices
    "issue": 1,
    "review": 1,
    "overdue": 1,
}


@pytest.mark.parametrize("tab", list(TAB_QUERIES))
def test_each_tab_runs_a_fixed_number_of_queries(
    client: Client, notices: Notices, later: None, tab: str, django_assert_num_queries: Any
) -> None:
    """One row in every list or many: the same queries (see TAB_QUERIES)."""
    client.force_login(notices.leader)
    client.get(URL)  # the session settles (its first save is not the page's)
    _many(notices, 1)
    with django_assert_num_queries(11 + TAB_QUERIES[tab]):
        assert client.get(f"{URL}?tab={tab}").status_code == 200
    _many(notices, 8)
    with django_assert_num_queries(11 + TAB_QUERIES[tab]):
        assert client.get(f"{URL}?tab={tab}").status_code == 200


def test_the_navbar_offers_what_each_may_use(client: Client, notices: Notices) -> None:
    """督查督办 in the navbar: the workspace for the group's member and the office; the inbox
    for a unit's liaison; the statistics for everyone who sees units; the menu not at all
    for someone who sees nothing."""
    from accounts.tests.factories import UserFactory

    org = notices.org
    expected = {
        org.supervisor: {"/supervision/", "/supervision/stats/"},
        org.above: {"/supervision/", "/supervision/stats/"},
        org.inside: {"/supervision/inbox/", "/supervision/stats/"},
        org.official: {"/supervision/stats/"},
    }
    for user, links in expected.items():
        client.force_login(user)
        menu = client.get("/").content.decode().split('<ul class="dropdown-menu">')[1]
        menu = menu.split("</ul>")[0]
        shown = set(re.findall(r'href="(/supervision/(?:inbox/|stats/)?)"', menu))
        assert shown == links, user
    client.force_login(UserFactory(username="nobody"))
    assert "督查督办" not in client.get("/").content.decode()
