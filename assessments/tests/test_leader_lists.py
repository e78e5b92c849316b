"""Leaders' positive and negative lists (正负面清单): what each entry is drawn from (published
results, standing deductions of published rounds, the published honor roll and its flags,
measures on the person, warnings and up), who sees whose list, the page, the export read
back, the API, and a fixed number of queries however many leaders."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any, cast

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from accountability.models import AccountabilityMeasure, MeasureKind, Notice, NoticeKind
from accounts.models import Post
from accounts.tests.factories import MembershipFactory, UserFactory

from ..honor import honor_flag_set, honor_roll_publish, honor_submission_decide
from ..leader_lists import Side, leader_lists
from ..models import Deduction, DeductionStatus, Grade, Result, RoundStatus
from .conftest import Assessment
from .test_honor_services import Honor, make_honor

pytestmark = pytest.mark.django_db

PAGE = reverse("assessments:leader-lists")
EXPORT = reverse("assessments:leader-lists-export")


def result(a: Assessment, round_: Any, unit: Any, grade: str, rank: int, tier: int) -> Result:
    return Result.objects.create(
        round=round_,
        unit=unit,
        category=a.w.category,
        category_name=a.w.category.name,
        daily=0,
        annual=0,
        third_party=0,
        public=0,
        total=88,
        band_grade=grade,
        grade=grade,
        rank=rank,
        tier=tier,
    )


def notice(a: Assessment, unit: Any, kind: str, number: str, **fields: Any) -> Notice:
    made = a.notice(unit, title=f"{number}事项")
    Notice.objects.filter(pk=made.pk).update(
        kind=kind, number=number, issued_on=dt.date(2022, 6, 1), **fields
    )
    made.refresh_from_db()
    return made


@pytest.fixture
def world(assessment: Assessment) -> tuple[Assessment, Honor]:
    """甲县 excellent in the published Q1, 乙县 poor and last; deductions standing and
    reversed, in Q1 and in the review round; May's roll with 甲县 selected and red-flagged
    and 乙县 blue-flagged; an admonishment of 甲县's leader; warnings and a reminder."""
    h = make_honor(assessment.org)
    org = assessment.org
    published = assessment.rounds[RoundStatus.PUBLISHED]
    result(assessment, published, org.county_a, Grade.EXCELLENT, 1, 1)
    result(assessment, published, org.county_b, Grade.POOR, 2, 3)
    result(assessment, assessment.review, org.county_a, Grade.POOR, 2, 3)  # not published
    window = assessment.deduct(published, org.county_a)
    Deduction.objects.filter(pk=window.pk).update(reason="暗访发现窗口无人值守")
    assessment.deduct(published, org.county_a, status=DeductionStatus.REVERSED)
    assessment.deduct(assessment.review, org.county_a)  # not published yet
    submission = h.submit()
    honor_submission_decide(submission=submission, actor=h.office, selected=True)
    for unit, colour in ((org.county_a, "red"), (org.county_b, "blue")):
        honor_flag_set(
            roll=submission.roll, actor=h.office, unit=unit, colour=colour, reason=f"{colour}理由"
        )
    honor_roll_publish(roll=submission.roll, actor=h.office, notify_units=False)
    AccountabilityMeasure.objects.create(
        campaign=org.campaign,
        kind=MeasureKind.ADMONISHMENT,
        person=h.leader,
        unit=org.county_a,
        basis="整改不力",
        deciding_authority="市纪委",
        decided_on=dt.date(2022, 6, 10),
        created_by=org.above,
    )
    notice(assessment, org.county_a, NoticeKind.WARNING, "警示〔2022〕1号")
    notice(assessment, org.county_a, NoticeKind.REMINDER, "提示〔2022〕9号")
    notice(assessment, org.county_b, NoticeKind.ACCOUNTABILITY, "问责建议〔2022〕1号")
    b_leader = UserFactory(username="b_leader", name="乙县县长")
    MembershipFactory(user=b_leader, unit=org.county_b, post=Post.LEADER_IN_CHARGE)
    return assessment, h


def kinds(entries: list[Any]) -> set[str]:
    return {e.kind for e in entries}


def test_each_leader_gets_what_their_unit_and_they_earned(world: Any) -> None:
    a, h = world
    lists = {
        x.leader.username: x
        for x in leader_lists(user=h.office, campaign=a.org.campaign, year=2022)
    }
    assert set(lists) == {"county_leader", "b_leader"}
    mine = lists["county_leader"]
    assert kinds(mine.positive) == {"红旗", "登上月榜第1名", "等次优秀"}
    assert kinds(mine.negative) == {"扣5分", "警示单", "诫勉谈话"}
    deduction = next(e for e in mine.negative if e.kind == "扣5分")
    assert deduction.text == "暗访发现窗口无人值守" and "台账推进" in deduction.source
    roll_entry = next(e for e in mine.positive if e.kind == "红旗")
    assert roll_entry.link.startswith("/assessments/honor/")
    measure = next(e for e in mine.negative if e.kind == "诫勉谈话")
    assert measure.day == dt.date(2022, 6, 10) and measure.link.startswith("/supervision/")
    theirs = lists["b_leader"]
    assert theirs.positive == []
    assert kinds(theirs.negative) == {"等次差", "蓝旗", "问责建议单"}
    assert leader_lists(user=h.office, campaign=a.org.campaign, year=2021)[0].entries() == []
    only_good = leader_lists(
        user=h.office, campaign=a.org.campaign, year=2022, side=Side.POSITIVE, leader=h.leader
    )
    assert [len(x.positive) for x in only_good] == [3] and only_good[0].negative == []


