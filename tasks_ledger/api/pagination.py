"""The item list's API pages: DRF's cursor pagination as a thin adapter around
:mod:`tasks_ledger.keyset`, the page's own keyset, so the page and the API read the same keys
from the same indexes in the same orders (``ordering`` as the page takes it).

A page is the keys of its rows (one narrow query, an index range however deep) and then its
rows by id (the view's second query). The response keeps DRF's cursor shape: ``next``,
``previous`` and ``results``, the links carrying one ``cursor`` parameter whose token says
which way it reads (:func:`tasks_ledger.keyset.is_backwards`). A cursor that is not one of
ours, or was made for another ordering, is 404.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param

from tasks_ledger import keyset


def order_of(request: Request) -> keyset.Order:
    """The keyset order for the request's ``ordering`` (its first term, as the page)."""
    value = str(request.query_params.get("ordering") or "")
    return keyset.order_for(value.split(",")[0].strip())


def rows_in_order(queryset: QuerySet[Any], ids: list[int]) -> list[Any]:
    """The rows of ``queryset`` with these ids, in their order: one query."""
    found = {row.pk: row for row in queryset.order_by().filter(pk__in=ids)} if ids else {}
    return [found[pk] for pk in ids if pk in found]


class ItemCursorPagination(pagination.CursorPagination):
    """Cursor pages of ledger items through :func:`tasks_ledger.keyset.page_ids`.

    :meth:`paginate_ids` takes the filtered items (without joins: only their keys are read)
    and gives the ids of one page in order; the view loads those rows.
    """

    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("area_order",)  # unused: the order is keyset's (schema generation reads it)

    page_keys: keyset.KeysetPage

    def paginate_ids(self, items: QuerySet[Any], request: Request) -> list[int] | None:
        """The ids of the page the request's cursor points at (the first without one), in
        the request's ``ordering``; None when the request turns paging off."""
        size = self.get_page_size(request)
        if not size:
            return None
        self.request = request
        self.page_size = size
        self.base_url = request.build_absolute_uri()
        order = order_of(request)
        token = request.query_params.get(self.cursor_query_param)
        if token is not None and not keyset.valid(token, order):
            raise NotFound(self.invalid_cursor_message)
        self.page_keys = keyset.page_ids(items, order, cursor=token or None, size=size)
        self.has_next = self.page_keys.has_next
        self.has_previous = self.page_keys.has_previous
        return self.page_keys.ids

    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any], request: Request, view: Any = None
    ) -> list[Any] | None:
        """One page of ``queryset``: its keys, then its rows by id (two queries). The item
        list's view reads the keys from a queryset without joins instead (see
        :meth:`paginate_ids`)."""
        ids = self.paginate_ids(queryset, request)
        if ids is None:
            return None
        return rows_in_order(queryset, ids)

    def _link(self, token: str | None) -> str | None:
        if token is None:
            return None
        return replace_query_param(self.base_url or "", self.cursor_query_param, token)

    def get_next_link(self) -> str | None:
        """Rows after the last one of this page."""
        return self._link(self.page_keys.next_cursor)

    def get_previous_link(self) -> str | None:
        """Rows before the first one of this page (the first page has none)."""
        return self._link(self.page_keys.previous_cursor)
