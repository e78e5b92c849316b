"""Reads of campaigns and their parts, scoped to the caller's jurisdiction.

A user takes part in a campaign owned by a unit at or above their jurisdiction (a county
liaison sees the city campaign) or within it (the city office sees county campaigns).
Unit lists inside a campaign (task-force members, supervised units) are cut down to what the
caller may see. Which chains a user may see is :mod:`campaign.rules`'s question.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf

from accounts.jurisdiction import Jurisdiction, jurisdiction_for, kept_beside_jurisdictions
from accounts.models import Unit, User
from accounts.selectors import SOME_MARK, SOME_USER, CompiledStatement, some_unit_path
from config.expressions import AmongIds

from .models import (
    Campaign,
    CampaignPhase,
    CampaignStatus,
    ChainCooperation,
    ResponsibilityChain,
    SupervisionGroup,
    TaskForce,
)
from .rules import chain_visible_q


def taking_part_q(j: Jurisdiction) -> Q:
    """Campaigns a jurisdiction takes part in: owned by a unit within it, or by a unit above
    it (a county takes part in its city's campaign). The one rule of :func:`campaign_list`,
    :func:`campaign_overview_list` and :func:`campaign_lines`."""
    return j.q("owner_unit") | j.ancestors_q("owner_unit")


def campaign_list(*, user: User) -> QuerySet[Campaign]:
    """Campaigns the user takes part in, newest first."""
    j = jurisdiction_for(user)
    return (
        Campaign.objects.filter(taking_part_q(j))
        .select_related("owner_unit")
        .annotate(
            task_force_count=Count("task_forces", distinct=True),
            supervision_group_count=Count("supervision_groups", distinct=True),
        )
        .order_by("-year", "name")
    )


def _visible_units(user: User) -> QuerySet[Unit]:
    return jurisdiction_for(user).units().order_by("path")


def task_force_list(*, user: User, campaign: Campaign | None = None) -> QuerySet[TaskForce]:
    """Task forces of the campaigns the user takes part in, members loaded (3 queries)."""
    forces = TaskForce.objects.filter(campaign__in=campaign_list(user=user).values("pk"))
    if campaign is not None:
        forces = forces.filter(campaign=campaign)
    return forces.select_related("leader", "campaign").prefetch_related(
        Prefetch("member_units", queryset=_visible_units(user)),
        "members",
    )


def supervision_group_list(
    *, user: User, campaign: Campaign | None = None
) -> QuerySet[SupervisionGroup]:
    """Supervision groups of the user's campaigns with the visible assigned units loaded."""
    groups = SupervisionGroup.objects.filter(campaign__in=campaign_list(user=user).values("pk"))
    if campaign is not None:
        groups = groups.filter(campaign=campaign)
    return groups.select_related("leader", "campaign").prefetch_related(
        Prefetch("assigned_units", queryset=_visible_units(user)),
        "members",
    )


def chain_list(*, user: User, campaign: Campaign | None = None) -> QuerySet[ResponsibilityChain]:
    """Chains the user may see (:func:`campaign.rules.chain_visible_q`), everything for one
    line loaded: one query for the rows and one for their cooperating departments."""
    chains = ResponsibilityChain.objects.filter(chain_visible_q(user))
    if campaign is not None:
        chains = chains.filter(campaign=campaign)
    return _chain_rows(chains)


#: What :meth:`ResponsibilityChain.as_line` reads, and the unit the lists are ordered by.
LINE_RELATIONS = (
    "unit",
    "principal_leader",
    "leader_in_charge",
    "lead_department",
    "responsible_person",
)


def _line_rows(chains: QuerySet[ResponsibilityChain]) -> QuerySet[ResponsibilityChain]:
    """What a chain's line shows, loaded (its cooperating departments one query)."""
    return chains.select_related(*LINE_RELATIONS).prefetch_related(
        Prefetch("cooperating_departments", queryset=Unit.objects.order_by("path"))
    )


def _chain_rows(chains: QuerySet[ResponsibilityChain]) -> QuerySet[ResponsibilityChain]:
    """A chain's line and its campaign and task force, loaded."""
    return _line_rows(chains).select_related("task_force", "campaign")


def campaign_detail(*, user: User, pk: int) -> Campaign:
    """One campaign with phases loaded; raises Campaign.DoesNotExist if not visible."""
    return (
        campaign_list(user=user)
        .prefetch_related(Prefetch("phases", queryset=CampaignPhase.objects.order_by("order")))
        .get(pk=pk)
    )


def campaign_unit_coverage(*, user: User, campaign: Campaign) -> dict[str, int]:
    """Counts for the overview: visible units under assessment and how many a group covers."""
    units = _visible_units(user).filter(under_special_assessment=True)
    covered = units.filter(supervision_groups__campaign=campaign).distinct()
    return {"assessed": units.count(), "covered": covered.count()}


def chain_search_q(text: str) -> Q:
    """Filter chains by subject, lead department or any person's name."""
    return (
        Q(subject__icontains=text)
        | Q(lead_department__name__icontains=text)
        | Q(principal_leader__name__icontains=text)
        | Q(leader_in_charge__name__icontains=text)
        | Q(responsible_person__name__icontains=text)
    )


def _count_of(queryset: QuerySet[Any], field: str = "campaign") -> Coalesce:
    """How many rows of ``queryset`` belong to the outer campaign (a correlated subquery)."""
    counted = (
        queryset.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted), 0)


