"""The item list's API cursor: the project's keyset cursor, with the rows after a key read as
one row comparison when the key allows it, so a deep page is an index range like the first."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, Value

from config.api.pagination import KeysetCursorPagination
from tasks_ledger.keyset import RowAfter

#: Key terms that are never NULL (a row comparison with a NULL would drop rows): the
#: columns and annotations of the item list's default order and the light.
NOT_NULL_TERMS = frozenset(
    {"area_order", "ledger_id", "code_length", "code", "pk", "id", "light_rank", "progress"}
)


class ItemCursorPagination(KeysetCursorPagination):
    """:class:`~config.api.pagination.KeysetCursorPagination` for ledger items.

    When every term of the key runs in one direction and none can be NULL (the default
    order: area, ledger, number, id), the rows after the cursor are
    ``ROW(terms) > ROW(values)`` (``<`` descending), which PostgreSQL serves as one range of
    ``item_list_order_idx`` however deep the page. Other keys compare term by term.
    """

    @staticmethod
    def after(terms: tuple[str, ...], values: list[Any]) -> Q:
        """Rows strictly after ``values`` in the order ``terms``."""
        names = [term.lstrip("-") for term in terms]
        descending = {term.startswith("-") for term in terms}
        if (
            len(descending) == 1
            and None not in values
            and all(name in NOT_NULL_TERMS for name in names)
        ):
            row = RowAfter(
                [F("pk" if name == "pk" else name) for name in names],
                [Value(value) for value in values],
                before=descending == {True},
            )
            return Q(row)
        return KeysetCursorPagination.after(terms, values)
