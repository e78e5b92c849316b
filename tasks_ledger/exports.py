"""Ledger items to Excel, in the layout government offices use.

A merged title row (the ledger's name, or "工作台账" and the filters) and a subtitle with the
export date; a frozen header row repeated on every printed page; 序号 and the columns of
the ledger's kind; real Excel dates; the status column with a drop-down of the status
labels; the traffic light as a filled cell; landscape, one page wide.

:func:`write_items_workbook` takes a queryset from :func:`tasks_ledger.selectors.ledger_items`
(already scoped to the caller and filtered) and never queries on its own: it adds the
annotations its columns need and fetches exactly the values the columns show as plain tuples
(``values_list``, still one query) through a server-side cursor. The workbook is written by
XlsxWriter in constant-memory mode, which streams each row to a temporary file, so memory
stays flat however many rows there are, and the only Python per cell is one small closure
per column (:func:`_cell_writer`). :func:`write_register` gives other records (notices,
measures, results) the same sheet.

User text is always written as text: a value starting with = + - @ or a tab or line break
is a string cell with Excel's quote prefix, never a formula.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

import xlsxwriter
from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db.models import OuterRef, QuerySet, Subquery, TextField
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .models import ItemStatus, LedgerItem, LedgerKind, Light, Measure
from .selectors import with_project_rates

CHUNK_SIZE = 2000  # rows fetched per round trip of the server-side cursor (held in memory)
EXCEL_MAX_TEXT = 32767  # characters Excel keeps in one cell
# A cell whose text starts with one of these is a formula in a spreadsheet's eyes.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")
DATE_FORMAT = "yyyy-mm-dd"
TITLE_ROW, SUBTITLE_ROW, HEADER_ROW = 1, 2, 3
FIRST_DATA_ROW = HEADER_ROW + 1
# Rows the template's drop-downs cover below its header.
TEMPLATE_ROWS = 2000


@dataclass(frozen=True)
class Column:
    """One column of a ledger sheet.

    ``key`` names what the column holds (a field of the item, or something derived);
    ``fmt`` how it is written and read back: text, code, date, percent (0–100), rate
    (computed share), money, status, light, ledger, measures, unit, department, person.
    Computed columns are exported but never imported.
    """

    key: str
    label: Promise
    width: float
    fmt: str = "text"
    computed: bool = False
    required: bool = False


CODE = Column("code", pgettext_lazy("excel column", "No."), 7, "code")
LEDGER = Column("ledger", pgettext_lazy("excel column", "ledger"), 18, "ledger", computed=True)
TITLE = Column("title", pgettext_lazy("excel column", "item"), 32, required=True)
PROJECT = Column("title", pgettext_lazy("excel column", "project name"), 30, required=True)
MEASURES = Column("measures", pgettext_lazy("excel column", "measures"), 30)
HARD_MEASURES = Column(
    "measure_list", pgettext_lazy("excel column", "tackling measures"), 36, "measures"
)
SYMPTOM = Column("symptom", pgettext_lazy("excel column", "problem as it shows"), 30)
RECTIFICATION = Column("rectification", pgettext_lazy("excel column", "rectification measures"), 30)
SOURCE = Column("petition_source", pgettext_lazy("excel column", "source"), 14)
DEMAND = Column("petitioner_demand", pgettext_lazy("excel column", "demand"), 30)
RESULT = Column("handling_result", pgettext_lazy("excel column", "handling result"), 30)
UNIT = Column("unit", pgettext_lazy("excel column", "responsible unit"), 16, "unit", required=True)
LEAD = Column("lead_department", pgettext_lazy("excel column", "lead department"), 16, "department")
PERSON = Column(
    "responsible_person", pgettext_lazy("excel column", "responsible person"), 10, "person"
)
START = Column("start_date", pgettext_lazy("excel column", "start date"), 12, "date", required=True)
DEADLINE = Column("deadline", pgettext_lazy("excel column", "deadline"), 12, "date", required=True)
STATUS = Column("status", pgettext_lazy("excel column", "status"), 9, "status")
PROGRESS = Column("progress", pgettext_lazy("excel column", "progress"), 8, "percent")
LIGHT = Column("light", pgettext_lazy("excel column", "light"), 9, "light", computed=True)
LATEST = Column("latest_report", pgettext_lazy("excel column", "latest progress"), 36)
PLANNED = Column(
    "planned_investment",
    pgettext_lazy("excel column", "planned investment (10k yuan)"),
    13,
    "money",
)
FUNDS = Column(
    "funds_in_place", pgettext_lazy("excel column", "funds in place (10k yuan)"), 13, "money"
)
INVESTED = Column(
    "investment_completed",
    pgettext_lazy("excel column", "investment completed (10k yuan)"),
    13,
    "money",
)
FUNDS_RATE = Column(
    "funds_rate", pgettext_lazy("excel column", "funds in place rate"), 10, "rate", computed=True
)
INVEST_RATE = Column(
    "investment_rate",
    pgettext_lazy("excel column", "investment completion rate"),
    10,
    "rate",
    computed=True,
)
PLANNED_START = Column("planned_start", pgettext_lazy("excel column", "planned start"), 12, "date")
ACTUAL_START = Column("actual_start", pgettext_lazy("excel column", "actual start"), 12, "date")
PLANNED_END = Column(
    "planned_completion", pgettext_lazy("excel column", "planned completion"), 12, "date"
)
ACTUAL_END = Column(
    "actual_completion", pgettext_lazy("excel column", "actual completion"), 12, "date"
)

CHAIN = (UNIT, LEAD, PERSON)
DATES = (START, DEADLINE)
TAIL = (STATUS, PROGRESS, LIGHT, LATEST)

COLUMNS: dict[str | None, tuple[Column, ...]] = {
    LedgerKind.KEY_TASK: (CODE, TITLE, MEASURES, *CHAIN, *DATES, *TAIL),
    LedgerKind.PROBLEM: (CODE, TITLE, SYMPTOM, RECTIFICATION, *CHAIN, *DATES, *TAIL),
    LedgerKind.HARD_PROBLEM: (CODE, TITLE, HARD_MEASURES, *CHAIN, *DATES, *TAIL),
    LedgerKind.COMMITMENT: (CODE, TITLE, MEASURES, *CHAIN, *DATES, *TAIL),
    LedgerKind.PETITION: (CODE, TITLE, SOURCE, DEMAND, RESULT, *CHAIN, *DATES, *TAIL),
    LedgerKind.KEY_PROJECT: (
        CODE,
        PROJECT,
        *CHAIN,
        *DATES,
        PLANNED,
        FUNDS,
        INVESTED,
        FUNDS_RATE,
        INVEST_RATE,
        PLANNED_START,
        ACTUAL_START,
        PLANNED_END,
        ACTUAL_END,
        *TAIL,
    ),
    None: (CODE, TITLE, *CHAIN, *DATES, *TAIL),
}


def columns_for(kind: str | None, *, ledger_column: bool = False) -> tuple[Column, ...]:
    """The columns of a sheet of ``kind`` (None: items of several kinds)."""
    columns = COLUMNS.get(kind, COLUMNS[None])
    if ledger_column:
        columns = (columns[0], LEDGER, *columns[1:])
    return columns


def import_columns(kind: str) -> tuple[Column, ...]:
    """The columns the importer reads for ``kind``: the export's, less the computed ones."""
    return tuple(c for c in columns_for(kind) if not c.computed)


