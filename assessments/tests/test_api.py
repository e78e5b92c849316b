"""The assessments API: schemes, rounds, scores, deductions, appeals and results, each list
scoped to the caller (a unit sees only its own scores, deductions and results before
publication) and filtered, each detail with what the caller may do, every action and write
walked through, with 404 outside the caller's sight, 403 with the rule's reason, 400 per
field (in Chinese) and nothing changed once a round is frozen."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.urls import reverse
from rest_framework.test import APIClient

from accountability.tests.factories import pdf
from accounts.models import Role, User
from accounts.tests.factories import RoleAssignmentFactory, UserFactory
from campaign.tests.factories import CampaignFactory

from ..models import (
    Appeal,
    AppealStatus,
    CategoryMember,
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    EvidenceFile,
    Grade,
    Indicator,
    Result,
    Round,
    RoundStatus,
    Scheme,
    SchemeStatus,
    ScoreEntry,
    Source,
    UnitCategory,
)
from .conftest import APPEAL_UNTIL, Assessment, scheme_elsewhere

pytestmark = pytest.mark.django_db

#: Ten days before the review round's last day for appeals.
NOW = dt.datetime.combine(APPEAL_UNTIL - dt.timedelta(days=10), dt.time(2), tzinfo=dt.UTC)
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(autouse=True)
def _clock(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(NOW, tick=False):
        yield


def _api(user: Any) -> APIClient:
    api = APIClient()
    api.force_authenticate(user=user)
    return api


def _url(name: str, *args: Any) -> str:
    return reverse(f"api:{name}", args=args)


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _errors(response: Any, code: int = 400) -> dict[str | None, str]:
    """The error shape's errors by attr (the last detail of each)."""
    assert response.status_code == code, response.content
    return {error["attr"]: error["detail"] for error in response.json()["errors"]}


def _score(a: Assessment, round_: Round, unit: Any, code: str = "D1", points: str = "40") -> Any:
    return ScoreEntry.objects.create(
        round=round_, unit=unit, indicator=a.w.indicators[code], points=Decimal(points)
    )


def _result(round_: Round, unit: Any, category: UnitCategory, rank: int, **fields: Any) -> Any:
    values = {"grade": Grade.GOOD, "tier": 1, "total": Decimal(90 - rank), **fields}
    return Result.objects.create(
        round=round_,
        unit=unit,
        category=category,
        unit_name=unit.name,
        daily=0,
        annual=0,
        third_party=0,
        public=0,
        band_grade=values["grade"],
        rank=rank,
        **values,
    )


def _other_scheme(unit: Any) -> Scheme:
    """A scheme of a campaign owned by ``unit`` (甲县 does not take part in 乙县's)."""
    return Scheme.objects.create(
        campaign=CampaignFactory(owner_unit=unit),
        year=2022,
        title=f"{unit.name}方案",
        daily_weight=100,
        annual_weight=0,
        third_party_weight=0,
        public_weight=0,
    )


# --- schemes ---------------------------------------------------------------------------------
def test_schemes_are_read_by_those_taking_part_with_everything_nested(
    assessment: Assessment,
) -> None:
    """GIVEN the city's scheme and one of 乙县's own campaign WHEN 甲县 and the office read
    THEN both see the city's scheme with its indicators, categories, bands; 甲县 gets 404
    for 乙县's, and may not activate anything."""
    org, scheme = assessment.org, assessment.w.scheme
    elsewhere = _other_scheme(org.county_b)
    assert _ids(_api(org.inside).get(_url("assessment-scheme-list"))) == {scheme.pk}
    assert _ids(_api(org.assessor).get(_url("assessment-scheme-list"))) >= {scheme.pk}
    body = _api(org.assessor).get(_url("assessment-scheme-detail", scheme.pk)).json()
    assert [i["code"] for i in body["indicators"]] == ["A1", "D1", "D2", "P1", "T1"]
    assert body["categories"][0]["member_count"] == 5
    assert [band["grade"] for band in body["bands"]] == ["excellent", "good", "fair"]
    assert body["linkages"] == [] and body["daily_weight"] == "40.00"
    assert body["actions"] == ["create_round"]  # in use already
    inside = _api(org.inside)
    assert inside.get(_url("assessment-scheme-detail", scheme.pk)).json()["actions"] == []
    assert inside.get(_url("assessment-scheme-detail", elsewhere.pk)).status_code == 404
    assert inside.post(_url("assessment-scheme-activate", elsewhere.pk)).status_code == 404


