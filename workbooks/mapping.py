"""Which column is which: the fields an importer offers, the header row, the suggestion.

Offices keep their own headers, under title rows. The header row is the first of the first
:data:`HEADER_SCAN_ROWS` rows the importer recognises (:func:`find_header`). Each of its
columns is matched to a field by its name (:class:`Vocabulary`: the importer's labels in
either language and the words offices use for the same thing, exactly, without a bracketed
remark, or as the longest known word the header contains); the clerk sees every column with
the field chosen for it and may choose another or none ("ignore") on the mapping step.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from openpyxl.utils import get_column_letter

from .parsing import Sheet, cell_text, is_blank, normalise

HEADER_SCAN_ROWS = 20  # the header row is looked for among the first rows
SAMPLE_ROWS = 5  # data rows read for each column's sample value
BRACKETS = re.compile(r"[（(【\[].*?[）)】\]]")


@dataclass(frozen=True)
class ImportField:
    """What a column can fill, and how its cells are read (``fmt``: each importer names its
    own formats, such as text, date, percent, unit, points)."""

    key: str
    label: Promise
    fmt: str = "text"
    required: bool = False
    note: Promise | None = None

    def as_dict(self) -> dict[str, Any]:
        """For the page's select and the API."""
        return {
            "key": self.key,
            "label": str(self.label),
            "required": self.required,
            "note": str(self.note) if self.note else "",
        }


class Vocabulary:
    """Header words -> concepts (a field key, or a word an importer resolves by the sheet's
    other columns), built once on first use (after translations are loaded)."""

    def __init__(self, build: Callable[[], Mapping[str, str]]) -> None:
        self._build = build
        self._table: dict[str, str] | None = None

    def table(self) -> dict[str, str]:
        """Normalised word -> concept."""
        if self._table is None:
            table: dict[str, str] = {}
            for word, concept in self._build().items():
                table.setdefault(normalise(word), concept)
            self._table = table
        return self._table

    def concept_of(self, header: Any, *, strict: bool = False) -> str | None:
        """The concept a header's text names: exactly, without a bracketed remark (完成时限
        （年月日）), or (unless ``strict``) as the longest known Chinese word it contains."""
        text = normalise(cell_text(header))
        if not text:
            return None
        table = self.table()
        if text in table:
            return table[text]
        plain = normalise(BRACKETS.sub("", cell_text(header)))
        if plain in table:
            return table[plain]
        if strict:
            return None
        best = ""
        for word in table:
            if len(word) >= 2 and len(word) > len(best) and word in plain and not word.isascii():
                best = word
        return table[best] if best else None


def suggest_fields(
    concepts: Sequence[str | None],
    resolve: Callable[[str | None, set[str]], str | None],
    claims: Mapping[str, set[str]] | None = None,
) -> list[str | None]:
    """The field each column's concept suggests (``resolve(concept, present)``); each field
    once at most: the first column naming it wins, the others are ignored. ``claims`` names
    fields a field takes along (the ledger's "item and problem" takes both)."""
    present = {c for c in concepts if c}
    taken: set[str] = set()
    suggested: list[str | None] = []
    for concept in concepts:
        key = resolve(concept, present)
        if key is not None and key in taken:
            key = None
        if key is not None:
            taken.add(key)
            taken.update((claims or {}).get(key, set()))
        suggested.append(key)
    return suggested


