"""Shared fixtures: a small organisation tree and the personas every permission test uses.

Tree::

    省 (province)
    └── 市 (city)                       campaign owner
        ├── 市发改委 (city department)
        ├── 甲县 (county A)             the unit under test
        │   ├── 甲县住建局 (department)
        │   └── 甲镇 (township)
        └── 乙县 (county B)             someone else's unit

Personas (healthchecks' Alice, Bob and Charlie, grown up):
``inside`` liaison of 甲县 · ``above`` campaign office of the city · ``supervisor`` member of
the group covering 甲县 · ``outsider`` liaison of 乙县 · ``official`` read-only city official
· ``assessor`` assessment office · ``admin`` administrator of the city · ``superuser``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.conf import settings

from accounts.models import Post, Role, Unit, UnitKind, UnitLevel, User
from accounts.tests.factories import (
    MembershipFactory,
    RoleAssignmentFactory,
    UnitFactory,
    UserFactory,
)
from campaign.models import Campaign, SupervisionGroup
from campaign.tests.factories import CampaignFactory, SupervisionGroupFactory
from config.migrated_template import ensure_template

#: Markers of the tests that take minutes: real processes, a browser, faults of services.
HEAVY_MARKERS = ("slow", "browser", "faults")


def heavy_modules_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """``items`` with the modules holding a test marked with a HEAVY_MARKERS marker first;
    each module's tests stay together and in their order, as does the order of modules
    within either group (a stable sort)."""
    heavy = {
        item.nodeid.split("::", 1)[0]
        for item in items
        if any(item.get_closest_marker(name) for name in HEAVY_MARKERS)
    }
    return sorted(items, key=lambda item: item.nodeid.split("::", 1)[0] not in heavy)


@pytest.hookimpl(trylast=True)  # after tests/browser/conftest.py has marked its tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the heavy modules first. ``make test`` hands whole modules to its 2 xdist
    workers in collection order (``--dist loadscope``); a heavy module handed out last kept
    one worker busy for minutes after the other had finished. Started first, the long
    scopes overlap and the short ones fill the gaps at the end."""
    items[:] = heavy_modules_first(items)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Each test database is created as a copy of the migrated template
    (config/migrated_template.py, built once per set of migrations), so Django's migrate
    on it has nothing to do: about 3 s instead of about 55 s per xdist worker. With
    ``--reuse-db`` a kept test database is used as it is, as before."""
    default = settings.DATABASES["default"]
    default.setdefault("TEST", {})["TEMPLATE"] = ensure_template(default)


@dataclass
class Org:
    """The shared tree, campaign and personas."""

    province: Unit
    city: Unit
    city_dept: Unit
    county_a: Unit
    county_a_dept: Unit
    township_a: Unit
    county_b: Unit
    campaign: Campaign
    group_a: SupervisionGroup
    inside: User
    above: User
    supervisor: User
    outsider: User
    official: User
    assessor: User
    admin: User
    superuser: User

    def personas(self) -> dict[str, User]:
        """Every persona by name, for parametrised matrices."""
        return {
            name: getattr(self, name)
            for name in (
                "inside",
                "above",
                "supervisor",
                "outsider",
                "official",
                "assessor",
                "admin",
                "superuser",
            )
        }


@pytest.fixture
def org(db: None) -> Org:
    """Build the tree, one campaign and the personas."""
    province = UnitFactory.create(name="测试省", level=UnitLevel.PROVINCE, kind=UnitKind.GOVERNMENT)
    city = UnitFactory.create(parent=province, name="测试市", level=UnitLevel.CITY)
    city_dept = UnitFactory.create(
        parent=city,
        name="测试市发展和改革委员会",
        short_name="市发改委",
        level=UnitLevel.CITY,
        kind=UnitKind.DEPARTMENT,
    )
    county_a = UnitFactory.create(parent=city, name="甲县", level=UnitLevel.COUNTY)
    county_a_dept = UnitFactory.create(
        parent=county_a,
        name="甲县住房和城乡建设局",
        short_name="甲县住建局",
        level=UnitLevel.COUNTY,
        kind=UnitKind.DEPARTMENT,
    )
    township_a = UnitFactory.create(
        parent=county_a, name="甲镇", level=UnitLevel.TOWNSHIP, kind=UnitKind.TOWNSHIP
    )
    county_b = UnitFactory.create(parent=city, name="乙县", level=UnitLevel.COUNTY)
    for unit in (province, city, city_dept, county_a, county_a_dept, township_a, county_b):
        unit.refresh_from_db()

    inside = UserFactory(username="inside", name="甲县联络员")
    MembershipFactory(user=inside, unit=county_a, post=Post.LIAISON)
    above = UserFactory(username="above", name="市能力作风办")
    RoleAssignmentFactory(user=above, role=Role.CAMPAIGN_OFFICE, scope=city)
    outsider = UserFactory(username="outsider", name="乙县联络员")
    MembershipFactory(user=outsider, unit=county_b, post=Post.LIAISON)
    official = UserFactory(username="official", name="市委常委")
    RoleAssignmentFactory(user=official, role=Role.OFFICIAL, scope=city)
    MembershipFactory(user=official, unit=city, post=Post.PRINCIPAL_LEADER)
    assessor = UserFactory(username="assessor", name="市考核办")
    RoleAssignmentFactory(user=assessor, role=Role.ASSESSMENT_OFFICE, scope=city)
    admin = UserFactory(username="cityadmin", name="市管理员", is_staff=True)
    RoleAssignmentFactory(user=admin, role=Role.ADMINISTRATOR, scope=city)
    superuser = UserFactory(username="root", name="超级管理员", is_staff=True, is_superuser=True)

    campaign = CampaignFactory(owner_unit=city)
    supervisor = UserFactory(username="supervisor", name="督查组成员")
    group_a = SupervisionGroupFactory(campaign=campaign, leader=superuser)
    group_a.members.set([supervisor])
    group_a.assigned_units.set([county_a])

    return Org(
        province=province,
        city=city,
        city_dept=city_dept,
        county_a=county_a,
        county_a_dept=county_a_dept,
        township_a=township_a,
        county_b=county_b,
        campaign=campaign,
        group_a=group_a,
        inside=inside,
        above=above,
        supervisor=supervisor,
        outsider=outsider,
        official=official,
        assessor=assessor,
        admin=admin,
        superuser=superuser,
    )
