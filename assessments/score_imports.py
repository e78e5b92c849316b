"""Scores in from Excel: a third-party evaluator's (or the office's) workbook of scores for a
round being scored, on the shared machinery of :mod:`workbooks` (file safety, the header
found among title rows, the mapping step, the job with its progress bar, the preview and the
all-or-nothing apply).

A sheet is read in one of two layouts, as offices write them:

- **long**: one row per score, with columns for the unit (by code, name or short name), the
  indicator (by number, name, or both as in "T1 群众满意度"), the points and a comment;
- **wide**: one row per unit, one column per indicator (headed by its number and/or name),
  the points in each cell (a blank cell: no score for it); a comment column applies to
  every score of its row.

Points are numbers (8.5, "８.５") up to two decimals; a percentage (85%, or 0.85 in a cell
styled as a percentage) is that share of the indicator's maximum (85% of 20 points is 17).

Every row is checked: a unit nobody knows, a unit not assessed in the round's scheme, an
indicator not of the scheme, one computed from the ledger, one of another source than the
uploader scores (an evaluator scores third-party indicators only), points below 0 or above
the maximum, the same unit and indicator twice. Each problem names its row and column, in
Chinese. Applying enters every score through :func:`assessments.services.scores_enter`, in
one transaction, or none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import QuerySet
from django.utils import translation
from django.utils.functional import lazystr
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accounts.models import Unit, User
from tasks_ledger.exports import Column, write_register
from tasks_ledger.models import TEXT_MAX
from workbooks import jobs
from workbooks.checking import CheckOutcome, Problem, Progress, RowChecker, rows_message
from workbooks.mapping import (
    HEADER_SCAN_ROWS,
    ImportField,
    SheetColumn,
    Vocabulary,
    column_name,
    find_header,
    sheet_columns,
    suggest_fields,
)
from workbooks.parsing import Rows, Sheet, cell_text, cell_value, is_blank, normalise, parse_number

from . import rules, services
from .models import CategoryMember, Indicator, Round, ScoreEntry, ScoreImportJob

SHOWN_SCORES = 200  # scores listed on the preview (the counts cover all)
INDICATOR = "ind:"  # field key prefix of a wide sheet's column for one indicator
EXAMPLE_MARKERS = {"示例", "例", "example"}
TOTAL_MARKERS = {"合计", "总计", "平均", "平均分", "total"}
CENT = Decimal("0.01")

UNIT = ImportField(
    "unit",
    pgettext_lazy("score import", "unit"),
    "unit",
    required=True,
    note=gettext_lazy("by code, name or short name; the unit must be assessed in this round"),
)
INDICATOR_FIELD = ImportField(
    "indicator",
    pgettext_lazy("score import", "indicator"),
    "indicator",
    note=gettext_lazy("by number, name, or both (T1 群众满意度)"),
)
POINTS = ImportField(
    "points",
    pgettext_lazy("score import", "points"),
    "points",
    note=gettext_lazy("a number up to the indicator's maximum; 85% means 85% of the maximum"),
)
COMMENT = ImportField("comment", pgettext_lazy("score import", "comment"), "text")

# Words offices use for the columns, beside the fields' labels in either language.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "unit": (
        "单位",
        "单位名称",
        "被考核单位",
        "被评估单位",
        "被测评单位",
        "考核对象",
        "评估对象",
        "考核单位",
        "单位代码",
        "单位编码",
        "县（市、区）",
        "县市区",
        "部门",
        "部门名称",
    ),
    "indicator": (
        "指标",
        "考核指标",
        "评估指标",
        "测评指标",
        "指标名称",
        "指标编号",
        "指标代码",
        "考核项目",
        "评估项目",
        "考核内容",
    ),
    "points": (
        "得分",
        "分数",
        "评分",
        "评估得分",
        "考核得分",
        "测评得分",
        "最终得分",
        "实得分",
        "得分（分）",
        "score",
    ),
    "comment": (
        "备注",
        "说明",
        "评语",
        "评估意见",
        "考核意见",
        "意见",
        "情况说明",
        "扣分说明",
        "得分说明",
        "扣分原因",
    ),
    "skip": ("序号", "编号", "排名", "名次", "类别", "单位类别", "分类"),
}


# --- the round's indicators ---------------------------------------------------------------------
@dataclass
class Scheme:
    """What a job's sheet is read against: the round's indicators (in one query, kept on the
    job) and which of them the uploader may score."""

    indicators: list[Indicator]
    sources: tuple[str, ...]

    @property
    def importable(self) -> list[Indicator]:
        """Indicators the uploader may import scores of: of their sources, not computed."""
        return [i for i in self.indicators if i.source in self.sources and not i.metric]

    def by_word(self) -> dict[str, Indicator]:
        """Normalised "T1群众满意度", "群众满意度" and "t1" -> the indicator."""
        words: dict[str, Indicator] = {}
        for indicator in self.indicators:
            for word in (f"{indicator.code}{indicator.name}", indicator.name, indicator.code):
                words.setdefault(normalise(word), indicator)
        return words


def _scheme(job: ScoreImportJob) -> Scheme:
    cached: Scheme | None = getattr(job, "_scheme_cache", None)
    if cached is None:
        round_ = job.round
        cached = Scheme(
            list(
                Indicator.objects.filter(scheme_id=round_.scheme_id).order_by("sort_order", "code")
            ),
            rules.importable_sources(job.created_by, round_),
        )
        job._scheme_cache = cached  # type: ignore[attr-defined]
    return cached


def prefetch(page: Sequence[ScoreImportJob], *, user: User) -> None:
    """Read the indicators of every job's round at once (one query for a page of jobs), for
    jobs of ``user`` (whose roles are read once)."""
    schemes = {job.round.scheme_id for job in page}
    indicators: dict[int, list[Indicator]] = {pk: [] for pk in schemes}
    for indicator in Indicator.objects.filter(scheme_id__in=schemes).order_by("sort_order", "code"):
        indicators[indicator.scheme_id].append(indicator)
    for job in page:
        job.created_by = user
        job._scheme_cache = Scheme(  # type: ignore[attr-defined]
            indicators[job.round.scheme_id], rules.importable_sources(user, job.round)
        )


def _indicator_label(indicator: Indicator) -> str:
    return f"{indicator.code} {indicator.name}"


def import_fields(job: ScoreImportJob) -> list[ImportField]:
    """The fields a column may fill: unit, indicator, points, comment (one row per score),
    then one per indicator the uploader may score (one column per indicator)."""
    fields = [UNIT, INDICATOR_FIELD, POINTS, COMMENT]
    for indicator in _scheme(job).importable:
        fields.append(
            ImportField(
                f"{INDICATOR}{indicator.code}",
                _("%(indicator)s (points, at most %(max)s)")  # type: ignore[arg-type]
                % {"indicator": _indicator_label(indicator), "max": indicator.max_points},
                "points",
                note=gettext_lazy("this indicator's points, one column for it"),
            )
        )
    return fields


def _vocabulary(job: ScoreImportJob) -> Vocabulary:
    """Header words of the job's sheet: the indicators' numbers and names first (a wide
    sheet), then the fields' labels in either language and the words offices use."""

    def build() -> dict[str, str]:
        table: dict[str, str] = {}
        for word, indicator in _scheme(job).by_word().items():
            table.setdefault(word, f"{INDICATOR}{indicator.code}")
        for concept, words in SYNONYMS.items():
            for word in words:
                table.setdefault(word, concept)
        for f in (UNIT, INDICATOR_FIELD, POINTS, COMMENT):
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    table.setdefault(str(f.label), f.key)
        return table

    cached: Vocabulary | None = getattr(job, "_vocabulary_cache", None)
    if cached is None:
        cached = Vocabulary(build)
        job._vocabulary_cache = cached  # type: ignore[attr-defined]
    return cached


