"""The demo's assessments (四考四评), seeded by ``seed_demo`` as of two days: the report's first
quarter ("已经完成87家单位第一季度考评，有46家单位存在不同程度扣分，我们对考核结果进行了公开晾晒、
全市通报": 87 results, 46 units with standing deductions, published on the public ranking with
circular 第1期), every later quarter already past published with results that agree with
their scores, deductions and the ledger, the current quarter being scored with its survey
open, an honor roll for every past month, and a second run that writes nothing.

Seeded once per class: on 10 December 2026 (three quarters past) and on 20 May 2026 (only
the first quarter past).
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from accountability.models import AccountabilityMeasure, Exemption, ExemptionStatus, MeasureKind
from accounts.demo import ASSESSED_CODES, DemoCalendar
from accounts.models import Unit
from tasks_ledger.tests.test_demo import campaign, end_of_yesterday, seed

from .. import demo
from ..circular import circular_context
from ..daily import daily_figures
from ..models import (
    Appeal,
    AppealStatus,
    CategoryMember,
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    Grade,
    HonorRoll,
    HonorRollStatus,
    Indicator,
    Result,
    Round,
    RoundStatus,
    Scheme,
    ScoreEntry,
    Source,
    SurveyResponse,
)
from ..results import round_compute

pytestmark = pytest.mark.django_db

DECEMBER = dt.date(2026, 12, 10)
MAY = dt.date(2026, 5, 20)
D = Decimal
CENT = D("0.01")


def seeded_on(as_of: dt.date) -> Any:
    """A class fixture: the demo seeded on ``as_of`` (rolled back at the end); the output."""

    @pytest.fixture(scope="class")
    def fixture(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
        with django_db_blocker.unblock(), transaction.atomic():
            yield seed(as_of)
            transaction.set_rollback(True)

    return fixture


seeded_december = seeded_on(DECEMBER)
seeded_may = seeded_on(MAY)


def rounds() -> dict[int, Round]:
    scheme = Scheme.objects.get(campaign=campaign())
    return {r.quarter: r for r in Round.objects.filter(scheme=scheme)}


def units_with_standing_deductions(round_: Round) -> set[int]:
    standing = Deduction.objects.filter(round=round_, status=DeductionStatus.STANDING)
    return set(standing.values_list("unit_id", flat=True))


def assert_the_reports_first_quarter() -> None:
    """87 units assessed, 46 with standing deductions, published on the public ranking with
    circular 第1期; the 13 units the report leaves out are not among them."""
    q1 = rounds()[1]
    assert q1.status == RoundStatus.PUBLISHED and q1.public and not q1.survey_open
    assert q1.circular_issue == 1 and q1.published_at is not None
    results = Result.objects.filter(round=q1)
    assert results.count() == demo.Q1_ASSESSED == 87
    assert results.filter(deduction_count__gt=0).count() == demo.Q1_WITH_DEDUCTIONS == 46
    assert len(units_with_standing_deductions(q1)) == 46
    codes = set(results.values_list("unit_code", flat=True))
    assert codes == set(ASSESSED_CODES) - set(demo.JOINED_IN_Q2)
    assert Unit.objects.filter(code__in=codes, under_special_assessment=True).count() == 87
    # Circulated: the circular's headline says the report's figures.
    circular = circular_context(q1)
    assert circular.issue == "第1期" and (circular.assessed, circular.with_deductions) == (87, 46)
    assert "共考核87家单位，其中46家单位存在不同程度扣分" in circular.headline
    # Every deduction has its reason; one more unit's only deduction was reversed on appeal.
    deductions = Deduction.objects.filter(round=q1)
    assert not deductions.filter(reason="").exists()
    reversed_ = deductions.filter(status=DeductionStatus.REVERSED)
    assert reversed_.count() == 1
    assert reversed_.get().unit_id not in units_with_standing_deductions(q1)


def python_totals(round_: Round) -> dict[int, tuple[Decimal, ...]]:
    """Each unit's subtotals and total from its scores and standing deductions, the way the
    scheme says (independently of the SQL)."""
    scheme = round_.scheme
    indicators = list(Indicator.objects.filter(scheme=scheme))
    scores = {
        (e.unit_id, e.indicator_id): e.points for e in ScoreEntry.objects.filter(round=round_)
    }
    cut: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    for d in Deduction.objects.filter(round=round_, status=DeductionStatus.STANDING):
        cut[d.unit_id, d.indicator_id] += d.points
    found = {}
    for unit_id in Result.objects.filter(round=round_).values_list("unit_id", flat=True):
        subtotals: list[D] = []
        for source in Source.values:
            mine = [i for i in indicators if i.source == source]
            got = sum(
                max(min(scores.get((unit_id, i.pk), D(0)), i.max_points) - cut[unit_id, i.pk], 0)
                for i in mine
            )
            top = sum(i.max_points for i in mine)
            subtotals.append(D(100) * got / top if top else D(0))
        total = sum(
            (s * scheme.weight_of(src) for s, src in zip(subtotals, Source.values, strict=True)),
            D(0),
        )
        found[unit_id] = (
            *(s.quantize(CENT, rounding=ROUND_HALF_UP) for s in subtotals),
            (total / 100).quantize(CENT, rounding=ROUND_HALF_UP),
        )
    return found


def stored(round_: Round) -> dict[int, tuple[Any, ...]]:
    return {
        r.unit_id: (r.daily, r.annual, r.third_party, r.public, r.total)
        for r in Result.objects.filter(round=round_)
    }


def ranking(round_: Round) -> list[tuple[Any, ...]]:
    return list(
        Result.objects.filter(round=round_)
        .order_by("unit_id")
        .values_list(
            "unit_id", "category_id", "total", "deduction_count", "deducted", "band_grade",
            "grade", "grade_note", "rank", "tier", "movement",
        )
    )  # fmt: skip


@pytest.mark.usefixtures("seeded_december")
class TestDecember:
    """Seeded on 10 December 2026: the first three quarters published, the fourth scored."""

    def test_the_first_quarter_is_the_reports(self) -> None:
        assert_the_reports_first_quarter()

    def test_every_past_quarter_is_published_and_the_current_one_is_scored(self) -> None:
        by_quarter = rounds()
        assert sorted(by_quarter) == [1, 2, 3, 4]
        for quarter in (2, 3):
            round_ = by_quarter[quarter]
            assert round_.status == RoundStatus.PUBLISHED and round_.public
            assert round_.circular_issue == quarter
            assert round_.published_at is not None
            assert round_.period_end < round_.published_at.date() < DECEMBER
            # From the second quarter on, all 100 units under special assessment.
            assert Result.objects.filter(round=round_).count() == 100
        current = by_quarter[4]
        assert current.status == RoundStatus.SCORING and current.survey_open
        assert not current.public and current.circular_issue is None
        assert not Result.objects.filter(round=current).exists()
        assert Deduction.objects.filter(round=current).exists()
        assert CategoryMember.objects.filter(scheme=current.scheme).count() == 100

    def test_trends_show(self) -> None:
        """Units move between quarters; the 13 units that joined in the second quarter have
        no movement there, everyone has one in the third."""
        by_quarter = rounds()
        q2 = Result.objects.filter(round=by_quarter[2])
        assert q2.filter(unit_code__in=demo.JOINED_IN_Q2, movement=None).count() == 13
        assert not q2.exclude(unit_code__in=demo.JOINED_IN_Q2).filter(movement=None).exists()
        q3 = Result.objects.filter(round=by_quarter[3])
        assert not q3.filter(movement=None).exists()
        assert q3.exclude(movement=0).count() > 50
        for quarter in (1, 2, 3):
            grades = set(
                Result.objects.filter(round=by_quarter[quarter]).values_list("grade", flat=True)
            )
            assert {Grade.EXCELLENT, Grade.GOOD} <= grades

    def test_results_agree_with_scores_and_deductions(self) -> None:
        """Recomputed from the scores and standing deductions, every published round gives
        its stored figures; the later rounds (whose members are unchanged) recomputed by
        round_compute give the same ranking too."""
        by_quarter = rounds()
        for quarter in (1, 2, 3):
            round_ = by_quarter[quarter]
            assert stored(round_) == python_totals(round_)
            counted = dict(
                Deduction.objects.filter(round=round_, status=DeductionStatus.STANDING)
                .values_list("unit_id")
                .annotate(n=Count("pk"))
            )
            for result in Result.objects.filter(round=round_):
                assert result.deduction_count == counted.get(result.unit_id, 0)
        for quarter in (2, 3):
            round_ = by_quarter[quarter]
            before = ranking(round_)
            with transaction.atomic():
                Round.objects.filter(pk=round_.pk).update(status=RoundStatus.REVIEW)
                round_compute(round_=round_)
                assert ranking(round_) == before
                transaction.set_rollback(True)

    def test_daily_scores_are_the_ledgers(self) -> None:
        """The computed daily scores are what the ledger gives for the quarter (units whose
        matter was exempted since are left out: an exemption changes their figures)."""
        q1 = rounds()[1]
        exempted = set(
            Exemption.objects.filter(status=ExemptionStatus.APPROVED).values_list(
                "unit_id", flat=True
            )
        )
        scores = {
            (e.unit_id, e.indicator_id): e.points
            for e in ScoreEntry.objects.filter(round=q1).exclude(indicator__metric="")
        }
        for result in Result.objects.filter(round=q1).exclude(unit_id__in=exempted)[:30]:
            figures = daily_figures(q1, result.unit, today=q1.period_end + dt.timedelta(days=7))
            assert {(result.unit_id, f.indicator.pk): f.points for f in figures}.items() <= (
                scores.items()
            )

    def test_deductions_name_where_they_come_from(self) -> None:
        deductions = Deduction.objects.filter(round__scheme__campaign=campaign())
        notices = deductions.filter(origin=DeductionOrigin.NOTICE)
        assert notices.exists()
        for deduction in notices.select_related("notice"):
            assert deduction.notice is not None
            assert deduction.notice.target_unit_id == deduction.unit_id
            assert deduction.notice.number in deduction.reason
            assert deduction.notice.issued_on is not None
            assert deduction.round.period_start <= deduction.notice.issued_on
        for deduction in deductions.filter(origin=DeductionOrigin.OVERDUE_ITEM):
            assert deduction.item is not None and deduction.item.unit_id == deduction.unit_id
        assert deductions.filter(origin=DeductionOrigin.INSPECTION).exists()
        assert not deductions.filter(recorded_at__gte=end_of_yesterday(DECEMBER)).exists()

    def test_appeals_were_decided_before_publication(self) -> None:
        for quarter in (1, 2, 3):
            round_ = rounds()[quarter]
            appeals = Appeal.objects.filter(deduction__round=round_)
            assert sorted(appeals.values_list("status", flat=True)) == [
                AppealStatus.REJECTED,
                AppealStatus.UPHELD,
            ]
            for appeal in appeals:
                assert appeal.decided_at is not None and round_.published_at is not None
                assert appeal.decided_at < round_.published_at
            upheld = appeals.get(status=AppealStatus.UPHELD).deduction
            assert upheld.status == DeductionStatus.REVERSED

    def test_accountability_measures_cap_grades(self) -> None:
        """A unit with an admonishment talk in a round's period is not excellent; one with a
        circulated criticism is at best fair."""
        caps = dict(demo.LINKAGES)
        capped = 0
        for round_ in rounds().values():
            for measure in AccountabilityMeasure.objects.filter(
                kind__in=caps, decided_on__range=(round_.period_start, round_.period_end)
            ):
                result = Result.objects.filter(round=round_, unit_id=measure.unit_id).first()
                if result is None:
                    continue
                capped += 1
                assert Grade.rank_of(result.grade) >= Grade.rank_of(caps[MeasureKind(measure.kind)])
        assert capped

    def test_survey_answers_give_public_scores_and_honor_rolls_for_past_months(self) -> None:
        by_quarter = rounds()
        for quarter in (1, 2, 3):
            round_ = by_quarter[quarter]
            counts = (
                SurveyResponse.objects.filter(round=round_).values("unit").annotate(n=Count("pk"))
            )
            assert {row["n"] for row in counts} == {demo.SURVEY_ANSWERS}
            public = ScoreEntry.objects.filter(round=round_, indicator__source=Source.PUBLIC)
            assert public.count() == Result.objects.filter(round=round_).count()
            assert public.values("points").distinct().count() > 10
        assert SurveyResponse.objects.filter(round=by_quarter[4]).exists()
        assert not SurveyResponse.objects.filter(
            submitted_at__gte=end_of_yesterday(DECEMBER)
        ).exists()
        rolls = HonorRoll.objects.filter(campaign=campaign())
        months = {(r.month.year, r.month.month) for r in rolls}
        assert months == {(2026, m) for m in range(2, 12)}
        assert not rolls.exclude(status=HonorRollStatus.PUBLISHED).exists()

    def test_nothing_is_dated_on_or_after_the_as_of_date(self) -> None:
        start = end_of_yesterday(DECEMBER)
        scheme = Scheme.objects.get(campaign=campaign())
        assert scheme.created_at < start
        assert not Round.objects.filter(published_at__gte=start).exists()
        assert not ScoreEntry.objects.filter(entered_at__gte=start).exists()
        assert not Appeal.objects.filter(Q(filed_at__gte=start) | Q(decided_at__gte=start))

    def test_a_second_run_writes_nothing(self) -> None:
        counts = [
            m.objects.count()
            for m in (Round, Result, ScoreEntry, Deduction, Appeal, SurveyResponse, HonorRoll)
        ]
        output = seed(DECEMBER)
        assert "nothing was changed" in output or "未作任何更改" in output
        assert counts == [
            m.objects.count()
            for m in (Round, Result, ScoreEntry, Deduction, Appeal, SurveyResponse, HonorRoll)
        ]
        assert timezone.now() > timezone.make_aware(dt.datetime(2026, 1, 1))  # clock restored


@pytest.mark.usefixtures("seeded_may")
class TestMay:
    """Seeded on 20 May 2026: only the first quarter is past."""

    def test_the_first_quarter_is_the_reports_and_the_second_is_scored(self) -> None:
        assert_the_reports_first_quarter()
        by_quarter = rounds()
        assert sorted(by_quarter) == [1, 2]
        q2 = by_quarter[2]
        assert q2.status == RoundStatus.SCORING and q2.survey_open
        assert not Result.objects.filter(round=q2).exists()
        assert stored(by_quarter[1]) == python_totals(by_quarter[1])
        # The 13 units joined after the first round was published.
        assert CategoryMember.objects.filter(scheme=q2.scheme).count() == 100
        rolls = HonorRoll.objects.filter(campaign=campaign())
        assert {(r.month.year, r.month.month) for r in rolls} == {(2026, m) for m in (2, 3, 4)}

    def test_a_second_run_writes_nothing(self) -> None:
        before = (Deduction.objects.count(), SurveyResponse.objects.count())
        seed(MAY)
        assert (Deduction.objects.count(), SurveyResponse.objects.count()) == before


@pytest.mark.parametrize(
    ("as_of", "first", "titles"),
    [
        (DECEMBER, (dt.date(2026, 2, 13), dt.date(2026, 3, 31)), "2026年第{}季度"),
        (
            dt.date(2027, 1, 5),
            (dt.date(2026, 10, 15), dt.date(2026, 11, 30)),
            "2026—2027年度第{}季度",
        ),
    ],
)
def test_quarters_follow_the_campaigns_calendar(
    as_of: dt.date, first: tuple[dt.date, dt.date], titles: str
) -> None:
    """The first quarter starts at the campaign's launch; the quarters follow one another to
    the campaign's last day; a campaign across two years names both."""
    cal = DemoCalendar.for_date(as_of)
    quarters = demo.quarters(cal)
    assert (quarters[0].start, quarters[0].end) == first == (cal.start, first[1])
    assert quarters[-1].end == cal.end
    for before, after in itertools.pairwise(quarters):
        assert after.start == before.end + dt.timedelta(days=1)
    names = "一二三四"
    assert [demo.round_title(cal, q) for q in quarters] == [titles.format(n) for n in names]
