"""The two forms of every ledger rule agree: the predicate (``can_*``) for one object and the
filter (``*_q``) for lists, for every persona and every object.

For each persona the filter's answer is read in one query over all the objects, which is
``Model.objects.filter(pk=obj.pk).filter(q).exists()`` for each of them at once; the
predicate is asked per object. A queue built from the filter must never offer a button
whose POST the predicate refuses, nor hide one it allows.

The objects cover what the rules look at: items of every unit of the tree, without a chain,
with a chain led by another unit (市发改委 leading a chain whose items belong to 甲县, 甲县住建局
leading 甲县's chain), and with a chain led by the item's own unit; sign-off requests on each
of them asked for by six different people; ledgers owned at every level; every unit as a
meeting's host.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from accounts.models import Post, Role, Unit, User
from accounts.tests.factories import MembershipFactory, RoleAssignmentFactory, UserFactory
from campaign.tests.builders import add_chain
from tasks_ledger import rules
from tasks_ledger.models import Ledger, LedgerItem, ReviewStatus, SignOffRequest
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db


@dataclass
class World:
    """The org fixture, more personas, and objects of every shape the rules look at."""

    personas: dict[str, Any]
    units: list[Unit]
    lead_city: User
    items: dict[str, LedgerItem]  # "<unit code>/<chain name>"


def _person(name: str, unit: Unit, post: str = Post.STAFF, **fields: Any) -> User:
    user = cast(User, UserFactory(username=name, name=name, **fields))
    MembershipFactory(user=user, unit=unit, post=post)
    return user


@pytest.fixture
def world(org) -> World:
    # People the shared personas do not cover: lead departments' staff, a county's own
    # campaign office, an official who also works in a lead department (read only all the
    # same), a township member, and someone whose account was switched off.
    lead_city = _person("lead_city", org.city_dept)
    lead_a = _person("lead_a", org.county_a_dept)
    county_office = UserFactory(username="county_office", name="甲县能力作风办")
    RoleAssignmentFactory(user=county_office, role=Role.CAMPAIGN_OFFICE, scope=org.county_a)
    official_lead = _person("official_lead", org.city_dept)
    RoleAssignmentFactory(user=official_lead, role=Role.OFFICIAL, scope=org.city)
    township = _person("township", org.township_a, Post.LIAISON)
    inactive = _person("inactive", org.county_a, Post.LIAISON, is_active=False)
    personas: dict[str, Any] = {
        **org.personas(),
        "lead_city": lead_city,
        "lead_a": lead_a,
        "county_office": county_office,
        "official_lead": official_lead,
        "township": township,
        "inactive": inactive,
        "anonymous": AnonymousUser(),
    }

    chains = {
        "none": None,
        # Led by another unit than the items' (the city's department leads across counties).
        "city_dept": add_chain(
            subject="重点项目攻坚", unit=org.city, lead=org.city_dept, campaign=org.campaign
        ),
        "a_dept": add_chain(
            subject="老旧小区改造", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
        ),
        # Led by 甲县 itself: for 甲县's items the lead department is the item's own unit.
        "a_self": add_chain(
            subject="营商环境", unit=org.county_a, lead=org.county_a, campaign=org.campaign
        ),
        "b_self": add_chain(
            subject="道路养护", unit=org.county_b, lead=org.county_b, campaign=org.campaign
        ),
    }
    units = [
        org.province,
        org.city,
        org.city_dept,
        org.county_a,
        org.county_a_dept,
        org.township_a,
        org.county_b,
    ]
    ledger = make_ledger(org.campaign)
    items = {
        f"{unit.name}/{name}": make_item(ledger, unit, chain=chain, title=f"{unit.name}·{name}")
        for unit in units
        for name, chain in chains.items()
    }

    # Sign-off requests by six people on every item; one waits, the others were decided
    # (the rules do not look at the status, the queues do).
    requesters = [
        personas[name]
        for name in ("inside", "above", "lead_city", "superuser", "county_office", "outsider")
    ]
    requests = []
    for index, item in enumerate(items.values()):
        for turn, requester in enumerate(requesters):
            pending = (index + turn) % len(requesters) == 0
            requests.append(
                SignOffRequest(
                    item=item,
                    requested_by=requester,
                    note="已完成",
                    status=ReviewStatus.PENDING if pending else ReviewStatus.RETURNED,
                    reason="" if pending else "材料不全",
                )
            )
    SignOffRequest.objects.bulk_create(requests)

    for unit in units:
        make_ledger(org.campaign, title=f"{unit.name}的台账", owner=unit)
    return World(personas=personas, units=units, lead_city=lead_city, items=items)


# --- the pairs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    """A rule's two forms and the objects to ask them about."""

    name: str
    objects: Callable[[], QuerySet[Any]]
    can: Callable[[Any, Any], bool]
    q: Callable[[Any], Q]


