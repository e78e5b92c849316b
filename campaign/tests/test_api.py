"""API for campaigns, task forces, supervision groups and chains.

Scoping per persona, filters, chain writes through the services (403/404/400 in the one
error shape) and a fixed number of queries per list whatever its length.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils.translation import gettext, override
from pghistory.models import Events
from rest_framework.test import APIClient

from accounts.models import Post, User
from accounts.services import api_token_create
from accounts.tests.factories import MembershipFactory, UnitFactory, UserFactory
from campaign.models import (
    CampaignPhase,
    PhaseKind,
    ResponsibilityChain,
    SupervisionGroupKind,
    TaskForceKind,
)
from campaign.services import chain_create
from campaign.tests.factories import CampaignFactory, SupervisionGroupFactory, TaskForceFactory

pytestmark = pytest.mark.django_db


def api(user: User | None = None) -> APIClient:
    """A client authenticating with the user's token (the user is loaded afresh per request)."""
    client = APIClient()
    if user is not None:
        _token, key = api_token_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def assert_error(response: Any, status: int, code: str, attr: str | None = None) -> None:
    """The one error shape: ``{"type", "errors": [{"code", "detail", "attr"}]}``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "errors"}
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    assert (code, attr) in {(e["code"], e["attr"]) for e in body["errors"]}, body
    assert all(e["detail"] for e in body["errors"])


@pytest.fixture
def people(org):
    """Leaders of 甲县 and a person in its housing bureau."""
    secretary = UserFactory(name="甲县书记")
    MembershipFactory(user=secretary, unit=org.county_a, post=Post.PRINCIPAL_LEADER)
    deputy = UserFactory(name="甲县副县长")
    MembershipFactory(user=deputy, unit=org.county_a, post=Post.LEADER_IN_CHARGE)
    clerk = UserFactory(name="住建局科长")
    MembershipFactory(user=clerk, unit=org.county_a_dept, post=Post.STAFF)
    return {"principal_leader": secretary, "leader_in_charge": deputy, "responsible_person": clerk}


def make_chain(org: Any, people: dict[str, User], **overrides: Any) -> ResponsibilityChain:
    fields = {
        "actor": None,
        "subject": "老旧小区改造",
        "unit": org.county_a,
        "lead_department": org.county_a_dept,
        "cooperating_departments": [org.township_a],
        "campaign": org.campaign,
        **people,
        **overrides,
    }
    return chain_create(**fields)


@pytest.fixture
def chain(org, people):
    return make_chain(org, people)


def payload(org: Any, people: dict[str, User], **overrides: Any) -> dict[str, Any]:
    """A valid chain body for 甲县."""
    return {
        "subject": "背街小巷整治",
        "campaign": org.campaign.pk,
        "unit": org.county_a.pk,
        "principal_leader": people["principal_leader"].pk,
        "leader_in_charge": people["leader_in_charge"].pk,
        "lead_department": org.county_a_dept.pk,
        "cooperating_departments": [org.township_a.pk],
        "responsible_person": people["responsible_person"].pk,
        **overrides,
    }


def chain_url(chain: ResponsibilityChain) -> str:
    return reverse("api:chain-detail", args=[chain.pk])


# --- campaigns --------------------------------------------------------------------------------


def test_campaigns_seen_by_everyone_taking_part(org):
    county_b_campaign = CampaignFactory(owner_unit=org.county_b)
    for persona in ("inside", "supervisor", "official", "above"):
        assert org.campaign.pk in ids(api(getattr(org, persona)).get(reverse("api:campaign-list")))
    assert ids(api(org.inside).get(reverse("api:campaign-list"))) == {org.campaign.pk}
    assert ids(api(org.outsider).get(reverse("api:campaign-list"))) == {
        org.campaign.pk,
        county_b_campaign.pk,
    }


def test_outsider_gets_404_for_another_countys_campaign(org):
    county_b_campaign = CampaignFactory(owner_unit=org.county_b)
    url = reverse("api:campaign-detail", args=[county_b_campaign.pk])
    assert_error(api(org.inside).get(url), 404, "not_found")
    assert api(org.outsider).get(url).status_code == 200
    assert api(org.official).get(url).status_code == 200


def test_campaign_detail_has_phases_in_order(org):
    for kind, month in ((PhaseKind.LOOK_BACK, 6), (PhaseKind.LAUNCH, 1)):
        CampaignPhase.objects.create(
            campaign=org.campaign,
            kind=kind,
            start_date=dt.date(2022, month, 1),
            end_date=dt.date(2022, month + 3, 1),
        )
    body = api(org.inside).get(reverse("api:campaign-detail", args=[org.campaign.pk])).json()
    assert [p["kind"] for p in body["phases"]] == [PhaseKind.LAUNCH, PhaseKind.LOOK_BACK]
    assert body["owner_unit"]["id"] == org.city.pk
    assert body["supervision_group_count"] == 1
    assert body["status_display"]


def test_campaign_filters(org):
    older = CampaignFactory(
        owner_unit=org.city,
        year=2021,
        start_date=dt.date(2021, 1, 1),
        end_date=dt.date(2021, 12, 31),
    )
    assert ids(api(org.above).get(reverse("api:campaign-list"), {"year": 2021})) == {older.pk}
    assert ids(api(org.above).get(reverse("api:campaign-list"), {"status": "draft"})) == set()


def test_campaigns_are_read_only(org):
    response = api(org.superuser).post(reverse("api:campaign-list"), {"name": "x"})
    assert_error(response, 405, "method_not_allowed")


@pytest.mark.parametrize("extra", [1, 21])
def test_campaign_list_query_count_does_not_grow(org, django_assert_num_queries, extra):
    for _n in range(extra):
        CampaignFactory(owner_unit=org.city)
    client = api(org.above)
    # 1 token and its user · 3 jurisdiction (posts, roles, supervised units) · 1 count ·
    # 1 page of campaigns with owner units and task-force/group counts.
    with django_assert_num_queries(6):
        response = client.get(reverse("api:campaign-list"))
    assert response.json()["count"] == 1 + extra


# --- task forces and supervision groups -------------------------------------------------------


def test_task_force_units_are_cut_to_what_the_caller_sees(org):
    force = TaskForceFactory(campaign=org.campaign)
    force.member_units.set([org.county_a, org.county_b])
    url = reverse("api:task-force-detail", args=[force.pk])
    assert [u["id"] for u in api(org.inside).get(url).json()["member_units"]] == [org.county_a.pk]
    assert {u["id"] for u in api(org.above).get(url).json()["member_units"]} == {
        org.county_a.pk,
        org.county_b.pk,
    }


def test_task_forces_of_another_countys_campaign_are_hidden(org):
    mine = TaskForceFactory(campaign=org.campaign)
    theirs = TaskForceFactory(campaign=CampaignFactory(owner_unit=org.county_b))
    assert ids(api(org.inside).get(reverse("api:task-force-list"))) == {mine.pk}
    url = reverse("api:task-force-detail", args=[theirs.pk])
    assert_error(api(org.inside).get(url), 404, "not_found")
    assert api(org.outsider).get(url).status_code == 200


def test_task_force_filters(org):
    other_campaign = CampaignFactory(owner_unit=org.city)
    work = TaskForceFactory(campaign=org.campaign)
    special = TaskForceFactory(campaign=org.campaign, kind=TaskForceKind.SPECIAL_GROUP)
    elsewhere = TaskForceFactory(campaign=other_campaign)
    url = reverse("api:task-force-list")
    client = api(org.above)
    assert ids(client.get(url, {"campaign": org.campaign.pk})) == {work.pk, special.pk}
    assert ids(client.get(url, {"kind": TaskForceKind.SPECIAL_GROUP})) == {special.pk}
    assert ids(client.get(url, {"campaign": other_campaign.pk})) == {elsewhere.pk}


def test_campaign_filter_refuses_a_campaign_the_caller_cannot_see(org):
    hidden = CampaignFactory(owner_unit=org.county_b)
    response = api(org.inside).get(reverse("api:task-force-list"), {"campaign": hidden.pk})
    assert_error(response, 400, "invalid_choice", "campaign")


def test_supervision_groups_scoped_and_filtered_by_covered_unit(org):
    group_b = SupervisionGroupFactory(campaign=org.campaign, kind=SupervisionGroupKind.SPECIAL)
    group_b.assigned_units.set([org.county_b])
    url = reverse("api:supervision-group-list")
    client = api(org.above)
    assert ids(client.get(url)) == {org.group_a.pk, group_b.pk}
    # 甲镇 lies under 甲县, which group A covers.
    assert ids(client.get(url, {"unit": org.township_a.pk})) == {org.group_a.pk}
    assert ids(client.get(url, {"unit": org.county_b.pk})) == {group_b.pk}
    assert ids(client.get(url, {"unit": org.city.pk})) == set()
    assert ids(client.get(url, {"kind": SupervisionGroupKind.SPECIAL})) == {group_b.pk}
    assert ids(client.get(url, {"campaign": org.campaign.pk})) == {org.group_a.pk, group_b.pk}


def test_supervision_group_units_are_cut_for_the_outsider(org):
    body = (
        api(org.outsider).get(reverse("api:supervision-group-detail", args=[org.group_a.pk])).json()
    )
    assert body["assigned_units"] == []
    assert [m["name"] for m in body["members"]] == ["督查组成员"]


@pytest.mark.parametrize("extra", [2, 22])
def test_task_force_list_query_count_does_not_grow(org, django_assert_num_queries, extra):
    for _n in range(extra):
        force = TaskForceFactory(campaign=org.campaign)
        force.member_units.set([org.county_a, org.county_b])
        force.members.set([org.inside, org.outsider])
    client = api(org.above)
    # 1 token · 3 jurisdiction · 1 the campaign filter's choice, checked among visible
    # campaigns · 1 count · 1 page with leaders and campaigns · 1 member units (visible
    # only) · 1 member people.
    with django_assert_num_queries(9):
        response = client.get(
            reverse("api:task-force-list"), {"page_size": 100, "campaign": org.campaign.pk}
        )
    assert len(response.json()["results"]) == extra


@pytest.mark.parametrize("extra", [1, 21])
def test_supervision_group_list_query_count_does_not_grow(org, django_assert_num_queries, extra):
    for _n in range(extra):
        group = SupervisionGroupFactory(campaign=org.campaign)
        group.assigned_units.set([org.county_a, org.township_a])
        group.members.set([org.supervisor])
    client = api(org.above)
    # 1 token · 3 jurisdiction · 1 count · 1 page with leaders and campaigns (the covered-unit
    # filter is a subquery inside it) · 1 assigned units (visible only) · 1 member people.
    with django_assert_num_queries(8):
        response = client.get(
            reverse("api:supervision-group-list"),
            {"page_size": 100, "unit": org.township_a.pk},
        )
    assert len(response.json()["results"]) == 1 + extra


# --- chains: reading --------------------------------------------------------------------------


def test_chain_list_is_scoped_per_persona(org, chain):
    url = reverse("api:chain-list")
    for persona in ("inside", "supervisor", "official", "above", "superuser"):
        assert ids(api(getattr(org, persona)).get(url)) == {chain.pk}, persona
    assert ids(api(org.outsider).get(url)) == set()


def test_outsider_gets_404_for_a_chain_in_another_county(org, chain):
    assert_error(api(org.outsider).get(chain_url(chain)), 404, "not_found")
    assert_error(api(org.outsider).patch(chain_url(chain), {"subject": "x"}), 404, "not_found")
    assert_error(api(org.outsider).delete(chain_url(chain)), 404, "not_found")
    assert ResponsibilityChain.objects.filter(pk=chain.pk, subject="老旧小区改造").exists()


def test_chain_reads_carry_the_line_and_the_posts(org, chain):
    row = api(org.official).get(reverse("api:chain-list")).json()["results"][0]
    assert row["line"] == chain.as_line()
    assert row["unit"]["id"] == org.county_a.pk
    assert [u["id"] for u in row["cooperating_departments"]] == [org.township_a.pk]
    assert row["principal_leader"]["name"] == "甲县书记"

    detail = api(org.official).get(chain_url(chain)).json()
    assert detail["line"] == chain.as_line()
    assert detail["campaign"]["id"] == org.campaign.pk
    assert detail["can_change"] is False
    assert api(org.inside).get(chain_url(chain)).json()["can_change"] is True


def test_chain_filters(org, people, chain):
    other = make_chain(org, people, subject="招商引资", cooperating_departments=[], campaign=None)
    url = reverse("api:chain-list")
    client = api(org.above)
    assert ids(client.get(url, {"campaign": org.campaign.pk})) == {chain.pk}
    assert ids(client.get(url, {"search": "招商"})) == {other.pk}
    assert ids(client.get(url, {"search": "住建"})) == {chain.pk, other.pk}
    assert ids(client.get(url, {"unit": org.city.pk})) == {chain.pk, other.pk}
    assert ids(client.get(url, {"unit": org.county_b.pk})) == set()


@pytest.mark.parametrize("extra", [1, 21])
def test_chain_list_query_count_does_not_grow(org, people, django_assert_num_queries, extra):
    second_township = UnitFactory.create(parent=org.county_a, name="甲县二镇")
    for n in range(extra + 1):
        make_chain(
            org,
            people,
            subject=f"事项{n}",
            cooperating_departments=[org.township_a, second_township],
        )
    client = api(org.above)
    # 1 token · 3 jurisdiction · 1 count · 1 page of chains with unit, people, lead department,
    # task force and campaign joined, the filters as subqueries · 1 cooperating departments.
    with django_assert_num_queries(7):
        response = client.get(
            reverse("api:chain-list"), {"page_size": 100, "unit": org.city.pk, "search": "事项"}
        )
    rows = response.json()["results"]
    assert len(rows) == extra + 1
    assert all("甲县二镇" in row["line"] for row in rows)


# --- chains: writing --------------------------------------------------------------------------


def test_campaign_office_creates_a_chain_within_the_city(org, people):
    response = api(org.above).post(reverse("api:chain-list"), payload(org, people), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    chain = ResponsibilityChain.objects.get(pk=body["id"])
    assert body["line"] == chain.as_line()
    assert body["can_change"] is True
    assert list(chain.cooperating_departments.all()) == [org.township_a]


def test_api_writes_are_in_history_with_the_token_user(org, people):
    """GIVEN a token-authenticated write THEN its history event names the API user."""
    response = api(org.above).post(reverse("api:chain-list"), payload(org, people), format="json")
    chain = ResponsibilityChain.objects.get(pk=response.json()["id"])
    event = Events.objects.references(chain).filter(pgh_label="insert").first()
    assert event is not None
    assert event.pgh_context["user"] == org.above.pk


def test_unit_member_creates_a_chain_in_their_own_unit(org, people):
    response = api(org.inside).post(reverse("api:chain-list"), payload(org, people), format="json")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize("persona", ["official", "supervisor", "assessor"])
def test_read_only_personas_get_403_on_every_write(org, people, chain, persona):
    client = api(getattr(org, persona))
    assert client.get(chain_url(chain)).status_code == 200
    assert_error(
        client.post(reverse("api:chain-list"), payload(org, people), format="json"),
        403,
        "permission_denied",
    )
    assert_error(
        client.patch(chain_url(chain), {"subject": "x"}, format="json"), 403, "permission_denied"
    )
    assert_error(client.delete(chain_url(chain)), 403, "permission_denied")
    assert ResponsibilityChain.objects.count() == 1


def test_service_refusal_is_403_with_its_message(org, people):
    """GIVEN someone who sees 甲县 (supervising it) but manages only 乙县
    WHEN they create a chain for 甲县 THEN the service's refusal comes back as 403."""
    MembershipFactory(user=org.supervisor, unit=org.county_b, post=Post.LIAISON)
    response = api(org.supervisor).post(
        reverse("api:chain-list"), payload(org, people), format="json"
    )
    assert_error(response, 403, "permission_denied")
    with override("zh-hans"):
        expected = gettext("You may not change records of this unit.")
    assert response.json()["errors"][0]["detail"] == expected
    assert not ResponsibilityChain.objects.exists()


