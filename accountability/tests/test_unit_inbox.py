"""The unit's inbox (/supervision/inbox/): notices issued to the liaison's unit (and the
units under it), to sign for with one button, to reply to (returned ones with the reason),
awaiting the issuer, and the closed ones folded away; nothing of another unit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accountability import services, stats
from accountability.models import NoticeKind, NoticeStatus

from .conftest import Notices

pytestmark = pytest.mark.django_db

URL = "/supervision/inbox/"
#: Past the reply deadline of the notices the fixture issues (15 June 2022).
LATER = dt.datetime(2022, 6, 20, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))


@pytest.fixture
def later() -> Iterator[None]:
    with time_machine.travel(LATER, tick=False):
        yield


def inbox_html(client: Client, user: Any) -> str:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_the_url_is_named() -> None:
    assert reverse("accountability:inbox") == URL


def test_each_notice_sits_where_the_unit_must_act(
    client: Client, notices: Notices, later: None
) -> None:
    """GIVEN four notices to 甲县 and 甲镇: issued, signed for, returned and closed, and a
    draft THEN the county liaison's inbox offers a sign-for button on the issued one, a
    reply link on the signed and the returned ones (with the reason for return), marks the
    overdue ones, folds the closed one away, and never shows the draft."""
    org = notices.org
    issued = notices.issued()
    signed = services.notice_sign_for(
        notice=notices.issued(NoticeKind.SUPERVISION), actor=org.inside
    )
    returned = notices.issued(NoticeKind.WARNING)
    returned = services.notice_sign_for(notice=returned, actor=org.inside)
    returned = services.notice_reply(notice=returned, actor=org.inside, text="已整改")
    returned = services.notice_return(notice=returned, actor=org.supervisor, reason="缺少现场照片")
    closed = notices.issued(item=notices.plain)
    closed = services.notice_sign_for(notice=closed, actor=org.inside)
    closed = services.notice_reply(notice=closed, actor=org.inside, text="道路已修复")
    services.notice_accept(notice=closed, actor=org.supervisor)
    draft = notices.draft(NoticeKind.ACCOUNTABILITY, reply_deadline=dt.date(2022, 7, 1))

    box = stats.inbox(user=org.inside)
    assert [n.pk for n in box.to_sign] == [issued.pk]
    assert {n.pk for n in box.to_reply} == {signed.pk, returned.pk}
    assert [n.pk for n in box.closed] == [closed.pk] and box.closed_count == 1

    html = inbox_html(client, org.inside)
    assert reverse("accountability:notice-sign-for", args=[issued.pk]) in html
    assert reverse("accountability:notice-sign-for", args=[signed.pk]) not in html
    reply = reverse("accountability:notice-detail", args=[signed.pk]) + "#reply"
    assert reply in html
    assert "缺少现场照片" in html and "退回整改" in html
    assert html.count("逾期未反馈") >= 3  # the three open ones are past 15 June
    assert f"/supervision/exemptions/new/?notice={issued.pk}" in html
    assert f'data-notice="{closed.pk}"' in html.split("<details>")[1]  # folded away
    assert f'data-notice="{draft.pk}"' not in html


def test_signing_for_from_the_inbox(client: Client, notices: Notices, later: None) -> None:
    """WHEN the liaison presses 签收 on a card THEN the notice is signed for and the inbox
    shows it among those to reply to."""
    notice = notices.issued()
    client.force_login(notices.org.inside)
    response = client.post(reverse("accountability:notice-sign-for", args=[notice.pk]))
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SIGNED_FOR
    html = client.get(URL).content.decode()
    assert reverse("accountability:notice-sign-for", args=[notice.pk]) not in html
    assert reverse("accountability:notice-detail", args=[notice.pk]) + "#reply" in html


def test_another_units_notices_never_show(client: Client, notices: Notices, later: None) -> None:
    """GIVEN a notice to 甲县 THEN 乙县's liaison's inbox is empty, and so is the read-only
    official's and the assessment office's (they sign for nothing)."""
    notices.issued()
    for user in (notices.org.outsider, notices.org.official, notices.org.assessor):
        box = stats.inbox(user=user)
        assert not (box.to_sign or box.to_reply or box.waiting or box.closed), user
        assert "甲县产业园开工" not in inbox_html(client, user)


def test_a_township_liaison_sees_only_the_township(
    client: Client, notices: Notices, later: None
) -> None:
    """GIVEN notices to 甲县 and to 甲镇 THEN 甲镇's liaison sees 甲镇's only; 甲县's liaison
    (above it) sees both."""
    from accounts.models import Post
    from accounts.tests.factories import MembershipFactory, UserFactory

    county = notices.issued()
    township = notices.issued(item=notices.plain)
    liaison = UserFactory(username="township", name="甲镇联络员")
    MembershipFactory(user=liaison, unit=notices.org.township_a, post=Post.LIAISON)
    assert [n.pk for n in stats.inbox(user=liaison).to_sign] == [township.pk]
    assert {n.pk for n in stats.inbox(user=notices.org.inside).to_sign} == {
        county.pk,
        township.pk,
    }


def test_the_inbox_runs_a_fixed_number_of_queries(
    client: Client, notices: Notices, later: None, django_assert_num_queries: Any
) -> None:
    """One notice or many: the user (1), the jurisdiction (3), the open notices (1), the
    closed ones (1) and their count (1), the navbar's unread notifications (1) and the
    session's save (3)."""
    from tasks_ledger.tests.factories import make_items, make_ledger

    client.force_login(notices.org.inside)
    client.get(URL)
    notices.issued()
    with django_assert_num_queries(11):
        assert client.get(URL).status_code == 200
    ledger = make_ledger(notices.org.campaign, title="更多")
    for item in make_items(ledger, notices.org.county_a, 6):
        notices.issued(item=item)
    with django_assert_num_queries(11):
        assert client.get(URL).status_code == 200


def test_the_home_page_leads_a_liaison_to_the_inbox(client: Client, notices: Notices) -> None:
    """The county liaison's home page and navbar link to the inbox; 乙县's liaison's too (for
    their own unit); the read-only official's navbar does not."""
    assert inbox_html(client, notices.org.inside)  # signs in
    home = client.get("/").content.decode()
    assert home.count(f'href="{URL}"') >= 2  # navbar and the home tile
    client.force_login(notices.org.official)
    assert f'href="{URL}"' not in client.get("/").content.decode()
