"""Richer data on top of the shared ``org`` fixture, for page, query-count and browser tests.

Everything is written through the services (``actor=None`` is the system), so the records
carry history like real ones.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
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
    parent: ResponsibilityChain | None = None,
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
        parent=parent,
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


@dataclass
class ChainWorld:
    """Chains at both levels whose posts and items fall in different parts of the tree.

    Who sees what (``campaign.rules``), beyond the city, which sees everything:

    - ``city``: 市 / 市发改委 with items of 市发改委, 甲县 and 乙县. 甲县 and its group and
      乙县 by their items, 甲镇 through the child ``county_a``.
    - ``county_a``: 甲县's share of ``city``, 甲县住建局 leading, 甲镇 cooperating; items of
      甲县 and 甲镇. 甲县 and its group, 甲镇.
    - ``coop_b``: 市 / 市发改委 with 乙县 cooperating, no items. 乙县.
    - ``county_b``: 乙县's share of ``coop_b``, no items. 乙县.
    - ``item_only``: 市 / 市发改委, one item of 甲镇. 甲县 and its group, 甲镇.
    - ``bare``: 市 / 市发改委, no items; its responsible person ``former`` has since left
      市发改委 and still sees it, nobody else below the city does.
    """

    township_user: User
    former: User
    city: ResponsibilityChain
    county_a: ResponsibilityChain
    coop_b: ResponsibilityChain
    county_b: ResponsibilityChain
    item_only: ResponsibilityChain
    bare: ResponsibilityChain
    items: dict[str, Any]

    def chains(self) -> dict[str, ResponsibilityChain]:
        """Every chain by name."""
        return {
            name: getattr(self, name)
            for name in ("city", "county_a", "coop_b", "county_b", "item_only", "bare")
        }

    def personas(self, org: Any) -> dict[str, User]:
        """The shared personas and this world's two extra people."""
        return {**org.personas(), "township": self.township_user, "former": self.former}


def build_chain_world(org: Any) -> ChainWorld:
    """Build :class:`ChainWorld` on the shared ``org`` (ledger items through the services)."""
    from tasks_ledger.tests.factories import make_item, make_ledger

    township_user = cast(User, UserFactory(username="township", name="甲镇联络员"))
    MembershipFactory(user=township_user, unit=org.township_a, post=Post.LIAISON)
    city = add_chain(
        subject="全市项目建设提速", unit=org.city, lead=org.city_dept, campaign=org.campaign
    )
    county_a = add_chain(
        subject="全市项目建设提速（甲县）",
        unit=org.county_a,
        lead=org.county_a_dept,
        campaign=org.campaign,
        cooperating=(org.township_a,),
        parent=city,
    )
    coop_b = add_chain(
        subject="乙县配合的营商环境任务",
        unit=org.city,
        lead=org.city_dept,
        campaign=org.campaign,
        cooperating=(org.county_b,),
    )
    county_b = add_chain(
        subject="乙县营商环境任务",
        unit=org.county_b,
        lead=org.county_b,
        campaign=org.campaign,
        parent=coop_b,
    )
    item_only = add_chain(
        subject="镇级信访案件化解", unit=org.city, lead=org.city_dept, campaign=org.campaign
    )
    former = cast(User, UserFactory(username="former", name="原市发改委科长"))
    MembershipFactory(user=former, unit=org.city_dept, post=Post.STAFF)
    bare = chain_create(
        actor=None,
        subject="市直机关作风建设",
        unit=org.city,
        principal_leader=person(org.city, Post.PRINCIPAL_LEADER, "测试市书记"),
        leader_in_charge=person(org.city, Post.LEADER_IN_CHARGE, "测试市分管领导"),
        lead_department=org.city_dept,
        responsible_person=former,
        campaign=org.campaign,
    )
    Membership.objects.filter(user=former).delete()  # moved on; the chain still names them
    ledger = make_ledger(org.campaign)
    items = {
        "city_dept": make_item(ledger, org.city_dept, chain=city, title="市发改委的项目事项"),
        "city_a": make_item(ledger, org.county_a, chain=city, title="甲县在市链条上的事项"),
        "city_b": make_item(ledger, org.county_b, chain=city, title="乙县在市链条上的事项"),
        "county_a": make_item(ledger, org.county_a, chain=county_a, title="甲县本级的项目事项"),
        "township": make_item(ledger, org.township_a, chain=county_a, title="甲镇的项目事项"),
        "item_only": make_item(ledger, org.township_a, chain=item_only, title="甲镇的信访案件"),
    }
    return ChainWorld(
        township_user=township_user,
        former=former,
        city=city,
        county_a=county_a,
        coop_b=coop_b,
        county_b=county_b,
        item_only=item_only,
        bare=bare,
        items=items,
    )
