"""Which events a history shows: per event table, a filter on its rows.

django-pghistory keeps one event table per tracked model. A scope names, for each table
that matters, the rows to read, as an ORM ``Q`` so that a set of records ("the items this
reader may see in 甲县") stays a subquery in SQL rather than a list of ids in Python.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache, reduce
from operator import or_

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from pghistory.models import Event

#: Prefix of the batch key of events written outside any context (grouped by minute).
MINUTE_BATCH = "at:"


@cache
def event_models() -> tuple[type[Event], ...]:
    """Every event model of the project, in a stable order (no query)."""
    found = [
        model
        for model in apps.get_models()
        if issubclass(model, Event) and getattr(model, "pgh_tracked_model", None) is not None
    ]
    return tuple(sorted(found, key=lambda m: m._meta.label))


def tracked_model(event_model: type[models.Model]) -> type[models.Model]:
    """The business model whose rows an event model records."""
    tracked: type[models.Model] = event_model.pgh_tracked_model  # type: ignore[attr-defined]
    return tracked


def concrete(model: type[models.Model]) -> type[models.Model]:
    """The model whose table holds the rows (itself, or the model a proxy stands for)."""
    return model._meta.concrete_model or model


def has_object(event_model: type[models.Model]) -> bool:
    """Whether the events point at their row (link tables' events do not)."""
    try:
        event_model._meta.get_field("pgh_obj")
    except FieldDoesNotExist:
        return False
    return True


def data_foreign_keys(event_model: type[models.Model]) -> list[models.ForeignKey]:
    """The recorded row's foreign keys, as copied into the event table."""
    return [
        field
        for field in event_model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and not field.name.startswith("pgh_")
    ]


@dataclass(frozen=True)
class Part:
    """The rows of one event table that belong to a history."""

    model: type[models.Model]
    where: Q


@dataclass(frozen=True)
class HistoryScope:
    """The events of one history: a union of filtered event tables."""

    parts: tuple[Part, ...]

    def narrowed(self, *, batch: str, model: str, action: str) -> HistoryScope:
        """Only the events of one bulk line: one context (or minute), table and action.

        A malformed ``batch`` matches nothing rather than everything.
        """
        where = batch_q(batch) & Q(pgh_label=action)
        return HistoryScope(
            tuple(
                Part(p.model, p.where & where) for p in self.parts if p.model._meta.label == model
            )
        )


def batch_q(batch: str) -> Q:
    """Events of one batch key as the grouped query computes it (see ``query.BATCH``)."""
    if batch.startswith(MINUTE_BATCH):
        try:
            minute = int(batch.removeprefix(MINUTE_BATCH))
            start = datetime.fromtimestamp(minute * 60, tz=UTC)
        except (ValueError, OverflowError, OSError):
            return Q(pk__in=[])
        return Q(
            pgh_context__isnull=True,
            pgh_created_at__gte=start,
            pgh_created_at__lt=start + timedelta(minutes=1),
        )
    try:
        return Q(pgh_context_id=uuid.UUID(batch))
    except ValueError:
        return Q(pk__in=[])


def _pointing_at(
    target: type[models.Model], value: object, related: Iterable[type[models.Model]] | None
) -> HistoryScope:
    """Events of ``target`` rows matching ``value`` (a pk or a subquery of pks) and of the
    rows of ``related`` models (all when None) whose foreign keys point at them."""
    lookup = "in" if isinstance(value, models.QuerySet) else "exact"
    wanted = None if related is None else {concrete(m) for m in related}
    target = concrete(target)
    parts = []
    for event_model in event_models():
        tracked = concrete(tracked_model(event_model))
        columns = []
        if tracked is target and has_object(event_model):
            columns.append("pgh_obj_id")
        if wanted is None or tracked in wanted:
            columns += [
                field.attname
                for field in data_foreign_keys(event_model)
                if isinstance(field.related_model, type) and concrete(field.related_model) is target
            ]
        if columns:
            where = reduce(or_, (Q(**{f"{column}__{lookup}": value}) for column in columns))
            parts.append(Part(event_model, where))
    return HistoryScope(tuple(parts))


def scope_of(
    obj: models.Model, *, related: Iterable[type[models.Model]] | None = None
) -> HistoryScope:
    """The events of ``obj`` and of the records pointing at it.

    ``related`` keeps, of those records, the ones of these models: a page whose readers may
    not see every record pointing at its object (a chain: other units' items), or that shows
    their changes elsewhere (a unit: its items, one click away), names what is its own.
    """
    return _pointing_at(type(obj), obj.pk, related)


def scope_of_records(
    records: models.QuerySet, *, related: Iterable[type[models.Model]] | None = None
) -> HistoryScope:
    """The events of a set of records (kept a subquery) and of the records pointing at them."""
    return _pointing_at(records.model, records.values("pk"), related)
