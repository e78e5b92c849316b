"""What every importer's row checker reports: problems where they are (row and column, in
the uploader's language), warnings shared by many rows, the outcome a job stores as its
preview, and the progress callback the job's progress bar reads."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from .mapping import SheetColumn
from .parsing import is_blank

LISTED_ROWS = 12  # row numbers named in one grouped warning

Progress = Callable[[int], None]


def no_progress(done: int) -> None:
    """A progress callback that reports nothing."""
    return None


@dataclass
class Problem:
    """One thing wrong, where: the Excel row (None: the whole file) and the column."""

    row: int | None
    column: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        """For the job's JSON field."""
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class CheckOutcome:
    """What a check found: problems (any one stops the apply), warnings, how many rows, and
    each importer's own plan beside (its subclass adds the rows to write)."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    header_row: int | None = None
    columns: list[SheetColumn] = field(default_factory=list)
    total_rows: int = 0

    def count(self, action: str) -> int:
        """Rows planned for ``action``."""
        return self.counts[action]


def rows_message(rows: list[int], message: str) -> str:
    """``message`` prefixed by the rows it concerns (the first few, then how many)."""
    listed = "、".join(str(r) for r in rows[:LISTED_ROWS])
    if len(rows) == 1:
        return _("Row %(rows)s: %(message)s") % {"rows": listed, "message": message}
    if len(rows) <= LISTED_ROWS:
        return _("Rows %(rows)s: %(message)s") % {"rows": listed, "message": message}
    return _("Rows %(rows)s and %(more)d more (%(count)d rows): %(message)s") % {
        "rows": listed,
        "more": len(rows) - LISTED_ROWS,
        "count": len(rows),
        "message": message,
    }


class RowChecker:
    """The loop every importer's checker runs over the data rows: blank rows skipped, the
    rows counted (a sheet longer than ``LEDGER_IMPORT_MAX_ROWS`` is refused), each row's
    mapped cells handed to :meth:`check_row`, progress reported; a checker sets ``footer``
    when a row ends the data (合计)."""

    result: CheckOutcome
    mapped: Mapping[int, Any]  # column position -> what the importer reads there
    footer: bool = False

    def problem(self, row: int | None, key: str, message: str) -> None:
        """Record a problem at ``row`` in the column of ``key``."""
        raise NotImplementedError

    def check_row(self, row: int, cells: dict[int, Any]) -> None:
        """Parse one row's mapped cells (position -> cell); record its problems or plan."""
        raise NotImplementedError

    def check_rows(self, rows: Iterable[tuple[int, Sequence[Any]]], progress: Progress) -> bool:
        """Check every data row of ``rows``; False when the sheet is too long."""
        limit = settings.LEDGER_IMPORT_MAX_ROWS
        for number, cells in rows:
            if self.footer:
                break
            values = {
                position: cells[position] for position in self.mapped if position < len(cells)
            }
            if all(is_blank(v) for v in values.values()):
                continue
            self.result.total_rows += 1
            if self.result.total_rows > limit:
                self.problem(
                    number,
                    "",
                    _("More than %(limit)d rows: split the file and import it in parts.")
                    % {"limit": limit},
                )
                return False
            self.check_row(number, values)
            progress(self.result.total_rows)
        return True
