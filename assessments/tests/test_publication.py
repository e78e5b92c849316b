"""Published rankings: the ranking page (who sees what, before and after publication, in a
fixed number of queries), the Excel export agreeing with the page, and the public ranking
(opt-in, grades and tiers only, no sign-in).

The world (:func:`publish_world`): the conftest's scheme with two categories, 县（市、区）
(县01, 县02, 甲县, 乙县) and 乡镇 (甲镇); Q1's results as last quarter's ranking; Q2 scored,
with three deductions, and published by the assessment office through the service.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Unit, UnitLevel
from accounts.tests.factories import UnitFactory

from .. import services
from ..models import (
    CategoryMember,
    Deduction,
    DeductionOrigin,
    Grade,
    Result,
    Round,
    RoundKind,
    RoundStatus,
    Scheme,
    UnitCategory,
)
from ..selectors import movement_text, tier_label
from .conftest import Assessment

pytestmark = pytest.mark.django_db

D = Decimal


@dataclass
class Published:
    a: Assessment
    round: Round
    towns: UnitCategory

    @property
    def org(self) -> Any:
        return self.a.org

    def results(self) -> list[Result]:
        return list(Result.objects.filter(round=self.round).order_by("category_id", "rank"))


def _previous_results(round_: Round, ranks: dict[Unit, int]) -> None:
    """Results of ``round_`` written directly (last quarter's ranking, for the movement)."""
    members = {
        m.unit_id: m.category
        for m in CategoryMember.objects.filter(scheme=round_.scheme).select_related("category")
    }
    Result.objects.bulk_create(
        Result(
            round=round_,
            unit=unit,
            category=members[unit.pk],
            unit_code=unit.code,
            unit_name=unit.name,
            category_name=members[unit.pk].name,
            daily=D(80),
            annual=D(80),
            third_party=D(80),
            public=D(80),
            total=D(80),
            band_grade=Grade.GOOD,
            grade=Grade.GOOD,
            rank=rank,
            tier=1,
        )
        for unit, rank in ranks.items()
    )


def publish_world(a: Assessment, extra: Callable[[Assessment], Any] | None = None) -> Published:
    """Score Q2, record deductions (and ``extra``'s) and publish it through the services."""
    org, w = a.org, a.w
    # The annual round starts on 1 January too; it would count as Q2's previous round.
    a.rounds[RoundStatus.ARCHIVED].delete()
    towns = UnitCategory.objects.create(scheme=w.scheme, name="乡镇", sort_order=1)
    CategoryMember.objects.filter(scheme=w.scheme, unit=org.township_a).update(category=towns)
    c01, c02 = w.units
    counties = [c01, c02, org.county_a, org.county_b]
    _previous_results(
        a.rounds[RoundStatus.PUBLISHED],
        {org.county_b: 1, org.county_a: 2, c02: 3, c01: 4, org.township_a: 1},
    )
    for unit in [*counties, org.township_a]:
        w.full_marks(unit)
    w.score(c01, "P1", "80")
    w.score(c02, "A1", "70")
    w.score(org.county_a, "T1", "85")
    w.score(org.county_b, "P1", "60")
    w.score(org.county_b, "A1", "50")
    for unit, points, reason, origin in (
        (c02, "5", "暗访发现县02台账更新不及时", DeductionOrigin.INSPECTION),
        (org.county_a, "10", "甲县重点项目进度滞后，督办后仍未整改", DeductionOrigin.INSPECTION),
        (org.township_a, "2.5", "甲镇信访件逾期未办结", DeductionOrigin.PROBLEM),
    ):
        Deduction.objects.create(
            round=w.round,
            unit=unit,
            indicator=w.indicators["D1"],
            points=D(points),
            reason=reason,
            origin=origin,
        )
    if extra is not None:
        extra(a)
    round_ = services.round_publish(round_=w.round, actor=org.assessor)
    return Published(a, round_, towns)


@pytest.fixture
def published(assessment: Assessment) -> Published:
    return publish_world(assessment)


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def page_rows(html: str) -> list[str]:
    """The units' names in the ranking tables of a page, in order."""

    return re.findall(
        r'<th scope="row" class="text-break fw-normal" data-col="unit">([^<]+)<', html
    )


# --- the ranking page --------------------------------------------------------------------------
def test_the_office_sees_every_category_ranked_with_headline_tiers_and_movement(
    published: Published,
) -> None:
    """GIVEN Q2 published WHEN the assessment office opens its ranking THEN both categories
    show every unit by rank with subtotals, total, deductions, grade, tier and movement,
    under the headline 共考核5家单位，其中3家存在扣分."""
    response = client_for(published.org.assessor).get(
        reverse("assessments:round-ranking", args=[published.round.pk])
    )
    assert response.status_code == 200
    html = response.content.decode()
    results = published.results()
    assert page_rows(html) == [r.unit_name for r in results]
    assert '<div class="app-stat-value" data-figure="assessed">5</div>' in html
    assert '<div class="app-stat-value" data-figure="with_deductions">3</div>' in html
    assert "共考核5家单位，其中3家单位存在扣分" in html
    for r in results:
        assert f'data-col="total">{r.total}<' in html
        assert tier_label(r.tier) in html
    c01 = next(r for r in results if r.unit_name == "县01")
    assert c01.movement == 3 and movement_text(c01.movement) == "↑3"
    assert 'data-col="movement">↑3<' in html
    assert "第一档" in html and "第二档" in html
    # Links to the circular and the export.
    assert reverse("assessments:round-circular", args=[published.round.pk]) in html
    assert reverse("assessments:round-export", args=[published.round.pk]) in html
    assert f'href="{reverse("assessments:round-detail", args=[published.round.pk])}"' in html


def test_before_publication_a_unit_sees_only_its_own_result(assessment: Assessment) -> None:
    """GIVEN Q2 computed but under review WHEN 甲县's liaison, 乙县's liaison and the city
    official open the ranking THEN each unit sees its own row and no headline, the official
    sees all, and someone who sees none of it gets a 404."""
    from ..results import round_compute

    org, w = assessment.org, assessment.w
    for unit in [*w.units, org.county_a, org.township_a, org.county_b]:
        w.full_marks(unit)
    round_compute(round_=w.round)
    url = reverse("assessments:round-ranking", args=[w.round.pk])
    inside = client_for(org.inside).get(url).content.decode()
    assert page_rows(inside) == ["甲县"]
    assert 'data-figure="assessed"' not in inside
    assert page_rows(client_for(org.outsider).get(url).content.decode()) == ["乙县"]
    assert len(page_rows(client_for(org.official).get(url).content.decode())) == 5
    assert client_for(org.supervisor).get(url).status_code == 404  # no unit, no result
    assert Client().get(url).status_code == 302  # sign in first


def test_after_publication_everyone_sees_their_jurisdiction_and_the_round_headline(
    published: Published,
) -> None:
    """GIVEN Q2 published WHEN 甲县's liaison opens the ranking THEN it sees 甲县 and 甲镇 (its
    jurisdiction) and the round's headline figures (circulated to every unit)."""
    html = (
        client_for(published.org.inside)
        .get(reverse("assessments:round-ranking", args=[published.round.pk]))
        .content.decode()
    )
    assert sorted(page_rows(html)) == ["甲县", "甲镇"]
    assert 'data-figure="assessed">5<' in html
    assert f'href="{reverse("assessments:round-detail", args=[published.round.pk])}"' not in html


def test_an_unknown_round_is_404(published: Published) -> None:
    client = client_for(published.org.assessor)
    assert client.get(reverse("assessments:round-ranking", args=[999999])).status_code == 404


def make_ranked(org: Any, count: int, *, year: int = 2030, public: bool = True) -> Round:
    """A published round with ``count`` results written directly in one category of a fresh
    scheme of the org's campaign (for counting queries at two sizes)."""
    scheme = Scheme.objects.create(
        campaign=org.campaign,
        year=year,
        title=f"{year}年方案",
        daily_weight=D(100),
        annual_weight=0,
        third_party_weight=0,
        public_weight=0,
    )
    category = UnitCategory.objects.create(scheme=scheme, name="县（市、区）")
    round_ = Round.objects.create(
        scheme=scheme,
        kind=RoundKind.QUARTERLY,
        quarter=1,
        title=f"{year}年第一季度",
        period_start=dt.date(year, 1, 1),
        period_end=dt.date(year, 3, 31),
        status=RoundStatus.PUBLISHED,
        public=public,
        circular_issue=1,
    )
    units = [
        UnitFactory.create(
            parent=org.city, name=f"{year}县{n:03d}", code=f"Y{year}{n:03d}", level=UnitLevel.COUNTY
        )
        for n in range(count)
    ]
    Result.objects.bulk_create(
        Result(
            round=round_,
            unit=unit,
            category=category,
            unit_code=unit.code,
            unit_name=unit.name,
            category_name=category.name,
            daily=D(90) - n,
            annual=D(0),
            third_party=D(0),
            public=D(0),
            total=D(90) - n,
            deduction_count=n % 2,
            deducted=D(n % 2),
            band_grade=Grade.GOOD,
            grade=Grade.GOOD,
            rank=n + 1,
            tier=1 + 3 * n // count,
            movement=(-1) ** n,
        )
        for n, unit in enumerate(units)
    )
    return round_


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "name",
    [
        "assessments:round-ranking",
        "assessments:round-export",
        "assessments:round-circular-print",
        "assessments:round-circular",
        "public:round-ranking",
    ],
)
def test_the_ranking_export_and_public_page_run_a_fixed_number_of_queries(
    org: Any, name: str
) -> None:
    """GIVEN rounds of 2 and of 25 units WHEN the office opens each THEN the same number of
    queries: the session and user, the office's roles and jurisdiction, the round, the
    visible results, the round's headline counts (and the navbar's menus) — never one per
    unit."""
    small, large = make_ranked(org, 2, year=2030), make_ranked(org, 25, year=2031)
    client = client_for(org.assessor)
    for round_ in (small, large):  # warm the per-process caches and the published rankings'
        _queries(client, reverse(name, args=[round_.pk]))
    assert _queries(client, reverse(name, args=[small.pk])) == _queries(
        client, reverse(name, args=[large.pk])
    )
    assert _queries(client, reverse(name, args=[large.pk])) <= 14


