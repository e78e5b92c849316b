"""The issue's acceptance case, on the demo: the scheduler's sweep, day after day.

An overdue item gets its reminder from the sweep; ignored, it becomes a supervision order
and then a warning on schedule (the warning waits for the group leader's approval, as the
default policy says); ignored again, an accountability recommendation is drafted and waits
for a person; a reply with evidence closes a matter, which then stays closed. No sweep ever
writes a duplicate: each day is swept twice.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accountability import services
from accountability.escalation import sweep
from accountability.models import Notice, NoticeKind, NoticeStatus, SweepRun
from accounts.models import User
from tasks_ledger.tests.test_demo import AS_OF, seeded

__all__ = ["seeded"]  # a fixture, used by name

pytestmark = pytest.mark.django_db


def sweep_twice(day: dt.date) -> SweepRun:
    """The beat fires twice at 06:30 on ``day``: the second run writes nothing."""
    moment = timezone.make_aware(dt.datetime.combine(day, dt.time(6, 30)))
    first = sweep(now=moment, trigger="beat")
    again = sweep(now=moment, trigger="beat")
    assert again.total == 0, again.counts
    return first


def assert_no_duplicates() -> None:
    """One open notice per item and kind; one escalation per notice; numbers unique."""
    open_ = Notice.objects.exclude(status=NoticeStatus.CLOSED).exclude(item=None)
    assert open_.count() == len(set(open_.values_list("item", "kind")))
    followed = Notice.objects.exclude(escalated_from=None)
    assert followed.count() == len(set(followed.values_list("escalated_from", flat=True)))
    issued = Notice.objects.exclude(number="")
    assert issued.count() == len(set(issued.values_list("number", flat=True)))


def may_act_for(notice: Notice) -> User:
    from accountability import notify

    return User.objects.get(pk=notify.target_side_ids(notice.target_unit)[0])


@pytest.mark.usefixtures("seeded")
def test_the_demo_climbs_the_ladder_and_a_reply_closes_the_matter() -> None:
    run = sweep_twice(AS_OF)
    new_reminders = list(run.notices.filter(kind=NoticeKind.REMINDER).order_by("pk"))
    assert 1 <= len(new_reminders) <= 6  # a handful, not a flood
    assert all(n.status == NoticeStatus.ISSUED and n.number for n in new_reminders)
    assert_no_duplicates()
    ignored, answered = new_reminders[0], new_reminders[-1]
    assert ignored != answered or len(new_reminders) == 1

    # One unit answers its reminder with evidence; the group accepts: the matter is closed.
    if answered != ignored:
        unit_side = may_act_for(answered)
        services.notice_sign_for(notice=answered, actor=unit_side)
        evidence = SimpleUploadedFile("整改照片.pdf", b"%PDF-1.4 demo", "application/pdf")
        services.notice_reply(
            notice=answered, actor=unit_side, text="已完成整改，附现场照片", files=[evidence]
        )
        group = answered.group
        assert group is not None
        services.notice_accept(notice=answered, actor=group.leader)
        answered.refresh_from_db()
        assert answered.status == NoticeStatus.CLOSED
        assert answered.attachments.filter(with_reply=True).count() == 1

    # The other is ignored: 3 days past its reply deadline, a supervision order, issued.
    day = ignored.reply_deadline + dt.timedelta(days=3)
    sweep_twice(day)
    order = Notice.objects.get(escalated_from=ignored)
    assert order.kind == NoticeKind.SUPERVISION and order.status == NoticeStatus.ISSUED
    assert order.sequence is not None and order.sequence > 18  # after the report's 18

    # 5 days past the order's deadline: a warning, drafted for the group leader.
    sweep_twice(order.reply_deadline + dt.timedelta(days=5))
    warning = Notice.objects.get(escalated_from=order)
    assert warning.kind == NoticeKind.WARNING and warning.status == NoticeStatus.DRAFT
    assert warning.group is not None
    approved = services.notice_approve(notice=warning, actor=warning.group.leader)
    issued_on = order.reply_deadline + dt.timedelta(days=6)
    member = warning.group.members.first() or warning.group.leader
    warning = services.notice_issue(notice=approved, actor=member, today=issued_on)

    # 7 days past the warning's deadline: an accountability recommendation, a draft that
    # waits for a person however many sweeps pass.
    last = warning.reply_deadline + dt.timedelta(days=7)
    sweep_twice(last)
    recommendation = Notice.objects.get(escalated_from=warning)
    assert recommendation.kind == NoticeKind.ACCOUNTABILITY
    for later in (last + dt.timedelta(days=1), last + dt.timedelta(days=10)):
        sweep_twice(later)
    recommendation.refresh_from_db()
    assert recommendation.status == NoticeStatus.DRAFT and not recommendation.number
    assert not Notice.objects.filter(escalated_from=recommendation).exists()

    # The answered matter stayed closed: no new reminder about its item.
    if answered != ignored:
        assert Notice.objects.filter(item=answered.item).count() == 1
    assert_no_duplicates()
