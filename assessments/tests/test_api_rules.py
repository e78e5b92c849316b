"""The rules the API's reads ask (schemes, rounds, scores, appeals) agree in both forms for
every persona, and the action table offers only what its rule allows and refuses the rest
with the rule's reason."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db.models import Model, Q

from .. import rules
from ..actions import (
    APPEAL_ACTIONS,
    DEDUCTION_ACTIONS,
    ROUND_ACTIONS,
    allowed_actions,
    refuse_unless,
)
from ..models import Appeal, AppealStatus, Deduction, Round, RoundStatus, Scheme, ScoreEntry
from .conftest import Assessment
from .test_rules import TODAY, world  # noqa: F401 - the personas' world, a fixture

pytestmark = pytest.mark.django_db

PAIRS: list[tuple[type[Model], Callable[[Any, Any], bool], Callable[[Any], Q]]] = [
    (Scheme, rules.can_view_scheme, rules.viewable_schemes_q),
    (Round, rules.can_view_round, rules.viewable_rounds_q),
    (
        ScoreEntry,
        lambda user, score: rules.can_view_score(user, score.round, score.unit),
        rules.viewable_scores_q,
    ),
    (Appeal, rules.can_view_appeal, rules.viewable_appeals_q),
]


def test_both_forms_agree_for_every_persona(
    assessment: Assessment,
    world: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    """GIVEN every persona and a score for each unit in each round WHEN the one-object rule
    and the list filter are asked THEN they agree on every record."""
    units = (assessment.org.county_a, assessment.org.township_a, assessment.org.county_b)
    for round_, unit in itertools.product(assessment.rounds.values(), units):
        ScoreEntry.objects.create(
            round=round_, unit=unit, indicator=assessment.w.indicators["A1"], points=Decimal(1)
        )
    disagreements = []
    for (name, user), (model, can, q) in itertools.product(world["people"].items(), PAIRS):
        listed = set(model._default_manager.filter(q(user)).values_list("pk", flat=True))
        allowed = {obj.pk for obj in model._default_manager.all() if can(user, obj)}
        if listed != allowed:
            disagreements.append((name, model.__name__, listed ^ allowed))
    assert not disagreements
    people = world["people"]
    score = ScoreEntry.objects.get(round=assessment.review, unit=assessment.org.county_b)
    assert not rules.can_view_score(people["inside"], score.round, score.unit)
    assert rules.can_view_score(people["outsider"], score.round, score.unit)


def test_the_action_table_offers_what_the_rules_allow(
    assessment: Assessment,
    world: dict[str, Any],  # noqa: F811 - the fixture imported above
) -> None:
    """GIVEN the review round, a deduction of 甲县 without an appeal and a pending appeal
    WHEN the office and 甲县 ask THEN each is offered what its rule allows, and refusing
    names the rule's reason."""
    people, org = world["people"], assessment.org
    review = assessment.review
    assert allowed_actions(ROUND_ACTIONS, people["assessor"], review) == [
        "publish",
        "record_deduction",
        "show_publicly",
    ]
    assert allowed_actions(ROUND_ACTIONS, people["inside"], review) == []
    with pytest.raises(PermissionDenied):
        refuse_unless(ROUND_ACTIONS, "publish", people["inside"], review)
    # Not in its status: passed on to the service, which says why in words.
    refuse_unless(ROUND_ACTIONS, "archive", people["inside"], review)
    late: Deduction = world["late"]
    with time_machine.travel(TODAY, tick=False):
        assert allowed_actions(DEDUCTION_ACTIONS, people["inside"], late) == ["appeal"]
        assert allowed_actions(DEDUCTION_ACTIONS, people["assessor"], late) == []
        with pytest.raises(PermissionDenied):
            refuse_unless(DEDUCTION_ACTIONS, "appeal", people["assessor"], late)
    pending = Appeal.objects.filter(
        deduction__round=review, deduction__unit=org.county_a, status=AppealStatus.PENDING
    ).first()
    assert pending is not None
    assert allowed_actions(APPEAL_ACTIONS, people["assessor"], pending) == ["decide"]
    assert allowed_actions(APPEAL_ACTIONS, people["inside"], pending) == []
    published = Appeal.objects.filter(
        deduction__round__status=RoundStatus.PUBLISHED, status=AppealStatus.PENDING
    ).first()
    assert allowed_actions(APPEAL_ACTIONS, people["assessor"], published) == []
