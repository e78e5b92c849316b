"""The public survey's services: phone numbers normalised and kept only as a keyed hash, one
answer per number and round, refusals in words, the public score's formula and minimum, the
office's switches, the demo's answers and the rule's two forms."""

from __future__ import annotations

import hashlib
from decimal import Decimal as D
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import User

from ..models import Round, RoundStatus, ScoreEntry, Source, SurveyResponse
from ..rules import can_manage_survey, survey_manageable_rounds_q
from ..survey import (
    demo_survey_responses,
    phone_hash,
    phone_normalise,
    public_scores_compute,
    survey_close,
    survey_open,
    survey_respond,
)
from .conftest import Assessment

DUPLICATE = "该手机号已参加过本轮评价"
CLOSED = "本轮评价已结束"


@pytest.fixture
def survey(assessment: Assessment) -> Round:
    """The scoring round (Q3) with its survey open."""
    round_ = assessment.scoring
    round_.survey_open = True
    round_.save(update_fields=["survey_open"])
    return round_


def answer(round_: Round, unit: Any, phone: str, rating: int = 4, **fields: Any) -> SurveyResponse:
    ratings = dict.fromkeys(("attitude", "efficiency", "conduct", "overall"), rating)
    return survey_respond(round_=round_, unit=unit, phone=phone, **{**ratings, **fields})


def answers(round_: Round, unit: Any, ratings: list[tuple[int, int, int, int]], start: int = 0):
    """One answer per tuple (attitude, efficiency, conduct, overall), each from a new number."""
    for n, (attitude, efficiency, conduct, overall) in enumerate(ratings, start=start):
        survey_respond(
            round_=round_,
            unit=unit,
            phone=f"1390000{n:04d}",
            attitude=attitude,
            efficiency=efficiency,
            conduct=conduct,
            overall=overall,
        )


def words(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return " ".join(exc.value.messages)


# --- the phone number --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        "13812345678",
        "138 1234 5678",
        "138-1234-5678",
        "+86 138 1234 5678",
        "+86-13812345678",
        "0086 13812345678",
        "8613812345678",
        "(+86) 138.1234.5678",
        "１３８１２３４５６７８",  # full-width digits from a Chinese keyboard
        " 138\u30001234\u30005678 ",  # full-width spaces
    ],
)
def test_a_mainland_mobile_is_normalised_to_its_eleven_digits(raw: str) -> None:
    assert phone_normalise(raw) == "13812345678"


@pytest.mark.parametrize(
    "raw", ["", "12812345678", "1381234567", "138123456789", "02012345678", "abc", "+1 3812345678"]
)
def test_anything_else_is_refused_in_words(raw: str) -> None:
    with pytest.raises(ValidationError) as exc:
        phone_normalise(raw)
    assert exc.value.message_dict["phone"] == ["请填写11位中国大陆手机号码，例如 13812345678。"]


def test_the_hash_is_keyed_by_its_setting_or_by_the_secret_key(settings: Any) -> None:
    """GIVEN no SURVEY_PHONE_KEY THEN the hash follows SECRET_KEY; GIVEN one THEN it alone
    keys the hash. Either way it is no plain SHA-256 that a table of numbers would reverse."""
    settings.SURVEY_PHONE_KEY = ""
    derived = phone_hash("13812345678")
    assert len(derived) == 64 and int(derived, 16) >= 0
    assert derived != hashlib.sha256(b"13812345678").hexdigest()
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789abcdef"
    assert phone_hash("13812345678") != derived
    settings.SURVEY_PHONE_KEY = "survey-key"
    keyed = phone_hash("13812345678")
    settings.SECRET_KEY = "yet-another-secret-key-for-this-test-only-0123456789"
    assert phone_hash("13812345678") == keyed != derived


# --- answering ---------------------------------------------------------------------------------
def test_an_answer_is_saved_with_the_hash_of_the_number(survey: Round, assessment: Assessment):
    unit = assessment.org.county_a
    response = answer(survey, unit, "+86 138-1234-5678", comment="  窗口服务很好  ")
    response.refresh_from_db()
    assert response.phone_hash == phone_hash("13812345678")
    assert (response.attitude, response.overall, response.comment) == (4, 4, "窗口服务很好")


def test_one_answer_per_number_and_round_however_it_is_written(
    survey: Round, assessment: Assessment
) -> None:
    """GIVEN a number that answered WHEN it answers again (other unit, other spelling) THEN
    refused in Chinese with nothing saved; in another round it may answer."""
    answer(survey, assessment.org.county_a, "13812345678")
    with pytest.raises(ValidationError) as exc:
        answer(survey, assessment.org.county_b, "+86 138 1234 5678")
    assert exc.value.message_dict == {"phone": [DUPLICATE]}
    assert SurveyResponse.objects.count() == 1
    other = assessment.review
    other.survey_open = True
    other.save(update_fields=["survey_open"])
    answer(other, assessment.org.county_b, "13812345678")
    assert SurveyResponse.objects.count() == 2


