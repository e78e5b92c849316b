"""Excel in: an uploaded workbook is refused, or checked row by row, then applied whole.

1. **Refuse** (:func:`inspect_workbook_file`), before any spreadsheet parsing and before
   anything is stored: files over ``LEDGER_IMPORT_MAX_BYTES``; anything that is not a zip
   with a spreadsheet's ``[Content_Types].xml`` (old .xls, renamed text, Word files, macro
   workbooks); zip bombs (the sum of the declared uncompressed sizes and the number of
   parts, read from the central directory; zipfile never inflates past a part's declared
   size and then fails its CRC, so a lying header cannot get more past us); XML bombs (any
   part declaring a DOCTYPE or entity, which Excel never writes; openpyxl also parses
   through defusedxml, which is installed, and refuses them again).
2. **Check** (:func:`check_workbook`): find the header row by its column names (a title row
   may sit above it), read every row, and list each problem with its row, column and what
   is wrong, in the uploader's language. Units are matched by name, short name or code
   within the uploader's jurisdiction; lead departments and responsible people through the
   campaign's responsibility chains. A row whose 序号 exists in the ledger updates that
   item (as ``ledger_item_update`` would: never its deadline); other rows add items.
3. **Apply** (:func:`import_job_apply`): the same check again, then every row through the
   services in one transaction, or nothing at all. Progress goes to the cache (the
   transaction hides it from other connections until it commits).
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO, Any

import pghistory
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as safe_fromstring
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from accounts.jurisdiction import Jurisdiction, jurisdiction_for
from accounts.models import Unit, User
from campaign.models import ResponsibilityChain
from campaign.selectors import chain_list

from . import rules, services
from .exports import LEDGER, Column, columns_for, import_columns, normalise_newlines
from .models import (
    OPEN_STATUSES,
    ImportJob,
    ImportStatus,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerKind,
    Measure,
)

logger = logging.getLogger(__name__)

OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
ZIP_SIGNATURE = b"PK\x03\x04"
SHEET_MAIN_TYPES = {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
}
MACRO_MAIN_TYPE = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
XML_DECLARATIONS = (b"<!DOCTYPE", b"<!ENTITY")
SCAN_CHUNK = 1 << 16
HEADER_SCAN_ROWS = 20  # the header row is looked for among the first rows
SHOWN_CHANGES = 200  # changes listed on the preview (the counts cover every row)
PROGRESS_EVERY = 50  # rows between two progress reports


class ImportRefused(Exception):
    """The file is refused as a whole; ``message`` tells the user why. Nothing is stored."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# --- 1. refusing bad files --------------------------------------------------------------------