def campaign_overview_list(*, user: User) -> QuerySet[Campaign]:
    """Campaigns as :func:`campaign_list`, each also counting the chains the user may see.

    Every count is a subquery run once per campaign: joining task forces and groups to count
    them (as :func:`campaign_list` does) would run the chain count once per joined row, and
    that count carries the whole chain-visibility rule (a few hundred times at a province).
    """
    j = jurisdiction_for(user)
    return (
        Campaign.objects.filter(taking_part_q(j))
        .select_related("owner_unit")
        .annotate(
            task_force_count=_count_of(TaskForce.objects.all()),
            supervision_group_count=_count_of(SupervisionGroup.objects.all()),
            chain_count=_count_of(ResponsibilityChain.objects.filter(chain_visible_q(user))),
        )
        .order_by("-year", "name")
    )


@dataclass(frozen=True)
class CampaignLine:
    """One campaign as the home page lists it: plain values, no model instance."""

    pk: int
    name: str
    status: str
    owner_name: str  # the owner unit's display name
    task_force_count: int
    supervision_group_count: int
    chain_count: int

    def get_status_display(self) -> str:
        """The status's label in the request's language (as the model's own method: the
        stored value for one that is no choice)."""
        return str(dict(CampaignStatus.choices).get(self.status, self.status))