def test_the_dashboard_runs_a_fixed_number_of_queries(org: Any) -> None:
    """The dashboard for a round of 2 or of 25 units, with a unit's trend: the same queries
    (the rounds to choose from, the scheme's categories, the visible results, the headline
    counts, the unit, its trend; the session, roles and jurisdiction)."""
    small, large = make_ranked(org, 2, year=2030), make_ranked(org, 25, year=2031)
    client = client_for(org.assessor)
    url = reverse("assessments:ranking-dashboard")

    def unit_of(round_: Round) -> int:
        return Result.objects.filter(round=round_).values_list("unit_id", flat=True)[0]

    for round_ in (small, large):  # warm the per-process caches and the published rankings'
        _queries(client, f"{url}?round={round_.pk}&unit={unit_of(round_)}")
    assert _queries(client, f"{url}?round={small.pk}&unit={unit_of(small)}") == _queries(
        client, f"{url}?round={large.pk}&unit={unit_of(large)}"
    )
    html = client.get(f"{url}?round={large.pk}").content.decode()
    assert html.count('data-col="total"') == 25
    assert reverse("api:ranking") in html and reverse("api:ranking-trend") in html


# --- the Excel export --------------------------------------------------------------------------
def read_export(client: Client, round_: Round) -> list[list[Any]]:
    response = client.get(reverse("assessments:round-export", args=[round_.pk]))
    assert response.status_code == 200
    return [list(row) for row in sheet(response).iter_rows(values_only=True)]


