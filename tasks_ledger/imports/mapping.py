"""Which column is which in a ledger's sheet: the fields its columns can fill, the words
offices use for them, and the suggestion. The general parts (the header row among title
rows, :class:`~workbooks.mapping.SheetColumn`, matching a header to a word) are
:mod:`workbooks.mapping`.

Offices keep their own headers. Each column of the header row is matched to a field by its
name: the template's and export's labels in either language, and the words offices use for
the same thing (问题表现 for the item, 牵头单位 for the unit, 整改时限 for the deadline,
整改进度 for the status…). Some words mean different fields depending on what else the sheet
has: 问题表现 is the item itself when no 事项 column exists (and, in a problem ledger, its
symptom too); 牵头单位 is the responsible unit when no 责任单位 column exists, else the lead
department of the chain.

The clerk sees every column with the field chosen for it and may choose another or none
("ignore"); the choice is kept per ledger by header text (:class:`ImportMapping`) and used
for the next upload.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy, pgettext_lazy

from workbooks.mapping import (
    HEADER_SCAN_ROWS,
    SAMPLE_ROWS,
    ImportField,
    SheetColumn,
    Vocabulary,
    suggest_fields,
)
from workbooks.mapping import sheet_columns as shared_sheet_columns
from workbooks.parsing import cell_value, normalise

from ..exports import COLUMNS, LEDGER, import_columns
from ..models import LedgerKind

__all__ = ["HEADER_SCAN_ROWS", "SAMPLE_ROWS", "ImportField", "SheetColumn"]

# A ledger field's ``fmt`` says how a cell is read: text, code, date, deadline, percent,
# money, status, unit, department, person, leader, measures, ledger, note (appended to the
# item's measures), title_symptom (the item and its symptom at once).

LEADER = ImportField(
    "leader_in_charge",
    pgettext_lazy("excel column", "leader in charge"),
    "leader",
    note=gettext_lazy("finds the responsibility chain, with the lead department and person"),
)
COOPERATING = ImportField(
    "cooperating",
    pgettext_lazy("excel column", "cooperating units"),
    "note",
    note=gettext_lazy("kept as a line “cooperating units: …” at the end of the measures"),
)
REMARKS = ImportField(
    "remarks",
    pgettext_lazy("excel column", "remarks"),
    "note",
    note=gettext_lazy("kept as a line “remarks: …” at the end of the measures"),
)
TITLE_SYMPTOM = ImportField(
    "title_symptom",
    pgettext_lazy("excel column", "item and problem as it shows"),
    "title_symptom",
    required=True,
    note=gettext_lazy("the item's title (its first 300 characters) and its problem as it shows"),
)
NOTES = {
    "lead_department": gettext_lazy(
        "finds the responsibility chain; without a responsible unit column, the item's unit"
    ),
    "responsible_person": gettext_lazy("finds the responsibility chain"),
    "status": gettext_lazy("read and compared, never written: a status follows the workflow"),
    "start_date": gettext_lazy("a date; without this column, the day of import"),
    "unit": gettext_lazy(
        "by name, short name or code; without this column, the lead department, else the "
        "ledger's owner unit"
    ),
    "deadline": gettext_lazy("a date, or 长期坚持 for a long-term item"),
    "code": gettext_lazy("see “numbering” below"),
    "ledger": gettext_lazy("must name this ledger"),
}
REQUIRED = {"title", "deadline"}
# The text field that cooperating units and remarks are appended to, by kind.
NOTES_FIELD: dict[str, str] = {LedgerKind.PROBLEM: "rectification"}
DEFAULT_NOTES_FIELD = "measures"


def notes_field(kind: str) -> str:
    """The item field that lines for cooperating units and remarks go into."""
    return NOTES_FIELD.get(kind, DEFAULT_NOTES_FIELD)


def import_fields(kind: str) -> list[ImportField]:
    """Every field a column of a sheet for a ledger of ``kind`` can fill, in the select's
    order: the template's columns, then what offices' sheets add."""
    fields = [LEDGER_FIELD]
    for column in import_columns(kind):
        fields.append(
            ImportField(
                column.key,
                column.label,
                "deadline" if column.key == "deadline" else column.fmt,
                required=column.key in REQUIRED,
                note=NOTES.get(column.key),
            )
        )
    position = next(i for i, f in enumerate(fields) if f.key == "responsible_person")
    fields.insert(position, LEADER)
    fields.append(COOPERATING)
    fields.append(REMARKS)
    if kind == LedgerKind.PROBLEM:
        fields.insert(2, TITLE_SYMPTOM)
    return fields


LEDGER_FIELD = ImportField("ledger", LEDGER.label, "ledger", note=NOTES["ledger"])

# Words for a column beside the labels in either language. Some are "concepts" that become
# a field depending on the ledger's kind and the sheet's other columns (see suggest()).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "code": ("序号", "编号", "序", "no", "no.", "number", "#"),
    "ledger": ("台账", "所属台账", "台账名称"),
    "title": (
        "事项",
        "任务",
        "事项名称",
        "任务名称",
        "工作任务",
        "重点任务",
        "项目名称",
        "工作事项",
        "问题名称",
        "承诺事项",
        "承诺内容",
        "案件名称",
        "任务内容",
        "工作内容",
        "主要任务",
        "重点工作",
        "工作目标",
    ),
    "problem_text": (
        "问题表现",
        "问题描述",
        "存在问题",
        "具体问题",
        "主要问题",
        "问题",
        "问题清单",
    ),
    "rectification": ("整改措施", "整改举措", "整改方案", "具体整改措施", "整改要求"),
    "measures": ("工作措施", "具体措施", "措施", "主要措施", "推进措施", "工作举措", "举措"),
    "measure_list": ("攻坚措施", "措施", "具体措施"),
    "unit": ("责任单位", "责任主体", "主体单位", "承办单位", "责任部门", "主责单位", "落实单位"),
    "lead_unit": ("牵头单位",),
    "lead_department": ("牵头部门",),
    "cooperating": ("配合单位", "配合部门", "协办单位", "参与单位", "协同单位"),
    "leader_in_charge": ("责任领导", "分管领导", "包保领导", "牵头领导", "分管责任领导", "领导"),
    "responsible_person": ("责任人", "具体责任人", "经办人", "联系人", "责任科室负责人"),
    "start_date": ("开始时间", "开始日期", "起始时间", "启动时间"),
    "deadline": (
        "完成时限",
        "完成时间",
        "截止时间",
        "截止日期",
        "办结时限",
        "整改时限",
        "整改期限",
        "完成期限",
        "时限要求",
        "时限",
        "整改完成时限",
    ),
    "status": (
        "状态",
        "完成状态",
        "推进状态",
        "整改进度",
        "完成情况",
        "整改情况",
        "整改状态",
        "进展状态",
        "整改进展",
        "是否完成",
    ),
    "progress": ("进度", "完成进度", "进度(%)", "进度%", "完成比例", "完成率"),
    "latest_report": ("最新进展", "进展情况", "工作进展", "推进情况", "最新进度"),
    "remarks": ("备注", "说明", "备注说明"),
    "petition_source": ("来源", "案件来源", "信访来源"),
    "petitioner_demand": ("诉求", "信访诉求", "反映问题"),
    "handling_result": ("办理结果", "办理情况"),
    "computed": ("红黄绿灯", "亮灯", "灯色", "预警", "亮灯情况"),
}
# Exported but computed by the platform: recognised as a header, never imported.
COMPUTED_KEYS = {"light", "funds_rate", "investment_rate"}
# Suggested as "ignore" unless the clerk chooses otherwise (remarks are often notes to self).
IGNORED_BY_DEFAULT = {"remarks"}


def _labels(key: str) -> set[str]:
    """The export's labels of ``key`` in both languages (normalised)."""
    names: set[str] = set()
    for columns in COLUMNS.values():
        for column in columns:
            if column.key == key:
                for language in ("zh-hans", "en"):
                    with translation.override(language):
                        names.add(normalise(column.label))
    return names


