"""Notices in a given state, made through the services as a user would make them.

``make_notice(org, unit, state)`` drafts a notice about a matter in words to ``unit`` (of
the shared ``org`` fixture): in supervision group A's name when the group covers the unit
(甲县 and below), else in the city office's own name; then approves, issues, signs for and
replies as far as ``state`` asks. Each notice gets a matter of its own, so lists can be
searched for it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Unit

from .. import services
from ..models import Notice, NoticeKind, NoticeStatus

TODAY = dt.date(2022, 6, 1)
DEADLINE = dt.date(2022, 6, 15)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
_serial = itertools.count(1)

#: States in lifecycle order, as ``make_notice`` reaches them.
ORDER = (
    NoticeStatus.DRAFT,
    NoticeStatus.APPROVED,
    NoticeStatus.ISSUED,
    NoticeStatus.SIGNED_FOR,
    NoticeStatus.REPLIED,
    NoticeStatus.CLOSED,
)


def pdf(name: str = "整改材料.pdf") -> SimpleUploadedFile:
    """A small real PDF, as evidence."""
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def covered_by_group(org: Any, unit: Unit) -> bool:
    """Whether supervision group A supervises ``unit`` (甲县 and the units under it)."""
    return unit.path.startswith(org.county_a.path)


def make_notice(
    org: Any,
    unit: Unit,
    state: str = NoticeStatus.ISSUED,
    *,
    kind: str = NoticeKind.REMINDER,
    today: dt.date = TODAY,
    deadline: dt.date = DEADLINE,
    **fields: Any,
) -> Notice:
    """A notice to ``unit`` in ``state`` (draft … closed), made through the services."""
    group = org.group_a if covered_by_group(org, unit) else None
    fields.setdefault("subject_title", f"{unit.name}督办事项{next(_serial)}")
    notice = services.notice_draft(
        actor=org.above,
        campaign=org.campaign,
        kind=kind,
        facts=fields.pop("facts", "项目推进缓慢，进度滞后"),
        requirements=fields.pop("requirements", "五日内报送整改情况"),
        reply_deadline=deadline,
        target_unit=unit,
        group=group,
        today=today,
        **fields,
    )
    reached = ORDER.index(NoticeStatus(state))
    if reached == 0:
        return notice
    if kind != NoticeKind.REMINDER:
        # The group's leader approves a group's notice; the office its own.
        approver = group.leader if group is not None else org.above
        notice = services.notice_approve(notice=notice, actor=approver)
    if reached >= ORDER.index(NoticeStatus.ISSUED):
        notice = services.notice_issue(notice=notice, actor=org.above, today=today)
    if reached >= ORDER.index(NoticeStatus.SIGNED_FOR):
        notice = services.notice_sign_for(notice=notice, actor=org.superuser)
    if reached >= ORDER.index(NoticeStatus.REPLIED):
        notice = services.notice_reply(notice=notice, actor=org.superuser, text="已按要求整改")
    if reached >= ORDER.index(NoticeStatus.CLOSED):
        notice = services.notice_accept(notice=notice, actor=org.above)
    return Notice.objects.get(pk=notice.pk)
