"""Accountability measures to Excel: the 问责情况登记表, in the ledger export's layout.

It reuses :mod:`tasks_ledger.exports`' sheet (merged title and subtitle, frozen header
repeated on every printed page, landscape one page wide, user text always as text) and
takes a queryset from :func:`accountability.measure_selectors.measure_list`, already scoped
and filtered; the strikes come from the same selector the list page shows.
"""

from __future__ import annotations

from typing import IO, Any

from django.db.models import QuerySet
from django.utils.translation import pgettext_lazy

from tasks_ledger.exports import Column, write_register

from .measure_selectors import strikes_by_measure
from .models import AccountabilityMeasure

COLUMNS = (
    Column("number", pgettext_lazy("excel column", "No."), 6, "code"),
    Column("decided_on", pgettext_lazy("excel column", "decided on"), 12, "date"),
    Column("unit", pgettext_lazy("excel column", "unit"), 16),
    Column("person", pgettext_lazy("excel column", "person held accountable"), 12, "person"),
    Column("kind", pgettext_lazy("excel column", "measure"), 14),
    Column("basis", pgettext_lazy("excel column", "basis"), 36),
    Column("deciding_authority", pgettext_lazy("excel column", "deciding authority"), 18),
    Column("document_number", pgettext_lazy("excel column", "document number"), 18),
    Column("unit_strikes", pgettext_lazy("excel column", "unit's strikes this year"), 10, "code"),
    Column(
        "person_strikes", pgettext_lazy("excel column", "person's strikes this year"), 10, "code"
    ),
    Column("note", pgettext_lazy("excel column", "note"), 24),
)


def _basis(measure: AccountabilityMeasure) -> str:
    numbers = [n.number or n.get_kind_display() for n in measure.basis_notices.all()]
    return "\n".join(part for part in ("、".join(numbers), measure.basis) if part)


def write_measures_workbook(
    measures: QuerySet[AccountabilityMeasure], stream: IO[bytes], *, title: str, subtitle: str
) -> int:
    """Write the measures (with their basis notices prefetched) to ``stream``; return the
    number of rows written."""
    rows = list(measures)
    strikes = strikes_by_measure(rows)

    def values(measure: AccountabilityMeasure, serial: int) -> list[Any]:
        counts = strikes[measure.pk]
        person = measure.person
        return [
            serial,
            measure.decided_on,
            measure.unit.name,
            (person.name or person.username) if person else "",
            measure.get_kind_display(),
            _basis(measure),
            measure.deciding_authority,
            measure.document_number,
            counts.unit,
            counts.person or "",
            measure.note,
        ]

    return write_register(
        stream,
        sheet=title,
        title=title,
        subtitle=subtitle,
        columns=COLUMNS,
        rows=rows,
        values=values,
    )
