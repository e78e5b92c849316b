"""Who may do what with ledgers, beside :mod:`accounts.jurisdiction` and built on it.

Every rule comes in two forms written side by side, as the jurisdiction module does for
scope: a yes/no for one object (``can_*``) and a filter for lists (``*_q``), so a queue
never shows a button whose POST is refused. ``tasks_ledger/tests/test_rules.py`` checks
that the two forms agree for every persona and object. The pages, the API (through
:class:`tasks_ledger.api.permissions.LedgerRules`), the queues and the admin ask these
functions; the services enforce them.

- Seeing an item: its unit lies in what the user may see, or the user holds a post in the
  lead department of its chain (a department leads a task across districts and verifies
  their sign-offs, so it must be able to open what it verifies).
- Reporting progress, asking for sign-off, an extension, a suspension or a cancellation:
  whoever may change records of the item's unit (its members, the campaign office above).
- Reviewing progress, deciding extensions and status changes: the campaign office (or an
  administrator) over the item's unit.
- Verifying a sign-off: the campaign office over the item's unit, or a member of the item's
  lead department (another unit than the item's, which does not itself act for it), never
  the requester.
- Recording a review meeting: the campaign office over the host unit.
- Adding items to a ledger (by page, API or import): a unit for itself, the ledger's owner
  for any unit it can see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import F, Q

from accounts.jurisdiction import Jurisdiction, jurisdiction_for
from accounts.models import Role

if TYPE_CHECKING:
    from accounts.models import Unit, User

    from .models import Ledger, LedgerItem, SignOffRequest

OFFICE_ROLES = (Role.CAMPAIGN_OFFICE, Role.ADMINISTRATOR)
NOTHING = Q(pk__in=[])


def _is_office(j: Jurisdiction) -> bool:
    return j.has_role(*OFFICE_ROLES) and not j.is_read_only


def _leads(j: Jurisdiction, item: LedgerItem) -> bool:
    """The user holds a post in the item's lead department, another unit than the item's."""
    lead = item.chain.lead_department if item.chain_id and item.chain else None
    if lead is None or lead.pk == item.unit_id:
        return False
    return lead.path in j.member_paths


def _leads_q(j: Jurisdiction, prefix: str) -> Q:
    if not j.member_paths:
        return NOTHING
    return Q(**{f"{prefix}chain__lead_department__path__in": j.member_paths}) & ~Q(
        **{f"{prefix}chain__lead_department": F(f"{prefix}unit")}
    )


# --- seeing an item -----------------------------------------------------------------------------
def can_view_item(user: User, item: LedgerItem) -> bool:
    """The item's unit lies in what the user may see, or the user is in its lead department."""
    j = jurisdiction_for(user)
    return j.can_view(item.unit) or _leads(j, item)


def viewable_items_q(user: User, prefix: str = "") -> Q:
    """Items (``prefix`` leads to the item) the user may see; the list form of can_view_item."""
    j = jurisdiction_for(user)
    if j.is_global:
        return Q()
    return j.q(f"{prefix}unit") | _leads_q(j, prefix)


# --- acting for the item's unit -------------------------------------------------------------
def can_update_item(user: User, item: LedgerItem) -> bool:
    """Report progress, ask for sign-off, extension or a status change, edit its fields."""
    return jurisdiction_for(user).can_manage(item.unit)


def updatable_items_q(user: User, prefix: str = "") -> Q:
    """The list form of can_update_item."""
    return jurisdiction_for(user).q(f"{prefix}unit", manage=True)


# --- the office's review ----------------------------------------------------------------------
def is_office_over(user: User, unit: Unit) -> bool:
    """The user is the campaign office (or an administrator) over ``unit``."""
    j = jurisdiction_for(user)
    return _is_office(j) and j.can_manage(unit)


def is_office_for(user: User, item: LedgerItem) -> bool:
    """The user is the campaign office (or an administrator) over the item's unit."""
    return is_office_over(user, item.unit)


def can_review_item(user: User, item: LedgerItem) -> bool:
    """Accept or return progress reports, decide extensions and status changes."""
    return is_office_for(user, item)


def reviewable_items_q(user: User, prefix: str = "") -> Q:
    """The list form of can_review_item."""
    j = jurisdiction_for(user)
    if not _is_office(j):
        return NOTHING
    return j.q(f"{prefix}unit", manage=True)


# --- sign-off verification ------------------------------------------------------------------
def can_verify_signoff(user: User, request: SignOffRequest) -> bool:
    """Verify or return a sign-off request: the office over the item's unit, or its lead
    department when that department does not itself act for the unit (a county leading its
    townships' share reports for them, so it does not also verify them)."""
    if request.requested_by_id == user.pk:
        return False
    j = jurisdiction_for(user)
    if j.is_read_only and not j.is_global:
        return False
    item = request.item
    return is_office_for(user, item) or (_leads(j, item) and not j.can_manage(item.unit))


def verifiable_signoffs_q(user: User) -> Q:
    """Sign-off requests the user may verify; the list form of can_verify_signoff."""
    j = jurisdiction_for(user)
    if j.is_global:
        # Q() | X is X in Django, not "everything": the superuser's case is spelled out.
        return ~Q(requested_by=user.pk)
    if j.is_read_only:
        return NOTHING
    return ~Q(requested_by=user.pk) & (
        reviewable_items_q(user, "item__")
        | (_leads_q(j, "item__") & ~updatable_items_q(user, "item__"))
    )


# --- meetings and new items ---------------------------------------------------------------------
def can_record_meeting(user: User, host_unit: Unit | None = None) -> bool:
    """Record a review meeting hosted by ``host_unit`` (None: by any unit at all)."""
    j = jurisdiction_for(user)
    if not _is_office(j):
        return False
    if host_unit is None:
        return j.is_global or bool(j.manage_roots)
    return j.can_manage(host_unit)


def meeting_host_units_q(user: User) -> Q:
    """Units that may host a meeting the user records; the list form of can_record_meeting."""
    j = jurisdiction_for(user)
    return j.q("", manage=True) if _is_office(j) else NOTHING


def can_create_item(user: User, ledger: Ledger, unit: Unit) -> bool:
    """Add an item of ``unit`` to ``ledger``: a unit for itself (and what it manages), the
    ledger's owner for any unit it can see (the page and the API offer no other)."""
    j = jurisdiction_for(user)
    return j.can_manage(unit) or (j.can_manage(ledger.owner_unit) and j.can_view(unit))


def can_add_to_ledger(user: User, ledger: Ledger) -> bool:
    """Add at least some items to ``ledger`` (shows the import form and the add button)."""
    j = jurisdiction_for(user)
    return j.can_manage(ledger.owner_unit) or bool(j.manage_roots)


def ledgers_open_to_additions_q(user: User) -> Q:
    """Ledgers the user may add items to; the list form of can_add_to_ledger."""
    j = jurisdiction_for(user)
    if j.is_global or j.manage_roots:
        return Q()
    return NOTHING
