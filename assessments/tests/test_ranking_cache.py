"""The published ranking's cache (:mod:`assessments.selectors`): a published round's ranking
is read once and kept in Redis; who sees the whole round is served from it (the page's
tables and the API's body too) in a fixed number of queries at any size, who sees part of
it reads that part; the services that publish, archive, show or hide a round forget it."""

from __future__ import annotations

import gzip
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import Post
from accounts.tests.factories import MembershipFactory, UserFactory

from .. import rules, selectors, services
from ..models import Result, Round, RoundStatus
from .conftest import Assessment
from .test_publication import Published, make_ranked, publish_world
from .test_ranking_pages import own_queries

pytestmark = pytest.mark.django_db

API = reverse("api:ranking")


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def count(client: Any, url: str, **params: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def key(round_: Round) -> str:
    return selectors._snapshot_key(round_.pk)


def visible_ids(user: Any, round_: Round) -> list[int]:
    """The results the rules let ``user`` see, straight from the database."""
    rows = Result.objects.filter(round=round_).filter(rules.viewable_results_q(user))
    return list(
        rows.order_by("category__sort_order", "category_id", "rank").values_list("pk", flat=True)
    )


# --- served from the cache -----------------------------------------------------------------
def test_a_published_ranking_is_read_once_then_served_from_the_cache(org: Any) -> None:
    """GIVEN a published round of 25 units WHEN the official (who sees the city) asks the API
    twice THEN the first request reads the results and keeps the snapshot and the body; the
    second reads no result at all, not even to check the round (its snapshot says the
    official sees it whole), and returns the same body."""
    round_ = make_ranked(org, 25, year=2031)
    client = api(org.official)
    assert cache.get(key(round_)) is None
    with CaptureQueriesContext(connection) as first:
        one = client.get(API, {"round": round_.pk})
    assert any("assessments_result" in q["sql"] for q in first.captured_queries[1:])
    assert cache.get(key(round_)) is not None
    with CaptureQueriesContext(connection) as second:
        two = client.get(API, {"round": round_.pk})
    assert not [q for q in second.captured_queries if "assessments_result" in q["sql"]]
    assert one.content == two.content
    assert two.json()["visible"] == 25 and len(two.json()["results"]) == 25


@pytest.mark.parametrize("who", ["inside", "official", "assessor", "outsider", "superuser"])
def test_the_cache_shows_each_reader_exactly_what_the_rules_let_them_see(
    published: Published, who: str
) -> None:
    """GIVEN Q2 published and its snapshot cached WHEN each persona reads the ranking THEN
    the results are exactly those rules.viewable_results_q gives them, in rank order, and
    "seen whole" is claimed only when they are every result."""
    user = getattr(published.org, who)
    round_ = published.round
    selectors.round_ranking(user=published.org.assessor, round_=round_)  # fills the cache
    snapshot = selectors.published_snapshot(round_)
    ranking = selectors.round_ranking(user=user, round_=round_)
    expected = visible_ids(user, round_)
    assert [r.pk for r in ranking.results] == expected
    assert ranking.visible == len(expected)
    if selectors.sees_whole_snapshot(user, round_, snapshot):
        assert len(expected) == Result.objects.filter(round=round_).count()
    assert (ranking.assessed, ranking.with_deductions) == (5, 3)


def test_a_reader_who_sees_part_gets_their_part_and_the_headline(published: Published) -> None:
    """GIVEN Q2 published WHEN 甲县's liaison opens the API and the page THEN their own 甲县
    and 甲镇 only, with the round's headline (circulated to every unit), never the cached
    whole body."""
    org = published.org
    api(org.assessor).get(API, {"round": published.round.pk})  # the whole body is cached
    data = api(org.inside).get(API, {"round": published.round.pk}).json()
    assert sorted(r["unit_name"] for r in data["results"]) == ["甲县", "甲镇"]
    assert (data["assessed"], data["with_deductions"], data["visible"]) == (5, 3, 2)
    html = page(org.inside).get(reverse("assessments:round-ranking", args=[published.round.pk]))
    text = html.content.decode()
    assert "乙县" not in text.split("data-headline")[1] and "甲镇" in text


def test_the_whole_body_goes_gzipped_to_who_takes_gzip_and_plain_to_the_others(
    org: Any,
) -> None:
    """GIVEN a published round of 40 units WHEN the office asks the API once taking gzip and
    once not THEN the first gets the kept body gzipped (much smaller), the second the same
    JSON plain; both carry the same validator and vary by the encoding asked for."""
    round_ = make_ranked(org, 40, year=2031)
    client = api(org.assessor)
    plain = client.get(API, {"round": round_.pk})
    packed = client.get(API, {"round": round_.pk}, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain
    assert packed["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.content) == plain.content
    assert len(packed.content) * 4 < len(plain.content)
    assert plain.json()["visible"] == 40
    assert packed["ETag"] == plain["ETag"] and packed["ETag"].startswith('W/"')
    for response in (plain, packed):
        assert "Accept-Encoding" in response["Vary"]


def test_a_dashboard_holding_the_body_gets_not_modified_until_the_round_changes(
    published: Published,
) -> None:
    """GIVEN the office has Q2's ranking and its validator WHEN it asks again with that
    validator THEN 304 and no body, no result read; after the round is archived (its
    snapshot forgotten) the same validator gets the new body."""
    org, round_ = published.org, published.round
    client = api(org.assessor)
    first = client.get(API, {"round": round_.pk})
    with CaptureQueriesContext(connection) as ctx:
        again = client.get(API, {"round": round_.pk}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    assert not [q for q in ctx.captured_queries if "assessments_result" in q["sql"]]
    services.round_archive(round_=round_, actor=org.assessor)
    after = client.get(API, {"round": round_.pk}, HTTP_IF_NONE_MATCH=first["ETag"])
    assert after.status_code == 200 and after.json()["round"]["status"] == RoundStatus.ARCHIVED


def test_a_reader_who_sees_part_never_gets_the_kept_body_or_its_validator(
    published: Published,
) -> None:
    """GIVEN the whole body cached WHEN 甲县's liaison asks, taking gzip and sending the
    whole body's validator THEN their own part, plain, with no validator."""
    org = published.org
    whole = api(org.assessor).get(API, {"round": published.round.pk})
    response = api(org.inside).get(
        API,
        {"round": published.round.pk},
        HTTP_ACCEPT_ENCODING="gzip",
        HTTP_IF_NONE_MATCH=whole["ETag"],
    )
    assert response.status_code == 200
    assert "Content-Encoding" not in response and "ETag" not in response
    assert response.json()["visible"] == 2


# --- a fixed number of queries at two sizes ------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "api_queries", "page_queries"),
    [
        # The API: the session's user; the jurisdiction (supervised units, posts, roles); the
        # assessment office's roles; the round checked against the rounds with results the
        # caller sees; the session saved (in a savepoint here, the test being one
        # transaction: 3 statements) — and nothing else: the snapshot and the body come from
        # Redis. The page's own queries (less the trivial signed-in page's): the round, the
        # assessment office's roles, the caller's own results when they hold a post (the
        # official does); its tables come from Redis.
        ("official", 9, 3),
        ("assessor", 9, 2),
        # The same, and the one query for the results the caller sees (their own results
        # are found among them).
        ("part", 10, 3),
    ],
)
def test_the_page_and_the_api_run_a_fixed_number_of_queries_at_two_sizes(
    org: Any, who: str, api_queries: int, page_queries: int
) -> None:
    """GIVEN published rounds of 2 and of 40 units WHEN each reader (the city's official and
    assessment office, who see them whole, and a unit's liaison, who sees part) opens the
    API and the page of each THEN the same, fixed number of queries for both sizes."""
    small, large = make_ranked(org, 2, year=2030), make_ranked(org, 40, year=2031)
    if who == "part":  # the liaison of the unit ranked first in each round
        user = UserFactory(username="part")
        for round_ in (small, large):
            unit = Result.objects.filter(round=round_).order_by("rank")[0].unit
            MembershipFactory(user=user, unit=unit, post=Post.LIAISON)
    else:
        user = getattr(org, who)
    client = page(user)
    for round_ in (small, large):  # warm: the per-process caches, the snapshot, the body
        client.get(API, {"round": round_.pk})
        client.get(reverse("assessments:round-ranking", args=[round_.pk]))
    # The API's frame (the session, the jurisdiction) may be cached away: at most the
    # queries named above, the same at both sizes; the page's own queries exactly.
    api_counts = {count(client, API, round=round_.pk)[0] for round_ in (small, large)}
    assert len(api_counts) == 1 and api_counts.pop() <= api_queries
    for round_ in (small, large):
        url = reverse("assessments:round-ranking", args=[round_.pk])
        assert own_queries(client, url) == page_queries


def test_the_page_draws_the_whole_ranking_from_the_template_cache(org: Any) -> None:
    """GIVEN a published round of 40 units WHEN the office opens its page twice THEN both
    show the 40 rows; the second reads no result (its tables come from the cache)."""
    round_ = make_ranked(org, 40, year=2031)
    browser = page(org.assessor)
    url = reverse("assessments:round-ranking", args=[round_.pk])
    first = browser.get(url).content.decode()
    with CaptureQueriesContext(connection) as ctx:
        second = browser.get(url).content.decode()
    assert not [q for q in ctx.captured_queries if "assessments_result" in q["sql"]]
    assert first.count('data-col="total"') == second.count('data-col="total"') == 40


# --- forgotten by the services -------------------------------------------------------------------
def test_archiving_forgets_the_ranking_and_the_api_says_archived(
    published: Published, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN Q2's ranking cached (its body says "published") WHEN the office archives the
    round THEN the snapshot is forgotten at once and again on commit, and the API says
    "archived"."""
    org, round_ = published.org, published.round
    assert api(org.assessor).get(API, {"round": round_.pk}).json()["round"]["status"] == "published"
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.round_archive(round_=round_, actor=org.assessor)
        assert cache.get(key(round_)) is None
        selectors.published_snapshot(round_)  # a reader refills it before the commit
    assert callbacks and cache.get(key(round_)) is None
    data = api(org.assessor).get(API, {"round": round_.pk}).json()
    assert data["round"]["status"] == RoundStatus.ARCHIVED


@pytest.mark.parametrize("service", ["round_show_publicly", "round_hide_publicly"])
def test_showing_or_hiding_forgets_the_ranking(
    published: Published, service: str, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN a stale snapshot in the cache (figures no longer true) WHEN the office shows or
    hides the round on the public ranking THEN the snapshot is forgotten and the page's
    figures are the round's again."""
    org, round_ = published.org, published.round
    Round.objects.filter(pk=round_.pk).update(public=service == "round_hide_publicly")
    round_.refresh_from_db()
    stale = selectors.PublishedSnapshot(token="stale", common_path="", categories=())
    cache.set(key(round_), stale)
    assert api(org.assessor).get(API, {"round": round_.pk}).json()["assessed"] is None
    with django_capture_on_commit_callbacks(execute=True):
        getattr(services, service)(round_=round_, actor=org.assessor)
    assert cache.get(key(round_)) is None
    data = api(org.assessor).get(API, {"round": round_.pk}).json()
    assert (data["assessed"], data["with_deductions"]) == (5, 3)


def test_publishing_forgets_what_the_cache_held_for_the_round(
    assessment: Assessment, django_capture_on_commit_callbacks: Any
) -> None:
    """GIVEN a stale snapshot left in the cache under the round's key WHEN the office
    publishes the round THEN the ranking is read from the results just computed."""
    cache.set(key(assessment.w.round), selectors.PublishedSnapshot("stale", "", ()))
    with django_capture_on_commit_callbacks(execute=True):
        published = publish_world(assessment)
    data = api(published.org.assessor).get(API, {"round": published.round.pk}).json()
    assert (data["assessed"], data["with_deductions"], data["visible"]) == (5, 3, 5)


def test_with_redis_unreachable_the_ranking_is_read_from_the_database(
    published: Published, settings: Any
) -> None:
    """GIVEN Redis unreachable WHEN the office opens the API and the page THEN both answer
    from the database (every cache read a miss, every write dropped)."""
    unreachable = {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    settings.CACHES = {**settings.CACHES, "default": unreachable}
    org, round_ = published.org, published.round
    data = api(org.assessor).get(API, {"round": round_.pk}).json()
    assert (data["assessed"], data["visible"]) == (5, 5)
    response = page(org.assessor).get(reverse("assessments:round-ranking", args=[round_.pk]))
    assert response.status_code == 200 and response.content.decode().count('data-col="total"') == 5


@pytest.fixture
def published(assessment: Assessment) -> Published:
    return publish_world(assessment)


def test_the_dashboard_lists_the_units_from_the_cache_and_keeps_the_choice(org: Any) -> None:
    """GIVEN a published round of 40 units WHEN the official opens the dashboard, then
    chooses a unit's trend THEN every unit is offered both times (the list drawn once and
    kept), the chosen one selected; a unit not ranked is no choice."""
    round_ = make_ranked(org, 40, year=2031)
    client = page(org.official)
    url = reverse("assessments:ranking-dashboard")
    first = client.get(url, {"round": round_.pk}).content.decode()
    chosen = Result.objects.filter(round=round_).order_by("rank")[3]
    with CaptureQueriesContext(connection) as ctx:
        second = client.get(url, {"round": round_.pk, "unit": chosen.unit_id}).content.decode()
    # The units offered are not read again: only the chosen one is looked up among them.
    assert not [
        q
        for q in ctx.captured_queries
        if '"assessments_result"."unit_id", "assessments_result"."unit_name"' in q["sql"]
    ]
    for html in (first, second):
        assert html.count('<option value="') >= 40 + 1
    assert f'<option value="{chosen.unit_id}" selected>' in second
    outside = client.get(url, {"round": round_.pk, "unit": org.county_a.pk}).content.decode()
    assert f'<option value="{org.county_a.pk}" selected>' not in outside
