"""The API item list's rows without model instances: one values() query of what
:class:`~tasks_ledger.api.serializers.LedgerItemListSerializer` writes, compiled once a day
(:class:`tasks_ledger.selectors.RowsStatement`), each row a plain object with the same
attributes (its ledger and area, unit and chain as nested objects), which the serializer
then writes as it writes an item.

At a province, the rows as items with six relations cost about 13 ms of a 50-item page (5
of them building the query, most of the rest making some 450 model instances); read so,
about 2 ms.
"""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from django.db.models import Field
from django.utils import timezone
from django.utils.encoding import force_str

from accounts.models import Unit
from campaign.models import ResponsibilityChain
from tasks_ledger.models import Ledger, LedgerItem
from tasks_ledger.selectors import (
    RowPart,
    RowsStatement,
    shown,
    with_light,
    with_project_rates,
)

#: The relations the list shows as nested objects (the serializer's nested fields).
NESTED = ("ledger", "unit", "chain")
#: What the row carries besides the item's own columns (annotations).
ANNOTATED = ("days_left", "light", "funds_rate", "investment_rate")


class ApiRow(RowPart):
    """An item as the list serializer reads it: its columns and annotations as attributes,
    and ``get_kind_display`` and ``get_status_display`` as a model instance has them."""

    kind: str
    status: str

    def get_kind_display(self) -> str:
        """The kind's label in the active language."""
        return _display("kind", self.kind)

    def get_status_display(self) -> str:
        """The status's label in the active language."""
        return _display("status", self.status)


def _display(name: str, value: Any) -> str:
    # As Model._get_FIELD_display: the choice's label, the value itself when not a choice.
    return force_str(_choices(name).get(value, value), strings_only=True)


@functools.cache
def _choices(name: str) -> dict[Any, Any]:
    """A field's choices by value, their labels lazy (translated when written)."""
    field = LedgerItem._meta.get_field(name)
    assert isinstance(field, Field)
    return dict(field.flatchoices)


def item_rows(
    *, ids: list[int], columns: tuple[str, ...], today: date | None = None
) -> list[ApiRow]:
    """The items of ``ids`` in that order (ids read from the caller's scope), each with its
    ``columns`` (the item's own fields the serializer writes), the annotations and the
    nested relations: one query."""
    if not ids:
        return []
    using = LedgerItem.objects.all().db  # the database the router reads the items from
    statement = _statement(today or timezone.localdate(), columns, using)
    found = {values["id"]: _row(values) for values in statement.run(ids, using)}
    return [found[pk] for pk in ids if pk in found]


def own_columns(fields: Any) -> tuple[str, ...]:
    """Of a serializer's ``Meta.fields``, the item's own columns (not its relations, not
    what is computed)."""
    columns = {field.name for field in LedgerItem._meta.concrete_fields}
    return tuple(name for name in fields if name in columns and name not in NESTED)


def _row(values: dict[str, Any]) -> ApiRow:
    ledger = values.pop("ledger_shown")
    unit = values.pop("unit_shown")
    chain = values.pop("chain_shown")
    return ApiRow(
        **values,
        ledger=RowPart(
            id=ledger["id"],
            title=ledger["title"],
            kind=ledger["kind"],
            area=RowPart(id=ledger["area_id"], name=ledger["area_name"]),
        ),
        unit=RowPart(**unit),
        chain=None
        if chain is None
        else RowPart(
            id=chain["id"],
            subject=chain["subject"],
            lead_department=RowPart(
                id=chain["lead_id"],
                code=chain["lead_code"],
                name=chain["lead_name"],
                short_name=chain["lead_short_name"],
            ),
            leader_in_charge=RowPart(id=chain["in_charge_id"], name=chain["in_charge_name"]),
            responsible_person=RowPart(id=chain["responsible_id"], name=chain["responsible_name"]),
        ),
    )


@functools.lru_cache(maxsize=4)
def _statement(today: date, columns: tuple[str, ...], using: str) -> RowsStatement:
    """The rows' query for ``today``, compiled once; each relation a JSON object from a
    subquery by primary key (joined, nine tables made the planner hash whole tables)."""
    ledger = shown(
        Ledger,
        "ledger_id",
        id="id",
        title="title",
        kind="kind",
        area_id="area__id",
        area_name="area__name",
    )
    unit = shown(Unit, "unit_id", id="id", code="code", name="name", short_name="short_name")
    chain = shown(
        ResponsibilityChain,
        "chain_id",
        id="id",
        subject="subject",
        lead_id="lead_department__id",
        lead_code="lead_department__code",
        lead_name="lead_department__name",
        lead_short_name="lead_department__short_name",
        in_charge_id="leader_in_charge__id",
        in_charge_name="leader_in_charge__name",
        responsible_id="responsible_person__id",
        responsible_name="responsible_person__name",
    )
    return RowsStatement.of(
        lambda items: (
            with_project_rates(with_light(items, today=today))
            .annotate(ledger_shown=ledger, unit_shown=unit, chain_shown=chain)
            .order_by()
            .values(*columns, *ANNOTATED, "ledger_shown", "unit_shown", "chain_shown")
        ),
        using,
    )
