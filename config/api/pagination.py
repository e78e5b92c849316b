"""Pagination used by API lists: page numbers by default, keyset cursors for long lists."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured, ValidationError
from django.db.models import Model, Q, QuerySet
from rest_framework import pagination
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param
from rest_framework.views import APIView


class PageNumberPagination(pagination.PageNumberPagination):
    """Page-number pagination with a client-chosen page size up to 200."""

    page_size_query_param = "page_size"
    max_page_size = 200


def _flip(term: str) -> str:
    return term[1:] if term.startswith("-") else f"-{term}"


def _json_value(value: Any) -> Any:
    """A key value as JSON; lookups turn the strings back into dates, times and decimals."""
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise ImproperlyConfigured(f"Cannot put a {type(value).__name__} in a cursor.")


class KeysetCursorPagination(pagination.CursorPagination):
    """Cursor pagination keyed on the list's whole ordering plus the primary key.

    DRF's cursor keys on the first ordering field alone and steps over ties with an offset,
    which costs more the deeper one pages and skips or repeats rows when ties change between
    requests. Here the cursor carries the values of every ordering term of the row at the
    edge of the page, with its pk as the final tie-breaker, and the next page is the rows
    strictly after that key: ``(f1 > v1) OR (f1 = v1 AND f2 > v2) OR ... (pk > p)``, each
    comparison in its term's direction. No row is seen twice or skipped, whatever the page
    size, and a page is one query (no count).

    The ordering is whatever the filtered queryset carries, so a FilterSet's ``ordering``
    parameter and a view's default order both page correctly. Each term must name a column or
    an annotation (not a relation, whose order would be its model's ``Meta.ordering``), and
    relations it passes through should be ``select_related`` so reading a key costs nothing.
    NULLs sort as PostgreSQL sorts them by default (last ascending, first descending).
    """

    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("pk",)  # used only when the queryset has no ordering at all
    invalid_cursor_message = pagination.CursorPagination.invalid_cursor_message

    key: tuple[str, ...]
    _next_key: list[Any] | None
    _previous_key: list[Any] | None

    # --- ordering ----------------------------------------------------------------------------
    def key_terms(self, queryset: QuerySet[Any]) -> tuple[str, ...]:
        """The queryset's ordering with the pk appended, checked to be usable as a key."""
        query = queryset.query
        terms = [str(t) for t in query.order_by if isinstance(t, str)]
        if len(terms) != len(query.order_by):
            raise ImproperlyConfigured("Keyset pagination needs an ordering of field names.")
        if not terms:
            terms = [
                t for t in (queryset.model._meta.ordering or self.ordering) if isinstance(t, str)
            ]
        for term in terms:
            self._check_term(queryset, term.lstrip("-"))
        if not {"pk", "id"} & {t.lstrip("-") for t in terms}:
            terms.append("pk")
        return tuple(terms)

    @staticmethod
    def _check_term(queryset: QuerySet[Any], name: str) -> None:
        if name == "pk" or name in queryset.query.annotations:
            return
        opts = queryset.model._meta
        parts = name.split("__")
        for position, part in enumerate(parts):
            try:
                field = opts.get_field(part)
            except FieldDoesNotExist as exc:
                raise ImproperlyConfigured(f"Cannot page on {name!r}: no field {part!r}.") from exc
            last = position == len(parts) - 1
            if field.is_relation:
                if last and part == getattr(field, "attname", None):
                    return  # the foreign key's own column, e.g. "ledger_id"
                if last or field.related_model is None:
                    raise ImproperlyConfigured(
                        f"Cannot page on the relation {name!r}: order by one of its columns."
                    )
                opts = field.related_model._meta
            elif not last:
                raise ImproperlyConfigured(f"Cannot page on {name!r}: {part!r} is no relation.")

    @staticmethod
    def _value(instance: Model, term: str) -> Any:
        value: Any = instance
        for part in term.lstrip("-").split("__"):
            if value is None:
                return None
            value = getattr(value, part)
        return value

    def key_of(self, instance: Model) -> list[Any]:
        """The row's key: the value of each ordering term."""
        return [_json_value(self._value(instance, term)) for term in self.key]

    @staticmethod
    def after(terms: tuple[str, ...], values: list[Any]) -> Q:
        """Rows strictly after ``values`` in the order ``terms`` (PostgreSQL NULL placement)."""
        result = Q(pk__in=[])
        equal = Q()
        for term, value in zip(terms, values, strict=True):
            name = term.lstrip("-")
            if term.startswith("-"):  # descending: NULLS FIRST, so non-NULLs follow a NULL
                beyond = (
                    Q(**{f"{name}__isnull": False})
                    if value is None
                    else Q(**{f"{name}__lt": value})
                )
            else:  # ascending: NULLS LAST, so only NULLs follow the last value
                beyond = (
                    Q(pk__in=[])
                    if value is None
                    else Q(**{f"{name}__gt": value}) | Q(**{f"{name}__isnull": True})
                )
            result |= equal & beyond
            equal &= Q(**{f"{name}__isnull": True}) if value is None else Q(**{name: value})
        return result

    # --- cursors -----------------------------------------------------------------------------
    def _fingerprint(self) -> str:
        """Ties a cursor to the ordering it was made for (a changed ``ordering`` is refused)."""
        return hashlib.blake2s(",".join(self.key).encode(), digest_size=4).hexdigest()

    def decode_cursor(self, request: Request) -> tuple[list[Any], bool] | None:  # type: ignore[override]
        """The cursor's key and direction, None for the first page; 404 when it is not ours."""
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(encoded.encode("ascii")))
            values, reverse, fingerprint = data["k"], bool(data["r"]), data["o"]
        except (ValueError, KeyError, TypeError, UnicodeError, binascii.Error) as exc:
            raise NotFound(self.invalid_cursor_message) from exc
        if (
            fingerprint != self._fingerprint()
            or not isinstance(values, list)
            or len(values) != len(self.key)
        ):
            raise NotFound(self.invalid_cursor_message)
        return values, reverse

    def encode_cursor(self, cursor: tuple[list[Any], bool]) -> str:  # type: ignore[override]
        """The URL of this list at the page the cursor points to."""
        values, reverse = cursor
        raw = json.dumps({"k": values, "r": int(reverse), "o": self._fingerprint()})
        encoded = base64.urlsafe_b64encode(raw.encode()).decode("ascii")
        return replace_query_param(self.base_url or "", self.cursor_query_param, encoded)

    # --- paging ------------------------------------------------------------------------------
    def paginate_queryset(  # type: ignore[override]
        self, queryset: QuerySet[Any], request: Request, view: APIView | None = None
    ) -> list[Any] | None:
        """One page after (or, going back, before) the cursor's key: one query."""
        size = self.get_page_size(request)
        if not size:
            return None
        self.request = request
        self.page_size = size
        self.base_url = request.build_absolute_uri()
        self.key = self.key_terms(queryset)
        cursor = self.decode_cursor(request)
        values, reverse = cursor if cursor is not None else (None, False)
        terms = tuple(_flip(t) for t in self.key) if reverse else self.key
        rows = queryset.order_by(*terms)
        if values is not None:
            try:
                rows = rows.filter(self.after(terms, values))
            except (ValueError, TypeError, ValidationError) as exc:  # a value of the wrong type
                raise NotFound(self.invalid_cursor_message) from exc
        fetched = list(rows[: size + 1])
        page = fetched[:size]
        more = len(fetched) > len(page)
        if reverse:
            page.reverse()
        self.page = page
        # Going forward there is a previous page when we came from a cursor; going back,
        # there is a next page (the one we came from).
        has_next = more if not reverse else True
        has_previous = more if reverse else values is not None
        self._next_key = self.key_of(page[-1]) if page and has_next else None
        self._previous_key = self.key_of(page[0]) if page and has_previous else None
        if not page and values is not None:
            # An empty page (rows went away): point back at where the client came from.
            self._next_key = values if reverse else None
            self._previous_key = None if reverse else values
        self.has_next = self._next_key is not None
        self.has_previous = self._previous_key is not None
        return page

    def get_next_link(self) -> str | None:
        """Rows after the last one of this page."""
        if self._next_key is None:
            return None
        return self.encode_cursor((self._next_key, False))

    def get_previous_link(self) -> str | None:
        """Rows before the first one of this page (the first page has no cursor)."""
        if self._previous_key is None:
            return None
        return self.encode_cursor((self._previous_key, True))
