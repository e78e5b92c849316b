"""The ranking on screen page by page (:func:`assessments.selectors.ranking_page`): a province
ranks thousands of units, so the ranking page, the public ranking and the dashboard show each
category's first rows (a category that fits one page whole) with the way to the rest, one
category page by page, and the caller's own unit with the way to its row; the circular and
the Excel export keep every row. Every page runs the same queries at any size.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Post
from accounts.tests.factories import MembershipFactory, UserFactory

from .. import selectors
from ..models import Result, Round
from ..templatetags.ranking_tags import tier_names_filter
from .test_publication import make_ranked, page_rows, read_export

pytestmark = pytest.mark.django_db

SIZE = selectors.RANKING_PAGE_SIZE
PREVIEW = selectors.RANKING_PREVIEW


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def ranking_url(round_: Round, **params: Any) -> str:
    query = "&".join(f"{key}={value}" for key, value in params.items())
    return reverse("assessments:round-ranking", args=[round_.pk]) + (f"?{query}" if query else "")


def names(round_: Round, ranks: range) -> list[str]:
    """The units' names at ``ranks`` (from 1) of the round's one category."""
    rows = Result.objects.filter(round=round_, rank__in=list(ranks)).order_by("rank")
    return list(rows.values_list("unit_name", flat=True))


def category_of(round_: Round) -> int:
    return Result.objects.filter(round=round_).values_list("category_id", flat=True)[0]


def liaison_of(round_: Round, rank: int, *, also: Any = None) -> Any:
    """A user holding a post in the unit ranked ``rank`` (``also``: make it that user)."""
    unit = Result.objects.get(round=round_, rank=rank).unit
    user = also or UserFactory(username=f"liaison{rank}")
    MembershipFactory(user=user, unit=unit, post=Post.LIAISON)
    return user


@pytest.mark.parametrize("who", ["official", "part"])
def test_a_large_category_shows_its_first_rows_and_is_paged(org: Any, who: str) -> None:
    """GIVEN a published round of 120 units in one category WHEN the city's official (who sees
    it whole, from the cache) or a reader who sees part of it opens the ranking THEN the
    overview shows the first rows with the way to the whole category, page 2 the next units
    by rank, and a page beyond the last the last one."""
    round_ = make_ranked(org, 120, year=2031)
    category = category_of(round_)
    user = org.official
    if who == "part":  # a member of the city's department sees nothing of the counties
        user = UserFactory(username="part")
        for rank in (3, 60, 61, 119):
            liaison_of(round_, rank, also=user)
    client = client_for(user)
    visible = [r.unit_name for r in selectors.round_ranking(user=user, round_=round_).results]

    overview = client.get(ranking_url(round_)).content.decode()
    first = visible[:PREVIEW] if len(visible) > SIZE else visible
    assert page_rows(overview) == first
    assert (f'data-whole-category="{category}"' in overview) == (len(visible) > SIZE)

    second = client.get(ranking_url(round_, category=category, page=2)).content.decode()
    last = client.get(ranking_url(round_, category=category, page=99)).content.decode()
    if who == "official":
        assert page_rows(second) == names(round_, range(SIZE + 1, 2 * SIZE + 1))
        assert page_rows(last) == names(round_, range(2 * SIZE + 1, 121))
        assert 'rel="next"' in second and 'rel="next"' not in last
        assert f"?category={category}&amp;page=3" in second
    else:  # four rows fit one page
        assert page_rows(second) == page_rows(last) == visible
    # The export keeps every row the caller sees.
    assert [row[4] for row in read_export(client, round_)[3:]] == visible


@pytest.mark.parametrize("who", ["official", "part"])
def test_the_callers_own_unit_is_shown_and_leads_to_its_row(org: Any, who: str) -> None:
    """GIVEN a published round of 120 units WHEN the liaison of the unit ranked 77th opens
    the ranking (as the city's official too, who sees it whole, or seeing only their own)
    THEN "my unit" shows its rank and leads to the category page holding its row."""
    round_ = make_ranked(org, 120, year=2031)
    category = category_of(round_)
    user = liaison_of(round_, 77, also=org.official if who == "official" else None)
    mine = Result.objects.get(round=round_, rank=77)
    client = client_for(user)
    overview = client.get(ranking_url(round_)).content.decode()
    panel = overview.split("data-own>", 1)[1].split("</section>", 1)[0]
    assert mine.unit_name in panel and "第77名" in panel
    link = f"?category={category}&amp;unit={mine.unit_id}#unit-{mine.unit_id}"
    assert link in panel
    jumped = client.get(ranking_url(round_, category=category, unit=mine.unit_id)).content.decode()
    assert f'id="unit-{mine.unit_id}"' in jumped
    if who == "official":
        assert page_rows(jumped) == names(round_, range(SIZE + 1, 2 * SIZE + 1))
    # A unit not in the category (or not seen) is no jump: the first page.
    other = client.get(ranking_url(round_, category=category, unit=org.county_a.pk))
    assert page_rows(other.content.decode())[0] == page_rows(overview)[0]


def own_queries(client: Client, url: str) -> int:
    """The page's statements less the trivial signed-in page's (the frame every page runs:
    the session's user, the jurisdiction, the navbar), transaction control left out."""

    def count(path: str) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(path).status_code == 200
        return sum(
            1
            for query in ctx.captured_queries
            if not re.match(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK)", query["sql"])
        )

    with override_settings(ROOT_URLCONF="bench.trivial_urls"):
        return count(url) - count(reverse("bench-trivial"))


@pytest.mark.parametrize(
    ("who", "overview", "category_page", "jump"),
    [
        # The round; the assessment office's roles (whether the caller runs the round); the
        # caller's own results (the official holds a post); the tables come from the
        # template cache. The jump adds the place of the unit's row (one count on the
        # ranking's index).
        ("official", 3, 3, 4),
        # The round; the office's roles; the results the caller sees (their own among
        # them). The jump finds the unit among the rows at hand.
        ("part", 3, 3, 3),
    ],
)
def test_the_ranking_pages_run_the_same_queries_at_any_size(
    org: Any, who: str, overview: int, category_page: int, jump: int
) -> None:
    """GIVEN published rounds of 60 and of 240 units WHEN the official (whole) or a liaison
    (part) opens the overview, a category page and the jump to their unit, each twice THEN
    the page's own queries (less the trivial page's) are the same at both sizes."""
    rounds = [make_ranked(org, 60, year=2030), make_ranked(org, 240, year=2031)]
    user = org.official if who == "official" else UserFactory(username="part")
    for round_ in rounds:
        liaison_of(round_, 55, also=user)
    client = client_for(user)
    for round_ in rounds:
        category = category_of(round_)
        unit = Result.objects.get(round=round_, rank=55).unit_id
        urls = {
            "overview": ranking_url(round_),
            "category_page": ranking_url(round_, category=category, page=2),
            "jump": ranking_url(round_, category=category, unit=unit),
        }
        for url in urls.values():  # warm: per-process caches, the snapshot, the tables
            client.get(url)
        figures = {name: own_queries(client, url) for name, url in urls.items()}
        assert figures == {"overview": overview, "category_page": category_page, "jump": jump}


def test_a_page_not_cached_reads_only_its_own_rows(org: Any) -> None:
    """GIVEN a published round of 240 units WHEN the official opens page 3 of its category
    the first time THEN one read of the ranking: that page's 50 rows, never the 240."""
    round_ = make_ranked(org, 240, year=2031)
    client = client_for(org.official)
    client.get(ranking_url(round_))  # the snapshot
    url = ranking_url(round_, category=category_of(round_), page=3)
    with CaptureQueriesContext(connection) as ctx:
        html = client.get(url)
    # Besides the official's own results (by their units' paths), one read of results.
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        if 'FROM "assessments_result"' in q["sql"] and "accounts_unit" not in q["sql"]
    ]
    assert len(reads) == 1 and "LIMIT 50 OFFSET 100" in reads[0]
    assert page_rows(html.content.decode()) == names(round_, range(101, 151))


def test_the_public_ranking_is_paged_too(org: Any) -> None:
    """GIVEN a public published round of 120 units WHEN anyone opens it THEN the overview
    shows the first units and page 2 of the category the next ones, in a fixed number of
    queries at any size."""
    round_ = make_ranked(org, 120, year=2031, public=True)
    category = category_of(round_)
    url = reverse("public:round-ranking", args=[round_.pk])
    client = Client()

    def shown(html: str) -> list[str]:
        return re.findall(r'data-unit-name="([^"]+)"', html)

    assert shown(client.get(url).content.decode()) == names(round_, range(1, PREVIEW + 1))
    second = client.get(f"{url}?category={category}&page=2").content.decode()
    assert shown(second) == names(round_, range(SIZE + 1, 2 * SIZE + 1))
    small = make_ranked(org, 3, year=2032, public=True)
    small_url = reverse("public:round-ranking", args=[small.pk])
    for address in (url, small_url):
        client.get(address)
    with CaptureQueriesContext(connection) as large_queries:
        client.get(url)
    with CaptureQueriesContext(connection) as small_queries:
        client.get(small_url)
    assert len(large_queries) == len(small_queries) == 1  # the round; the rest is cached


def test_a_tier_lists_its_first_names_on_screen() -> None:
    many = [f"单位{n}" for n in range(selectors.TIER_PREVIEW + 5)]
    assert tier_names_filter(many[:3]) == "单位0、单位1、单位2"
    shown = tier_names_filter(many)
    assert shown.startswith("单位0、") and shown.endswith(f"单位{selectors.TIER_PREVIEW - 1}等")


def test_the_pager_offers_the_ends_and_the_neighbours() -> None:
    """The pager's numbers: the first, the last, one either side, gaps as None."""

    def numbers(number: int, assessed: int) -> list[int | None]:
        category = selectors.CategoryRanking(
            id=1,
            name="",
            assessed=assessed,
            with_deductions=0,
            grades=(),
            tiers=(),
            rows=selectors._Rows(list),
        )
        return selectors.RankingPage(category=category, number=number, load=list).numbers

    assert numbers(1, SIZE) == [1]
    assert numbers(16, 2280) == [1, None, 15, 16, 17, None, 46]
    assert numbers(2, 4 * SIZE) == [1, 2, 3, 4]
    assert numbers(46, 2280) == [1, None, 45, 46]


def test_who_sees_the_same_part_is_served_the_same_cached_tables(org: Any) -> None:
    """GIVEN a published round and two liaisons of the unit ranked 7th (the same
    jurisdiction) and one of the unit ranked 9th WHEN the first opens the ranking, a name in
    the results then changes behind the cache's back, and the others open it THEN the
    second liaison is served the tables drawn for the first (the old name), the third its
    own unit's tables: what a reader sees of a published round depends on their
    jurisdiction's roots only."""
    round_ = make_ranked(org, 60, year=2031)
    first, second = liaison_of(round_, 7), UserFactory(username="second")
    liaison_of(round_, 7, also=second)
    third = liaison_of(round_, 9)
    seventh = Result.objects.get(round=round_, rank=7)
    assert page_rows(client_for(first).get(ranking_url(round_)).content.decode()) == [
        seventh.unit_name
    ]
    Result.objects.filter(pk=seventh.pk).update(unit_name="改名单位")
    assert page_rows(client_for(second).get(ranking_url(round_)).content.decode()) == [
        seventh.unit_name
    ]
    ninth = Result.objects.get(round=round_, rank=9)
    assert page_rows(client_for(third).get(ranking_url(round_)).content.decode()) == [
        ninth.unit_name
    ]