def test_only_leaders_with_entries_on_the_side_asked(world: Any, client: Client) -> None:
    """A leader of 甲县住建局 has nothing this year: left out when only leaders with entries
    are asked for; 乙县's leader has only negative entries: left out of the positive side."""
    a, h = world
    org = a.org
    MembershipFactory(
        user=UserFactory(username="dept_leader", name="住建局局长"),
        unit=org.county_a_dept,
        post=Post.PRINCIPAL_LEADER,
    )

    def names(**options: Any) -> list[str]:
        rows = leader_lists(user=h.office, campaign=org.campaign, year=2022, **options)
        return sorted(x.leader.username for x in rows)

    assert names() == ["b_leader", "county_leader", "dept_leader"]
    assert names(only_with_entries=True) == ["b_leader", "county_leader"]
    assert names(only_with_entries=True, side=Side.POSITIVE) == ["county_leader"]
    assert names(only_with_entries=True, side=Side.NEGATIVE) == ["b_leader", "county_leader"]
    client.force_login(h.office)
    page = client.get(PAGE, {"campaign": org.campaign.pk, "with_entries": "on"})
    assert [x.leader.username for x in page.context["lists"]] == ["county_leader", "b_leader"]
    api = APIClient()
    api.force_authenticate(h.office)
    rows = api.get("/api/v1/leader-lists/", {"with_entries": "true", "side": "positive"})
    assert [r["leader"]["name"] for r in rows.json()["results"]] == ["甲县县长"]


def test_who_sees_which_lists(world: Any, client: Client) -> None:
    """The office and officials see every leader in their jurisdiction; a leader their own
    only; a liaison who leads nothing sees none (and is told why)."""
    a, h = world
    org = a.org
    seen = {
        name: sorted(
            x.leader.username for x in leader_lists(user=user, campaign=org.campaign, year=2022)
        )
        for name, user in (
            ("office", h.office),
            ("official", org.official),
            ("leader", h.leader),
            ("liaison", org.inside),
            ("outsider", org.outsider),
        )
    }
    assert seen == {
        "office": ["b_leader", "county_leader"],
        "official": ["b_leader", "county_leader"],
        "leader": ["county_leader"],
        "liaison": [],
        "outsider": [],
    }
    client.force_login(org.outsider)
    page = client.get(PAGE)
    assert page.status_code == 200 and "甲县县长" not in page.content.decode()
    assert "面向单位主要领导" in page.content.decode()
    client.force_login(h.leader)
    html = client.get(PAGE).content.decode()
    assert "甲县县长" in html and "乙县县长" not in html and "诫勉谈话" in html


def test_the_page_filters_and_the_export_reads_back(world: Any, client: Client) -> None:
    a, h = world
    org = a.org
    client.force_login(h.office)
    by_unit = client.get(PAGE, {"campaign": org.campaign.pk, "unit": org.county_b.pk})
    assert [x.leader.username for x in by_unit.context["lists"]] == ["b_leader"]
    negative = client.get(PAGE, {"campaign": org.campaign.pk, "side": "negative"})
    assert all(not x.positive for x in negative.context["lists"])
    bad = client.get(PAGE, {"campaign": org.campaign.pk, "year": "abc"})
    assert bad.status_code == 400
    response = client.get(EXPORT, {"campaign": org.campaign.pk, "leader": h.leader.pk})
    assert response.status_code == 200
    sheet: Any = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[1] == "甲县县长"]
    assert {(r[4], r[6]) for r in rows} == {
        ("正面清单", "登上月榜第1名"),
        ("正面清单", "等次优秀"),
        ("正面清单", "红旗"),
        ("负面清单", "扣5分"),
        ("负面清单", "诫勉谈话"),
        ("负面清单", "警示单"),
    }
    assert len(rows) == 6
    client.force_login(h.leader)  # a leader exports only their own
    own = client.get(EXPORT, {"campaign": org.campaign.pk})
    sheet = cast(Any, load_workbook(io.BytesIO(b"".join(own.streaming_content))).active)
    assert "乙县县长" not in {r[1] for r in sheet.iter_rows(values_only=True)}


def test_a_fixed_number_of_queries_however_many_leaders(world: Any, client: Client) -> None:
    """The selector: leaders (1), results, highlights, flags, deductions, notices, measures
    (6); the page adds session, user, jurisdiction, campaigns, filter choices and the count."""
    a, h = world
    org = a.org

    def measure() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as selector:
            leader_lists(user=h.office, campaign=org.campaign, year=2022)
        client.force_login(h.office)
        with CaptureQueriesContext(connection) as page:
            assert client.get(PAGE).status_code == 200
        return len(selector), len(page)

    h.office._jurisdiction_cache = None
    measure()
    few = measure()
    assert few[0] == 7
    for n in range(6):
        MembershipFactory(
            user=UserFactory(username=f"leader{n}"),
            unit=[org.county_a, org.county_b, org.township_a][n % 3],
            post=Post.LEADER_IN_CHARGE,
        )
    assert measure() == few


def test_the_api_lists_them_read_only(world: Any) -> None:
    a, h = world
    api = APIClient()
    api.force_authenticate(h.leader)
    response = api.get("/api/v1/leader-lists/", {"campaign": a.org.campaign.pk})
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["leader"]["name"] == "甲县县长" and row["unit"]["name"] == "甲县"
    assert {e["kind"] for e in row["negative"]} == {"扣5分", "警示单", "诫勉谈话"}
    assert api.post("/api/v1/leader-lists/", {}).status_code == 405
    bad = api.get("/api/v1/leader-lists/", {"side": "sideways"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["attr"] == "side"
