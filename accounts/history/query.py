"""The SQL behind a history: events grouped into lines in the database, then one page of
lines read in full.

A bulk write (an import of 10,000 rows, the demo seed, a sweep) writes one event per row,
all under one pghistory context. Grouping by (context, event table, action) in SQL turns
each such write into one line, so a page of history costs the same few queries whether
the record has ten events or a hundred thousand. Events written outside any context are
grouped by the minute they were written in.

The SQL is assembled from table and column names out of the models' ``_meta`` (quoted) and
from Django's own compiled queries with their parameters; no value from a request is ever
put into the text (hence the ``noqa: S608/S611`` below).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection, models
from django.db.models import BooleanField, F, JSONField, Q, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from pghistory.models import Context

from .scope import MINUTE_BATCH, HistoryScope, Part, event_models, has_object, tracked_model

#: Counters a tree keeps by itself (treebeard): an update of these alone is not history.
TREE_COUNTERS = frozenset({"numchild"})

#: A line with at most this many events shows each of them; more become one summary line.
DETAIL_LIMIT = 3

#: The batch key: the context's id, or the minute for events written outside any context.
BATCH = (
    f"COALESCE(h_context::text, '{MINUTE_BATCH}' || FLOOR(EXTRACT(EPOCH FROM h_at) / 60)::bigint)"
)


@dataclass(frozen=True)
class Line:
    """One line of history as grouped in SQL."""

    model: str  # the event model's label
    label: str  # pghistory's event label: insert, update, delete, add, remove
    batch: str  # see BATCH
    context_id: str | None
    count: int  # events in the line
    objects: int  # distinct records they touched
    last_at: datetime
    ids: list[int]  # the newest DETAIL_LIMIT + 1 event ids (pgh_id) of the line
    context: dict[str, Any]  # the pghistory context's metadata (who, from where)


@dataclass(frozen=True)
class EventRow:
    """One event read in full, with the row it followed (for an update's changes)."""

    model: str
    id: int
    at: datetime
    label: str
    context_id: str | None
    data: dict[str, Any]
    previous: dict[str, Any] | None


def _json(value: Any) -> Any:
    # Django reads jsonb as text through a raw cursor (it decodes JSONField itself).
    return json.loads(value) if isinstance(value, str | bytes) else value


def _branch(part: Part, *, full: bool) -> tuple[str, tuple[Any, ...]]:
    """SELECT of one event table's rows of the scope, with the columns every branch shares."""
    model = part.model
    table = connection.ops.quote_name(model._meta.db_table)
    columns: dict[str, Any] = {
        "h_model": Value(model._meta.label, output_field=TextField()),
        "h_id": F("pgh_id"),
        "h_at": F("pgh_created_at"),
        "h_label": F("pgh_label"),
        # Link tables' events have no row to point at: each is its own record.
        "h_obj": Cast("pgh_obj_id" if has_object(model) else "pgh_id", TextField()),
        "h_context": F("pgh_context_id"),
    }
    if full:
        columns["h_data"] = RawSQL(  # noqa: S611 - a quoted table name
            f"row_to_json({table})::jsonb", (), output_field=JSONField()
        )
        columns["h_prev"] = (
            RawSQL(  # noqa: S611 - a quoted table name
                f"(SELECT row_to_json(_prev)::jsonb FROM {table} _prev"  # noqa: S608
                f" WHERE _prev.pgh_obj_id = {table}.pgh_obj_id AND _prev.pgh_id < {table}.pgh_id"
                " ORDER BY _prev.pgh_id DESC LIMIT 1)",
                (),
                output_field=JSONField(),
            )
            if has_object(model)
            else RawSQL("NULL::jsonb", (), output_field=JSONField())
        )
    queryset = model._default_manager.filter(part.where).order_by()
    bookkeeping = _bookkeeping_only(model)
    if bookkeeping is not None:
        queryset = queryset.alias(h_bookkeeping=bookkeeping).filter(h_bookkeeping=False)
    queryset = queryset.annotate(**columns).values(*columns)
    sql, params = queryset.query.sql_with_params()
    return f"({sql})", tuple(params)


def _bookkeeping_only(model: type[models.Model]) -> RawSQL | None:
    """For a tree's event table: whether an update changed nothing but the tree's counters
    (treebeard bumps a unit's ``numchild`` when a sub-unit is added; that is the sub-unit's
    news, not the parent's). None for other tables."""
    tracked = tracked_model(model)
    names = {f.name for f in tracked._meta.concrete_fields}
    if not names & TREE_COUNTERS:
        return None
    table = connection.ops.quote_name(str(model._meta.db_table))
    columns = [
        connection.ops.quote_name(str(f.column))
        for f in tracked._meta.concrete_fields
        if f.name not in TREE_COUNTERS
    ]
    same = " AND ".join(f"_was.{c} IS NOT DISTINCT FROM {table}.{c}" for c in columns)
    return RawSQL(  # noqa: S611 - quoted table and column names
        f"({table}.pgh_label = 'update' AND EXISTS (SELECT 1 FROM {table} _was"  # noqa: S608
        f" WHERE _was.pgh_id = (SELECT MAX(_b.pgh_id) FROM {table} _b"
        f" WHERE _b.pgh_obj_id = {table}.pgh_obj_id AND _b.pgh_id < {table}.pgh_id)"
        f" AND {same}))",
        (),
        output_field=BooleanField(),
    )


def _union(scope: HistoryScope, *, full: bool = False) -> tuple[str, list[Any]]:
    sqls: list[str] = []
    params: list[Any] = []
    for part in scope.parts:
        sql, branch_params = _branch(part, full=full)
        sqls.append(sql)
        params.extend(branch_params)
    return " UNION ALL ".join(sqls), params


def _grouped(scope: HistoryScope, *, grouped: bool) -> tuple[str, list[Any], str]:
    """FROM clause of the lines and their GROUP BY (one line per event when not grouped)."""
    union, params = _union(scope)
    source = f"(SELECT _u.*, {BATCH} AS h_batch FROM ({union}) _u) _h"  # noqa: S608
    keys = "h_model, h_label, h_batch, h_context" + ("" if grouped else ", h_id")
    return source, params, keys


def count_lines(scope: HistoryScope, *, grouped: bool = True) -> int:
    """How many lines the history has (one query)."""
    if not scope.parts:
        return 0
    source, params, keys = _grouped(scope, grouped=grouped)
    with connection.cursor() as cursor:
        sql = f"SELECT COUNT(*) FROM (SELECT 1 FROM {source} GROUP BY {keys}) _g"  # noqa: S608
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def lines(scope: HistoryScope, *, offset: int, limit: int, grouped: bool = True) -> list[Line]:
    """One page of lines, newest first, each with its context (one query)."""
    if not scope.parts or limit <= 0:
        return []
    source, params, keys = _grouped(scope, grouped=grouped)
    sql = (
        "SELECT _l.*, _c.metadata FROM ("  # noqa: S608
        " SELECT h_model, h_label, h_batch, h_context, COUNT(*) AS h_count,"
        " COUNT(DISTINCT h_obj) AS h_objects, MAX(h_at) AS h_last, MAX(h_id) AS h_last_id,"
        f" (ARRAY_AGG(h_id ORDER BY h_at DESC, h_id DESC))[1:{DETAIL_LIMIT + 1}] AS h_ids"
        f" FROM {source} GROUP BY {keys}"
        " ORDER BY h_last DESC, h_last_id DESC, h_model, h_label LIMIT %s OFFSET %s"
        f") _l LEFT JOIN {connection.ops.quote_name(Context._meta.db_table)} _c"
        " ON _c.id = _l.h_context"
        " ORDER BY _l.h_last DESC, _l.h_last_id DESC, _l.h_model, _l.h_label"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit, offset])
        return [
            Line(
                model=model,
                label=label,
                batch=batch,
                context_id=str(context_id) if context_id else None,
                count=count,
                objects=objects,
                last_at=last_at,
                ids=ids,
                context=_json(metadata) or {},
            )
            for model, label, batch, context_id, count, objects, last_at, _last, ids, metadata in (
                cursor.fetchall()
            )
        ]


def events(ids_by_model: dict[str, list[int]]) -> list[EventRow]:
    """The named events in full, each with the event of the same row before it (one query)."""
    by_label = {m._meta.label: m for m in event_models()}
    parts = tuple(
        Part(by_label[label], Q(pgh_id__in=ids))
        for label, ids in sorted(ids_by_model.items())
        if ids and label in by_label
    )
    if not parts:
        return []
    union, params = _union(HistoryScope(parts), full=True)
    sql = (
        "SELECT h_model, h_id, h_at, h_label, h_context::text, h_data, h_prev"  # noqa: S608
        f" FROM ({union}) _e ORDER BY h_at DESC, h_id DESC"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            EventRow(model, pk, at, label, context, _json(data) or {}, _json(prev))
            for model, pk, at, label, context, data, prev in cursor.fetchall()
        ]
