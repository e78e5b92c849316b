"""The two forms of every notice rule agree (the predicate for one notice, the filter for
lists) for every persona and notice, and the rules say what the domain says.

The notices cover what the rules look at: both sides of a supervision group (甲县 and its
township, covered by group_a) and the office's own (乙县 and 甲县, no group); every status;
a reminder (no approval) and a supervision order (approval by the group's leader).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from accountability import rules
from accountability.models import Notice, NoticeKind, NoticePerson, NoticeStatus
from accounts.models import Post, Role, Unit, User
from accounts.tests.factories import MembershipFactory, RoleAssignmentFactory, UserFactory

from .conftest import DEADLINE, Notices

pytestmark = pytest.mark.django_db

PAIRS: list[tuple[Callable[[Any, Notice], bool], Callable[[Any], Q]]] = [
    (rules.can_view_notice, rules.viewable_notices_q),
    (rules.can_approve_notice, rules.approvable_notices_q),
    (rules.can_issue_notice, rules.issuable_notices_q),
    (rules.can_sign_for_notice, rules.signable_notices_q),
    (rules.can_reply_notice, rules.repliable_notices_q),
    (rules.can_accept_notice, rules.acceptable_notices_q),
    (rules.can_return_notice, rules.returnable_notices_q),
    (rules.can_escalate_notice, rules.escalatable_notices_q),
]


def _person(name: str, unit: Unit, post: str = Post.STAFF) -> User:
    user = cast(User, UserFactory(username=name, name=name))
    MembershipFactory(user=user, unit=unit, post=post)
    return user


@pytest.fixture
def world(notices: Notices) -> dict[str, Any]:
    """Personas (the shared ones, the group's leader, people of 甲县 and 甲镇, 甲县's own
    office, the chain's responsible person) and a notice of every shape."""
    org = notices.org
    county_office = cast(User, UserFactory(username="county_office", name="甲县能力作风办"))
    RoleAssignmentFactory(user=county_office, role=Role.CAMPAIGN_OFFICE, scope=org.county_a)
    people = {
        **org.personas(),
        "leader": notices.leader,
        "county_head": notices.chain.principal_leader,
        "township": _person("township", org.township_a, Post.LIAISON),
        "county_office": county_office,
        "responsible": notices.chain.responsible_person,
        "anonymous": AnonymousUser(),
    }
    sequence = itertools.count(1)
    made: dict[str, Notice] = {}
    shapes = [
        ("group/甲县", org.group_a, org.county_a),
        ("group/甲镇", org.group_a, org.township_a),
        ("office/乙县", None, org.county_b),
        ("office/甲县", None, org.county_a),
    ]
    for (name, group, unit), kind, status in itertools.product(
        shapes, (NoticeKind.REMINDER, NoticeKind.SUPERVISION), NoticeStatus.values
    ):
        sent = status not in (NoticeStatus.DRAFT, NoticeStatus.APPROVED)
        notice = Notice.objects.create(
            campaign=org.campaign,
            kind=kind,
            status=status,
            group=group,
            issuing_unit=org.city,
            target_unit=unit,
            subject_title=f"{name}{kind}{status}",
            facts="事实",
            requirements="要求",
            reply_deadline=DEADLINE,
            number_year=2022 if sent else None,
            sequence=next(sequence) if sent else None,
        )
        NoticePerson.objects.create(notice=notice, user=notices.chain.responsible_person)
        made[f"{name}/{kind}/{status}"] = notice
    return {"people": people, "notices": made}


def test_both_forms_agree_for_every_persona_and_notice(world: dict[str, Any]) -> None:
    notices = list(world["notices"].values())
    disagreements = []
    for (name, user), (can, q) in itertools.product(world["people"].items(), PAIRS):
        listed = set(Notice.objects.filter(q(user)).values_list("pk", flat=True))
        allowed = {notice.pk for notice in notices if can(user, notice)}
        if listed != allowed:
            disagreements.append((name, can.__name__, listed ^ allowed))
    assert not disagreements


def test_drafting_agrees_for_every_persona_and_unit(
    notices: Notices, world: dict[str, Any]
) -> None:
    org = notices.org
    units = list(Unit.objects.all())
    for (_name, user), group in itertools.product(world["people"].items(), (None, org.group_a)):
        listed = set(Unit.objects.filter(rules.draftable_units_q(user, group)))
        allowed = {unit for unit in units if rules.can_draft_notice(user, unit, group)}
        assert listed == allowed, (_name, group)


def _who(world: dict[str, Any], can: Callable[[Any, Notice], bool], key: str) -> set[str]:
    notice = world["notices"][key]
    return {name for name, user in world["people"].items() if can(user, notice)}


def test_who_sees_a_draft_and_an_issued_notice(world: dict[str, Any]) -> None:
    issuer = {"above", "admin", "superuser", "supervisor", "leader", "county_office"}
    assert _who(world, rules.can_view_notice, "group/甲县/reminder/draft") == issuer
    assert _who(world, rules.can_view_notice, "group/甲县/reminder/issued") == issuer | {
        "inside",
        "county_head",
        "official",
        "assessor",
        "responsible",
    }
    # 乙县's notice from the city office: not the group, not 甲县's people
    assert _who(world, rules.can_view_notice, "office/乙县/reminder/issued") == {
        "above",
        "admin",
        "superuser",
        "outsider",
        "official",
        "assessor",
        "responsible",
    }


def test_who_acts_at_each_step(world: dict[str, Any]) -> None:
    # the group's leader approves the group's orders; the office those without a group
    assert _who(world, rules.can_approve_notice, "group/甲县/supervision/draft") == {
        "leader",
        "superuser",
    }
    assert _who(world, rules.can_approve_notice, "office/甲县/supervision/draft") == {
        "above",
        "admin",
        "superuser",
        "county_office",
    }
    assert not _who(world, rules.can_approve_notice, "group/甲县/reminder/draft")
    assert not _who(world, rules.can_issue_notice, "group/甲县/supervision/draft")
    assert "supervisor" in _who(world, rules.can_issue_notice, "group/甲县/reminder/draft")
    # the target side signs for and replies: people of 甲镇 and of 甲县 above it
    target = {"inside", "county_head", "township", "superuser"}
    assert _who(world, rules.can_sign_for_notice, "group/甲镇/reminder/issued") == target
    assert _who(world, rules.can_reply_notice, "group/甲镇/reminder/returned") == target
    assert not _who(world, rules.can_reply_notice, "group/甲镇/reminder/issued")
    # the issuer side decides on the reply and escalates
    issuer = {"above", "admin", "superuser", "supervisor", "leader", "county_office"}
    assert _who(world, rules.can_accept_notice, "group/甲镇/reminder/replied") == issuer
    assert _who(world, rules.can_escalate_notice, "group/甲镇/reminder/signed_for") == issuer
    assert not _who(world, rules.can_escalate_notice, "group/甲镇/reminder/closed")