def test_a_closed_or_published_round_takes_no_answer(assessment: Assessment) -> None:
    closed = assessment.scoring  # survey_open is off
    published = assessment.rounds[RoundStatus.PUBLISHED]
    Round.objects.filter(pk=published.pk).update(survey_open=True)
    for round_ in (closed, published):
        with pytest.raises(ValidationError) as exc:
            answer(round_, assessment.org.county_a, "13812345678")
        assert CLOSED in words(exc)
    assert not SurveyResponse.objects.exists()


def test_a_unit_outside_the_scheme_or_a_rating_outside_1_to_5_is_refused(
    survey: Round, assessment: Assessment
) -> None:
    with pytest.raises(ValidationError) as exc:
        answer(survey, assessment.org.city_dept, "13812345678")
    assert exc.value.message_dict == {"unit": ["请从本次评价列出的单位中选择。"]}
    for bad in (0, 6, True):
        with pytest.raises(ValidationError) as exc:
            answer(survey, assessment.org.county_a, "13812345678", overall=bad)
        assert exc.value.message_dict == {"overall": ["请选择 1 至 5 分。"]}
    assert not SurveyResponse.objects.exists()


# --- the office's switches ---------------------------------------------------------------------
def test_the_office_opens_and_closes_the_survey_and_others_may_not(
    assessment: Assessment,
) -> None:
    org, round_ = assessment.org, assessment.scoring
    for persona in (org.inside, org.outsider, org.official, org.above, org.supervisor):
        with pytest.raises(PermissionDenied):
            survey_open(round_=round_, actor=persona)
    assert survey_open(round_=round_, actor=org.assessor).survey_open
    assert not survey_close(round_=round_, actor=org.assessor).survey_open
    round_.refresh_from_db()
    assert not round_.survey_open


def test_a_published_round_s_survey_is_not_opened(assessment: Assessment) -> None:
    published = assessment.rounds[RoundStatus.PUBLISHED]
    with pytest.raises(ValidationError) as exc:
        survey_open(round_=published, actor=assessment.org.assessor)
    assert "已发布" in words(exc)
    published.refresh_from_db()
    assert not published.survey_open


@pytest.mark.parametrize(
    "persona",
    ["inside", "above", "supervisor", "outsider", "official", "assessor", "admin", "superuser"],
)
def test_the_rule_and_its_list_form_agree(assessment: Assessment, persona: str) -> None:
    user = getattr(assessment.org, persona)
    listed = set(
        Round.objects.filter(survey_manageable_rounds_q(user)).values_list("pk", flat=True)
    )
    assert {r.pk for r in Round.objects.all() if can_manage_survey(user, r)} == listed
    assert bool(listed) == (persona in {"assessor", "admin", "superuser"})


# --- public scores -----------------------------------------------------------------------------
def public_points(round_: Round) -> dict[str, D]:
    return {
        score.unit.name: score.points
        for score in ScoreEntry.objects.filter(
            round=round_, indicator__source=Source.PUBLIC
        ).select_related("unit")
    }


def test_the_public_score_is_max_times_mean_minus_one_over_four(
    survey: Round, assessment: Assessment
) -> None:
    """GIVEN five answers per unit: 甲县 mean 3, 乙县 mean 4.25 (17/4), 甲镇 all 5 and 县01 all
    1 WHEN computed THEN P1 (100 points) is 50, 81.25, 100 and 0, with the count in the
    comment."""
    org = assessment.org
    answers(
        survey, org.county_a, [(1, 1, 1, 1), (2, 2, 2, 2), (3, 3, 3, 3), (4, 4, 4, 4), (5, 5, 5, 5)]
    )
    answers(survey, org.county_b, [(4, 4, 4, 5)] * 5, start=10)
    answers(survey, org.township_a, [(5, 5, 5, 5)] * 5, start=20)
    answers(survey, assessment.w.units[0], [(1, 1, 1, 1)] * 5, start=30)
    outcome = public_scores_compute(round_=survey, actor=org.assessor)
    assert public_points(survey) == {
        "甲县": D("50.00"),
        "乙县": D("81.25"),
        "甲镇": D("100.00"),
        "县01": D("0.00"),
    }
    assert outcome.written == 4
    assert [(unit.name, count) for unit, count in outcome.too_few] == [("县02", 0)]
    entry = ScoreEntry.objects.get(round=survey, unit=org.county_b)
    assert entry.comment == "公众满意度调查：共 5 份答卷，平均 4.25 分（满分 5 分）。"
    assert entry.assessor == org.assessor


def test_units_below_the_minimum_get_no_score_and_are_named(
    survey: Round, assessment: Assessment, settings: Any
) -> None:
    """GIVEN 甲县 with 4 answers and 乙县 with 5 WHEN computed with the default minimum (5)
    THEN only 乙县 is scored and 甲县 is listed with its count; GIVEN a minimum of 4 THEN 甲县
    is scored too."""
    org = assessment.org
    answers(survey, org.county_a, [(5, 5, 5, 5)] * 4)
    answers(survey, org.county_b, [(3, 3, 3, 3)] * 5, start=10)
    outcome = public_scores_compute(round_=survey, actor=org.assessor)
    assert public_points(survey) == {"乙县": D("50.00")}
    assert outcome.minimum == 5
    assert ("甲县", 4) in [(unit.name, count) for unit, count in outcome.too_few]
    settings.SURVEY_MIN_RESPONSES = 4
    public_scores_compute(round_=survey, actor=org.assessor)
    assert public_points(survey) == {"甲县": D("100.00"), "乙县": D("50.00")}


