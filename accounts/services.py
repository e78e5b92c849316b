"""Writes to people, units, posts and roles. Keyword-only, atomic."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .jurisdiction import jurisdiction_for, require_manage
from .models import Membership, Role, RoleAssignment, Unit, User

STAFF_ROLES = frozenset({Role.ADMINISTRATOR, Role.CAMPAIGN_OFFICE})


@transaction.atomic
def unit_create(
    *,
    actor: User | None,
    parent: Unit | None,
    code: str,
    name: str,
    level: str,
    kind: str,
    short_name: str = "",
    sort_order: int = 0,
    under_special_assessment: bool = False,
) -> Unit:
    """Add a unit under ``parent`` (or as a root when the system creates one)."""
    if parent is None and actor is not None and not actor.is_superuser:
        raise PermissionDenied(_("Only an administrator may add a top-level unit."))
    require_manage(actor, parent)
    unit = Unit(
        code=code,
        name=name,
        short_name=short_name,
        level=level,
        kind=kind,
        sort_order=sort_order,
        under_special_assessment=under_special_assessment,
    )
    unit.full_clean(exclude=["path", "depth", "numchild"])
    if parent is None:
        return Unit.objects.add_root(instance=unit)
    return Unit.objects.add_child(parent, instance=unit)


@transaction.atomic
def membership_add(
    *, actor: User | None, user: User, unit: Unit, post: str, title: str = ""
) -> Membership:
    """Give ``user`` a post in ``unit`` (idempotent for the same post)."""
    require_manage(actor, unit)
    membership, _created = Membership.objects.get_or_create(
        user=user, unit=unit, post=post, defaults={"title": title}
    )
    return membership


@transaction.atomic
def role_assign(*, actor: User | None, user: User, role: str, scope: Unit) -> RoleAssignment:
    """Grant a platform role over ``scope``. Only administrators of that scope may grant."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    if actor is not None and not jurisdiction_for(actor).has_role(Role.ADMINISTRATOR):
        raise PermissionDenied(_("Only an administrator may grant roles."))
    require_manage(actor, scope)
    assignment, _created = RoleAssignment.objects.get_or_create(user=user, role=role, scope=scope)
    if role in STAFF_ROLES and not user.is_staff:
        # These roles work in the admin; its login requires is_staff.
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    return assignment