def status_labels() -> list[str]:
    """The status labels in the active language, in the order of the drop-down."""
    return [str(label) for label in ItemStatus.labels]


# --- the sheet ------------------------------------------------------------------------------
CJK_FONT = "宋体"  # what the offices' printers and templates expect
THIN_GREY = {"border": 1, "border_color": "#808080"}
BODY_FONT = {"font_name": CJK_FONT, "font_size": 10}
TOP = {"valign": "vcenter", "text_wrap": True}
CENTRE = {"align": "center", "valign": "vcenter", "text_wrap": True}
RIGHT = {"align": "right", "valign": "vcenter"}
LIGHT_FILLS = {
    Light.RED: ("#FF0000", "#FFFFFF"),
    Light.YELLOW: ("#FFFF00", "#000000"),
    Light.GREEN: ("#00B050", "#FFFFFF"),
}
# What a data cell of each column format looks like (besides the body font and border).
FORMAT_PROPERTIES: dict[str, dict[str, Any]] = {
    "text": TOP,
    "date": {**CENTRE, "num_format": DATE_FORMAT},
    "percent": {**CENTRE, "num_format": '0"%"'},
    "rate": {**RIGHT, "num_format": "0.0%"},
    "money": {**RIGHT, "num_format": "#,##0.00"},
    "code": CENTRE,
    "status": CENTRE,
    "person": CENTRE,
    "light": CENTRE,
}
# Text that needs cleaning before it is written: a CR, or a character XML cannot hold.
_UNCLEAN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r]")
_TRIGGER_STARTS = frozenset(FORMULA_TRIGGERS)
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class _Formats:
    """The workbook's cell formats, made once per workbook (XlsxWriter shares them by index),
    and their quote-prefixed twins for text that would otherwise look like a formula."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self._workbook = workbook
        self._properties: dict[int, dict[str, Any]] = {}
        self._quoted: dict[int, Format] = {}
        self.columns = {
            fmt: self._add(**THIN_GREY, **BODY_FONT, **properties)
            for fmt, properties in FORMAT_PROPERTIES.items()
        }
        self.text = self.columns["text"]
        self.header = self._add(
            **THIN_GREY, **CENTRE, font_name=CJK_FONT, font_size=11, bold=True,
            pattern=1, bg_color="#D9E1F2",
        )  # fmt: skip
        self.lights: dict[str, Format] = {
            light: self._add(
                **THIN_GREY,
                **CENTRE,
                font_name=CJK_FONT,
                font_size=10,
                bold=True,
                pattern=1,
                bg_color=fill,
                font_color=colour,
            )
            for light, (fill, colour) in LIGHT_FILLS.items()
        }
        self.title = self._add(
            font_name="黑体", font_size=16, bold=True, align="center", valign="vcenter"
        )
        self.subtitle = self._add(**BODY_FONT, align="left", valign="vcenter", text_wrap=True)
        self.total = self._add(**THIN_GREY, **CENTRE, **BODY_FONT, bold=True)
        self.plain = self._add()
        # The font run of a rich string (see :meth:`_Sheet.text`): the body font.
        self.run = workbook.add_format(BODY_FONT)

    def _add(self, **properties: Any) -> Format:
        cell_format = self._workbook.add_format(properties)
        self._properties[id(cell_format)] = properties
        return cell_format

    def column(self, column: Column) -> Format:
        """The format of a data cell of ``column`` (the light's colour is chosen per row)."""
        return self.columns.get(column.fmt, self.text)

    def quoted(self, cell_format: Format) -> Format:
        """``cell_format`` with Excel's quote prefix: the cell stays text when edited."""
        key = id(cell_format)
        if key not in self._quoted:
            properties = {**self._properties.get(key, {}), "quote_prefix": True}
            self._quoted[key] = self._workbook.add_format(properties)
        return self._quoted[key]


def normalise_newlines(text: str) -> str:
    """CR LF and lone CR as LF: how a line break reads back from any .xlsx."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def clean_text(text: str) -> str:
    """``text`` as a cell can hold it: line ends as LF, no control character XML cannot hold,
    at most the characters Excel keeps."""
    if _UNCLEAN.search(text):
        text = ILLEGAL_CHARACTERS_RE.sub("", normalise_newlines(text))
    return text[:EXCEL_MAX_TEXT]


def sheet_name(name: str) -> str:
    """``name`` as Excel accepts it for a sheet: no []:*?/\\, no quote at either end, 31
    characters at most."""
    return _SHEET_NAME_FORBIDDEN.sub("", name).strip("'")[:31] or "Sheet1"


class _Sheet:
    """One worksheet in the official layout, written top to bottom by XlsxWriter in its
    constant-memory mode: each row goes to a temporary file once the next one starts, so
    memory stays flat however many rows there are. Rows are numbered from 1 here, as in
    Excel (XlsxWriter counts from 0)."""

    def __init__(
        self, workbook: xlsxwriter.Workbook, formats: _Formats, name: str, columns: Sequence[Column]
    ) -> None:
        self.ws: Worksheet = workbook.add_worksheet(sheet_name(name))
        self.formats = formats
        self.columns = columns
        self.last_col = len(columns) - 1
        self._write_string = self.ws.write_string
        self._quoted = formats.quoted

    def setup(self, *, header_rows: int) -> None:
        """Widths, frozen header, print titles, landscape one page wide, page numbers."""
        ws = self.ws
        for index, column in enumerate(self.columns):
            ws.set_column(index, index, column.width)
        ws.freeze_panes(header_rows, 0)
        ws.repeat_rows(header_rows - 1)
        ws.set_landscape()
        ws.set_paper(9)  # A4
        ws.fit_to_pages(1, 0)
        ws.center_horizontally()
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        ws.set_footer("&C" + _("Page &P of &N"))

    def heading(self, title: str, subtitle: str, *, subtitle_height: float | None = None) -> None:
        """The merged title and subtitle rows, then the header of column labels."""
        ws, formats = self.ws, self.formats
        ws.set_row(TITLE_ROW - 1, 30)
        if subtitle_height is not None:
            ws.set_row(SUBTITLE_ROW - 1, subtitle_height)
        ws.set_row(HEADER_ROW - 1, 30)
        self.merged(TITLE_ROW, title, formats.title)
        self.merged(SUBTITLE_ROW, subtitle, formats.subtitle)
        for col, column in enumerate(self.columns):
            self.text(HEADER_ROW, col, str(column.label), formats.header)

    def merged(self, row: int, text: str, cell_format: Format) -> None:
        """``text`` across the whole width of row ``row``."""
        if self.last_col > 0:
            self.ws.merge_range(row - 1, 0, row - 1, self.last_col, "", cell_format)
        self.text(row, 0, text, cell_format)

    def text(self, row: int, col: int, text: str, cell_format: Format) -> None:
        """``text`` as a string cell, never a formula, kept as typed otherwise."""
        if _UNCLEAN.search(text) or len(text) > EXCEL_MAX_TEXT:
            text = clean_text(text)
        if not text:
            self.ws.write_blank(row - 1, col, None, cell_format)
        elif text[0] in _TRIGGER_STARTS:
            # write_string never makes a formula; the quote prefix keeps Excel from making
            # one when someone edits the cell.
            self._write_string(row - 1, col, text, self._quoted(cell_format))
        elif text.startswith("<r>"):
            # In constant-memory mode XlsxWriter takes a string that starts with <r> (and
            # ends with </r>) for the XML of a rich string and writes it unescaped; written
            # as a rich string of two runs it is escaped like any other.
            self.ws.write_rich_string(
                row - 1, col, text[0], self.formats.run, text[1:], cell_format
            )
        else:
            self._write_string(row - 1, col, text, cell_format)

    def value(self, row: int, col: int, value: Any, cell_format: Format) -> None:
        """Any value: text as text, dates as dates, numbers as numbers, None as a styled
        blank."""
        if value is None:
            self.ws.write_blank(row - 1, col, None, cell_format)
        elif isinstance(value, str):
            self.text(row, col, value, cell_format)
        elif isinstance(value, date):
            self.ws.write_datetime(row - 1, col, value, cell_format)
        elif isinstance(value, bool):
            self.ws.write_boolean(row - 1, col, value, cell_format)
        elif isinstance(value, int | float | Decimal):
            self.ws.write_number(row - 1, col, float(value), cell_format)
        else:
            self.text(row, col, str(value), cell_format)

    def list_validation(
        self, col: int, first: int, last: int, source: list[str] | str, **options: Any
    ) -> None:
        """A drop-down on column ``col``, rows ``first``..``last`` (at least one row)."""
        self.ws.data_validation(
            first - 1,
            col,
            max(last, first) - 1,
            col,
            {"validate": "list", "source": source, "ignore_blank": True, **options},
        )


def _new_workbook(stream: IO[bytes]) -> xlsxwriter.Workbook:
    """A workbook written to ``stream`` in constant-memory mode (rows stream to temporary
    files); nothing typed is ever turned into a formula, number or link."""
    return xlsxwriter.Workbook(
        stream,
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )


def write_register(
    stream: IO[bytes],
    *,
    sheet: str,
    title: str,
    subtitle: str,
    columns: Sequence[Column],
    rows: Iterable[Any],
    values: Callable[[Any, int], Sequence[Any]],
) -> int:
    """A register in the ledger export's official layout, for other records (notices,
    measures): the title and filter lines, the header, one row per record with ``values``
    (the record and its serial number from 1) in ``columns`` order, each cell styled by its
    column's format and guarded against formulas, A4 landscape print set-up. Streamed from
    ``rows`` (give an ``iterator()`` for long lists) in constant memory. Returns the rows
    written."""
    workbook = _new_workbook(stream)
    formats = _Formats(workbook)
    out = _Sheet(workbook, formats, sheet, columns)
    out.setup(header_rows=HEADER_ROW)
    out.heading(title, subtitle)
    column_formats = [formats.column(column) for column in columns]
    written = 0
    row = HEADER_ROW
    for record in rows:
        written += 1
        row += 1
        cells = values(record, written)
        for col, (value, cell_format) in enumerate(zip(cells, column_formats, strict=True)):
            out.value(row, col, value, cell_format)
    workbook.close()
    return written


def status_validation(out: _Sheet, first: int, last: int) -> None:
    """A drop-down of the status labels on the status column, rows ``first``..``last``."""
    if STATUS not in out.columns:
        return
    out.list_validation(
        out.columns.index(STATUS),
        first,
        last,
        status_labels(),
        error_title=_("Status"),
        error_message=_("Choose a status from the list."),
    )


# --- the items ------------------------------------------------------------------------------
# Where each column's value comes from in the rows fetched (``values_list`` paths); columns
# not named here read the item's field of their key.
SOURCES: dict[str, tuple[str, ...]] = {
    "ledger": ("ledger__title",),
    "unit": ("unit__name",),
    "lead_department": ("chain__lead_department__name",),
    "responsible_person": (
        "chain__responsible_person__name",
        "chain__responsible_person__username",
    ),
    "measure_list": ("measure_texts",),
}
# What the four rates of key projects need besides the columns.
TOTALS_SOURCES = (
    "planned_investment",
    "funds_in_place",
    "investment_completed",
    "planned_start",
    "actual_start",
    "planned_completion",
    "actual_completion",
)

# How a long-term item's empty deadline is written (and read back by the importer).
LONG_TERM = pgettext_lazy("excel deadline", "long-term")

Put = Callable[[int, tuple[Any, ...]], None]


def _fraction(value: Decimal | None) -> float | None:
    """A percentage annotation (0–100) as the fraction Excel's % format expects."""
    return None if value is None else float(value) / 100