def _concepts() -> dict[str, str]:
    """Normalised header word -> concept (a field key, or a word needing the sheet's
    context: problem_text, lead_unit, computed)."""
    table: dict[str, str] = {}
    for concept, words in SYNONYMS.items():
        for word in words:
            table.setdefault(normalise(word), concept)
    all_keys = {column.key for columns in COLUMNS.values() for column in columns}
    for key in sorted(all_keys | {"ledger"}):
        concept = "computed" if key in COMPUTED_KEYS else key
        for name in _labels(key) if key != "ledger" else _ledger_labels():
            table.setdefault(name, concept)
    for field in (LEADER, COOPERATING, REMARKS):
        for language in ("zh-hans", "en"):
            with translation.override(language):
                table.setdefault(normalise(field.label), field.key)
    return table


def _ledger_labels() -> set[str]:
    names = set()
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names.add(normalise(LEDGER.label))
    return names


VOCABULARY = Vocabulary(_concepts)


def concepts() -> dict[str, str]:
    """The table of header words (built once, after translations are loaded)."""
    return VOCABULARY.table()


def concept_of(header: Any, *, strict: bool = False) -> str | None:
    """The concept a header's text names (:meth:`workbooks.mapping.Vocabulary.concept_of`)."""
    return VOCABULARY.concept_of(header, strict=strict)


