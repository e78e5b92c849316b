"""Keyset pages of the item list: "the 50 rows after this key" instead of OFFSET.

A page is two queries: the keys of its rows (narrow, from an index in the list's order,
``ROW(k1, k2, …) > ROW(v1, v2, …)`` so PostgreSQL starts the index scan at the cursor
however deep it is), then the rows themselves with their joins, by id. No COUNT.

Why not a library: django-cursor-pagination and DRF's CursorPagination compare key columns
one by one (``a > x OR (a = x AND b > y) …``) or step over ties with an OFFSET, which an
index cannot serve as a range, and neither takes an expression (the number's length, the
negated light) as a key. The row comparison is the one thing they lack; it is short.

Each order is a tuple of key expressions read in one direction; descending orders that
should keep the list's natural order among ties negate their first key (a number) instead,
so an index on the negated value serves them (see ``LedgerItem.Meta.indexes``).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, Count, Expression, F, Func, Q, QuerySet, Value
from django.db.models.functions import Coalesce, Length

from accounts.jurisdiction import Jurisdiction, jurisdiction_for, kept_beside_jurisdictions
from accounts.models import Unit
from config.db_router import replica_reads

from .models import Negated


class RowAfter(Func):
    """``ROW(left…) > ROW(right…)`` (or ``<``): one range on an index of those columns."""

    output_field = BooleanField()

    def __init__(self, left: Sequence[Any], right: Sequence[Any], *, before: bool = False):
        super().__init__(*left, *right)
        self.width = len(left)
        self.operator = "<" if before else ">"

    def as_sql(  # type: ignore[override]
        self, compiler: Any, connection: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        """Both rows compiled, compared in one step."""
        parts: list[str] = []
        params: list[Any] = []
        for expression in self.get_source_expressions():
            sql, more = compiler.compile(expression)
            parts.append(sql)
            params.extend(more)
        left, right = parts[: self.width], parts[self.width :]
        return f"(({', '.join(left)}) {self.operator} ({', '.join(right)}))", params


def scope_unit_ids(
    user: Any, under: Unit | None = None, *, manage: bool = False
) -> list[int] | None:
    """The ids of the units whose items the list (the page and the API) shows: the
    jurisdiction's, or those of the chosen unit and below within it; None when that is
    every unit, so the list needs no filter by unit. Kept in the cache beside the
    jurisdictions; else one query (two for a scope at a tree's root next to other trees).
    With ``manage``, the units the user manages (the office's queues) instead of those they
    see.

    The ids are read first, from the small unit table: PostgreSQL then knows how many items
    they hold, and walks the list's index for a province's office or a unit's own items for
    a township's liaison. (A join by path, or ids from a subquery, left it guessing "few"
    for the office: a bitmap over all million items, 10 s.)
    """
    j = jurisdiction_for(user)
    if under is None and j.is_global:
        return None
    # Kept for everyone who sees (or manages) the same units, until a unit, post or role
    # changes (the jurisdictions' generation): a county's ids were a query on every page.
    seen = repr((j.is_global, j.manage_roots if manage else (), under.path if under else ""))
    return kept_beside_jurisdictions(
        "scope-unit-ids",
        j,
        lambda: _read_scope_unit_ids(j, under, manage=manage),
        hashlib.sha256(seen.encode()).hexdigest()[:24],
    )


def _read_scope_unit_ids(j: Jurisdiction, under: Unit | None, *, manage: bool) -> list[int] | None:
    inside = j.q("", manage=manage)
    roots = j.manage_roots if manage else j.view_roots
    if under is not None:
        inside &= Q(path__startswith=under.path)
        roots = (under.path,)
    # Kept values are read from the primary: ids from a replica that has not replayed a new
    # unit yet would leave its items out of every list until the next change.
    with replica_reads(False):
        if any(len(root) == Unit.steplen for root in roots):
            # At a tree's root: every unit, unless another tree lies beside it (its root is
            # enough to tell; the depth compares fast, the path would be 5,000 LIKEs).
            outside = Unit.objects.filter(depth=1).aggregate(count=Count("pk", filter=~inside))
            if not outside["count"]:
                return None
        return list(Unit.objects.filter(inside).order_by().values_list("pk", flat=True))


#: A scope of at most this many units is a county or less (42 units and 13,623 items at
#: most at the demo province, against 334 to 404 units and 67,000 to 79,000 items for a
#: city): PostgreSQL reads its every item through the unit's index whatever the search, so
#: a keyword tests their text row by row and its tabs are counted exactly.
FEW_UNITS = 64


def few_units(scope: list[int] | None) -> list[int] | None:
    """``scope`` (:func:`scope_unit_ids`) when it holds at most :data:`FEW_UNITS` units."""
    return scope if scope is not None and len(scope) <= FEW_UNITS else None


#: The list's natural order after any first key: area, ledger, number (shorter numbers first,
#: so "2" comes before "10"), then id. Every key ends with it, so keys are unique. The
#: indexes that serve the list end with the same keys (``models.LIST_ORDER_KEYS``).
NATURAL: tuple[Expression | F, ...] = (
    F("area_order"),
    F("ledger_id"),
    Length("code"),
    F("code"),
    F("id"),
)
#: A date no deadline reaches: long-term items (no deadline) sort after every dated one.
NO_DEADLINE = dt.date(9999, 12, 31)


@dataclass(frozen=True)
class Order:
    """One order of the list: its key expressions and whether they are read descending;
    ``name`` (the ``ordering`` value) ties a cursor to it."""

    keys: tuple[Any, ...]
    descending: bool = False
    name: str = ""


def _then_natural(first: Any) -> tuple[Any, ...]:
    return (first, *NATURAL)


#: The filterset's ``ordering`` values (and "" for the natural order) as keyset orders.
#: The natural order and both light orders have indexes of their own; the others sort the
#: filtered rows (the issue asks only those three to be index-served).
ORDERS: dict[str, Order] = {
    "": Order(NATURAL),
    "light": Order(_then_natural(F("light_rank"))),
    "-light": Order(_then_natural(Negated(F("light_rank")))),
    "progress": Order(_then_natural(F("progress"))),
    "-progress": Order(_then_natural(Negated(F("progress")))),
    "deadline": Order(_then_natural(Coalesce(F("deadline"), Value(NO_DEADLINE)))),
    "-deadline": Order(_then_natural(Coalesce(F("deadline"), Value(NO_DEADLINE))), True),
    "unit": Order(_then_natural(F("unit__path"))),
    "-unit": Order(_then_natural(F("unit__path")), True),
    "updated": Order(_then_natural(F("updated_at"))),
    "-updated": Order(_then_natural(F("updated_at")), True),
    "code": Order((Length("code"), F("code"), F("area_order"), F("ledger_id"), F("id"))),
    "-code": Order((Length("code"), F("code"), F("area_order"), F("ledger_id"), F("id")), True),
}


def order_for(ordering: str | Sequence[str] | None) -> Order:
    """The keyset order for the filterset's ``ordering`` value (its first term); the natural
    order for anything else."""
    first = ordering if isinstance(ordering, str) else (ordering[0] if ordering else "")
    name = first if first in ORDERS else ""
    order = ORDERS[name]
    return Order(order.keys, order.descending, name or "natural")


# --- cursors ---------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return {"d": value.isoformat(), "t": isinstance(value, dt.datetime)}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict):
        text = str(value["d"])
        return dt.datetime.fromisoformat(text) if value.get("t") else dt.date.fromisoformat(text)
    return value


def encode(key: Sequence[Any], order: str, *, backwards: bool = False) -> str:
    """A key of the order named ``order`` as a URL-safe token; ``backwards`` marks it as
    the edge of the rows *before* it (a "previous" link), for the API's single cursor."""
    data: dict[str, Any] = {"o": order, "k": [_plain(v) for v in key]}
    if backwards:
        data["b"] = 1
    raw = json.dumps(data, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def _data(token: str) -> dict[str, Any] | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError, UnicodeError, binascii.Error):
        return None
    return data if isinstance(data, dict) else None


def is_backwards(token: str) -> bool:
    """Whether ``token`` points at the rows before its key (see :func:`encode`)."""
    data = _data(token)
    return bool(data and data.get("b"))


def decode(token: str, order: str, width: int) -> list[Any] | None:
    """The key in ``token``, or None when it is not one of ours or of another order."""
    data = _data(token)
    try:
        if data is None or data["o"] != order or not isinstance(data["k"], list):
            return None
        key = [_typed(value) for value in data["k"]]
    except (ValueError, TypeError, KeyError):
        return None
    if len(key) != width:
        return None
    if any(not isinstance(value, int | str | dt.date) for value in key):
        return None
    return key


# --- pages -----------------------------------------------------------------------------------


@dataclass
class KeysetPage:
    """The ids of one page in order, and the cursors either side of it."""

    ids: list[int]
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def has_next(self) -> bool:
        """Whether rows follow this page."""
        return self.next_cursor is not None

    @property
    def has_previous(self) -> bool:
        """Whether rows come before this page."""
        return self.previous_cursor is not None


def valid(token: str, order: Order) -> bool:
    """Whether ``token`` is a cursor of ``order`` (the API refuses others; the page reads
    them as no cursor)."""
    return decode(token, order.name, len(order.keys)) is not None


@dataclass(frozen=True)
class _Walk:
    """Where a page starts and which way it reads: the order's key names, the cursor's key
    (None: the first page, or a cursor that did not decode) and the direction."""

    names: list[str]
    key: list[Any] | None
    backwards: bool
    descending: bool
    order: str

    @classmethod
    def of(cls, order: Order, after: str | None, before: str | None, cursor: str | None) -> _Walk:
        """The walk the cursors ask for in ``order`` (see :func:`page_ids`)."""
        if cursor:
            after, before = (None, cursor) if is_backwards(cursor) else (cursor, None)
        names = [f"k{index}" for index in range(len(order.keys))]
        token = before or after
        key = decode(token, order.name, len(names)) if token else None
        backwards = key is not None and before is not None
        # Reading backwards (the page before ``before``) reverses the direction, then the rows.
        return cls(names, key, backwards, order.descending != backwards, order.name)

    def page(self, rows: list[Sequence[Any]], size: int) -> KeysetPage:
        """The page of the first ``size`` of ``rows`` (read ``size`` + 1, in this walk's
        direction, keys first and the id last)."""
        more = len(rows) > size
        rows = rows[:size]
        if self.backwards:
            rows.reverse()
        ids = [row[len(self.names) - 1] for row in rows]  # the last key is always the id
        first, last = (rows[0], rows[-1]) if rows else (None, None)
        if self.backwards:
            has_previous, has_next = more, True
        else:
            has_previous, has_next = self.key is not None, more
        if not rows and self.key is not None:
            # An empty page (its rows went away): the way back is the cursor followed here.
            return KeysetPage(
                ids=[],
                next_cursor=encode(self.key, self.order) if self.backwards else None,
                previous_cursor=None
                if self.backwards
                else encode(self.key, self.order, backwards=True),
            )
        width = len(self.names)
        return KeysetPage(
            ids=ids,
            next_cursor=encode(last[:width], self.order) if last is not None and has_next else None,
            previous_cursor=(
                encode(first[:width], self.order, backwards=True)
                if first is not None and has_previous
                else None
            ),
        )


def page_ids(
    items: QuerySet[Any],
    order: Order,
    *,
    after: str | None = None,
    before: str | None = None,
    cursor: str | None = None,
    size: int = 50,
) -> KeysetPage:
    """The ids of the ``size`` rows of ``items`` after the cursor ``after`` (or before
    ``before``; neither: the first page) in ``order``: one query of keys only. ``cursor``
    is either, as its token says (:func:`is_backwards`): the API's one parameter.

    A cursor that does not decode (edited by hand, or from another order) reads as none."""
    walk = _Walk.of(order, after, before, cursor)
    names = walk.names
    keyed = items.order_by().annotate(**dict(zip(names, order.keys, strict=True)))
    if walk.key is not None:
        keyed = keyed.filter(
            RowAfter(
                [F(name) for name in names], [Value(v) for v in walk.key], before=walk.descending
            )
        )
    descending = walk.descending
    ordered = keyed.order_by(*(F(name).desc() if descending else F(name).asc() for name in names))
    return walk.page(list(ordered.values_list(*names)[: size + 1]), size)


def page_ids_and_tabs(
    items: QuerySet[Any],
    order: Order,
    tabs: Sequence[str],
    *,
    tab: str = "",
    after: str | None = None,
    before: str | None = None,
    size: int = 50,
) -> tuple[KeysetPage, dict[str, int] | None]:
    """:func:`page_ids` of those of ``items`` in the tab ``tab`` (their ``three_list``; ""
    is every tab), and how many of ``items`` each of ``tabs`` holds, from one read of
    ``items``: for a few units' items, which PostgreSQL reads whole for either (a county's
    keyword search read its items twice, 9 ms each at a province).

    The counts are window aggregates over every row of ``items``, taken before the tab and
    the cursor narrow them. They come with the page's rows, so an empty page brings none:
    then the counts are None, and the caller counts apart.
    """
    from django.db import connections

    walk = _Walk.of(order, after, before, None)
    names = walk.names
    counts = [f"c{index}" for index in range(len(tabs))]
    matched = items.order_by().annotate(**dict(zip(names, order.keys, strict=True)))
    inner, params = matched.values_list(*names, "three_list").query.sql_with_params()
    # The counts written here: four Window(Count(filter=...)) took the ORM 0.3 ms to compile.
    windows = ", ".join(
        f"COUNT(*) FILTER (WHERE three_list = %s) OVER () AS {name}" for name in counts
    )
    inner = f"SELECT *, {windows} FROM ({inner}) AS matched"  # noqa: S608
    where: list[str] = []
    outer_params: list[Any] = [*tabs, *params]
    if tab:
        where.append("three_list = %s")
        outer_params.append(tab)
    if walk.key is not None:
        operator = "<" if walk.descending else ">"
        marks = ", ".join(["%s"] * len(names))
        where.append(f"({', '.join(names)}) {operator} ({marks})")
        outer_params.extend(walk.key)
    direction = " DESC" if walk.descending else ""
    sql = (
        f"SELECT {', '.join(names)}, {', '.join(counts)} FROM ({inner}) AS every"  # noqa: S608
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {', '.join(name + direction for name in names)} LIMIT {size + 1}"
    )
    with connections[items.db].cursor() as cursor:
        cursor.execute(sql, outer_params)
        rows = cursor.fetchall()
    found = None
    if rows:
        found = dict(zip(tabs, (int(n) for n in rows[0][len(names) :]), strict=True))
    return walk.page([list(row) for row in rows], size), found
