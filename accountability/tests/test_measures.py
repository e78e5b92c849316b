"""Accountability measures (六问): who records them, what they need, their strikes per person
and unit per year against the thresholds, their history, and the two forms of their rules."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from accountability import rules, services
from accountability.models import AccountabilityMeasure, MeasureKind, NoticeKind
from accounts.models import Role, Unit, User
from accounts.tests.factories import RoleAssignmentFactory, UserFactory

from .conftest import TODAY, Notices

pytestmark = pytest.mark.django_db

DECIDED = dt.date(2022, 5, 20)


def _record(
    kit: Notices,
    *,
    person: User | None = None,
    unit: Unit | None = None,
    decided_on: dt.date = DECIDED,
    **fields: Any,
) -> AccountabilityMeasure:
    org = kit.org
    return services.measure_record(
        actor=fields.pop("actor", org.above),
        campaign=org.campaign,
        kind=fields.pop("kind", MeasureKind.ADMONISHMENT),
        unit=unit or org.county_a,
        person=person,
        deciding_authority=fields.pop("deciding_authority", "测试市纪委监委"),
        decided_on=decided_on,
        basis=fields.pop("basis", "督办事项逾期未整改"),
        today=TODAY,
        **fields,
    )


def test_the_six_measures_are_ranked_mildest_first() -> None:
    assert [MeasureKind.rank_of(k) for k in MeasureKind.values] == list(range(6))
    assert MeasureKind.values[0] == MeasureKind.SELF_EXAMINATION
    assert MeasureKind.values[-1] == MeasureKind.DISCIPLINARY


def test_the_office_records_a_measure_citing_notices(notices: Notices) -> None:
    """GIVEN an issued warning about 甲县's item WHEN the city office records an admonishment
    talk on the chain's responsible person citing it THEN the measure keeps everything."""
    org = notices.org
    warning = notices.issued(NoticeKind.WARNING)
    person = notices.chain.responsible_person
    measure = _record(
        notices, person=person, notices=[warning], document_number="测纪〔2022〕5号", basis=""
    )
    measure.refresh_from_db()
    assert (measure.kind, measure.person, measure.unit) == (
        MeasureKind.ADMONISHMENT,
        person,
        org.county_a,
    )
    assert list(measure.basis_notices.all()) == [warning]
    assert measure.document_number == "测纪〔2022〕5号"
    assert measure.created_by == org.above and measure.rank == 2


@pytest.mark.parametrize("persona", ["inside", "supervisor", "official", "assessor", "outsider"])
def test_only_the_office_over_the_unit_records(notices: Notices, persona: str) -> None:
    org = notices.org
    with pytest.raises(PermissionDenied) as refused:
        _record(notices, actor=getattr(org, persona))
    assert "能力作风" in str(refused.value) or "甲县" in str(refused.value)
    assert not AccountabilityMeasure.objects.exists()


