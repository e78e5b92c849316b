"""Ledger items to Excel, in the layout government offices use.

A merged title row (the ledger's name, or "工作台账" and the filters) and a subtitle with the
export date; a frozen header row repeated on every printed page; 序号 and the columns of
the ledger's kind; real Excel dates; the status column with a drop-down of the status
labels; the traffic light as a filled cell; landscape, one page wide.

:func:`write_items_workbook` takes a queryset from :func:`tasks_ledger.selectors.ledger_items`
(already scoped to the caller and filtered) and never queries on its own: it only adds the
annotations its columns need (still one query) and iterates the rows with a server-side
cursor. The workbook is written in openpyxl's write-only mode, which streams rows to a
temporary file, so memory stays flat however many rows there are.

User text is always written as text: a value starting with = + - @ or a tab or line break
is an inline string with Excel's quote prefix, never a formula.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from copy import copy
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.contrib.postgres.aggregates import ArrayAgg
from django.contrib.postgres.fields import ArrayField
from django.db.models import OuterRef, QuerySet, Subquery, TextField
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from .models import ItemStatus, LedgerItem, LedgerKind, Light, Measure
from .selectors import with_project_rates

CHUNK_SIZE = 1000  # rows fetched per round trip of the server-side cursor (held in memory)
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


# --- styles --------------------------------------------------------------------------------
THIN = Side(style="thin", color="FF808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
LIGHT_FILLS = {
    Light.RED: ("FFFF0000", "FFFFFFFF"),
    Light.YELLOW: ("FFFFFF00", "FF000000"),
    Light.GREEN: ("FF00B050", "FFFFFFFF"),
}
CJK_FONT = "宋体"  # what the offices' printers and templates expect


class _Styles:
    """Prototype cells styled once; each data cell copies one's style array (cheap)."""

    def __init__(self, ws: Any) -> None:
        def proto(**attributes: Any) -> Any:
            cell: Any = WriteOnlyCell(ws)
            cell.border = BORDER
            cell.font = attributes.pop("font", Font(name=CJK_FONT, size=10))
            for name, value in attributes.items():
                setattr(cell, name, value)
            return cell._style

        top = Alignment(vertical="center", wrap_text=True)
        centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
        right = Alignment(horizontal="right", vertical="center")
        self.text = proto(alignment=top)
        self.centre = proto(alignment=centre)
        self.date = proto(alignment=centre, number_format=DATE_FORMAT)
        self.percent = proto(alignment=centre, number_format='0"%"')
        self.rate = proto(alignment=right, number_format="0.0%")
        self.money = proto(alignment=right, number_format="#,##0.00")
        self.header = proto(
            alignment=centre,
            font=Font(name=CJK_FONT, size=11, bold=True),
            fill=PatternFill("solid", fgColor="FFD9E1F2"),
        )
        self.lights = {
            light: proto(
                alignment=centre,
                fill=PatternFill("solid", fgColor=fill),
                font=Font(name=CJK_FONT, size=10, bold=True, color=colour),
            )
            for light, (fill, colour) in LIGHT_FILLS.items()
        }
        title: Any = WriteOnlyCell(ws)
        title.font = Font(name="黑体", size=16, bold=True)
        title.alignment = Alignment(horizontal="center", vertical="center")
        self.title = title._style
        subtitle: Any = WriteOnlyCell(ws)
        subtitle.font = Font(name=CJK_FONT, size=10)
        subtitle.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        self.subtitle = subtitle._style
        total: Any = WriteOnlyCell(ws)
        total.border = BORDER
        total.font = Font(name=CJK_FONT, size=10, bold=True)
        total.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.total = total._style


def _cell(ws: Any, value: Any, style: Any) -> Any:
    cell: Any = WriteOnlyCell(ws)
    cell._style = copy(style)
    if isinstance(value, str):
        return _text_into(cell, value)
    cell.value = value
    return cell


def _text_into(cell: Any, text: str) -> Any:
    """Write ``text`` as a string cell, never a formula; keep it as typed otherwise."""
    # XML reads every line ending as LF, so CR LF is written as what it will read back as.
    text = ILLEGAL_CHARACTERS_RE.sub("", normalise_newlines(text))[:EXCEL_MAX_TEXT]
    cell.value = text  # openpyxl would take "=..." for a formula ...
    cell.data_type = "s"  # ... so it is set back to a string
    if text.startswith(FORMULA_TRIGGERS):
        cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell
    return cell


