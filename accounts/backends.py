"""Model permissions that follow platform roles, so the admin needs no hand-kept groups.

Administrators may use every model of the platform's apps; the campaign office may use the
campaign app's models and view the organisation. Which *rows* they see and change is still
decided by :mod:`accounts.jurisdiction` (the admin classes filter by it).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.models import Permission

from .jurisdiction import jurisdiction_for
from .models import Role

PLATFORM_APPS = ("accounts", "campaign", "tasks_ledger", "assessments", "accountability")
ROLE_APPS: dict[str, tuple[str, ...]] = {
    Role.ADMINISTRATOR: PLATFORM_APPS,
    Role.CAMPAIGN_OFFICE: ("campaign",),
}
ROLE_VIEW_APPS: dict[str, tuple[str, ...]] = {
    Role.CAMPAIGN_OFFICE: ("accounts",),
}


class RolePermissionBackend(BaseBackend):
    """Grant Django model permissions from platform roles (never authenticates anyone)."""

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """Permission names ``app_label.codename`` the user's roles imply (cached per user)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        cached: set[str] | None = getattr(user_obj, "_role_perm_cache", None)
        if cached is not None:
            return cached
        roles = jurisdiction_for(user_obj).roles
        full = {app for role in roles for app in ROLE_APPS.get(role, ())}
        view = {app for role in roles for app in ROLE_VIEW_APPS.get(role, ())} - full
        perms: set[str] = set()
        if full or view:
            rows = Permission.objects.filter(content_type__app_label__in=full | view).values_list(
                "content_type__app_label", "codename"
            )
            perms = {
                f"{app}.{code}" for app, code in rows if app in full or code.startswith("view_")
            }
        setattr(user_obj, "_role_perm_cache", perms)  # noqa: B010 - a per-object memo
        return perms

    def has_perm(self, user_obj: Any, perm: str, obj: Any = None) -> bool:
        """Whether a role implies ``perm``."""
        return perm in self.get_all_permissions(user_obj, obj)

    def has_module_perms(self, user_obj: Any, app_label: str) -> bool:
        """Whether a role implies any permission in ``app_label``."""
        return any(p.startswith(f"{app_label}.") for p in self.get_all_permissions(user_obj))