def test_activating_a_scheme(assessment: Assessment) -> None:
    """GIVEN a draft scheme without indicators WHEN the office activates it THEN 400 in
    Chinese; with an indicator it is in use. 甲县's liaison is refused with 403."""
    org = assessment.org
    draft = scheme_elsewhere(org.city, 2023)
    target = _url("assessment-scheme-activate", draft.pk)
    assert _api(org.inside).post(target).status_code == 403
    errors = _errors(_api(org.assessor).post(target, **ZH))
    assert CHINESE.search(next(iter(errors.values())))
    Indicator.objects.create(
        scheme=draft, code="D1", name="台账", source=Source.DAILY, max_points=100
    )
    body = _api(org.assessor).post(target).json()
    assert body["status"] == SchemeStatus.IN_USE and body["actions"] == ["create_round"]


# --- rounds ----------------------------------------------------------------------------------
def test_rounds_are_listed_and_filtered(assessment: Assessment) -> None:
    """GIVEN a round in each status WHEN listed THEN filters by status, kind and scheme."""
    org = assessment.org
    api, target = _api(org.inside), _url("assessment-round-list")
    everyone = {r.pk for r in assessment.rounds.values()}
    assert _ids(api.get(target)) == everyone
    assert _ids(api.get(target, {"status": "scoring"})) == {assessment.scoring.pk}
    annual = assessment.rounds[RoundStatus.ARCHIVED]
    assert _ids(api.get(target, {"kind": "annual"})) == {annual.pk}
    assert _ids(api.get(target, {"scheme": assessment.w.scheme.pk})) == everyone
    elsewhere = _other_scheme(org.county_b)
    assert _errors(api.get(target, {"scheme": elsewhere.pk})).keys() == {"scheme"}


def test_round_detail_carries_the_callers_actions(assessment: Assessment) -> None:
    """GIVEN rounds in each status WHEN the office and 甲县 read them THEN the office may
    move each one on; 甲县 may do nothing."""
    org = assessment.org
    office, inside = _api(org.assessor), _api(org.inside)
    expected = {
        RoundStatus.DRAFT: ["open_scoring", "show_publicly"],
        RoundStatus.SCORING: [
            "to_review",
            "enter_scores",
            "import_scores",
            "record_deduction",
            "show_publicly",
        ],
        RoundStatus.REVIEW: ["publish", "record_deduction", "show_publicly"],
        RoundStatus.PUBLISHED: ["archive", "show_publicly"],
        RoundStatus.ARCHIVED: ["show_publicly"],
    }
    for status, actions in expected.items():
        target = _url("assessment-round-detail", assessment.rounds[status].pk)
        assert office.get(target).json()["actions"] == actions
        assert inside.get(target).json()["actions"] == []


def test_walking_rounds_through_their_statuses(assessment: Assessment) -> None:
    """GIVEN a round in each status WHEN the office moves each on THEN each reaches the next
    status through its service (publishing computes results and numbers the circular);
    moving one the wrong way is 400, and 甲县's liaison is refused with 403."""
    org, rounds = assessment.org, assessment.rounds
    office = _api(org.assessor)
    moves = [
        (RoundStatus.DRAFT, "open-scoring", RoundStatus.SCORING),
        (RoundStatus.SCORING, "to-review", RoundStatus.REVIEW),
        (RoundStatus.REVIEW, "publish", RoundStatus.PUBLISHED),
        (RoundStatus.PUBLISHED, "archive", RoundStatus.ARCHIVED),
    ]
    for source, name, target_status in moves:
        round_ = rounds[source]
        target = _url(f"assessment-round-{name}", round_.pk)
        assert _api(org.inside).post(target).status_code == 403
        body = office.post(target).json()
        assert body["status"] == target_status, body
    published = Round.objects.get(pk=rounds[RoundStatus.REVIEW].pk)
    assert published.circular_issue == 1 and published.results.count() == 5
    again = office.post(_url("assessment-round-publish", published.pk), **ZH)
    assert CHINESE.search(_errors(again)[None])


