"""Template helpers of the ledger pages: rights per row and small labels (no queries)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tasks_ledger import rules
from tasks_ledger.models import (
    DEFAULT_LONG_TERM_RED_DAYS,
    DEFAULT_LONG_TERM_YELLOW_DAYS,
    OPEN_STATUSES,
    ItemStatus,
    Light,
)

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
    # date_format(deadline, "Y-m-d") writes the same, at many times the cost (a list's rows).
    return deadline.isoformat()


@register.simple_tag
def long_term_note(item: Any) -> str:
    """Why an open long-term item has its light: the days since progress was last accepted
    (or since it started), against the campaign's yellow and red days."""
    if getattr(item, "deadline", True) is not None or item.status not in OPEN_STATUSES:
        return ""
    policy = getattr(item.ledger.campaign, "light_policy", None)
    yellow = policy.long_term_yellow_days if policy else DEFAULT_LONG_TERM_YELLOW_DAYS
    red = policy.long_term_red_days if policy else DEFAULT_LONG_TERM_RED_DAYS
    since = item.progress_accepted_on or item.start_date
    days = (timezone.localdate() - since).days
    if item.progress_accepted_on:
        said = _("Progress last accepted on %(date)s, %(days)d days ago.")
    else:
        said = _("No progress accepted since it started on %(date)s, %(days)d days ago.")
    return str(said % {"date": date_format(since, "Y-m-d"), "days": days}) + str(
        _(" Yellow after %(yellow)d days without accepted progress, red after %(red)d.")
        % {"yellow": yellow, "red": red}
    )


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