def sheet(response: Any) -> Any:
    """The first sheet of a downloaded workbook."""
    return load_workbook(io.BytesIO(b"".join(response.streaming_content))).active


def test_the_export_agrees_with_the_page_to_the_point(published: Published) -> None:
    """GIVEN Q2 published WHEN the office exports its results THEN the sheet's title names the
    round, its subtitle the headline, and every row the page's unit, rank, subtotals, total,
    points deducted, grade, tier and movement, category by category."""
    client = client_for(published.org.assessor)
    rows = read_export(client, published.round)
    assert rows[0][0] == f"{published.round.title}考核结果"
    assert "共考核5家单位，其中3家单位存在扣分" in rows[1][0]
    header, data = rows[2], rows[3:]
    assert header[:5] == ["序号", "类别", "排名", "单位代码", "单位"]
    results = sorted(published.results(), key=lambda r: (r.category_id, r.rank))
    assert len(data) == len(results) == 5
    for serial, (row, r) in enumerate(zip(data, results, strict=True), 1):
        assert row == [
            serial,
            r.category_name,
            r.rank,
            r.unit_code,
            r.unit_name,
            float(r.daily),
            float(r.annual),
            float(r.third_party),
            float(r.public),
            float(r.total),
            float(r.deducted),
            r.get_grade_display(),
            tier_label(r.tier),
            movement_text(r.movement) or None,
        ]
    html = client.get(reverse("assessments:round-ranking", args=[published.round.pk]))
    assert page_rows(html.content.decode()) == [row[4] for row in data]


