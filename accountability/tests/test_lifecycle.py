"""The notice's lifecycle through the services: every transition, and the refused ones."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accountability import services
from accountability.models import Notice, NoticeKind, NoticeStatus, overdue_q

from .conftest import DEADLINE, TODAY, Notices

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_reminder_goes_from_draft_to_closed_with_a_return_on_the_way(notices: Notices) -> None:
    """GIVEN a reminder drafted by the group's member WHEN it is issued without approval,
    signed for, answered, returned, answered again and accepted THEN each step records who
    and when and the notice ends closed (办结)."""
    org = notices.org
    notice = notices.draft()
    assert notice.status == NoticeStatus.DRAFT
    assert notice.number == ""
    assert notice.issuing_unit == org.city  # the campaign's office unit issues for the group
    assert notice.target_unit == org.county_a
    notice = services.notice_issue(notice=notice, actor=org.supervisor, today=TODAY)
    assert (notice.status, notice.number) == (NoticeStatus.ISSUED, "提示〔2022〕1号")
    assert notice.issued_by == org.supervisor and notice.issued_on == TODAY
    notice = services.notice_sign_for(notice=notice, actor=org.inside)
    assert notice.status == NoticeStatus.SIGNED_FOR and notice.signed_for_by == org.inside
    notice = services.notice_reply(notice=notice, actor=org.inside, text="已开工")
    assert notice.status == NoticeStatus.REPLIED and notice.replied_at is not None
    notice = services.notice_return(notice=notice, actor=org.supervisor, reason="缺少开工照片")
    assert (notice.status, notice.return_reason) == (NoticeStatus.RETURNED, "缺少开工照片")
    notice = services.notice_reply(notice=notice, actor=org.inside, text="补充照片")
    notice = services.notice_accept(notice=notice, actor=org.above)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED
    assert notice.closed_by == org.above and notice.reply == "补充照片"


def test_a_supervision_order_needs_the_group_leader(notices: Notices) -> None:
    """GIVEN a draft supervision order WHEN it is issued before approval, or a member
    approves it THEN both are refused in words; the group's leader approves it, then it
    is issued."""
    org = notices.org
    notice = notices.draft(NoticeKind.SUPERVISION)
    with pytest.raises(ValidationError) as early:
        services.notice_issue(notice=notice, actor=org.supervisor, today=TODAY)
    assert "审批" in early.value.messages[0]
    with pytest.raises(PermissionDenied) as member:
        services.notice_approve(notice=notice, actor=org.supervisor)
    assert "组长" in str(member.value)
    notice = services.notice_approve(notice=notice, actor=notices.leader)
    assert notice.status == NoticeStatus.APPROVED and notice.approved_by == notices.leader
    with pytest.raises(ValidationError):
        services.notice_approve(notice=notice, actor=notices.leader)  # approved already
    notice = services.notice_issue(notice=notice, actor=org.supervisor, today=TODAY)
    assert notice.number == "督办〔2022〕1号"


def test_without_a_group_the_office_approves_and_issues(notices: Notices) -> None:
    org = notices.org
    notice = notices.draft(NoticeKind.WARNING, actor=org.above, group=None)
    assert notice.group is None and notice.issuing_unit == org.city
    with pytest.raises(PermissionDenied):
        services.notice_approve(notice=notice, actor=notices.leader)
    notice = services.notice_approve(notice=notice, actor=org.above)
    notice = services.notice_issue(notice=notice, actor=org.above, today=TODAY)
    assert notice.number == "警示〔2022〕1号"


def test_refused_transitions_say_why(notices: Notices) -> None:
    org = notices.org
    draft = notices.draft()
    with pytest.raises(ValidationError):
        services.notice_sign_for(notice=draft, actor=org.inside)
    with pytest.raises(ValidationError) as reminder:
        services.notice_approve(notice=draft, actor=notices.leader)
    assert "提示单" in reminder.value.messages[0]
    issued = services.notice_issue(notice=draft, actor=org.supervisor, today=TODAY)
    with pytest.raises(ValidationError) as early:
        services.notice_reply(notice=issued, actor=org.inside, text="已整改")
    assert "签收" in early.value.messages[0]
    with pytest.raises(ValidationError):
        services.notice_accept(notice=issued, actor=org.supervisor)
    with pytest.raises(ValidationError):
        services.notice_issue(notice=issued, actor=org.supervisor, today=TODAY)
    with pytest.raises(PermissionDenied):
        services.notice_sign_for(notice=issued, actor=org.outsider)
    with pytest.raises(PermissionDenied):
        services.notice_sign_for(notice=issued, actor=org.official)  # reads, never acts
    with pytest.raises(PermissionDenied):
        services.notice_sign_for(notice=issued, actor=org.supervisor)  # issuer, not target
    signed = services.notice_sign_for(notice=issued, actor=org.inside)
    with pytest.raises(ValidationError) as empty:
        services.notice_reply(notice=signed, actor=org.inside, text="  ")
    assert empty.value.message_dict["reply"]
    replied = services.notice_reply(notice=signed, actor=org.inside, text="已整改")
    with pytest.raises(PermissionDenied):
        services.notice_accept(notice=replied, actor=org.inside)  # not its own judge
    with pytest.raises(ValidationError):
        services.notice_return(notice=replied, actor=org.supervisor, reason="")
    closed = services.notice_accept(notice=replied, actor=org.supervisor)
    with pytest.raises(ValidationError):
        services.notice_return(notice=closed, actor=org.supervisor, reason="再改")
    assert Notice.objects.get(pk=closed.pk).status == NoticeStatus.CLOSED


def test_a_stale_copy_cannot_act_twice(notices: Notices) -> None:
    """Two tabs: the notice is signed for in one; the stale copy in the other is refused."""
    org = notices.org
    issued = notices.issued()
    stale = Notice.objects.get(pk=issued.pk)
    services.notice_sign_for(notice=issued, actor=org.inside)
    with pytest.raises(ValidationError):
        services.notice_sign_for(notice=stale, actor=org.inside)


def test_drafting_is_checked(notices: Notices) -> None:
    org = notices.org
    with pytest.raises(PermissionDenied):
        notices.draft(actor=org.outsider)
    with pytest.raises(PermissionDenied):  # group_a covers 甲县, not 乙县
        notices.draft(target_unit=org.county_b, subject_title="乙县信访积案")
    with pytest.raises(ValidationError) as past:
        notices.draft(reply_deadline=TODAY - dt.timedelta(days=1))
    assert "reply_deadline" in past.value.message_dict
    with pytest.raises(ValidationError) as typo:
        notices.draft(reply_deadline=dt.date(2202, 6, 15))
    assert "2202-06-15" in typo.value.message_dict["reply_deadline"][0]
    with pytest.raises(ValidationError) as nothing:
        notices.draft(target_unit=org.county_a, subject_title=" ")
    assert "subject_title" in nothing.value.message_dict
    with pytest.raises(ValidationError) as elsewhere:
        notices.draft(item=notices.item, target_unit=org.township_a)
    assert "target_unit" in elsewhere.value.message_dict
    with pytest.raises(ValidationError) as facts:
        notices.draft(facts="")
    assert "facts" in facts.value.message_dict
    matter = notices.draft(target_unit=org.township_a, subject_title="甲镇环境整治不力")
    assert matter.item is None and matter.subject == "甲镇环境整治不力"


def test_responsible_people_come_from_the_chain(notices: Notices) -> None:
    """A reminder names the chain's responsible person (担责); a warning adds the leader in
    charge and the principal leader; an item without a chain takes the unit's leaders."""
    chain = notices.chain
    reminder = notices.draft()
    assert set(reminder.responsible_people.all()) == {chain.responsible_person}
    warning = notices.draft(NoticeKind.WARNING)
    assert set(warning.responsible_people.all()) == {
        chain.responsible_person,
        chain.leader_in_charge,
        chain.principal_leader,
    }
    county_head = chain.principal_leader  # 甲县's, not 甲镇's: nobody named on a plain reminder
    plain = notices.draft(item=notices.plain)
    assert not plain.responsible_people.exists()
    from accounts.models import Post
    from campaign.tests.builders import person

    head = person(notices.org.township_a, Post.PRINCIPAL_LEADER, "甲镇党委书记")
    plain_warning = notices.draft(NoticeKind.WARNING, item=notices.plain)
    assert set(plain_warning.responsible_people.all()) == {head}
    assert county_head not in plain_warning.responsible_people.all()