def _measure_text(texts: Sequence[str] | None) -> str:
    return "\n".join(f"{n}. {text}" for n, text in enumerate(texts or (), 1))


def _cell_writer(out: _Sheet, col: int, column: Column, at: int) -> Put:
    """The function writing ``column``'s cell of a fetched row (its value at ``at``): the
    only per-cell Python of the export, one small closure per column."""
    ws, text, cell_format = out.ws, out.text, out.formats.column(column)
    blank, number, day = ws.write_blank, ws.write_number, ws.write_datetime
    key, fmt = column.key, column.fmt

    if key == "status":
        labels = {value: str(label) for value, label in ItemStatus.choices}
        return lambda row, values: text(row, col, labels[values[at]], cell_format)
    if fmt == "light":
        names = {value: str(label) for value, label in Light.choices}
        lights = {light: out.formats.lights.get(light, cell_format) for light in names}

        def light(row: int, values: tuple[Any, ...]) -> None:
            value = values[at]
            text(row, col, names[value], lights[value])

        return light
    if key == "deadline":
        long_term = str(LONG_TERM)

        def deadline(row: int, values: tuple[Any, ...]) -> None:
            value = values[at]
            if value is None:
                text(row, col, long_term, cell_format)
            else:
                day(row - 1, col, value, cell_format)

        return deadline
    if fmt == "date":

        def a_date(row: int, values: tuple[Any, ...]) -> None:
            value = values[at]
            if value is None:
                blank(row - 1, col, None, cell_format)
            else:
                day(row - 1, col, value, cell_format)

        return a_date
    if fmt in ("percent", "money", "rate"):
        scale = _fraction if fmt == "rate" else float

        def a_number(row: int, values: tuple[Any, ...]) -> None:
            value = values[at]
            if value is None:
                blank(row - 1, col, None, cell_format)
            else:
                number(row - 1, col, scale(value), cell_format)

        return a_number
    if key == "responsible_person":
        return lambda row, values: text(row, col, values[at] or values[at + 1] or "", cell_format)
    if key == "measure_list":
        return lambda row, values: text(row, col, _measure_text(values[at]), cell_format)

    def a_text(row: int, values: tuple[Any, ...]) -> None:
        value = values[at]
        if value:
            text(row, col, value, cell_format)
        else:
            blank(row - 1, col, None, cell_format)

    return a_text


