"""The notice registry (督办登记表) to Excel, in the ledger export's official layout.

The sheet's shape is the one :mod:`tasks_ledger.exports` gives every export (merged title
row, subtitle with the filters and the date, a frozen header repeated on every printed
page, 宋体, borders, landscape one page wide); its styles, cells and heading are reused
from there, so user text is written as text, never as a formula, here too. Dates are real
Excel dates. :func:`write_notices_workbook` takes the registry's filtered queryset from
:func:`accountability.selectors.notice_list` and adds one annotation (the names of the
responsible people): the rows stay one query, streamed with a server-side cursor.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import IO, Any

from django.contrib.postgres.aggregates import StringAgg
from django.db.models import OuterRef, QuerySet, Subquery, TextField
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

# The ledger export's sheet machinery, shared rather than copied (see the module docstring).
from tasks_ledger.exports import CHUNK_SIZE, Column, write_register

from .models import Notice, NoticeKind, NoticePerson, NoticeStatus

COLUMNS: tuple[Column, ...] = (
    Column("serial", pgettext_lazy("excel column", "No."), 6, "code"),
    Column("number", pgettext_lazy("excel column", "notice number"), 18, "code"),
    Column("kind", pgettext_lazy("excel column", "kind"), 12, "status"),
    Column("subject", pgettext_lazy("excel column", "matter"), 32),
    Column("issuer", pgettext_lazy("excel column", "issued by"), 18),
    Column("target_unit", pgettext_lazy("excel column", "responsible unit"), 16),
    Column("people", pgettext_lazy("excel column", "responsible people"), 16),
    Column("issued_on", pgettext_lazy("excel column", "issued on"), 12, "date"),
    Column("reply_deadline", pgettext_lazy("excel column", "reply deadline"), 12, "date"),
    Column("status", pgettext_lazy("excel column", "status"), 10, "status"),
    Column("overdue", pgettext_lazy("excel column", "overdue"), 8, "status"),
    Column("signed_for", pgettext_lazy("excel column", "signed for on"), 12, "date"),
    Column("replied", pgettext_lazy("excel column", "replied on"), 12, "date"),
    Column("closed", pgettext_lazy("excel column", "closed on"), 12, "date"),
)


def _day(moment: datetime | None) -> date | None:
    return timezone.localdate(moment) if moment is not None else None


VALUES: dict[str, Callable[[Any], Any]] = {  # Any: rows carry the selector's annotations
    "number": lambda n: n.number or str(_("(not yet issued)")),
    "kind": lambda n: str(NoticeKind(n.kind).label),
    "subject": lambda n: n.subject,
    "issuer": lambda n: n.group.name if n.group_id else n.issuing_unit.name,
    "target_unit": lambda n: n.target_unit.name,
    "people": lambda n: n.people_names or "",
    "status": lambda n: str(NoticeStatus(n.status).label),
    "overdue": lambda n: str(_("yes")) if n.overdue else "",
    "signed_for": lambda n: _day(n.signed_for_at),
    "replied": lambda n: _day(n.replied_at),
    "closed": lambda n: _day(n.closed_at),
}


def prepare_notices(notices: QuerySet[Notice]) -> QuerySet[Notice]:
    """The responsible people's names as one annotation, so the rows stay one query."""
    names = (
        NoticePerson.objects.filter(notice=OuterRef("pk"))
        .order_by()
        .values("notice")
        .annotate(names=StringAgg("user__name", "、", order_by=("user__name",)))
        .values("names")
    )
    return notices.annotate(people_names=Subquery(names, output_field=TextField()))


def write_notices_workbook(
    notices: QuerySet[Notice], stream: IO[bytes], *, title: str, subtitle: str
) -> int:
    """Write the notices as an .xlsx workbook to ``stream``; return the rows written."""

    def values(notice: Any, serial: int) -> list[Any]:
        return [
            serial
            if column.key == "serial"
            else (
                VALUES[column.key](notice) if column.key in VALUES else getattr(notice, column.key)
            )
            for column in COLUMNS
        ]

    return write_register(
        stream,
        sheet=str(_("Notice register")),
        title=title,
        subtitle=subtitle,
        columns=COLUMNS,
        rows=prepare_notices(notices).iterator(chunk_size=CHUNK_SIZE),
        values=values,
    )
