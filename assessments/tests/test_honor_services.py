"""Honor roll services and rules: a unit's side submits for its own unit only, the office
selects with places, flags and publishes; a published roll is frozen; the units selected and
flagged are told; both forms of every honor rule agree for every persona."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Model, Q

from accounts.models import Membership, Notification, Post, Role, Unit
from accounts.tests.factories import MembershipFactory, RoleAssignmentFactory, UserFactory
from campaign.tests.factories import CampaignFactory

from .. import honor, rules
from ..models import (
    EvidenceFile,
    FlagColour,
    HonorFlag,
    HonorRoll,
    HonorRollStatus,
    HonorSubmission,
    HonorSubmissionStatus,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2022, 5, 10)
MAY = dt.date(2022, 5, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "获奖证书.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


@dataclass
class Honor:
    """The shared ``org`` with the city's assessment office and a principal leader of 甲县."""

    org: Any
    leader: Any

    @property
    def office(self) -> Any:
        return self.org.assessor

    def submit(self, unit: Unit | None = None, actor: Any = None, **fields: Any) -> HonorSubmission:
        return honor.honor_submission_create(
            actor=actor or self.org.inside,
            campaign=self.org.campaign,
            unit=unit or self.org.county_a,
            month=fields.pop("month", MAY),
            title=fields.pop("title", "信访积案清仓见底"),
            text=fields.pop("text", "本月化解信访积案12件。"),
            today=TODAY,
            **fields,
        )

    def published(self, **fields: Any) -> HonorRoll:
        """May's roll with 甲县 selected first and published."""
        submission = self.submit(**fields)
        honor.honor_submission_decide(submission=submission, actor=self.office, selected=True)
        return honor.honor_roll_publish(roll=submission.roll, actor=self.office)


def make_honor(org: Any) -> Honor:
    """The shared ``org`` with 甲县's principal leader (the ``h`` fixture of honor tests)."""
    leader = UserFactory(username="county_leader", name="甲县县长")
    MembershipFactory(user=leader, unit=org.county_a, post=Post.PRINCIPAL_LEADER)
    return Honor(org, leader)


@pytest.fixture
def h(org: Any) -> Honor:
    return make_honor(org)


# --- submitting -----------------------------------------------------------------------------------
def test_the_liaison_submits_with_evidence_and_the_roll_is_made(h: Honor) -> None:
    submission = h.submit(files=[pdf(), pdf("照片.pdf")])
    roll = submission.roll
    assert (roll.campaign, roll.month, roll.status) == (h.org.campaign, MAY, HonorRollStatus.DRAFT)
    assert submission.status == HonorSubmissionStatus.SUBMITTED
    assert submission.submitted_by == h.org.inside
    assert [e.original_name for e in submission.evidence.all()] == ["获奖证书.pdf", "照片.pdf"]
    assert h.submit(title="第二条").roll == roll  # the month's roll is found, not made twice
    assert HonorRoll.objects.count() == 1


