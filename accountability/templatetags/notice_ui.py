"""Small pieces of the notice pages: the kind's badge colour, the status's badge, and the
notices of a ledger item on its page (with the link to draft one, when the rules allow)."""

from __future__ import annotations

from typing import Any

from django import template

from ..selectors import may_draft_to, notice_list
from ..tables import KIND_BADGES, status_badge

register = template.Library()


@register.filter
def kind_badge(kind: str) -> str:
    """The Bootstrap classes of a notice kind's badge (more serious, darker)."""
    return KIND_BADGES.get(kind, "text-bg-secondary")


@register.simple_tag
def notice_status_badge(notice: Any) -> str:
    """The notice's status as a badge (:func:`accountability.tables.status_badge`)."""
    return status_badge(notice)


@register.inclusion_tag("accountability/includes/item_notices.html", takes_context=True)
def item_notices(context: Any, item: Any) -> dict[str, Any]:
    """The notices about ``item`` that the reader sees, and whether they may draft one."""
    user = context["request"].user
    return {
        "item": item,
        "notices": list(notice_list(user=user).filter(item=item).order_by("drafted_at", "pk")),
        "may_draft": may_draft_to(user=user, campaign=item.ledger.campaign, unit=item.unit),
    }
