"""The home page's campaign selectors give the rows of the plain rule, in fewer steps."""

from __future__ import annotations

import pytest
from django.db.models import Count

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Post, Unit, User
from accounts.selectors import SOME_MARK, SOME_USER
from accounts.tests.factories import MembershipFactory
from campaign.models import Campaign, ResponsibilityChain
from campaign.rules import _visible_item_chains
from campaign.selectors import (
    campaign_lines,
    campaign_list,
    campaign_overview_list,
    chain_involvement_q,
    chain_lines,
    chain_list,
    chains_of,
)
from campaign.tests.builders import ChainWorld, build_chain_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(org) -> ChainWorld:
    return build_chain_world(org)


def fresh(user: User) -> User:
    """The user loaded afresh, as a request would (no jurisdiction memo)."""
    return User.objects.get(pk=user.pk)


def own_units(user: User) -> list[Unit]:
    return [m.unit for m in user.memberships.select_related("unit")]


def involves(chain: ResponsibilityChain, user: User, units: list[Unit]) -> bool:
    """Whether ``chain`` involves ``user`` or one of ``units`` (or a unit under it), read
    from its rows in Python: the rule that chain_involvement_q writes as SQL."""
    people = {chain.principal_leader_id, chain.leader_in_charge_id, chain.responsible_person_id}
    paths = [chain.unit.path, chain.lead_department.path]
    paths += [unit.path for unit in chain.cooperating_departments.all()]
    return user.pk in people or any(path.startswith(unit.path) for path in paths for unit in units)


def test_chains_of_are_the_visible_chains_that_involve_the_user(org, world):
    """GIVEN chains at both levels WHEN every persona asks for their chains THEN they are the
    visible chains (the rule's filter) that involve them (their rows read one by one), in
    the same order."""
    checked = 0
    for persona, user in world.personas(org).items():
        units = own_units(user)
        visible = chain_list(user=fresh(user)).order_by("unit__path", "subject", "pk")
        expected = [chain.pk for chain in visible if involves(chain, user, units)]
        by_rule = visible.filter(chain_involvement_q(user=user, units=units))
        assert list(by_rule.values_list("pk", flat=True)) == expected, persona
        got = chains_of(user=fresh(user), units=units).order_by("unit__path", "subject", "pk")
        assert list(got.values_list("pk", flat=True)) == expected, persona
        assert list(chains_of(user=fresh(user)).values_list("pk", flat=True)) == list(
            chains_of(user=fresh(user), units=units).values_list("pk", flat=True)
        ), persona
        checked += bool(expected)
    assert checked >= 3


def test_chains_of_units_outside_the_jurisdiction_keep_the_visibility_filter(org, world):
    """GIVEN a county liaison WHEN asked with the other county as "their" unit THEN only the
    chains they may see anyway come back (units they may not see skip no rule)."""
    user = fresh(org.inside)
    got = set(chains_of(user=user, units=[org.county_b]).values_list("pk", flat=True))
    visible = set(chain_list(user=fresh(org.inside)).values_list("pk", flat=True))
    assert got <= visible
    assert world.county_b.pk not in got and world.coop_b.pk not in got


def test_overview_counts_match_the_lists_for_every_persona(org, world):
    """GIVEN chains, task forces and groups WHEN every persona reads the overview THEN each
    campaign's counts are those of the chain list and of :func:`campaign_list`."""
    for persona, user in world.personas(org).items():
        plain = {c.pk: c for c in campaign_list(user=fresh(user))}
        overview = list(campaign_overview_list(user=fresh(user)))
        assert [c.pk for c in overview] == list(plain), persona
        for campaign in overview:
            assert campaign.task_force_count == plain[campaign.pk].task_force_count, persona
            assert campaign.supervision_group_count == plain[campaign.pk].supervision_group_count, (
                persona
            )
            expected = chain_list(
                user=fresh(user), campaign=Campaign.objects.get(pk=campaign.pk)
            ).count()
            assert campaign.chain_count == expected, persona


def test_the_item_rule_carries_no_light_annotations(org):
    """The rule's item subquery keeps the ledger's filters but none of the list's lights,
    which every query it nests in would otherwise copy."""
    ids = _visible_item_chains(fresh(org.inside))
    assert not ids.query.annotations
    assert "LIKE" in str(ids.query)  # the jurisdiction's scoping is still there


def test_chains_of_load_their_lines_in_one_query_without_campaign_joins(
    org, world, django_assert_num_queries
):
    """GIVEN a county liaison named in a chain WHEN their lines are shown THEN one query
    reads the rows with their cooperating departments' names (no campaign or task-force
    join, which cost the planner most), and each line is the one the chain's own relations
    give."""
    user = fresh(org.inside)
    units = own_units(user)
    chains = chains_of(user=user, units=units)
    assert "campaign_campaign" not in str(chains.query)
    assert "campaign_taskforce" not in str(chains.query)
    with django_assert_num_queries(1):
        rows = list(chains)
        lines = [chain.as_line() for chain in rows]
    assert lines and "甲镇" in lines[0]  # the cooperating department, from the annotation
    assert lines == [ResponsibilityChain.objects.get(pk=chain.pk).as_line() for chain in rows]


# --- the home page's plain lines ---------------------------------------------------------