def test_a_unit_submits_only_for_itself(h: Honor) -> None:
    """GIVEN 乙县's liaison WHEN they submit for 甲县 THEN refused, nothing saved."""
    with pytest.raises(PermissionDenied):
        h.submit(actor=h.org.outsider)
    with pytest.raises(PermissionDenied):
        h.submit(actor=h.org.official)  # an official reads, never writes
    with pytest.raises(PermissionDenied):
        h.submit(actor=h.office)  # the office selects; it does not submit for a unit
    assert not HonorRoll.objects.exists() and not HonorSubmission.objects.exists()
    # a unit above submits for a unit below (the county for its township)
    assert h.submit(unit=h.org.township_a).unit == h.org.township_a


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": "  "}, "title"),
        ({"text": ""}, "text"),
        ({"text": "长" * 5001}, "text"),
        ({"month": dt.date(2022, 6, 1)}, "month"),  # after this month
        ({"month": dt.date(2021, 12, 1)}, "month"),  # before the campaign
        ({"files": [SimpleUploadedFile("a.exe", b"MZ")]}, "files"),
        ({"files": [pdf(), SimpleUploadedFile("假.pdf", b"not a pdf")]}, "files"),
    ],
)
def test_bad_input_is_refused_whole(h: Honor, fields: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        h.submit(**fields)
    assert field in caught.value.message_dict
    assert not HonorSubmission.objects.exists() and not EvidenceFile.objects.exists()


def test_a_published_roll_takes_no_more_submissions(h: Honor) -> None:
    h.published()
    with pytest.raises(ValidationError, match="已发布"):
        h.submit(title="迟到的亮点")
    assert HonorSubmission.objects.count() == 1


# --- deciding, flags, publishing ------------------------------------------------------------------
def test_the_office_selects_with_places(h: Honor) -> None:
    first = h.submit()
    second = h.submit(unit=h.org.county_b, actor=h.org.outsider)
    third = h.submit(title="第三条")
    honor.honor_submission_decide(submission=second, actor=h.office, selected=True, place=1)
    chosen = honor.honor_submission_decide(submission=first, actor=h.office, selected=True)
    assert chosen.place == 2  # the next free place
    with pytest.raises(ValidationError) as caught:
        honor.honor_submission_decide(submission=third, actor=h.office, selected=True, place=1)
    assert "place" in caught.value.message_dict
    dropped = honor.honor_submission_decide(
        submission=third, actor=h.office, selected=False, note="成效不明显"
    )
    assert (dropped.status, dropped.place, dropped.decision_note) == (
        HonorSubmissionStatus.NOT_SELECTED,
        None,
        "成效不明显",
    )
    assert dropped.decided_by == h.office and dropped.decided_at is not None


def test_only_the_office_over_the_campaign_decides(h: Honor) -> None:
    submission = h.submit()
    county_assessor = UserFactory(username="county_assessor")
    RoleAssignmentFactory(user=county_assessor, role=Role.ASSESSMENT_OFFICE, scope=h.org.county_a)
    for actor in (h.org.inside, h.org.above, h.org.official, county_assessor):
        with pytest.raises(PermissionDenied):
            honor.honor_submission_decide(submission=submission, actor=actor, selected=True)
        with pytest.raises(PermissionDenied):
            honor.honor_flag_set(
                roll=submission.roll, actor=actor, unit=h.org.county_a, colour="red", reason="好"
            )
        with pytest.raises(PermissionDenied):
            honor.honor_roll_publish(roll=submission.roll, actor=actor)
    submission.refresh_from_db()
    assert submission.status == HonorSubmissionStatus.SUBMITTED
    assert not HonorFlag.objects.exists()


def test_flags_are_set_replaced_and_removed(h: Honor) -> None:
    roll = h.submit().roll
    flag = honor.honor_flag_set(
        roll=roll, actor=h.office, unit=h.org.county_b, colour=FlagColour.BLUE, reason="推进滞后"
    )
    again = honor.honor_flag_set(
        roll=roll, actor=h.office, unit=h.org.county_b, colour=FlagColour.RED, reason="后来居上"
    )
    assert again.pk == flag.pk and again.colour == FlagColour.RED
    with pytest.raises(ValidationError) as caught:
        honor.honor_flag_set(
            roll=roll, actor=h.office, unit=h.org.province, colour="red", reason="省里"
        )
    assert "unit" in caught.value.message_dict
    with pytest.raises(ValidationError):
        honor.honor_flag_set(
            roll=roll, actor=h.office, unit=h.org.county_a, colour="green", reason="x"
        )
    with pytest.raises(ValidationError):
        honor.honor_flag_set(
            roll=roll, actor=h.office, unit=h.org.county_a, colour="red", reason=""
        )
    honor.honor_flag_remove(flag=again, actor=h.office)
    assert not HonorFlag.objects.exists()


def test_publishing_needs_a_selection_then_freezes_and_tells(h: Honor) -> None:
    """GIVEN May's roll with 甲县 selected, 乙县 awaiting, a township blue-flagged
    WHEN the office publishes THEN 乙县 is not selected, the roll is frozen against every
    change, and 甲县's leader, liaison and the township's people are told (乙县 is not)."""
    selected = h.submit()
    waiting = h.submit(unit=h.org.county_b, actor=h.org.outsider)
    roll = selected.roll
    with pytest.raises(ValidationError, match="至少"):
        honor.honor_roll_publish(roll=roll, actor=h.office)
    honor.honor_submission_decide(submission=selected, actor=h.office, selected=True)
    township = UserFactory(username="township")
    MembershipFactory(user=township, unit=h.org.township_a, post=Post.LIAISON)
    flag = honor.honor_flag_set(
        roll=roll, actor=h.office, unit=h.org.township_a, colour=FlagColour.BLUE, reason="滞后"
    )
    honor.honor_roll_publish(roll=roll, actor=h.office, note="五月榜单")
    roll.refresh_from_db()
    waiting.refresh_from_db()
    assert roll.status == HonorRollStatus.PUBLISHED and roll.published_by == h.office
    assert roll.note == "五月榜单" and roll.published_at is not None
    assert waiting.status == HonorSubmissionStatus.NOT_SELECTED
    told = Notification.objects.filter(kind=honor.KIND_HONOR)
    assert set(told.values_list("recipient__username", flat=True)) == {
        "inside",
        "county_leader",
        "township",
    }
    assert told.get(recipient=h.leader).link == f"/assessments/honor/{roll.pk}/"
    assert told.get(recipient__username="township").urgent
    for change in (
        lambda: honor.honor_submission_decide(submission=selected, actor=h.office, selected=False),
        lambda: honor.honor_flag_set(
            roll=roll, actor=h.office, unit=h.org.county_a, colour="red", reason="好"
        ),
        lambda: honor.honor_flag_remove(flag=flag, actor=h.office),
        lambda: honor.honor_roll_publish(roll=roll, actor=h.office),
    ):
        with pytest.raises(ValidationError, match="已发布"):
            change()
    assert HonorFlag.objects.count() == 1


# --- the rules' two forms -------------------------------------------------------------------------
def test_both_forms_of_the_honor_rules_agree(h: Honor) -> None:
    """For every persona, each object rule and its filter pick the same rows: a draft roll
    and one published, submissions of 甲县, 甲镇 and 乙县 in each (selected or not), flags."""
    org = h.org
    published = h.published()
    h.submit(unit=org.county_b, actor=org.outsider, month=dt.date(2022, 4, 1))
    h.submit(unit=org.township_a, month=dt.date(2022, 4, 1))
    draft = HonorRoll.objects.get(month=dt.date(2022, 4, 1))
    honor.honor_flag_set(roll=draft, actor=h.office, unit=org.county_b, colour="blue", reason="差")
    other_campaign = CampaignFactory(owner_unit=org.province, name="省活动")
    HonorRoll.objects.create(campaign=other_campaign, month=MAY, status=HonorRollStatus.PUBLISHED)
    assert published.flags.count() == 0
    people = {**org.personas(), "leader": h.leader, "anonymous": AnonymousUser()}
    pairs: list[tuple[type[Model], Callable[[Any, Any], bool], Callable[[Any], Q]]] = [
        (HonorRoll, rules.can_view_honor_roll, rules.viewable_honor_rolls_q),
        (HonorRoll, rules.can_decide_honor, rules.decidable_honor_rolls_q),
        (
            HonorRoll,
            lambda user, roll: rules.can_manage_honor(user, roll.campaign),
            rules.manageable_honor_rolls_q,
        ),
        (HonorSubmission, rules.can_view_honor_submission, rules.viewable_honor_submissions_q),
        (
            HonorFlag,
            lambda user, flag: rules.can_view_honor_roll(user, flag.roll),
            lambda user: rules.viewable_honor_rolls_q(user, "roll"),
        ),
        (Membership, rules.can_view_leader_list, rules.viewable_leader_lists_q),
    ]
    disagreements = []
    for (name, user), (model, can, q) in itertools.product(people.items(), pairs):
        listed = set(model._default_manager.filter(q(user)).values_list("pk", flat=True))
        for obj in model._default_manager.all():
            if can(user, obj) != (obj.pk in listed):
                disagreements.append((name, model.__name__, obj))
    assert not disagreements
    units = {
        name: set(
            Unit.objects.filter(rules.honor_submit_units_q(user, org.campaign)).values_list(
                "name", flat=True
            )
        )
        for name, user in people.items()
    }
    assert units["inside"] == {"甲县", "甲县住房和城乡建设局", "甲镇"}
    assert units["outsider"] == {"乙县"}
    assert units["official"] == units["assessor"] == units["anonymous"] == set()
    for name, user in people.items():
        for unit in Unit.objects.all():
            assert rules.can_submit_honor(user, org.campaign, unit) == (unit.name in units[name])


def test_who_sees_what_of_a_roll(h: Honor) -> None:
    """Before publication: the office sees the roll; 甲县 sees its own highlight, 乙县 not.
    After: everyone in the campaign sees the roll and the selected highlight, not the others."""
    org = h.org
    mine = h.submit()
    theirs = h.submit(unit=org.county_b, actor=org.outsider)
    roll = mine.roll
    assert rules.can_view_honor_roll(h.office, roll)
    assert not rules.can_view_honor_roll(org.inside, roll)
    assert rules.can_view_honor_submission(org.inside, mine)
    assert not rules.can_view_honor_submission(org.inside, theirs)
    assert not rules.can_view_honor_submission(org.outsider, mine)
    honor.honor_submission_decide(submission=mine, actor=h.office, selected=True)
    honor.honor_roll_publish(roll=roll, actor=h.office)
    roll.refresh_from_db()
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert rules.can_view_honor_roll(org.outsider, roll)
    assert rules.can_view_honor_submission(org.outsider, mine)
    assert not rules.can_view_honor_submission(org.inside, theirs)  # not selected: 乙县's own
    assert not rules.can_view_honor_roll(AnonymousUser(), roll)


# --- the demo -------------------------------------------------------------------------------------
def test_the_demo_publishes_a_roll_for_each_past_month_once(h: Honor) -> None:
    org = h.org
    for name, unit in (("township", org.township_a), ("dept", org.city_dept)):
        MembershipFactory(user=UserFactory(username=name), unit=unit, post=Post.LIAISON)
    rolls = honor.demo_honor_rolls(org.campaign, as_of=dt.date(2022, 4, 12), seed=7)
    assert [r.month for r in rolls] == [dt.date(2022, m, 1) for m in (1, 2, 3)]
    for roll in rolls:
        assert roll.status == HonorRollStatus.PUBLISHED
        assert roll.published_at is not None and roll.published_at.date() < dt.date(2022, 4, 12)
        assert roll.flags.filter(colour=FlagColour.RED).count() == 1
        places = [
            place or 0
            for place in roll.submissions.filter(status=HonorSubmissionStatus.SELECTED).values_list(
                "place", flat=True
            )
        ]
        assert sorted(places) == list(range(1, len(places) + 1)) and len(places) >= 3
        assert not roll.submissions.filter(status=HonorSubmissionStatus.SUBMITTED).exists()
    assert not Notification.objects.filter(kind=honor.KIND_HONOR).exists()
    assert honor.demo_honor_rolls(org.campaign, as_of=dt.date(2022, 4, 12), seed=7) == []
