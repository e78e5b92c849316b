"""Writes to people, units, posts, roles and API tokens. Keyword-only, atomic."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .jurisdiction import jurisdiction_for, require_manage
from .models import ApiToken, Membership, Role, RoleAssignment, Unit, User

#: Token creation and revocation go to the same log as logins (``accounts.auth_log``).
auth_logger = logging.getLogger("accounts.auth")

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


# --- passwords, deactivation and API tokens ------------------------------------------------
#
# A token must not outlive the password it was obtained with, nor the account: the two
# services below revoke them, and Django's password page and the admin's password and user
# forms call them (``accounts.forms``, ``accounts.admin``). A trigger on the user table
# (``User.Meta.triggers``) does the same for paths that are not ours.


@transaction.atomic
def api_token_create(*, user: User, user_agent: str = "") -> tuple[ApiToken, str]:
    """Make a new token for ``user`` (one per sign-in); return it with its key, shown once.

    The user's expired tokens are deleted here, since a request only deletes its own.
    """
    ApiToken.objects.filter(user=user, expiry__lte=timezone.now()).delete()
    max_length = ApiToken._meta.get_field("user_agent").max_length or 0
    token, key = ApiToken.objects.create(user=user, user_agent=user_agent[:max_length])
    auth_logger.info("api token created user=%s token=%s", user.get_username(), token.prefix)
    return token, key


@transaction.atomic
def api_token_revoke(*, user: User, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s own tokens and return it (no longer saved).

    Raises ``ApiToken.DoesNotExist`` when the token is not theirs.
    """
    token = ApiToken.objects.get(user=user, pk=token_id)
    token.delete()
    auth_logger.info("api token revoked user=%s token=%s", user.get_username(), token.prefix)
    return token


@transaction.atomic
def api_tokens_revoke_all(*, user: User, reason: str) -> int:
    """Revoke every token of ``user``; return how many there were."""
    count, _deleted = ApiToken.objects.filter(user=user).delete()
    auth_logger.info(
        "api tokens revoked user=%s count=%d reason=%s", user.get_username(), count, reason
    )
    return count


@transaction.atomic
def user_password_set(*, user: User, password: str | None) -> None:
    """Give ``user`` a new password (``None``: none usable) and end their API tokens."""
    api_tokens_revoke_all(user=user, reason="password changed")
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save(update_fields=["password"])


@transaction.atomic
def user_deactivate(*, user: User) -> None:
    """Stop ``user`` signing in (pages and API) and end their API tokens."""
    api_tokens_revoke_all(user=user, reason="deactivated")
    user.is_active = False
    user.save(update_fields=["is_active"])