def _chain_counts(user: User) -> QuerySet[Any]:
    """How many chains of each campaign the user may see: (campaign id, count) rows."""
    return (
        ResponsibilityChain.objects.filter(chain_visible_q(user))
        .order_by()
        .values_list("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )


def _shape_of(j: Jurisdiction, user_id: int, mark: str) -> Jurisdiction:
    """``j`` with stand-ins for the user's id and for every path it holds, in the same
    numbers (:class:`accounts.selectors.CompiledStatement`): only the roots it sees may come
    out in a statement compiled for it, so the others' stand-ins are of marks of their own."""

    def stand_ins(paths: tuple[str, ...], list_mark: str) -> tuple[str, ...]:
        return tuple(some_unit_path(index, list_mark) for index in range(len(paths)))

    return dataclasses.replace(
        j,
        user_id=user_id,
        view_roots=stand_ins(j.view_roots, mark),
        manage_roots=stand_ins(j.manage_roots, f"{mark}M"),
        supervised_roots=stand_ins(j.supervised_roots, f"{mark}S"),
        member_paths=stand_ins(j.member_paths, f"{mark}E"),
    )


@functools.lru_cache(maxsize=64)
def _chain_counts_statement(using: str, shape: Jurisdiction) -> CompiledStatement | None:
    """:func:`_chain_counts` for a user whose jurisdiction has ``shape`` (:func:`_shape_of`)
    compiled once (:class:`accounts.selectors.CompiledStatement`)."""

    def build(user_id: int, mark: str) -> QuerySet[Any]:
        someone = User(pk=user_id)
        # jurisdiction_for's memo: the jurisdiction of the shape with these stand-ins.
        setattr(someone, "_jurisdiction_cache", _shape_of(shape, user_id, mark))  # noqa: B010
        return _chain_counts(someone)

    return CompiledStatement.of(build, using, paths=len(shape.view_roots))


def _visible_chain_counts(user: User, j: Jurisdiction) -> dict[int, int]:
    """:func:`_chain_counts` as a dict, its statement compiled once for every user whose
    jurisdiction has the same shape (:func:`_chain_counts_statement`): building the
    visibility rule's SQL cost more than the planner and the rows together for an office."""
    database = ResponsibilityChain.objects.all().db
    statement = None
    if j.user_id == user.pk:
        statement = _chain_counts_statement(database, _shape_of(j, SOME_USER, SOME_MARK))
    if statement is None:
        return dict(_chain_counts(user))
    return dict(statement.run(database, user.pk, list(j.view_roots)))  # (campaign, count)


#: One campaign of :func:`campaign_lines` as kept: pk, name, status, the owner unit's display
#: name, how many task forces and supervision groups it has.
Catalogued = tuple[int, str, str, str, int, int]


def campaign_lines(*, user: User) -> list[CampaignLine]:
    """The campaigns of :func:`campaign_overview_list`, with the same counts, as plain lines
    for the home page: one query.

    The campaigns (as :func:`campaign_list`) and their task forces and groups are kept beside
    the jurisdictions (sources in :mod:`accounts.receivers`: campaigns, units, groups, task
    forces); the chains the user may see depend on the ledger items too, so they are counted
    anew, one query grouped by campaign. When the campaigns are not kept, the query that
    reads them counts the chains as well."""
    j = jurisdiction_for(user)
    chains: dict[int, int] | None = None

    def read() -> list[Catalogued]:
        nonlocal chains
        rows = (
            Campaign.objects.filter(taking_part_q(j))
            .annotate(
                task_force_count=_count_of(TaskForce.objects.all()),
                supervision_group_count=_count_of(SupervisionGroup.objects.all()),
                chain_count=_count_of(ResponsibilityChain.objects.filter(chain_visible_q(user))),
            )
            .order_by("-year", "name")
            .values_list(
                "pk",
                "name",
                "status",
                "owner_unit__short_name",
                "owner_unit__name",
                "task_force_count",
                "supervision_group_count",
                "chain_count",
            )
        )
        found: list[Catalogued] = []
        chains = {}
        for pk, name, status, short, full, forces, groups, counted in rows:
            found.append((pk, name, status, short or full, forces, groups))
            chains[pk] = counted
        return found

    catalogue = kept_beside_jurisdictions("home-campaigns", j, read)
    if catalogue and chains is None:  # kept: the chains alone
        chains = _visible_chain_counts(user, j)
    return [
        CampaignLine(pk, name, status, owner, forces, groups, (chains or {}).get(pk, 0))
        for pk, name, status, owner, forces, groups in catalogue
    ]


def supervision_groups_of(*, user: User) -> QuerySet[SupervisionGroup]:
    """Groups the user leads or belongs to, with their visible assigned units (3 queries)."""
    return (
        supervision_group_list(user=user)
        .filter(Q(leader=user) | Q(members=user))
        .distinct()
        .order_by("campaign__year", "sort_order", "name")
    )


def chain_involvement_q(*, user: User, units: Iterable[Unit]) -> Q:
    """Chains that involve the user or their units in any post.

    The user in person as principal leader, leader in charge or responsible person; one of
    ``units`` (the user's own units) or a unit under it as the chain's unit, its lead
    department or a cooperating department.

    As one filter on the chain's id: among the ids the four ways find, each by its own
    index, read once as a union (an InitPlan). Written as six conditions joined by OR, the
    planner walked every unit of a province in path order to find a county's few chains
    (4-8 ms of the home page).
    """
    # The user's own units as a set of subtree roots: the jurisdiction's prefix filter.
    own = Jurisdiction(user_id=user.pk, view_roots=tuple(sorted({u.path for u in units})))
    chains = ResponsibilityChain._default_manager.order_by()  # no part of a union is sorted
    in_person = chains.filter(
        Q(principal_leader=user) | Q(leader_in_charge=user) | Q(responsible_person=user)
    )
    ids = in_person.values("pk").union(
        chains.filter(own.q("unit")).values("pk"),
        chains.filter(own.q("lead_department")).values("pk"),
        ChainCooperation._default_manager.filter(own.q("unit")).order_by().values("chain_id"),
        all=True,
    )
    return Q(AmongIds(F("pk"), Subquery(ids)))


def chains_of(*, user: User, units: Iterable[Unit] | None = None) -> QuerySet[ResponsibilityChain]:
    """Visible chains that involve the user, their units or units under them, in any post,
    each with what its line shows (:data:`LINE_RELATIONS`, ``cooperating_names``; not its
    campaign or task force: two joins more cost the planner ten times the plan at a province),
    in one query.

    ``units`` are the user's own units when the caller has them loaded already (else read
    from the memberships, one more query).
    """
    if units is None:
        units = [m.unit for m in user.memberships.select_related("unit")]
    units = list(units)
    involved = chain_involvement_q(user=user, units=units)
    j = jurisdiction_for(user)
    if j.user_id == user.pk and all(j.can_view(unit) for unit in units):
        # Every involved chain is visible (rules 1 and 2 of campaign.rules: the user's posts,
        # units they may see): the visibility filter and its subqueries would only cost.
        chains = ResponsibilityChain.objects.filter(involved)
    else:
        chains = ResponsibilityChain.objects.filter(chain_visible_q(user)).filter(involved)
    # The cooperating departments' names in the same query (a short list per chain, for a
    # page of them), not a second query as _line_rows would.
    names = (
        ChainCooperation._default_manager.filter(chain=OuterRef("pk"))
        .order_by("unit__path")
        .values(name=Coalesce(NullIf("unit__short_name", Value("")), "unit__name"))
    )
    return chains.select_related(*LINE_RELATIONS).annotate(cooperating_names=ArraySubquery(names))


@dataclass(frozen=True)
class ChainLine:
    """One chain as the home page lists it: plain values, no model instance; its line is
    :meth:`ResponsibilityChain.as_line`'s, from the names read."""

    pk: int
    subject: str
    principal_leader: str
    leader_in_charge: str
    lead_department: _Named
    responsible_person: str
    cooperating_names: list[str]

    def as_line(self) -> str:
        """The chain as one line, as :meth:`ResponsibilityChain.as_line` writes it."""
        return ResponsibilityChain.as_line(cast(ResponsibilityChain, self))


@dataclass(frozen=True)
class _Named:
    display_name: str


def _person_name(key: str) -> Subquery:
    """The name a person shows (``str(user)``: the real name, else the username) of the
    outer row's ``key``, a subquery by primary key."""
    named = User.objects.filter(pk=OuterRef(key)).order_by()
    return Subquery(named.values(shown=Coalesce(NullIf("name", Value("")), "username")))


def _unit_name(key: str) -> Subquery:
    """A unit's display name (the short name, else the name), a subquery by primary key."""
    named = Unit.objects.filter(pk=OuterRef(key)).order_by()
    return Subquery(named.values(shown=Coalesce(NullIf("short_name", Value("")), "name")))


@functools.lru_cache(maxsize=16)
def _chain_lines_statement(using: str, units: int, limit: int) -> CompiledStatement | None:
    """:func:`chain_lines`' statement for ``units`` units of the user's, compiled once
    (:class:`accounts.selectors.CompiledStatement`).

    The names come from a subquery each by primary key: joined, the six tables cost the
    planner 2 of the 2.3 ms the statement took at a province."""

    def build(user_id: int, mark: str) -> QuerySet[Any]:
        stand_ins = [Unit(path=some_unit_path(index, mark)) for index in range(units)]
        return _chain_lines_query(User(pk=user_id), stand_ins)[:limit]

    return CompiledStatement.of(build, using, paths=units)


def _chain_lines_query(user: User, units: list[Unit]) -> QuerySet[Any]:
    """The chains that involve the user or their units, with what their lines show, in
    :func:`chains_of`'s order (every such chain is one the user may see: see there)."""
    names = (
        ChainCooperation._default_manager.filter(chain=OuterRef("pk"))
        .order_by("unit__path")
        .values(name=Coalesce(NullIf("unit__short_name", Value("")), "unit__name"))
    )
    return (
        ResponsibilityChain.objects.filter(chain_involvement_q(user=user, units=units))
        .order_by("unit__path", "subject", "pk")
        .values_list("pk", "subject")
        .annotate(
            principal=_person_name("principal_leader_id"),
            leader=_person_name("leader_in_charge_id"),
            lead=_unit_name("lead_department_id"),
            person=_person_name("responsible_person_id"),
            cooperating=ArraySubquery(names),
        )
    )


def chain_lines(*, user: User, units: Iterable[Unit], limit: int) -> list[ChainLine]:
    """The first ``limit`` of :func:`chains_of` (ordered by unit path and subject) as plain
    lines for the home page, one query.

    When every chain that involves the user is one they may see (:func:`chains_of`), the
    statement is the same for everyone with as many units but for the user's id and the
    units' paths: compiled once (:func:`_chain_lines_statement`), run with theirs."""
    units = list(units)
    j = jurisdiction_for(user)
    if not (j.user_id == user.pk and all(j.can_view(unit) for unit in units)):
        return [
            ChainLine(
                chain.pk,
                chain.subject,
                str(chain.principal_leader),
                str(chain.leader_in_charge),
                _Named(chain.lead_department.display_name),
                str(chain.responsible_person),
                list(getattr(chain, "cooperating_names", [])),
            )
            for chain in chains_of(user=user, units=units).order_by("unit__path", "subject", "pk")[
                :limit
            ]
        ]
    database = ResponsibilityChain.objects.all().db
    # The units' subtree roots, as chain_involvement_q takes them.
    roots = sorted({unit.path for unit in units})
    statement = _chain_lines_statement(database, len(roots), limit)
    if statement is None:
        rows = list(_chain_lines_query(user, units)[:limit])
    else:
        rows = statement.run(database, user.pk, roots)
    return [
        ChainLine(pk, subject, principal, leader, _Named(lead), person, list(cooperating or ()))
        for pk, subject, principal, leader, lead, person, cooperating in rows
    ]


def chains_for_unit(*, user: User, unit: Unit) -> QuerySet[ResponsibilityChain]:
    """Visible chains in which ``unit`` answers, leads or cooperates."""
    return chain_list(user=user).filter(
        pk__in=ResponsibilityChain.objects.filter(
            Q(unit=unit) | Q(lead_department=unit) | Q(cooperating_departments=unit)
        ).values("pk")
    )


def chain_detail(*, user: User, pk: int) -> ResponsibilityChain:
    """One visible chain with its parent; raises ResponsibilityChain.DoesNotExist otherwise."""
    return (
        chain_list(user=user).select_related("parent__unit", "parent__lead_department").get(pk=pk)
    )


def chain_children(*, user: User, chain: ResponsibilityChain) -> QuerySet[ResponsibilityChain]:
    """The chain's child chains (the next level's shares) that the user may see, each with
    ``visible_items``, how many of its ledger items the user may see: one query."""
    # Imported here: the ledger app sits above this one and its selectors import ours.
    from tasks_ledger.selectors import ledger_items

    counted = (
        ledger_items(user=user)
        .filter(chain=OuterRef("pk"))
        .order_by()
        .values("chain")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        chain_list(user=user)
        .filter(parent=chain)
        .prefetch_related(None)
        .annotate(visible_items=Coalesce(Subquery(counted), 0))
        .order_by("unit__path", "subject")
    )
