"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import cached_property

from .jurisdiction import jurisdiction_for
from .notifications import unread_count


def jurisdiction(request: HttpRequest) -> dict[str, Any]:
    """Expose the user's jurisdiction as ``jurisdiction`` (computed lazily, once)."""
    user = getattr(request, "user", None)

    class _Lazy:
        def __getattr__(self, name: str) -> Any:
            return getattr(jurisdiction_for(user), name)

    return {"jurisdiction": _Lazy()}


class UnreadNotifications:
    """The navbar bell's count, only if a template asks and at most once: from the cache,
    else one query (:func:`accounts.notifications.unread_count`)."""

    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def count(self) -> int:
        """How many of the user's notifications are unread (0 when signed out)."""
        if self.user is None or not self.user.is_authenticated:
            return 0
        return unread_count(user=self.user)


def notifications(request: HttpRequest) -> dict[str, Any]:
    """Expose ``unread_notifications.count`` for the navbar's bell (lazy, cached)."""
    return {"unread_notifications": UnreadNotifications(getattr(request, "user", None))}
