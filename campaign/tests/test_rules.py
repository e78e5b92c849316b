"""Who may see a responsibility chain: the predicate and the filter of ``campaign.rules``
give the same answer for every persona and chain, and that answer is the rule."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from campaign.models import ResponsibilityChain
from campaign.rules import can_view_chain, chain_visible_q
from campaign.selectors import chain_list
from campaign.tests.builders import ChainWorld, build_chain_world

pytestmark = pytest.mark.django_db

EVERY_CHAIN = {"city", "county_a", "coop_b", "county_b", "item_only", "bare"}
# The rule, written out per persona (see ChainWorld for why each chain is seen).
EXPECTED = {
    "inside": {"city", "county_a", "item_only"},
    "supervisor": {"city", "county_a", "item_only"},
    "township": {"city", "county_a", "item_only"},
    "outsider": {"city", "coop_b", "county_b"},
    "former": {"bare"},
    "above": EVERY_CHAIN,
    "official": EVERY_CHAIN,
    "assessor": EVERY_CHAIN,
    "admin": EVERY_CHAIN,
    "superuser": EVERY_CHAIN,
}


@pytest.fixture
def world(org) -> ChainWorld:
    return build_chain_world(org)


def fresh(user: User) -> User:
    """The user loaded afresh, as a request would (no jurisdiction memo)."""
    return User.objects.get(pk=user.pk)


def test_predicate_and_filter_agree_on_every_persona_and_chain(org, world):
    """GIVEN chains at both levels WHEN every persona asks about every chain, once through the
    list filter and once through the predicate THEN both answers agree and match the rule."""
    chains = world.chains()
    for persona, user in world.personas(org).items():
        listed = set(chain_list(user=fresh(user)).values_list("pk", flat=True))
        filtered = set(
            ResponsibilityChain.objects.filter(chain_visible_q(fresh(user))).values_list(
                "pk", flat=True
            )
        )
        assert listed == filtered, persona
        for name, chain in chains.items():
            loaded = ResponsibilityChain.objects.get(pk=chain.pk)
            assert can_view_chain(fresh(user), loaded) == (chain.pk in listed), (persona, name)
        seen = {name for name, chain in chains.items() if chain.pk in listed}
        assert seen == EXPECTED[persona], persona


def test_anonymous_sees_no_chain(org, world):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert not ResponsibilityChain.objects.filter(chain_visible_q(anonymous)).exists()
    assert not can_view_chain(anonymous, world.city)


def test_an_inactive_person_named_in_a_chain_sees_nothing(org, world):
    world.former.is_active = False
    world.former.save()
    former = fresh(world.former)
    assert not chain_list(user=former).exists()
    assert not can_view_chain(former, world.bare)


def test_the_list_has_no_duplicates(org, world):
    """A chain seen by several rules at once (unit, items, cooperation) is listed once."""
    pks = list(chain_list(user=fresh(org.above)).values_list("pk", flat=True))
    assert len(pks) == len(set(pks)) == len(EVERY_CHAIN)


def test_the_predicate_costs_a_few_queries_at_most(org, world):
    """No query when the chain's own units or posts answer; at most four otherwise
    (cooperating departments, children, their cooperating departments, items)."""
    city = ResponsibilityChain.objects.select_related("unit", "lead_department").get(
        pk=world.city.pk
    )
    above = fresh(org.above)
    can_view_chain(above, city)  # computes the jurisdiction (3 queries), remembered
    with CaptureQueriesContext(connection) as cheap:
        assert can_view_chain(above, city)
    assert len(cheap) == 0
    outsider = fresh(org.outsider)
    can_view_chain(outsider, city)
    with CaptureQueriesContext(connection) as costly:
        assert can_view_chain(outsider, city)  # through its item of 乙县: the last check
    assert len(costly) == 4
    bare = ResponsibilityChain.objects.select_related("unit", "lead_department").get(
        pk=world.bare.pk
    )
    with CaptureQueriesContext(connection) as refused:
        assert not can_view_chain(outsider, bare)  # no children: nothing to prefetch for them
    assert len(refused) == 3


# --- the API answers by the same rule ------------------------------------------------------------


def api_as(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(fresh(user))
    return client


def test_the_api_lists_and_opens_the_chains_the_rule_allows(org, world):
    """GIVEN every persona WHEN they list chains and open each one through the API THEN the
    list is the rule's list and a chain outside it is 404."""
    for persona, user in world.personas(org).items():
        client = api_as(user)
        response = client.get(reverse("api:chain-list"), {"page_size": 100})
        assert response.status_code == 200, response.content
        listed = {row["id"] for row in response.json()["results"]}
        assert listed == set(chain_list(user=fresh(user)).values_list("pk", flat=True)), persona
        for name, chain in world.chains().items():
            status = client.get(reverse("api:chain-detail", args=[chain.pk])).status_code
            assert status == (200 if chain.pk in listed else 404), (persona, name)


