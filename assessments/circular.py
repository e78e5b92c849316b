"""A published round's circular (情况通报): a .docx in the layout of GB/T 9704 and the words an
A4 print view shows (``assessments/circular_print.html``), both from :func:`circular_context`.

The 版头: "能力作风建设情况通报" in red 小标宋, the issue (第N期, numbered per campaign when the
round was published), the issuing office and the date of publication, a red rule. Then the
title and the body in 3号 仿宋, 22 lines of 28 characters a page, page numbers "— 1 —":

一、总体情况: how many units were assessed and how many have deductions ("本季度共考核87家单位，
    其中46家单位存在不同程度扣分"), and how many got each grade;
二、划档排序情况: per category, the units of each tier (第一档: …) in rank order;
三、扣分情况: where the deductions came from, and the largest of them with their reasons;
四、进位退位情况: the units that moved up and down most since the previous round.

Everything comes from the published snapshot: the results' own columns (names included, as
they were when computed) and the round's standing deductions, which no service changes
once the round is published. The issuing office is named as it was at publication (from
the unit's history). Whoever reads it sees the whole round: a circular is circulated to
every unit assessed (:func:`assessments.rules.can_view_circular`).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from decimal import Decimal

from django.apps import apps
from django.db.models import Count, OuterRef, Subquery, Sum
from django.utils import timezone, translation
from docx.enum.text import WD_TAB_ALIGNMENT
from docx.shared import Mm

from config.documents import (
    CENTER,
    FONT_HEADING,
    FONT_TITLE,
    RED,
    RIGHT,
    SIZE_MARK,
    SIZE_TITLE,
    TEXT_WIDTH,
    add_paragraph,
    chinese_date,
    chinese_number,
    fixed_lines,
    official_document,
    page_numbers,
    red_rule,
    save,
)

from .models import Deduction, DeductionOrigin, DeductionStatus, Result, Round, RoundKind
from .selectors import grade_counts, movement_text, tier_label

MASTHEAD = "能力作风建设情况通报"
OFFICE_SUFFIX = "能力作风建设领导小组办公室"
TYPICAL = 5  # the largest deductions named
MOVERS = 3  # units named as moving up, and as moving down, most


@dataclass(frozen=True)
class TierLine:
    label: str  # 第一档
    names: tuple[str, ...]

    @property
    def text(self) -> str:
        """第一档（3家）：甲县、乙县、丙县。"""
        return f"{self.label}（{len(self.names)}家）：{'、'.join(self.names)}。"


@dataclass(frozen=True)
class CategorySection:
    heading: str  # （一）县（市、区）（共4家）
    tiers: tuple[TierLine, ...]
    grades: str  # 其中优秀1家、良好2家……


@dataclass(frozen=True)
class TypicalDeduction:
    unit_name: str
    points: Decimal
    reason: str

    @property
    def text(self) -> str:
        """甲县扣5分：暗访发现台账更新不及时。"""
        reason = self.reason.strip().rstrip("。；;.")
        return f"{self.unit_name}扣{_points(self.points)}分：{reason}。"


@dataclass(frozen=True)
class CircularDocument:
    """The words of the circular, shared by the .docx and the print view (and read back by
    the tests to compare with the results)."""

    masthead: str
    issue: str
    issuing_body: str
    date: str
    title: str
    assessed: int
    with_deductions: int
    headline: str
    grades: str
    categories: tuple[CategorySection, ...]
    origins: str
    typical: tuple[TypicalDeduction, ...]
    movers_up: str
    movers_down: str
    closing: str


def _points(value: Decimal) -> str:
    """5, 2.5, 0.25: points without trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def _grades_text(results: list[Result]) -> str:
    return "、".join(f"{g.label}{g.count}家" for g in grade_counts(results))


def _name_at_publication(round_: Round) -> str:
    """The issuing office: the campaign's owner unit as it was named when the round was
    published (its history), so renaming it later does not change the circular."""
    owner = round_.scheme.campaign.owner_unit
    unit_event = apps.get_model("accounts", "UnitEvent")
    name = None
    if round_.published_at is not None:
        name = (
            unit_event.objects.filter(pgh_obj_id=owner.pk, pgh_created_at__lte=round_.published_at)
            .order_by("-pgh_created_at", "-pgh_id")
            .values_list("name", flat=True)
            .first()
        )
    return f"{name or owner.name}{OFFICE_SUFFIX}"


def _movers(results: list[Result]) -> tuple[str, str]:
    def names(rows: list[Result]) -> str:
        return "、".join(f"{r.unit_name}（{movement_text(r.movement)}）" for r in rows)

    moved = [(r.movement, r) for r in results if r.movement]
    up = [r for m, r in sorted(moved, key=lambda x: (-x[0], x[1].unit_code)) if m > 0]
    down = [r for m, r in sorted(moved, key=lambda x: (x[0], x[1].unit_code)) if m < 0]
    return names(up[:MOVERS]), names(down[:MOVERS])


