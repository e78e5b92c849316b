"""The jurisdiction rules: who sees and changes which units."""

from __future__ import annotations

import pytest

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit

pytestmark = pytest.mark.django_db


def names(units: object) -> set[str]:
    return {u.name for u in units}


def test_unit_member_sees_own_subtree_only(org):
    j = jurisdiction_for(org.inside)
    assert names(j.units()) == {"甲县", "甲县住房和城乡建设局", "甲镇"}
    assert j.can_manage(org.township_a)
    assert not j.can_view(org.county_b)
    assert not j.can_manage(org.city)


def test_campaign_office_manages_whole_city(org):
    j = jurisdiction_for(org.above)
    assert names(j.units()) == names(Unit.objects.filter(path__startswith=org.city.path))
    assert j.can_manage(org.county_b)
    assert not j.can_view(org.province)


def test_supervisor_sees_assigned_units_read_only(org):
    j = jurisdiction_for(org.supervisor)
    assert names(j.units()) == {"甲县", "甲县住房和城乡建设局", "甲镇"}
    assert j.is_read_only
    assert "supervisor" in j.roles


def test_official_reads_city_but_changes_nothing_despite_post(org):
    j = jurisdiction_for(org.official)
    assert j.can_view(org.county_b)
    assert j.is_read_only
    assert not j.can_manage(org.city)


def test_outsider_cannot_see_other_county(org):
    j = jurisdiction_for(org.outsider)
    assert not j.can_view(org.county_a)
    assert names(j.units()) == {"乙县"}


def test_inactive_user_sees_nothing(org):
    org.inside.is_active = False
    assert jurisdiction_for(org.inside).is_empty


def test_units_within_jurisdiction_is_one_query(org, django_assert_num_queries):
    j = jurisdiction_for(org.above)
    with django_assert_num_queries(1):
        list(j.units())


def test_jurisdiction_is_computed_once_per_user_object(org, django_assert_num_queries):
    # memberships, role assignments, supervised units
    with django_assert_num_queries(3):
        jurisdiction_for(org.above)
        jurisdiction_for(org.above)


def test_county_user_takes_part_in_city_campaign(org):
    j = jurisdiction_for(org.inside)
    assert j.takes_part_in(org.city)
    assert not j.takes_part_in(org.county_b)