def test_outsider_cannot_name_units_they_cannot_see(org, people):
    response = api(org.outsider).post(
        reverse("api:chain-list"), payload(org, people), format="json"
    )
    assert_error(response, 400, "does_not_exist", "unit")
    assert_error(response, 400, "does_not_exist", "lead_department")
    assert_error(response, 400, "does_not_exist", "cooperating_departments")
    assert_error(response, 400, "does_not_exist", "principal_leader")


def test_service_validation_errors_come_back_per_field(org, people):
    body = payload(
        org,
        people,
        cooperating_departments=[org.county_a_dept.pk],
        principal_leader=people["leader_in_charge"].pk,
    )
    response = api(org.above).post(reverse("api:chain-list"), body, format="json")
    assert_error(response, 400, "invalid", "principal_leader")
    assert_error(response, 400, "invalid", "cooperating_departments")
    assert not ResponsibilityChain.objects.exists()


def test_missing_fields_are_validation_errors(org):
    response = api(org.above).post(reverse("api:chain-list"), {"subject": "x"}, format="json")
    assert_error(response, 400, "required", "unit")
    assert_error(response, 400, "required", "responsible_person")


def test_task_force_must_belong_to_the_chains_campaign(org, people):
    force = TaskForceFactory(campaign=CampaignFactory(owner_unit=org.city))
    response = api(org.above).post(
        reverse("api:chain-list"), payload(org, people, task_force=force.pk), format="json"
    )
    assert_error(response, 400, "invalid", "task_force")