def _fetch_plan(columns: Sequence[Column], *, totals: bool) -> tuple[list[str], list[int]]:
    """The ``values_list`` paths the columns (and the project totals) read, and where each
    column's values start in a fetched row."""
    paths: list[str] = []
    starts = []
    for column in columns:
        starts.append(len(paths))
        paths.extend(SOURCES.get(column.key, (column.key,)))
    if totals:
        paths.extend(TOTALS_SOURCES)
    return paths, starts


def prepare_items(items: QuerySet[LedgerItem], kind: str | None) -> QuerySet[LedgerItem]:
    """Add what the columns of ``kind`` need as annotations, so the rows stay one query:
    the measures of hard problems (as an array) and the rates of key projects."""
    annotations = items.query.annotations
    if kind == LedgerKind.HARD_PROBLEM and "measure_texts" not in annotations:
        texts = (
            Measure.objects.filter(item=OuterRef("pk"))
            .order_by()
            .values("item")
            .annotate(texts=ArrayAgg("text", order_by=("sort_order", "pk")))
            .values("texts")
        )
        items = items.annotate(measure_texts=Subquery(texts, output_field=ArrayField(TextField())))
    if kind == LedgerKind.KEY_PROJECT and "funds_rate" not in annotations:
        items = with_project_rates(items)
    if "light" not in annotations:
        from .selectors import with_light

        items = with_light(items)
    return items


