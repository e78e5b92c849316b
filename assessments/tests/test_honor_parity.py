"""Action parity for the honor roll: the rule, the page and the API give the same answer to
every persona, for submitting 甲县's highlight, deciding one, giving a flag and publishing,
each on fresh rows so one path's write never changes what the other sees. "Allowed" means
the write happened in the database, whatever the status code."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from campaign.tests.factories import CampaignFactory

from .. import rules
from ..honor import honor_submission_create, honor_submission_decide
from ..models import HonorFlag, HonorRoll, HonorRollStatus, HonorSubmission, HonorSubmissionStatus
from .test_honor_services import MAY, Honor, make_honor, pdf

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(dt.datetime(2022, 5, 10, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@dataclass
class Action:
    """One write: a fresh target, the rule's answer, the page's and the API's request, and
    whether the write happened."""

    name: str
    target: Callable[[Honor], Any]
    rule: Callable[[Honor, User, Any], bool]
    page: Callable[[Client, Honor, Any], Any]
    api: Callable[[APIClient, Honor, Any], Any]
    happened: Callable[[Any], bool]


def _submission(h: Honor) -> HonorSubmission:
    """甲县's highlight on a roll of its own: of a new campaign of the city, so deciding,
    flagging or publishing one roll never touches the next."""
    campaign = CampaignFactory(owner_unit=h.org.city)
    return honor_submission_create(
        actor=h.org.inside,
        campaign=campaign,
        unit=h.org.county_a,
        month=MAY,
        title="亮点",
        text="成效",
        today=MAY,
    )


def _selected_roll(h: Honor) -> HonorRoll:
    submission = _submission(h)
    honor_submission_decide(submission=submission, actor=h.office, selected=True)
    return submission.roll


def _submit_data(h: Honor, title: str) -> dict[str, Any]:
    return {
        "campaign": h.org.campaign.pk,
        "unit": h.org.county_a.pk,
        "month": MAY.isoformat(),
        "title": title,
        "text": "成效",
    }


ACTIONS = [
    Action(
        "submit",
        lambda h: f"报送{HonorSubmission.objects.count()}",
        lambda h, user, _title: rules.can_submit_honor(user, h.org.campaign, h.org.county_a),
        lambda client, h, title: client.post(
            reverse("assessments:honor-submit"), {**_submit_data(h, title), "evidence": [pdf()]}
        ),
        lambda api, h, title: api.post(
            "/api/v1/honor-submissions/",
            {**_submit_data(h, title), "files": [pdf()]},
            format="multipart",
        ),
        lambda title: HonorSubmission.objects.filter(title=title).exists(),
    ),
    Action(
        "decide",
        _submission,
        lambda h, user, s: rules.can_decide_honor(user, s.roll),
        lambda client, h, s: client.post(
            reverse("assessments:honor-submission-decide", args=[s.pk]), {"selected": "1"}
        ),
        lambda api, h, s: api.post(
            f"/api/v1/honor-submissions/{s.pk}/decide/", {"selected": True}, format="json"
        ),
        lambda s: HonorSubmission.objects.get(pk=s.pk).status == HonorSubmissionStatus.SELECTED,
    ),
    Action(
        "flag",
        lambda h: _submission(h).roll,
        lambda h, user, roll: rules.can_decide_honor(user, roll),
        lambda client, h, roll: client.post(
            reverse("assessments:honor-flag-set", args=[roll.pk]),
            {"unit": h.org.county_b.pk, "colour": "red", "reason": "好"},
        ),
        lambda api, h, roll: api.post(
            "/api/v1/honor-flags/",
            {"roll": roll.pk, "unit": h.org.county_b.pk, "colour": "red", "reason": "好"},
            format="json",
        ),
        lambda roll: HonorFlag.objects.filter(roll=roll).exists(),
    ),
    Action(
        "publish",
        _selected_roll,
        lambda h, user, roll: rules.can_decide_honor(user, roll),
        lambda client, h, roll: client.post(
            reverse("assessments:honor-roll-publish", args=[roll.pk]), {"confirm": "on"}
        ),
        lambda api, h, roll: api.post(f"/api/v1/honor-rolls/{roll.pk}/publish/", {}, format="json"),
        lambda roll: HonorRoll.objects.get(pk=roll.pk).status == HonorRollStatus.PUBLISHED,
    ),
]


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("action", ACTIONS, ids=lambda a: a.name)
def test_rule_page_and_api_agree(org: Any, action: Action) -> None:
    h = make_honor(org)
    people = {**org.personas(), "leader": h.leader}
    answers = {}
    for name, person in people.items():
        allowed = action.rule(h, fresh(person), action.target(h))
        client = Client()
        client.force_login(person)
        target = action.target(h)
        action.page(client, h, target)
        by_page = action.happened(target)
        api = APIClient()
        api.force_authenticate(fresh(person))
        target = action.target(h)
        action.api(api, h, target)
        by_api = action.happened(target)
        answers[name] = (allowed, by_page, by_api)
    assert all(len(set(answer)) == 1 for answer in answers.values()), answers
    assert any(allowed for allowed, *_ in answers.values())  # someone may
    assert not all(allowed for allowed, *_ in answers.values())  # and someone may not