def test_partial_update_goes_through_the_service(org, people, chain):
    client = api(org.above)
    response = client.patch(
        chain_url(chain),
        {"subject": "老旧小区改造提升", "cooperating_departments": []},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"] == "老旧小区改造提升"
    assert body["cooperating_departments"] == []
    chain.refresh_from_db()
    assert chain.subject == "老旧小区改造提升"
    assert not chain.cooperating_departments.exists()


def test_partial_update_is_validated_by_the_service(org, people, chain):
    response = api(org.inside).patch(
        chain_url(chain), {"cooperating_departments": [org.county_a_dept.pk]}, format="json"
    )
    assert_error(response, 400, "invalid", "cooperating_departments")
    assert list(chain.cooperating_departments.all()) == [org.township_a]


def test_put_is_not_offered(org, chain):
    response = api(org.above).put(chain_url(chain), {}, format="json")
    assert_error(response, 405, "method_not_allowed")


def test_delete_goes_through_the_service_and_keeps_history(org, chain):
    client = api(org.above)
    assert client.delete(chain_url(chain)).status_code == 204
    assert not ResponsibilityChain.objects.filter(pk=chain.pk).exists()
    assert_error(client.get(chain_url(chain)), 404, "not_found")
    assert Events.objects.filter(pgh_obj_id=str(chain.pk), pgh_label="delete").exists()


def test_anonymous_chain_write_is_401(org, people):
    response = api().post(reverse("api:chain-list"), payload(org, people), format="json")
    assert_error(response, 401, "not_authenticated")
