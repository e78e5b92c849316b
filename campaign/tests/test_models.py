"""Campaign, phase and responsibility-chain rules (models and services)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Post
from accounts.tests.factories import MembershipFactory, UnitFactory, UserFactory
from campaign.models import Campaign, CampaignPhase, PhaseKind
from campaign.services import campaign_create, chain_create, chain_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain_people(org):
    """Leaders of 甲县 and a person in its housing bureau, plus a second department."""
    secretary = UserFactory(name="甲县书记")
    MembershipFactory(user=secretary, unit=org.county_a, post=Post.PRINCIPAL_LEADER)
    deputy = UserFactory(name="甲县副县长")
    MembershipFactory(user=deputy, unit=org.county_a, post=Post.LEADER_IN_CHARGE)
    clerk = UserFactory(name="住建局科长")
    MembershipFactory(user=clerk, unit=org.county_a_dept, post=Post.STAFF)
    return {"principal_leader": secretary, "leader_in_charge": deputy, "responsible_person": clerk}


def make_chain(org, people, **overrides):
    fields = {
        "actor": org.above,
        "subject": "老旧小区改造",
        "unit": org.county_a,
        "lead_department": org.county_a_dept,
        "cooperating_departments": [org.township_a],
        "campaign": org.campaign,
        **people,
        **overrides,
    }
    return chain_create(**fields)


def test_chain_reads_as_one_chinese_line(org, chain_people):
    chain = make_chain(org, chain_people)
    assert chain.as_line() == (
        "党政主要领导统责：甲县书记；分管领导揽责：甲县副县长；牵头部门领责：甲县住建局；"
        "配合部门分责：甲镇；具体责任人担责：住建局科长"
    )


def test_chain_refuses_lead_department_as_cooperating(org, chain_people):
    with pytest.raises(ValidationError) as exc:
        make_chain(org, chain_people, cooperating_departments=[org.county_a_dept])
    assert "cooperating_departments" in exc.value.message_dict
    assert "已是牵头部门" in exc.value.message_dict["cooperating_departments"][0]


def test_chain_requires_each_person_in_the_named_post(org, chain_people):
    stranger = UserFactory(name="路人")
    MembershipFactory(user=stranger, unit=org.county_b, post=Post.PRINCIPAL_LEADER)
    people = {**chain_people, "principal_leader": stranger, "responsible_person": stranger}
    with pytest.raises(ValidationError) as exc:
        make_chain(org, people)
    errors = exc.value.message_dict
    assert "不是 甲县 的主要领导" in errors["principal_leader"][0]
    assert "不在牵头部门" in errors["responsible_person"][0]


def test_leader_in_charge_must_hold_that_post_not_another(org, chain_people):
    people = {**chain_people, "leader_in_charge": chain_people["principal_leader"]}
    with pytest.raises(ValidationError) as exc:
        make_chain(org, people)
    assert "leader_in_charge" in exc.value.message_dict


def test_lead_department_must_lie_under_the_chain_unit(org, chain_people):
    with pytest.raises(ValidationError) as exc:
        make_chain(org, chain_people, lead_department=org.city_dept)
    assert "lead_department" in exc.value.message_dict


def test_nothing_is_saved_when_chain_validation_fails(org, chain_people):
    from campaign.models import ResponsibilityChain

    with pytest.raises(ValidationError):
        make_chain(org, chain_people, cooperating_departments=[org.county_a_dept])
    assert not ResponsibilityChain.objects.exists()


def test_outsider_cannot_create_or_update_a_chain(org, chain_people):
    with pytest.raises(PermissionDenied):
        make_chain(org, chain_people, actor=org.outsider)
    chain = make_chain(org, chain_people)
    with pytest.raises(PermissionDenied):
        chain_update(actor=org.outsider, chain=chain, subject="改名")
    with pytest.raises(PermissionDenied):
        chain_update(actor=org.official, chain=chain, subject="改名")


def test_chain_update_revalidates_cooperating(org, chain_people):
    chain = make_chain(org, chain_people)
    with pytest.raises(ValidationError):
        chain_update(actor=org.inside, chain=chain, cooperating_departments=[org.county_a_dept])
    chain_update(actor=org.inside, chain=chain, subject="燃气入户")
    chain.refresh_from_db()
    assert chain.subject == "燃气入户"
    assert [u.name for u in chain.cooperating_departments.all()] == ["甲镇"]


def test_a_chain_carries_a_share_of_a_chain_above_its_unit(org, chain_people):
    """GIVEN a city chain WHEN 甲县's chain names it as parent THEN it is kept; a parent of the
    same unit, of a unit not above, or of another campaign is refused; a chain with shares
    under it cannot be deleted."""
    from campaign.services import chain_delete
    from campaign.tests.builders import add_chain

    city = add_chain(
        subject="全市项目建设", unit=org.city, lead=org.city_dept, campaign=org.campaign
    )
    share = make_chain(org, chain_people, parent=city)
    assert list(city.children.all()) == [share]

    for parent, message in (
        (share, "上级链条必须属于甲县的上级单位"),
        (
            add_chain(
                subject="乙县项目", unit=org.county_b, lead=org.county_b, campaign=org.campaign
            ),
            "甲县的上级单位",
        ),
        (add_chain(subject="另一活动", unit=org.city, lead=org.city_dept), "同一活动"),
    ):
        with pytest.raises(ValidationError) as exc:
            make_chain(org, chain_people, subject="燃气入户", parent=parent)
        assert message in exc.value.message_dict["parent"][0]
    with pytest.raises(ValidationError) as exc:
        chain_update(actor=org.inside, chain=share, parent=share)
    assert "parent" in exc.value.message_dict
    with pytest.raises(ValidationError):
        chain_delete(actor=org.above, chain=city)


def test_campaign_dates_are_checked_in_clean_and_database(org):
    with pytest.raises(ValidationError) as exc:
        campaign_create(
            actor=org.above,
            owner_unit=org.city,
            name="倒序活动",
            year=2022,
            start_date=dt.date(2022, 6, 1),
            end_date=dt.date(2022, 1, 1),
            status="active",
        )
    assert "end_date" in exc.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.create(
            owner_unit=org.city,
            name="绕过校验",
            year=2022,
            start_date=dt.date(2022, 6, 1),
            end_date=dt.date(2022, 1, 1),
        )


def test_campaign_with_phases_is_created_together_or_not_at_all(org):
    with pytest.raises(ValidationError):
        campaign_create(
            actor=org.above,
            owner_unit=org.city,
            name="阶段越界",
            year=2022,
            start_date=dt.date(2022, 1, 1),
            end_date=dt.date(2022, 12, 31),
            status="active",
            phases=[
                (PhaseKind.LAUNCH, dt.date(2022, 1, 1), dt.date(2022, 3, 31)),
                (PhaseKind.EVALUATE, dt.date(2022, 12, 1), dt.date(2023, 1, 31)),
            ],
        )
    assert not Campaign.objects.filter(name="阶段越界").exists()


def test_phases_sort_by_kind_order(org):
    campaign = campaign_create(
        actor=org.above,
        owner_unit=org.city,
        name="排序",
        year=2022,
        start_date=dt.date(2022, 1, 1),
        end_date=dt.date(2022, 12, 31),
        status="active",
        phases=[
            (PhaseKind.EVALUATE, dt.date(2022, 11, 1), dt.date(2022, 12, 31)),
            (PhaseKind.LAUNCH, dt.date(2022, 1, 1), dt.date(2022, 3, 31)),
        ],
    )
    kinds = list(CampaignPhase.objects.filter(campaign=campaign).values_list("kind", flat=True))
    assert kinds == [PhaseKind.LAUNCH, PhaseKind.EVALUATE]


def test_county_office_cannot_create_a_city_campaign(org):
    county_office = UserFactory()
    MembershipFactory(user=county_office, unit=org.county_a, post=Post.STAFF)
    with pytest.raises(PermissionDenied):
        campaign_create(
            actor=county_office,
            owner_unit=org.city,
            name="越权",
            year=2022,
            start_date=dt.date(2022, 1, 1),
            end_date=dt.date(2022, 12, 31),
            status="active",
        )


def test_unit_tree_nests_deep_units_in_one_prefix_query(org, django_assert_num_queries):
    village = UnitFactory.create(parent=org.township_a, name="甲村", level="township")
    with django_assert_num_queries(1):
        names = [u.name for u in type(org.city).objects.within(org.county_a.path)]
    assert "甲村" in names and "乙县" not in names
    assert org.county_a.contains(village)
