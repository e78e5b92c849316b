"""django-tables2 tables of the accounts pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django_tables2.data import TableData

from .history import HistoryEntry, HistoryScope, count_lines, entries, when_display
from .models import Membership


class HistoryTable(tables.Table):
    """Lines of history, newest first (not sortable): when, who, what, and from where.

    Rows are :class:`accounts.history.HistoryEntry`; a bulk write is one row that links to
    its events. On a phone each row stacks into a small card (``app-history`` in app.css).
    """

    when = tables.Column(verbose_name=_("time"), attrs={"td": {"class": "text-nowrap"}})
    actor = tables.Column(verbose_name=_("by"))
    summary = tables.TemplateColumn(
        template_name="accounts/includes/history_what.html",
        verbose_name=_("what happened"),
        attrs={"td": {"class": "text-break"}},
    )
    source = tables.TemplateColumn(
        template_name="accounts/includes/history_source.html",
        verbose_name=_("source"),
        attrs={"td": {"class": "small text-body-secondary text-break"}},
    )

    class Meta:
        orderable = False
        attrs = {"class": "table table-sm table-hover align-middle app-history"}
        empty_text = _("No changes recorded yet.")

    def render_when(self, value: datetime) -> str:
        """Beijing time, as people write it (2026年12月6日 15:04)."""
        return when_display(value)

    def render_actor(self, record: HistoryEntry) -> str:
        """The person (and their unit), or 系统."""
        if not record.actor_unit:
            return record.actor
        return format_html(
            '{}<div class="small text-body-secondary">{}</div>', record.actor, record.actor_unit
        )


class HistoryData(TableData):
    """A history read one page at a time: the paginator counts the lines in SQL and asks
    for one slice, so a page costs the same whatever the history's length."""

    def __init__(
        self, scope: HistoryScope, *, grouped: bool, reader_id: int | None, expand_base: str
    ) -> None:
        super().__init__([])
        self.scope = scope
        self.grouped = grouped
        self.reader_id = reader_id
        self.expand_base = expand_base
        self._length: int | None = None

    def __len__(self) -> int:
        if self._length is None:
            self._length = count_lines(self.scope, grouped=self.grouped)
        return self._length

    def __getitem__(self, key: Any) -> Any:
        if not isinstance(key, slice):
            return self[key : key + 1][0]
        start = key.start or 0
        stop = len(self) if key.stop is None else key.stop
        return entries(
            self.scope,
            offset=start,
            limit=stop - start,
            grouped=self.grouped,
            reader_id=self.reader_id,
            expand_base=self.expand_base,
        )

    def __iter__(self) -> Iterator[HistoryEntry]:
        return iter(self[0 : len(self)])

    @property
    def verbose_name(self) -> str:
        return str(_("line"))

    @property
    def verbose_name_plural(self) -> str:
        return str(_("lines"))


#: Lines of history a record's own page shows; the rest are on its history page.
PREVIEW_LINES = 8


@dataclass(frozen=True)
class HistoryPreview:
    """The latest lines of a record's history, with links to all of it and, for a unit or a
    chain, to the changes of its ledger items (kept off its page so they cannot flood it)."""

    table: HistoryTable
    full_url: str
    items_url: str = ""


def history_preview(
    scope: HistoryScope, *, reader_id: int | None, full_url: str, items_url: str = ""
) -> HistoryPreview:
    """The preview of ``scope`` for one reader; bulk lines link into ``full_url``."""
    rows = entries(scope, limit=PREVIEW_LINES, reader_id=reader_id, expand_base=full_url)
    return HistoryPreview(HistoryTable(rows), full_url, items_url)


class MembershipTable(tables.Table):
    """People holding posts in one unit."""

    user = tables.Column(verbose_name=_("real name"), accessor="user__name")
    post = tables.Column(verbose_name=_("post"))
    title = tables.Column(verbose_name=_("job title"), default="—")

    class Meta:
        model = Membership
        fields = ("user", "post", "title")
        orderable = False
        attrs = {"class": "table table-sm table-hover align-middle"}
        empty_text = _("Nobody holds a post in this unit yet.")
