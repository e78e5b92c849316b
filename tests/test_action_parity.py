"""Action parity: the rule, the page and the API give the same answer to every persona.

For every write declared by a resource (``tasks_ledger/tests/test_resources.py``: report
progress, request sign-off, an extension or a status change, accept or return a report,
verify or return a sign-off, approve or refuse an extension or a status change, record a
meeting, add or edit an item) and every persona, three questions are asked:

- the rule (``Write.rule``, from ``tasks_ledger/rules.py``), with the user loaded afresh;
- the page: a POST (or the upload-and-apply flow) with the test client;
- the API: the call through DRF's APIClient with ``force_authenticate``;

each on a fresh object of 甲县, so one path's write never changes what the other sees.
"Allowed" for the page and the API means the write happened in the database, whatever
the status code: a page may refuse with 403 or 404, or with a 200/302 and a message.

Besides the personas of the root ``org`` fixture, two people sit where the rules turn:
``lead`` works in 市发改委, which leads the chain of the sign-off items (and owns a ledger),
and ``county_office`` is 甲县's own campaign office.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from rest_framework.test import APIClient

from accountability.tests import test_resources_measures as measure_resources
from accountability.tests import test_resources_notices as notice_resources
from accounts.models import Post, Role, User
from accounts.tests.factories import MembershipFactory, RoleAssignmentFactory, UserFactory
from tasks_ledger.tests import test_resources as ledger_resources
from tests.resources import ANONYMOUS, ResourceTests, Write, as_persona, attempt_api, attempt_page

pytestmark = pytest.mark.django_db

#: Modules declaring resources; a new app adds its ``tests/test_resources.py`` here.
RESOURCE_MODULES: list[ModuleType] = [ledger_resources, notice_resources, measure_resources]

PERSONAS = (
    ANONYMOUS,
    "inside",
    "above",
    "supervisor",
    "outsider",
    "official",
    "assessor",
    "admin",
    "superuser",
    "lead",
    "county_office",
)

#: Disagreements known and reported, as {(action, persona): why}. The test fails when one
#: appears that is not listed, and when a listed one is fixed (then delete its line).
KNOWN: dict[tuple[str, str], str] = {}


def resources(module: ModuleType) -> list[type[ResourceTests]]:
    """The resource classes a module declares (those pytest collects)."""
    return [
        value
        for name, value in vars(module).items()
        if name.startswith("Test") and isinstance(value, type) and issubclass(value, ResourceTests)
    ]


ACTIONS: list[tuple[type[ResourceTests], Write]] = [
    (resource, write)
    for module in RESOURCE_MODULES
    for resource in resources(module)
    for write in resource.writes
    if write.rule is not None
]


@pytest.fixture(autouse=True)
def _clock_and_media(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(ResourceTests.now, tick=False):
        yield


@pytest.fixture
def people(org: Any) -> dict[str, Any]:
    """Every persona by name (None: nobody signed in)."""
    lead = UserFactory(username="lead", name="市发改委科员")
    MembershipFactory(user=lead, unit=org.city_dept, post=Post.STAFF)
    county_office = UserFactory(username="county_office", name="甲县能力作风办")
    RoleAssignmentFactory(user=county_office, role=Role.CAMPAIGN_OFFICE, scope=org.county_a)
    return {
        ANONYMOUS: None,
        **org.personas(),
        "lead": lead,
        "county_office": county_office,
    }


def fresh(user: User | None) -> Any:
    """The user as a request loads it (no jurisdiction memo carried from another ask)."""
    return AnonymousUser() if user is None else User.objects.get(pk=user.pk)


@pytest.mark.parametrize(
    ("resource", "write"), ACTIONS, ids=[write.name for _resource, write in ACTIONS]
)
def test_rule_page_and_api_agree(org, people, resource, write):
    """GIVEN a fresh object of 甲县 per question WHEN every persona asks the rule, posts the
    page and calls the API for the action THEN the three answers agree."""
    declared = resource()
    maker = write.make or declared.make
    client, api = Client(), APIClient()
    rows: dict[str, tuple[bool, bool, int, bool, int]] = {}
    for persona in PERSONAS:
        user = people[persona]
        as_persona(client, api, None if user is None else fresh(user))
        assert write.rule is not None
        obj = maker(org, org.county_a)
        allowed = write.rule(fresh(user), obj)
        page = attempt_page(write, client, obj)
        page_wrote = write.done(obj)
        obj = maker(org, org.county_a)
        response = attempt_api(write, api, obj)
        api_wrote = write.done(obj)
        rows[persona] = (allowed, page_wrote, page.status_code, api_wrote, response.status_code)

    table = "\n".join(
        f"{persona:14} rule={allowed!s:5} page={page_wrote!s:5} ({page_code}) "
        f"api={api_wrote!s:5} ({api_code})"
        for persona, (allowed, page_wrote, page_code, api_wrote, api_code) in rows.items()
    )
    disagree = {
        persona
        for persona, (allowed, page_wrote, _p, api_wrote, _a) in rows.items()
        if not allowed == page_wrote == api_wrote
    }
    known = {persona for action, persona in KNOWN if action == write.name}
    assert disagree == known, f"{write.name}: rule, page and API disagree\n{table}"
    # The API answers a write with success and a refusal with an error, never the other way.
    contradicted = [p for p, row in rows.items() if (row[4] < 300) != row[3]]
    assert not contradicted, f"{write.name}: status and write disagree\n{table}"
    answers = {allowed for allowed, *_rest in rows.values()}
    assert answers == {True, False}, f"{write.name}: one answer for everyone\n{table}"