def test_escalation_drafts_the_next_kind_linked_to_the_first(notices: Notices) -> None:
    org = notices.org
    reminder = notices.issued()
    order = services.notice_escalate(
        notice=reminder, actor=org.supervisor, reply_deadline=DEADLINE, today=TODAY
    )
    assert (order.kind, order.status) == (NoticeKind.SUPERVISION, NoticeStatus.DRAFT)
    assert order.escalated_from == reminder and order.item == notices.item
    assert order.facts == reminder.facts
    with pytest.raises(ValidationError):  # one open supervision order for this item
        services.notice_escalate(
            notice=reminder, actor=org.supervisor, reply_deadline=DEADLINE, today=TODAY
        )
    services.notice_approve(notice=order, actor=notices.leader)
    order = services.notice_issue(notice=order, actor=org.supervisor, today=TODAY)
    recommendation = services.notice_escalate(
        notice=order,
        actor=org.supervisor,
        reply_deadline=DEADLINE,
        kind=NoticeKind.ACCOUNTABILITY,  # a serious matter may skip a kind
        today=TODAY,
    )
    assert recommendation.status == NoticeStatus.DRAFT
    assert recommendation.rank == 3 and recommendation.escalated_from == order
    with pytest.raises(ValidationError):  # not issued yet, and the top kind anyway
        services.notice_escalate(
            notice=recommendation, actor=org.supervisor, reply_deadline=DEADLINE, today=TODAY
        )
    with pytest.raises(PermissionDenied):
        services.notice_escalate(
            notice=order, actor=org.inside, reply_deadline=DEADLINE, kind=NoticeKind.WARNING
        )
    with pytest.raises(ValidationError):  # down is no escalation
        services.notice_escalate(
            notice=order,
            actor=org.supervisor,
            reply_deadline=DEADLINE,
            kind=NoticeKind.REMINDER,
            today=TODAY,
        )


