"""What a row of the item list shows, worked out once per item in Python.

``tasks_ledger/includes/item_row.html`` draws a row (the list's 50, or the one an htmx
update answers with). Drawn through template filters, tags and an include per badge, a
page of 50 rows was 200 template renders and most of the page's time at a province's
office; :func:`dress` sets the row's values on each item instead, with the same helpers
the filters use (:mod:`tasks_ledger.templatetags.ledger_ui`), so a label reads the same
wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, TypeVar

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from .templatetags.ledger_ui import (
    days_left_label,
    deadline_text,
    light_label,
    may_report,
    status_label,
)

if TYPE_CHECKING:
    from accounts.models import User

#: A row: a :class:`~tasks_ledger.models.LedgerItem` (an htmx update) or a
#: :class:`~tasks_ledger.selectors.ListRow` (the list), which read the same.
T = TypeVar("T")

#: A pk no item has, reversed once and replaced by each row's: 100 reverses a page cost more
#: than the rest of a row's links.
_PK = 987654321


#: The update form's errors on a row without a form sent: every field's, empty.
NO_ROW_ERRORS: dict[str, tuple[str, ...]] = {"percent": (), "text": (), "lower_reason": ()}


def row_labels() -> dict[str, str]:
    """The words every row repeats, translated once for the page (a translate tag a cell
    was 500 a page)."""
    return {
        "latest": _("latest progress"),
        "unit": _("responsible unit"),
        "chain": _("lead department / responsible person"),
        "deadline": _("deadline"),
        "progress": pgettext("percent done", "progress"),
        "update": _("Update progress"),
        "percent": _("progress (%)"),
        "done": _("what was done"),
        "done_hint": _("What was done since the last report"),
        "save": _("Save progress"),
        "files": _("With files…"),
    }


def _days_left_class(item: Any) -> str:
    """The colour of "3 days left" / "5 days overdue" under the deadline."""
    days = getattr(item, "days_left", None)
    if days is not None and days < 0:
        return "text-danger fw-semibold"
    if days is not None and days <= 3:
        return "text-warning-emphasis"
    return "text-body-secondary"


def dress(items: Iterable[T], user: User) -> list[T]:
    """Set on each item what its row shows besides its fields (no queries): ``key`` (the
    pk as text), ``may`` (the
    user may report progress now), ``deadline_shown``, ``days_left_text`` and its
    ``days_left_class``, ``light_text``, ``status_text``, ``detail_url`` and
    ``progress_url``."""
    detail = reverse("ledger:item-detail", args=[_PK])
    progress = reverse("ledger:item-progress", args=[_PK])
    dressed = []
    for dressing in items:
        item: Any = dressing
        pk = str(item.pk)
        item.__dict__.update(
            key=pk,
            may=may_report(item, user),
            deadline_shown=deadline_text(item),
            days_left_text=days_left_label(item),
            days_left_class=_days_left_class(item),
            light_text=light_label(getattr(item, "light", None)),
            status_text=status_label(item.status),
            detail_url=detail.replace(str(_PK), pk),
            progress_url=progress.replace(str(_PK), pk),
        )
        dressed.append(dressing)
    return dressed
