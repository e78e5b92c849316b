"""Writes on assessments: activating a scheme, a round's statuses up to publication (results
computed and frozen, circular numbers per campaign), bulk scores all or nothing, deductions,
appeals in the window with reversal kept in history, and release by an exemption."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from pghistory.models import Events

from accountability.models import Exemption, ExemptionStatus

from .. import services
from ..models import (
    Appeal,
    AppealStatus,
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    Grade,
    GradeBand,
    Indicator,
    Result,
    Round,
    RoundKind,
    RoundStatus,
    Scheme,
    SchemeStatus,
    ScoreEntry,
    Source,
)
from .conftest import APPEAL_UNTIL, Assessment, scheme_elsewhere
from .test_results import make_world

pytestmark = pytest.mark.django_db

D = Decimal


# --- schemes ---------------------------------------------------------------------------------
def _draft_scheme(org: Any) -> Scheme:
    w = make_world(org, 1)
    assert w.scheme.status == SchemeStatus.DRAFT
    return w.scheme


def test_a_sound_scheme_is_put_in_use_by_the_office(org: Any) -> None:
    scheme = _draft_scheme(org)
    with pytest.raises(PermissionDenied):
        services.scheme_activate(scheme=scheme, actor=org.above)
    services.scheme_activate(scheme=scheme, actor=org.assessor)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.IN_USE
    with pytest.raises(ValidationError):
        services.scheme_activate(scheme=scheme, actor=org.assessor)


def test_weights_not_totalling_100_are_refused(org: Any) -> None:
    scheme = _draft_scheme(org)
    Scheme.objects.filter(pk=scheme.pk).update(public_weight=D(10))
    with pytest.raises(ValidationError, match="90"):
        services.scheme_activate(scheme=scheme, actor=org.assessor)
    assert Scheme.objects.get(pk=scheme.pk).status == SchemeStatus.DRAFT


def test_a_weighted_source_needs_an_indicator(org: Any) -> None:
    scheme = _draft_scheme(org)
    Indicator.objects.filter(scheme=scheme, source=Source.PUBLIC).delete()
    with pytest.raises(ValidationError) as refused:
        services.scheme_activate(scheme=scheme, actor=org.assessor)
    assert "公众" in refused.value.messages[0]
    Indicator.objects.filter(scheme=scheme).delete()
    with pytest.raises(ValidationError) as empty:
        services.scheme_activate(scheme=scheme, actor=org.assessor)
    assert "指标" in empty.value.messages[0]


def test_a_better_grade_needs_a_higher_band(org: Any) -> None:
    scheme = _draft_scheme(org)
    GradeBand.objects.filter(scheme=scheme, grade=Grade.GOOD).update(min_total=D(95))
    with pytest.raises(ValidationError) as refused:
        services.scheme_activate(scheme=scheme, actor=org.assessor)
    assert len(refused.value.messages) == 1  # excellent 90 under good 95; good over fair is fine
    assert Scheme.objects.get(pk=scheme.pk).status == SchemeStatus.DRAFT


# --- rounds ----------------------------------------------------------------------------------
def test_a_round_runs_from_draft_to_archive(assessment: Assessment) -> None:
    org, draft = assessment.org, assessment.rounds[RoundStatus.DRAFT]
    with pytest.raises(PermissionDenied):
        services.round_open_scoring(round_=draft, actor=org.above)
    with pytest.raises(ValidationError):
        services.round_to_review(round_=draft, actor=org.assessor)  # not scoring yet
    services.round_open_scoring(round_=draft, actor=org.assessor)
    services.round_to_review(round_=draft, actor=org.assessor)
    published = services.round_publish(round_=draft, actor=org.admin)
    assert published.status == RoundStatus.PUBLISHED and published.published_by == org.admin
    archived = services.round_archive(round_=draft, actor=org.assessor)
    assert archived.status == RoundStatus.ARCHIVED


def test_a_round_is_scored_only_under_a_scheme_in_use(assessment: Assessment) -> None:
    draft = assessment.rounds[RoundStatus.DRAFT]
    Scheme.objects.filter(pk=assessment.w.scheme.pk).update(status=SchemeStatus.DRAFT)
    with pytest.raises(ValidationError):
        services.round_open_scoring(round_=draft, actor=assessment.org.assessor)
    assert Round.objects.get(pk=draft.pk).status == RoundStatus.DRAFT


def test_publishing_computes_the_results_and_numbers_the_circular(
    assessment: Assessment,
) -> None:
    org, w = assessment.org, assessment.w
    for unit in w.units:
        w.full_marks(unit)
    assessment.deduct(w.round, w.units[0], "10")
    assert not Result.objects.filter(round=w.round).exists()
    first = services.round_publish(round_=w.round, actor=org.assessor)
    results = w.results()
    assert len(results) == 5  # two counties of make_world, 甲县, 甲镇, 乙县
    assert results["县02"].rank == 1 and results["县01"].deducted == D(10)
    assert first.circular_issue == 1 and first.published_at is not None
    scoring = assessment.scoring
    services.round_to_review(round_=scoring, actor=org.assessor)
    assert services.round_publish(round_=scoring, actor=org.assessor).circular_issue == 2
    # Another campaign numbers its own circulars.
    other = scheme_elsewhere(org.city)
    own = Round.objects.create(
        scheme=other,
        kind=RoundKind.ANNUAL,
        title="另一轮",
        period_start=dt.date(2022, 1, 1),
        period_end=dt.date(2022, 12, 31),
        status=RoundStatus.REVIEW,
    )
    assert services.round_publish(round_=own, actor=org.assessor).circular_issue == 1


def test_a_published_round_is_frozen(assessment: Assessment) -> None:
    org, w = assessment.org, assessment.w
    w.full_marks(w.units[0])
    standing = assessment.deduct(w.round, w.units[0])
    pending = Appeal.objects.create(deduction=standing, reasons="不服", filed_by=org.inside)
    with pytest.raises(ValidationError) as undecided:
        services.round_publish(round_=w.round, actor=org.assessor)
    assert "1" in undecided.value.messages[0]
    assert not Result.objects.filter(round=w.round).exists()
    Appeal.objects.filter(pk=pending.pk).update(status=AppealStatus.REJECTED)
    services.round_publish(round_=w.round, actor=org.assessor)
    Appeal.objects.filter(pk=pending.pk).update(status=AppealStatus.PENDING)  # left over
    before = list(Result.objects.filter(round=w.round).values_list("unit_id", "total", "rank"))
    frozen: list[Any] = [
        lambda: services.round_publish(round_=w.round, actor=org.assessor),
        lambda: services.round_to_review(round_=w.round, actor=org.assessor),
        lambda: services.scores_enter(
            round_=w.round,
            actor=org.assessor,
            entries=[(w.units[0], w.indicators["D1"], "1", "")],
        ),
        lambda: services.deduction_record(
            round_=w.round,
            actor=org.assessor,
            unit=w.units[0],
            indicator=w.indicators["D1"],
            points="1",
            reason="补记",
            origin=DeductionOrigin.INSPECTION,
        ),
        lambda: services.appeal_file(
            deduction=standing, actor=org.superuser, reasons="不服", today=APPEAL_UNTIL
        ),
        lambda: services.appeal_decide(
            appeal=pending, actor=org.assessor, upheld=True, reason="成立"
        ),
    ]
    for attempt in frozen:
        with pytest.raises(ValidationError) as refused:
            attempt()
        assert "发布" in " ".join(refused.value.messages)
    after = list(Result.objects.filter(round=w.round).values_list("unit_id", "total", "rank"))
    assert after == before
    assert Deduction.objects.get(pk=standing.pk).status == DeductionStatus.STANDING
    assert ScoreEntry.objects.get(round=w.round, unit=w.units[0], indicator=w.indicators["D1"])
    assert Appeal.objects.get(pk=pending.pk).status == AppealStatus.PENDING


# --- scores ----------------------------------------------------------------------------------
def test_scores_are_entered_and_corrected_in_bulk(assessment: Assessment) -> None:
    org, w, round_ = assessment.org, assessment.w, assessment.scoring
    d1, a1 = w.indicators["D1"], w.indicators["A1"]
    entries = [(org.county_a, d1, "45.5", "按时"), (org.county_b, a1, 90, "")]
    assert services.scores_enter(round_=round_, actor=org.assessor, entries=entries) == 2
    assert services.scores_enter(
        round_=round_, actor=org.assessor, entries=[(org.county_a, d1, "40", "更正")]
    )
    scores = {(s.unit_id, s.indicator_id): s for s in ScoreEntry.objects.filter(round=round_)}
    assert len(scores) == 2
    corrected = scores[org.county_a.pk, d1.pk]
    assert (corrected.points, corrected.comment, corrected.assessor) == (
        D(40),
        "更正",
        org.assessor,
    )


@pytest.mark.parametrize(
    "bad",
    [
        "over_maximum",
        "negative",
        "not_a_number",
        "unit_not_assessed",
        "indicator_of_another_scheme",
        "twice",
    ],
)
def test_one_bad_score_writes_none(assessment: Assessment, bad: str) -> None:
    org, w, round_ = assessment.org, assessment.w, assessment.scoring
    d1 = w.indicators["D1"]
    foreign = Indicator.objects.create(
        scheme=scheme_elsewhere(org.city, 2023),
        code="X1",
        name="别的指标",
        source=Source.DAILY,
        max_points=D(100),
    )
    wrong = {
        "over_maximum": (org.county_b, d1, "50.01", ""),
        "negative": (org.county_b, d1, "-1", ""),
        "not_a_number": (org.county_b, d1, "很好", ""),
        "unit_not_assessed": (org.city_dept, d1, "10", ""),
        "indicator_of_another_scheme": (org.county_b, foreign, "10", ""),
        "twice": (org.county_a, d1, "10", ""),
    }[bad]
    good = (org.county_a, d1, "50", "")
    with pytest.raises(ValidationError) as refused:
        services.scores_enter(round_=round_, actor=org.assessor, entries=[good, wrong])
    assert refused.value.messages[0].startswith("第2行") or "2" in refused.value.messages[0]
    assert not ScoreEntry.objects.filter(round=round_).exists()


def test_scores_are_entered_only_by_the_office_while_scoring(assessment: Assessment) -> None:
    org, d1 = assessment.org, assessment.w.indicators["D1"]
    entries = [(org.county_a, d1, "10", "")]
    with pytest.raises(PermissionDenied):
        services.scores_enter(round_=assessment.scoring, actor=org.inside, entries=entries)
    with pytest.raises(ValidationError):
        services.scores_enter(round_=assessment.review, actor=org.assessor, entries=entries)
    assert not ScoreEntry.objects.exists()


# --- deductions ------------------------------------------------------------------------------
def _record(assessment: Assessment, **changes: Any) -> Deduction:
    values: dict[str, Any] = {
        "round_": assessment.review,
        "actor": assessment.org.assessor,
        "unit": assessment.org.county_a,
        "indicator": assessment.w.indicators["D1"],
        "points": "3",
        "reason": "暗访发现台账未更新",
        "origin": DeductionOrigin.INSPECTION,
        **changes,
    }
    return services.deduction_record(**values)


def test_a_deduction_is_recorded_with_its_reason_and_origin(assessment: Assessment) -> None:
    org = assessment.org
    notice = assessment.notice(org.county_a)
    deduction = _record(assessment, origin=DeductionOrigin.NOTICE, notice=notice)
    assert (deduction.points, deduction.recorded_by, deduction.notice) == (
        D(3),
        org.assessor,
        notice,
    )
    assert deduction.status == DeductionStatus.STANDING


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"reason": "  "}, "reason"),
        ({"points": "0"}, "points"),
        ({"points": "50.5"}, "points"),
        ({"origin": "rumour"}, "origin"),
        ({"origin": DeductionOrigin.NOTICE}, "notice"),
        ({"origin": DeductionOrigin.OVERDUE_ITEM}, "item"),
    ],
)
def test_a_bad_deduction_is_refused(
    assessment: Assessment, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _record(assessment, **changes)
    assert field in refused.value.message_dict
    assert not Deduction.objects.exists()


def test_a_deduction_names_a_notice_sent_to_its_unit(assessment: Assessment) -> None:
    notice = assessment.notice(assessment.org.county_b)
    with pytest.raises(ValidationError):
        _record(assessment, origin=DeductionOrigin.NOTICE, notice=notice)


def test_deductions_are_recorded_by_the_office_in_scoring_and_review(
    assessment: Assessment,
) -> None:
    with pytest.raises(PermissionDenied):
        _record(assessment, actor=assessment.org.above)
    with pytest.raises(PermissionDenied):
        _record(assessment, round_=assessment.rounds[RoundStatus.DRAFT])
    assert _record(assessment, round_=assessment.scoring).round == assessment.scoring


# --- appeals ---------------------------------------------------------------------------------
def test_the_unit_appeals_within_the_window_once_at_a_time(assessment: Assessment) -> None:
    org = assessment.org
    deduction = assessment.deduct(assessment.review, org.county_a)
    with pytest.raises(PermissionDenied):
        services.appeal_file(
            deduction=deduction, actor=org.outsider, reasons="不服", today=APPEAL_UNTIL
        )
    with pytest.raises(ValidationError) as late:
        services.appeal_file(
            deduction=deduction,
            actor=org.inside,
            reasons="不服",
            today=APPEAL_UNTIL + dt.timedelta(days=1),
        )
    assert "2022" in late.value.messages[0]
    with pytest.raises(ValidationError):
        services.appeal_file(deduction=deduction, actor=org.inside, reasons=" ", today=APPEAL_UNTIL)
    appeal = services.appeal_file(
        deduction=deduction, actor=org.inside, reasons="已按时更新", today=APPEAL_UNTIL
    )
    assert (appeal.status, appeal.filed_by) == (AppealStatus.PENDING, org.inside)
    with pytest.raises(ValidationError):
        services.appeal_file(
            deduction=deduction, actor=org.inside, reasons="再次", today=APPEAL_UNTIL
        )
    assert Appeal.objects.count() == 1


def test_appeals_are_filed_only_under_review(assessment: Assessment) -> None:
    org = assessment.org
    deduction = assessment.deduct(assessment.scoring, org.county_a)
    with pytest.raises(ValidationError):
        services.appeal_file(
            deduction=deduction, actor=org.inside, reasons="不服", today=APPEAL_UNTIL
        )
    assert not Appeal.objects.exists()


def test_an_upheld_appeal_reverses_the_deduction_with_both_in_history(
    assessment: Assessment,
) -> None:
    org, w = assessment.org, assessment.w
    for unit in w.units:
        w.full_marks(unit)
    deduction = assessment.deduct(w.round, w.units[0], "10")
    appeal = services.appeal_file(
        deduction=deduction, actor=org.superuser, reasons="已整改", today=APPEAL_UNTIL
    )
    with pytest.raises(PermissionDenied):
        services.appeal_decide(appeal=appeal, actor=org.inside, upheld=True, reason="成立")
    with pytest.raises(ValidationError):
        services.appeal_decide(appeal=appeal, actor=org.assessor, upheld=True, reason="")
    services.appeal_decide(appeal=appeal, actor=org.assessor, upheld=True, reason="核实成立")
    appeal.refresh_from_db()
    deduction.refresh_from_db()
    assert (appeal.status, appeal.decided_by) == (AppealStatus.UPHELD, org.assessor)
    assert deduction.status == DeductionStatus.REVERSED
    assert "核实成立" in deduction.reversed_reason and deduction.reversed_at is not None
    deduction_events = Events.objects.tracks(deduction)
    assert deduction_events.filter(pgh_label="update").exists()
    assert {e.pgh_data["status"] for e in deduction_events} >= {"standing", "reversed"}
    assert {e.pgh_data["status"] for e in Events.objects.tracks(appeal)} == {"pending", "upheld"}
    services.round_publish(round_=w.round, actor=org.assessor)
    assert w.results()["县01"].deducted == 0


def test_a_rejected_appeal_leaves_the_deduction_standing(assessment: Assessment) -> None:
    org = assessment.org
    deduction = assessment.deduct(assessment.review, org.county_a)
    appeal = Appeal.objects.create(deduction=deduction, reasons="不服", filed_by=org.inside)
    services.appeal_decide(appeal=appeal, actor=org.assessor, upheld=False, reason="证据不足")
    deduction.refresh_from_db()
    assert deduction.status == DeductionStatus.STANDING
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.REJECTED
    with pytest.raises(ValidationError):
        services.appeal_decide(appeal=appeal, actor=org.assessor, upheld=True, reason="改判")


# --- exemptions ------------------------------------------------------------------------------
def test_an_approved_exemption_releases_its_matters_deductions(assessment: Assessment) -> None:
    org = assessment.org
    notice = assessment.notice(org.county_a)
    other = assessment.notice(org.county_a, "另一事项")
    on_matter = [
        assessment.deduct(round_, org.county_a, origin=DeductionOrigin.NOTICE, notice=notice)
        for round_ in (assessment.review, assessment.scoring)
    ]
    published = assessment.deduct(
        assessment.rounds[RoundStatus.PUBLISHED],
        org.county_a,
        origin=DeductionOrigin.NOTICE,
        notice=notice,
    )
    unrelated = assessment.deduct(
        assessment.review, org.county_a, origin=DeductionOrigin.NOTICE, notice=other
    )
    exemption = Exemption.objects.create(
        campaign=org.campaign,
        unit=org.county_a,
        notice=notice,
        distinctions=["pioneering"],
        reasons="先行先试",
        applied_by=org.inside,
    )
    with pytest.raises(ValidationError):
        services.deductions_release(exemption=exemption)
    Exemption.objects.filter(pk=exemption.pk).update(status=ExemptionStatus.APPROVED)
    assert services.deductions_release(exemption=exemption) == 2
    status = dict(Deduction.objects.values_list("pk", "status"))
    assert {status[d.pk] for d in on_matter} == {DeductionStatus.REVERSED}
    assert status[published.pk] == status[unrelated.pk] == DeductionStatus.STANDING
    assert Deduction.objects.get(pk=on_matter[0].pk).reversed_at is not None
    assert services.deductions_release(exemption=exemption) == 0
