"""Ledger API: ledgers, areas, items with cursor pages and optimistic concurrency, progress,
sign-off and extension workflows, review queues and meetings.

Every endpoint is checked with the personas of the root ``org`` fixture: ``inside`` (liaison
of 甲县), ``outsider`` (乙县: 404 on 甲县's records), ``official`` and other read-only
people (403 on writes) and ``above`` (the campaign office, which reviews and verifies).
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.translation import gettext, override
from pghistory.models import Events
from rest_framework.request import Request
from rest_framework.test import APIClient, APIRequestFactory

from accounts.models import Post, Role, User
from accounts.services import api_token_create
from accounts.tests.factories import MembershipFactory, RoleAssignmentFactory, UserFactory
from campaign.services import chain_create
from campaign.tests.factories import CampaignFactory
from config.api.pagination import KeysetCursorPagination
from tasks_ledger import selectors, services
from tasks_ledger.filtersets import LedgerItemFilterSet
from tasks_ledger.models import (
    Evidence,
    ExtensionRequest,
    ItemStatus,
    LedgerItem,
    LedgerKind,
    ProgressReport,
    ReviewMeeting,
    SignOffRequest,
)
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
TODAY = dt.date(2022, 6, 1)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen(settings, tmp_path):
    """Deadlines are about dates: freeze the clock; keep uploaded evidence out of the tree."""
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        yield


def api(user: User | None = None) -> APIClient:
    """A client authenticating with the user's token (the user is loaded afresh per request)."""
    client = APIClient()
    if user is not None:
        _token, key = api_token_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def results(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response: Any) -> set[int]:
    return {row["id"] for row in results(response)}


def assert_error(response: Any, status: int, code: str, attr: str | None = None) -> dict:
    """The one error shape: ``{"type", "errors": [{"code", "detail", "attr"}]}``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    assert (code, attr) in {(e["code"], e["attr"]) for e in body["errors"]}, body
    assert all(e["detail"] for e in body["errors"])
    return body


def pdf(name: str = "证明材料.pdf") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def fake_pdf() -> Any:
    """A file named .pdf that is really an executable script."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("报告.pdf", b"#!/bin/sh\nrm -rf /\n", content_type="application/pdf")


def item_url(item: LedgerItem, action: str = "") -> str:
    if action:
        return reverse(f"api:ledger-item-{action}", args=[item.pk])
    return reverse("api:ledger-item-detail", args=[item.pk])


def make_chain(org: Any, *, lead=None, subject: str = "老旧小区改造") -> Any:
    """A chain for 甲县 with its posts filled; the lead department is 甲县住建局 unless told."""
    lead = lead or org.county_a_dept
    people = {}
    for post in (Post.PRINCIPAL_LEADER, Post.LEADER_IN_CHARGE):
        people[post] = UserFactory(name=f"甲县{post}")
        MembershipFactory(user=people[post], unit=org.county_a, post=post)
    clerk = UserFactory(name="住建局科长")
    MembershipFactory(user=clerk, unit=lead, post=Post.STAFF)
    return chain_create(
        actor=None,
        subject=subject,
        unit=org.county_a,
        principal_leader=people[Post.PRINCIPAL_LEADER],
        leader_in_charge=people[Post.LEADER_IN_CHARGE],
        lead_department=lead,
        responsible_person=clerk,
        cooperating_departments=[org.township_a],
        campaign=org.campaign,
    )


@pytest.fixture
def ledger(org):
    return make_ledger(org.campaign)


@pytest.fixture
def a(org, ledger):
    """An item of 甲县, due at the end of June."""
    return make_item(ledger, org.county_a, title="甲县老旧小区改造", deadline=dt.date(2022, 6, 30))


@pytest.fixture
def b(org, ledger):
    """An item of 乙县."""
    return make_item(ledger, org.county_b, title="乙县背街小巷整治")


def read(client: APIClient, item: LedgerItem) -> dict[str, Any]:
    response = client.get(item_url(item))
    assert response.status_code == 200, response.content
    return response.json()


# --- ledgers and areas ----------------------------------------------------------------------


def test_ledgers_are_scoped_to_what_the_caller_sees(org, ledger, a, b):
    only_a = make_ledger(org.campaign, title="甲县问题清单", kind=LedgerKind.PROBLEM)
    make_item(only_a, org.county_a)
    url = reverse("api:ledger-list")
    assert ids(api(org.inside).get(url)) == {ledger.pk, only_a.pk}
    assert ids(api(org.outsider).get(url)) == {ledger.pk}
    for persona in ("above", "official", "assessor", "superuser"):
        assert ids(api(getattr(org, persona)).get(url)) == {ledger.pk, only_a.pk}, persona
    row = next(r for r in results(api(org.inside).get(url)) if r["id"] == ledger.pk)
    assert row["visible_items"] == 1 and row["area"]["name"] == "项目建设"
    assert_error(
        api(org.outsider).get(reverse("api:ledger-detail", args=[only_a.pk])), 404, "not_found"
    )


def test_ledger_filters_by_campaign_area_and_kind(org, ledger, a):
    problems = make_ledger(org.campaign, title="问题清单", kind=LedgerKind.PROBLEM, area="作风")
    make_item(problems, org.county_a)
    url = reverse("api:ledger-list")
    client = api(org.above)
    assert ids(client.get(url, {"kind": LedgerKind.PROBLEM})) == {problems.pk}
    assert ids(client.get(url, {"area": problems.area_id})) == {problems.pk}
    assert ids(client.get(url, {"campaign": org.campaign.pk})) == {ledger.pk, problems.pk}
    hidden = CampaignFactory(owner_unit=org.county_b)
    assert_error(
        api(org.inside).get(url, {"campaign": hidden.pk}), 400, "invalid_choice", "campaign"
    )


def test_areas_are_those_of_campaigns_the_caller_takes_part_in(org, ledger):
    theirs = make_ledger(
        CampaignFactory(owner_unit=org.county_b), title="乙县台账", area="乙县方面"
    )
    url = reverse("api:area-list")
    assert ids(api(org.inside).get(url)) == {ledger.area_id}
    assert ids(api(org.outsider).get(url)) == {ledger.area_id, theirs.area_id}
    assert ids(api(org.outsider).get(url, {"campaign": org.campaign.pk})) == {ledger.area_id}
    detail = reverse("api:area-detail", args=[theirs.area_id])
    assert_error(api(org.inside).get(detail), 404, "not_found")


def test_ledgers_and_areas_are_read_only(org):
    for name in ("api:ledger-list", "api:area-list"):
        assert_error(api(org.superuser).post(reverse(name), {}), 405, "method_not_allowed")


@pytest.mark.parametrize("extra", [1, 21])
def test_area_list_query_count_does_not_grow(org, django_assert_num_queries, extra):
    from tasks_ledger.services import area_get_or_create

    for n in range(extra + 1):
        area_get_or_create(actor=None, campaign=org.campaign, name=f"方面{n}")
    client = api(org.inside)
    # 1 token · 3 jurisdiction · 1 count · 1 page of areas (campaigns taken part in are a
    # subquery).
    with django_assert_num_queries(6):
        response = client.get(reverse("api:area-list"), {"page_size": 100})
    assert len(results(response)) == extra + 1


@pytest.mark.parametrize("extra", [1, 21])
def test_ledger_list_query_count_does_not_grow(org, django_assert_num_queries, extra):
    for n in range(extra + 1):
        make_item(make_ledger(org.campaign, title=f"台账{n}"), org.county_a)
    client = api(org.inside)
    # 1 token and its user · 3 jurisdiction (posts, roles, supervised units) · 1 the campaign
    # filter's choice among visible campaigns · 1 the ids of the units seen · 1 count · 1 page
    # of ledgers with campaign, area, owner and task force joined and the visible-item counts
    # summed from the kept counts.
    with django_assert_num_queries(8):
        response = client.get(
            reverse("api:ledger-list"), {"page_size": 100, "campaign": org.campaign.pk}
        )
    assert len(results(response)) == extra + 1