def _megabytes(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


NOT_XLSX = gettext_lazy(
    "This is not an Excel workbook (.xlsx). Download the template, fill it in and upload it."
)


def inspect_workbook_file(fileobj: IO[bytes], *, size: int) -> None:
    """Raise :class:`ImportRefused` unless ``fileobj`` is a plain .xlsx within the limits.

    Looks at the bytes only (never the file name), reads the zip's central directory and
    scans each part for DTD declarations; no spreadsheet parser has seen the file yet.
    """
    limit = settings.LEDGER_IMPORT_MAX_BYTES
    if size > limit:
        raise ImportRefused(
            _("The file is %(size)s; files up to %(limit)s are accepted.")
            % {"size": _megabytes(size), "limit": _megabytes(limit)}
        )
    if size == 0:
        raise ImportRefused(_("The file is empty."))
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if head.startswith(OLE_SIGNATURE):
        raise ImportRefused(
            _(
                "This is an old Excel 97-2003 (.xls) file or a workbook with a password. "
                "Save it in Excel as “Excel workbook (.xlsx)” without a password and upload "
                "it again."
            )
        )
    if not head.startswith(ZIP_SIGNATURE):
        raise ImportRefused(str(NOT_XLSX))
    try:
        archive = zipfile.ZipFile(fileobj)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise ImportRefused(_("The file is damaged and cannot be read as a workbook.")) from exc
    with archive:
        _inspect_archive(archive)
    fileobj.seek(0)


def _inspect_archive(archive: zipfile.ZipFile) -> None:
    infos = archive.infolist()
    if len(infos) > settings.LEDGER_IMPORT_MAX_ZIP_ENTRIES:
        raise ImportRefused(
            _("The file holds %(count)d parts, more than a workbook ever has; refused.")
            % {"count": len(infos)}
        )
    expanded = sum(info.file_size for info in infos)
    if expanded > settings.LEDGER_IMPORT_MAX_UNCOMPRESSED_BYTES:
        raise ImportRefused(
            _(
                "The file would expand to %(size)s when opened (the limit is %(limit)s); "
                "refused as a possible zip bomb."
            )
            % {
                "size": _megabytes(expanded),
                "limit": _megabytes(settings.LEDGER_IMPORT_MAX_UNCOMPRESSED_BYTES),
            }
        )
    if any(info.flag_bits & 0x1 for info in infos):
        raise ImportRefused(_("The file is encrypted; save it without a password."))
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names:
        raise ImportRefused(str(NOT_XLSX))
    for info in infos:
        _scan_part(archive, info)
    try:
        types = safe_fromstring(archive.read("[Content_Types].xml"))
    except DefusedXmlException as exc:
        raise _xml_bomb() from exc
    except Exception as exc:  # ParseError and friends: not a workbook's manifest
        raise ImportRefused(str(NOT_XLSX)) from exc
    content_types = {element.get("ContentType", "") for element in types.iter()}
    if MACRO_MAIN_TYPE in content_types:
        raise ImportRefused(
            _("Workbooks with macros (.xlsm) are not accepted; save it as .xlsx without macros.")
        )
    if not content_types & SHEET_MAIN_TYPES:
        raise ImportRefused(str(NOT_XLSX))


def _xml_bomb() -> ImportRefused:
    return ImportRefused(
        _(
            "The file contains XML entity declarations, which Excel never writes; it is "
            "refused for safety (possible XML bomb)."
        )
    )


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Inflate one part in chunks (at most its declared size) looking for DTD declarations."""
    tail = b""
    try:
        with archive.open(info) as part:
            while chunk := part.read(SCAN_CHUNK):
                window = tail + chunk
                if any(marker in window for marker in XML_DECLARATIONS):
                    raise _xml_bomb()
                tail = window[-16:]
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, NotImplementedError, OSError, EOFError, RuntimeError) as exc:
        raise ImportRefused(_("The file is damaged and cannot be read as a workbook.")) from exc


def inspect_upload(upload: UploadedFile) -> None:
    """:func:`inspect_workbook_file` for an uploaded file."""
    assert upload.file is not None  # an uploaded file always has one
    inspect_workbook_file(upload.file, size=upload.size or 0)


# --- 2. reading and checking rows --------------------------------------------------------------
def normalise(text: Any) -> str:
    """A name as compared: full-width folded, without spaces, marks of required, or case."""
    folded = unicodedata.normalize("NFKC", str(text or ""))
    return re.sub(r"[\s*＊:：]", "", folded).lower()


# Headers people write for the same column, beside the labels in either language.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "code": ("序号", "编号", "no", "number", "#"),
    "ledger": ("台账", "所属台账", "台账名称"),
    "title": ("事项", "任务", "事项名称", "任务名称", "工作任务", "重点任务", "项目名称"),
    "unit": ("责任单位", "责任主体", "主体单位", "承办单位"),
    "lead_department": ("牵头部门", "牵头单位"),
    "responsible_person": ("责任人", "具体责任人"),
    "start_date": ("开始时间", "开始日期", "起始时间"),
    "deadline": ("完成时限", "完成时间", "截止时间", "截止日期", "办结时限"),
    "status": ("状态", "完成状态", "推进状态"),
    "progress": ("进度", "完成进度", "进度(%)", "进度%"),
    "light": ("红黄绿灯", "亮灯", "灯色", "预警"),
    "latest_report": ("最新进展", "进展情况", "工作进展"),
    "measures": ("工作措施", "具体措施", "措施"),
    "measure_list": ("攻坚措施", "措施", "具体措施"),
    "symptom": ("问题表现", "问题描述", "具体问题"),
    "rectification": ("整改措施",),
    "petition_source": ("来源", "案件来源", "信访来源"),
    "petitioner_demand": ("诉求", "信访诉求", "反映问题"),
    "handling_result": ("办理结果", "办理情况"),
}

# Status words people use beside the labels.
STATUS_ALIASES: dict[str, str] = {
    "未开始": ItemStatus.NOT_STARTED,
    "未启动": ItemStatus.NOT_STARTED,
    "进行中": ItemStatus.IN_PROGRESS,
    "推进中": ItemStatus.IN_PROGRESS,
    "正在推进": ItemStatus.IN_PROGRESS,
    "已完成": ItemStatus.COMPLETED,
    "完成": ItemStatus.COMPLETED,
    "已办结": ItemStatus.COMPLETED,
    "已销号": ItemStatus.SIGNED_OFF,
    "销号": ItemStatus.SIGNED_OFF,
    "暂缓": ItemStatus.SUSPENDED,
    "暂停": ItemStatus.SUSPENDED,
    "已取消": ItemStatus.CANCELLED,
    "取消": ItemStatus.CANCELLED,
}

EXAMPLE_MARKERS = {"示例", "例", "example"}
TOTAL_MARKERS = {"合计", "总计", "total"}

DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$"
)
COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
# Excel serial numbers of 1990-01-01 and 2099-12-31: a plain number in a date column.
EXCEL_SERIALS = (32874, 73050)
EXCEL_EPOCH = date(1899, 12, 30)
MEASURE_NUMBER = re.compile(r"^\s*(?:\d+\s*[.、．)）]|[（(]\d+[）)])\s*")


def _labels_in_all_languages(column: Column) -> set[str]:
    names = set()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names.add(normalise(column.label))
    return names


def header_names(kind: str) -> dict[str, Column]:
    """Normalised header text -> column, for the columns a sheet of ``kind`` may have."""
    names: dict[str, Column] = {}
    exported = columns_for(kind, ledger_column=True)
    for column in exported:
        for name in (*HEADER_ALIASES.get(column.key, ()), *_labels_in_all_languages(column)):
            names.setdefault(normalise(name), column)
    return names


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
class RowPlan:
    """What applying does with one row."""

    row: int
    action: str  # "create", "update" or "unchanged"
    code: str
    title: str
    item: LedgerItem | None = None
    values: dict[str, Any] = field(default_factory=dict)  # create: every field
    changes: dict[str, Any] = field(default_factory=dict)  # update: changed fields
    report: tuple[int, str] | None = None  # update: progress (percent, text) to report
    measure_texts: list[str] = field(default_factory=list)
    described: list[tuple[str, str, str]] = field(default_factory=list)  # label, old, new


@dataclass
class CheckResult:
    """Everything the preview shows and applying needs."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rows: list[RowPlan] = field(default_factory=list)
    header_row: int | None = None
    total_rows: int = 0
    skipped_examples: int = 0
    unknown_units: set[str] = field(default_factory=set)
    unknown_people: set[str] = field(default_factory=set)
    existing_codes: set[str] = field(default_factory=set)  # numbers used in the ledger

    def count(self, action: str) -> int:
        """Rows planned for ``action``."""
        return sum(1 for row in self.rows if row.action == action)


def _index_units(units: list[Unit]) -> dict[str, list[Unit]]:
    index: dict[str, list[Unit]] = {}
    for unit in units:
        for key in {normalise(unit.name), normalise(unit.short_name), normalise(unit.code)}:
            if key:
                index.setdefault(key, []).append(unit)
    return index


def _display(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, Unit):
        return value.name
    if isinstance(value, ResponsibilityChain):
        return f"{value.lead_department.name} · {value.responsible_person.name}"
    return str(value)


class Checker:
    """Reads the rows of one workbook against one ledger, for one user.

    Four queries whatever the row count: the units the user may see, the campaign's
    chains (and their cooperating departments), the ledger's items with their measures.
    """

    def __init__(self, *, ledger: Ledger, user: User) -> None:
        self.ledger = ledger
        self.user = user
        self.j: Jurisdiction = jurisdiction_for(user)
        self.kind = ledger.kind
        self.columns = header_names(self.kind)
        self.result = CheckResult()
        units = list(self.j.units())
        self.units = _index_units(units)
        self.chains = list(chain_list(user=user, campaign=ledger.campaign).order_by("pk"))
        self.departments = _index_units([c.lead_department for c in self.chains])
        self.people: dict[str, set[int]] = {}
        for chain in self.chains:
            person = chain.responsible_person
            for key in {normalise(person.name), normalise(person.username)}:
                if key:
                    self.people.setdefault(key, set()).add(person.pk)
        items = LedgerItem.objects.filter(ledger=ledger).select_related(
            "unit", "chain__lead_department", "chain__responsible_person", "ledger__campaign"
        )
        self.existing = {item.code: item for item in items}
        self.result.existing_codes = set(self.existing)
        self.measures: dict[int, list[str]] = {}
        if self.kind == LedgerKind.HARD_PROBLEM:
            for measure in Measure.objects.filter(item__ledger=ledger).order_by(
                "item", "sort_order", "pk"
            ):
                self.measures.setdefault(measure.item_id, []).append(measure.text)
        self.seen_codes: dict[str, int] = {}
        self.statuses = self._status_words()
        self.ledger_title = normalise(ledger.title)
        self.importable = {c.key: c for c in import_columns(self.kind)}
        self.label_of = {key: str(c.label) for key, c in self.importable.items()}
        self.footer = False  # past the 合计 row: notes, not items
        self.row_start = 0  # problems recorded before the current row
        self.label_of["ledger"] = str(LEDGER.label)

    # --- problems --------------------------------------------------------------------------
    def problem(self, row: int | None, key: str, message: str) -> None:
        """Record a problem at ``row`` in the column of ``key``."""
        self.result.problems.append(Problem(row, self.label_of.get(key, key), message))

    @staticmethod
    def _status_words() -> dict[str, str]:
        words = {normalise(k): v for k, v in STATUS_ALIASES.items()}
        for value, label in ItemStatus.choices:
            words[normalise(value)] = value
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    words[normalise(label)] = value
        return words

    # --- the sheet ---------------------------------------------------------------------------
    def find_header(self, rows: Iterator[tuple[int, tuple[Any, ...]]]) -> dict[int, Column]:
        """Column positions from the first row that reads like a header (else {})."""
        for number, cells in rows:
            found: dict[int, Column] = {}
            for position, cell in enumerate(cells):
                column = self.columns.get(normalise(_cell_value(cell)))
                if column is not None:
                    found[position] = column
            keys = {c.key for c in found.values()}
            if len(keys) >= 3 or (len(keys) >= 2 and "title" in keys):
                self.result.header_row = number
                duplicated = {c.key for c in found.values() if list(found.values()).count(c) > 1}
                for key in sorted(duplicated):
                    self.problem(number, key, _("This column appears twice in the header row."))
                unknown = [
                    str(_cell_value(cell)).strip()
                    for position, cell in enumerate(cells)
                    if position not in found and _cell_value(cell) not in (None, "")
                ]
                if unknown:
                    self.result.warnings.append(
                        _("These columns are not imported: %(names)s.")
                        % {"names": "、".join(unknown)}
                    )
                return found
            if number >= HEADER_SCAN_ROWS:
                break
        return {}

    def check(self, rows: Iterator[tuple[int, tuple[Any, ...]]], progress: Progress) -> None:
        """Check every row after the header."""
        header = self.find_header(rows)
        if not header:
            names = "、".join(str(c.label) for c in import_columns(self.kind) if c.required)
            self.result.problems.append(
                Problem(
                    None,
                    "",
                    _(
                        "No header row found in the first %(count)d rows: the sheet needs "
                        "columns named as in the template (%(names)s, …)."
                    )
                    % {"count": HEADER_SCAN_ROWS, "names": names},
                )
            )
            return
        present = {c.key for c in header.values()}
        for column in import_columns(self.kind):
            if column.required and column.key not in present:
                self.result.problems.append(
                    Problem(
                        self.result.header_row,
                        str(column.label),
                        _("The required column “%(name)s” is missing.") % {"name": column.label},
                    )
                )
        if any(p.row == self.result.header_row for p in self.result.problems):
            return
        limit = settings.LEDGER_IMPORT_MAX_ROWS
        for number, cells in rows:
            if self.footer:
                break
            values = {
                column.key: cells[position]
                for position, column in header.items()
                if position < len(cells) and (column.key == "ledger" or not column.computed)
            }
            if all(_cell_value(v) in (None, "") for v in values.values()):
                continue
            self.result.total_rows += 1
            if self.result.total_rows > limit:
                self.result.problems.append(
                    Problem(
                        number,
                        "",
                        _("More than %(limit)d rows: split the file and import it in parts.")
                        % {"limit": limit},
                    )
                )
                return
            self.check_row(number, values)
            progress(self.result.total_rows)

    # --- one row -----------------------------------------------------------------------------
    def check_row(self, row: int, cells: dict[str, Any]) -> None:
        """Parse one row; record its problems or its plan."""
        before = len(self.result.problems)
        code = _text(cells.get("code")).strip()
        if normalise(code) in EXAMPLE_MARKERS:
            self.result.total_rows -= 1
            self.result.skipped_examples += 1
            return
        if normalise(code) in TOTAL_MARKERS:
            self.result.total_rows -= 1
            self.footer = True
            return
        if "ledger" in cells:
            written = normalise(_text(cells["ledger"]))
            if written and written != self.ledger_title:
                self.problem(
                    row,
                    "ledger",
                    _("This row belongs to the ledger “%(other)s”, not “%(this)s”.")
                    % {"other": _text(cells["ledger"]).strip(), "this": self.ledger.title},
                )
        values: dict[str, Any] = {}
        for key, cell in cells.items():
            parsed = self.parse(row, key, cell)
            if parsed is not _INVALID:
                values[key] = parsed
        if code:
            if len(code) > 20:
                self.problem(row, "code", _("A number has at most 20 characters."))
            elif code in self.seen_codes:
                self.problem(
                    row,
                    "code",
                    _("The number %(code)s is already used in row %(row)d of this file.")
                    % {"code": code, "row": self.seen_codes[code]},
                )
            else:
                self.seen_codes[code] = row
        unit = values.get("unit")
        chain = self.match_chain(row, values, unit)
        if unit is None:  # a required column: its problem is recorded already
            return
        # Go on with a row that already has problems: every problem of it is listed, but
        # only a row without any is planned.
        self.row_start = before
        chain = None if chain is _INVALID else chain
        existing = self.existing.get(code) if code else None
        if existing is None:
            self.plan_create(row, code, values, unit, chain)
        else:
            self.plan_update(row, existing, values, unit, chain)

    def parse(self, row: int, key: str, cell: Any) -> Any:
        """The value of one cell for ``key`` (``_INVALID`` after recording a problem)."""
        value = _cell_value(cell)
        column = self.importable.get(key)
        if column is None:
            return _INVALID
        empty = value is None or (isinstance(value, str) and not value.strip())
        if empty:
            if column.required:
                self.problem(row, key, _("This column must be filled in."))
                return _INVALID
            return None if column.fmt in ("date", "money", "percent", "status") else ""
        fmt = column.fmt
        try:
            if fmt == "date":
                return parse_date(value)
            if fmt == "percent":
                return parse_percent(value, getattr(cell, "number_format", "") or "")
            if fmt == "money":
                return parse_money(value)
            if fmt == "status":
                return self.parse_status(value)
            if fmt == "unit":
                return self.match_unit(value)
            if fmt == "measures":
                return [
                    MEASURE_NUMBER.sub("", line).strip()
                    for line in _text(value).splitlines()
                    if line.strip()
                ]
        except ValueError as exc:
            self.problem(row, key, str(exc))
            if fmt == "unit":
                self.result.unknown_units.add(_text(value).strip())
            return _INVALID
        text = _text(value).strip()
        if key == "title" and len(text) > 300:
            self.problem(row, key, _("At most 300 characters (this has %(n)d).") % {"n": len(text)})
            return _INVALID
        return text

    def parse_status(self, value: Any) -> str:
        """A status from its label (either language), its value or a common synonym."""
        status = self.statuses.get(normalise(value))
        if status is None:
            raise ValueError(
                _("“%(value)s” is not a status; use one of: %(choices)s.")
                % {"value": _text(value), "choices": "、".join(str(x) for x in ItemStatus.labels)}
            )
        return status

    def match_unit(self, value: Any) -> Unit:
        """The unit named (name, short name or code) within the user's jurisdiction."""
        name = _text(value).strip()
        found = self.units.get(normalise(name), [])
        if not found:
            raise ValueError(
                _(
                    "Unknown unit “%(name)s”: no unit within your jurisdiction has this name, "
                    "short name or code."
                )
                % {"name": name}
            )
        if len(found) > 1:
            raise ValueError(
                _("“%(name)s” names several units (%(units)s); write the full name or the code.")
                % {"name": name, "units": "、".join(u.name for u in found[:5])}
            )
        return found[0]

    def match_chain(self, row: int, values: dict[str, Any], unit: Unit | None) -> Any:
        """The responsibility chain named by lead department and responsible person."""
        department = _text(values.get("lead_department")).strip()
        person = _text(values.get("responsible_person")).strip()
        if not department and not person:
            return None
        departments = self.departments.get(normalise(department), []) if department else []
        people = self.people.get(normalise(person), set()) if person else set()
        if department and not departments:
            self.result.unknown_units.add(department)
            self.problem(
                row,
                "lead_department",
                _(
                    "Unknown lead department “%(name)s”: no responsibility chain of this "
                    "campaign has it."
                )
                % {"name": department},
            )
        if person and not people:
            self.result.unknown_people.add(person)
            self.problem(
                row,
                "responsible_person",
                _(
                    "Unknown responsible person “%(name)s”: nobody of that name or user name "
                    "answers for a chain of this campaign."
                )
                % {"name": person},
            )
        if (department and not departments) or (person and not people):
            return _INVALID
        department_ids = {d.pk for d in departments}
        candidates = [
            chain
            for chain in self.chains
            if (not department or chain.lead_department_id in department_ids)
            and (not person or chain.responsible_person_id in people)
        ]
        if not candidates:
            self.problem(
                row,
                "responsible_person",
                _(
                    "No responsibility chain of this campaign has %(person)s as the responsible "
                    "person of %(department)s."
                )
                % {"person": person, "department": department},
            )
            return _INVALID
        title = _text(values.get("title")).strip()
        candidates.sort(
            key=lambda c: (
                unit is None or c.unit_id != unit.pk,
                c.subject != title,
                c.pk,
            )
        )
        return candidates[0]

    # --- plans ---------------------------------------------------------------------------------
    def _row_has_problems(self) -> bool:
        return len(self.result.problems) > self.row_start

    def _can_create(self, unit: Unit) -> bool:
        return rules.can_create_item(self.user, self.ledger, unit)

    def plan_create(
        self,
        row: int,
        code: str,
        values: dict[str, Any],
        unit: Unit,
        chain: Any,
    ) -> None:
        """A new item: permission, dates and the model's own validation."""
        if any(values.get(key) in (None, "") for key in ("title", "start_date", "deadline")):
            return  # required and unreadable: already a problem
        if not self._can_create(unit):
            self.problem(
                row, "unit", _("You may not add items of %(unit)s to this ledger.") % {"unit": unit}
            )
            return
        status = values.get("status") or ItemStatus.NOT_STARTED
        if status == ItemStatus.SIGNED_OFF:
            self.problem(
                row,
                "status",
                _("A new item cannot be signed off: sign-off is requested and verified."),
            )
            return
        fields = {
            key: value
            for key, value in values.items()
            if key in services.ITEM_FIELDS and value is not None
        }
        fields.pop("chain", None)
        report = None
        percent = values.get("progress") or 0
        text = (values.get("latest_report") or "").strip()
        if rules.is_office_over(self.user, unit):
            # The office's own ledger: what it writes is its finding, not a unit's claim.
            fields.update(status=status, progress=percent, latest_report=text)
        elif status not in (ItemStatus.NOT_STARTED, ItemStatus.IN_PROGRESS):
            self.problem(
                row,
                "status",
                _(
                    "Only the campaign office sets a new item as %(status)s; leave the status "
                    "blank, and ask for sign-off, suspension or cancellation on the item's page."
                )
                % {"status": ItemStatus(status).label},
            )
            return
        elif percent or text:
            if not text:
                self.problem(
                    row,
                    "latest_report",
                    _("Say what was done (latest progress) when the progress changes."),
                )
                return
            # A unit's figure waits for the office as a progress report on the new item.
            report = (percent, text)
        candidate = LedgerItem(
            ledger=self.ledger,
            kind=self.ledger.kind,
            unit=unit,
            code=code or "0",
            chain=chain,
            start_date=values["start_date"],
            deadline=values["deadline"],
            **fields,
        )
        if not self._validate(row, candidate) or self._row_has_problems():
            return
        self.result.rows.append(
            RowPlan(
                row=row,
                action="create",
                code=code,
                title=values["title"],
                values={
                    "unit": unit,
                    "chain": chain,
                    "start_date": values["start_date"],
                    "deadline": values["deadline"],
                    **fields,
                },
                report=report,
                measure_texts=list(values.get("measure_list") or []),
            )
        )

    def plan_update(
        self,
        row: int,
        item: LedgerItem,
        values: dict[str, Any],
        unit: Unit,
        chain: Any,
    ) -> None:
        """An existing item: what differs, through ``ledger_item_update``'s rules."""
        before = len(self.result.problems)
        if not self.j.can_manage(item.unit):
            self.problem(
                row,
                "code",
                _("The number %(code)s belongs to an item of this ledger that you may not change.")
                % {"code": item.code},
            )
            return
        if unit.pk != item.unit_id:
            self.problem(
                row,
                "unit",
                _(
                    "Item %(code)s belongs to %(old)s; its responsible unit is not changed by "
                    "import."
                )
                % {"code": item.code, "old": item.unit.name},
            )
        if values.get("deadline") and values["deadline"] != item.deadline:
            self.problem(
                row,
                "deadline",
                _(
                    "The deadline of item %(code)s is %(old)s: a deadline changes only through an "
                    "approved extension request."
                )
                % {"code": item.code, "old": item.deadline},
            )
        if values.get("start_date") and values["start_date"] != item.start_date:
            self.problem(
                row,
                "start_date",
                _("The start date of item %(code)s is %(old)s and is not changed by import.")
                % {"code": item.code, "old": item.start_date},
            )
        if "measure_list" in values and values["measure_list"] != self.measures.get(item.pk, []):
            self.result.warnings.append(
                _(
                    "Row %(row)d: the measures of item %(code)s are changed on its page, not by "
                    "import; they stay as they are."
                )
                % {"row": row, "code": item.code}
            )
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key in ("progress", "latest_report", "status"):
                continue
            if key in services.ITEM_FIELDS and not _same(value, getattr(item, key)):
                changes[key] = value
        if chain is not None and chain is not _INVALID and chain != item.chain:
            changes["chain"] = chain
        report = None
        percent = values.get("progress")
        text = values.get("latest_report")
        # Compared with what the item shows: the figure waiting for review, else the
        # accepted one (a re-imported workbook does not report the same thing twice).
        shown = item.progress if item.pending_progress is None else item.pending_progress
        if item.pending_progress is not None:
            progress_changed = percent is not None and percent != shown
        else:
            progress_changed = (percent is not None and percent != shown) or bool(
                text and not _same(text, item.latest_report)
            )
        status = values.get("status")
        if progress_changed:
            if item.status not in (*OPEN_STATUSES, ItemStatus.COMPLETED):
                self.problem(
                    row,
                    "progress",
                    _("Item %(code)s is %(status)s: progress is reported only on open items.")
                    % {"code": item.code, "status": item.get_status_display()},
                )
            elif not (text or "").strip():
                self.problem(
                    row,
                    "latest_report",
                    _("Say what was done (latest progress) when the progress changes."),
                )
            else:
                report = (item.progress if percent is None else percent, text or "")
        under_review = report is not None or item.pending_progress is not None
        if (
            status is not None
            and status != item.status
            and not (status == ItemStatus.IN_PROGRESS and under_review)
        ):
            # Offices' workbooks carry a status column; it is read, never written: a status
            # follows reviewed progress, sign-off and the office's decisions.
            self.result.warnings.append(
                _(
                    "Row %(row)d: item %(code)s is %(status)s; a status changes through "
                    "accepted progress, a verified sign-off, or a suspension or cancellation "
                    "request on the item's page, not by import, so it stays as it is."
                )
                % {"row": row, "code": item.code, "status": item.get_status_display()}
            )
        if len(self.result.problems) > before:
            return
        candidate = LedgerItem(
            **{f.attname: getattr(item, f.attname) for f in LedgerItem._meta.concrete_fields}
        )
        candidate.ledger = item.ledger  # loaded: clean() must not query
        candidate.chain = item.chain
        for key, value in changes.items():
            setattr(candidate, key, value)
        if not self._validate(row, candidate) or self._row_has_problems():
            return
        described = [
            (self.label_of.get(key, key), _display(getattr(item, key)), _display(value))
            for key, value in changes.items()
        ]
        if report is not None:
            if report[0] != shown:
                described.append((self.label_of["progress"], f"{shown}%", f"{report[0]}%"))
            if not _same(report[1], item.latest_report):
                described.append(
                    (self.label_of["latest_report"], _display(item.latest_report), report[1])
                )
        self.result.rows.append(
            RowPlan(
                row=row,
                action="update" if changes or report else "unchanged",
                code=item.code,
                title=item.title,
                item=item,
                changes=changes,
                report=report,
                described=described,
            )
        )

    def _validate(self, row: int, candidate: LedgerItem) -> bool:
        """The model's field checks and clean(), without a query (relations are loaded)."""
        problems = []
        if candidate.deadline < candidate.start_date:
            problems.append(("deadline", _("The deadline is before the start date.")))
        try:
            candidate.full_clean(
                exclude=["ledger", "unit", "chain", "source_meeting", "signed_off_by", "code"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as exc:
            for name, messages in exc.message_dict.items():
                if name == "deadline" and problems:
                    continue
                problems.extend((name, message) for message in messages)
        for name, message in problems:
            self.problem(row, name if name in self.label_of else "", message)
        return not problems


def _same(new: Any, old: Any) -> bool:
    """Whether a cell says what the item holds: blank is blank, line ends are line ends."""
    if isinstance(new, str) or isinstance(old, str):
        return normalise_newlines(new or "") == normalise_newlines(old or "")
    return bool(new == old)


class _Invalid:
    """Marks a cell that could not be read (its problem is already recorded)."""


_INVALID: Any = _Invalid()

Progress = Callable[[int], None]


def _no_progress(done: int) -> None:
    return None


def _cell_value(cell: Any) -> Any:
    return getattr(cell, "value", cell)


def _text(value: Any) -> str:
    value = _cell_value(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if not value.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


DATE_HELP = gettext_lazy("write it as 2022-06-30, 2022/6/30, 2022.6.30 or 2022年6月30日")


def parse_date(value: Any) -> date:
    """An Excel date, or a date written as 2022-06-30, 2022/6/30, 2022.6.30 or 2022年6月30日."""
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
        raise ValueError(
            _("“%(value)s” is not a date: %(help)s.") % {"value": _text(value), "help": DATE_HELP}
        )
    text = unicodedata.normalize("NFKC", str(value)).strip()
    match = DATE_TEXT.match(text) or COMPACT_DATE.match(text)
    if not match:
        raise ValueError(
            _("“%(value)s” is not a date: %(help)s.") % {"value": text, "help": DATE_HELP}
        )
    year, month, day = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError as exc:
        raise ValueError(_("%(value)s is not a day of the calendar.") % {"value": text}) from exc


def _scales_by_100(number_format: str) -> bool:
    """Whether Excel shows a number ×100 in this format: a % outside quotes and escapes
    (``0%`` does, ``0"%"`` – how the export writes progress – does not)."""
    plain = re.sub(r'"[^"]*"|\\.', "", number_format)
    return "%" in plain


def parse_percent(value: Any, number_format: str = "") -> int:
    """Progress as a whole percentage 0–100: 60, "60", "60%" or 0.6 in a cell shown as %."""
    original = _text(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = Decimal(str(value))
        if _scales_by_100(number_format):
            number *= 100
    else:
        text = unicodedata.normalize("NFKC", str(value)).strip().rstrip("%").strip()
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = Decimal("NaN")
    if number.is_nan() or number != number.to_integral_value() or not 0 <= number <= 100:
        raise ValueError(
            _("Progress “%(value)s” must be a whole number from 0 to 100 (a %% sign is fine).")
            % {"value": original}
        )
    return int(number)


def parse_money(value: Any) -> Decimal:
    """An amount in 10,000 yuan, not negative, kept to two decimals."""
    original = _text(value)
    text = unicodedata.normalize("NFKC", original).replace(",", "").replace("万元", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        number = Decimal("NaN")
    if number.is_nan() or number < 0 or number.is_infinite():
        raise ValueError(
            _("“%(value)s” is not an amount (in 10,000 yuan, not negative).") % {"value": original}
        )
    return number.quantize(Decimal("0.01"))


def read_sheet(fileobj: IO[bytes]) -> tuple[Any, Iterator[tuple[int, tuple[Any, ...]]]]:
    """The workbook (close it when done) and its first sheet's rows as (number, cells)."""
    workbook = load_workbook(fileobj, read_only=True, data_only=True)
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # a wrong <dimension> must not cut rows off

    return workbook, enumerate(sheet.iter_rows(), 1)


def estimated_rows(fileobj: IO[bytes]) -> int:
    """The row count the first sheet declares (0 when it does not say)."""
    workbook = load_workbook(fileobj, read_only=True, data_only=True)
    try:
        return workbook.worksheets[0].max_row or 0
    finally:
        workbook.close()


def _defused(exc: BaseException | None) -> bool:
    """Whether defusedxml refused something on the way to ``exc`` (openpyxl wraps it)."""
    while exc is not None:
        if isinstance(exc, DefusedXmlException):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


UNREADABLE = (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError)


def check_workbook(
    fileobj: IO[bytes], *, ledger: Ledger, user: User, progress: Progress = _no_progress
) -> CheckResult:
    """Check every row of the workbook against the ledger; nothing is written."""
    checker = Checker(ledger=ledger, user=user)
    workbook = None
    try:
        workbook, rows = read_sheet(fileobj)
        checker.check(rows, progress)
    except UNREADABLE as exc:  # DefusedXmlException is a ValueError too
        if _defused(exc):
            raise _xml_bomb() from exc
        raise ImportRefused(_("The file is damaged and cannot be read as a workbook.")) from exc
    finally:
        if workbook is not None:
            workbook.close()
    return checker.result


# --- 3. jobs: create, check, apply ------------------------------------------------------------
def progress_key(job_id: int) -> str:
    """Cache key of a running job's row count (the transaction hides the row's own)."""
    return f"ledger-import:{job_id}:done"


def job_progress(job: ImportJob) -> int:
    """Rows done so far by a checking or applying job."""
    done = cache.get(progress_key(job.pk))
    return int(done) if done is not None else job.processed_rows


def _reporter(job: ImportJob) -> Progress:
    def report(done: int) -> None:
        if done % PROGRESS_EVERY == 0:
            cache.set(progress_key(job.pk), done, timeout=3600)

    return report


def can_import(user: User, ledger: Ledger) -> bool:
    """Whoever may add items to the ledger for some unit: its owner's managers, or anyone
    who manages a unit (rows are then checked unit by unit)."""
    j = jurisdiction_for(user)
    return j.can_manage(ledger.owner_unit) or not j.is_read_only


@transaction.atomic
def import_job_create(*, actor: User, ledger: Ledger, upload: UploadedFile) -> ImportJob:
    """Refuse a bad file (:class:`ImportRefused`, nothing stored) or store it under a random
    name as a job waiting to be checked."""
    if not can_import(actor, ledger):
        raise PermissionDenied(_("You may not import into this ledger."))
    inspect_upload(upload)
    job = ImportJob(
        ledger=ledger,
        created_by=actor,
        original_name=(upload.name or "")[:255],
        size=upload.size or 0,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        status=ImportStatus.CHECKING,
    )
    job.file.save("upload.xlsx", upload, save=False)
    job.save()
    return job


def _plan_json(result: CheckResult) -> dict[str, Any]:
    changes = [
        {
            "row": row.row,
            "action": row.action,
            "code": row.code or "",
            "title": row.title,
            "fields": row.described,
        }
        for row in result.rows
        if row.action != "unchanged"
    ][:SHOWN_CHANGES]
    return {
        "header_row": result.header_row,
        "create": result.count("create"),
        "update": result.count("update"),
        "unchanged": result.count("unchanged"),
        "examples": result.skipped_examples,
        "warnings": result.warnings,
        "unknown_units": sorted(result.unknown_units),
        "unknown_people": sorted(result.unknown_people),
        "versions": {
            str(row.item.pk): row.item.version for row in result.rows if row.item is not None
        },
        "changes": changes,
    }


def import_job_check(*, job: ImportJob) -> ImportJob:
    """Check the job's file; store its problems and plan (the preview). Writes no item."""
    with translation.override(job.language):
        try:
            with job.file.open("rb") as fileobj:
                result = check_workbook(
                    fileobj, ledger=job.ledger, user=job.created_by, progress=_reporter(job)
                )
        except ImportRefused as exc:
            return _finish(job, ImportStatus.FAILED, message=exc.message)
        if not result.rows and not result.problems:
            result.problems.append(Problem(None, "", _("The sheet has no rows to import.")))
        job.errors = [p.as_dict() for p in result.problems]
        job.plan = _plan_json(result)
        job.total_rows = result.total_rows
        job.processed_rows = result.total_rows
        job.status = ImportStatus.CHECKED
        job.save(update_fields=["errors", "plan", "total_rows", "processed_rows", "status"])
        cache.delete(progress_key(job.pk))
    return job


def import_job_start_apply(*, job: ImportJob, actor: User) -> bool:
    """Claim a checked, clean job for applying; False if it was not (anymore) applicable."""
    if job.created_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who uploaded the file applies it."))
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED, errors=[]).update(
        status=ImportStatus.APPLYING, processed_rows=0
    )
    job.refresh_from_db()
    return bool(claimed)


class _Abort(Exception):
    """Leave the transaction: the problems say why; nothing is kept."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def import_job_apply(*, job: ImportJob) -> ImportJob:
    """Check the file again and write every row through the services in one transaction;
    on any problem nothing is written and the job fails with the problems listed."""
    actor = job.created_by
    progress = _reporter(job)
    with translation.override(job.language):
        try:
            with transaction.atomic(), pghistory.context(import_job=job.pk):
                with job.file.open("rb") as fileobj:
                    result = check_workbook(fileobj, ledger=job.ledger, user=actor)
                if result.problems:
                    raise _Abort(result.problems)
                created, updated = _apply_rows(job, result, actor, progress)
                job.created_count, job.updated_count = created, updated
                job.processed_rows = result.total_rows
                _finish(job, ImportStatus.APPLIED)
        except _Abort as abort:
            job.errors = [p.as_dict() for p in abort.problems]
            return _finish(
                job,
                ImportStatus.FAILED,
                message=_("Nothing was saved: the rows below could not be written."),
            )
        except ImportRefused as exc:
            return _finish(job, ImportStatus.FAILED, message=exc.message)
        finally:
            cache.delete(progress_key(job.pk))
    return job


def _finish(job: ImportJob, status: str, *, message: str = "") -> ImportJob:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    job.save()
    return job


def _apply_rows(
    job: ImportJob, result: CheckResult, actor: User, progress: Progress
) -> tuple[int, int]:
    """Add the new rows in bulk, then update the others one by one through the services;
    collect every failure, then abort (the caller's transaction) if there was one."""
    versions: dict[str, int] = job.plan.get("versions", {})
    problems: list[Problem] = []
    creates = [plan for plan in result.rows if plan.action == "create"]
    updates = [plan for plan in result.rows if plan.action == "update"]
    created = updated = 0
    if creates:
        try:
            created = ledger_items_bulk_create(
                actor=actor,
                ledger=job.ledger,
                plans=creates,
                taken_codes=result.existing_codes,
                progress=progress,
            )
        except PermissionDenied as exc:
            problems.append(Problem(None, "", str(exc)))
        except ValidationError as exc:  # e.g. a number taken meanwhile by someone else
            problems.extend(Problem(None, "", m) for m in exc.messages)
        except DatabaseError as exc:
            logger.warning("import %s: new rows refused: %s", job.pk, exc)
            problems.append(
                Problem(
                    None,
                    "",
                    _("The database refused the new items; upload the file again to check it."),
                )
            )
    for done, plan in enumerate(updates, created + 1):
        progress(done)
        try:
            _update(plan, actor, versions)
            updated += 1
        except services.StaleEdit:
            problems.append(
                Problem(
                    plan.row,
                    "",
                    _(
                        "Item %(code)s was changed by someone else after the preview; upload "
                        "the file again to see the current state."
                    )
                    % {"code": plan.code},
                )
            )
        except ValidationError as exc:
            problems.extend(Problem(plan.row, "", m) for m in exc.messages)
        except PermissionDenied as exc:
            problems.append(Problem(plan.row, "", str(exc)))
        except DatabaseError as exc:  # a constraint the checks did not foresee
            logger.warning("import %s row %s: %s", job.pk, plan.row, exc)
            problems.append(Problem(plan.row, "", _("The database refused this row.")))
    if problems:
        raise _Abort(problems)
    return created, updated


def ledger_items_bulk_create(
    *,
    actor: User,
    ledger: Ledger,
    plans: Sequence[RowPlan],
    taken_codes: set[str] | None = None,
    progress: Progress = _no_progress,
) -> int:
    """Add the checked new rows through the one bulk service; return how many were added.

    A unit's progress figure for a new row becomes a progress report waiting for review.
    """
    specs = []
    for plan in plans:
        values = dict(plan.values)
        specs.append(
            services.NewItem(
                unit=values.pop("unit"),
                chain=values.pop("chain", None),
                title=values.pop("title"),
                start_date=values.pop("start_date"),
                deadline=values.pop("deadline"),
                code=plan.code,
                measure_texts=plan.measure_texts,
                fields=values,
            )
        )
    items = services.ledger_items_bulk_create(
        actor=actor, ledger=ledger, specs=specs, progress=progress
    )
    for item, plan in zip(items, plans, strict=True):
        if plan.report is not None:
            percent, text = plan.report
            services.ledger_item_report_progress(
                item=item, reporter=actor, percent=percent, text=text, expected_version=1
            )
    return len(items)


def _update(plan: RowPlan, actor: User, versions: dict[str, int]) -> None:
    item = plan.item
    assert item is not None
    expected = versions.get(str(item.pk))
    if expected is None:  # the item appeared after the preview
        raise services.StaleEdit(item)
    if plan.changes:
        item = services.ledger_item_update(
            actor=actor, item=item, expected_version=expected, **plan.changes
        )
        expected = item.version
    if plan.report is not None:
        percent, text = plan.report
        services.ledger_item_report_progress(
            item=item, reporter=actor, percent=percent, text=text, expected_version=expected
        )


def import_uploads_purge(*, keep_days: int, now: datetime | None = None) -> int:
    """Delete uploaded workbooks older than ``keep_days``; return how many were deleted.

    The jobs stay (who imported what, and how it went); only their files go. A preview that
    was never applied is closed as failed ("expired") so it can no longer be applied. Jobs
    being checked or applied are left alone. Each job is claimed with a conditional UPDATE,
    so two sweeps running at once delete each file once.
    """
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    finished = (ImportStatus.APPLIED, ImportStatus.FAILED, ImportStatus.CHECKED)
    stale = ImportJob.objects.filter(created_at__lt=cutoff, status__in=finished).exclude(file="")
    purged = 0
    for job in stale.only("pk", "file", "status").iterator():
        name = job.file.name or ""
        changes: dict[str, Any] = {"file": ""}
        if job.status == ImportStatus.CHECKED:
            changes.update(
                status=ImportStatus.FAILED,
                message=_("The uploaded file expired before it was applied."),
                finished_at=timezone.now(),
            )
        if ImportJob.objects.filter(pk=job.pk, file=name, status=job.status).update(**changes):
            job.file.storage.delete(name)
            purged += 1
    return purged
