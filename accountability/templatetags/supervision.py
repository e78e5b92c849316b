"""Template tags of the supervision pages: which of them the user has a use for."""

from __future__ import annotations

from typing import Any

from django import template

from accountability.stats import SupervisionMenu, supervision_menu

register = template.Library()


@register.simple_tag(takes_context=True, name="supervision_menu")
def supervision_menu_tag(context: dict[str, Any]) -> SupervisionMenu:
    """``{% supervision_menu as menu %}``: ``menu.workspace``, ``menu.inbox``, ``menu.stats``
    and ``menu.any`` for the signed-in user (no queries beyond the jurisdiction's)."""
    request = context.get("request")
    return supervision_menu(getattr(request, "user", None))  # type: ignore[arg-type]
