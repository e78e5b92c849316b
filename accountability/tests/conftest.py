"""Fixtures the notice tests share: a ledger with items of 甲县 (one on a chain), a group
leader who is not a superuser, and a helper that drafts a notice through the service."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, cast

import pytest

from accounts.models import User
from accounts.tests.factories import UserFactory
from campaign.models import ResponsibilityChain
from campaign.tests.builders import add_chain
from tasks_ledger.models import LedgerItem
from tasks_ledger.tests.factories import make_item, make_ledger

from .. import services
from ..models import Notice, NoticeKind

TODAY = dt.date(2022, 6, 1)
DEADLINE = dt.date(2022, 6, 15)


@dataclass
class Notices:
    """What the notice tests act on, beside the shared ``org``."""

    org: Any
    leader: User  # leads group_a (the shared fixture's leader is the superuser)
    chain: ResponsibilityChain  # 甲县's chain, led by 甲县住建局
    item: LedgerItem  # an item of 甲县 on the chain
    plain: LedgerItem  # an item of 甲镇 without a chain

    def draft(
        self,
        kind: str = NoticeKind.REMINDER,
        *,
        item: LedgerItem | None = None,
        actor: User | None = None,
        group: Any = "default",
        **fields: Any,
    ) -> Notice:
        """A notice drafted by the group's member about ``item`` (the chained one)."""
        if item is not None:
            fields["item"] = item
        elif "subject_title" not in fields and "target_unit" not in fields:
            fields["item"] = self.item
        return services.notice_draft(
            actor=actor or self.org.supervisor,
            campaign=self.org.campaign,
            kind=kind,
            facts=fields.pop("facts", "项目开工滞后两个月"),
            requirements=fields.pop("requirements", "十日内报送整改方案"),
            reply_deadline=fields.pop("reply_deadline", DEADLINE),
            group=self.org.group_a if group == "default" else group,
            today=TODAY,
            **fields,
        )

    def issued(self, kind: str = NoticeKind.REMINDER, **fields: Any) -> Notice:
        """A notice drafted, approved where its kind needs it, and issued."""
        notice = self.draft(kind, **fields)
        if kind != NoticeKind.REMINDER:
            notice = services.notice_approve(notice=notice, actor=self.leader)
        return services.notice_issue(notice=notice, actor=self.org.supervisor, today=TODAY)


@pytest.fixture
def notices(org: Any) -> Notices:
    leader = cast(User, UserFactory(username="group_leader", name="督查组组长"))
    org.group_a.leader = leader
    org.group_a.save()
    ledger = make_ledger(org.campaign)
    chain = add_chain(
        subject="项目建设提速（甲县）",
        unit=org.county_a,
        lead=org.county_a_dept,
        campaign=org.campaign,
    )
    item = make_item(ledger, org.county_a, title="甲县产业园开工", chain=chain)
    plain = make_item(ledger, org.township_a, title="甲镇道路改造")
    return Notices(org=org, leader=leader, chain=chain, item=item, plain=plain)