def test_the_api_names_the_level_above_and_the_shares_below(org, world):
    detail = api_as(org.inside).get(reverse("api:chain-detail", args=[world.county_a.pk])).json()
    assert detail["parent"]["id"] == world.city.pk
    assert detail["parent"]["unit"]["id"] == org.city.pk
    assert detail["children"] == []
    row = next(
        r
        for r in api_as(org.inside).get(reverse("api:chain-list")).json()["results"]
        if r["id"] == world.county_a.pk
    )
    assert row["parent"] == world.city.pk

    city = reverse("api:chain-detail", args=[world.city.pk])
    assert [c["id"] for c in api_as(org.above).get(city).json()["children"]] == [world.county_a.pk]
    # 乙县 sees the city's chain through its own item, not 甲县's share of it.
    assert api_as(org.outsider).get(city).json()["children"] == []


def test_a_county_attaches_its_chain_to_the_citys(org, world):
    """GIVEN 甲县's liaison WHEN they create a chain for 甲县 under the city's chain THEN it is
    saved with its parent; a parent they cannot see, or one not above 甲县, is refused."""
    people = {
        "principal_leader": world.county_a.principal_leader_id,
        "leader_in_charge": world.county_a.leader_in_charge_id,
        "responsible_person": world.county_a.responsible_person_id,
    }
    body = {
        "subject": "背街小巷整治（甲县）",
        "campaign": org.campaign.pk,
        "unit": org.county_a.pk,
        "lead_department": org.county_a_dept.pk,
        **people,
    }
    client = api_as(org.inside)
    url = reverse("api:chain-list")
    response = client.post(url, {**body, "parent": world.city.pk}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["parent"]["id"] == world.city.pk
    assert ResponsibilityChain.objects.get(pk=response.json()["id"]).parent == world.city

    hidden = client.post(url, {**body, "parent": world.coop_b.pk}, format="json")
    assert hidden.status_code == 400
    assert {e["attr"] for e in hidden.json()["errors"]} == {"parent"}
    level = client.post(url, {**body, "parent": world.county_a.pk}, format="json")
    assert level.status_code == 400
    assert {e["attr"] for e in level.json()["errors"]} == {"parent"}


def test_the_chains_of_a_units_items_read_only_items_and_units(world: ChainWorld) -> None:
    """The chains a user sees through the items of their units (part of every chain filter)
    are read from the items and the units alone, which the index on (unit, chain) answers
    without the items' rows (item_unit_chain_idx): joined to ledgers, campaigns and light
    policies as the item list is, a county's 7,000 items were read row by row, 14 ms of
    every page that filters chains, twice."""
    from campaign.rules import _visible_item_chains

    sql = str(_visible_item_chains(world.township_user).query)
    tables = set(re.findall(r'(?:FROM|JOIN) "([a-z_]+)"', sql))
    assert tables == {"tasks_ledger_ledgeritem", "accounts_unit"}, sql
    assert 'SELECT "tasks_ledger_ledgeritem"."chain_id"' in sql
