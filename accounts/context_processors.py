"""Template context shared by every page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .jurisdiction import jurisdiction_for


def jurisdiction(request: HttpRequest) -> dict[str, Any]:
    """Expose the user's jurisdiction as ``jurisdiction`` (computed lazily, once)."""
    user = getattr(request, "user", None)

    class _Lazy:
        def __getattr__(self, name: str) -> Any:
            return getattr(jurisdiction_for(user), name)

    return {"jurisdiction": _Lazy()}