# --- items: reading -------------------------------------------------------------------------


def test_items_are_scoped_per_persona(org, a, b):
    url = reverse("api:ledger-item-list")
    expected = {
        "inside": {a.pk},
        "supervisor": {a.pk},
        "outsider": {b.pk},
        "above": {a.pk, b.pk},
        "official": {a.pk, b.pk},
        "assessor": {a.pk, b.pk},
        "admin": {a.pk, b.pk},
        "superuser": {a.pk, b.pk},
    }
    for persona, seen in expected.items():
        assert ids(api(getattr(org, persona)).get(url)) == seen, persona


def test_item_row_carries_light_days_left_version_unit_and_chain(org, ledger):
    chain = make_chain(org)
    overdue = make_item(ledger, org.county_a, deadline=dt.date(2022, 5, 20), chain=chain)
    row = results(api(org.inside).get(reverse("api:ledger-item-list")))[0]
    assert row["id"] == overdue.pk
    assert row["light"] == "red" and row["light_display"]
    assert row["days_left"] == -12
    assert row["version"] == 1
    assert row["unit"]["name"] == "甲县"
    assert row["area"]["name"] == "项目建设"
    assert row["ledger"] == {"id": ledger.pk, "title": ledger.title, "kind": "key_task"}
    assert row["chain"]["subject"] == "老旧小区改造"
    assert row["chain"]["lead_department"]["id"] == org.county_a_dept.pk
    assert row["chain"]["responsible_person"]["name"] == "住建局科长"
    for name in ("symptom", "petitioner_demand", "planned_investment", "actual_completion"):
        assert name in row


def test_item_detail_has_milestones_measures_chain_line_and_etag(org, ledger):
    chain = make_chain(org)
    item = services.ledger_item_create(
        actor=None,
        ledger=make_ledger(org.campaign, kind=LedgerKind.HARD_PROBLEM, title="攻坚难题"),
        unit=org.county_a,
        title="城区内涝治理",
        start_date=dt.date(2022, 3, 1),
        deadline=dt.date(2022, 9, 30),
        chain=chain,
        milestones=[services.MilestoneSpec("完成设计", dt.date(2022, 5, 1))],
        measure_texts=["清淤", "改造管网", "建设泵站"],
    )
    response = api(org.official).get(item_url(item))
    assert response.status_code == 200
    body = response.json()
    assert response["ETag"] == 'W/"1"' and body["version"] == 1
    assert [m["title"] for m in body["milestones"]] == ["完成设计"]
    assert [m["text"] for m in body["measure_list"]] == ["清淤", "改造管网", "建设泵站"]
    assert body["chain"]["line"] == chain.as_line()
    assert body["project_rates"] is None
    assert body["can_update"] is False  # officials read only
    assert read(api(org.inside), item)["can_update"] is True
    assert read(api(org.inside), item)["can_review"] is False
    assert read(api(org.above), item)["can_review"] is True


def test_key_project_carries_its_rates(org):
    projects = make_ledger(org.campaign, kind=LedgerKind.KEY_PROJECT, title="重点项目台账")
    item = make_item(
        projects,
        org.county_a,
        planned_investment=Decimal(1000),
        funds_in_place=Decimal(800),
        investment_completed=Decimal(250),
        planned_start=dt.date(2022, 3, 1),
        actual_start=dt.date(2022, 3, 10),
        planned_completion=dt.date(2022, 12, 31),
    )
    row = results(api(org.inside).get(reverse("api:ledger-item-list")))[0]
    assert Decimal(row["funds_rate"]) == 80 and Decimal(row["investment_rate"]) == 25
    rates = read(api(org.inside), item)["project_rates"]
    assert Decimal(rates["start_rate"]) == 100
    assert Decimal(rates["funds_rate"]) == 80
    assert Decimal(rates["investment_rate"]) == 25
    assert rates["on_time_rate"] is None  # not due yet


def test_list_rows_are_written_as_the_items_themselves_would_be(org):
    """GIVEN items of every shape (a key project with amounts and dates, a problem, one in a
    chain, one signed off, one with no deadline) WHEN the list writes them from its plain
    rows (api/rows.py: no model instances) with its fields built once (config/api/planned.py)
    THEN the JSON is byte for byte what DRF's own loop writes with the same serializer from
    the items loaded as models, in Chinese as in English."""
    from rest_framework.renderers import JSONRenderer
    from rest_framework.serializers import ListSerializer

    from config.api.planned import PlannedListSerializer
    from tasks_ledger.api.pagination import rows_in_order
    from tasks_ledger.api.rows import item_rows
    from tasks_ledger.api.serializers import LedgerItemListSerializer
    from tasks_ledger.api.views import LIST_COLUMNS

    projects = make_ledger(org.campaign, kind=LedgerKind.KEY_PROJECT, title="重点项目台账")
    problems = make_ledger(org.campaign, kind=LedgerKind.PROBLEM, title="问题清单", area="作风")
    tasks = make_ledger(org.campaign)
    made = [
        make_item(
            projects,
            org.county_a,
            planned_investment=Decimal("1000.5"),
            funds_in_place=Decimal(800),
            investment_completed=Decimal("250.25"),
            planned_start=dt.date(2022, 3, 1),
            actual_start=dt.date(2022, 3, 10),
            planned_completion=dt.date(2022, 12, 31),
        ),
        make_item(problems, org.county_b, symptom="推诿扯皮", rectification="限期整改"),
        make_item(tasks, org.county_a, chain=make_chain(org), progress=30),
        make_item(tasks, org.township_a, deadline=None),
        make_item(projects, org.county_a_dept, title="已销号项目"),
    ]
    LedgerItem.objects.filter(pk=made[-1].pk).update(
        status=ItemStatus.SIGNED_OFF, progress=100, signed_off_at=NOW
    )
    keys = [item.pk for item in reversed(made)]
    models = rows_in_order(
        selectors.with_project_rates(selectors.ledger_items(user=org.above)), keys
    )
    for language in ("zh-hans", "en"):
        with override(language):
            fast = LedgerItemListSerializer(item_rows(ids=keys, columns=LIST_COLUMNS), many=True)
            # DRF's own loop over model instances, each serializer's fields built for it
            # (the list's PlannedListSerializer builds them once a process).
            slow = ListSerializer(child=LedgerItemListSerializer(), instance=models)
            assert isinstance(fast, PlannedListSerializer)
            assert JSONRenderer().render(fast.data) == JSONRenderer().render(slow.data)
    listed = results(api(org.above).get(reverse("api:ledger-item-list")))
    assert {row["id"] for row in listed} >= set(keys)
    assert item_rows(ids=[], columns=LIST_COLUMNS) == []


def test_outsider_gets_404_on_the_item_and_every_action(org, a):
    client = api(org.outsider)
    headers = {"HTTP_IF_MATCH": 'W/"1"'}
    assert_error(client.get(item_url(a)), 404, "not_found")
    assert_error(
        client.patch(item_url(a), {"title": "x"}, format="json", **headers), 404, "not_found"
    )
    assert_error(
        client.post(item_url(a, "progress"), {"percent": 50, "text": "x"}, **headers),
        404,
        "not_found",
    )
    assert_error(
        client.post(item_url(a, "signoff"), {"note": "x", "files": [pdf()]}, **headers),
        404,
        "not_found",
    )
    assert_error(
        client.post(item_url(a, "extension"), {"reason": "x", "new_deadline": "2022-09-01"}),
        404,
        "not_found",
    )
    a.refresh_from_db()
    assert (a.title, a.version, a.progress) == ("甲县老旧小区改造", 1, 0)
    assert not ExtensionRequest.objects.exists()