def item_rows(
    items_queryset: QuerySet[LedgerItem], columns: Sequence[Column], kind: str | None
) -> tuple[QuerySet[Any], list[int], int]:
    """The rows of the export as plain tuples (one query, no model instances), where each
    column's values start in a row, and where the project totals' fields start (last)."""
    paths, starts = _fetch_plan(columns, totals=kind == LedgerKind.KEY_PROJECT)
    rows = prepare_items(items_queryset, kind).values_list(*paths)
    return rows, starts, len(paths) - len(TOTALS_SOURCES)


@dataclass
class _ProjectTotals:
    """The four rates (四率) over the exported projects, summed while the rows stream by,
    as :func:`tasks_ledger.selectors.project_rates` computes them in SQL."""

    today: date
    planned: Decimal = Decimal(0)
    funds: Decimal = Decimal(0)
    invested: Decimal = Decimal(0)
    due_start: int = 0
    started: int = 0
    due_end: int = 0
    on_time: int = 0

    def add(self, values: Sequence[Any]) -> None:
        """Count one project: ``values`` are its :data:`TOTALS_SOURCES`, in that order."""
        planned, funds, invested, planned_start, actual_start, planned_end, actual_end = values
        self.planned += planned or 0
        self.funds += funds or 0
        self.invested += invested or 0
        if planned_start and planned_start <= self.today:
            self.due_start += 1
            self.started += actual_start is not None
        if planned_end and planned_end <= self.today:
            self.due_end += 1
            self.on_time += bool(actual_end and actual_end <= planned_end)

    @staticmethod
    def _share(part: Decimal | int, whole: Decimal | int) -> float | None:
        return float(part) / float(whole) if whole else None

    def rates(self) -> dict[str, float | None]:
        """开工率, 资金到位率, 投资完成率, 按期竣工率 as fractions (None when nothing is due)."""
        return {
            "start": self._share(self.started, self.due_start),
            "funds": self._share(self.funds, self.planned),
            "investment": self._share(self.invested, self.planned),
            "on_time": self._share(self.on_time, self.due_end),
        }


