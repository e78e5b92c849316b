"""Traffic light in SQL, the four rates, and the item workflows (progress, sign-off,
extension, meetings) with their rules."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Post
from accounts.tests.factories import MembershipFactory, UserFactory
from tasks_ledger import lights, selectors, services
from tasks_ledger.models import ItemStatus, LedgerKind, Light, LightPolicy
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db

TODAY = dt.date(2022, 6, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name: str = "证明材料.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def light_of(org, item, today=TODAY):
    return selectors.ledger_items(user=org.superuser, today=today).get(pk=item.pk).light


@pytest.fixture
def ledger(org):
    return make_ledger(org.campaign)


def test_light_follows_dates_progress_status_and_policy(org, ledger):
    """GIVEN items at different points WHEN the light is computed THEN it is red, yellow or
    green as the campaign's policy says."""
    overdue = make_item(ledger, org.county_a, deadline=dt.date(2022, 5, 31))
    near = make_item(ledger, org.county_a, deadline=dt.date(2022, 6, 3), progress=90)
    behind = make_item(  # 3 of 4 months gone, 10% done
        ledger, org.county_a, start=dt.date(2022, 3, 1), deadline=dt.date(2022, 7, 1), progress=10
    )
    on_track = make_item(
        ledger, org.county_a, start=dt.date(2022, 3, 1), deadline=dt.date(2022, 7, 1), progress=70
    )
    done_late = make_item(
        ledger, org.county_a, deadline=dt.date(2022, 5, 1), status=ItemStatus.COMPLETED
    )
    paused = make_item(ledger, org.county_a, deadline=dt.date(2022, 5, 1), status="suspended")
    assert [light_of(org, i) for i in (overdue, near, behind, on_track, done_late, paused)] == [
        "red",
        "yellow",
        "yellow",
        "green",
        "green",
        "none",
    ]
    LightPolicy.objects.create(
        campaign=org.campaign, near_deadline_days=1, lag_tolerance_percent=80
    )
    assert light_of(org, near) == "green"
    assert light_of(org, behind) == "green"


def test_light_filter_and_list_take_one_query(org, ledger, django_assert_num_queries):
    for _ in range(5):
        make_item(ledger, org.county_a, deadline=dt.date(2022, 5, 1))
    from accounts.jurisdiction import jurisdiction_for

    jurisdiction_for(org.inside)  # memberships, roles and groups: once per request
    with django_assert_num_queries(1):  # items joined to ledger, area, unit and chain people
        rows = list(selectors.ledger_items(user=org.inside, today=TODAY).filter(light="red"))
    assert len(rows) == 5 and all(r.unit.name == "甲县" for r in rows)


def test_battle_map_counts_by_unit_and_area(org, ledger):
    make_item(ledger, org.county_a, deadline=dt.date(2022, 5, 1))
    make_item(ledger, org.county_a, deadline=dt.date(2022, 12, 1), progress=50)
    make_item(ledger, org.township_a, deadline=dt.date(2022, 12, 1), progress=50)
    make_item(ledger, org.county_b, deadline=dt.date(2022, 12, 1), progress=50)
    lights.lights_refresh(today=TODAY)  # as the morning refresh stores them on TODAY
    under = selectors.map_under(user=org.above, unit=None)
    cells = selectors.battle_map(user=org.above, campaign=org.campaign, under=under)
    by_branch = {c["branch"]: c for c in cells}
    # The city's map: a row per county, each summing its subtree (甲镇 inside 甲县).
    assert set(by_branch) == {org.county_a.path, org.county_b.path}
    county_a = by_branch[org.county_a.path]
    assert (county_a["red"], county_a["green"], county_a["total"]) == (1, 2, 3)
    assert by_branch[org.county_b.path]["green"] == 1
    # 甲县's map: its own items, then 甲镇.
    under = selectors.map_under(user=org.above, unit=org.county_a)
    cells = selectors.battle_map(user=org.above, campaign=org.campaign, under=under)
    assert [(c["branch"], c["total"]) for c in cells] == [
        (org.county_a.path, 2),
        (org.township_a.path, 1),
    ]
    # The liaison of 甲县 sees its own map; 乙县 is not theirs to open.
    assert selectors.map_under(user=org.inside, unit=org.county_b) == org.county_a.path


def _map_from_items(user, campaign, under):
    """The battle map computed from the items themselves: (branch, area, light) -> count."""
    from collections import Counter

    from accounts.models import Unit
    from tasks_ledger.models import LedgerItem

    found: Counter = Counter()
    step = Unit.steplen
    for path, area, light in LedgerItem.objects.filter(ledger__campaign=campaign).values_list(
        "unit__path", "ledger__area", "light_rank"
    ):
        if not path.startswith(under):
            continue
        branch = under if path == under else path[: len(under) + step]
        found[(branch, area, light)] += 1
    return found


