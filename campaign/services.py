"""Writes to campaigns, task forces, supervision groups and chains. Keyword-only, atomic."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from accounts.jurisdiction import require_manage
from accounts.models import Unit, User

from .models import (
    Campaign,
    CampaignPhase,
    ResponsibilityChain,
    SupervisionGroup,
    TaskForce,
)


@transaction.atomic
def campaign_create(
    *,
    actor: User | None,
    owner_unit: Unit,
    name: str,
    year: int,
    start_date: date,
    end_date: date,
    status: str,
    description: str = "",
    phases: Iterable[tuple[str, date, date]] = (),
) -> Campaign:
    """Create a campaign and its phases (kind, start, end) together."""
    require_manage(actor, owner_unit)
    campaign = Campaign(
        owner_unit=owner_unit,
        name=name,
        year=year,
        start_date=start_date,
        end_date=end_date,
        status=status,
        description=description,
    )
    campaign.full_clean()
    campaign.save()
    for kind, start, end in phases:
        phase = CampaignPhase(campaign=campaign, kind=kind, start_date=start, end_date=end)
        phase.full_clean()
        phase.save()
    return campaign


@transaction.atomic
def task_force_create(
    *,
    actor: User | None,
    campaign: Campaign,
    name: str,
    kind: str,
    area: str,
    leader: User,
    member_units: Iterable[Unit] = (),
    members: Iterable[User] = (),
    sort_order: int = 0,
) -> TaskForce:
    """Create a task force with its member units and people."""
    require_manage(actor, campaign.owner_unit)
    force = TaskForce(
        campaign=campaign, name=name, kind=kind, area=area, leader=leader, sort_order=sort_order
    )
    force.full_clean()
    force.save()
    force.member_units.set(list(member_units))
    force.members.set(list(members))
    return force


@transaction.atomic
def supervision_group_create(
    *,
    actor: User | None,
    campaign: Campaign,
    name: str,
    kind: str,
    leader: User,
    members: Iterable[User] = (),
    assigned_units: Iterable[Unit] = (),
    sort_order: int = 0,
) -> SupervisionGroup:
    """Create a supervision group with its members and the units it covers."""
    require_manage(actor, campaign.owner_unit)
    group = SupervisionGroup(
        campaign=campaign, name=name, kind=kind, leader=leader, sort_order=sort_order
    )
    group.full_clean()
    group.save()
    group.members.set(list(members))
    group.assigned_units.set(list(assigned_units))
    return group


def _validate_chain(chain: ResponsibilityChain, cooperating: list[Unit]) -> None:
    errors: dict[str, list[str]] = {}
    for check in (
        chain.full_clean,
        lambda: chain.validate_cooperating(chain.lead_department, cooperating),
    ):
        try:
            check()
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def chain_create(
    *,
    actor: User | None,
    subject: str,
    unit: Unit,
    principal_leader: User,
    leader_in_charge: User,
    lead_department: Unit,
    responsible_person: User,
    cooperating_departments: Iterable[Unit] = (),
    campaign: Campaign | None = None,
    task_force: TaskForce | None = None,
    parent: ResponsibilityChain | None = None,
) -> ResponsibilityChain:
    """Create a responsibility chain after checking every post and department (两级五岗).

    ``parent`` is the higher level's chain when this one carries out a share of it.
    """
    require_manage(actor, unit)
    cooperating = list(cooperating_departments)
    chain = ResponsibilityChain(
        subject=subject,
        unit=unit,
        principal_leader=principal_leader,
        leader_in_charge=leader_in_charge,
        lead_department=lead_department,
        responsible_person=responsible_person,
        campaign=campaign,
        task_force=task_force,
        parent=parent,
    )
    _validate_chain(chain, cooperating)
    chain.save()
    chain.cooperating_departments.set(cooperating)
    return chain


CHAIN_FIELDS = frozenset(
    {
        "subject",
        "unit",
        "principal_leader",
        "leader_in_charge",
        "lead_department",
        "responsible_person",
        "campaign",
        "task_force",
        "parent",
    }
)


@transaction.atomic
def chain_update(
    *,
    actor: User | None,
    chain: ResponsibilityChain,
    cooperating_departments: Iterable[Unit] | None = None,
    **changes: object,
) -> ResponsibilityChain:
    """Change a chain's fields and/or cooperating departments, validated as on creation."""
    unknown = set(changes) - CHAIN_FIELDS
    if unknown:
        raise TypeError(f"Unknown chain fields: {sorted(unknown)}")
    require_manage(actor, chain.unit)
    for name, value in changes.items():
        setattr(chain, name, value)
    require_manage(actor, chain.unit)
    cooperating = (
        list(cooperating_departments)
        if cooperating_departments is not None
        else list(chain.cooperating_departments.all())
    )
    _validate_chain(chain, cooperating)
    chain.save()
    if cooperating_departments is not None:
        chain.cooperating_departments.set(cooperating)
    return chain


@transaction.atomic
def chain_delete(*, actor: User | None, chain: ResponsibilityChain) -> None:
    """Delete a chain the actor may change; its history (kept by triggers) stays.

    A chain still carried by other records (PROTECT) is refused as a validation error
    rather than a server error.
    """
    require_manage(actor, chain.unit)
    try:
        chain.delete()
    except ProtectedError as exc:
        raise ValidationError(
            _("This responsibility chain is still in use and cannot be deleted.")
        ) from exc
