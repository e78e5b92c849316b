"""Who is told what (accountability.notify): each event reaches exactly the right people,
nobody in another unit, with a fixed number of queries; a rolled-back action tells nobody."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accountability import notify, services
from accountability.models import (
    Distinction,
    ExemptionStatus,
    MeasureKind,
    Notice,
    NoticeKind,
)
from accounts.models import Notification, Post
from accounts.tests.factories import MembershipFactory, UserFactory

from .conftest import TODAY, Notices

pytestmark = pytest.mark.django_db


def told(kind: str = notify.KIND_NOTICE) -> dict[str, Notification]:
    """The notifications of ``kind`` written so far, by recipient's username (one each)."""
    rows = Notification.objects.filter(kind=kind).select_related("recipient")
    found: dict[str, Notification] = {}
    for row in rows:
        assert row.recipient.username not in found, "told twice"
        found[row.recipient.username] = row
    return found


def fresh(action: Callable[[], Any]) -> Any:
    """Run ``action`` with no notifications before it."""
    Notification.objects.all().delete()
    return action()


def responsible(notices: Notices) -> set[str]:
    chain = notices.chain
    return {chain.responsible_person.username}


def test_an_issued_reminder_tells_the_target_unit_and_the_responsible_person(
    notices: Notices,
) -> None:
    """GIVEN a reminder about 甲县's chained item WHEN it is issued THEN 甲县's liaison and the
    chain's responsible person are told, not urgently, with a link to the notice; nobody of
    乙县, no official, not the issuer."""
    notice = notices.draft()
    assert told() == {}  # a draft reminder needs no approval: nobody is asked
    notice = services.notice_issue(notice=notice, actor=notices.org.supervisor, today=TODAY)
    rows = told()
    assert set(rows) == {"inside"} | responsible(notices)
    row = rows["inside"]
    assert not row.urgent
    assert row.link == f"/supervision/notices/{notice.pk}/"
    assert notice.number in row.title


def test_an_issued_warning_is_urgent_and_copies_the_chains_leaders(notices: Notices) -> None:
    """GIVEN a warning WHEN issued THEN the leader in charge and the principal leader of the
    chain are told too, urgently."""
    notice = notices.draft(NoticeKind.WARNING)
    notice = services.notice_approve(notice=notice, actor=notices.leader)
    fresh(lambda: services.notice_issue(notice=notice, actor=notices.org.supervisor, today=TODAY))
    chain = notices.chain
    expected = {"inside", chain.responsible_person.username}
    expected |= {chain.leader_in_charge.username, chain.principal_leader.username}
    rows = told()
    assert set(rows) == expected
    assert all(row.urgent for row in rows.values())


def test_a_draft_needing_approval_asks_the_groups_leader_only(notices: Notices) -> None:
    """GIVEN a supervision order drafted in group A's name THEN only the group's leader (who
    approves) is asked; a draft the office writes without a group asks the office."""
    notices.draft(NoticeKind.SUPERVISION)
    assert set(told()) == {"group_leader"}
    fresh(
        lambda: notices.draft(
            NoticeKind.SUPERVISION, item=notices.plain, actor=notices.org.above, group=None
        )
    )
    # The office over 甲镇: the city's campaign office and its administrator.
    assert set(told()) == {"above", "cityadmin"}


def test_a_reply_asks_the_issuer_side_and_a_return_tells_the_unit_why(notices: Notices) -> None:
    """GIVEN an issued reminder WHEN the unit replies THEN the drafter/issuer and the group's
    leader and members are asked to decide, not the unit; WHEN it is returned THEN the unit
    is told with the reason."""
    org = notices.org
    notice = notices.issued()
    notice = services.notice_sign_for(notice=notice, actor=org.inside)
    fresh(lambda: services.notice_reply(notice=notice, actor=org.inside, text="已开工"))
    assert set(told()) == {"supervisor", "group_leader"}
    fresh(lambda: services.notice_return(notice=notice, actor=org.supervisor, reason="缺少照片"))
    rows = told()
    assert set(rows) == {"inside"}
    assert "缺少照片" in rows["inside"].body


def test_an_escalation_tells_the_unit_and_the_responsible_people_urgently(
    notices: Notices,
) -> None:
    """GIVEN an issued reminder WHEN it is escalated to a supervision order THEN the unit and
    the responsible person are told urgently, linked to the reminder they can see, and the
    group's leader is asked to approve the new draft."""
    org = notices.org
    reminder = notices.issued()
    escalated = fresh(
        lambda: services.notice_escalate(
            notice=reminder,
            actor=org.supervisor,
            reply_deadline=dt.date(2022, 6, 20),
            today=TODAY,
        )
    )
    rows = told()
    assert set(rows) == {"inside", "group_leader"} | responsible(notices)
    assert rows["inside"].urgent and rows["inside"].link == f"/supervision/notices/{reminder.pk}/"
    assert rows["group_leader"].link == f"/supervision/notices/{escalated.pk}/"