def test_the_export_writes_a_formula_like_name_as_text_and_prints_on_a4_landscape(
    published: Published,
) -> None:
    Result.objects.filter(round=published.round, unit=published.org.county_b).update(
        unit_name="=HYPERLINK(1)"
    )
    response = client_for(published.org.assessor).get(
        reverse("assessments:round-export", args=[published.round.pk])
    )
    ws = sheet(response)
    cell = next(c for row in ws.iter_rows() for c in row if c.value == "=HYPERLINK(1)")
    assert cell.data_type == "s" and cell.quotePrefix
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows == "$3:$3"
    # fitToWidth is left out when it is 1, the file format's default.
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)


def test_a_unit_exports_only_what_it_may_see(published: Published) -> None:
    rows = read_export(client_for(published.org.outsider), published.round)
    assert [row[4] for row in rows[3:]] == ["乙县"]


# --- the public ranking ------------------------------------------------------------------------
def test_the_public_ranking_lists_only_public_published_rounds(published: Published) -> None:
    """GIVEN Q2 published and public, Q3 public but still scoring WHEN anyone opens the public
    ranking without signing in THEN only Q2 is listed."""
    Round.objects.filter(pk=published.round.pk).update(public=True)
    Round.objects.filter(pk=published.a.scoring.pk).update(public=True)
    html = Client().get(reverse("public:ranking")).content.decode()
    assert published.round.title in html and published.a.scoring.title not in html


def test_a_public_round_shows_grades_and_tiers_but_no_scores(published: Published) -> None:
    Round.objects.filter(pk=published.round.pk).update(public=True)
    response = Client().get(reverse("public:round-ranking", args=[published.round.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    for r in published.results():
        assert f'data-unit-name="{r.unit_name}"' in html
        assert r.get_grade_display() in html and tier_label(r.tier) in html
        assert str(r.total) not in html
    assert "暗访" not in html and "扣分" not in html.split("<footer")[0]


@pytest.mark.parametrize("case", ["not public", "not published"])
def test_a_round_not_public_is_a_chinese_404(published: Published, case: str) -> None:
    round_ = published.round if case == "not public" else published.a.scoring
    if case == "not published":
        Round.objects.filter(pk=round_.pk).update(public=True)
    response = Client().get(reverse("public:round-ranking", args=[round_.pk]))
    assert response.status_code == 404
    assert "这份排名未公开" in response.content.decode()