def normalise_newlines(text: str) -> str:
    """CR LF and lone CR as LF: how a line break reads back from any .xlsx."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def text_cell(ws: Any, text: str) -> Any:
    """An unstyled cell holding ``text`` as text (for callers writing their own sheets)."""
    return _text_into(WriteOnlyCell(ws), text)


# --- values ---------------------------------------------------------------------------------
def _person(user: Any) -> str:
    return (user.name or user.username) if user is not None else ""


def _chain_attr(item: LedgerItem, attr: str) -> Any:
    chain = item.chain if item.chain_id else None
    return getattr(chain, attr) if chain is not None else None


def _fraction(value: Decimal | None) -> float | None:
    """A percentage annotation (0–100) as the fraction Excel's % format expects."""
    return None if value is None else float(value) / 100


def _measure_text(texts: Sequence[str] | None) -> str:
    return "\n".join(f"{n}. {text}" for n, text in enumerate(texts or (), 1))


# How a long-term item's empty deadline is written (and read back by the importer).
LONG_TERM = pgettext_lazy("excel deadline", "long-term")

VALUES: dict[str, Callable[[Any], Any]] = {  # Any: rows carry annotations
    "code": lambda i: i.code,
    "deadline": lambda i: i.deadline if i.deadline is not None else str(LONG_TERM),
    "ledger": lambda i: i.ledger.title,
    "unit": lambda i: i.unit.name,
    "lead_department": lambda i: getattr(_chain_attr(i, "lead_department"), "name", ""),
    "responsible_person": lambda i: _person(_chain_attr(i, "responsible_person")),
    "status": lambda i: str(ItemStatus(i.status).label),
    "light": lambda i: str(Light(i.light).label),
    "measure_list": lambda i: _measure_text(getattr(i, "measure_texts", None)),
    "funds_rate": lambda i: _fraction(i.funds_rate),
    "investment_rate": lambda i: _fraction(i.investment_rate),
}


def _value(column: Column, item: Any) -> Any:
    getter = VALUES.get(column.key)
    value = getter(item) if getter else getattr(item, column.key)
    if isinstance(value, Decimal):
        return float(value)
    return value


def _style_for(styles: _Styles, column: Column) -> Any:
    """The style of a data cell of ``column`` (the light's colour is chosen per row)."""
    return {
        "date": styles.date,
        "percent": styles.percent,
        "rate": styles.rate,
        "money": styles.money,
        "code": styles.centre,
        "status": styles.centre,
        "person": styles.centre,
        "light": styles.centre,
    }.get(column.fmt, styles.text)


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

    def add(self, item: LedgerItem) -> None:
        self.planned += item.planned_investment or 0
        self.funds += item.funds_in_place or 0
        self.invested += item.investment_completed or 0
        if item.planned_start and item.planned_start <= self.today:
            self.due_start += 1
            self.started += item.actual_start is not None
        if item.planned_completion and item.planned_completion <= self.today:
            self.due_end += 1
            self.on_time += bool(
                item.actual_completion and item.actual_completion <= item.planned_completion
            )

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


def _setup_sheet(ws: Any, columns: Sequence[Column], *, header_rows: int) -> None:
    """Widths, frozen header, print titles, landscape one page wide, page numbers."""
    for index, column in enumerate(columns, 1):
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.freeze_panes = f"A{header_rows + 1}"
    ws.print_title_rows = f"{header_rows}:{header_rows}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = Worksheet.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.oddFooter.center.text = _("Page &P of &N")