def test_overdue_is_computed_not_stored(notices: Notices) -> None:
    org = notices.org
    notice = notices.issued()
    late = DEADLINE + dt.timedelta(days=1)
    assert not notice.is_overdue(DEADLINE)
    assert notice.is_overdue(late)
    assert list(Notice.objects.filter(overdue_q(late))) == [notice]
    notice = services.notice_sign_for(notice=notice, actor=org.inside)
    assert notice.is_overdue(late)
    notice = services.notice_reply(notice=notice, actor=org.inside, text="已整改")
    assert not notice.is_overdue(late)
    assert not Notice.objects.filter(overdue_q(late)).exists()


def test_reply_evidence_is_checked_and_kept(notices: Notices, settings, tmp_path) -> None:
    settings.MEDIA_ROOT = tmp_path
    org = notices.org
    notice = services.notice_sign_for(notice=notices.issued(), actor=org.inside)
    fake = SimpleUploadedFile("整改.pdf", b"not a pdf at all", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.notice_reply(notice=notice, actor=org.inside, text="已整改", files=[fake])
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SIGNED_FOR  # the whole reply rolled back
    real = SimpleUploadedFile("整改.pdf", PDF, content_type="application/pdf")
    services.notice_reply(notice=notice, actor=org.inside, text="已整改", files=[real])
    (attachment,) = notice.attachments.all()
    assert attachment.with_reply and attachment.original_name == "整改.pdf"


def test_every_change_is_in_history(notices: Notices) -> None:
    notice = notices.issued()
    event = apps.get_model("accountability", "NoticeEvent")
    labels = list(
        event.objects.filter(pgh_obj_id=notice.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "status")
    )
    assert labels == [("insert", "draft"), ("update", "issued")]


def test_the_office_escalates_a_group_notice_in_the_group_s_name(notices: Notices) -> None:
    """The office over the target unit may escalate what a group issued; the new draft stays
    the group's, so the group's leader approves it."""
    org = notices.org
    reminder = notices.issued()
    order = services.notice_escalate(
        notice=reminder, actor=org.above, reply_deadline=DEADLINE, today=TODAY
    )
    assert order.group == org.group_a and order.drafted_by == org.above
    with pytest.raises(PermissionDenied):
        services.notice_approve(notice=order, actor=org.above)
    assert services.notice_approve(notice=order, actor=notices.leader).status == "approved"
