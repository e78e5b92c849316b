"""Template helpers of the ledger pages: rights per row and small labels (no queries)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tasks_ledger import rules
from tasks_ledger.models import OPEN_STATUSES, ItemStatus, Light

register = template.Library()

#: Statuses in which progress may still be reported (as the service allows).
REPORTABLE = (*OPEN_STATUSES, ItemStatus.COMPLETED)


@register.filter
def may_report(item: Any, user: Any) -> bool:
    """Whether the user may report progress on the item now (rights and status)."""
    return item.status in REPORTABLE and rules.can_update_item(user, item)


@register.filter
def light_label(light: str | None) -> str:
    """The light's name, e.g. "红灯"."""
    try:
        return str(Light(light or "").label)
    except ValueError:
        return ""


@register.filter
def status_label(status: str | None) -> str:
    """The status's name, e.g. "推进中"."""
    try:
        return str(ItemStatus(status or "").label)
    except ValueError:
        return ""


@register.filter
def deadline_text(item: Any) -> str:
    """The item's deadline as 2022-09-30, or "长期坚持" for a long-term item."""
    deadline = getattr(item, "deadline", None)
    if deadline is None:
        return str(_("long-term"))
    return date_format(deadline, "Y-m-d")


@register.simple_tag
def days_left_label(item: Any) -> str:
    """Days to the deadline of an open item, as "3 days left", "due today" or "5 days
    overdue"; empty for items that no longer run against it."""
    if item.status not in OPEN_STATUSES:
        return ""
    if getattr(item, "deadline", True) is None:
        return ""  # a long-term item: its deadline reads 长期坚持 (deadline_text)
    days = getattr(item, "days_left", None)
    if days is None:
        return ""
    if days > 0:
        return ngettext("%(days)d day left", "%(days)d days left", days) % {"days": days}
    if days == 0:
        return _("due today")
    return ngettext("%(days)d day overdue", "%(days)d days overdue", -days) % {"days": -days}