def _write_heading(
    ws: Any, styles: _Styles, columns: Sequence[Column], title: str, subtitle: str
) -> None:
    last = get_column_letter(len(columns))
    ws.merged_cells.add(f"A{TITLE_ROW}:{last}{TITLE_ROW}")
    ws.merged_cells.add(f"A{SUBTITLE_ROW}:{last}{SUBTITLE_ROW}")
    ws.row_dimensions[TITLE_ROW].height = 30
    ws.append([_cell(ws, title, styles.title)])
    ws.append([_cell(ws, subtitle, styles.subtitle)])
    ws.row_dimensions[HEADER_ROW].height = 30
    ws.append([_cell(ws, str(c.label), styles.header) for c in columns])


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
    column's format and guarded against formulas, A4 landscape print set-up. Written
    write-only and streamed from ``rows`` (give an ``iterator()`` for long lists). Returns
    the rows written."""
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title=sheet[:31])
    styles = _Styles(ws)
    _setup_sheet(ws, columns, header_rows=HEADER_ROW)
    _write_heading(ws, styles, columns, title, subtitle)
    column_styles = [_style_for(styles, column) for column in columns]
    written = 0
    for record in rows:
        written += 1
        cells = values(record, written)
        ws.append(
            [_cell(ws, value, style) for value, style in zip(cells, column_styles, strict=True)]
        )
    workbook.save(stream)
    return written


def _status_validation(columns: Sequence[Column], first: int, last: int) -> DataValidation | None:
    """A drop-down of the status labels on the status column, rows ``first``..``last``."""
    if STATUS not in columns:
        return None
    letter = get_column_letter(columns.index(STATUS) + 1)
    validation = DataValidation(
        type="list",
        formula1='"' + ",".join(status_labels()) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Status"),
        error=_("Choose a status from the list."),
    )
    validation.add(f"{letter}{first}:{letter}{max(last, first)}")
    return validation


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
    items = prepare_items(items_queryset, kind)
    if subtitle is None:
        subtitle = _("Exported on %(date)s") % {"date": today.isoformat()}

    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title=str(_("Ledger"))[:31])
    styles = _Styles(ws)
    _setup_sheet(ws, columns, header_rows=HEADER_ROW)
    _write_heading(ws, styles, columns, title, subtitle)

    totals = _ProjectTotals(today=today) if kind == LedgerKind.KEY_PROJECT else None
    column_styles = [_style_for(styles, column) for column in columns]
    rows = 0
    item: Any  # a LedgerItem with the selector's annotations
    for item in items.iterator(chunk_size=CHUNK_SIZE):
        row = []
        for column, style in zip(columns, column_styles, strict=True):
            if column.fmt == "light":
                style = styles.lights.get(item.light, style)
            row.append(_cell(ws, _value(column, item), style))
        ws.append(row)
        rows += 1
        if totals is not None:
            totals.add(item)
    if totals is not None:
        _write_project_totals(ws, styles, columns, totals, rows)
    validation = _status_validation(columns, FIRST_DATA_ROW, HEADER_ROW + rows)
    if validation is not None:
        ws.data_validations.append(validation)
    workbook.save(stream)
    return rows


def _write_project_totals(
    ws: Any, styles: _Styles, columns: Sequence[Column], totals: _ProjectTotals, rows: int
) -> None:
    """A 合计 row under the projects with the sums, then a line with the four rates."""
    values: dict[str, Any] = {
        "code": str(_("Total")),
        "title": _("%(count)d projects") % {"count": rows},
        "planned_investment": float(totals.planned),
        "funds_in_place": float(totals.funds),
        "investment_completed": float(totals.invested),
        "funds_rate": totals.rates()["funds"],
        "investment_rate": totals.rates()["investment"],
    }
    row = []
    for column in columns:
        value = values.get(column.key)
        style = _style_for(styles, column) if column.fmt in ("money", "rate") else styles.total
        row.append(_cell(ws, value, style))
    ws.append(row)
    rates = totals.rates()

    def pct(value: float | None) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    line = _(
        "Start rate %(start)s · funds in place rate %(funds)s · investment completion rate "
        "%(investment)s · on-time completion rate %(on_time)s"
    ) % {key: pct(value) for key, value in rates.items()}
    last = get_column_letter(len(columns))
    summary_row = HEADER_ROW + rows + 2
    ws.merged_cells.add(f"A{summary_row}:{last}{summary_row}")
    ws.append([_cell(ws, line, styles.subtitle)])


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
    workbook = Workbook(write_only=True)
    ws = workbook.create_sheet(title=str(_("Ledger"))[:31])
    lists = workbook.create_sheet(title="lists")
    lists.sheet_state = "hidden"
    styles = _Styles(ws)
    _setup_sheet(ws, columns, header_rows=HEADER_ROW)
    ws.row_dimensions[SUBTITLE_ROW].height = 48
    _write_heading(ws, styles, columns, title, notes)
    row = []
    for column in columns:
        row.append(_cell(ws, example.get(column.key), _style_for(styles, column)))
    ws.append(row)
    last_row = HEADER_ROW + TEMPLATE_ROWS
    validation = _status_validation(columns, FIRST_DATA_ROW, last_row)
    if validation is not None:
        ws.data_validations.append(validation)
    count = 0
    for name in unit_names:
        lists.append([text_cell(lists, name)])
        count += 1
    if count:
        letter = get_column_letter(columns.index(UNIT) + 1)
        units = DataValidation(
            type="list",
            formula1=f"lists!$A$1:$A${count}",
            allow_blank=True,
            showErrorMessage=False,  # a unit can also be written by short name or code
        )
        units.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
        ws.data_validations.append(units)
    workbook.save(stream)