def circular_context(round_: Round) -> CircularDocument:
    """The circular of a published round, in Chinese whatever the request's language; four
    queries whatever the number of units (results, deductions by origin, the largest
    deductions, the issuing office's name at publication)."""
    results = list(
        Result.objects.filter(round=round_).order_by("category__sort_order", "category_id", "rank")
    )
    standing = Deduction.objects.filter(round=round_, status=DeductionStatus.STANDING)
    by_origin = list(
        standing.values("origin")
        .annotate(n=Count("pk"), points=Sum("points"))
        .order_by("-n", "-points", "origin")
    )
    snapshot_name = Result.objects.filter(round=round_, unit=OuterRef("unit")).values("unit_name")
    typical = [
        TypicalDeduction(d.snapshot_name or "", d.points, d.reason)
        for d in standing.annotate(snapshot_name=Subquery(snapshot_name[:1])).order_by(
            "-points", "snapshot_name", "pk"
        )[:TYPICAL]
    ]
    assessed = len(results)
    with_deductions = sum(1 for r in results if r.deduction_count)
    period = "本季度" if round_.kind == RoundKind.QUARTERLY else "本年度"
    with translation.override("zh-hans"):
        origin_labels = {value: str(label) for value, label in DeductionOrigin.choices}
        grades = _grades_text(results)
        sections = []
        groups = itertools.groupby(results, key=lambda r: r.category_id)
        for number, (_category, group) in enumerate(groups, 1):
            rows = list(group)
            tiers = tuple(
                TierLine(tier_label(tier), tuple(r.unit_name for r in members))
                for tier, members in itertools.groupby(rows, key=lambda r: r.tier)
            )
            sections.append(
                CategorySection(
                    heading=f"（{chinese_number(number)}）{rows[0].category_name}（共{len(rows)}家）",
                    tiers=tiers,
                    grades=f"评定{_grades_text(rows)}。",
                )
            )
    origins = "、".join(f"{origin_labels[o['origin']]}{o['n']}次" for o in by_origin)
    up, down = _movers(results)
    published = timezone.localtime(round_.published_at).date() if round_.published_at else None
    return CircularDocument(
        masthead=MASTHEAD,
        issue=f"第{round_.circular_issue}期" if round_.circular_issue else "",
        issuing_body=_name_at_publication(round_),
        date=chinese_date(published),
        title=f"关于{round_.title}能力作风建设考核结果的通报",
        assessed=assessed,
        with_deductions=with_deductions,
        headline=(f"{period}共考核{assessed}家单位，其中{with_deductions}家单位存在不同程度扣分。"),
        grades=f"经综合评定，{grades}。",
        categories=tuple(sections),
        origins=(
            f"共扣分{sum(o['n'] for o in by_origin)}次，其中{origins}。"
            if by_origin
            else "本期无扣分。"
        ),
        typical=tuple(typical),
        movers_up=f"进位较多的单位：{up}。" if up else "",
        movers_down=f"退位较多的单位：{down}。" if down else "",
        closing=(
            "各单位要对照考核结果，深入查找问题不足，逐项明确整改措施和完成时限；"
            "存在扣分的单位要认真分析原因，举一反三、立行立改，切实以能力作风建设新成效推动各项工作落实。"
        ),
    )


def circular_docx(round_: Round) -> bytes:
    """The circular as a .docx (GB/T 9704 layout), ready to edit and stamp."""
    words = circular_context(round_)
    doc = official_document()
    fixed_lines(doc)
    add_paragraph(doc, words.masthead, font=FONT_TITLE, size=SIZE_MARK, color=RED, align=CENTER)
    add_paragraph(doc, words.issue, align=CENTER)
    issuer = add_paragraph(doc, f"{words.issuing_body}\t{words.date}")
    issuer.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH), WD_TAB_ALIGNMENT.RIGHT)
    red_rule(issuer)
    add_paragraph(doc, "")
    add_paragraph(doc, words.title, font=FONT_TITLE, size=SIZE_TITLE, align=CENTER)
    add_paragraph(doc, "")
    add_paragraph(doc, "一、总体情况", font=FONT_HEADING, indent=True)
    add_paragraph(doc, words.headline, indent=True)
    add_paragraph(doc, words.grades, indent=True)
    add_paragraph(doc, "二、划档排序情况", font=FONT_HEADING, indent=True)
    for section in words.categories:
        add_paragraph(doc, section.heading, indent=True)
        for tier in section.tiers:
            add_paragraph(doc, tier.text, indent=True)
        add_paragraph(doc, section.grades, indent=True)
    add_paragraph(doc, "三、扣分情况", font=FONT_HEADING, indent=True)
    add_paragraph(doc, words.origins, indent=True)
    if words.typical:
        add_paragraph(doc, "典型扣分事项：", indent=True)
        for n, deduction in enumerate(words.typical, 1):
            add_paragraph(doc, f"{n}. {deduction.text}", indent=True)
    if words.movers_up or words.movers_down:
        add_paragraph(doc, "四、进位退位情况", font=FONT_HEADING, indent=True)
        for line in (words.movers_up, words.movers_down):
            if line:
                add_paragraph(doc, line, indent=True)
    add_paragraph(doc, words.closing, indent=True)
    add_paragraph(doc, "")
    add_paragraph(doc, words.issuing_body, align=RIGHT)
    add_paragraph(doc, words.date, align=RIGHT)
    page_numbers(doc)
    return save(doc)


def circular_filename(round_: Round) -> tuple[str, str]:
    """The download's Chinese name and its ASCII fallback."""
    issue = f"第{round_.circular_issue}期 " if round_.circular_issue else ""
    return f"{issue}{MASTHEAD}（{round_.title}）.docx", f"circular-{round_.pk}.docx"
