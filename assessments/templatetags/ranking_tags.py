"""Template filters of the ranking pages, the circular's print view and the public ranking:
the same words for a tier and a movement as the .docx and the Excel export."""

from __future__ import annotations

from django import template

from assessments.selectors import movement_text, tier_label

register = template.Library()


@register.filter(name="tier_label")
def tier_label_filter(tier: int | None) -> str:
    """``{{ result.tier|tier_label }}``: 第一档."""
    return tier_label(tier) if tier else ""


@register.filter(name="movement")
def movement_filter(movement: int | None) -> str:
    """``{{ result.movement|movement }}``: ↑2, ↓1, — (no change), empty (nothing to compare)."""
    return movement_text(movement)