def test_exemptions_and_measures_tell_who_decides_and_who_is_concerned(
    notices: Notices,
) -> None:
    """GIVEN 甲县 applies for an exemption THEN the office over it is asked (not 乙县, not the
    supervisor); WHEN it is approved THEN the applicant is told; WHEN a measure is recorded
    on a person THEN that person alone is told."""
    org = notices.org
    notice = notices.issued()
    exemption = fresh(
        lambda: services.exemption_apply(
            actor=org.inside,
            notice=notice,
            distinctions=[Distinction.EXPLORATORY],
            reasons="先行先试",
        )
    )
    assert set(told(notify.KIND_EXEMPTION)) == {"above", "cityadmin"}
    fresh(lambda: services.exemption_approve(exemption=exemption, actor=org.above))
    assert exemption.status == ExemptionStatus.PENDING  # the caller's copy; the row changed
    rows = told(notify.KIND_EXEMPTION)
    assert (set(rows) == {"inside"} and "approved" in rows["inside"].title.lower()) or (
        "通过" in rows["inside"].title
    )
    fresh(
        lambda: services.measure_record(
            actor=org.above,
            campaign=org.campaign,
            kind=MeasureKind.ADMONISHMENT,
            unit=org.county_a,
            person=org.inside,
            notices=[notice],
            deciding_authority="市纪委监委",
            decided_on=TODAY,
            today=TODAY,
        )
    )
    assert set(told(notify.KIND_MEASURE)) == {"inside"}
    fresh(
        lambda: services.measure_record(
            actor=org.above,
            campaign=org.campaign,
            kind=MeasureKind.CIRCULATED_CRITICISM,
            unit=org.county_a,
            notices=[notice],
            deciding_authority="市能力作风办",
            decided_on=TODAY,
            today=TODAY,
        )
    )
    assert told(notify.KIND_MEASURE) == {}  # a measure on the unit alone names nobody


def test_a_unit_without_people_is_answered_for_by_the_unit_above(notices: Notices) -> None:
    """GIVEN 甲镇 has nobody in it WHEN a reminder goes to it THEN 甲县's liaison (who may sign
    for it) is told; the read-only official holding a post in the city never is."""
    fresh(lambda: notices.issued(item=notices.plain))
    assert set(told()) == {"inside"}


def test_a_rolled_back_issue_tells_nobody(
    notices: Notices, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN an issue that fails after its write (the transaction rolls back) THEN no
    notification is kept and no delivery is queued."""
    notice = notices.draft()
    Notification.objects.all().delete()
    with (
        django_capture_on_commit_callbacks() as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        services.notice_issue(notice=notice, actor=notices.org.supervisor, today=TODAY)
        assert told()  # written inside the transaction...
        raise RuntimeError
    assert told() == {}  # ...and gone with it
    assert callbacks == []
    notice.refresh_from_db()
    assert notice.number == ""


def test_a_committed_issue_queues_its_delivery(
    notices: Notices, django_capture_on_commit_callbacks: Any
) -> None:
    """The counterpart: a committed issue queues one delivery of what it wrote."""
    notice = notices.draft()
    with django_capture_on_commit_callbacks() as callbacks:
        services.notice_issue(notice=notice, actor=notices.org.supervisor, today=TODAY)
    assert len(callbacks) == 1


def test_recipients_take_the_same_queries_however_many_people(notices: Notices) -> None:
    """GIVEN 甲县 with one liaison, then with six WHEN a warning is issued to it THEN telling
    them takes the same number of queries."""

    draft = notices.draft(NoticeKind.WARNING)
    services.notice_approve(notice=draft, actor=notices.leader)
    notice = services.notice_issue(notice=draft, actor=notices.org.supervisor, today=TODAY)

    def queries_to_tell() -> int:
        warning = Notice.objects.select_related("target_unit", "item").get(pk=notice.pk)
        with CaptureQueriesContext(connection) as ctx:
            notify.notice_issued(warning)
        return len(ctx.captured_queries)

    few = queries_to_tell()
    for n in range(5):
        person = UserFactory(username=f"liaison{n}")
        MembershipFactory(user=person, unit=notices.org.county_a, post=Post.LIAISON)
    assert queries_to_tell() == few
    assert few <= 6


def test_due_soon_tells_the_unit_once_per_notice(notices: Notices) -> None:
    """GIVEN a reminder due in two days and one due in two weeks WHEN the daily check runs
    twice THEN the unit is told once, about the first only; a replied notice is not
    reminded of its deadline."""
    org = notices.org
    soon = notices.issued(reply_deadline=TODAY + dt.timedelta(days=2))
    notices.issued(item=notices.plain, reply_deadline=TODAY + dt.timedelta(days=14))
    Notification.objects.all().delete()
    assert notify.notices_due_soon_notify(TODAY) == 1
    rows = told(notify.KIND_DUE)
    assert set(rows) == {"inside"}
    assert rows["inside"].link == f"/supervision/notices/{soon.pk}/"
    assert notify.notices_due_soon_notify(TODAY) == 0
    assert notify.notices_due_soon_notify(TODAY + dt.timedelta(days=1)) == 0
    assert Notification.objects.filter(kind=notify.KIND_DUE).count() == 1
    # Thirteen days on, the second is near; the first is past its deadline (not "soon").
    services.notice_sign_for(notice=soon, actor=org.inside)
    services.notice_reply(notice=soon, actor=org.inside, text="已整改")
    assert notify.notices_due_soon_notify(TODAY + dt.timedelta(days=13)) == 1
    assert Notification.objects.filter(kind=notify.KIND_DUE).count() == 2


def test_quiet_tells_nobody(notices: Notices) -> None:
    """Within notify.quiet() (the demo's replay of the past) nobody is told."""
    with notify.quiet():
        notices.issued()
    assert told() == {}