def _suggest(job: ScoreImportJob, headers: Sequence[Any]) -> list[str | None]:
    keys = {f.key for f in import_fields(job)}
    vocabulary = _vocabulary(job)
    return suggest_fields(
        [vocabulary.concept_of(header) for header in headers],
        lambda concept, present: concept if concept in keys else None,
    )


def _is_header(job: ScoreImportJob, cells: Sequence[Any]) -> bool:
    """A row naming the unit and the points, the indicator, or an indicator of the scheme."""
    vocabulary = _vocabulary(job)
    found = {vocabulary.concept_of(cell_value(cell), strict=True) for cell in cells} - {None}
    return "unit" in found and any(
        c in ("points", "indicator") or c.startswith(INDICATOR) for c in found if c
    )


# --- checking -------------------------------------------------------------------------------
@dataclass
class ScorePlan:
    """One score to enter (or that is already so)."""

    row: int
    action: str  # "create", "update" or "unchanged"
    unit: Unit
    indicator: Indicator
    points: Decimal
    comment: str
    old: Decimal | None = None
    percent: Decimal | None = None  # the percentage written, when points came from one

    def as_dict(self) -> dict[str, Any]:
        """For the job's JSON field (the preview's rows)."""
        return {
            "row": self.row,
            "action": self.action,
            "unit": {"id": self.unit.pk, "code": self.unit.code, "name": self.unit.name},
            "indicator": {
                "id": self.indicator.pk,
                "code": self.indicator.code,
                "name": self.indicator.name,
                "max_points": str(self.indicator.max_points),
            },
            "points": str(self.points),
            "old": None if self.old is None else str(self.old),
            "percent": None if self.percent is None else f"{self.percent.normalize():f}%",
            "comment": self.comment,
        }