def is_header_row(cells: Sequence[Any]) -> bool:
    """Whether a row reads like a header: three known column names, or two with the item."""
    found = {concept_of(cell_value(cell), strict=True) for cell in cells} - {None}
    return len(found) >= 3 or (len(found) >= 2 and bool(found & {"title", "problem_text"}))


def _resolve(concept: str | None, present: set[str], kind: str, keys: set[str]) -> str | None:
    """The field a concept becomes in a sheet whose columns name ``present`` concepts."""
    if concept is None or concept == "computed":
        return None
    if concept == "problem_text":
        if kind == LedgerKind.PROBLEM:
            return "symptom" if "title" in present else "title_symptom"
        return None if "title" in present else "title"
    if concept == "lead_unit":
        return "lead_department" if "unit" in present else "unit"
    if concept == "rectification" and kind != LedgerKind.PROBLEM:
        if kind == LedgerKind.HARD_PROBLEM:
            return None if "measure_list" in present else "measure_list"
        return None if "measures" in present else ("measures" if "measures" in keys else None)
    if concept == "measures" and kind == LedgerKind.HARD_PROBLEM:
        return "measure_list"
    if concept in IGNORED_BY_DEFAULT:
        return None
    return concept if concept in keys else None


def suggest(headers: Sequence[Any], kind: str) -> list[str | None]:
    """The field each header suggests for a ledger of ``kind``; each field once at most
    (the first column naming it wins, the others are ignored)."""
    keys = {field.key for field in import_fields(kind)}
    return suggest_fields(
        [concept_of(header) for header in headers],
        lambda concept, present: _resolve(concept, present, kind, keys),
        claims={"title_symptom": {"title", "symptom"}},
    )


def sheet_columns(
    header_cells: Sequence[Any],
    sample_rows: Iterable[Sequence[Any]],
    *,
    kind: str,
    saved: dict[str, str] | None = None,
) -> list[SheetColumn]:
    """The columns of a ledger sheet's header row with their suggestion, their saved choice
    and a sample value (:func:`workbooks.mapping.sheet_columns`)."""
    return shared_sheet_columns(
        header_cells,
        sample_rows,
        suggest=lambda texts: suggest(texts, kind),
        valid={field.key for field in import_fields(kind)},
        saved=saved,
        computed=lambda text: concept_of(text) == "computed",
    )
