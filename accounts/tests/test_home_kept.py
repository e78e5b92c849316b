"""What the home page keeps beside the jurisdictions (:mod:`accounts.versioned_cache`): the
units' counts and the campaigns with their task forces and groups. Kept, they are read
without a query; a change they are computed from drops them; what they are not computed
from (the chains a user may see) is read anew every time.

These tests commit (``transactional_db``): inside a transaction that changed a kept value's
inputs the cache is not used at all.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from accounts.selectors import unit_children, unit_children_chips, unit_counts
from accounts.tests.factories import UnitFactory
from campaign.models import ResponsibilityChain
from campaign.selectors import campaign_lines
from campaign.tests.builders import add_chain
from campaign.tests.factories import TaskForceFactory

pytestmark = pytest.mark.django_db(transaction=True)


def fresh(user: User) -> User:
    """The user as a new request loads it (no per-object memo)."""
    return User.objects.get(pk=user.pk)


def lines(user: User) -> tuple[dict[int, tuple[int, int, int]], list[str]]:
    """Each campaign's (task forces, groups, chains) on the home page, and the SQL read."""
    reader = fresh(user)
    with CaptureQueriesContext(connection) as captured:
        found = campaign_lines(user=reader)
    counts = {
        line.pk: (line.task_force_count, line.supervision_group_count, line.chain_count)
        for line in found
    }
    return counts, [query["sql"] for query in captured.captured_queries]


def test_the_campaigns_are_kept_and_a_new_task_force_drops_them(org: Any) -> None:
    """GIVEN the city office has opened home WHEN it opens it again THEN the campaigns and
    their task forces are not read again, the chains are; WHEN a task force is added (by a
    leader who exists already: no new account drops anything) THEN home counts it."""
    before, _sql = lines(org.above)
    again, sql = lines(org.above)
    assert again == before
    assert not any("campaign_taskforce" in query for query in sql)
    assert len(sql) == 1 and "campaign_responsibilitychain" in sql[0]

    TaskForceFactory(campaign=org.campaign, leader=org.above)

    after, _sql = lines(org.above)
    forces, groups, chains = before[org.campaign.pk]
    assert after[org.campaign.pk] == (forces + 1, groups, chains)


def test_the_chains_are_counted_anew_whatever_is_kept(org: Any) -> None:
    """GIVEN a chain of county A that the city office sees, and home opened (the campaigns
    kept) WHEN the chain moves to a unit outside the city (no kept value's source changes)
    THEN home counts one chain fewer."""
    outside = UnitFactory.create(name="外省")
    chain = add_chain(
        subject="项目建设", unit=org.county_a, lead=org.county_a, campaign=org.campaign
    )
    before, _sql = lines(org.above)
    assert lines(org.above)[0] == before
    ResponsibilityChain.objects.filter(pk=chain.pk).update(unit=outside, lead_department=outside)

    after, _sql = lines(org.above)
    forces, groups, chains = before[org.campaign.pk]
    assert after[org.campaign.pk] == (forces, groups, chains - 1)


def test_the_unit_counts_are_kept_and_follow_a_changed_unit(org: Any) -> None:
    """GIVEN the city office's unit counts read once WHEN read again THEN no query; WHEN a
    township is put under special assessment THEN the count follows."""
    before = unit_counts(user=fresh(org.above))
    reader = fresh(org.above)
    with CaptureQueriesContext(connection) as captured:
        assert unit_counts(user=reader) == before
    assert not any('"accounts_unit"' in query["sql"] for query in captured.captured_queries)

    org.township_a.under_special_assessment = True
    org.township_a.save()

    assert unit_counts(user=fresh(org.above))["assessed"] == before["assessed"] + 1


def test_the_units_under_mine_are_kept_and_follow_a_new_unit(org: Any) -> None:
    """GIVEN county A's liaison's units under theirs read once WHEN read again THEN no query;
    WHEN a unit is added under county A THEN it is listed."""
    units = [org.county_a]
    before = unit_children_chips(user=fresh(org.inside), units=units, limit=13)
    assert [chip.pk for chip in before] == [
        unit.pk for unit in unit_children(user=fresh(org.inside), units=units)
    ]
    reader = fresh(org.inside)
    with CaptureQueriesContext(connection) as captured:
        assert unit_children_chips(user=reader, units=units, limit=13) == before
    assert not captured.captured_queries

    added = UnitFactory.create(parent=org.county_a, name="甲县新设局")

    after = unit_children_chips(user=fresh(org.inside), units=units, limit=13)
    assert added.pk in [chip.pk for chip in after] and len(after) == len(before) + 1
