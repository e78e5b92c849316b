"""The permission matrix: every role × every page and endpoint × inside and outside.

Rows are personas from the root ``org`` fixture; the columns are what each may do with
records of 甲县 (inside the inside user's unit), of 乙县 (the outsider's county) and with a
campaign owned by 乙县. "404" means the record does not exist for that user (nothing leaks),
"403" means they can see it but may not change it. Ledger resources have their generic
cases in ``tasks_ledger/tests/test_resources.py`` (see ``tests/resources.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.urls import reverse

from accounts.models import Post
from accounts.tests.factories import MembershipFactory, UserFactory
from campaign.services import campaign_create, chain_create

pytestmark = pytest.mark.django_db

PERSONAS = [
    "inside",
    "above",
    "supervisor",
    "outsider",
    "official",
    "assessor",
    "admin",
    "superuser",
]


@dataclass
class World:
    """The org fixture plus a chain in 甲县, one in 乙县 and a campaign owned by 乙县."""

    org: object
    chain_a: object
    chain_b: object
    campaign_b: object


def _chain(org, unit, dept, suffix):
    leaders = {}
    for post in (Post.PRINCIPAL_LEADER, Post.LEADER_IN_CHARGE):
        leaders[post] = UserFactory(name=f"{unit.name}{post}")
        MembershipFactory(user=leaders[post], unit=unit, post=post)
    clerk = UserFactory(name=f"{dept.name}科员")
    MembershipFactory(user=clerk, unit=dept, post=Post.STAFF)
    return chain_create(
        actor=None,
        subject=f"责任事项{suffix}",
        unit=unit,
        principal_leader=leaders[Post.PRINCIPAL_LEADER],
        leader_in_charge=leaders[Post.LEADER_IN_CHARGE],
        lead_department=dept,
        responsible_person=clerk,
        campaign=org.campaign,
    )


@pytest.fixture
def world(org):
    chain_a = _chain(org, org.county_a, org.county_a_dept, "甲")
    chain_b = _chain(org, org.county_b, org.county_b, "乙")
    campaign_b = campaign_create(
        actor=None,
        owner_unit=org.county_b,
        name="乙县作风提升行动",
        year=2022,
        start_date=dt.date(2022, 3, 1),
        end_date=dt.date(2022, 12, 31),
        status="active",
    )
    return World(org=org, chain_a=chain_a, chain_b=chain_b, campaign_b=campaign_b)


# --- who can read what ------------------------------------------------------------------
# Expected status per persona for: (甲县 unit, 乙县 unit, chain in 甲县, chain in 乙县,
# campaign owned by 乙县).
READ = {
    "inside": (200, 404, 200, 404, 404),
    "above": (200, 200, 200, 200, 200),
    "supervisor": (200, 404, 200, 404, 404),
    "outsider": (404, 200, 404, 200, 200),
    "official": (200, 200, 200, 200, 200),
    "assessor": (200, 200, 200, 200, 200),
    "admin": (200, 200, 200, 200, 200),
    "superuser": (200, 200, 200, 200, 200),
}


def _read_targets(world):
    o = world.org
    return (
        ("units", o.county_a.pk),
        ("units", o.county_b.pk),
        ("chains", world.chain_a.pk),
        ("chains", world.chain_b.pk),
        ("campaigns", world.campaign_b.pk),
    )


PAGE_NAMES = {
    "units": "unit-detail",
    "chains": "campaign:chain-detail",
    "campaigns": "campaign:detail",
}
API_NAMES = {
    "units": "api:unit-detail",
    "chains": "api:chain-detail",
    "campaigns": "api:campaign-detail",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_pages_show_only_the_jurisdiction(world, client, persona):
    client.force_login(getattr(world.org, persona))
    for (kind, pk), expected in zip(_read_targets(world), READ[persona], strict=True):
        response = client.get(reverse(PAGE_NAMES[kind], args=[pk]))
        assert response.status_code == expected, (persona, kind, pk)


@pytest.mark.parametrize("persona", PERSONAS)
def test_api_shows_only_the_jurisdiction(world, client, persona):
    client.force_login(getattr(world.org, persona))
    for (kind, pk), expected in zip(_read_targets(world), READ[persona], strict=True):
        response = client.get(reverse(API_NAMES[kind], args=[pk]))
        assert response.status_code == expected, (persona, kind, pk)
        if expected == 404:
            assert response.json()["type"] == "client_error"


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_hold_nothing_from_outside(world, client, persona):
    """The tree page and the unit and chain lists name exactly the visible records."""
    user = getattr(world.org, persona)
    client.force_login(user)
    sees_a, sees_b = READ[persona][0] == 200, READ[persona][1] == 200
    tree = client.get(reverse("unit-list")).content.decode()
    assert ("甲县" in tree) == sees_a
    assert ("乙县" in tree) == sees_b
    units = {
        row["name"]
        for row in client.get(reverse("api:unit-list"), {"page_size": 200}).json()["results"]
    }
    assert ("甲县" in units) == sees_a
    assert ("乙县" in units) == sees_b
    chains = {row["subject"] for row in client.get(reverse("api:chain-list")).json()["results"]}
    assert ("责任事项甲" in chains) == sees_a
    assert ("责任事项乙" in chains) == sees_b


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_signed_in_role_has_a_home_page_and_profile(world, client, persona):
    client.force_login(getattr(world.org, persona))
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("campaign:list")).status_code == 200
    me = client.get(reverse("api:me"))
    assert me.status_code == 200
    assert me.json()["username"] == getattr(world.org, persona).username


# --- who can change what ------------------------------------------------------------------
# Expected status of PATCH on the chain in 甲县, then of DELETE on the chain in 乙县.
WRITE = {
    "inside": (200, 404),
    "above": (200, 204),
    "supervisor": (403, 403),  # read-only callers are refused before any lookup
    "outsider": (404, 204),
    "official": (403, 403),
    "assessor": (403, 403),
    "admin": (200, 204),
    "superuser": (200, 204),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_chain_writes_follow_the_jurisdiction(world, client, persona):
    client.force_login(getattr(world.org, persona))
    patch_status, delete_status = WRITE[persona]
    response = client.patch(
        reverse("api:chain-detail", args=[world.chain_a.pk]),
        {"subject": f"{persona}改过"},
        content_type="application/json",
    )
    assert response.status_code == patch_status, response.content
    world.chain_a.refresh_from_db()
    assert (world.chain_a.subject == f"{persona}改过") == (patch_status == 200)
    response = client.delete(reverse("api:chain-detail", args=[world.chain_b.pk]))
    assert response.status_code == delete_status, response.content
    still_there = type(world.chain_b).objects.filter(pk=world.chain_b.pk).exists()
    assert still_there == (delete_status != 204)


# --- nobody signed in ---------------------------------------------------------------------
def test_anonymous_is_sent_to_login_or_refused(world, client):
    for name, args in (
        ("home", []),
        ("unit-list", []),
        ("unit-detail", [world.org.county_a.pk]),
        ("campaign:list", []),
        ("campaign:detail", [world.org.campaign.pk]),
        ("campaign:chain-detail", [world.chain_a.pk]),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    for name, args in (
        ("api:me", []),
        ("api:unit-list", []),
        ("api:chain-detail", [world.chain_a.pk]),
        ("api:campaign-list", []),
    ):
        response = client.get(reverse(name, args=args))
        assert response.status_code == 401, name
        assert response.json()["type"] == "client_error"


# --- ledger items -------------------------------------------------------------------------
# Item pages, the API, their lists and every workflow write, for every persona, come from
# the generic resource cases (tasks_ledger/tests/test_resources.py, tests/resources.py) and
# the action-parity test (tests/test_action_parity.py). The Excel export is checked here.


@pytest.fixture
def items(org):
    from tasks_ledger.tests.factories import make_item, make_ledger

    ledger = make_ledger(org.campaign)
    return make_item(ledger, org.county_a), make_item(ledger, org.county_b)


@pytest.mark.parametrize("persona", PERSONAS)
def test_ledger_export_holds_nothing_from_outside(org, items, client, persona):
    from io import BytesIO

    from openpyxl import load_workbook

    from tests.resources import SEES

    client.force_login(getattr(org, persona))
    sees_a, sees_b = SEES[persona]
    export = client.get(reverse("ledger:export"))
    assert export.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(export.streaming_content))).worksheets[0]
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c}
    assert ("甲县重点任务" in cells) == sees_a
    assert ("乙县重点任务" in cells) == sees_b
