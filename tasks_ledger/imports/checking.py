"""Checking rows: every row of the sheet read through the clerk's column mapping, against
one ledger, for one user; nothing is written.

Each problem is listed with its row, column and what is wrong, in the uploader's language,
and names the field a value failed in (未知责任单位, 未知牵头部门, 未知责任人…). Warnings (a
status word that is not imported, a probable duplicate) never stop an import.

- **Units** are matched by name, short name or code within the uploader's jurisdiction.
- **Chains**: the lead department, leader in charge and responsible person are matched
  among the campaign's chains the user may see (which include the chains of every item the
  user may see, whatever unit leads them) and the chains of the ledger's own items: a county
  re-imports its own export although the city leads its chains.
- **序号**: as this ledger's item numbers (a row with an existing number updates that item,
  as ``ledger_item_update`` would: never its deadline, unit or start) or as the sheet's own
  row numbers (every row is new). Unless the clerk chose, the first rows decide: when most
  numbers that exist in the ledger carry another title there, they are the sheet's own.
- **Defaults**: no start date is the day of import (or the deadline, if that is earlier); no
  responsible unit is the lead department, else the ledger's owner unit. The preview marks
  them as defaults.
- **Duplicates**: a new row whose title and unit match an open item of the ledger is a
  probable duplicate; unless the clerk says otherwise, applying leaves it out.
- **Status** words (整改中, 已完成…) are read and compared, never written: a status follows
  accepted progress, sign-off and the office's decisions.
- A sheet whose 台账 column names other ledgers (the mixed export) is refused with one
  problem naming them.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.jurisdiction import Jurisdiction, jurisdiction_for
from accounts.models import Unit, User
from campaign.models import ResponsibilityChain
from campaign.selectors import chain_list
from workbooks.checking import (
    CheckOutcome,
    Problem,
    Progress,
    RowChecker,
    no_progress,
    rows_message,
)
from workbooks.mapping import find_header
from workbooks.parsing import (
    Rows,
    Sheet,
    cell_text,
    cell_value,
    is_blank,
    normalise,
    parse_date,
    parse_percent,
)

from .. import rules, services
from ..exports import LONG_TERM as LONG_TERM_LABEL
from ..exports import normalise_newlines
from ..models import (
    OPEN_STATUSES,
    ImportNumbering,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerKind,
    Measure,
)
from .mapping import (
    COOPERATING,
    HEADER_SCAN_ROWS,
    REMARKS,
    ImportField,
    SheetColumn,
    import_fields,
    is_header_row,
    notes_field,
    sheet_columns,
)
from .parsing import LONG_TERM, parse_deadline, parse_money

logger = logging.getLogger(__name__)

SHOWN_ROWS = 200  # rows listed on the preview with every field (the counts cover all)
SUGGEST_ROWS = 200  # first data rows that decide what 序号 means, unless the clerk chose
TITLE_MAX = 300
CLOSED_STATUSES = (ItemStatus.SIGNED_OFF, ItemStatus.CANCELLED)

# Status words offices write beside the labels (整改进度, 完成情况…).
STATUS_ALIASES: dict[str, str] = {
    "未开始": ItemStatus.NOT_STARTED,
    "未启动": ItemStatus.NOT_STARTED,
    "未整改": ItemStatus.NOT_STARTED,
    "尚未启动": ItemStatus.NOT_STARTED,
    "进行中": ItemStatus.IN_PROGRESS,
    "推进中": ItemStatus.IN_PROGRESS,
    "正在推进": ItemStatus.IN_PROGRESS,
    "整改中": ItemStatus.IN_PROGRESS,
    "正在整改": ItemStatus.IN_PROGRESS,
    "持续整改": ItemStatus.IN_PROGRESS,
    "持续推进": ItemStatus.IN_PROGRESS,
    "长期坚持": ItemStatus.IN_PROGRESS,
    "序时推进": ItemStatus.IN_PROGRESS,
    "已完成": ItemStatus.COMPLETED,
    "完成": ItemStatus.COMPLETED,
    "已办结": ItemStatus.COMPLETED,
    "已整改": ItemStatus.COMPLETED,
    "整改完成": ItemStatus.COMPLETED,
    "已整改到位": ItemStatus.COMPLETED,
    "基本完成": ItemStatus.IN_PROGRESS,
    "已销号": ItemStatus.SIGNED_OFF,
    "销号": ItemStatus.SIGNED_OFF,
    "暂缓": ItemStatus.SUSPENDED,
    "暂停": ItemStatus.SUSPENDED,
    "已取消": ItemStatus.CANCELLED,
    "取消": ItemStatus.CANCELLED,
}

EXAMPLE_MARKERS = {"示例", "例", "example"}
TOTAL_MARKERS = {"合计", "总计", "total"}
MEASURE_NUMBER = re.compile(r"^\s*(?:\d+\s*[.、．)）]|[（(]\d+[）)])\s*")


@dataclass
class RowPlan:
    """What applying does with one row."""

    row: int
    action: str  # "create", "update", "unchanged" or "duplicate" (left out)
    code: str
    title: str
    item: LedgerItem | None = None  # the item updated, or the one a duplicate matches
    values: dict[str, Any] = field(default_factory=dict)  # create: every field
    changes: dict[str, Any] = field(default_factory=dict)  # update: changed fields
    report: tuple[int, str] | None = None  # progress (percent, text) to report
    measure_texts: list[str] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)  # what the preview shows
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        """For the job's JSON field (the preview's rows)."""
        item = self.item
        return {
            "row": self.row,
            "action": self.action,
            "code": self.code,
            "title": self.title,
            "item": {"id": item.pk, "code": item.code, "title": item.title} if item else None,
            "fields": self.fields,
            "warnings": self.warnings,
        }


@dataclass
class CheckResult(CheckOutcome):
    """Everything the preview shows and applying needs."""

    rows: list[RowPlan] = field(default_factory=list)  # the shown ones, or all when applying
    skipped_examples: int = 0
    unknown: dict[str, set[str]] = field(default_factory=dict)  # field -> values not found
    existing_codes: set[str] = field(default_factory=set)  # numbers used in the ledger
    versions: dict[str, int] = field(default_factory=dict)  # item id -> version read
    numbering: str = ImportNumbering.ITEM
    numbering_suggested: str = ImportNumbering.ITEM
    numbering_counts: dict[str, int] = field(default_factory=dict)
    defaults: list[str] = field(default_factory=list)


def _index_units(units: Sequence[Unit]) -> dict[str, list[Unit]]:
    index: dict[str, list[Unit]] = {}
    for unit in units:
        for key in {normalise(unit.name), normalise(unit.short_name), normalise(unit.code)}:
            if key and unit not in index.get(key, []):
                index.setdefault(key, []).append(unit)
    return index


def _index_people(people: Sequence[User]) -> dict[str, set[int]]:
    index: dict[str, set[int]] = {}
    for person in people:
        for key in {normalise(person.name), normalise(person.username)}:
            if key:
                index.setdefault(key, set()).add(person.pk)
    return index


def _person(user: User | None) -> str:
    return (user.name or user.username) if user is not None else ""


def display(value: Any) -> str:
    """A value as the preview shows it."""
    if value is LONG_TERM:
        return str(LONG_TERM_LABEL)
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, Unit):
        return value.name
    if isinstance(value, ResponsibilityChain):
        return " · ".join(
            part
            for part in (
                value.lead_department.name,
                _person(value.leader_in_charge),
                _person(value.responsible_person),
            )
            if part
        )
    if isinstance(value, list):
        return "；".join(str(v) for v in value) or "—"
    return str(value)


def shorten(text: str, limit: int = TITLE_MAX) -> str:
    """``text`` cut to ``limit`` characters (with an ellipsis when cut)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def same(new: Any, old: Any) -> bool:
    """Whether a cell says what the item holds: blank is blank, line ends are line ends."""
    if isinstance(new, str) or isinstance(old, str):
        return normalise_newlines(new or "").strip() == normalise_newlines(old or "").strip()
    return bool(new == old)


