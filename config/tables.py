"""What the keyset-paged tables share (the item list's and the notice registry's): the sort
order shown without sorting, and the header drawn in Python."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.http import QueryDict
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import SafeString, mark_safe
from django_tables2.utils import OrderByTuple

from config.markup import escape

#: Query parameters a sort link leaves out: a cursor belongs to one order, so a new order
#: starts again from its first page (as the phone's sort menu does).
CURSOR_PARAMETERS = ("after", "before", "page")

# The whitespace of django-tables2's bootstrap5.html around each header cell, kept so the
# page is the markup its template drew.
_CELL = (
    "\n"
    + " " * 20
    + '<th {attrs} scope="col">\n'
    + " " * 24
    + "{inner}\n"
    + " " * 20
    + "</th>\n"
    + " " * 16
)
_LINK = "\n" + " " * 28 + '<a href="{link}">{header}</a>\n' + " " * 24
_TEXT = "\n" + " " * 28 + "{header}\n" + " " * 24


class KeysetTable(tables.Table):
    """A table whose rows come from a keyset query (:mod:`tasks_ledger.keyset`) already in
    the order asked for, one page at a time; its view sets :attr:`keyset` and :attr:`head`."""

    #: The keyset page shown (:class:`tasks_ledger.keyset.KeysetPage`): its cursors draw the
    #: previous and next links in place of page numbers.
    keyset: Any = None
    #: The header's cells (:meth:`draw_head`), drawn by the view for the page's query string.
    head: SafeString = mark_safe("")

    def show_order(self, ordering: Any) -> None:
        """Mark the columns sorted by the filterset's ``ordering`` (arrows and the next
        click's direction) without sorting the rows: the keyset query returns them in
        exactly that order."""
        terms = [ordering] if isinstance(ordering, str) else list(ordering or ())
        self._order_by = OrderByTuple(
            term
            for term in terms
            if term
            and term.lstrip("-") in self.columns
            and self.columns[term.lstrip("-")].orderable
        )

    def draw_head(self, query: QueryDict) -> SafeString:
        """The header's cells as django-tables2's template draws them, in a tenth of the
        time: each column's name, and a sort link for those that sort (``query`` with the
        column's next order, without a cursor or page: :data:`CURSOR_PARAMETERS`)."""
        parts = []
        for column in self.columns:
            header: str = conditional_escape(column.header)
            if column.orderable:
                params: dict[str, Any] = dict(query)
                params[self.prefixed_order_by_field] = column.order_by_alias.next
                for name in CURSOR_PARAMETERS:
                    params.pop(name, None)
                link = escape("?" + urlencode(params, doseq=True))
                inner = _LINK.format(link=link, header=header)
            else:
                inner = _TEXT.format(header=header)
            parts.append(_CELL.format(attrs=column.attrs["th"].as_html(), inner=inner))
        return mark_safe("".join(parts))  # noqa: S308 - every value escaped
