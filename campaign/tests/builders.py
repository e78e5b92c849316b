"""Richer data on top of the shared ``org`` fixture, for page, query-count and browser tests.

Everything is written through the services (``actor=None`` is the system), so the records
carry history like real ones.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from accounts.models import Membership, Post, Unit, UnitKind, UnitLevel, User
from accounts.tests.factories import MembershipFactory, UnitFactory, UserFactory
from campaign.models import (
    Campaign,
    CampaignPhase,
    PhaseKind,
    ResponsibilityChain,
    SupervisionGroupKind,
    TaskForce,
    TaskForceKind,
)
from campaign.services import chain_create, supervision_group_create, task_force_create

PHASES_2022 = [
    (PhaseKind.LAUNCH, dt.date(2022, 1, 1), dt.date(2022, 3, 31)),
    (PhaseKind.LOOK_BACK, dt.date(2022, 4, 1), dt.date(2022, 6, 30)),
    (PhaseKind.CONSOLIDATE, dt.date(2022, 7, 1), dt.date(2022, 10, 31)),
    (PhaseKind.EVALUATE, dt.date(2022, 11, 1), dt.date(2022, 12, 31)),
]


def add_phases(campaign: Campaign) -> list[CampaignPhase]:
    """The four phases of a 2022 campaign."""
    return [
        CampaignPhase.objects.create(campaign=campaign, kind=kind, start_date=start, end_date=end)
        for kind, start, end in PHASES_2022
    ]


def person(unit: Unit, post: str, name: str) -> User:
    """Someone holding ``post`` in ``unit`` (reused if the unit already has one)."""
    existing = Membership.objects.filter(unit=unit, post=post).select_related("user").first()
    if existing is not None:
        return existing.user
    user = cast(User, UserFactory(name=name[:50]))
    MembershipFactory(user=user, unit=unit, post=post)
    return user


def add_chain(
    *,
    subject: str,
    unit: Unit,
    lead: Unit,
    campaign: Campaign | None = None,
    task_force: TaskForce | None = None,
    cooperating: tuple[Unit, ...] = (),
) -> ResponsibilityChain:
    """A valid chain: the unit's leaders and a responsible person of the lead department."""
    return chain_create(
        actor=None,
        subject=subject,
        unit=unit,
        principal_leader=person(unit, Post.PRINCIPAL_LEADER, f"{unit.display_name}书记"),
        leader_in_charge=person(unit, Post.LEADER_IN_CHARGE, f"{unit.display_name}分管领导"),
        lead_department=lead,
        responsible_person=person(lead, Post.STAFF, f"{lead.display_name}科长"),
        cooperating_departments=cooperating,
        campaign=campaign,
        task_force=task_force,
    )


def grow(org: Any, size: int, *, tag: str = "") -> dict[str, list[Any]]:
    """Add ``size`` of everything: townships in both counties, task forces, chains, groups.

    Used twice with different sizes, a page must run the same number of queries.
    """
    townships_a = [
        UnitFactory.create(
            parent=org.county_a,
            name=f"甲县第{tag}{i}镇",
            level=UnitLevel.TOWNSHIP,
            kind=UnitKind.TOWNSHIP,
            under_special_assessment=i % 2 == 0,
        )
        for i in range(size)
    ]
    townships_b = [
        UnitFactory.create(
            parent=org.county_b,
            name=f"乙县第{tag}{i}镇",
            level=UnitLevel.TOWNSHIP,
            kind=UnitKind.TOWNSHIP,
            under_special_assessment=True,
        )
        for i in range(size)
    ]
    leader = person(org.city, Post.LEADER_IN_CHARGE, "市分管领导")
    forces = [
        task_force_create(
            actor=None,
            campaign=org.campaign,
            name=f"项目建设专班{tag}{i}",
            kind=TaskForceKind.WORK_FORCE,
            area="项目建设",
            leader=leader,
            member_units=[org.county_a_dept, townships_a[i], townships_b[i]],
            members=[org.inside, org.outsider],
            sort_order=i,
        )
        for i in range(size)
    ]
    chains = [
        add_chain(
            subject=f"重点任务{tag}{i}：优化营商环境",
            unit=org.county_a,
            lead=org.county_a_dept,
            campaign=org.campaign,
            task_force=forces[i],
            cooperating=(townships_a[i],),
        )
        for i in range(size)
    ]
    groups = [
        supervision_group_create(
            actor=None,
            campaign=org.campaign,
            name=f"专项督导{tag}{i}组",
            kind=SupervisionGroupKind.INSPECTION,
            leader=org.superuser,
            members=[org.supervisor],
            assigned_units=[townships_a[i], townships_b[i]],
            sort_order=i + 1,
        )
        for i in range(size)
    ]
    # A city-level chain names the city's leaders (the official is its principal leader).
    chains.append(
        add_chain(
            subject=f"全市重点项目{tag}：提速审批",
            unit=org.city,
            lead=org.city_dept,
            campaign=org.campaign,
            cooperating=(org.county_a,),
        )
    )
    return {
        "townships_a": townships_a,
        "townships_b": townships_b,
        "forces": forces,
        "chains": chains,
        "groups": groups,
    }