def write_items_workbook(
    items_queryset: QuerySet[LedgerItem],
    stream: IO[bytes],
    *,
    title: str,
    kind: str | None,
    subtitle: str | None = None,
    ledger_column: bool | None = None,
    today: date | None = None,
) -> int:
    """Write the items as an .xlsx workbook to ``stream``; return the number of rows written.

    ``kind`` chooses the columns (None: the columns every kind shares). ``ledger_column``
    adds a 台账 column (default: when ``kind`` is None, i.e. items of several ledgers).
    ``subtitle`` defaults to the export date.
    """
    today = today or timezone.localdate()
    if ledger_column is None:
        ledger_column = kind is None
    columns = columns_for(kind, ledger_column=ledger_column)
    rows_queryset, starts, first_total = item_rows(items_queryset, columns, kind)
    if subtitle is None:
        subtitle = _("Exported on %(date)s") % {"date": today.isoformat()}

    workbook = _new_workbook(stream)
    formats = _Formats(workbook)
    out = _Sheet(workbook, formats, str(_("Ledger")), columns)
    out.setup(header_rows=HEADER_ROW)
    out.heading(title, subtitle)

    writers = [
        _cell_writer(out, col, column, at)
        for col, (column, at) in enumerate(zip(columns, starts, strict=True))
    ]
    totals = _ProjectTotals(today=today) if kind == LedgerKind.KEY_PROJECT else None
    row = HEADER_ROW
    values: tuple[Any, ...]
    for values in rows_queryset.iterator(chunk_size=CHUNK_SIZE):
        row += 1
        for put in writers:
            put(row, values)
        if totals is not None:
            totals.add(values[first_total:])
    rows = row - HEADER_ROW
    if totals is not None:
        _write_project_totals(out, totals, rows)
    status_validation(out, FIRST_DATA_ROW, HEADER_ROW + rows)
    workbook.close()
    return rows


