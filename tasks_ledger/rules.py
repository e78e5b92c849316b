"""Who may act on ledger items, beside :mod:`accounts.jurisdiction` and built on it.

- Reporting progress, requesting sign-off or an extension: whoever may change records of
  the item's unit (its members, the campaign office above it).
- Reviewing progress reports and deciding extensions: the campaign office (or an
  administrator) over the item's unit.
- Verifying a sign-off: the campaign office over the item's unit, or someone in the item's
  lead department (when that is another unit than the one asking), never the requester.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Role

if TYPE_CHECKING:
    from accounts.models import User

    from .models import LedgerItem, SignOffRequest

OFFICE_ROLES = (Role.CAMPAIGN_OFFICE, Role.ADMINISTRATOR)


def can_view_item(user: User, item: LedgerItem) -> bool:
    """The item's unit lies in what the user may see."""
    return jurisdiction_for(user).can_view(item.unit)


def can_update_item(user: User, item: LedgerItem) -> bool:
    """The user may change records of the item's unit."""
    return jurisdiction_for(user).can_manage(item.unit)


def is_office_for(user: User, item: LedgerItem) -> bool:
    """The user is the campaign office (or an administrator) over the item's unit."""
    j = jurisdiction_for(user)
    return j.has_role(*OFFICE_ROLES) and j.can_manage(item.unit)


def can_review_item(user: User, item: LedgerItem) -> bool:
    """Accept or return progress reports, decide extensions."""
    return is_office_for(user, item)


def can_verify_signoff(user: User, request: SignOffRequest) -> bool:
    """Verify or return a sign-off request."""
    if request.requested_by_id == user.pk:
        return False
    item = request.item
    if is_office_for(user, item):
        return True
    lead = item.chain.lead_department if item.chain_id and item.chain else None
    if lead is None or lead.pk == item.unit_id:
        return False
    return user.memberships.filter(unit=lead).exists()
