"""Reading cells: names as compared, dates as offices write them, percentages and decimals
as the cell shows them, and the sheet itself, streamed.

Offices write a date as a date cell, 2022-09-30, 2022/9/30, 2022.9.30, 2022年9月30日,
20220930, or without the year: 9月30日, 9月底, 年底 (the year is the campaign's: its start
year, or the next one when the day falls before the campaign starts).

A number may be a plain number, text ("8.5", "８５", "60%"), or a fraction in a cell styled as
a percentage (0.6 shown as 60%): :func:`parse_number` says which, so an importer can read a
percentage as a share of something (the ledger: progress; scores: of the maximum points).
"""

from __future__ import annotations

import calendar
import logging
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.reader.excel import ExcelReader
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet._read_only import ReadOnlyWorksheet

from .safety import DefusedXmlException, ImportRefused, damaged, xml_bomb

logger = logging.getLogger(__name__)


def normalise(text: Any) -> str:
    """A name as compared: full-width folded, without spaces, marks of required, or case."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s*＊:：]", "", folded).lower()


def cell_value(cell: Any) -> Any:
    """The value of an openpyxl cell (or the value itself)."""
    return getattr(cell, "value", cell)


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without ".0", dates as ISO dates."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        midnight = value.time() == time(0)
        return value.date().isoformat() if midnight else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def is_blank(value: Any) -> bool:
    """Whether a cell holds nothing (or only white space)."""
    value = cell_value(value)
    return value is None or (isinstance(value, str) and not value.strip())


# --- dates -------------------------------------------------------------------------------------
_BEFORE = r"(?:日)?(?:前|之前|以前|止)?"
DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
    r"(?:前|之前|以前|止)?$"
)
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
MONTH_END = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(?:底|末|份)" + _BEFORE + "$")
MONTH_DAY = re.compile(r"^(\d{1,2})月(\d{1,2})" + _BEFORE + "$")
YEAR_END = re.compile(r"^(?:(\d{4})年年?|年)(?:底|末)" + _BEFORE + "$")
# Excel serial numbers of 1990-01-01 and 2099-12-31: a plain number in a date column.
EXCEL_SERIALS = (32874, 73050)
EXCEL_EPOCH = date(1899, 12, 30)

DATE_HELP = gettext_lazy(
    "write it as 2022-06-30, 2022/6/30, 2022.6.30, 2022年6月30日, 6月30日, 6月底 or 年底"
)


def _not_a_date(text: str) -> ValueError:
    return ValueError(
        _("“%(value)s” is not a date: %(help)s.") % {"value": text, "help": DATE_HELP}
    )


def _day(year: int, month: int, day: int, text: str) -> date:
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(_("%(value)s is not a day of the calendar.") % {"value": text}) from exc


def _in_campaign_year(month: int, day: int | None, text: str, campaign_start: date | None) -> date:
    """A day written without its year: in the campaign's start year, or the next year when
    it falls before the campaign starts (a campaign starting in October and 3月底)."""
    if campaign_start is None:
        raise ValueError(
            _("“%(value)s” has no year; write the year too (2022年6月30日).") % {"value": text}
        )
    year = campaign_start.year
    if not 1 <= month <= 12:
        raise ValueError(_("%(value)s is not a day of the calendar.") % {"value": text})
    last = calendar.monthrange(year, month)[1]
    found = _day(year, month, day if day is not None else last, text)
    if found < campaign_start:
        last = calendar.monthrange(year + 1, month)[1]
        found = _day(year + 1, month, day if day is not None else last, text)
    return found


def parse_date(value: Any, *, campaign_start: date | None = None) -> date:
    """An Excel date, or a date as offices write it (see the module's docstring); days
    without a year need ``campaign_start``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if number.is_integer() and COMPACT_DATE.match(str(int(number))):
            return parse_date(str(int(number)))
        if EXCEL_SERIALS[0] <= number <= EXCEL_SERIALS[1]:
            return EXCEL_EPOCH + timedelta(days=int(number))
        raise _not_a_date(cell_text(value))
    text = unicodedata.normalize("NFKC", str(value)).strip()
    compact = re.sub(r"\s+", "", text)
    match = DATE_TEXT.match(text) or COMPACT_DATE.match(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
        return _day(year, month, day, text)
    if match := MONTH_END.match(compact):
        year_text, month_text = match.groups()
        month = int(month_text)
        if not 1 <= month <= 12:
            raise ValueError(_("%(value)s is not a day of the calendar.") % {"value": text})
        if year_text:
            year = int(year_text)
            return date(year, month, calendar.monthrange(year, month)[1])
        return _in_campaign_year(month, None, text, campaign_start)
    if match := MONTH_DAY.match(compact):
        return _in_campaign_year(int(match.group(1)), int(match.group(2)), text, campaign_start)
    if match := YEAR_END.match(compact):
        if match.group(1):
            return date(int(match.group(1)), 12, 31)
        if campaign_start is None:
            raise ValueError(
                _("“%(value)s” has no year; write the year too (2022年6月30日).") % {"value": text}
            )
        return date(campaign_start.year, 12, 31)
    raise _not_a_date(text)


# --- numbers -----------------------------------------------------------------------------------
def scales_by_100(number_format: str) -> bool:
    """Whether Excel shows a number ×100 in this format: a % outside quotes and escapes
    (``0%`` does, ``0"%"`` – how the export writes progress – does not)."""
    plain = re.sub(r'"[^"]*"|\\.', "", number_format)
    return "%" in plain


def parse_number(value: Any, number_format: str = "") -> tuple[Decimal, bool]:
    """A cell's number and whether it was written as a percentage, in percent: 8.5, "8.5",
    "８.５", "85%" (85, True) or 0.85 in a cell shown as % (85, True). Raises ValueError
    (in words) for anything else."""
    original = cell_text(value)
    percent = False
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        number = Decimal(str(value))
        if scales_by_100(number_format):
            number *= 100
            percent = True
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
        if text.endswith("%"):
            percent = True
            text = text[:-1].strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
    if not number.is_finite():
        raise ValueError(_("“%(value)s” is not a number.") % {"value": original})
    return number, percent


def parse_percent(value: Any, number_format: str = "") -> int:
    """Progress as a whole percentage 0–100: 60, "60", "60%" or 0.6 in a cell shown as %."""
    try:
        number, _percent = parse_number(value, number_format)
    except ValueError:
        number = Decimal("NaN")
    if number.is_nan() or number != number.to_integral_value() or not 0 <= number <= 100:
        raise ValueError(
            _("Progress “%(value)s” must be a whole number from 0 to 100 (a %% sign is fine).")
            % {"value": cell_text(value)}
        )
    return int(number)


# --- the sheet ---------------------------------------------------------------------------------
Rows = Iterator[tuple[int, tuple[Any, ...]]]


class _StreamedSheet(ReadOnlyWorksheet):
    """openpyxl's read-only sheet without its sizing pass.

    Without a ``<dimension>`` element (the app's own export writes none, LibreOffice's may be
    wrong) openpyxl parses the whole sheet once, keeping every row element, just to learn its
    size; the rows are streamed afterwards anyway, to the last one.
    """

    def _get_size(self) -> None:
        return None


class _Reader(ExcelReader):
    """openpyxl's reader, in read-only mode, making :class:`_StreamedSheet` worksheets."""

    def read_worksheets(self) -> None:
        for sheet, rel in self.parser.find_sheets():
            if rel.target not in self.valid_files or "chartsheet" in rel.Type:
                continue
            worksheet = _StreamedSheet(self.wb, sheet.name, rel.target, self.shared_strings)
            workbook: Any = self.wb  # read-only sheets are appended as openpyxl itself does
            workbook._sheets.append(worksheet)


def read_sheet(fileobj: IO[bytes]) -> tuple[Any, Rows]:
    """The workbook (close it when done) and its first sheet's rows as (number, cells), read
    in openpyxl's read-only mode (rows are streamed, memory stays flat)."""
    reader = _Reader(fileobj, read_only=True, data_only=True)
    reader.read()
    workbook = reader.wb
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # a wrong <dimension> must not cut rows off
    return workbook, enumerate(sheet.iter_rows(), 1)


UNREADABLE = (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError)


def _defused(exc: BaseException | None) -> bool:
    """Whether defusedxml refused something on the way to ``exc`` (openpyxl wraps it)."""
    while exc is not None:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


UNREADABLE_FILE = (InvalidFileException, *UNREADABLE)


def refusal(exc: BaseException) -> ImportRefused:
    """The refusal of a workbook the spreadsheet parser could not read."""
    if _defused(exc):
        return xml_bomb()
    logger.info("import: workbook unreadable", exc_info=exc)
    return damaged()


class Sheet:
    """A workbook opened read-only (``with Sheet(f) as rows``); closed on exit; unreadable
    files become refusals (:class:`~workbooks.safety.ImportRefused`)."""

    def __init__(self, fileobj: IO[bytes]) -> None:
        self.fileobj = fileobj
        self.workbook: Any = None

    def __enter__(self) -> Rows:
        try:
            self.workbook, rows = read_sheet(self.fileobj)
        except UNREADABLE_FILE as exc:
            raise refusal(exc) from exc
        return rows

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if self.workbook is not None:
            self.workbook.close()
        if exc is not None and isinstance(exc, UNREADABLE_FILE):
            raise refusal(exc) from exc