def _write_project_totals(out: _Sheet, totals: _ProjectTotals, rows: int) -> None:
    """A 合计 row under the projects with the sums, then a line with the four rates."""
    formats = out.formats
    values: dict[str, Any] = {
        "code": str(_("Total")),
        "title": _("%(count)d projects") % {"count": rows},
        "planned_investment": float(totals.planned),
        "funds_in_place": float(totals.funds),
        "investment_completed": float(totals.invested),
        "funds_rate": totals.rates()["funds"],
        "investment_rate": totals.rates()["investment"],
    }
    total_row = HEADER_ROW + rows + 1
    for col, column in enumerate(out.columns):
        money_or_rate = column.fmt in ("money", "rate")
        cell_format = formats.column(column) if money_or_rate else formats.total
        out.value(total_row, col, values.get(column.key), cell_format)
    rates = totals.rates()

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    line = _(
        "Start rate %(start)s · funds in place rate %(funds)s · investment completion rate "
        "%(investment)s · on-time completion rate %(on_time)s"
    ) % {key: pct(value) for key, value in rates.items()}
    out.merged(total_row + 1, line, formats.subtitle)


def write_template(
    stream: IO[bytes],
    *,
    kind: str,
    title: str,
    notes: str,
    example: dict[str, Any],
    unit_names: Iterable[str] = (),
) -> None:
    """The import template of ``kind``: title and notes rows, the header the importer
    expects, one example row, and drop-downs for the status and the responsible unit."""
    columns = import_columns(kind)
    workbook = _new_workbook(stream)
    formats = _Formats(workbook)
    out = _Sheet(workbook, formats, str(_("Ledger")), columns)
    lists = _Sheet(workbook, formats, "lists", ())
    lists.ws.hide()
    out.setup(header_rows=HEADER_ROW)
    out.heading(title, notes, subtitle_height=48)
    for col, column in enumerate(columns):
        out.value(FIRST_DATA_ROW, col, example.get(column.key), formats.column(column))
    last_row = HEADER_ROW + TEMPLATE_ROWS
    status_validation(out, FIRST_DATA_ROW, last_row)
    count = 0
    for name in unit_names:
        count += 1
        lists.text(count, 0, name, formats.plain)
    if count:
        out.list_validation(
            columns.index(UNIT),
            FIRST_DATA_ROW,
            last_row,
            f"=lists!$A$1:$A${count}",
            show_error=False,  # a unit can also be written by short name or code
        )
    workbook.close()