def page_ids(user: User, params: dict[str, Any]) -> list[int]:
    """The page's rows for these filters: the FilterSet over the selector, as the page runs it."""
    request = RequestFactory().get("/ledgers/", params)
    request.user = user
    filterset = LedgerItemFilterSet(
        request.GET, queryset=selectors.ledger_items(user=user), request=request
    )
    assert filterset.is_valid(), filterset.errors
    return [item.pk for item in filterset.qs]


def api_ids(client: APIClient, params: dict[str, Any]) -> list[int]:
    """Every row of the API list for these filters, walking all pages."""
    url: str | None = reverse("api:ledger-item-list")
    query: dict[str, Any] | None = {**params, "page_size": 3}
    seen: list[int] = []
    while url:
        body = client.get(url, query).json()
        seen.extend(row["id"] for row in body["results"])
        url, query = body["next"], None
    return seen


def sort_value(row: dict[str, Any], key: str) -> Any:
    """What a row is ordered by, as far as the API shows it (ties may come in any order)."""
    if key == "light":
        return ["none", "green", "yellow", "red"].index(row["light"])
    if key == "unit":  # by tree path: the units come in the same sequence
        return row["unit"]["id"]
    return row[key]


def test_filters_are_the_pages(org, ledger):
    """GIVEN items across units, statuses, lights and deadlines WHEN the API is filtered as the
    page is THEN both list the same items (and, when ordered, in the same order)."""
    problems = make_ledger(org.campaign, kind=LedgerKind.PROBLEM, title="问题清单", area="作风")
    make_item(ledger, org.county_a, title="修路", deadline=dt.date(2022, 5, 1))  # red
    make_item(ledger, org.township_a, title="修桥", deadline=dt.date(2022, 6, 2), progress=50)
    make_item(ledger, org.county_a_dept, title="改造小区", deadline=dt.date(2022, 12, 1))
    make_item(ledger, org.county_b, title="乙县修路", status=ItemStatus.IN_PROGRESS)
    make_item(problems, org.county_a, title="作风问题", symptom="推诿扯皮", progress=30)
    make_item(problems, org.county_a, title="已销号问题", status=ItemStatus.CANCELLED)
    cases: list[dict[str, Any]] = [
        {},
        {"light": "red"},
        {"light": ["yellow", "green"]},
        {"status": "in_progress"},
        {"kind": LedgerKind.PROBLEM},
        {"area": problems.area_id},
        {"ledger": ledger.pk},
        {"unit": org.county_a.pk},
        {"q": "修路"},
        {"q": "推诿"},
        {"deadline_after": "2022-06-01", "deadline_before": "2022-06-30"},
        {"three": "in_progress"},
        {"three": "new"},
    ]
    for user in (org.above, org.inside):
        client = api(user)
        for params in cases:
            assert set(api_ids(client, params)) == set(page_ids(user, params)), params
        for ordering in ("deadline", "-light", "unit", "-progress", "code"):
            params = {"ordering": ordering}
            walked = api_ids(client, params)
            page = page_ids(user, params)
            assert sorted(walked) == sorted(page)
            rows = {
                r["id"]: r
                for r in results(
                    client.get(reverse("api:ledger-item-list"), {**params, "page_size": 100})
                )
            }
            key = ordering.lstrip("-")
            assert [sort_value(rows[pk], key) for pk in walked] == [
                sort_value(rows[pk], key) for pk in page
            ], ordering


def test_api_pages_are_the_pages_keyset_pages(org, ledger, client):
    """GIVEN items WHEN the page and the API are asked for the same filters and order THEN
    both show the same rows in the same order, the API's keys read as the page reads them
    (one ROW comparison after a cursor, no join), and its cursor walks both ways."""
    for n in range(7):
        make_item(ledger, [org.county_a, org.township_a][n % 2], progress=(n % 3) * 10)
    client.force_login(org.inside)
    for params in ({}, {"ordering": "-progress"}, {"ordering": "-light", "q": "甲县"}):
        html = client.get("/ledgers/items/", params).content.decode()
        shown = [int(pk) for pk in re.findall(r'<tbody id="item-(\d+)"', html)]
        assert shown and shown == api_ids(api(org.inside), params), params
    with CaptureQueriesContext(connection) as captured:
        body = api(org.inside).get(reverse("api:ledger-item-list"), {"page_size": 3}).json()
        body = api(org.inside).get(body["next"]).json()
    keys = [q["sql"] for q in captured.captured_queries if ' AS "k0"' in q["sql"]]
    assert len(keys) == 2 and ") > (" in keys[1] and "JOIN" not in keys[1]
    back = api(org.inside).get(body["previous"]).json()
    assert [r["id"] for r in back["results"]] == api_ids(api(org.inside), {})[:3]


def test_api_keys_are_scoped_as_the_pages(org, ledger):
    """GIVEN a county's liaison and an office over the whole tree WHEN each lists items THEN
    the county's keys are among its units' ids, read first, and the office's keys carry no
    unit filter at all (every unit: 5,000 ids at a province would exclude nothing)."""
    make_item(ledger, org.county_a)
    make_item(ledger, org.county_b)
    whole = UserFactory(username="province_office")
    RoleAssignmentFactory(user=whole, role=Role.CAMPAIGN_OFFICE, scope=org.province)
    for user, filtered, seen in ((org.inside, True, 1), (whole, False, 2)):
        with CaptureQueriesContext(connection) as captured:
            rows = results(api(user).get(reverse("api:ledger-item-list")))
        keys = next(q["sql"] for q in captured.captured_queries if ' AS "k0"' in q["sql"])
        assert ('"unit_id" = ANY(' in keys) is filtered and len(rows) == seen, keys


def test_invalid_filter_value_is_400(org, a):
    response = api(org.inside).get(reverse("api:ledger-item-list"), {"light": "purple"})
    assert_error(response, 400, "invalid_choice", "light")
    hidden = make_item(a.ledger, org.county_b)
    response = api(org.inside).get(reverse("api:ledger-item-list"), {"unit": hidden.unit_id})
    assert_error(response, 400, "invalid_choice", "unit")


@pytest.mark.parametrize("ordering", [None, "deadline", "-light", "unit", "-progress", "updated"])
def test_cursor_pages_walk_every_item_once_both_ways(org, ledger, ordering):
    """GIVEN 23 items with many ties in every ordering WHEN the list is walked with small
    pages, forwards then backwards THEN every item comes exactly once, in order."""
    other = make_ledger(org.campaign, title="第二台账", area="作风")
    for n in range(23):
        make_item(
            ledger if n % 2 else other,
            [org.county_a, org.township_a, org.county_a_dept][n % 3],
            deadline=dt.date(2022, 5, 25) + dt.timedelta(days=7 * (n % 4)),
            progress=(n % 3) * 10,
        )
    client = api(org.inside)
    params = {"page_size": 4} | ({"ordering": ordering} if ordering else {})
    everything = [
        r["id"]
        for r in results(client.get(reverse("api:ledger-item-list"), {**params, "page_size": 100}))
    ]
    assert len(everything) == 23

    pages: list[list[int]] = []
    body = client.get(reverse("api:ledger-item-list"), params).json()
    assert body["previous"] is None
    pages.append([r["id"] for r in body["results"]])
    while body["next"]:
        body = client.get(body["next"]).json()
        pages.append([r["id"] for r in body["results"]])
    walked = [pk for page in pages for pk in page]
    assert walked == everything
    assert len(pages) == 6 and all(len(p) == 4 for p in pages[:-1])

    backwards: list[list[int]] = []
    while body["previous"]:
        body = client.get(body["previous"]).json()
        backwards.append([r["id"] for r in body["results"]])
    assert backwards == pages[-2::-1]


