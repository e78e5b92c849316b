"""Small template helpers for the site layout (no queries)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import template

from accounts.models import Role

register = template.Library()


@register.simple_tag
def role_labels(jurisdiction: Any) -> list[str]:
    """The translated names of the roles the user holds, in the order roles are declared."""
    held = set(getattr(jurisdiction, "roles", ()) or ())
    return [str(label) for value, label in Role.choices if value in held]


@register.filter
def minutes(value: timedelta | None) -> int:
    """Whole minutes in a time span, rounded up (for "try again in N minutes")."""
    if not value:
        return 0
    seconds = int(value.total_seconds())
    return -(-seconds // 60)
