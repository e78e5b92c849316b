"""The circular (情况通报) of a published round: the .docx read back with python-docx agrees
with the results to the point (headline, grades, tier lists, typical deductions, movement),
in the GB/T 9704 layout; the print view shows the same words; who may read it; and it is a
frozen snapshot that later edits do not change.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from docx import Document
from docx.oxml.ns import qn

from accounts.tests.factories import UserFactory
from config.documents import FONT_BODY, FONT_TITLE

from ..circular import MASTHEAD, circular_context, circular_docx
from ..models import Deduction, DeductionStatus, Grade, Result
from ..selectors import tier_label
from .conftest import Assessment
from .test_publication import Published, client_for, make_ranked, publish_world, read_export

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(assessment: Assessment) -> Published:
    return publish_world(assessment)


def paragraphs(data: bytes) -> list[str]:
    return [p.text for p in Document(io.BytesIO(data)).paragraphs]


def download(client: Client, published: Published) -> bytes:
    response: Any = client.get(reverse("assessments:round-circular", args=[published.round.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument")
    return b"".join(response.streaming_content)


def test_the_docx_figures_agree_with_the_published_results(published: Published) -> None:
    """GIVEN Q2 published (5 units, 3 with deductions) WHEN the office downloads its circular
    THEN the .docx reads back with the issue number, the headline counted from the results,
    every grade's count, each category's tier lists in rank order, the largest deductions
    with their reasons and the units that moved most."""
    texts = paragraphs(download(client_for(published.org.assessor), published))
    results = published.results()
    assessed = len(results)
    deducted = sum(1 for r in results if r.deduction_count)
    assert (assessed, deducted) == (5, 3)
    assert texts[0] == MASTHEAD
    assert texts[1] == f"第{published.round.circular_issue}期"
    assert texts[2].startswith("测试市能力作风建设领导小组办公室")
    assert f"本季度共考核{assessed}家单位，其中{deducted}家单位存在不同程度扣分。" in texts
    counts = {g: sum(1 for r in results if r.grade == g) for g in Grade.values}
    grades = next(t for t in texts if t.startswith("经综合评定"))
    for grade, label in Grade.choices:
        assert f"{label}{counts[grade]}家" in grades
    for category in {r.category_name for r in results}:
        rows = [r for r in results if r.category_name == category]
        heading = next(t for t in texts if t.endswith(f"{category}（共{len(rows)}家）"))
        start = texts.index(heading) + 1
        for tier in sorted({r.tier for r in rows}):
            names = [r.unit_name for r in rows if r.tier == tier]
            line = f"{tier_label(tier)}（{len(names)}家）：{'、'.join(names)}。"
            assert line in texts[start : start + 4]
    standing = Deduction.objects.filter(round=published.round, status=DeductionStatus.STANDING)
    assert f"共扣分{standing.count()}次，其中明察暗访2次、问题清单1次。" in texts
    assert "1. 甲县扣10分：甲县重点项目进度滞后，督办后仍未整改。" in texts
    assert "3. 甲镇扣2.5分：甲镇信访件逾期未办结。" in texts
    mover = next(r for r in results if r.unit_name == "县01")
    assert f"进位较多的单位：县01（↑{mover.movement}）。" in texts


def test_the_docx_is_laid_out_as_an_official_document(published: Published) -> None:
    """A4 with margins 37/35/28/26 mm, a red 小标宋 masthead, the red rule, the title in 2号,
    the body in 3号 仿宋 at a fixed 22-line pitch, and "— PAGE —" in the footer."""
    doc: Any = Document(io.BytesIO(circular_docx(published.round)))  # Any: optional parts
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(m.mm) for m in margins] == [37, 35, 28, 26]
    mark = doc.paragraphs[0].runs[0]
    assert str(mark.font.color.rgb) == "E60012"
    assert mark._element.rPr.rFonts.get(qn("w:eastAsia")) == FONT_TITLE
    rule = doc.paragraphs[2]._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert rule.get(qn("w:color")) == "E60012"
    title = next(p for p in doc.paragraphs if p.text.startswith("关于"))
    assert title.runs[0].font.size.pt == 22
    normal = doc.styles["Normal"]
    assert normal.font.size.pt == 16 and normal.paragraph_format.line_spacing.pt == 28.95
    assert normal.element.rPr.rFonts.get(qn("w:eastAsia")) == FONT_BODY
    footer = section.footer.paragraphs[0]
    assert footer.text == "— 1 —"
    assert "PAGE" in "".join(t.text for t in footer._p.iter(qn("w:instrText")))


def test_the_print_view_shows_the_same_words_on_a4(published: Published) -> None:
    client = client_for(published.org.assessor)
    response = client.get(reverse("assessments:round-circular-print", args=[published.round.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    words = circular_context(published.round)
    for text in (words.masthead, words.issue, words.headline, words.title, words.origins):
        assert text in html
    for section in words.categories:
        for tier in section.tiers:
            assert tier.text in html
    assert "assessments/circular_print.css" in html


def test_there_is_no_circular_before_publication(published: Published) -> None:
    client = client_for(published.org.assessor)
    for name in ("assessments:round-circular", "assessments:round-circular-print"):
        response = client.get(reverse(name, args=[published.a.scoring.pk]))
        assert response.status_code == 404
        assert "情况通报在本轮考核结果发布时印发" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("assessor", 200),
        ("inside", 200),
        ("outsider", 200),
        ("official", 200),
        ("supervisor", 200),
        ("nobody", 404),
    ],
)
def test_who_reads_the_circular(published: Published, persona: str, status: int) -> None:
    """Every unit assessed (and who oversees it: the official, the supervision group) reads
    the circular once published; someone who sees no result of the round does not."""
    user = UserFactory(username="nobody") if persona == "nobody" else None
    client = client_for(user or getattr(published.org, persona))
    url = reverse("assessments:round-circular", args=[published.round.pk])
    assert client.get(url).status_code == status


def test_the_circular_runs_a_fixed_number_of_queries(org: Any) -> None:
    small, large = make_ranked(org, 2, year=2030), make_ranked(org, 25, year=2031)
    counts = []
    for round_ in (small, small, large):
        with CaptureQueriesContext(connection) as ctx:
            circular_docx(round_)
        counts.append(len(ctx.captured_queries))
    # results, deductions by origin, the largest deductions, the office's name at publication
    assert counts[1] == counts[2] <= 4


def test_an_archived_round_keeps_its_circular(published: Published) -> None:
    from .. import services

    before = circular_context(published.round)
    services.round_archive(round_=published.round, actor=published.org.assessor)
    published.round.refresh_from_db()
    assert circular_context(published.round) == before
    assert Result.objects.filter(round=published.round).count() == 5


def test_the_ranking_page_circular_and_excel_agree_to_the_point(published: Published) -> None:
    """GIVEN Q2 published WHEN the office reads the ranking page, the circular and the Excel
    THEN the headline, each category's tier lists and each grade's count are the same in all
    three."""
    client = client_for(published.org.assessor)
    rows = read_export(client, published.round)
    html = client.get(reverse("assessments:round-ranking", args=[published.round.pk]))
    page = html.content.decode()
    words = circular_context(published.round)
    data = rows[3:]
    assert f"共考核{len(data)}家单位，其中{words.with_deductions}家单位存在扣分" in rows[1][0]
    assert f'data-figure="assessed">{words.assessed}<' in page
    assert f'data-figure="with_deductions">{words.with_deductions}<' in page
    assert sum(1 for row in data if row[10]) == words.with_deductions
    tiers: dict[str, dict[str, list[str]]] = {}
    for row in data:
        tiers.setdefault(row[1], {}).setdefault(row[12], []).append(row[4])
    for section in words.categories:
        name = section.heading.split("）", 1)[1].rsplit("（共", 1)[0]
        assert {t.label: list(t.names) for t in section.tiers} == tiers[name]
        for label, names in tiers[name].items():
            assert f"<strong>{label}</strong>" in page and "、".join(names) in page
    for grade, grade_label in Grade.choices:
        count = sum(1 for row in data if row[11] == grade_label)
        assert f"{grade_label}{count}家" in words.grades
        assert f'data-grade="{grade}">{count}<' in page
