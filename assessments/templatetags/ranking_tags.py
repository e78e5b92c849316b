"""Template filters of the ranking pages, the circular's print view and the public ranking:
the same words for a tier and a movement as the .docx and the Excel export."""

from __future__ import annotations

from collections.abc import Sequence

from django import template
from django.utils.translation import gettext as _

from assessments.selectors import TIER_PREVIEW, movement_text, tier_label

register = template.Library()


@register.filter(name="tier_label")
def tier_label_filter(tier: int | None) -> str:
    """``{{ result.tier|tier_label }}``: 第一档."""
    return tier_label(tier) if tier else ""


@register.filter(name="movement")
def movement_filter(movement: int | None) -> str:
    """``{{ result.movement|movement }}``: ↑2, ↓1, — (no change), empty (nothing to compare)."""
    return movement_text(movement)


@register.filter(name="tier_names")
def tier_names_filter(names: Sequence[str]) -> str:
    """``{{ tier.names|tier_names }}``: the tier's units joined by 、, the first
    :data:`~assessments.selectors.TIER_PREVIEW` only on screen (甲县、乙县等); the circular and
    the Excel export list every one."""
    shown = "、".join(names[:TIER_PREVIEW])
    if len(names) <= TIER_PREVIEW:
        return shown
    return _("%(names)s and others") % {"names": shown}