def test_computing_again_updates_the_scores_in_place(survey: Round, assessment: Assessment):
    org = assessment.org
    answers(survey, org.county_a, [(3, 3, 3, 3)] * 5)
    public_scores_compute(round_=survey, actor=org.assessor)
    answers(survey, org.county_a, [(5, 5, 5, 5)] * 5, start=10)
    public_scores_compute(round_=survey, actor=org.assessor)
    assert public_points(survey) == {"甲县": D("75.00")}  # mean 4 over ten answers
    assert ScoreEntry.objects.filter(round=survey, unit=org.county_a).count() == 1


def test_a_frozen_round_refuses_computing(assessment: Assessment) -> None:
    """GIVEN a published round with answers WHEN the office computes THEN refused in words,
    and no score is written; a round under review is refused too (scores are entered while
    scoring)."""
    org = assessment.org
    published = assessment.rounds[RoundStatus.PUBLISHED]
    Round.objects.filter(pk=published.pk).update(survey_open=True, status=RoundStatus.SCORING)
    answers(published, org.county_a, [(4, 4, 4, 4)] * 5)
    Round.objects.filter(pk=published.pk).update(status=RoundStatus.PUBLISHED)
    before = ScoreEntry.objects.count()
    with pytest.raises(ValidationError) as exc:
        public_scores_compute(round_=published, actor=org.assessor)
    assert "已发布" in words(exc)
    with pytest.raises(ValidationError):
        public_scores_compute(round_=assessment.review, actor=org.assessor)
    assert ScoreEntry.objects.count() == before


def test_only_the_office_computes(survey: Round, assessment: Assessment) -> None:
    answers(survey, assessment.org.county_a, [(4, 4, 4, 4)] * 5)
    for persona in ("inside", "outsider", "official", "above", "supervisor"):
        with pytest.raises(PermissionDenied):
            public_scores_compute(round_=survey, actor=getattr(assessment.org, persona))
    assert not ScoreEntry.objects.filter(indicator__source=Source.PUBLIC).exists()


def test_computing_is_set_based(
    survey: Round,
    assessment: Assessment,
    django_assert_num_queries: Any,
    django_assert_max_num_queries: Any,
) -> None:
    """The same queries for five units with answers as for one: the round locked, the
    public indicators, the members, the answers aggregated, the upsert (and the rule's)."""
    org = assessment.org
    answers(survey, org.county_a, [(4, 4, 4, 4)] * 5)
    # The round; the actor's supervision groups, posts and roles (twice: the jurisdiction
    # and the office); the public indicators; the answers aggregated per unit; the members;
    # then scores_enter: the round locked, the units assessed, the upsert; two savepoints
    # (each opened and released).
    actor = User.objects.get(pk=org.assessor.pk)
    with django_assert_max_num_queries(15) as one:
        public_scores_compute(round_=survey, actor=actor)
    for n, unit in enumerate((org.county_b, org.township_a, *assessment.w.units), start=1):
        answers(survey, unit, [(4, 4, 4, 4)] * 5, start=10 * n)
    actor = User.objects.get(pk=org.assessor.pk)
    with django_assert_num_queries(len(one.captured_queries)):
        public_scores_compute(round_=survey, actor=actor)
    assert len(public_points(survey)) == 5


# --- the demo ------------------------------------------------------------------------------
def test_demo_answers_cover_every_unit_and_are_not_added_twice(
    assessment: Assessment,
) -> None:
    round_ = assessment.scoring
    assert demo_survey_responses(round_, per_unit=6, seed=7) == 5 * 6
    assert demo_survey_responses(round_, per_unit=6, seed=7) == 0
    outcome = public_scores_compute(round_=round_, actor=assessment.org.assessor)
    assert outcome.written == 5 and not outcome.too_few
    points = set(public_points(round_).values())
    assert len(points) > 1 and all(D(0) <= p <= D(100) for p in points)
    with pytest.raises(ValidationError):
        demo_survey_responses(assessment.rounds[RoundStatus.PUBLISHED], per_unit=1, seed=1)


def test_no_column_keeps_the_number(survey: Round, assessment: Assessment) -> None:
    """Every column of the answers' table, read as text, lacks the number in any form."""
    answer(survey, assessment.org.county_a, "+86 138 1234 5678", comment="满意")
    with connection.cursor() as cursor:
        assert SurveyResponse._meta.db_table == "assessments_surveyresponse"
        cursor.execute("SELECT t::text FROM assessments_surveyresponse t")
        (row,) = cursor.fetchall()
    assert "12345678" not in row[0] and "1234 5678" not in row[0]