def test_default_order_is_area_ledger_and_natural_number(org, ledger):
    second = make_ledger(org.campaign, title="第二台账", area="作风")
    second.area.sort_order = 1
    second.area.save()
    for code in ("10", "2", "1"):
        make_item(second, org.county_a, code=code)
        make_item(ledger, org.county_a, code=code)
    rows = results(api(org.inside).get(reverse("api:ledger-item-list")))
    assert [(r["ledger"]["id"], r["code"]) for r in rows] == [
        (ledger.pk, "1"),
        (ledger.pk, "2"),
        (ledger.pk, "10"),
        (second.pk, "1"),
        (second.pk, "2"),
        (second.pk, "10"),
    ]


def test_cursor_survives_inserts_between_pages(org, ledger):
    for _n in range(6):
        make_item(ledger, org.county_a)
    client = api(org.inside)
    first = client.get(reverse("api:ledger-item-list"), {"page_size": 3}).json()
    make_item(ledger, org.county_a, code="0")  # sorts before everything already seen
    second = client.get(first["next"]).json()
    seen = [r["id"] for r in first["results"] + second["results"]]
    assert len(seen) == len(set(seen)) == 6


def test_bad_cursors_are_404(org, a):
    url = reverse("api:ledger-item-list")
    client = api(org.inside)
    assert_error(client.get(url, {"cursor": "not-a-cursor"}), 404, "not_found")
    make_item(a.ledger, org.county_a)
    next_url = client.get(url, {"page_size": 1, "ordering": "deadline"}).json()["next"]
    cursor = parse_qs(urlparse(next_url).query)["cursor"][0]
    # A cursor made for one ordering does not page another.
    assert_error(client.get(url, {"cursor": cursor, "ordering": "code"}), 404, "not_found")
    assert (
        client.get(url, {"cursor": cursor, "ordering": "deadline", "page_size": 1}).status_code
        == 200
    )


@pytest.mark.parametrize(
    "ordering",
    [("planned_investment",), ("-planned_investment",), ("-planned_start", "code")],
)
def test_keyset_pages_over_nullable_columns(org, ledger, ordering):
    """GIVEN a column with NULLs and ties WHEN pages are walked both ways THEN they follow the
    database's own order (NULLs last ascending, first descending) with no repeats."""
    for n in range(14):
        make_item(
            ledger,
            org.county_a,
            planned_investment=None if n % 3 == 0 else Decimal(n % 4 * 100),
            planned_start=None if n % 2 else dt.date(2022, 3, 1 + n % 3),
        )
    items = LedgerItem.objects.order_by(*ordering)
    expected = list(items.order_by(*ordering, "pk").values_list("pk", flat=True))
    paginator = KeysetCursorPagination()
    url: str | None = "/api/v1/items/?page_size=4"
    pages = []
    while url:
        page = paginator.paginate_queryset(items, Request(APIRequestFactory().get(url)))
        pages.append([item.pk for item in page or []])
        url = paginator.get_next_link()
    assert [pk for page in pages for pk in page] == expected
    url = paginator.get_previous_link()
    backwards = []
    while url:
        page = paginator.paginate_queryset(items, Request(APIRequestFactory().get(url)))
        backwards.append([item.pk for item in page or []])
        url = paginator.get_previous_link()
    assert backwards == pages[-2::-1]


@pytest.mark.parametrize("extra", [1, 21])
def test_item_list_query_count_does_not_grow(org, ledger, django_assert_num_queries, extra):
    chain = make_chain(org)
    for _n in range(extra + 1):
        make_item(ledger, org.township_a, chain=chain)
    client = api(org.inside)
    # 1 token and its user · 3 jurisdiction · 1 the unit filter's choice among visible units
    # · 1 the ids of the jurisdiction's units · 1 the keys of the page (tasks_ledger.keyset,
    # as the page: from an index, nothing joined) · 1 its rows with light, rates, ledger,
    # area, unit and the chain's department and people joined, by id (no count).
    with django_assert_num_queries(8):
        response = client.get(
            reverse("api:ledger-item-list"),
            {"page_size": 100, "unit": org.county_a.pk, "light": ["green", "yellow"]},
        )
    assert len(results(response)) == extra + 1


# --- items: writing -------------------------------------------------------------------------


def item_payload(org: Any, ledger: Any, **overrides: Any) -> dict[str, Any]:
    return {
        "ledger": ledger.pk,
        "unit": org.county_a.pk,
        "title": "背街小巷整治",
        "start_date": "2022-06-01",
        "deadline": "2022-08-31",
        "measures": "排查、整治、验收",
        "milestones": [{"title": "完成排查", "deadline": "2022-06-30"}],
        "measure_texts": ["排查", "整治"],
        **overrides,
    }