def _map_cells(user, campaign, under):
    from collections import Counter

    from tasks_ledger.models import LIGHT_RANK

    found: Counter = Counter()
    for cell in selectors.battle_map(user=user, campaign=campaign, under=under):
        for light, rank in LIGHT_RANK.items():
            if cell[str(light)]:
                found[(cell["branch"], cell["ledger__area"], rank)] += cell[str(light)]
    return found


def test_the_battle_map_from_the_roll_up_is_the_items_counted(org, ledger):
    """GIVEN items of two areas in a unit, in units under it and under those WHEN the map of
    the city, of a county and of a township is read from the roll-up by ledger (changes not
    yet folded, then folded, then an item moved to a ledger of another area) THEN every
    cell is the items counted by branch, area and light, the unit's own items included."""
    other = make_ledger(org.campaign, title="另一台账", area="另一领域")
    make_item(ledger, org.city, deadline=dt.date(2022, 5, 1))
    make_item(ledger, org.county_a, deadline=dt.date(2022, 5, 1))
    make_item(other, org.county_a, deadline=dt.date(2022, 12, 1), progress=50)
    moved = make_item(ledger, org.township_a, deadline=dt.date(2022, 12, 1), progress=50)
    make_item(other, org.township_a, deadline=None)
    make_item(other, org.county_b, deadline=dt.date(2022, 12, 1), progress=50)
    lights.lights_refresh(today=TODAY)

    def agrees() -> None:
        for unit in (org.city, org.county_a, org.township_a):
            cells = _map_cells(org.above, org.campaign, unit.path)
            assert cells == _map_from_items(org.above, org.campaign, unit.path), unit.name
            assert cells, unit.name

    agrees()
    lights.rollup_fold()
    agrees()
    type(moved).objects.filter(pk=moved.pk).update(ledger=other, code="移入1")
    agrees()


def test_four_rates_over_key_projects(org):
    projects = make_ledger(org.campaign, kind=LedgerKind.KEY_PROJECT, title="重点项目台账")
    common = {"planned_start": dt.date(2022, 3, 1), "planned_completion": dt.date(2022, 5, 1)}
    make_item(
        projects,
        org.county_a,
        planned_investment=Decimal(1000),
        funds_in_place=Decimal(800),
        investment_completed=Decimal(500),
        actual_start=dt.date(2022, 3, 5),
        actual_completion=dt.date(2022, 4, 30),
        **common,
    )
    make_item(
        projects,
        org.county_b,
        planned_investment=Decimal(1000),
        funds_in_place=Decimal(200),
        investment_completed=Decimal(100),
        **common,
    )
    rates = selectors.project_rates(
        selectors.ledger_items(user=org.above, today=TODAY).filter(kind="key_project"), today=TODAY
    )
    assert rates["start_rate"] == Decimal("50.0")
    assert rates["funds_rate"] == Decimal("50.0")
    assert rates["investment_rate"] == Decimal("30.0")
    assert rates["on_time_rate"] == Decimal("50.0")
    ranked = list(
        selectors.project_rates_by_unit(
            selectors.ledger_items(user=org.above, today=TODAY).filter(kind="key_project"),
            today=TODAY,
        )
    )
    assert [r["unit__name"] for r in ranked] == ["甲县", "乙县"]
    assert ranked[0]["investment_rate"] == Decimal("50.00")


def test_progress_report_with_stale_version_changes_nothing(org, ledger):
    item = make_item(ledger, org.county_a)
    services.ledger_item_report_progress(
        item=item, reporter=org.inside, percent=40, text="完成选址", expected_version=1
    )
    with pytest.raises(services.StaleEdit) as stale:
        services.ledger_item_report_progress(
            item=item, reporter=org.above, percent=10, text="旧页面", expected_version=1
        )
    assert stale.value.current.pending_progress == 40
    item.refresh_from_db()
    assert (item.pending_progress, item.version, item.reports.count()) == (40, 2, 1)


def test_outsider_and_official_cannot_report(org, ledger):
    item = make_item(ledger, org.county_a)
    for user in (org.outsider, org.official, org.supervisor):
        with pytest.raises(PermissionDenied):
            services.ledger_item_report_progress(
                item=item, reporter=user, percent=10, text="x", expected_version=item.version
            )