def expected_lines(user: User, units: list[Unit], limit: int) -> list[tuple[int, str, str]]:
    chains = chains_of(user=fresh(user), units=units).order_by("unit__path", "subject", "pk")
    return [(chain.pk, chain.subject, chain.as_line()) for chain in chains[:limit]]


def got_lines(user: User, units: list[Unit], limit: int) -> list[tuple[int, str, str]]:
    return [
        (line.pk, line.subject, line.as_line())
        for line in chain_lines(user=fresh(user), units=units, limit=limit)
    ]


def test_chain_lines_are_the_first_chains_of_the_user_with_their_lines(org, world):
    """GIVEN chains at both levels WHEN every persona's home lists their chains THEN the
    lines are those of :func:`chains_of`, in its order, cut at the limit, each line the
    chain's own :meth:`as_line`."""
    shown = 0
    for persona, user in world.personas(org).items():
        units = own_units(user)
        for limit in (1, 13):
            assert got_lines(user, units, limit) == expected_lines(user, units, limit), persona
        shown += bool(expected_lines(user, units, 13))
    assert shown >= 3


def test_chain_lines_of_two_units_and_of_units_outside_the_jurisdiction(org, world):
    """GIVEN a liaison of county A WHEN they also hold a post in county B THEN their lines
    cover both counties (two units in one compiled statement); WHEN asked with a unit they
    may not see THEN the visibility rule still filters, as :func:`chains_of` does."""
    user = org.inside
    assert got_lines(user, [org.county_b], 13) == expected_lines(user, [org.county_b], 13)
    MembershipFactory(user=user, unit=org.county_b, post=Post.LIAISON)
    units = own_units(user)
    assert len(units) == 2
    lines = got_lines(user, units, 13)
    assert lines == expected_lines(user, units, 13)
    assert {world.county_b.pk, world.county_a.pk} <= {pk for pk, _s, _l in lines}


def test_chain_lines_are_one_query(org, world, django_assert_num_queries):
    """The lines with their people's and departments' names: one query (the jurisdiction
    read before, as the page has)."""
    user = fresh(org.inside)
    units = own_units(user)
    jurisdiction_for(user)
    with django_assert_num_queries(1):
        lines = chain_lines(user=user, units=units, limit=13)
        assert lines and all(line.as_line() for line in lines)


def test_campaign_lines_show_the_overview_for_every_persona(org, world):
    """GIVEN chains, task forces and groups WHEN every persona's home lists the campaigns
    THEN each line shows what :func:`campaign_overview_list` gives, in its order."""
    for persona, user in world.personas(org).items():
        expected = [
            (
                c.pk,
                c.name,
                c.status,
                c.get_status_display(),
                c.owner_unit.display_name,
                c.task_force_count,
                c.supervision_group_count,
                c.chain_count,
            )
            for c in campaign_overview_list(user=fresh(user))
        ]
        got = [
            (
                c.pk,
                c.name,
                c.status,
                c.get_status_display(),
                c.owner_name,
                c.task_force_count,
                c.supervision_group_count,
                c.chain_count,
            )
            for c in campaign_lines(user=fresh(user))
        ]
        assert got == expected, persona


def test_chain_counts_compiled_once_per_shape_are_each_users_own(org, world):
    """GIVEN chains at both levels WHEN every persona's chains are counted by the statement
    compiled for their jurisdiction's shape THEN the counts are those of the rule built for
    them; personas alike (one post or role each) share one statement."""
    from campaign import selectors

    selectors._chain_counts_statement.cache_clear()
    for persona, user in world.personas(org).items():
        user = fresh(user)
        expected = dict(selectors._chain_counts(user))
        got = selectors._visible_chain_counts(user, jurisdiction_for(user))
        assert got == expected, persona
    info = selectors._chain_counts_statement.cache_info()
    assert info.hits >= 1 and info.misses < len(world.personas(org))


def test_chain_counts_not_compiled_when_a_stand_in_comes_out_in_part(org, world, monkeypatch):
    """GIVEN a rule that reads part of a root (its first two characters) or a path the user
    only manages WHEN chains are counted THEN no statement is kept for the shape (the two
    sets of stand-ins give other SQL) and the counts are the rule's own, built for the
    user."""
    from campaign import selectors

    def counted(chains):
        return (
            chains.order_by()
            .values_list("campaign_id")
            .annotate(n=Count("pk"))
            .values_list("campaign_id", "n")
        )

    def by_part(user):
        root = jurisdiction_for(user).view_roots[0]
        return counted(ResponsibilityChain.objects.filter(unit__path__startswith=root[:2]))

    def by_managed(user):
        managed = jurisdiction_for(user).q("unit", manage=True)
        return counted(ResponsibilityChain.objects.filter(managed))

    user = fresh(org.above)
    j = jurisdiction_for(user)
    assert j.manage_roots
    for rule in (by_part, by_managed):
        monkeypatch.setattr(selectors, "_chain_counts", rule)
        selectors._chain_counts_statement.cache_clear()
        shape = selectors._shape_of(j, SOME_USER, SOME_MARK)
        assert selectors._chain_counts_statement("default", shape) is None, rule
        assert selectors._visible_chain_counts(user, j) == dict(rule(user)), rule
    selectors._chain_counts_statement.cache_clear()