def test_unit_adds_an_item_to_the_citys_ledger(org, ledger, a):
    response = api(org.inside).post(
        reverse("api:ledger-item-list"), item_payload(org, ledger), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["ETag"] == 'W/"1"'
    assert body["code"] == "2"  # the next free number after a's
    assert body["status"] == ItemStatus.NOT_STARTED
    assert [m["title"] for m in body["milestones"]] == ["完成排查"]
    assert [m["text"] for m in body["measure_list"]] == ["排查", "整治"]
    item = LedgerItem.objects.get(pk=body["id"])
    event = Events.objects.references(item).filter(pgh_label="insert").first()
    assert event is not None and event.pgh_context["user"] == org.inside.pk


def test_item_create_checks_references_and_rights(org, ledger):
    url = reverse("api:ledger-item-list")
    # 乙县's liaison cannot name 甲县: it does not exist for them.
    response = api(org.outsider).post(url, item_payload(org, ledger), format="json")
    assert_error(response, 400, "does_not_exist", "unit")
    # Someone who sees 甲县 (supervising it) but manages only 乙县: the service refuses.
    MembershipFactory(user=org.supervisor, unit=org.county_b, post=Post.LIAISON)
    response = api(org.supervisor).post(url, item_payload(org, ledger), format="json")
    assert_error(response, 403, "permission_denied")
    # The model's rules come back per field.
    response = api(org.inside).post(
        url, item_payload(org, ledger, deadline="2022-05-01"), format="json"
    )
    assert_error(response, 400, "invalid", "deadline")
    assert not LedgerItem.objects.exists()


@pytest.mark.parametrize("persona", ["official", "supervisor", "assessor"])
def test_read_only_personas_get_403_on_every_item_write(org, ledger, a, persona):
    client = api(getattr(org, persona))
    assert client.get(item_url(a)).status_code == 200
    headers = {"HTTP_IF_MATCH": 'W/"1"'}
    for response in (
        client.post(reverse("api:ledger-item-list"), item_payload(org, ledger), format="json"),
        client.patch(item_url(a), {"title": "x"}, format="json", **headers),
        client.post(item_url(a, "progress"), {"percent": 50, "text": "x"}, **headers),
        client.post(item_url(a, "signoff"), {"note": "x", "files": [pdf()]}, **headers),
        client.post(item_url(a, "extension"), {"reason": "x", "new_deadline": "2022-09-01"}),
    ):
        assert_error(response, 403, "permission_denied")
    a.refresh_from_db()
    assert (a.version, a.title) == (1, "甲县老旧小区改造")
    assert LedgerItem.objects.count() == 1


def test_patch_with_if_match_changes_the_item_and_its_etag(org, a):
    client = api(org.inside)
    etag = client.get(item_url(a))["ETag"]
    response = client.patch(
        item_url(a),
        {"title": "甲县老旧小区改造提升", "measures": "加装电梯"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    assert response["ETag"] == 'W/"2"' and response.json()["version"] == 2
    a.refresh_from_db()
    assert (a.title, a.measures, a.version) == ("甲县老旧小区改造提升", "加装电梯", 2)
    event = Events.objects.references(a).filter(pgh_label="update").last()
    assert event is not None and event.pgh_context["user"] == org.inside.pk


def test_patch_with_version_in_the_body(org, a):
    response = api(org.above).patch(item_url(a), {"title": "改造", "version": 1}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "改造" and response.json()["version"] == 2


@pytest.mark.parametrize(
    "status", [ItemStatus.COMPLETED, ItemStatus.CANCELLED, ItemStatus.SUSPENDED]
)
@pytest.mark.parametrize("persona", ["inside", "above"])
def test_nobody_sets_a_status_by_patch(org, a, status, persona):
    """GIVEN a red item WHEN its unit (or the office) PATCHes a status THEN 400 on ``status``
    and the item, its light and version are unchanged."""
    a.deadline = a.start_date
    a.save()
    before = read(api(org.inside), a)
    assert before["light"] == "red"
    response = api(getattr(org, persona)).patch(
        item_url(a), {"status": status, "version": before["version"]}, format="json"
    )
    assert_error(response, 400, "invalid", "status")
    after = read(api(org.inside), a)
    assert (after["status"], after["light"], after["version"]) == (
        before["status"],
        "red",
        before["version"],
    )


def test_status_change_is_a_request_the_office_decides(org, a):
    """GIVEN an open item WHEN its unit asks to suspend it THEN nothing changes until the
    office approves; the unit cannot approve its own request; a refusal needs a note."""
    client = api(org.inside)
    url = item_url(a, "status-request")
    assert_error(client.post(url, {"change": "suspend"}), 400, "required", "reason")
    assert_error(
        api(org.official).post(url, {"change": "suspend", "reason": "x"}), 403, "permission_denied"
    )
    assert_error(
        api(org.outsider).post(url, {"change": "suspend", "reason": "x"}), 404, "not_found"
    )
    response = client.post(url, {"change": "suspend", "reason": "上级政策调整，暂缓实施"})
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["item"]["status"] == ItemStatus.NOT_STARTED
    assert_error(client.post(url, {"change": "cancel", "reason": "再次"}), 400, "invalid")
    approve = reverse("api:status-request-approve", args=[pk])
    assert_error(client.post(approve), 403, "permission_denied")
    assert [r["id"] for r in results(api(org.above).get(reverse("api:status-request-list")))] == [
        pk
    ]
    response = api(org.above).post(approve, {"note": "同意"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "approved"
    detail = read(client, a)
    assert (detail["status"], detail["light"]) == (ItemStatus.SUSPENDED, "none")
    assert [r["change"] for r in detail["status_requests"]] == ["suspend"]
    # Resuming is a request too; refusing it needs a note and leaves the item suspended.
    pk = client.post(url, {"change": "resume", "reason": "政策明确，恢复推进"}).json()["id"]
    refuse = reverse("api:status-request-refuse", args=[pk])
    assert_error(api(org.above).post(refuse, {}), 400, "required", "note")
    assert api(org.above).post(refuse, {"note": "仍需等待"}).status_code == 200
    assert read(client, a)["status"] == ItemStatus.SUSPENDED


def test_stale_patch_is_409_with_the_current_item(org, a):
    """GIVEN two people who opened the item at version 1 WHEN both change it THEN the second
    gets 409 with the item as the first left it, and nothing of theirs is written."""
    first, second = api(org.inside), api(org.above)
    etag = read(first, a) and first.get(item_url(a))["ETag"]
    assert second.get(item_url(a))["ETag"] == etag
    assert (
        first.patch(
            item_url(a), {"title": "第一人的标题"}, format="json", HTTP_IF_MATCH=etag
        ).status_code
        == 200
    )

    response = second.patch(
        item_url(a), {"title": "第二人的标题", "measures": "x"}, format="json", HTTP_IF_MATCH=etag
    )
    body = assert_error(response, 409, "conflict")
    with override("zh-hans"):
        assert body["errors"][0]["detail"] == gettext(
            "This item was changed by someone else since you opened it."
        )
    assert body["current"]["version"] == 2
    assert body["current"]["title"] == "第一人的标题"
    assert body["current"]["id"] == a.pk and body["current"]["light"]
    assert response["ETag"] == 'W/"2"'
    a.refresh_from_db()
    assert (a.title, a.measures, a.version) == ("第一人的标题", "", 2)
    # Having seen the current item, the second person retries on its version.
    retry = second.patch(
        item_url(a), {"measures": "x"}, format="json", HTTP_IF_MATCH=response["ETag"]
    )
    assert retry.status_code == 200 and retry.json()["version"] == 3


def test_empty_patch_changes_nothing(org, a):
    response = api(org.inside).patch(item_url(a), {}, format="json", HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 200 and response["ETag"] == 'W/"1"'
    a.refresh_from_db()
    assert a.version == 1


def test_patch_without_a_precondition_is_428(org, a):
    response = api(org.inside).patch(item_url(a), {"title": "x"}, format="json")
    assert_error(response, 428, "precondition_required")
    a.refresh_from_db()
    assert a.version == 1 and a.title == "甲县老旧小区改造"


def test_malformed_or_contradicting_versions_are_400(org, a):
    client = api(org.inside)
    response = client.patch(item_url(a), {"title": "x"}, format="json", HTTP_IF_MATCH="*")
    assert_error(response, 400, "invalid", "version")
    response = client.patch(
        item_url(a), {"title": "x", "version": 2}, format="json", HTTP_IF_MATCH='W/"1"'
    )
    assert_error(response, 400, "invalid", "version")


def test_deadline_is_refused_it_takes_an_extension(org, a):
    response = api(org.above).patch(
        item_url(a), {"deadline": "2022-12-31"}, format="json", HTTP_IF_MATCH='W/"1"'
    )
    assert_error(response, 400, "invalid", "deadline")
    a.refresh_from_db()
    assert a.deadline == dt.date(2022, 6, 30) and a.version == 1


def test_sign_off_status_cannot_be_patched(org, a):
    response = api(org.above).patch(
        item_url(a), {"status": ItemStatus.SIGNED_OFF}, format="json", HTTP_IF_MATCH='W/"1"'
    )
    assert_error(response, 400, "invalid", "status")
    a.refresh_from_db()
    assert (a.status, a.version) == (ItemStatus.NOT_STARTED, 1)


def test_put_is_not_offered(org, a):
    assert_error(api(org.above).put(item_url(a), {}, format="json"), 405, "method_not_allowed")


# --- progress -------------------------------------------------------------------------------


def test_progress_with_evidence_as_multipart(org, a):
    client = api(org.inside)
    response = client.post(
        item_url(a, "progress"),
        {"percent": 40, "text": "完成摸底排查", "files": [pdf(), pdf("现场照片.pdf")]},
        HTTP_IF_MATCH='W/"1"',
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["report"]["percent"] == 40 and body["report"]["review_status"] == "pending"
    assert {e["original_name"] for e in body["report"]["evidence"]} == {
        "证明材料.pdf",
        "现场照片.pdf",
    }
    # Reported, not accepted: the item shows the figure as pending and keeps its own.
    assert body["item"]["version"] == 2 and body["item"]["status"] == ItemStatus.NOT_STARTED
    assert (body["item"]["progress"], body["item"]["pending_progress"]) == (0, 40)
    assert response["ETag"] == 'W/"2"'
    assert body["item"]["latest_report"] == ""


def test_progress_as_json_with_version(org, a):
    response = api(org.inside).post(
        item_url(a, "progress"), {"percent": 100, "text": "完工", "version": 1}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["item"]["status"] == ItemStatus.NOT_STARTED
    assert response.json()["item"]["pending_progress"] == 100


def test_lowering_progress_needs_a_reason_in_the_api(org, a):
    report = services.ledger_item_report_progress(
        item=a, reporter=org.inside, percent=60, text="过半", expected_version=1
    )
    services.progress_report_accept(report=report, reviewer=org.above)
    client, url = api(org.inside), item_url(a, "progress")
    response = client.post(url, {"percent": 10, "text": "返工", "version": 3}, format="json")
    assert_error(response, 400, "invalid", "lower_reason")
    response = client.post(
        url,
        {"percent": 10, "text": "返工", "lower_reason": "主体结构返工", "version": 3},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["report"]["previous_percent"] == 60
    assert response.json()["item"]["progress"] == 60


def test_a_progress_text_over_its_cap_is_refused(org, a):
    response = api(org.inside).post(
        item_url(a, "progress"), {"percent": 5, "text": "字" * 200_000, "version": 1}, format="json"
    )
    assert_error(response, 400, "max_length", "text")
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize("bad", ["0001-01-01", "9999-12-31"])
def test_absurd_dates_are_refused(org, ledger, bad):
    response = api(org.inside).post(
        reverse("api:ledger-item-list"),
        {
            "ledger": ledger.pk,
            "unit": org.county_a.pk,
            "title": "日期",
            "start_date": "2022-03-01",
            "deadline": bad,
        },
        format="json",
    )
    assert_error(response, 400, "invalid", "deadline")


def test_stale_progress_is_409_and_nothing_is_recorded(org, a):
    services.ledger_item_update(actor=org.above, item=a, expected_version=1, title="已改")
    response = api(org.inside).post(
        item_url(a, "progress"),
        {"percent": 50, "text": "推进中", "files": [pdf()]},
        HTTP_IF_MATCH='W/"1"',
    )
    body = assert_error(response, 409, "conflict")
    assert body["current"]["title"] == "已改" and body["current"]["version"] == 2
    assert not ProgressReport.objects.exists() and not Evidence.objects.exists()


def test_progress_without_a_precondition_is_428(org, a):
    response = api(org.inside).post(item_url(a, "progress"), {"percent": 50, "text": "x"})
    assert_error(response, 428, "precondition_required")
    assert not ProgressReport.objects.exists()


@pytest.mark.parametrize(
    "upload",
    [
        fake_pdf,
        lambda: __import__("django.core.files.uploadedfile", fromlist=["x"]).SimpleUploadedFile(
            "病毒.exe", b"MZ\x90\x00", content_type="application/octet-stream"
        ),
    ],
    ids=["fake-pdf", "exe"],
)
def test_fake_or_forbidden_files_are_refused(org, a, upload):
    response = api(org.inside).post(
        item_url(a, "progress"),
        {"percent": 50, "text": "推进中", "files": [pdf(), upload()]},
        HTTP_IF_MATCH='W/"1"',
    )
    assert_error(response, 400, "invalid", "files")
    a.refresh_from_db()
    assert a.version == 1 and a.progress == 0
    assert not ProgressReport.objects.exists() and not Evidence.objects.exists()


def test_oversized_file_is_refused(org, a, settings):
    settings.EVIDENCE_MAX_BYTES = 20
    response = api(org.inside).post(
        item_url(a, "progress"),
        {"percent": 5, "text": "x", "files": [pdf()]},
        HTTP_IF_MATCH='W/"1"',
    )
    assert_error(response, 400, "invalid", "files")
    assert not ProgressReport.objects.exists()


def test_report_queue_history_accept_and_return(org, a, b):
    inside = api(org.inside)
    for percent in (30, 60):
        version = read(inside, a)["version"]
        inside.post(
            item_url(a, "progress"),
            {"percent": percent, "text": f"{percent}%", "version": version},
            format="json",
        )
    services.ledger_item_report_progress(
        item=b, reporter=org.outsider, percent=10, text="乙", expected_version=1
    )
    url = reverse("api:progress-report-list")
    office = api(org.above)
    queue = results(office.get(url))
    assert [(r["item"]["id"], r["percent"]) for r in queue] == [(a.pk, 30), (a.pk, 60), (b.pk, 10)]
    assert results(api(org.official).get(url)) == []  # read only: nothing to review
    assert {r["item"]["id"] for r in results(inside.get(url))} == {a.pk}
    assert_error(api(org.outsider).get(url, {"item": a.pk}), 400, "invalid_choice", "item")

    first, second = (r["id"] for r in queue[:2])
    assert_error(
        inside.post(reverse("api:progress-report-accept", args=[first])), 403, "permission_denied"
    )
    response = office.post(reverse("api:progress-report-accept", args=[first]))
    assert response.status_code == 200 and response.json()["review_status"] == "accepted"
    assert_error(
        office.post(reverse("api:progress-report-return", args=[second]), {"reason": " "}),
        400,
        "blank",
        "reason",
    )
    response = office.post(
        reverse("api:progress-report-return", args=[second]), {"reason": "材料不实"}
    )
    assert (
        response.json()["review_status"] == "returned"
        and response.json()["return_reason"] == "材料不实"
    )
    a.refresh_from_db()
    assert (a.progress, a.pending_progress) == (30, None)  # the accepted figure; none waits

    # The queue is pending reports; ?item= is the item's whole timeline.
    assert {r["item"]["id"] for r in results(office.get(url))} == {b.pk}
    history = results(inside.get(url, {"item": a.pk}))
    assert [(r["percent"], r["review_status"]) for r in history] == [
        (60, "returned"),
        (30, "accepted"),
    ]
    assert_error(office.post(reverse("api:progress-report-accept", args=[first])), 400, "invalid")
    assert_error(
        api(org.outsider).post(reverse("api:progress-report-accept", args=[second])),
        404,
        "not_found",
    )
    assert_error(
        api(org.official).post(reverse("api:progress-report-accept", args=[second])),
        403,
        "permission_denied",
    )


# --- sign-off -------------------------------------------------------------------------------


def request_signoff(org: Any, item: LedgerItem) -> dict[str, Any]:
    response = api(org.inside).post(
        item_url(item, "signoff"),
        {"note": "改造全部完成", "files": [pdf()], "version": item.version},
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_signoff_request_and_verification_by_the_office(org, a):
    before = read(api(org.inside), a)
    body = request_signoff(org, a)
    # The item stays as it was, marked as waiting for verification.
    assert (body["item"]["status"], body["item"]["progress"], body["item"]["light"]) == (
        before["status"],
        before["progress"],
        before["light"],
    )
    assert body["item"]["signoff_pending"] is True
    assert body["request"]["status"] == "pending" and len(body["request"]["evidence"]) == 1
    pk = body["request"]["id"]

    queue = results(api(org.above).get(reverse("api:signoff-request-list")))
    assert [r["id"] for r in queue] == [pk]
    assert [
        r["id"] for r in results(api(org.official).get(reverse("api:signoff-request-list")))
    ] == [pk]
    assert results(api(org.outsider).get(reverse("api:signoff-request-list"))) == []

    approve = reverse("api:signoff-request-approve", args=[pk])
    assert_error(api(org.inside).post(approve), 403, "permission_denied")  # not their own
    assert_error(api(org.official).post(approve), 403, "permission_denied")
    assert_error(api(org.outsider).post(approve), 404, "not_found")
    response = api(org.above).post(approve)
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "accepted"
    assert response.json()["item"]["status"] == ItemStatus.SIGNED_OFF
    assert response.json()["item"]["signoff_pending"] is False
    assert response.json()["decided_by"]["name"] == org.above.name
    detail = read(api(org.inside), a)
    assert (
        detail["status"] == ItemStatus.SIGNED_OFF and detail["signed_off_by"]["id"] == org.above.pk
    )
    assert [s["status"] for s in detail["signoff_requests"]] == ["accepted"]
    assert_error(api(org.above).post(approve), 400, "invalid")  # already decided
    assert results(api(org.above).get(reverse("api:signoff-request-list"))) == []
    history = results(api(org.inside).get(reverse("api:signoff-request-list"), {"item": a.pk}))
    assert [r["id"] for r in history] == [pk]


def test_returned_signoff_leaves_the_item_as_it_was(org, a):
    pk = request_signoff(org, a)["request"]["id"]
    url = reverse("api:signoff-request-return", args=[pk])
    assert_error(api(org.above).post(url, {}), 400, "required", "reason")
    response = api(org.above).post(url, {"reason": "证明材料不全"})
    assert response.status_code == 200
    assert response.json()["reason"] == "证明材料不全"
    a.refresh_from_db()
    assert (a.status, a.progress, a.signoff_pending) == (ItemStatus.NOT_STARTED, 0, False)


def test_lead_department_verifies_signoff_of_the_unit_it_leads_for(org, ledger):
    """GIVEN an item of 甲县 whose chain is led by 甲县住建局 WHEN a member of the bureau
    (who does not otherwise see 甲县's items) looks at the queue THEN they find the request,
    open the item and its evidence, and verify it; the item stays out of their lists."""
    item = make_item(ledger, org.county_a, chain=make_chain(org))
    pk = request_signoff(org, item)["request"]["id"]
    verifier = UserFactory(name="住建局局长")
    MembershipFactory(user=verifier, unit=org.county_a_dept, post=Post.PRINCIPAL_LEADER)
    client = api(verifier)
    detail = read(client, item)
    assert detail["can_update"] is False and len(detail["evidence"]) == 1
    assert results(client.get(reverse("api:ledger-item-list"))) == []
    assert [r["id"] for r in results(client.get(reverse("api:signoff-request-list")))] == [pk]
    response = client.post(reverse("api:signoff-request-approve", args=[pk]))
    assert response.status_code == 200, response.content
    item.refresh_from_db()
    assert item.status == ItemStatus.SIGNED_OFF and item.signed_off_by == verifier


def test_signoff_needs_evidence_and_a_current_version(org, a):
    client = api(org.inside)
    response = client.post(item_url(a, "signoff"), {"note": "完成", "version": 1})
    assert_error(response, 400, "required", "files")
    response = client.post(
        item_url(a, "signoff"), {"note": "完成", "files": [fake_pdf()], "version": 1}
    )
    assert_error(response, 400, "invalid", "files")
    response = client.post(item_url(a, "signoff"), {"note": "完成", "files": [pdf()]})
    assert_error(response, 428, "precondition_required")
    response = client.post(item_url(a, "signoff"), {"note": "完成", "files": [pdf()], "version": 7})
    assert assert_error(response, 409, "conflict")["current"]["version"] == 1
    assert not SignOffRequest.objects.exists()


@pytest.mark.parametrize("extra", [1, 21])
def test_signoff_queue_query_count_does_not_grow(org, ledger, django_assert_num_queries, extra):
    for _n in range(extra + 1):
        item = make_item(ledger, org.county_a)
        services.signoff_request_create(
            item=item, requester=org.inside, note="完成", files=[pdf()], expected_version=1
        )
    client = api(org.above)
    # 1 token · 3 jurisdiction · 1 count · 1 page of requests with item, unit, ledger, lead
    # department and requester joined · 1 evidence.
    with django_assert_num_queries(7):
        response = client.get(reverse("api:signoff-request-list"), {"page_size": 100})
    assert len(results(response)) == extra + 1


# --- extensions -----------------------------------------------------------------------------


def test_extension_request_and_approval_move_the_deadline(org, a):
    response = api(org.inside).post(
        item_url(a, "extension"), {"reason": "汛期停工", "new_deadline": "2022-09-30"}
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["old_deadline"] == "2022-06-30"
    a.refresh_from_db()
    assert a.deadline == dt.date(2022, 6, 30)  # nothing moves until it is approved

    url = reverse("api:extension-request-list")
    assert [r["id"] for r in results(api(org.above).get(url))] == [pk]
    assert results(api(org.official).get(url)) == []
    assert results(api(org.outsider).get(url)) == []
    approve = reverse("api:extension-request-approve", args=[pk])
    assert_error(api(org.inside).post(approve), 403, "permission_denied")
    assert_error(api(org.outsider).post(approve), 404, "not_found")
    assert_error(api(org.official).post(approve), 403, "permission_denied")
    response = api(org.above).post(approve, {"note": "同意"})
    assert response.status_code == 200 and response.json()["status"] == "approved"
    assert response.json()["item"]["deadline"] == "2022-09-30"
    detail = read(api(org.inside), a)
    assert detail["deadline"] == "2022-09-30" and detail["version"] == 2
    assert [e["status"] for e in detail["extension_requests"]] == ["approved"]


def test_extension_refusal_needs_a_reason_and_keeps_the_deadline(org, a):
    pk = (
        api(org.inside)
        .post(item_url(a, "extension"), {"reason": "汛期停工", "new_deadline": "2022-09-30"})
        .json()["id"]
    )
    refuse = reverse("api:extension-request-refuse", args=[pk])
    assert_error(api(org.above).post(refuse, {"note": ""}), 400, "blank", "note")
    response = api(org.above).post(refuse, {"note": "理由不充分"})
    assert response.json()["status"] == "refused"
    a.refresh_from_db()
    assert a.deadline == dt.date(2022, 6, 30)
    history = results(api(org.inside).get(reverse("api:extension-request-list"), {"item": a.pk}))
    assert [r["status"] for r in history] == ["refused"]


def test_extension_rules_come_back_per_field(org, ledger, a):
    client = api(org.inside)
    response = client.post(item_url(a, "extension"), {"reason": "x", "new_deadline": "2022-06-01"})
    assert_error(response, 400, "invalid", "new_deadline")
    late = make_item(ledger, org.county_a, deadline=dt.date(2022, 5, 1))
    response = client.post(
        item_url(late, "extension"), {"reason": "x", "new_deadline": "2022-09-01"}
    )
    assert_error(response, 400, "invalid", None)  # not about one field


@pytest.mark.parametrize("extra", [1, 21])
def test_extension_and_report_queues_query_count_does_not_grow(
    org, ledger, django_assert_num_queries, extra
):
    for _n in range(extra + 1):
        item = make_item(ledger, org.county_a)
        services.extension_request_create(
            item=item, requester=org.inside, reason="汛期", new_deadline=dt.date(2022, 9, 1)
        )
        services.ledger_item_report_progress(
            item=item,
            reporter=org.inside,
            percent=10,
            text="开始",
            expected_version=1,
            files=[pdf()],
        )
    client = api(org.above)
    # 1 token · 3 jurisdiction · 1 count · 1 page of requests with item, unit, ledger and
    # requester joined.
    with django_assert_num_queries(6):
        response = client.get(reverse("api:extension-request-list"), {"page_size": 100})
    assert len(results(response)) == extra + 1
    # 1 token · 3 jurisdiction · 1 the item filter's choice · 1 count · 1 page of reports with
    # item, unit, ledger, reporter and reviewer joined · 1 evidence.
    with django_assert_num_queries(8):
        response = client.get(
            reverse("api:progress-report-list"), {"page_size": 100, "item": item.pk}
        )
    assert len(results(response)) == 1
    with django_assert_num_queries(7):
        response = client.get(reverse("api:progress-report-list"), {"page_size": 100})
    assert len(results(response)) == extra + 1


# --- meetings -------------------------------------------------------------------------------


@pytest.fixture
def chair(org):
    person = UserFactory(name="市长")
    MembershipFactory(user=person, unit=org.city, post=Post.PRINCIPAL_LEADER)
    return person


def meeting_payload(org: Any, ledger: Any, chair: User, **overrides: Any) -> dict[str, Any]:
    return {
        "campaign": org.campaign.pk,
        "kind": "dispatch",
        "title": "全市能力作风建设调度会",
        "date": "2022-06-01",
        "host_unit": org.city.pk,
        "chair": chair.pk,
        "attending_units": [org.county_a.pk, org.county_b.pk],
        "minutes": "议定三项",
        "decisions": [
            {
                "ledger": ledger.pk,
                "unit": org.county_a.pk,
                "title": "甲县月底前完成排查",
                "deadline": "2022-06-30",
                "milestones": [{"title": "摸底", "deadline": "2022-06-15"}],
            },
            {
                "ledger": ledger.pk,
                "unit": org.county_b.pk,
                "title": "乙县完成整改",
                "deadline": "2022-07-31",
                "measures": "逐项销号",
            },
        ],
        **overrides,
    }


def test_meeting_with_decisions_becomes_items_in_one_step(org, ledger, chair):
    response = api(org.above).post(
        reverse("api:meeting-list"), meeting_payload(org, ledger, chair), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["decision_count"] == 2 and body["chair"]["name"] == "市长"
    assert {d["title"] for d in body["decisions"]} == {"甲县月底前完成排查", "乙县完成整改"}
    meeting = ReviewMeeting.objects.get(pk=body["id"])
    items = LedgerItem.objects.filter(source_meeting=meeting)
    assert {i.unit_id for i in items} == {org.county_a.pk, org.county_b.pk}
    assert all(i.start_date == TODAY for i in items)
    assert items.get(unit=org.county_a).milestones.get().title == "摸底"

    # Each side sees the meeting, and of its decisions only its own.
    inside = api(org.inside).get(reverse("api:meeting-detail", args=[meeting.pk])).json()
    assert [d["title"] for d in inside["decisions"]] == ["甲县月底前完成排查"]
    assert read(api(org.inside), items.get(unit=org.county_a))["source_meeting"]["id"] == meeting.pk


def test_meeting_is_all_or_nothing(org, ledger, chair):
    payload = meeting_payload(org, ledger, chair)
    payload["decisions"][1]["deadline"] = "2022-05-01"  # before the meeting: invalid
    response = api(org.above).post(reverse("api:meeting-list"), payload, format="json")
    assert_error(response, 400, "invalid", "deadline")
    assert not ReviewMeeting.objects.exists() and not LedgerItem.objects.exists()


def test_meeting_scoping_and_rights(org, ledger, chair):
    county_meeting = services.meeting_create(
        actor=None,
        campaign=org.campaign,
        kind="promotion",
        title="乙县推进会",
        date=TODAY,
        host_unit=org.county_b,
        chair=org.outsider,
        attending_units=[org.county_b],
    )
    url = reverse("api:meeting-list")
    assert ids(api(org.outsider).get(url)) == {county_meeting.pk}
    assert ids(api(org.inside).get(url)) == set()
    assert_error(
        api(org.inside).get(reverse("api:meeting-detail", args=[county_meeting.pk])),
        404,
        "not_found",
    )
    for persona in ("official", "supervisor"):
        response = api(getattr(org, persona)).post(
            url, meeting_payload(org, ledger, chair), format="json"
        )
        assert_error(response, 403, "permission_denied")
    # Meetings are recorded by the campaign office, as on the page: not by a county.
    response = api(org.inside).post(url, meeting_payload(org, ledger, chair), format="json")
    assert_error(response, 403, "permission_denied")
    assert ReviewMeeting.objects.count() == 1


@pytest.mark.parametrize("extra", [1, 21])
def test_meeting_list_query_count_does_not_grow(org, chair, django_assert_num_queries, extra):
    for n in range(extra + 1):
        services.meeting_create(
            actor=None,
            campaign=org.campaign,
            kind="dispatch",
            title=f"调度会{n}",
            date=TODAY,
            host_unit=org.city,
            chair=chair,
            attending_units=[org.county_a, org.county_b],
        )
    client = api(org.inside)
    # 1 token · 3 jurisdiction · 1 count · 1 page of meetings with host, chair and campaign
    # joined and decision counts · 1 attending units.
    with django_assert_num_queries(7):
        response = client.get(reverse("api:meeting-list"), {"page_size": 100})
    assert len(results(response)) == extra + 1


def test_browsable_api_renders_cursor_pages_and_forms(org, ledger, a, client):
    """The HTML API (session login) shows the lists with cursor links and the item page."""
    make_item(ledger, org.county_a)
    request_signoff(org, a)
    client.force_login(org.above)
    for url in (
        reverse("api:ledger-item-list") + "?page_size=1",
        item_url(a),
        reverse("api:signoff-request-list"),
        reverse("api:meeting-list"),
    ):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert response["Content-Type"].startswith("text/html")
    page = client.get(reverse("api:ledger-item-list") + "?page_size=1", HTTP_ACCEPT="text/html")
    assert "cursor=" in page.content.decode()


@pytest.mark.parametrize("field", [{"progress": 100}, {"latest_report": "已全部完成"}])
def test_progress_is_refused_by_patch_not_ignored(org, a, field):
    """A client sending progress in a PATCH is told no (400 on the field), never a silent 200."""
    response = api(org.inside).patch(item_url(a), {**field, "version": 1}, format="json")
    assert_error(response, 400, "invalid", next(iter(field)))
    a.refresh_from_db()
    assert (a.progress, a.latest_report, a.version) == (0, "", 1)


def test_an_area_or_ledger_of_a_campaign_one_takes_no_part_in_is_refused(org):
    """GIVEN a campaign of 乙县 (甲县 takes no part in it) with an area and a ledger WHEN
    甲县's liaison filters by them, on the page and through the API THEN both refuse the
    choice (the page says so in Chinese and lists the items unfiltered; the API answers a
    structured 400), while 乙县's liaison may filter by them."""
    from django.test import Client
    from django.utils import translation

    from campaign.tests.factories import CampaignFactory
    from tasks_ledger.models import Area

    theirs = CampaignFactory.create(owner_unit=org.county_b, name="乙县活动")
    ledger = make_ledger(theirs, title="乙县台账", area="乙县领域")
    make_item(ledger, org.county_b, title="乙县任务")
    area = Area.objects.get(name="乙县领域")
    items = reverse("api:ledger-item-list")
    for name, value in (("area", area.pk), ("ledger", ledger.pk)):
        assert_error(api(org.inside).get(items, {name: value}), 400, "invalid_choice", name)
        listed = results(api(org.outsider).get(items, {name: value}))
        assert "乙县任务" in {row["title"] for row in listed}
        page = Client()
        page.force_login(org.inside)
        with translation.override("zh-hans"):
            html = page.get(f"/ledgers/items/?{name}={value}", HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert html.status_code == 200
        assert "部分筛选条件无法识别" in html.content.decode()
