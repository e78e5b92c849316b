"""API for tokens, the current user and units: scoping, filters, errors and query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import ApiToken, Post, Unit, UnitKind, UnitLevel, User
from accounts.services import api_token_create
from accounts.tests.factories import MembershipFactory, UnitFactory

pytestmark = pytest.mark.django_db


def api(user: User | None = None) -> APIClient:
    """A client that authenticates like an integration would: with the user's token.

    Each request loads the user afresh, so query counts include the jurisdiction lookups.
    """
    client = APIClient()
    if user is not None:
        _token, key = api_token_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def ids(response: Any) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def assert_error(response: Any, status: int, code: str, attr: str | None = None) -> None:
    """The one error shape: ``{"type", "errors": [{"code", "detail", "attr"}]}``."""
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"type", "errors"}
    assert body["type"] == ("validation_error" if status == 400 else "client_error")
    codes = {(e["code"], e["attr"]) for e in body["errors"]}
    assert (code, attr) in codes, body
    assert all(e["detail"] for e in body["errors"])


# --- token -----------------------------------------------------------------------------------


def test_token_for_good_credentials_authenticates_later_requests(org):
    response = api().post(
        reverse("api:token"), {"username": "inside", "password": "pass-1234"}, format="json"
    )
    assert response.status_code == 200
    key = response.json()["token"]
    assert ApiToken.objects.get(pk=response.json()["id"]).user == org.inside

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get(reverse("api:me")).json()["username"] == "inside"


def test_token_refused_for_bad_password_in_standard_shape(org):
    response = api().post(
        reverse("api:token"), {"username": "inside", "password": "wrong"}, format="json"
    )
    assert_error(response, 400, "authorization", "non_field_errors")


def test_token_lockout_after_repeated_failures(org, settings):
    """GIVEN the failure limit (3 in tests) WHEN a username fails that often from one address
    THEN it is locked out in the standard error shape, even with the right password next."""
    client = api()
    url = reverse("api:token")
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        assert client.post(url, {"username": "inside", "password": "x"}).status_code == 400
    locked = client.post(url, {"username": "inside", "password": "x"})
    assert_error(locked, 429, "locked_out")
    assert "锁定" in locked.json()["errors"][0]["detail"]
    assert "Retry-After" in locked

    again = client.post(url, {"username": "inside", "password": "pass-1234"})
    assert_error(again, 429, "locked_out")
    assert not ApiToken.objects.filter(user=org.inside).exists()


def test_token_success_resets_the_failure_count(org, settings):
    client = api()
    url = reverse("api:token")
    for _round in range(2):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            assert client.post(url, {"username": "inside", "password": "x"}).status_code == 400
        assert client.post(url, {"username": "inside", "password": "pass-1234"}).status_code == 200


def test_token_success_is_a_logged_login(org, caplog):
    with caplog.at_level("INFO", logger="accounts.auth"):
        api().post(reverse("api:token"), {"username": "inside", "password": "pass-1234"})
    assert "login success user=inside" in caplog.text
    org.inside.refresh_from_db()
    assert org.inside.last_login is not None


# --- authentication and the error shape -------------------------------------------------------


@pytest.mark.parametrize("name", ["api:me", "api:unit-list"])
def test_anonymous_gets_401_in_standard_shape(org, name):
    response = api().get(reverse(name))
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Token")


def test_bad_token_gets_401(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert_error(client.get(reverse("api:me")), 401, "authentication_failed")


def test_session_auth_works_too(org, client):
    client.force_login(org.inside)
    assert client.get(reverse("api:me")).json()["username"] == "inside"


# --- me ---------------------------------------------------------------------------------------


def test_me_lists_posts_roles_and_jurisdiction(org):
    body = api(org.official).get(reverse("api:me")).json()
    assert body["name"] == "市委常委"
    assert body["posts"] == [
        {
            "unit": {
                "id": org.city.pk,
                "code": org.city.code,
                "name": "测试市",
                "short_name": "",
            },
            "post": Post.PRINCIPAL_LEADER,
            "post_display": body["posts"][0]["post_display"],
            "title": "",
        }
    ]
    assert [(r["role"], r["scope"]["id"]) for r in body["roles"]] == [("official", org.city.pk)]
    jurisdiction = body["jurisdiction"]
    assert jurisdiction["is_read_only"] is True
    assert jurisdiction["is_global"] is False
    assert [u["id"] for u in jurisdiction["view_roots"]] == [org.city.pk]
    assert jurisdiction["manage_roots"] == []


def test_me_of_supervisor_names_supervised_units(org):
    jurisdiction = api(org.supervisor).get(reverse("api:me")).json()["jurisdiction"]
    assert [u["id"] for u in jurisdiction["supervised_roots"]] == [org.county_a.pk]
    assert jurisdiction["is_read_only"] is True


def test_me_of_campaign_office_manages_city(org):
    jurisdiction = api(org.above).get(reverse("api:me")).json()["jurisdiction"]
    assert jurisdiction["is_read_only"] is False
    assert [u["id"] for u in jurisdiction["manage_roots"]] == [org.city.pk]


def test_me_is_read_only_endpoint(org):
    assert_error(api(org.inside).post(reverse("api:me"), {}), 405, "method_not_allowed")


# --- units: scoping ---------------------------------------------------------------------------


def test_unit_list_is_scoped_per_persona(org):
    county_a_tree = {org.county_a.pk, org.county_a_dept.pk, org.township_a.pk}
    city_tree = {
        org.city.pk,
        org.city_dept.pk,
        org.county_b.pk,
        *county_a_tree,
    }
    assert ids(api(org.inside).get(reverse("api:unit-list"))) == county_a_tree
    assert ids(api(org.supervisor).get(reverse("api:unit-list"))) == county_a_tree
    assert ids(api(org.outsider).get(reverse("api:unit-list"))) == {org.county_b.pk}
    assert ids(api(org.official).get(reverse("api:unit-list"))) == city_tree
    assert ids(api(org.above).get(reverse("api:unit-list"))) == city_tree
    assert org.province.pk in ids(api(org.superuser).get(reverse("api:unit-list")))


def test_outsider_gets_404_for_another_county(org):
    url = reverse("api:unit-detail", args=[org.county_a.pk])
    assert_error(api(org.outsider).get(url), 404, "not_found")
    assert api(org.inside).get(url).status_code == 200
    assert api(org.official).get(url).status_code == 200


def test_unknown_unit_is_404(org):
    assert_error(api(org.above).get(reverse("api:unit-detail", args=[999999])), 404, "not_found")


def test_unit_detail_has_parent_ancestors_labels_and_members(org):
    body = api(org.inside).get(reverse("api:unit-detail", args=[org.county_a.pk])).json()
    assert body["parent"] == org.city.pk
    assert [u["id"] for u in body["ancestors"]] == [org.province.pk, org.city.pk]
    assert body["level"] == UnitLevel.COUNTY
    assert body["level_display"]
    assert body["kind_display"]
    assert [m["user"]["name"] for m in body["members"]] == ["甲县联络员"]


def test_unit_list_rows_carry_parent_ids(org):
    rows = api(org.above).get(reverse("api:unit-list")).json()["results"]
    parent = {row["id"]: row["parent"] for row in rows}
    assert parent[org.city.pk] == org.province.pk
    assert parent[org.county_a.pk] == org.city.pk
    assert parent[org.township_a.pk] == org.county_a.pk
    assert (
        api(org.superuser).get(reverse("api:unit-detail", args=[org.province.pk])).json()["parent"]
        is None
    )


def test_units_are_read_only(org):
    response = api(org.superuser).post(reverse("api:unit-list"), {"name": "x"})
    assert_error(response, 405, "method_not_allowed")


# --- units: filters ---------------------------------------------------------------------------


def get_ids(user: User, **params: Any) -> set[int]:
    response = api(user).get(reverse("api:unit-list"), params)
    assert response.status_code == 200, response.content
    return ids(response)


def test_filter_ancestor_returns_everything_below(org):
    assert get_ids(org.above, ancestor=org.county_a.pk) == {org.county_a_dept.pk, org.township_a.pk}
    below_city = get_ids(org.above, ancestor=org.city.pk)
    assert below_city == {
        org.city_dept.pk,
        org.county_a.pk,
        org.county_a_dept.pk,
        org.township_a.pk,
        org.county_b.pk,
    }


def test_filter_ancestor_outside_jurisdiction_reveals_nothing(org):
    assert get_ids(org.outsider, ancestor=org.county_a.pk) == set()
    # Asking for "under the city" still only returns what the outsider may see.
    assert get_ids(org.outsider, ancestor=org.city.pk) == {org.county_b.pk}


def test_filter_parent_returns_direct_children(org):
    assert get_ids(org.above, parent=org.city.pk) == {
        org.city_dept.pk,
        org.county_a.pk,
        org.county_b.pk,
    }


def test_filter_level_kind_and_assessment(org):
    assert get_ids(org.above, level=UnitLevel.TOWNSHIP) == {org.township_a.pk}
    assert get_ids(org.above, kind=UnitKind.DEPARTMENT) == {org.city_dept.pk, org.county_a_dept.pk}
    Unit.objects.filter(pk=org.county_b.pk).update(under_special_assessment=True)
    assert get_ids(org.above, under_special_assessment="true") == {org.county_b.pk}


def test_filter_search_matches_name_short_name_and_code(org):
    assert get_ids(org.above, search="住建") == {org.county_a_dept.pk}
    assert get_ids(org.above, search="发改委") == {org.city_dept.pk}
    assert get_ids(org.above, search=org.county_b.code.lower()) == {org.county_b.pk}


def test_bad_filter_value_is_a_validation_error(org):
    response = api(org.above).get(reverse("api:unit-list"), {"level": "galaxy"})
    assert_error(response, 400, "invalid_choice", "level")


def test_ordering(org):
    rows = api(org.above).get(reverse("api:unit-list"), {"ordering": "-code"}).json()["results"]
    codes = [row["code"] for row in rows]
    assert codes == sorted(codes, reverse=True)


# --- units: a fixed number of queries ---------------------------------------------------------


@pytest.mark.parametrize("extra", [0, 23])
def test_unit_list_query_count_does_not_grow(org, django_assert_num_queries, extra):
    """Two children of 甲县, then 25: the same queries either way."""
    for n in range(extra):
        UnitFactory.create(parent=org.county_a, name=f"甲县第{n}局", kind=UnitKind.DEPARTMENT)
    client = api(org.inside)
    # 1 token and its user · 3 jurisdiction (posts, roles, supervised units) · 1 count ·
    # 1 page of units, each with its parent id from a subquery.
    with django_assert_num_queries(6):
        response = client.get(reverse("api:unit-list"), {"parent": org.county_a.pk})
    assert response.json()["count"] == 2 + extra


@pytest.mark.parametrize("extra", [0, 23])
def test_unit_detail_query_count_does_not_grow_with_members(org, django_assert_num_queries, extra):
    for _n in range(extra):
        MembershipFactory(unit=org.county_a, post=Post.STAFF)
    client = api(org.inside)
    # 1 token · 3 jurisdiction · 1 unit · 1 members with users · 1 ancestors.
    with django_assert_num_queries(7):
        response = client.get(reverse("api:unit-detail", args=[org.county_a.pk]))
    assert len(response.json()["members"]) == 1 + extra


def test_me_query_count(org, django_assert_num_queries):
    client = api(org.official)
    # 1 token · 3 jurisdiction · 1 user · 1 posts with units · 1 roles with scopes ·
    # 1 root units of the jurisdiction.
    with django_assert_num_queries(8):
        client.get(reverse("api:me"))