def test_evidence_must_really_be_what_its_name_says(org, ledger):
    item = make_item(ledger, org.county_a)
    fake = SimpleUploadedFile("证明.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError):
        services.ledger_item_report_progress(
            item=item,
            reporter=org.inside,
            percent=50,
            text="附件",
            expected_version=1,
            files=[fake],
        )
    item.refresh_from_db()
    assert item.progress == 0 and not item.reports.exists()  # nothing half-saved
    exe = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    with pytest.raises(ValidationError):
        services.evidence_validate(exe)


def test_signoff_verified_by_office_or_returned_leaves_the_item(org, ledger):
    """GIVEN a red item WHEN its unit asks for sign-off THEN it stays red and unchanged,
    marked as waiting; a return leaves it so; only verification signs it off."""
    item = make_item(ledger, org.county_a, start=dt.date(2022, 1, 1), deadline=dt.date(2022, 3, 1))
    assert light_of(org, item) == Light.RED
    request = services.signoff_request_create(
        item=item, requester=org.inside, note="已完成", files=[pdf()], expected_version=1
    )
    item.refresh_from_db()
    assert (item.status, item.progress, item.signoff_pending) == (ItemStatus.NOT_STARTED, 0, True)
    assert light_of(org, item) == Light.RED
    with pytest.raises(PermissionDenied):
        services.signoff_approve(request=request, verifier=org.inside)  # not one's own
    services.signoff_return(request=request, verifier=org.above, reason="材料不全")
    item.refresh_from_db()
    assert (item.status, item.signoff_pending) == (ItemStatus.NOT_STARTED, False)
    again = services.signoff_request_create(
        item=item, requester=org.inside, note="补齐", files=[pdf()], expected_version=item.version
    )
    item = services.signoff_approve(request=again, verifier=org.above)
    assert item.status == ItemStatus.SIGNED_OFF and item.signed_off_by == org.above
    with pytest.raises(ValidationError):
        services.signoff_return(request=again, verifier=org.above, reason="晚了")


def test_lead_department_member_may_verify(org, ledger):
    from campaign.services import chain_create

    people = {}
    for post in (Post.PRINCIPAL_LEADER, Post.LEADER_IN_CHARGE):
        people[post] = UserFactory()
        MembershipFactory(user=people[post], unit=org.city, post=post)
    verifier = UserFactory(name="发改委科长")
    MembershipFactory(user=verifier, unit=org.city_dept, post=Post.STAFF)
    chain = chain_create(
        actor=None,
        subject="项目",
        unit=org.city,
        principal_leader=people[Post.PRINCIPAL_LEADER],
        leader_in_charge=people[Post.LEADER_IN_CHARGE],
        lead_department=org.city_dept,
        responsible_person=verifier,
        campaign=org.campaign,
    )
    item = make_item(ledger, org.county_a, chain=chain)
    request = services.signoff_request_create(
        item=item, requester=org.inside, note="完成", files=[pdf()], expected_version=1
    )
    assert services.signoff_approve(request=request, verifier=verifier).status == "signed_off"


def test_extension_before_deadline_moves_it_only_when_approved(org, ledger):
    item = make_item(ledger, org.county_a, deadline=dt.date(2022, 6, 30))
    with pytest.raises(ValidationError):
        services.extension_request_create(
            item=item,
            requester=org.inside,
            reason="晚了",
            new_deadline=dt.date(2022, 8, 1),
            today=dt.date(2022, 7, 1),
        )
    request = services.extension_request_create(
        item=item,
        requester=org.inside,
        reason="汛期停工",
        new_deadline=dt.date(2022, 8, 1),
        today=TODAY,
    )
    item.refresh_from_db()
    assert item.deadline == dt.date(2022, 6, 30)
    with pytest.raises(PermissionDenied):
        services.extension_approve(request=request, approver=org.inside)
    with pytest.raises(ValidationError):
        services.ledger_item_update(
            actor=org.above, item=item, expected_version=item.version, deadline=dt.date(2022, 9, 1)
        )
    item = services.extension_approve(request=request, approver=org.above)
    assert item.deadline == dt.date(2022, 8, 1)


def test_meeting_decisions_become_items_in_one_step(org, ledger):
    chair = UserFactory(name="常务副市长")
    meeting = services.meeting_create(
        actor=org.above,
        campaign=org.campaign,
        kind="dispatch",
        title="第一次调度会",
        date=TODAY,
        host_unit=org.city,
        chair=chair,
        attending_units=[org.county_a, org.county_b],
        decisions=[
            services.DecisionSpec(
                ledger=ledger, unit=org.county_a, title="完成征地", deadline=dt.date(2022, 7, 15)
            ),
            services.DecisionSpec(
                ledger=ledger, unit=org.county_b, title="开工建设", deadline=dt.date(2022, 8, 15)
            ),
        ],
    )
    items = list(meeting.decisions.order_by("code"))
    assert [i.title for i in items] == ["完成征地", "开工建设"]
    assert [i.code for i in items] == ["1", "2"]
    assert items[0].start_date == TODAY


def test_meeting_with_a_bad_decision_saves_nothing(org, ledger):
    from tasks_ledger.models import ReviewMeeting

    with pytest.raises(ValidationError):
        services.meeting_create(
            actor=org.above,
            campaign=org.campaign,
            kind="dispatch",
            title="坏会议",
            date=TODAY,
            host_unit=org.city,
            chair=org.above,
            decisions=[
                services.DecisionSpec(
                    ledger=ledger, unit=org.county_a, title="倒序", deadline=dt.date(2022, 1, 1)
                )
            ],
        )
    assert not ReviewMeeting.objects.filter(title="坏会议").exists()