def test_a_measure_on_the_unit_alone_needs_no_person(notices: Notices) -> None:
    measure = _record(notices, kind=MeasureKind.CIRCULATED_CRITICISM)
    assert measure.person is None


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "warning"}, "kind"),
        ({"deciding_authority": "  "}, "deciding_authority"),
        ({"basis": ""}, "basis"),
        ({"decided_on": dt.date(2022, 6, 2)}, "decided_on"),
    ],
)
def test_bad_input_is_refused_in_words(
    notices: Notices, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _record(notices, **fields)
    assert field in refused.value.message_dict
    assert not AccountabilityMeasure.objects.exists()


def test_the_person_must_belong_to_the_unit(notices: Notices) -> None:
    with pytest.raises(ValidationError) as refused:
        _record(notices, person=notices.org.outsider)
    assert "person" in refused.value.message_dict


def test_a_notice_of_another_unit_is_not_a_basis(notices: Notices) -> None:
    org = notices.org
    draft = notices.draft(
        subject_title="乙县事项", target_unit=org.county_b, group=None, actor=org.above
    )
    other = services.notice_issue(notice=draft, actor=org.above, today=TODAY)
    with pytest.raises(ValidationError) as refused:
        _record(notices, notices=[other])
    assert "notices" in refused.value.message_dict


def test_a_third_strike_in_a_year_involves_the_principal_leader(notices: Notices) -> None:
    """GIVEN two measures on 甲县 this year (and one last year) WHEN a third is about to be
    recorded THEN the strikes say so and name 甲县's principal leader; the person's own
    strikes are counted apart."""
    org = notices.org
    person = notices.chain.responsible_person
    leader = notices.chain.principal_leader
    _record(notices, decided_on=dt.date(2021, 12, 31), person=person)
    first = _record(notices, person=person)
    assert services.measure_strikes(first).involve == []
    second = _record(notices)
    strikes = services.measure_strikes(second)
    assert (strikes.year, strikes.unit_count, strikes.person_count) == (2022, 2, 0)
    assert strikes.involve == []
    third = AccountabilityMeasure(
        campaign=org.campaign,
        kind=MeasureKind.SELF_EXAMINATION,
        unit=org.county_a,
        person=person,
        decided_on=DECIDED,
        deciding_authority="市纪委",
    )
    strikes = services.measure_strikes(third)
    assert (strikes.unit_count, strikes.person_count, strikes.involve) == (3, 2, [leader])
    per_person, per_unit = services.strike_counts(2022)
    assert per_person == {person.pk: 1} and per_unit == {org.county_a.pk: 2}


def test_the_thresholds_come_from_settings(notices: Notices, settings: Any) -> None:
    settings.ACCOUNTABILITY_STRIKE_THRESHOLDS = {"principal_leader": 1}
    measure = _record(notices)
    assert services.measure_strikes(measure).involve == [notices.chain.principal_leader]
    # The principal leader is not involved in a measure on himself.
    own = _record(notices, person=notices.chain.principal_leader)
    assert services.measure_strikes(own).involve == []


def test_every_change_is_in_history(notices: Notices) -> None:
    warning = notices.issued(NoticeKind.WARNING)
    measure = _record(notices, notices=[warning])
    measure.note = "已谈话"
    measure.save()
    event = apps.get_model("accountability", "AccountabilityMeasureEvent")
    labels = list(
        event.objects.filter(pgh_obj_id=measure.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "note")
    )
    assert labels == [("insert", ""), ("update", "已谈话")]
    basis = apps.get_model("accountability", "MeasureBasisEvent")
    assert basis.objects.filter(
        measure_id=measure.pk, notice_id=warning.pk, pgh_label="add"
    ).exists()


def test_the_rules_agree_and_say_what_the_domain_says(notices: Notices) -> None:
    org = notices.org
    person = notices.chain.responsible_person
    measures = [
        _record(notices, person=person),
        _record(notices, unit=org.township_a),
        _record(notices, unit=org.county_b),
    ]
    county_office = cast(User, UserFactory(username="county_office2", name="甲县办"))
    RoleAssignmentFactory(user=county_office, role=Role.CAMPAIGN_OFFICE, scope=org.county_a)
    people = {
        **org.personas(),
        "person": person,
        "county_office": county_office,
        "anonymous": AnonymousUser(),
    }
    for name, user in people.items():
        listed = set(
            AccountabilityMeasure.objects.filter(rules.viewable_measures_q(user)).values_list(
                "pk", flat=True
            )
        )
        allowed = {m.pk for m in measures if rules.can_view_measure(user, m)}
        assert listed == allowed, name
        units = set(
            Unit.objects.filter(rules.recordable_units_q(user)).values_list("pk", flat=True)
        )
        assert units == {u.pk for u in Unit.objects.all() if rules.can_record_measure(user, u)}, (
            name
        )
    viewers = {name for name, user in people.items() if rules.can_view_measure(user, measures[0])}
    assert {"above", "official", "assessor", "inside", "supervisor", "person"} <= viewers
    assert "outsider" not in viewers and "anonymous" not in viewers
    assert rules.can_record_measure(org.above, org.county_a)
    assert rules.can_record_measure(county_office, org.township_a)
    assert not rules.can_record_measure(county_office, org.county_b)
    assert not rules.can_record_measure(org.inside, org.county_a)


def test_the_admin_shows_the_city_s_measures_and_changes_none(
    notices: Notices, client: Any
) -> None:
    """The city's administrator lists 甲县's measure, not the province's, and may not change
    it or add one."""
    from django.urls import reverse

    org = notices.org
    ours = _record(notices)
    theirs = AccountabilityMeasure.objects.create(
        campaign=org.campaign,
        kind=MeasureKind.DISCIPLINARY,
        unit=org.province,
        deciding_authority="省纪委",
        decided_on=DECIDED,
        created_by=org.superuser,
    )
    client.force_login(org.admin)
    listing = client.get(reverse("admin:accountability_accountabilitymeasure_changelist"))
    shown = set(listing.context["cl"].queryset)
    assert ours in shown and theirs not in shown
    change = reverse("admin:accountability_accountabilitymeasure_change", args=[ours.pk])
    assert client.post(change, {"note": "改写"}).status_code == 403
    add = reverse("admin:accountability_accountabilitymeasure_add")
    assert client.get(add).status_code == 403


@pytest.mark.parametrize(
    ("thresholds", "error"),
    [
        ({"principal_leader": 3}, None),
        ({}, None),
        ({"mayor": 3}, "accountability.E005"),
        ({"principal_leader": 0}, "accountability.E006"),
        ({"principal_leader": "3"}, "accountability.E006"),
        ([3], "accountability.E004"),
    ],
)
def test_the_system_check_refuses_bad_thresholds(
    settings: Any, thresholds: Any, error: str | None
) -> None:
    from accountability.checks import check_strike_thresholds

    settings.ACCOUNTABILITY_STRIKE_THRESHOLDS = thresholds
    assert [e.id for e in check_strike_thresholds()] == ([error] if error else [])