def _items() -> QuerySet[LedgerItem]:
    return LedgerItem.objects.select_related("unit", "chain__lead_department")


def _signoffs() -> QuerySet[SignOffRequest]:
    return SignOffRequest.objects.select_related("item__unit", "item__chain__lead_department")


PAIRS = [
    Pair("can_view_item", _items, rules.can_view_item, rules.viewable_items_q),
    # The same rule reached through a relation, as the queues and record lists use it.
    Pair(
        "can_view_item (item__)",
        _signoffs,
        lambda user, request: rules.can_view_item(user, request.item),
        lambda user: rules.viewable_items_q(user, "item__"),
    ),
    Pair("can_update_item", _items, rules.can_update_item, rules.updatable_items_q),
    Pair(
        "can_update_item (item__)",
        _signoffs,
        lambda user, request: rules.can_update_item(user, request.item),
        lambda user: rules.updatable_items_q(user, "item__"),
    ),
    Pair("can_review_item", _items, rules.can_review_item, rules.reviewable_items_q),
    Pair(
        "can_review_item (item__)",
        _signoffs,
        lambda user, request: rules.can_review_item(user, request.item),
        lambda user: rules.reviewable_items_q(user, "item__"),
    ),
    Pair("can_verify_signoff", _signoffs, rules.can_verify_signoff, rules.verifiable_signoffs_q),
    Pair(
        "can_record_meeting",
        lambda: Unit.objects.all(),
        rules.can_record_meeting,
        rules.meeting_host_units_q,
    ),
    Pair(
        "can_add_to_ledger",
        lambda: Ledger.objects.select_related("owner_unit"),
        rules.can_add_to_ledger,
        rules.ledgers_open_to_additions_q,
    ),
]


def fresh(user: Any) -> Any:
    """The user loaded afresh, as a request would (no jurisdiction memo from another ask)."""
    if isinstance(user, AnonymousUser):
        return user
    return User.objects.get(pk=user.pk)


def describe(obj: Model) -> str:
    if isinstance(obj, LedgerItem):
        return f"item {obj.title}"
    if isinstance(obj, SignOffRequest):
        return f"sign-off of {obj.item.title} asked by {obj.requested_by.username}"
    return f"{type(obj).__name__} {obj}"


@pytest.mark.parametrize("pair", PAIRS, ids=[p.name for p in PAIRS])
def test_predicate_and_filter_agree(world, pair):
    """GIVEN every persona and every object WHEN the predicate and the filter are asked
    THEN they give the same answer, and the rule both allows and refuses somebody."""
    objects = list(pair.objects())
    model = type(objects[0])
    pks = [obj.pk for obj in objects]
    disagreements = []
    answers = set()
    for persona, user in world.personas.items():
        user = fresh(user)
        filtered = set(
            model.objects.filter(pk__in=pks).filter(pair.q(user)).values_list("pk", flat=True)
        )
        for obj in objects:
            allowed = pair.can(user, obj)
            answers.add(allowed)
            if allowed != (obj.pk in filtered):
                disagreements.append(
                    f"{persona} × {describe(obj)}: can={allowed} q={obj.pk in filtered}"
                )
    assert not disagreements, "\n".join(disagreements)
    assert answers == {True, False}, "the rule gives one answer to everyone: nothing is tested"