def test_a_round_of_a_campaign_out_of_sight_is_404(assessment: Assessment) -> None:
    """GIVEN a round of 乙县's own campaign WHEN 甲县 reads it or moves it THEN 404."""
    org = assessment.org
    round_ = Round.objects.create(
        scheme=_other_scheme(org.county_b),
        kind="annual",
        title="乙县年度",
        period_start=dt.date(2022, 1, 1),
        period_end=dt.date(2022, 12, 31),
    )
    inside = _api(org.inside)
    assert inside.get(_url("assessment-round-detail", round_.pk)).status_code == 404
    assert inside.post(_url("assessment-round-open-scoring", round_.pk)).status_code == 404
    assert _api(org.outsider).get(_url("assessment-round-detail", round_.pk)).status_code == 200


def test_creating_a_round(assessment: Assessment) -> None:
    """GIVEN a scheme for 2023 WHEN the office opens its Q1 round THEN a draft; a second Q1
    is 400 on ``quarter``; a missing title is 400 in Chinese; 甲县 gets 403."""
    org = assessment.org
    scheme = scheme_elsewhere(org.city, 2023)
    body = {
        "scheme": scheme.pk,
        "kind": "quarterly",
        "quarter": 1,
        "title": "2023年第一季度",
        "period_start": "2023-01-01",
        "period_end": "2023-03-31",
        "appeal_until": "2023-04-20",
    }
    target = _url("assessment-round-list")
    assert _api(org.inside).post(target, body, format="json").status_code == 403
    assert _api(org.inside).post(target, {"scheme": scheme.pk}, format="json").status_code == 403
    office = _api(org.assessor)
    created = office.post(target, body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == RoundStatus.DRAFT
    assert created.json()["actions"] == ["open_scoring", "show_publicly"]
    assert _errors(office.post(target, body, format="json")).keys() == {"quarter"}
    missing = _errors(office.post(target, {**body, "title": ""}, format="json", **ZH))
    assert CHINESE.search(missing["title"])


# --- scores ----------------------------------------------------------------------------------
def test_scores_a_unit_sees_only_its_own_before_publication(assessment: Assessment) -> None:
    """GIVEN scores of 甲县 and 乙县 in the review round and the published one WHEN each
    side lists THEN each sees its own; the city's campaign office sees the others only once
    published; the office's filters narrow by round, unit, indicator and source."""
    org, review = assessment.org, assessment.review
    published = assessment.rounds[RoundStatus.PUBLISHED]
    home = _score(assessment, review, org.county_a)
    away = _score(assessment, review, org.county_b)
    home_out = _score(assessment, published, org.county_a, "A1", "90")
    away_out = _score(assessment, published, org.county_b, "A1", "80")
    target = _url("assessment-score-list")
    assert _ids(_api(org.inside).get(target)) == {home.pk, home_out.pk}
    assert _ids(_api(org.outsider).get(target)) == {away.pk, away_out.pk}
    assert _ids(_api(org.above).get(target)) == {home_out.pk, away_out.pk}
    office = _api(org.assessor)
    assert _ids(office.get(target, {"round": review.pk})) == {home.pk, away.pk}
    assert _ids(office.get(target, {"unit": org.county_b.pk})) == {away.pk, away_out.pk}
    assert _ids(office.get(target, {"source": "annual"})) == {home_out.pk, away_out.pk}
    d1 = assessment.w.indicators["D1"]
    assert _ids(office.get(target, {"indicator": d1.pk})) == {home.pk, away.pk}
    assert _api(org.inside).get(_url("assessment-score-detail", away.pk)).status_code == 404


def _entries(a: Assessment, *lines: tuple[Any, str, str]) -> list[dict[str, Any]]:
    return [
        {"unit": unit.pk, "indicator": a.w.indicators[code].pk, "points": points, "comment": ""}
        for unit, code, points in lines
    ]


def test_scores_are_entered_in_bulk(assessment: Assessment) -> None:
    """GIVEN the scoring round WHEN the office enters two scores THEN both are written,
    entered again they are corrected; 甲县's liaison is refused with 403."""
    org, round_ = assessment.org, assessment.scoring
    entries = _entries(assessment, (org.county_a, "D1", "45"), (org.county_b, "A1", "88.5"))
    body = {"round": round_.pk, "entries": entries}
    target = _url("assessment-score-list")
    assert _api(org.inside).post(target, body, format="json").status_code == 403
    response = _api(org.assessor).post(target, body, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"round": round_.pk, "written": 2}
    entries[0]["points"] = "30"
    _api(org.assessor).post(target, body, format="json")
    points = dict(ScoreEntry.objects.filter(round=round_).values_list("unit__name", "points"))
    assert points == {"甲县": Decimal(30), "乙县": Decimal("88.50")}


def test_bulk_scores_are_all_or_nothing_with_errors_per_line(assessment: Assessment) -> None:
    """GIVEN lines with a unit not assessed, negative points and points above the maximum
    WHEN entered THEN 400 naming each line (in Chinese) and nothing is written."""
    org, round_ = assessment.org, assessment.scoring
    lines = _entries(
        assessment,
        (org.county_a, "D1", "45"),
        (org.county_a_dept, "D1", "10"),  # 甲县住建局 is not assessed
        (org.county_b, "D2", "-1"),
    )
    office, target = _api(org.assessor), _url("assessment-score-list")
    errors = _errors(
        office.post(target, {"round": round_.pk, "entries": lines}, format="json", **ZH)
    )
    assert errors.keys() == {"entries.2.points"}  # the shape first, then the references
    lines[2]["points"] = "3"
    errors = _errors(
        office.post(target, {"round": round_.pk, "entries": lines}, format="json", **ZH)
    )
    assert errors.keys() == {"entries.1.unit"}
    assert CHINESE.search(errors["entries.1.unit"])
    lines[1] = _entries(assessment, (org.township_a, "D1", "51"))[0]  # the maximum is 50
    errors = _errors(
        office.post(target, {"round": round_.pk, "entries": lines}, format="json", **ZH)
    )
    assert list(errors) == [None] and "2" in errors[None] and CHINESE.search(errors[None])
    empty = _errors(office.post(target, {"round": round_.pk, "entries": []}, format="json"))
    assert empty.keys() == {"entries.non_field_errors"}
    assert not ScoreEntry.objects.filter(round=round_).exists()


def test_a_third_party_evaluator_enters_third_party_scores_only(assessment: Assessment) -> None:
    """GIVEN a third-party evaluator over the city WHEN it enters a third-party score THEN
    it is written; a daily one is refused naming its line, nothing written; an evaluator
    over 乙县 only is refused (403)."""
    org, round_ = assessment.org, assessment.scoring
    evaluator = UserFactory(username="evaluator", name="第三方评估机构")
    RoleAssignmentFactory(user=evaluator, role=Role.EVALUATOR, scope=org.city)
    target = _url("assessment-score-list")
    third = {"round": round_.pk, "entries": _entries(assessment, (org.county_a, "T1", "77"))}
    response = _api(evaluator).post(target, third, format="json")
    assert response.status_code == 201, response.content
    daily = {"round": round_.pk, "entries": _entries(assessment, (org.county_b, "D1", "40"))}
    errors = _errors(_api(evaluator).post(target, daily, format="json", **ZH))
    assert "1" in errors[None] and CHINESE.search(errors[None])
    assert list(ScoreEntry.objects.values_list("indicator__code", flat=True)) == ["T1"]
    detail = _api(evaluator).get(_url("assessment-round-detail", round_.pk)).json()
    assert detail["actions"] == ["import_scores"]
    elsewhere = UserFactory(username="other_evaluator")
    RoleAssignmentFactory(user=elsewhere, role=Role.EVALUATOR, scope=org.county_b)
    assert _api(elsewhere).post(target, third, format="json").status_code == 403


def test_a_frozen_round_takes_no_scores(assessment: Assessment) -> None:
    """GIVEN the published round WHEN the office enters a score THEN 400 saying it is
    published, nothing written; a round 甲县 cannot see is "does not exist"."""
    org = assessment.org
    published = assessment.rounds[RoundStatus.PUBLISHED]
    body = {"round": published.pk, "entries": _entries(assessment, (org.county_a, "D1", "1"))}
    errors = _errors(_api(org.assessor).post(_url("assessment-score-list"), body, format="json"))
    assert "published" in errors[None] or CHINESE.search(errors[None])
    assert not ScoreEntry.objects.filter(round=published).exists()
    hidden = Round.objects.create(
        scheme=_other_scheme(org.county_b),
        kind="annual",
        title="乙县年度",
        period_start=dt.date(2022, 1, 1),
        period_end=dt.date(2022, 12, 31),
        status=RoundStatus.SCORING,
    )
    response = _api(org.inside).post(
        _url("assessment-score-list"), {**body, "round": hidden.pk}, format="json"
    )
    assert _errors(response).keys() == {"round"}


# --- deductions ------------------------------------------------------------------------------
def test_deductions_are_scoped_and_filtered(assessment: Assessment) -> None:
    """GIVEN deductions of 甲县 and 乙县 WHEN listed THEN each side sees its own; the office
    filters by round, unit, origin and status; 乙县 gets 404 on 甲县's."""
    org, review = assessment.org, assessment.review
    home = assessment.deduct(review, org.county_a)
    away = assessment.deduct(review, org.county_b, origin=DeductionOrigin.PROBLEM)
    reversed_ = assessment.deduct(assessment.scoring, org.county_b, status=DeductionStatus.REVERSED)
    target = _url("deduction-list")
    assert _ids(_api(org.inside).get(target)) == {home.pk}
    assert _ids(_api(org.outsider).get(target)) == {away.pk, reversed_.pk}
    office = _api(org.assessor)
    assert _ids(office.get(target, {"round": review.pk})) == {home.pk, away.pk}
    assert _ids(office.get(target, {"unit": org.county_a.pk})) == {home.pk}
    assert _ids(office.get(target, {"origin": "problem"})) == {away.pk}
    assert _ids(office.get(target, {"status": "reversed"})) == {reversed_.pk}
    assert _api(org.outsider).get(_url("deduction-detail", home.pk)).status_code == 404
    detail = _api(org.inside).get(_url("deduction-detail", home.pk)).json()
    assert detail["actions"] == ["appeal"] and detail["evidence"] == []


def _deduction_body(a: Assessment, round_: Round, **fields: Any) -> dict[str, Any]:
    return {
        "round": round_.pk,
        "unit": a.org.county_a.pk,
        "indicator": a.w.indicators["D1"].pk,
        "points": "2.5",
        "reason": "暗访发现台账更新不及时",
        "origin": DeductionOrigin.INSPECTION,
        **fields,
    }


def test_recording_a_deduction_with_evidence(assessment: Assessment) -> None:
    """GIVEN the review round WHEN the office records a deduction as multipart with a PDF
    THEN it stands with its evidence; a file of the wrong type is 400 on ``files`` and
    nothing is saved; 甲县's liaison is refused with 403."""
    org, round_ = assessment.org, assessment.review
    target = _url("deduction-list")
    refused = _api(org.inside).post(target, _deduction_body(assessment, round_, files=[pdf()]))
    assert refused.status_code == 403
    response = _api(org.assessor).post(target, _deduction_body(assessment, round_, files=[pdf()]))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == DeductionStatus.STANDING and body["points"] == "2.50"
    assert [f["original_name"] for f in body["evidence"]] == ["整改材料.pdf"]
    bad = pdf("脚本.exe")
    errors = _errors(
        _api(org.assessor).post(target, _deduction_body(assessment, round_, files=[bad]), **ZH)
    )
    assert errors.keys() == {"files"} and CHINESE.search(errors["files"])
    notice = _errors(
        _api(org.assessor).post(
            target, _deduction_body(assessment, round_, origin="notice"), format="json"
        )
    )
    assert notice.keys() == {"notice"}
    assert Deduction.objects.filter(round=round_).count() == 1


def test_a_frozen_round_takes_no_deductions(assessment: Assessment) -> None:
    """GIVEN the published round WHEN the office records a deduction THEN 400, none saved."""
    org = assessment.org
    published = assessment.rounds[RoundStatus.PUBLISHED]
    response = _api(org.assessor).post(
        _url("deduction-list"), _deduction_body(assessment, published), format="json", **ZH
    )
    assert CHINESE.search(_errors(response)[None])
    assert not Deduction.objects.filter(round=published).exists()


# --- appeals ---------------------------------------------------------------------------------
def test_appeal_filed_by_the_unit_and_decided_by_the_office(assessment: Assessment) -> None:
    """GIVEN a standing deduction of 甲县 under review WHEN 甲县 appeals THEN a pending appeal
    the office may decide; upheld, the deduction is reversed. The office may not file, 甲县
    may not decide (403), 乙县 cannot see it (404 / does not exist)."""
    org = assessment.org
    deduction = assessment.deduct(assessment.review, org.county_a)
    target = _url("appeal-list")
    body = {"deduction": deduction.pk, "reasons": "该事项已按期整改"}
    assert _api(org.assessor).post(target, body, format="json").status_code == 403
    assert _errors(_api(org.outsider).post(target, body, format="json")).keys() == {"deduction"}
    response = _api(org.inside).post(target, body, format="json")
    assert response.status_code == 201, response.content
    appeal = response.json()
    assert appeal["status"] == AppealStatus.PENDING and appeal["actions"] == []
    assert _api(org.inside).post(target, body, format="json").status_code == 400  # one pending
    decide = _url("appeal-decide", appeal["id"])
    assert _api(org.assessor).get(_url("appeal-detail", appeal["id"])).json()["actions"] == [
        "decide"
    ]
    assert _api(org.inside).post(decide, {"upheld": True, "reason": "x"}).status_code == 403
    assert _api(org.outsider).post(decide, {"upheld": True, "reason": "x"}).status_code == 404
    missing = _errors(_api(org.assessor).post(decide, {"upheld": True}, format="json", **ZH))
    assert CHINESE.search(missing["reason"])
    decided = _api(org.assessor).post(
        decide, {"upheld": True, "reason": "整改材料齐全"}, format="json"
    )
    assert decided.json()["status"] == AppealStatus.UPHELD
    assert Deduction.objects.get(pk=deduction.pk).status == DeductionStatus.REVERSED
    assert _ids(_api(org.inside).get(target, {"status": "upheld"})) == {appeal["id"]}
    assert _ids(_api(org.outsider).get(target)) == set()


def test_an_appeal_after_the_window_is_400(assessment: Assessment) -> None:
    """GIVEN the day after the last day for appeals WHEN 甲县 appeals THEN 400 in words."""
    org = assessment.org
    deduction = assessment.deduct(assessment.review, org.county_a)
    with time_machine.travel(NOW + dt.timedelta(days=11), tick=False):
        response = _api(org.inside).post(
            _url("appeal-list"), {"deduction": deduction.pk, "reasons": "不服"}, format="json"
        )
        assert CHINESE.search(_errors(response)[None])
    assert not Appeal.objects.exists()


# --- results ---------------------------------------------------------------------------------
def test_results_are_scoped_filtered_and_ordered_by_rank(assessment: Assessment) -> None:
    """GIVEN results of 甲县, 甲镇 and 乙县 in the review round and the published one WHEN
    listed THEN 甲县 sees its own before publication, the city's campaign office only the
    published ones; the office filters by round, category, grade, tier and unit, and orders
    by rank either way."""
    org, w = assessment.org, assessment.w
    published = assessment.rounds[RoundStatus.PUBLISHED]
    rows = {}
    for round_ in (assessment.review, published):
        for rank, unit in enumerate((org.county_b, org.county_a, org.township_a), start=1):
            grade = Grade.EXCELLENT if rank == 1 else Grade.GOOD
            rows[round_.status, unit.name] = _result(
                round_, unit, w.category, rank, grade=grade, tier=min(rank, 2)
            )
    target = _url("assessment-result-list")
    review_own = rows[RoundStatus.REVIEW, "甲县"].pk
    published_pks = {r.pk for (status, _n), r in rows.items() if status == RoundStatus.PUBLISHED}
    assert _ids(_api(org.inside).get(target, {"round": assessment.review.pk})) == {review_own}
    assert _ids(_api(org.above).get(target)) == published_pks
    office = _api(org.assessor)
    by_rank = office.get(target, {"round": published.pk, "ordering": "-rank"}).json()["results"]
    assert [row["unit_name"] for row in by_rank] == ["甲镇", "甲县", "乙县"]
    assert _ids(office.get(target, {"grade": "excellent", "round": published.pk})) == {
        rows[RoundStatus.PUBLISHED, "乙县"].pk
    }
    assert len(_ids(office.get(target, {"tier": 2}))) == 4
    assert len(_ids(office.get(target, {"category": w.category.pk}))) == 6
    assert len(_ids(office.get(target, {"unit": org.township_a.pk}))) == 2
    other = UnitCategory.objects.create(scheme=_other_scheme(org.county_b), name="乙县的类别")
    assert _errors(_api(org.inside).get(target, {"category": other.pk})).keys() == {"category"}
    township = rows[RoundStatus.REVIEW, "甲镇"].pk
    assert _api(org.inside).get(_url("assessment-result-detail", township)).status_code == 404


# --- query counts ----------------------------------------------------------------------------
def _grow(a: Assessment, round_: Round, units: list[Any], start: int) -> None:
    """Scores, deductions (each appealed), results for ``units`` in ``round_``."""
    for offset, unit in enumerate(units):
        _score(a, round_, unit, "A1")
        deduction = a.deduct(round_, unit)
        Appeal.objects.create(deduction=deduction, reasons="不服", filed_by=a.org.inside)
        _result(round_, unit, a.w.category, start + offset)


@pytest.mark.parametrize(
    "name",
    [
        "assessment-scheme-list",
        "assessment-round-list",
        "assessment-score-list",
        "deduction-list",
        "appeal-list",
        "assessment-result-list",
    ],
)
def test_lists_run_a_fixed_number_of_queries(
    assessment: Assessment, name: str, django_assert_num_queries: Any
) -> None:
    """GIVEN one of each record, then many more (and more schemes and rounds) WHEN the
    office lists THEN the same six queries: the caller's jurisdiction (supervised units,
    posts, roles: 3), the office's scopes (1), the count (1) and one page with its joins
    (1)."""
    org, w = assessment.org, assessment.w
    round_ = assessment.review
    _grow(assessment, round_, [org.county_a], 1)
    target = _url(name)
    api = _api(User.objects.get(pk=org.assessor.pk))
    with django_assert_num_queries(6):
        first = api.get(target)
    assert first.status_code == 200
    _grow(assessment, round_, [*w.units, org.township_a, org.county_b], 2)
    for scheme in (scheme_elsewhere(org.city, 2023), scheme_elsewhere(org.city, 2024)):
        CategoryMember.objects.create(
            scheme=scheme,
            category=UnitCategory.objects.create(scheme=scheme, name="县"),
            unit=org.county_a,
        )
        Round.objects.create(
            scheme=scheme,
            kind="annual",
            title=f"{scheme.year}年度",
            period_start=dt.date(scheme.year, 1, 1),
            period_end=dt.date(scheme.year, 12, 31),
        )
    api = _api(User.objects.get(pk=org.assessor.pk))
    with django_assert_num_queries(6):
        many = api.get(target)
    assert many.json()["count"] > first.json()["count"]


# --- the page and the API agree --------------------------------------------------------------
def test_page_and_api_give_the_same_verdict_on_each_move(
    assessment: Assessment, client: Any
) -> None:
    """GIVEN a round in each status WHEN each persona makes its move through the page and
    through the API THEN both refuse whom the rule refuses (nothing changes) and both let
    the office move it on."""
    org, rounds = assessment.org, assessment.rounds
    moves = {
        "open_scoring": RoundStatus.DRAFT,
        "to_review": RoundStatus.SCORING,
        "publish": RoundStatus.REVIEW,
        "archive": RoundStatus.PUBLISHED,
    }
    for move, source in moves.items():
        round_ = rounds[source]
        page = reverse("assessments:round-move", args=[round_.pk, move])
        api = _url(f"assessment-round-{move.replace('_', '-')}", round_.pk)
        for user in (org.inside, org.outsider, org.above, org.official, org.supervisor):
            client.force_login(user)
            assert client.post(page, {"confirm": "yes"}).status_code in (403, 404)
            assert _api(user).post(api).status_code in (403, 404)
            assert Round.objects.get(pk=round_.pk).status == source
        client.force_login(org.assessor)
        assert client.post(page, {"confirm": "yes"}).status_code == 302
        moved = Round.objects.get(pk=round_.pk).status
        assert moved != source
        Round.objects.filter(pk=round_.pk).update(status=source)
        assert _api(org.assessor).post(api).json()["status"] == moved


def test_an_appeal_with_evidence_files(assessment: Assessment) -> None:
    """GIVEN a standing deduction of 甲县 under review WHEN 甲县 appeals as multipart with a
    PDF THEN the appeal and its file are saved together; a file of a refused type saves
    neither."""
    org = assessment.org
    deduction = assessment.deduct(assessment.review, org.county_a)
    target = _url("appeal-list")
    bad = _api(org.inside).post(
        target, {"deduction": deduction.pk, "reasons": "已整改", "files": [pdf("脚本.exe")]}
    )
    assert bad.status_code == 400 and "files" in _errors(bad)
    assert not Appeal.objects.filter(deduction=deduction).exists()
    response = _api(org.inside).post(
        target, {"deduction": deduction.pk, "reasons": "已整改", "files": [pdf()]}
    )
    assert response.status_code == 201, response.content
    assert [f["original_name"] for f in response.json()["evidence"]] == ["整改材料.pdf"]
    assert EvidenceFile.objects.filter(appeal_id=response.json()["id"]).count() == 1