@dataclass
class ScoreCheck(CheckOutcome):
    """What the preview shows and applying needs."""

    rows: list[ScorePlan] = field(default_factory=list)  # the shown ones, or all when applying
    layout: str = ""  # "long" (a row per score) or "wide" (a column per indicator)
    unknown: dict[str, set[str]] = field(default_factory=dict)  # field -> values not found


class ScoreChecker(RowChecker):
    """Reads the rows of one workbook against one round, for its uploader, through the
    job's mapping. A fixed number of queries whatever the row count: the round's
    indicators, its assessed units, the units under the campaign's owner, its scores."""

    result: ScoreCheck

    def __init__(self, job: ScoreImportJob, *, keep_all: bool) -> None:
        self.job = job
        self.round = job.round
        self.user = job.created_by
        self.keep_all = keep_all
        self.scheme = _scheme(job)
        columns = jobs.sheet_columns(job)
        self.result = ScoreCheck(header_row=job.header_row, columns=columns)
        self.fields = {f.key: f for f in import_fields(job)}
        self.mapped = {c.index: c.field for c in columns if c.field in self.fields}
        self.column_of = {
            c.field: column_name(c)
            for c in columns
            if c.field in self.fields and list(self.mapped.values()).count(c.field) == 1
        }
        self.indicators = self.scheme.by_word()
        self.by_code = {i.code: i for i in self.scheme.indicators}
        self.assessed = set(
            CategoryMember.objects.filter(scheme_id=self.round.scheme_id).values_list(
                "unit_id", flat=True
            )
        )
        owner = self.round.scheme.campaign.owner_unit
        self.units: dict[str, list[Unit]] = {}
        for unit in Unit.objects.filter(path__startswith=owner.path).only(
            "pk", "name", "short_name", "code", "path"
        ):
            for key in {normalise(unit.name), normalise(unit.short_name), normalise(unit.code)}:
                if key:
                    self.units.setdefault(key, []).append(unit)
        self.existing = {
            (unit_id, indicator_id): (points, comment)
            for unit_id, indicator_id, points, comment in ScoreEntry.objects.filter(
                round=self.round
            ).values_list("unit_id", "indicator_id", "points", "comment")
        }
        self.seen: dict[tuple[int, int], int] = {}
        self.grouped: dict[str, list[int]] = {}
        self.footer = False

    # --- problems --------------------------------------------------------------------------
    def problem(self, row: int | None, key: str, message: str) -> None:
        """Record a problem at ``row`` in the column of ``key``."""
        label = str(self.fields[key].label) if key in self.fields else ""
        column = self.column_of.get(key) or label
        self.result.problems.append(Problem(row, column, message))

    def _unknown(self, key: str, value: str) -> None:
        self.result.unknown.setdefault(key, set()).add(value)

    # --- the sheet -------------------------------------------------------------------------
    def check(self, rows: Rows, progress: Progress) -> None:
        """Check every row below the header row."""
        if not rules.can_import_scores(self.user, self.round):
            self.result.problems.append(
                Problem(
                    None,
                    "",
                    _(
                        "Scores can no longer be imported into %(round)s: it is %(status)s, or "
                        "your account no longer scores it."
                    )
                    % {"round": self.round.title, "status": self.round.get_status_display()},
                )
            )
            return
        if self.result.header_row is None:
            self.result.problems.append(Problem(None, "", no_header_message()))
            return
        if not self._mapping_is_complete():
            return
        header = self.result.header_row
        if not self.check_rows(((n, c) for n, c in rows if n > header), progress):
            return
        for message, numbers in self.grouped.items():
            self.result.warnings.append(rows_message(numbers, message))

    def _mapping_is_complete(self) -> bool:
        """A unit column, and either indicator and points columns or a column per indicator
        (not both); no field chosen for two columns."""
        uses = Counter(self.mapped.values())
        ok = True
        for key, count in uses.items():
            if count > 1:
                ok = False
                letters = "、".join(
                    f"{c.letter}（{c.text or '—'}）" for c in self.result.columns if c.field == key
                )
                self.problem(
                    None,
                    key,
                    _(
                        "“%(field)s” is chosen for the columns %(columns)s: choose “ignore” "
                        "for all of them but one."
                    )
                    % {"field": self.fields[key].label, "columns": letters},
                )
        keys = set(uses)
        wide = any(k.startswith(INDICATOR) for k in keys)
        long = bool(keys & {"indicator", "points"})
        if "unit" not in keys:
            ok = False
            self.problem(None, "unit", missing_message(UNIT))
        if wide and long:
            ok = False
            self.problem(
                None,
                "",
                _(
                    "The sheet has columns for “indicator” or “points” and columns for single "
                    "indicators: choose “ignore” for one kind or the other."
                ),
            )
        elif long:
            for f in (INDICATOR_FIELD, POINTS):
                if f.key not in keys:
                    ok = False
                    self.problem(None, f.key, missing_message(f))
        elif not wide:
            ok = False
            self.problem(
                None,
                "",
                _(
                    "Choose a column for “indicator” and one for “points” (a row per score), "
                    "or a column for each indicator (a row per unit)."
                ),
            )
        self.result.layout = "wide" if wide else "long"
        return ok

    # --- one row ---------------------------------------------------------------------------
    def check_row(self, row: int, cells: dict[int, Any]) -> None:
        """Parse one row; record its problems or its plans."""
        by_key = {self.mapped[i]: cell for i, cell in cells.items()}
        unit_text = cell_text(by_key.get("unit")).strip()
        if normalise(unit_text) in EXAMPLE_MARKERS:
            self.result.total_rows -= 1
            return
        if normalise(unit_text) in TOTAL_MARKERS:
            self.result.total_rows -= 1
            self.footer = True
            return
        unit = self.match_unit(row, unit_text)
        comment = cell_text(by_key.get("comment")).strip()
        if len(comment) > TEXT_MAX:
            self.problem(
                row,
                "comment",
                _("Keep the comment to %(limit)d characters (this has %(n)d).")
                % {"limit": TEXT_MAX, "n": len(comment)},
            )
        if self.result.layout == "long":
            indicator = self.match_indicator(row, by_key.get("indicator"))
            points = self.parse_points(row, "points", by_key.get("points"), indicator)
            if unit and indicator and points:
                self.plan(row, unit, indicator, *points, comment)
            return
        scored = False
        for key, cell in by_key.items():
            if not key.startswith(INDICATOR) or is_blank(cell):
                continue
            scored = True
            indicator = self.by_code[key[len(INDICATOR) :]]
            points = self.parse_points(row, key, cell, indicator)
            if unit and points:
                self.plan(row, unit, indicator, *points, comment)
        if not scored:
            self.grouped.setdefault(_("no points are written for any indicator."), []).append(row)

    def match_unit(self, row: int, text: str) -> Unit | None:
        """The unit named, assessed in the round's scheme (None after recording why not)."""
        if not text:
            self.problem(row, "unit", _("Write the unit (its code, name or short name)."))
            return None
        found = self.units.get(normalise(text), [])
        if not found:
            self._unknown("unit", text)
            self.problem(
                row,
                "unit",
                _(
                    "Unknown unit “%(value)s”: write its code, full name or short name as the "
                    "platform has it."
                )
                % {"value": text},
            )
            return None
        assessed = [unit for unit in found if unit.pk in self.assessed]
        if len(assessed) > 1:
            self.problem(
                row,
                "unit",
                _("“%(value)s” names several units (%(units)s): write the unit's code.")
                % {"value": text, "units": "、".join(f"{u.name} {u.code}" for u in assessed)},
            )
            return None
        if not assessed:
            self.problem(
                row,
                "unit",
                _(
                    "%(unit)s is not assessed in this round: it is in none of the scheme's "
                    "categories. Delete the row, or ask the assessment office to add the unit."
                )
                % {"unit": found[0].name},
            )
            return None
        return assessed[0]

    def match_indicator(self, row: int, cell: Any) -> Indicator | None:
        """The indicator named (number, name or both), one the uploader may score."""
        text = cell_text(cell).strip()
        if not text:
            self.problem(row, "indicator", _("Write the indicator (its number or name)."))
            return None
        indicator = self.indicators.get(normalise(text))
        if indicator is None:
            self._unknown("indicator", text)
            names = "、".join(_indicator_label(i) for i in self.scheme.importable[:8])
            self.problem(
                row,
                "indicator",
                _("Unknown indicator “%(value)s”: this round's scheme has %(names)s.")
                % {"value": text, "names": names or "—"},
            )
            return None
        if indicator.metric:
            self.problem(
                row,
                "indicator",
                _(
                    "%(indicator)s is computed from the units' ledgers; its points are not "
                    "entered. Delete the row."
                )
                % {"indicator": _indicator_label(indicator)},
            )
            return None
        if indicator.source not in self.scheme.sources:
            self.problem(
                row,
                "indicator",
                _(
                    "%(indicator)s is an indicator of the %(source)s, which your account does "
                    "not score: third-party evaluators score the third-party indicators only."
                )
                % {
                    "indicator": _indicator_label(indicator),
                    "source": indicator.get_source_display(),
                },
            )
            return None
        return indicator

    def parse_points(
        self, row: int, key: str, cell: Any, indicator: Indicator | None
    ) -> tuple[Decimal, Decimal | None] | None:
        """Points (and the percentage they came from) within 0 and the indicator's maximum."""
        value = cell_value(cell)
        if is_blank(value):
            self.problem(row, key, _("Write the points."))
            return None
        try:
            number, percent = parse_number(value, getattr(cell, "number_format", "") or "")
        except ValueError:
            self.problem(
                row,
                key,
                _("“%(value)s” is not a number of points: write 8.5, or 85%% of the maximum.")
                % {"value": cell_text(value).strip()},
            )
            return None
        if indicator is None:
            return None
        maximum = indicator.max_points
        written = number
        if percent:
            number = (maximum * number / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        if written < 0:
            self.problem(row, key, _("Points cannot be negative."))
            return None
        if number > maximum:
            self.problem(
                row,
                key,
                _("%(points)s is above the maximum of %(indicator)s, %(max)s points.")
                % {
                    "points": f"{written.normalize():f}" + ("%" if percent else ""),
                    "indicator": _indicator_label(indicator),
                    "max": maximum,
                },
            )
            return None
        if number != number.quantize(CENT):
            self.problem(
                row, key, _("Points have at most two decimals (%(value)s).") % {"value": number}
            )
            return None
        return number.quantize(CENT), (written if percent else None)

    def plan(
        self,
        row: int,
        unit: Unit,
        indicator: Indicator,
        points: Decimal,
        percent: Decimal | None,
        comment: str,
    ) -> None:
        """Plan one score: new, a correction of the round's score, or the same."""
        pair = (unit.pk, indicator.pk)
        if pair in self.seen:
            self.problem(
                row,
                f"{INDICATOR}{indicator.code}" if self.result.layout == "wide" else "indicator",
                _("%(unit)s already has a score for %(indicator)s in row %(row)d.")
                % {
                    "unit": unit.name,
                    "indicator": _indicator_label(indicator),
                    "row": self.seen[pair],
                },
            )
            return
        self.seen[pair] = row
        old = self.existing.get(pair)
        if old is None:
            action = "create"
        elif old[0] == points and (old[1] or "") == comment:
            action = "unchanged"
        else:
            action = "update"
        self.result.counts[action] += 1
        if self.keep_all or len(self.result.rows) < SHOWN_SCORES:
            self.result.rows.append(
                ScorePlan(
                    row, action, unit, indicator, points, comment, old[0] if old else None, percent
                )
            )


def no_header_message() -> str:
    """The problem of a sheet without a recognisable header row."""
    return _(
        "No header row found in the first %(count)d rows: the sheet needs a row of column "
        "names with the unit (单位, 被考核单位…) and the points (得分…) with the indicator "
        "(指标…), or a column for each indicator headed by its number or name (T1 群众满意度)."
    ) % {"count": HEADER_SCAN_ROWS}


def missing_message(f: ImportField) -> str:
    """What to do about a field no column is chosen for."""
    return _(
        "Choose a column for “%(field)s” below, or add such a column to the workbook and "
        "upload it again."
    ) % {"field": f.label}


# --- the importer ---------------------------------------------------------------------------
class ScoreImporter(jobs.Importer):
    """Scores into one round, for whoever may import them (:func:`rules.can_import_scores`)."""

    model = ScoreImportJob
    cache_prefix = "score-import"
    path = "assessments.score_imports.SCORES"

    def fields(self, job: Any) -> list[ImportField]:
        return import_fields(job)

    def read_columns(self, job: Any, fileobj: IO[bytes]) -> tuple[int | None, list[SheetColumn]]:
        valid = {f.key for f in import_fields(job)}
        return find_header(
            fileobj,
            is_header=lambda cells: _is_header(job, cells),
            columns=lambda cells, samples: sheet_columns(
                cells, samples, suggest=lambda texts: _suggest(job, texts), valid=valid
            ),
        )

    def check(
        self, job: Any, fileobj: IO[bytes], *, keep_all: bool, progress: Progress
    ) -> CheckOutcome:
        checker = ScoreChecker(job, keep_all=keep_all)
        fileobj.seek(0)
        with Sheet(fileobj) as rows:
            checker.check(rows, progress)
        return checker.result

    def plan_json(self, job: Any, result: CheckOutcome) -> dict[str, Any]:
        assert isinstance(result, ScoreCheck)
        labels = {"unit": str(UNIT.label), "indicator": str(INDICATOR_FIELD.label)}
        return {
            "header_row": result.header_row,
            "layout": result.layout,
            "create": result.count("create"),
            "update": result.count("update"),
            "unchanged": result.count("unchanged"),
            "warnings": result.warnings,
            "unknown": [
                {"key": key, "label": labels.get(key, key), "values": sorted(values)}
                for key, values in sorted(result.unknown.items())
            ],
            "rows": [plan.as_dict() for plan in result.rows],
        }

    def write(self, job: Any, result: CheckOutcome, progress: Progress) -> None:
        assert isinstance(result, ScoreCheck)
        plans = [plan for plan in result.rows if plan.action != "unchanged"]
        try:
            services.scores_enter(
                round_=job.round,
                actor=job.created_by,
                entries=[(p.unit, p.indicator, p.points, p.comment) for p in plans],
            )
        except ValidationError as exc:
            raise jobs.Abort([Problem(None, "", m) for m in exc.messages]) from exc
        except PermissionDenied as exc:
            raise jobs.Abort([Problem(None, "", str(exc))]) from exc
        progress(len(plans))
        job.created_count = sum(p.action == "create" for p in plans)
        job.updated_count = sum(p.action == "update" for p in plans)

    def column_extra(self, job: Any, column: dict[str, Any]) -> dict[str, Any]:
        if column.get("field"):
            return {}
        concept = _vocabulary(job).concept_of(column.get("text") or column.get("header"))
        if concept and concept.startswith(INDICATOR):
            indicator = next(
                (i for i in _scheme(job).indicators if f"{INDICATOR}{i.code}" == concept), None
            )
            if indicator is not None and indicator not in _scheme(job).importable:
                return {
                    "left_out": True,
                    "note": _("%(indicator)s is not scored by your account: left out.")
                    % {"indicator": _indicator_label(indicator)},
                }
        return {"left_out": concept in ("comment", "skip")}

    def result_extra(self, job: Any) -> dict[str, Any]:
        plan = job.plan or {}
        return {
            "round": {"id": job.round_id, "title": job.round.title},
            "layout": plan.get("layout", ""),
            "counts": {
                "create": plan.get("create", 0),
                "update": plan.get("update", 0),
                "unchanged": plan.get("unchanged", 0),
            },
            "unknown": plan.get("unknown", []),
            "created": job.created_count,
            "updated": job.updated_count,
        }


SCORES = ScoreImporter()


# --- the template -----------------------------------------------------------------------------
def template_columns(indicators: Sequence[Indicator]) -> list[Column]:
    """The template's columns: number, unit code, unit, category, one column per indicator
    the uploader scores, and a comment; each reads back as its field (单位代码 as the unit)."""
    return [
        Column("serial", pgettext_lazy("excel column", "No."), 6, "code"),
        Column("unit_code", pgettext_lazy("excel column", "unit code"), 12, "code"),
        Column("unit_name", pgettext_lazy("excel column", "unit"), 26),
        Column("category", pgettext_lazy("excel column", "category"), 16),
        *(
            Column(f"{INDICATOR}{i.code}", lazystr(_indicator_label(i)), 16, "money")
            for i in indicators
        ),
        Column("comment", pgettext_lazy("score import", "comment"), 30),
    ]


def write_template(stream: IO[bytes], *, round_: Round, user: User) -> int:
    """A sheet to fill in: one row per unit assessed in the round (by category), one column
    per indicator ``user`` scores; it imports back as it is. Returns the units listed."""
    indicators = [
        i
        for i in Indicator.objects.filter(scheme_id=round_.scheme_id).order_by("sort_order", "code")
        if i.source in rules.importable_sources(user, round_) and not i.metric
    ]
    members = (
        CategoryMember.objects.filter(scheme_id=round_.scheme_id)
        .select_related("unit", "category")
        .order_by("category__sort_order", "category_id", "unit__path")
    )
    blanks = [None] * len(indicators)
    return write_register(
        stream,
        sheet=str(_("Scores")),
        title=_("%(round)s: scores") % {"round": round_.title},
        subtitle=_(
            "Write each unit's points under its indicator (a number, or a percentage of the "
            "maximum); leave a cell blank for no score. Keep the header row as it is."
        ),
        columns=template_columns(indicators),
        rows=members.iterator(),
        values=lambda m, n: [n, m.unit.code, m.unit.name, m.category.name, *blanks, ""],
    )


# --- the steps ------------------------------------------------------------------------------
def score_import_jobs(*, user: User) -> QuerySet[ScoreImportJob]:
    """The user's own score imports, newest first: nobody else reaches a job."""
    if not user.is_authenticated:
        return ScoreImportJob.objects.none()
    return ScoreImportJob.objects.filter(created_by=user).select_related(
        "round__scheme__campaign__owner_unit", "created_by"
    )


@transaction.atomic
def score_import_create(*, actor: User, round_: Round, upload: UploadedFile) -> ScoreImportJob:
    """Refuse a bad file (:class:`workbooks.safety.ImportRefused`, nothing stored) or store
    it as a job with its header row and columns, and start checking it. Raises
    ``PermissionDenied`` when ``actor`` may not import scores into ``round_``."""
    if not rules.can_import_scores(actor, round_):
        raise PermissionDenied(
            _(
                "You may not import scores into this round: scores are imported while a round "
                "is being scored, by the assessment office or a third-party evaluator over it."
            )
        )
    return jobs.job_create(SCORES, ScoreImportJob(round=round_, created_by=actor), upload)


@transaction.atomic
def score_import_remap(
    *, job: ScoreImportJob, actor: User, mapping: dict[str, str | None] | None = None
) -> ScoreImportJob:
    """Take the clerk's mapping and check the file again (:func:`workbooks.jobs.job_remap`)."""
    return jobs.job_remap(SCORES, job, actor, mapping)


def score_import_request_apply(*, job: ScoreImportJob, actor: User) -> ScoreImportJob:
    """Enter a clean preview's scores, all or none: here, or in the worker for long sheets."""
    return jobs.job_request_apply(SCORES, job, actor)


def score_import_result(*, job: ScoreImportJob) -> dict[str, Any]:
    """Where the job stands (:func:`workbooks.jobs.job_result`), with ``round``, ``layout``
    (long or wide), ``counts`` (create, update, unchanged), ``unknown`` (units and
    indicators not found) and once applied ``created`` and ``updated``."""
    return jobs.job_result(SCORES, job)


def score_import_uploads_purge(*, keep_days: int) -> int:
    """Delete uploaded score workbooks older than ``keep_days`` (the jobs stay)."""
    return jobs.uploads_purge(ScoreImportJob, keep_days=keep_days)