@dataclass
class SheetColumn:
    """One column of the sheet's header row, as the clerk sees it on the mapping step."""

    index: int  # 0-based position in the row
    header: str  # the key of the mapping: the header text, made unique
    text: str  # the header as written
    suggested: str | None  # the field its name suggests (None: ignore)
    field: str | None  # the field chosen (saved mapping, or the clerk's choice)
    sample: str = ""  # the first value below the header
    saved: bool = False  # chosen from the saved mapping
    computed: bool = False  # the platform works it out (the light, rates): never imported

    @property
    def letter(self) -> str:
        """The column's letter in Excel (A, B, … AA)."""
        return get_column_letter(self.index + 1)

    def as_dict(self) -> dict[str, Any]:
        """For the job's JSON field and the API."""
        return {
            "index": self.index,
            "letter": self.letter,
            "header": self.header,
            "text": self.text,
            "suggested": self.suggested,
            "field": self.field,
            "sample": self.sample,
            "saved": self.saved,
            "computed": self.computed,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SheetColumn:
        """Back from the job's JSON field."""
        return cls(
            index=data["index"],
            header=data["header"],
            text=data.get("text", data["header"]),
            suggested=data.get("suggested"),
            field=data.get("field"),
            sample=data.get("sample", ""),
            saved=data.get("saved", False),
            computed=data.get("computed", False),
        )


def column_name(column: SheetColumn) -> str:
    """How a problem names the clerk's own column: "牵头单位（D 列）"."""
    return _("%(header)s (column %(letter)s)") % {
        "header": column.text or column.header,
        "letter": column.letter,
    }


def unique_headers(texts: Sequence[str]) -> list[str]:
    """Header texts as mapping keys: a blank or repeated header is named by its letter
    (备注（F列）) so that every column has a key of its own."""
    counts: dict[str, int] = {}
    for text in texts:
        counts[text] = counts.get(text, 0) + 1
    keys = []
    for index, text in enumerate(texts):
        letter = get_column_letter(index + 1)
        if not text:
            keys.append(_("(column %(letter)s)") % {"letter": letter})
        elif counts[text] > 1:
            keys.append(_("%(header)s (column %(letter)s)") % {"header": text, "letter": letter})
        else:
            keys.append(text)
    return keys


def sheet_columns(
    header_cells: Sequence[Any],
    sample_rows: Iterable[Sequence[Any]],
    *,
    suggest: Callable[[list[str]], list[str | None]],
    valid: set[str],
    saved: dict[str, str] | None = None,
    computed: Callable[[str], bool] = lambda text: False,
) -> list[SheetColumn]:
    """The columns of a header row with their suggestion, their saved choice (by
    normalised header text) and a sample value; trailing blank columns are left out."""
    texts = [cell_text(cell).strip() for cell in header_cells]
    samples: list[str] = ["" for _text in texts]
    for cells in sample_rows:
        for position, cell in enumerate(cells[: len(texts)]):
            if not samples[position] and not is_blank(cell):
                samples[position] = cell_text(cell).strip()[:60]
    while texts and not texts[-1] and not samples[len(texts) - 1]:
        texts.pop()
    suggestions = suggest(texts)
    saved = saved or {}
    columns = []
    for index, (key, text) in enumerate(zip(unique_headers(texts), texts, strict=True)):
        column = SheetColumn(
            index=index,
            header=key,
            text=text,
            suggested=suggestions[index],
            field=suggestions[index],
            sample=samples[index],
            computed=computed(text),
        )
        remembered = saved.get(normalise(key)) if key else None
        if remembered is not None and (remembered == "" or remembered in valid):
            column.field = remembered or None
            column.saved = True
        columns.append(column)
    return columns


def find_header(
    fileobj: IO[bytes],
    *,
    is_header: Callable[[Sequence[Any]], bool],
    columns: Callable[[Sequence[Any], Sequence[Sequence[Any]]], list[SheetColumn]],
) -> tuple[int | None, list[SheetColumn]]:
    """The header row's number (the first of the first rows ``is_header`` accepts) and its
    ``columns(header_cells, sample_rows)``, read from the first rows only."""
    fileobj.seek(0)
    with Sheet(fileobj) as rows:
        for number, cells in rows:
            if number > HEADER_SCAN_ROWS:
                break
            if is_header(cells):
                samples = [c for _n, c in itertools.islice(rows, SAMPLE_ROWS)]
                return number, columns(cells, samples)
    return None, []