def test_recording_a_meeting_anywhere_is_the_filter_being_non_empty(world):
    """``can_record_meeting(user)`` (no host) says whether the form has any host to offer."""
    for persona, user in world.personas.items():
        user = fresh(user)
        offered = Unit.objects.filter(rules.meeting_host_units_q(user)).exists()
        assert rules.can_record_meeting(user) == offered, persona


# --- the rules themselves, at the points where they turn ------------------------------------
# The agreement above would hold for two forms that are both wrong; these pin the answers
# the module docstring of tasks_ledger.rules promises.


def _ask(world: World, persona: str, rule: Callable[[Any, Any], bool], item_key: str) -> bool:
    item = _items().get(pk=world.items[item_key].pk)
    return rule(fresh(world.personas[persona]), item)


def test_a_lead_department_sees_the_items_it_leads_for_another_unit(world):
    assert _ask(world, "lead_city", rules.can_view_item, "甲县/city_dept")
    assert not _ask(world, "lead_city", rules.can_view_item, "甲县/none")
    assert not _ask(world, "lead_city", rules.can_update_item, "甲县/city_dept")
    assert _ask(world, "lead_a", rules.can_view_item, "甲县/a_dept")
    # 乙县 leads the chain that one of 甲县's items is on.
    assert _ask(world, "outsider", rules.can_view_item, "甲县/b_self")
    assert not _ask(world, "outsider", rules.can_view_item, "甲县/a_self")


def test_the_office_reviews_and_a_county_does_not(world):
    assert _ask(world, "above", rules.can_review_item, "乙县/none")
    assert _ask(world, "admin", rules.can_review_item, "甲县/none")
    assert _ask(world, "county_office", rules.can_review_item, "甲镇/none")
    assert not _ask(world, "county_office", rules.can_review_item, "乙县/none")
    assert not _ask(world, "inside", rules.can_review_item, "甲县/none")
    assert not _ask(world, "official", rules.can_review_item, "甲县/none")


def test_sign_off_is_verified_by_office_or_lead_never_by_the_requester_nor_read_only(world):
    def verifies(persona: str, item_key: str, requester: str) -> bool:
        request = _signoffs().get(
            item=world.items[item_key], requested_by=world.personas[requester]
        )
        return rules.can_verify_signoff(fresh(world.personas[persona]), request)

    assert verifies("lead_city", "甲县/city_dept", "inside")
    assert not verifies("lead_city", "甲县/city_dept", "lead_city")  # asked for it themselves
    assert not verifies("lead_city", "甲县/none", "inside")
    assert verifies("above", "甲县/none", "inside")
    assert not verifies("above", "甲县/none", "above")
    assert verifies("superuser", "甲县/none", "above")
    assert not verifies("official_lead", "甲县/city_dept", "inside")  # read only
    assert not verifies("inside", "甲县/none", "outsider")
    # A unit leading its own item's chain does not thereby verify its own sign-off.
    assert not verifies("inside", "甲县/a_self", "above")
    # Nor its townships' items: it reports for them, so the office verifies.
    assert not verifies("inside", "甲镇/a_self", "above")


def test_meetings_and_ledgers_open_to_the_office_and_to_units(world):
    org_units = {unit.name: unit for unit in world.units}
    assert rules.can_record_meeting(fresh(world.personas["above"]), org_units["测试市"])
    assert not rules.can_record_meeting(fresh(world.personas["county_office"]), org_units["测试市"])
    assert not rules.can_record_meeting(fresh(world.personas["inside"]), org_units["甲县"])
    city_ledger = Ledger.objects.get(title="测试市的台账")
    assert rules.can_add_to_ledger(fresh(world.personas["inside"]), city_ledger)
    assert not rules.can_add_to_ledger(fresh(world.personas["official"]), city_ledger)
