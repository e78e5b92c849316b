"""The two forms of every assessment rule agree (the predicate for one object, the filter for
lists) for every persona, and the rules say what the domain says: the assessment office runs
assessments, a unit's side appeals its own deductions, and a unit sees only its own results
and deductions before publication."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import Any, cast

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q

from accounts.models import Post, Role, Unit, User
from accounts.tests.factories import MembershipFactory, RoleAssignmentFactory, UserFactory

from .. import rules
from ..models import (
    Appeal,
    AppealStatus,
    Deduction,
    DeductionStatus,
    Grade,
    Result,
    Round,
    RoundStatus,
    Scheme,
)
from .conftest import APPEAL_UNTIL, Assessment, scheme_elsewhere

pytestmark = pytest.mark.django_db

TODAY = APPEAL_UNTIL

PAIRS: list[tuple[type[Model], Callable[[Any, Any], bool], Callable[[Any], Q]]] = [
    (Scheme, rules.can_manage_scheme, rules.manageable_schemes_q),
    (Round, rules.can_manage_round, rules.manageable_rounds_q),
    (Round, rules.can_enter_scores, rules.scorable_rounds_q),
    (Round, rules.can_record_deduction, rules.deductible_rounds_q),
    (
        Deduction,
        lambda user, d: rules.can_file_appeal(user, d, TODAY),
        lambda user: rules.appealable_deductions_q(user, TODAY),
    ),
    (Appeal, rules.can_decide_appeal, rules.decidable_appeals_q),
    (Result, rules.can_view_result, rules.viewable_results_q),
    (Deduction, rules.can_view_deduction, rules.viewable_deductions_q),
]


def _person(name: str, unit: Unit, post: str = Post.LIAISON) -> User:
    user = cast(User, UserFactory(username=name, name=name))
    MembershipFactory(user=user, unit=unit, post=post)
    return user


def _role(name: str, role: str, scope: Unit) -> User:
    user = cast(User, UserFactory(username=name, name=name))
    RoleAssignmentFactory(user=user, role=role, scope=scope)
    return user


@pytest.fixture
def world(assessment: Assessment) -> dict[str, Any]:
    """Personas beyond the shared ones, and in every round a deduction and a result for
    甲县, 甲镇 and 乙县; appeals pending, upheld and on a reversed deduction; a second
    campaign owned by the province with a scheme of its own."""
    org = assessment.org
    county_assessor = _role("county_assessor", Role.ASSESSMENT_OFFICE, org.county_a)
    official_assessor = _role("official_assessor", Role.ASSESSMENT_OFFICE, org.city)
    RoleAssignmentFactory(user=official_assessor, role=Role.OFFICIAL, scope=org.city)
    people = {
        **org.personas(),
        "township": _person("township", org.township_a),
        "county_assessor": county_assessor,
        "official_assessor": official_assessor,
        "province_assessor": _role("province_assessor", Role.ASSESSMENT_OFFICE, org.province),
        "anonymous": AnonymousUser(),
    }
    w = assessment.w
    scheme_elsewhere(org.province)
    units = (org.county_a, org.township_a, org.county_b)
    for round_ in assessment.rounds.values():
        for rank, unit in enumerate(units, start=1):
            deduction = assessment.deduct(round_, unit)
            assessment.deduct(round_, unit, status=DeductionStatus.REVERSED)
            Appeal.objects.create(deduction=deduction, reasons="不服", filed_by=org.inside)
            Result.objects.create(
                round=round_,
                unit=unit,
                category=w.category,
                daily=0,
                annual=0,
                third_party=0,
                public=0,
                total=0,
                band_grade=Grade.POOR,
                grade=Grade.POOR,
                rank=rank,
                tier=1,
            )
        Appeal.objects.create(
            deduction=assessment.deduct(round_, org.county_a),
            reasons="已裁决",
            filed_by=org.inside,
            status=AppealStatus.UPHELD,
        )
        assessment.deduct(round_, org.county_a)  # standing, no appeal
    late = assessment.deduct(assessment.review, org.county_a)
    return {"people": people, "late": late}


def test_both_forms_agree_for_every_persona(world: dict[str, Any]) -> None:
    disagreements = []
    for (name, user), (model, can, q) in itertools.product(world["people"].items(), PAIRS):
        objects = list(model._default_manager.all())
        listed = set(model._default_manager.filter(q(user)).values_list("pk", flat=True))
        allowed = {obj.pk for obj in objects if can(user, obj)}
        if listed != allowed:
            disagreements.append((name, can.__name__, listed ^ allowed))
    assert not disagreements


def _who(world: dict[str, Any], can: Callable[[Any, Any], bool], obj: Any) -> set[str]:
    return {name for name, user in world["people"].items() if can(user, obj)}


OFFICE = {"assessor", "admin", "superuser", "province_assessor"}


def test_the_assessment_office_over_the_campaign_runs_it(
    assessment: Assessment, world: dict[str, Any]
) -> None:
    scheme = assessment.w.scheme
    assert _who(world, rules.can_manage_scheme, scheme) == OFFICE
    assert _who(world, rules.can_enter_scores, assessment.scoring) == OFFICE
    assert _who(world, rules.can_enter_scores, assessment.review) == set()
    assert _who(world, rules.can_record_deduction, assessment.review) == OFFICE
    for frozen in (RoundStatus.PUBLISHED, RoundStatus.ARCHIVED, RoundStatus.DRAFT):
        assert _who(world, rules.can_record_deduction, assessment.rounds[frozen]) == set()
    pending = Appeal.objects.get(
        deduction__round=assessment.review,
        deduction__unit=assessment.org.county_a,
        status=AppealStatus.PENDING,
    )
    assert _who(world, rules.can_decide_appeal, pending) == OFFICE
    scoring_appeal = Appeal.objects.filter(
        deduction__round=assessment.scoring, status=AppealStatus.PENDING
    ).first()
    assert _who(world, rules.can_decide_appeal, scoring_appeal) == set()


def test_the_units_side_appeals_its_own_deductions_while_the_window_is_open(
    assessment: Assessment, world: dict[str, Any]
) -> None:
    org, late = assessment.org, world["late"]
    county = lambda user, d: rules.can_file_appeal(user, d, TODAY)  # noqa: E731
    assert _who(world, county, late) == {"inside", "superuser"}
    township = assessment.deduct(assessment.review, org.township_a)
    # 甲县 does not see 甲镇's deductions before publication, so the township appeals alone.
    assert _who(world, county, township) == {"township", "superuser"}
    after = lambda user, d: rules.can_file_appeal(user, d, TODAY + dt.timedelta(days=1))  # noqa: E731
    assert _who(world, after, late) == set()
    in_scoring = assessment.deduct(assessment.scoring, org.county_a)
    assert _who(world, county, in_scoring) == set()
    Appeal.objects.create(deduction=late, reasons="不服", filed_by=org.inside)
    assert _who(world, county, late) == set()  # one pending appeal at a time


def test_a_unit_sees_only_its_own_results_before_publication(
    assessment: Assessment, world: dict[str, Any]
) -> None:
    org = assessment.org
    readers = OFFICE | {"official", "official_assessor"}
    review = Result.objects.get(round=assessment.review, unit=org.county_a)
    assert _who(world, rules.can_view_result, review) == readers | {"inside", "county_assessor"}
    township = Result.objects.get(round=assessment.review, unit=org.township_a)
    assert "inside" not in _who(world, rules.can_view_result, township)
    assert "township" in _who(world, rules.can_view_result, township)
    published = Result.objects.get(
        round=assessment.rounds[RoundStatus.PUBLISHED], unit=org.county_a
    )
    assert _who(world, rules.can_view_result, published) == readers | {
        "inside",
        "county_assessor",
        "above",
        "supervisor",
    }
    other = Deduction.objects.filter(round=assessment.review, unit=org.county_b).first()
    assert "inside" not in _who(world, rules.can_view_deduction, other)
    assert "outsider" in _who(world, rules.can_view_deduction, other)
