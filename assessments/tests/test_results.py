"""A round's results, computed in SQL: weights and bands, deductions, deterministic ties,
quotas, linkage caps, tiers, movement, frozen rounds and a fixed number of statements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accountability.models import AccountabilityMeasure, MeasureKind
from accounts.models import Membership, Post, Unit, UnitLevel
from accounts.tests.factories import UnitFactory, UserFactory

from ..models import (
    CategoryMember,
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    Grade,
    GradeBand,
    Indicator,
    LinkageRule,
    LinkageTarget,
    Result,
    Round,
    RoundKind,
    RoundStatus,
    Scheme,
    ScoreEntry,
    Source,
    UnitCategory,
)
from ..results import round_compute

pytestmark = pytest.mark.django_db

D = Decimal


@dataclass
class World:
    scheme: Scheme
    round: Round
    category: UnitCategory
    units: list[Unit]
    indicators: dict[str, Indicator]

    def score(self, unit: Unit, indicator: str, points: str, round_: Round | None = None) -> None:
        ScoreEntry.objects.update_or_create(
            round=round_ or self.round,
            unit=unit,
            indicator=self.indicators[indicator],
            defaults={"points": D(points)},
        )

    def deduct(self, unit: Unit, indicator: str, points: str, **fields: Any) -> Deduction:
        return Deduction.objects.create(
            round=self.round,
            unit=unit,
            indicator=self.indicators[indicator],
            points=D(points),
            reason="暗访发现台账更新不及时",
            **{"origin": DeductionOrigin.INSPECTION, **fields},
        )

    def results(self, round_: Round | None = None) -> dict[str, Result]:
        rows = Result.objects.filter(round=round_ or self.round).select_related("unit")
        return {r.unit.name: r for r in rows}

    def full_marks(self, unit: Unit, round_: Round | None = None) -> None:
        for code, indicator in self.indicators.items():
            self.score(unit, code, str(indicator.max_points), round_)


def make_world(org: Any, count: int = 4) -> World:
    """A 2022 scheme weighting daily 40, annual 20, third-party 20, public 20; five
    indicators (two daily of 50 points, one of 100 each for the others); one category of
    ``count`` counties; bands excellent ≥ 90 (at most 25 %), good ≥ 80, fair ≥ 60."""
    scheme = Scheme.objects.create(
        campaign=org.campaign,
        year=2022,
        title="2022年度能力作风建设考核",
        daily_weight=D(40),
        annual_weight=D(20),
        third_party_weight=D(20),
        public_weight=D(20),
    )
    indicators = {
        code: Indicator.objects.create(
            scheme=scheme, code=code, name=name, source=source, max_points=D(points)
        )
        for code, name, source, points in (
            ("D1", "台账推进", Source.DAILY, 50),
            ("D2", "督办落实", Source.DAILY, 50),
            ("A1", "年度目标", Source.ANNUAL, 100),
            ("T1", "第三方评估", Source.THIRD_PARTY, 100),
            ("P1", "群众满意度", Source.PUBLIC, 100),
        )
    }
    category = UnitCategory.objects.create(scheme=scheme, name="县（市、区）")
    units = [
        UnitFactory.create(
            parent=org.city, name=f"县{n:02d}", code=f"C{n:02d}", level=UnitLevel.COUNTY
        )
        for n in range(1, count + 1)
    ]
    CategoryMember.objects.bulk_create(
        CategoryMember(scheme=scheme, category=category, unit=unit) for unit in units
    )
    GradeBand.objects.create(
        scheme=scheme, grade=Grade.EXCELLENT, min_total=D(90), quota_percent=D(25)
    )
    GradeBand.objects.create(scheme=scheme, grade=Grade.GOOD, min_total=D(80))
    GradeBand.objects.create(scheme=scheme, grade=Grade.FAIR, min_total=D(60))
    round_ = Round.objects.create(
        scheme=scheme,
        kind=RoundKind.QUARTERLY,
        quarter=2,
        title="2022年第二季度",
        period_start=dt.date(2022, 4, 1),
        period_end=dt.date(2022, 6, 30),
        status=RoundStatus.REVIEW,
    )
    return World(scheme, round_, category, units, indicators)


def test_weights_and_subtotals_make_the_total(org: Any) -> None:
    w = make_world(org, 1)
    (unit,) = w.units
    w.score(unit, "D1", "45")  # daily 45 + 35 of 100 → 80
    w.score(unit, "D2", "35")
    w.score(unit, "A1", "90")
    w.score(unit, "T1", "70")
    w.score(unit, "P1", "60")
    assert round_compute(round_=w.round) == 1
    r = w.results()["县01"]
    assert (r.daily, r.annual, r.third_party, r.public) == (D(80), D(90), D(70), D(60))
    assert r.total == D("76.00")  # 80*.4 + 90*.2 + 70*.2 + 60*.2
    assert r.band_grade == r.grade == Grade.FAIR and r.rank == 1 and r.tier == 1


def test_points_above_the_maximum_count_as_the_maximum_and_deductions_floor_at_zero(
    org: Any,
) -> None:
    w = make_world(org, 1)
    (unit,) = w.units
    w.full_marks(unit)
    w.score(unit, "D1", "70")  # over its 50
    w.deduct(unit, "D2", "60")  # more than the 50 it has: 0, not negative
    w.deduct(unit, "A1", "5")
    w.deduct(unit, "A1", "5", status=DeductionStatus.REVERSED)  # reversed: ignored
    round_compute(round_=w.round)
    r = w.results()["县01"]
    assert r.daily == D(50) and r.annual == D(95)
    assert r.deduction_count == 2 and r.deducted == D(65)
    assert r.total == D("79.00")  # 50*.4 + 95*.2 + 100*.2 + 100*.2


def test_ties_break_by_fewer_deductions_then_unit_code(org: Any) -> None:
    w = make_world(org, 4)
    a, b, _c, d = w.units
    for unit in w.units:
        w.full_marks(unit)
    w.score(a, "P1", "90")  # a: total 98, no deduction
    w.deduct(b, "P1", "10")  # b: total 98, one deduction
    w.score(d, "P1", "90")  # d: total 98, no deduction, code after a
    round_compute(round_=w.round)
    ranks = {name: r.rank for name, r in w.results().items()}
    assert ranks == {"县03": 1, "县01": 2, "县04": 3, "县02": 4}
    round_compute(round_=w.round)  # the same every time
    assert {name: r.rank for name, r in w.results().items()} == ranks


def test_a_quota_keeps_excellent_to_its_share_and_tiers_cut_the_ranking(org: Any) -> None:
    w = make_world(org, 4)
    for index, unit in enumerate(w.units):
        w.full_marks(unit)
        w.score(unit, "P1", str(100 - index))  # all ≥ 90: all excellent by score
    round_compute(round_=w.round)
    results = w.results()
    assert all(r.band_grade == Grade.EXCELLENT for r in results.values())
    # 25 % of 4 is 1: the best keeps excellent, the others move down to good.
    assert [results[f"县0{n}"].grade for n in range(1, 5)] == [
        Grade.EXCELLENT,
        Grade.GOOD,
        Grade.GOOD,
        Grade.GOOD,
    ]
    assert "25" in results["县02"].grade_note
    assert [results[f"县0{n}"].tier for n in range(1, 5)] == [1, 1, 2, 3]


def test_an_admonishment_in_the_period_caps_the_grade(org: Any) -> None:
    w = make_world(org, 2)
    capped, leader_unit = w.units
    for unit in w.units:
        w.full_marks(unit)
    GradeBand.objects.filter(scheme=w.scheme).update(quota_percent=None)
    LinkageRule.objects.create(
        scheme=w.scheme, measure_kind=MeasureKind.ADMONISHMENT, best_grade=Grade.GOOD
    )
    LinkageRule.objects.create(
        scheme=w.scheme,
        measure_kind=MeasureKind.CIRCULATED_CRITICISM,
        target=LinkageTarget.LEADER,
        best_grade=Grade.FAIR,
    )
    office = org.above
    AccountabilityMeasure.objects.create(
        campaign=org.campaign,
        kind=MeasureKind.ADMONISHMENT,
        unit=capped,
        deciding_authority="市纪委监委",
        decided_on=dt.date(2022, 5, 10),
        created_by=office,
    )
    secretary = UserFactory(username="c02_secretary", name="县02书记")
    Membership.objects.create(user=secretary, unit=leader_unit, post=Post.PRINCIPAL_LEADER)
    AccountabilityMeasure.objects.create(
        campaign=org.campaign,
        kind=MeasureKind.CIRCULATED_CRITICISM,
        unit=leader_unit,
        person=secretary,
        deciding_authority="市委",
        decided_on=dt.date(2022, 6, 1),
        created_by=office,
    )
    # Outside the period: no cap.
    AccountabilityMeasure.objects.create(
        campaign=org.campaign,
        kind=MeasureKind.DISCIPLINARY,
        unit=capped,
        deciding_authority="市纪委监委",
        decided_on=dt.date(2022, 3, 1),
        created_by=office,
    )
    round_compute(round_=w.round)
    results = w.results()
    assert results["县01"].band_grade == Grade.EXCELLENT
    assert results["县01"].grade == Grade.GOOD and results["县01"].grade_note
    assert results["县02"].grade == Grade.FAIR


def test_movement_since_the_previous_round(org: Any) -> None:
    w = make_world(org, 3)
    first = Round.objects.create(
        scheme=w.scheme,
        kind=RoundKind.QUARTERLY,
        quarter=1,
        title="2022年第一季度",
        period_start=dt.date(2022, 1, 1),
        period_end=dt.date(2022, 3, 31),
        status=RoundStatus.REVIEW,
    )
    for points, unit in zip(("90", "80", "70"), w.units, strict=True):
        w.full_marks(unit, first)
        w.score(unit, "P1", points, first)
    round_compute(round_=first)
    for points, unit in zip(("70", "80", "90"), w.units, strict=True):
        w.full_marks(unit)
        w.score(unit, "P1", points)
    round_compute(round_=w.round)
    moved = {name: r.movement for name, r in w.results().items()}
    assert moved == {"县01": -2, "县02": 0, "县03": 2}
    assert all(r.movement is None for r in w.results(first).values())


def test_a_published_round_is_frozen_and_weights_must_make_100(org: Any) -> None:
    w = make_world(org, 1)
    Scheme.objects.filter(pk=w.scheme.pk).update(public_weight=D(10))
    with pytest.raises(ValidationError, match="100"):
        round_compute(round_=w.round)
    Scheme.objects.filter(pk=w.scheme.pk).update(public_weight=D(20))
    Round.objects.filter(pk=w.round.pk).update(status=RoundStatus.PUBLISHED)
    with pytest.raises(ValidationError):
        round_compute(round_=w.round)
    assert not Result.objects.exists()


def test_the_statements_do_not_grow_with_the_units(org: Any) -> None:
    def statements(count: int) -> int:
        w = make_world(org, count)
        for unit in w.units:
            w.full_marks(unit)
        with CaptureQueriesContext(connection) as queries:
            assert round_compute(round_=w.round) == count
        Round.objects.filter(pk=w.round.pk).delete()
        Result.objects.all().delete()
        ScoreEntry.objects.all().delete()
        CategoryMember.objects.all().delete()
        GradeBand.objects.all().delete()
        Indicator.objects.all().delete()
        UnitCategory.objects.all().delete()
        Scheme.objects.all().delete()
        Unit.objects.filter(code__startswith="C").delete()
        return len(queries)

    assert statements(3) == statements(30)


def test_the_results_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """``bench/assessment_results.py`` still runs (30 units, in the test database)."""
    from bench import assessment_results

    (figure,) = assessment_results.run(sizes=[30], repeat=1)
    assert figure["units"] == 30 and figure["scores"] == 30 * 30
    assert figure["groups"] == 30 * 4 and figure["compute_s"] > 0
    assert "compute/bare" in capsys.readouterr().out


def test_approving_an_exemption_releases_the_matters_deductions(org: Any) -> None:
    """Through the approval service itself (as the page, the API and the admin call it)."""
    from accountability import services as accountability_services
    from accountability.models import Exemption
    from accountability.tests.factories import make_notice

    w = make_world(org, 1)
    notice = make_notice(org, org.county_a, "issued")
    on_matter = w.deduct(org.county_a, "D1", "2", origin=DeductionOrigin.NOTICE, notice=notice)
    exemption = accountability_services.exemption_apply(
        actor=org.inside,
        notice=notice,
        distinctions=["pioneering"],
        reasons="先行先试，无先例可循",
    )
    accountability_services.exemption_approve(exemption=exemption, actor=org.above)
    on_matter.refresh_from_db()
    assert on_matter.status == DeductionStatus.REVERSED and on_matter.reversed_at
    assert Exemption.objects.get(pk=exemption.pk).status == "approved"