class _Invalid:
    """Marks a cell that could not be read (its problem is already recorded)."""


INVALID: Any = _Invalid()


class Checker(RowChecker):
    """Reads the rows of one workbook against one ledger, for one user, through a mapping.

    A fixed number of queries whatever the row count: the units the user may see, the
    campaign's chains the user may see (and their cooperating departments), the ledger's
    items, the measures of a hard-problem ledger.
    """

    result: CheckResult

    def __init__(
        self,
        *,
        ledger: Ledger,
        user: User,
        columns: Sequence[SheetColumn],
        header_row: int | None,
        numbering: str = "",
        add_duplicates: bool = False,
        keep_all: bool = False,
        today: date | None = None,
    ) -> None:
        self.ledger = ledger
        self.user = user
        self.j: Jurisdiction = jurisdiction_for(user)
        self.kind = ledger.kind
        self.today = today or timezone.localdate()
        self.campaign_start = ledger.campaign.start_date
        self.chosen_numbering = numbering
        self.add_duplicates = add_duplicates
        self.keep_all = keep_all
        self.result = CheckResult(header_row=header_row, columns=list(columns))
        self.fields = {f.key: f for f in import_fields(self.kind)}
        self.label_of = {key: str(f.label) for key, f in self.fields.items()}
        self.label_of["symptom"] = self.label_of.get("symptom", str(_("problem as it shows")))
        self.mapped: dict[int, ImportField] = {
            c.index: self.fields[c.field] for c in columns if c.field in self.fields
        }
        self.keys = {f.key for f in self.mapped.values()}
        # Problems name the clerk's own column where one holds the field: "牵头单位（D 列）".
        self.column_of: dict[str, str] = {}
        uses = Counter(column.field for column in columns)
        for column in columns:
            # A field two columns hold is named by the field: the problem is about both.
            if column.field in self.fields and uses[column.field] == 1:
                self.column_of[column.field] = _("%(header)s (column %(letter)s)") % {
                    "header": column.text or column.header,
                    "letter": column.letter,
                }
        if "title_symptom" in self.keys:
            self.keys |= {"title", "symptom"}
        self.notes_key = notes_field(self.kind)

        self.units = _index_units(list(self.j.units()))
        items = list(
            LedgerItem.objects.filter(ledger=ledger).select_related(
                "unit",
                "chain__lead_department",
                "chain__responsible_person",
                "chain__leader_in_charge",
                "ledger__campaign",
            )
        )
        chains = {c.pk: c for c in chain_list(user=user, campaign=ledger.campaign).order_by("pk")}
        for item in items:  # the chains of the ledger's own items, whoever leads them
            if item.chain is not None:
                chains.setdefault(item.chain.pk, item.chain)
        self.chains = sorted(chains.values(), key=lambda c: c.pk)
        self.departments = _index_units([c.lead_department for c in self.chains])
        self.people = _index_people([c.responsible_person for c in self.chains])
        self.leaders = _index_people([c.leader_in_charge for c in self.chains])
        self.existing = {item.code: item for item in items}
        self.result.existing_codes = set(self.existing)
        self.open_titles: dict[tuple[str, int], LedgerItem] = {}
        for item in sorted(items, key=lambda i: (len(i.code), i.code)):
            if item.status not in CLOSED_STATUSES:
                self.open_titles.setdefault((normalise(item.title), item.unit_id), item)
        self.measures: dict[int, list[str]] = {}
        if self.kind == LedgerKind.HARD_PROBLEM:
            for measure in Measure.objects.filter(item__ledger=ledger).order_by(
                "item", "sort_order", "pk"
            ):
                self.measures.setdefault(measure.item_id, []).append(measure.text)
        self.seen_codes: dict[str, int] = {}
        self.statuses = self._status_words()
        self.ledger_title = normalise(ledger.title)
        self.other_ledgers: Counter[str] = Counter()
        self.grouped: dict[str, list[int]] = {}
        self.footer = False  # past the 合计 row: notes, not items
        self.numbering = numbering or ImportNumbering.ITEM
        self.default_counts: Counter[str] = Counter()

    # --- problems and warnings -------------------------------------------------------------
    def problem(self, row: int | None, key: str, message: str) -> None:
        """Record a problem at ``row`` in the column of ``key``."""
        column = self.column_of.get(key) or self.label_of.get(key, key)
        self.result.problems.append(Problem(row, column, message))

    def warn(self, row: int, message: str) -> None:
        """A warning shared by many rows: listed once with their numbers."""
        self.grouped.setdefault(message, []).append(row)

    def _unknown(self, key: str, value: str) -> None:
        self.result.unknown.setdefault(key, set()).add(value)

    @staticmethod
    def _status_words() -> dict[str, str]:
        words = {normalise(k): v for k, v in STATUS_ALIASES.items()}
        for value, label in ItemStatus.choices:
            words[normalise(value)] = value
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    words[normalise(label)] = value
        return words

    # --- the sheet -------------------------------------------------------------------------
    def check(self, rows: Rows, progress: Progress) -> None:
        """Check every row below the header row."""
        if not self._skip_to_header(rows) or not self._mapping_is_complete():
            return
        first = list(itertools.islice(rows, SUGGEST_ROWS))
        self._choose_numbering(first)
        if self.check_rows(itertools.chain(first, rows), progress):
            self._finish()

    def _skip_to_header(self, rows: Rows) -> bool:
        header = self.result.header_row
        if header is None:
            self.result.problems.append(Problem(None, "", no_header_message(self.kind)))
            return False
        return any(number >= header for number, _cells in rows)

    def _mapping_is_complete(self) -> bool:
        """Every required field has a column, and no field has two."""
        by_field: dict[str, list[SheetColumn]] = {}
        for column in self.result.columns:
            if column.field in self.fields:
                for key in ("title", "symptom") if column.field == "title_symptom" else ():
                    by_field.setdefault(key, []).append(column)
                if column.field != "title_symptom":
                    by_field.setdefault(column.field, []).append(column)
        ok = True
        for key, columns in by_field.items():
            if len(columns) > 1:
                ok = False
                self.problem(
                    None,
                    key,
                    _(
                        "“%(field)s” is chosen for the columns %(columns)s: choose “ignore” "
                        "for all of them but one."
                    )
                    % {
                        "field": self.label_of.get(key, key),
                        "columns": "、".join(f"{c.letter}（{c.text or '—'}）" for c in columns),
                    },
                )
        for key in ("title", "deadline"):
            if key not in self.keys:
                ok = False
                self.problem(None, key, missing_field_message(self.fields[key]))
        return ok

    def _choose_numbering(self, first: list[tuple[int, tuple[Any, ...]]]) -> None:
        """What 序号 means: the clerk's choice, or the suggestion from the first rows."""
        code_at = self._position("code")
        title_at = self._position("title")
        if title_at is None:
            title_at = self._position("title_symptom")
        numbered = existing = matching = 0
        if code_at is not None:
            for _number, cells in first:
                code = cell_text(cells[code_at]).strip() if code_at < len(cells) else ""
                if not code or normalise(code) in EXAMPLE_MARKERS | TOTAL_MARKERS:
                    continue
                numbered += 1
                item = self.existing.get(code)
                if item is None:
                    continue
                existing += 1
                at = title_at if title_at is not None else len(cells)
                title = cell_text(cells[at]).strip() if at < len(cells) else ""
                if normalise(shorten(title)) == normalise(item.title):
                    matching += 1
        suggested = (
            ImportNumbering.ROW if existing and matching * 2 < existing else ImportNumbering.ITEM
        )
        self.result.numbering_suggested = suggested
        self.result.numbering_counts = {
            "numbered": numbered,
            "existing": existing,
            "matching": matching,
            "has_code": int(code_at is not None),
        }
        self.numbering = self.chosen_numbering or suggested
        self.result.numbering = self.numbering

    def _position(self, key: str) -> int | None:
        return next((i for i, f in self.mapped.items() if f.key == key), None)

    def _finish(self) -> None:
        if self.other_ledgers:
            self._refuse_mixed()
            return
        for message, rows in self.grouped.items():
            self.result.warnings.append(rows_message(rows, message))
        defaults = self.default_counts
        if defaults["start_date"]:
            self.result.defaults.append(
                ngettext(
                    "Start date: %(count)d row names none and starts on the day of import "
                    "(%(today)s), or on its deadline if that is earlier.",
                    "Start date: %(count)d rows name none and start on the day of import "
                    "(%(today)s), or on their deadline if that is earlier.",
                    defaults["start_date"],
                )
                % {"count": defaults["start_date"], "today": self.today.isoformat()}
            )
        if defaults["unit_lead"]:
            self.result.defaults.append(
                ngettext(
                    "Responsible unit: %(count)d row names none; its lead department is taken.",
                    "Responsible unit: %(count)d rows name none; their lead department is taken.",
                    defaults["unit_lead"],
                )
                % {"count": defaults["unit_lead"]}
            )
        if defaults["unit_owner"]:
            self.result.defaults.append(
                ngettext(
                    "Responsible unit: %(count)d row names none; the ledger's owner unit "
                    "%(unit)s is taken.",
                    "Responsible unit: %(count)d rows name none; the ledger's owner unit "
                    "%(unit)s is taken.",
                    defaults["unit_owner"],
                )
                % {"count": defaults["unit_owner"], "unit": self.ledger.owner_unit.name}
            )

    def _refuse_mixed(self) -> None:
        """One problem for a sheet of several ledgers, instead of one per row."""
        named = "、".join(
            _("“%(ledger)s” (%(count)d rows)") % {"ledger": name, "count": count}
            for name, count in self.other_ledgers.most_common(8)
        )
        if len(self.other_ledgers) > 8:
            named += _(" and %(count)d more") % {"count": len(self.other_ledgers) - 8}
        self.result.problems = [
            Problem(
                None,
                self.label_of["ledger"],
                _(
                    "This workbook holds rows of other ledgers: %(ledgers)s. Rows are imported "
                    "into one ledger at a time: export “%(this)s” alone (choose it in the "
                    "list's ledger filter), or delete the other ledgers' rows, and upload again."
                )
                % {"ledgers": named, "this": self.ledger.title},
            )
        ]
        self.result.rows = []
        self.result.counts = Counter()
        self.result.warnings = []

    # --- one row ---------------------------------------------------------------------------
    def check_row(self, row: int, cells: dict[int, Any]) -> None:
        """Parse one row; record its problems or its plan."""
        by_key = {self.mapped[position].key: cell for position, cell in cells.items()}
        code = cell_text(by_key.get("code")).strip()
        if normalise(code) in EXAMPLE_MARKERS:
            self.result.total_rows -= 1
            self.result.skipped_examples += 1
            return
        if normalise(code) in TOTAL_MARKERS:
            self.result.total_rows -= 1
            self.footer = True
            return
        if "ledger" in by_key:
            written = cell_text(by_key["ledger"]).strip()
            if written and normalise(written) != self.ledger_title:
                self.other_ledgers[written] += 1
                return
            if self.other_ledgers:
                return
        before = len(self.result.problems)
        values: dict[str, Any] = {}
        for key, cell in by_key.items():
            parsed = self.parse(row, key, cell)
            if parsed is not INVALID:
                values[key] = parsed
        if "title_symptom" in values:
            text = values.pop("title_symptom")
            values["title"] = shorten(text)
            values["symptom"] = text
        if self.numbering == ImportNumbering.ITEM and code:
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
        existing = self.existing.get(code) if code and self.numbering == "item" else None
        defaulted: set[str] = set()
        invalid = self._invalid_keys(by_key, values)
        unit = values.get("unit")
        if unit is None and "unit" not in invalid:
            unit = existing.unit if existing is not None else self._default_unit(values)
            defaulted.add("unit")
        chain = self.match_chain(row, values, unit, existing)
        if unit is None:
            return  # its problem is recorded already
        if values.get("start_date") is None:
            values.pop("start_date", None)
            if "start_date" not in invalid and existing is None:
                deadline = values.get("deadline")
                start = self.today
                if isinstance(deadline, date) and deadline < start:
                    start = deadline
                values["start_date"] = start
                defaulted.add("start_date")
                self.default_counts["start_date"] += 1
        self._add_notes(values, existing)
        chain = None if chain is INVALID else chain
        if existing is None:
            self.plan_create(row, code, values, unit, chain, defaulted, before)
        else:
            self.plan_update(row, existing, values, unit, chain, defaulted, before)

    def _invalid_keys(self, by_key: dict[str, Any], values: dict[str, Any]) -> set[str]:
        return {key for key in by_key if key not in values and not is_blank(by_key[key])}

    def _default_unit(self, values: dict[str, Any]) -> Unit | None:
        """No responsible unit named: the lead department when the user may add its items,
        else the ledger's owner unit."""
        lead = cell_text(values.get("lead_department")).strip()
        if lead:
            found = self.units.get(normalise(lead), [])
            if len(found) == 1 and rules.can_create_item(self.user, self.ledger, found[0]):
                self.default_counts["unit_lead"] += 1
                return found[0]
        self.default_counts["unit_owner"] += 1
        return self.ledger.owner_unit

    def _add_notes(self, values: dict[str, Any], existing: LedgerItem | None) -> None:
        """Cooperating units and remarks as lines at the end of the measures."""
        lines = []
        for note in (COOPERATING, REMARKS):
            text = values.pop(note.key, None)
            if text:
                lines.append(f"{note.label}：{text}")
        if not lines:
            return
        key = self.notes_key
        if key in values:
            base = values[key] or ""
        elif existing is not None:
            base = strip_notes(getattr(existing, key) or "")
        else:
            base = ""
        values[key] = "\n".join([base, *lines]) if base else "\n".join(lines)

    def parse(self, row: int, key: str, cell: Any) -> Any:
        """The value of one cell for ``key`` (``INVALID`` after recording a problem)."""
        value = cell_value(cell)
        field = self.fields.get(key)
        if field is None or field.fmt == "ledger":
            return INVALID
        fmt = field.fmt
        if is_blank(value):
            if key == "title" or fmt == "title_symptom":
                self.problem(row, "title", _("This column must be filled in."))
                return INVALID
            if fmt == "deadline":
                self.problem(
                    row,
                    key,
                    _("Write the deadline, or 长期坚持 for a long-term item without one."),
                )
                return INVALID
            return None if fmt in ("date", "money", "percent", "status", "unit") else ""
        try:
            if fmt == "deadline":
                parsed = parse_deadline(value, campaign_start=self.campaign_start)
                return None if parsed is LONG_TERM else parsed
            if fmt == "date":
                return parse_date(value, campaign_start=self.campaign_start)
            if fmt == "percent":
                return parse_percent(value, getattr(cell, "number_format", "") or "")
            if fmt == "money":
                return parse_money(value)
            if fmt == "status":
                return self.parse_status(row, key, value)
            if fmt == "unit":
                return self.match_unit(value)
            if fmt == "measures":
                return [
                    MEASURE_NUMBER.sub("", line).strip()
                    for line in cell_text(value).splitlines()
                    if line.strip()
                ]
        except ValueError as exc:
            self.problem(row, key, str(exc))
            if fmt == "unit":
                self._unknown("unit", cell_text(value).strip())
            return INVALID
        text = cell_text(value).strip()
        if key == "title" and len(text) > TITLE_MAX:
            self.problem(row, key, _("At most 300 characters (this has %(n)d).") % {"n": len(text)})
            return INVALID
        return text

    def parse_status(self, row: int, key: str, value: Any) -> str | None:
        """A status from its label (either language), its value or a common word; a word
        that is none of them is noted (a status is only compared, never written)."""
        status = self.statuses.get(normalise(value))
        if status is None:
            self.warn(
                row,
                _(
                    "“%(value)s” in the column “%(column)s” is not a status word; it is not read "
                    "(a status is never imported)."
                )
                % {"value": shorten(cell_text(value).strip(), 40), "column": self.label_of[key]},
            )
        return status

    def match_unit(self, value: Any) -> Unit:
        """The unit named (name, short name or code) within the user's jurisdiction."""
        name = cell_text(value).strip()
        found = self.units.get(normalise(name), [])
        if not found:
            raise ValueError(
                _(
                    "Unknown responsible unit “%(name)s”: no unit within your jurisdiction has "
                    "this name, short name or code."
                )
                % {"name": name}
            )
        if len(found) > 1:
            raise ValueError(
                _("“%(name)s” names several units (%(units)s); write the full name or the code.")
                % {"name": name, "units": "、".join(u.name for u in found[:5])}
            )
        return found[0]

    def match_chain(
        self, row: int, values: dict[str, Any], unit: Unit | None, existing: LedgerItem | None
    ) -> Any:
        """The responsibility chain named by lead department, leader and responsible person
        (None when the row names none of them, ``INVALID`` after recording a problem)."""
        department = cell_text(values.get("lead_department")).strip()
        person = cell_text(values.get("responsible_person")).strip()
        leader = cell_text(values.get("leader_in_charge")).strip()
        if not (department or person or leader):
            return None
        departments = self.departments.get(normalise(department), []) if department else []
        people = self.people.get(normalise(person), set()) if person else set()
        leaders = self.leaders.get(normalise(leader), set()) if leader else set()
        failed = False
        if department and not departments:
            failed = True
            self._unknown("lead_department", department)
            self.problem(
                row,
                "lead_department",
                _(
                    "Unknown lead department “%(name)s”: no responsibility chain of this "
                    "campaign has it."
                )
                % {"name": department},
            )
        if leader and not leaders:
            failed = True
            self._unknown("leader_in_charge", leader)
            self.problem(
                row,
                "leader_in_charge",
                _(
                    "Unknown leader in charge “%(name)s”: nobody of that name or user name is "
                    "the leader in charge of a chain of this campaign."
                )
                % {"name": leader},
            )
        if person and not people:
            failed = True
            self._unknown("responsible_person", person)
            self.problem(
                row,
                "responsible_person",
                _(
                    "Unknown responsible person “%(name)s”: nobody of that name or user name "
                    "answers for a chain of this campaign."
                )
                % {"name": person},
            )
        if failed:
            return INVALID
        department_ids = {d.pk for d in departments}
        candidates = [
            chain
            for chain in self.chains
            if (not department or chain.lead_department_id in department_ids)
            and (not person or chain.responsible_person_id in people)
            and (not leader or chain.leader_in_charge_id in leaders)
        ]
        if not candidates:
            named = "、".join(part for part in (department, leader, person) if part)
            self.problem(
                row,
                "responsible_person" if person else "leader_in_charge",
                _(
                    "No responsibility chain of this campaign has %(names)s together; check "
                    "the names, or choose “ignore” for one of these columns."
                )
                % {"names": named},
            )
            return INVALID
        title = cell_text(values.get("title")).strip()
        current = existing.chain_id if existing is not None else None
        candidates.sort(
            key=lambda c: (
                c.pk != current,
                unit is None or c.unit_id != unit.pk,
                c.subject != title,
                c.pk,
            )
        )
        return candidates[0]

    # --- plans -------------------------------------------------------------------------------
    def _keep(self, plan: RowPlan) -> None:
        self.result.counts[plan.action] += 1
        if plan.item is not None and plan.action in ("update", "unchanged"):
            self.result.versions[str(plan.item.pk)] = plan.item.version
        if self.keep_all or (plan.action != "unchanged" and self._shown < SHOWN_ROWS):
            self.result.rows.append(plan)

    @property
    def _shown(self) -> int:
        return len(self.result.rows)

    def _will_show(self, action: str) -> bool:
        return action != "unchanged" and self._shown < SHOWN_ROWS

    def plan_create(
        self,
        row: int,
        code: str,
        values: dict[str, Any],
        unit: Unit,
        chain: ResponsibilityChain | None,
        defaulted: set[str],
        before: int,
    ) -> None:
        """A new item: permission, dates, duplicates and the model's own validation."""
        if len(self.result.problems) > before:
            return
        if not rules.can_create_item(self.user, self.ledger, unit):
            hint = (
                _(" Choose the column that names the responsible unit.")
                if "unit" in defaulted
                else ""
            )
            self.problem(
                row,
                "unit",
                _("You may not add items of %(unit)s to this ledger.") % {"unit": unit} + hint,
            )
            return
        warnings: list[str] = []
        deadline = values.get("deadline")
        if isinstance(deadline, date) and deadline < self.today:
            message = _(
                "the deadline has passed already: the new item is overdue (red) from the day "
                "it is added; check the year in the sheet."
            )
            self.warn(row, message)
            warnings.append(message)
        status = values.get("status")
        if status is not None and status not in OPEN_STATUSES:
            message = _(
                "the sheet says “%(status)s”: a status is not imported, so the new item starts "
                "as not started; report its progress and ask for sign-off on its page."
            ) % {"status": ItemStatus(status).label}
            self.warn(row, message)
            warnings.append(message)
        fields = {
            key: value
            for key, value in values.items()
            if key in services.ITEM_FIELDS and value is not None and key != "chain"
        }
        report = None
        percent = values.get("progress") or 0
        text = (values.get("latest_report") or "").strip()
        if rules.is_office_over(self.user, unit):
            # The office's own finding: its figure stands, with the status it gives.
            fields.update(
                status=services.status_for_progress(percent, ItemStatus.NOT_STARTED),
                progress=percent,
                latest_report=text,
            )
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
            deadline=values.get("deadline"),
            **fields,
        )
        if not self._validate(row, candidate) or len(self.result.problems) > before:
            return
        duplicate = self.open_titles.get((normalise(values["title"]), unit.pk))
        action = "create"
        if duplicate is not None:
            message = _(
                "probably a duplicate of item %(code)s “%(title)s” of %(unit)s, which is open"
            ) % {"code": duplicate.code, "title": shorten(duplicate.title, 40), "unit": unit.name}
            warnings.insert(0, message)
            if not self.add_duplicates:
                action = "duplicate"
        plan = RowPlan(
            row=row,
            action=action,
            code=code if self.numbering == ImportNumbering.ITEM else "",
            title=values["title"],
            item=duplicate,
            values={
                "unit": unit,
                "chain": chain,
                "start_date": values["start_date"],
                "deadline": values.get("deadline"),
                **fields,
            },
            report=report,
            measure_texts=list(values.get("measure_list") or []),
            warnings=warnings,
        )
        if self._will_show(action):
            plan.fields = self._describe_new(values, unit, chain, defaulted)
        self._keep(plan)

    def _describe_new(
        self,
        values: dict[str, Any],
        unit: Unit,
        chain: ResponsibilityChain | None,
        defaulted: set[str],
    ) -> list[dict[str, Any]]:
        """Every field of a new row as the preview lists it, defaults marked."""
        shown: list[dict[str, Any]] = []

        def add(key: str, value: Any, label: str | None = None) -> None:
            shown.append(
                {
                    "key": key,
                    "label": label or self.label_of.get(key, key),
                    "value": display(value),
                    "default": key in defaulted,
                }
            )

        add("unit", unit)
        if chain is not None:
            add("chain", chain, str(_("responsibility chain")))
        add("start_date", values["start_date"])
        add("deadline", LONG_TERM if values.get("deadline") is None else values["deadline"])
        skip = {"title", "unit", "start_date", "deadline", "lead_department"}
        skip |= {"responsible_person", "leader_in_charge", "code"}
        for key, known in self.fields.items():
            if key in skip or key not in values or known.fmt in ("ledger", "note"):
                continue
            value = values[key]
            if key == "status":
                if value is not None:
                    label = ItemStatus(str(value)).label
                    add(key, _("%(status)s (read, not imported)") % {"status": label})
                continue
            if value is None or value == "" or value == []:
                continue
            if key == "symptom" and value == values["title"]:
                continue  # the title is the row's heading
            add(key, f"{value}%" if key == "progress" else value)
        return shown

    def plan_update(
        self,
        row: int,
        item: LedgerItem,
        values: dict[str, Any],
        unit: Unit,
        chain: Any,
        defaulted: set[str],
        before: int,
    ) -> None:
        """An existing item: what differs, through ``ledger_item_update``'s rules."""
        if not self.j.can_manage(item.unit):
            self.problem(
                row,
                "code",
                _("The number %(code)s belongs to an item of this ledger that you may not change.")
                % {"code": item.code},
            )
            return
        if "unit" not in defaulted and unit.pk != item.unit_id:
            self.problem(
                row,
                "unit",
                _(
                    "Item %(code)s belongs to %(old)s; its responsible unit is not changed by "
                    "import."
                )
                % {"code": item.code, "old": item.unit.name},
            )
        if "deadline" in values and values["deadline"] != item.deadline:
            self.problem(
                row,
                "deadline",
                _(
                    "The deadline of item %(code)s is %(old)s: a deadline changes only through an "
                    "approved extension request."
                )
                % {
                    "code": item.code,
                    "old": display(LONG_TERM if item.deadline is None else item.deadline),
                },
            )
        if values.get("start_date") and values["start_date"] != item.start_date:
            self.problem(
                row,
                "start_date",
                _("The start date of item %(code)s is %(old)s and is not changed by import.")
                % {"code": item.code, "old": item.start_date},
            )
        warnings: list[str] = []
        if "measure_list" in values and values["measure_list"] != self.measures.get(item.pk, []):
            message = _(
                "the measures of item %(code)s are changed on its page, not by import; they "
                "stay as they are."
            ) % {"code": item.code}
            self.warn(row, message)
            warnings.append(message)
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key in ("progress", "latest_report", "status", "chain"):
                continue
            if key in services.ITEM_FIELDS and not same(value, getattr(item, key)):
                changes[key] = value
        if chain is not None and chain is not INVALID and chain != item.chain:
            changes["chain"] = chain
        report = None
        percent = values.get("progress")
        text = values.get("latest_report")
        # Compared with what the item shows: the figure waiting for review, else the
        # accepted one (a re-imported workbook does not report the same thing twice).
        shown = item.progress if item.pending_progress is None else item.pending_progress
        if item.pending_progress is not None:
            # The export writes the accepted figure; the sheet may also repeat the one
            # waiting for review. Either is no news.
            progress_changed = percent is not None and percent not in (
                item.progress,
                item.pending_progress,
            )
        else:
            progress_changed = (percent is not None and percent != shown) or bool(
                text and not same(text, item.latest_report)
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
            # Offices' workbooks carry a status column; it is read, never written.
            message = _(
                "the sheet's status differs from the item's (%(status)s); a status changes "
                "through accepted progress, a verified sign-off, or a suspension or "
                "cancellation request on the item's page, not by import, so it stays as it is."
            ) % {"status": item.get_status_display()}
            self.warn(row, message)
            warnings.append(message)
        if len(self.result.problems) > before:
            return
        candidate = LedgerItem(
            **{f.attname: getattr(item, f.attname) for f in LedgerItem._meta.concrete_fields}
        )
        candidate.ledger = item.ledger  # loaded: clean() must not query
        candidate.chain = item.chain
        for key, value in changes.items():
            setattr(candidate, key, value)
        if not self._validate(row, candidate) or len(self.result.problems) > before:
            return
        action = "update" if changes or report else "unchanged"
        plan = RowPlan(
            row=row,
            action=action,
            code=item.code,
            title=item.title,
            item=item,
            changes=changes,
            report=report,
            warnings=warnings,
        )
        if self._will_show(action):
            plan.fields = self._describe_changes(item, changes, report, shown)
        self._keep(plan)

    def _describe_changes(
        self,
        item: LedgerItem,
        changes: dict[str, Any],
        report: tuple[int, str] | None,
        shown: int,
    ) -> list[dict[str, Any]]:
        described = [
            {
                "key": key,
                "label": self.label_of.get(key, str(_("responsibility chain"))),
                "old": display(getattr(item, key)),
                "new": display(value),
            }
            for key, value in changes.items()
        ]
        if report is not None:
            if report[0] != shown:
                described.append(
                    {
                        "key": "progress",
                        "label": self.label_of.get("progress", str(_("progress"))),
                        # The accepted figure, and the one waiting beside it, as the item shows.
                        "old": f"{item.progress}%"
                        if item.pending_progress is None
                        else _("%(accepted)d%% (%(pending)d%% awaiting review)")
                        % {"accepted": item.progress, "pending": item.pending_progress},
                        "new": f"{report[0]}%",
                    }
                )
            if not same(report[1], item.latest_report):
                described.append(
                    {
                        "key": "latest_report",
                        "label": self.label_of.get("latest_report", str(_("latest progress"))),
                        "old": display(item.latest_report),
                        "new": report[1],
                    }
                )
        return described

    def _validate(self, row: int, candidate: LedgerItem) -> bool:
        """The model's field checks and clean(), without a query (relations are loaded)."""
        problems = []
        if candidate.deadline is not None and candidate.deadline < candidate.start_date:
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


def strip_notes(text: str) -> str:
    """``text`` without the lines the importer appends (cooperating units, remarks)."""
    marks = tuple(f"{field.label}：" for field in (COOPERATING, REMARKS))
    lines = normalise_newlines(text).split("\n")
    while lines and lines[-1].startswith(marks):
        lines.pop()
    return "\n".join(lines)


def no_header_message(kind: str) -> str:
    """The problem of a sheet without a recognisable header row."""
    names = "、".join(str(f.label) for f in import_fields(kind) if f.required)
    return _(
        "No header row found in the first %(count)d rows: the sheet needs a row of column "
        "names such as %(names)s (the template's names, or the usual ones: 问题表现, 责任单位, "
        "完成时限…)."
    ) % {"count": HEADER_SCAN_ROWS, "names": names}


def missing_field_message(field: ImportField) -> str:
    """What to do about a required field no column is chosen for."""
    if field.key == "deadline":
        return _(
            "Choose a column for “%(field)s” below, or add such a column to the workbook "
            "(a date, or 长期坚持 for a long-term item) and upload it again."
        ) % {"field": field.label}
    return _(
        "Choose a column for “%(field)s” below, or add such a column to the workbook and "
        "upload it again."
    ) % {"field": field.label}


# --- reading a workbook ----------------------------------------------------------------------
def read_columns(
    fileobj: IO[bytes], *, kind: str, saved: dict[str, str] | None = None
) -> tuple[int | None, list[SheetColumn]]:
    """The header row's number and its columns (each with its suggestion, saved choice and
    a sample value), read from the first rows only."""
    return find_header(
        fileobj,
        is_header=is_header_row,
        columns=lambda cells, samples: sheet_columns(cells, samples, kind=kind, saved=saved),
    )


def check_workbook(
    fileobj: IO[bytes],
    *,
    ledger: Ledger,
    user: User,
    columns: Sequence[SheetColumn] | None = None,
    header_row: int | None = None,
    numbering: str = "",
    add_duplicates: bool = False,
    keep_all: bool = False,
    progress: Progress = no_progress,
) -> CheckResult:
    """Check every row of the workbook against the ledger; nothing is written. Without
    ``columns`` the header row is found and its suggested mapping used."""
    if columns is None:
        header_row, columns = read_columns(fileobj, kind=ledger.kind)
    checker = Checker(
        ledger=ledger,
        user=user,
        columns=columns,
        header_row=header_row,
        numbering=numbering,
        add_duplicates=add_duplicates,
        keep_all=keep_all,
    )
    fileobj.seek(0)
    with Sheet(fileobj) as rows:
        checker.check(rows, progress)
    return checker.result
