"""The ranking API for dashboards: ``GET /api/v1/ranking/?round=&category=`` and
``GET /api/v1/ranking/trend/?scheme=&unit=`` — the same figures as the ranking page, scoped
to what the caller may see, refusals in the one error shape, a fixed number of queries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.tests.factories import UserFactory

from ..models import Result
from ..results import round_compute
from ..selectors import movement_text, tier_label
from .conftest import Assessment
from .test_publication import Published, make_ranked, publish_world

pytestmark = pytest.mark.django_db

URL = reverse("api:ranking")
TREND = reverse("api:ranking-trend")


@pytest.fixture
def published(assessment: Assessment) -> Published:
    return publish_world(assessment)


def api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_the_ranking_returns_the_pages_figures(published: Published) -> None:
    """GIVEN Q2 published WHEN the office asks for its ranking THEN every result comes with
    its rank, tier, grade and movement as the page shows them, with the headline, the grade
    distribution and each category's tier lists."""
    response = api(published.org.assessor).get(URL, {"round": published.round.pk})
    assert response.status_code == 200
    data = response.json()
    results = published.results()
    assert (data["assessed"], data["with_deductions"], data["visible"]) == (5, 3, 5)
    assert data["round"]["circular_issue"] == published.round.circular_issue
    by_unit = {r["unit_name"]: r for r in data["results"]}
    for r in results:
        row = by_unit[r.unit_name]
        assert Decimal(row["total"]) == r.total and row["rank"] == r.rank
        assert row["grade"] == r.grade and row["tier_label"] == tier_label(r.tier)
        assert row["movement"] == r.movement
        assert row["movement_text"] == movement_text(r.movement)
    assert sum(g["count"] for g in data["grades"]) == 5
    names = [c["name"] for c in data["categories"]]
    assert names == ["县（市、区）", "乡镇"]
    counties = data["categories"][0]
    assert sum(t["count"] for t in counties["tiers"]) == counties["assessed"] == 4
    assert counties["tiers"][0]["label"] == "第一档"


def test_one_category(published: Published) -> None:
    response = api(published.org.assessor).get(
        URL, {"round": published.round.pk, "category": published.towns.pk}
    )
    data = response.json()
    assert [r["unit_name"] for r in data["results"]] == ["甲镇"]
    assert (data["assessed"], data["with_deductions"]) == (1, 1)


def test_a_category_of_another_scheme_is_a_400(published: Published, org: Any) -> None:
    other = make_ranked(org, 2)
    category = Result.objects.filter(round=other).first().category  # type: ignore[union-attr]
    response = api(org.assessor).get(URL, {"round": published.round.pk, "category": category.pk})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["attr"] == "category" and "考核方案" in error["detail"]


@pytest.mark.parametrize("query", [{}, {"round": "abc"}, {"round": "999999"}])
def test_a_missing_or_unknown_round_is_a_400_on_round(published: Published, query: dict) -> None:
    response = api(published.org.assessor).get(URL, query)
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "round"


def test_before_publication_a_unit_gets_only_its_own_row_and_no_headline(
    assessment: Assessment,
) -> None:
    """GIVEN Q2 computed, under review WHEN 乙县's liaison asks THEN only 乙县's result, no
    headline; someone who sees no result of the round is refused on ``round`` (400)."""
    org, w = assessment.org, assessment.w
    for unit in [*w.units, org.county_a, org.township_a, org.county_b]:
        w.full_marks(unit)
    round_compute(round_=w.round)
    data = api(org.outsider).get(URL, {"round": w.round.pk}).json()
    assert [r["unit_name"] for r in data["results"]] == ["乙县"]
    assert data["assessed"] is None and data["visible"] == 1
    nobody = UserFactory(username="nobody")
    assert api(nobody).get(URL, {"round": w.round.pk}).status_code == 400


def test_a_published_round_is_refused_to_who_sees_none_of_it_as_before(
    published: Published,
) -> None:
    """GIVEN Q2 published and its body kept for the office, who sees it whole WHEN someone
    who sees no unit of it, or a round id past every round, is asked for THEN 400 on
    ``round``, as the filterset says it: seeing a round whole is the only way past it."""
    office = api(published.org.assessor)
    assert office.get(URL, {"round": published.round.pk}).status_code == 200
    nobody = api(UserFactory(username="nobody"))
    for query in ({"round": published.round.pk}, {"round": "999999999"}):
        response = nobody.get(URL, query)
        assert response.status_code == 400
        assert response.json()["errors"][0]["attr"] == "round"


def test_anonymous_callers_are_refused(published: Published) -> None:
    assert APIClient().get(URL, {"round": published.round.pk}).status_code in (401, 403)
    assert APIClient().get(TREND, {"scheme": published.round.scheme_id}).status_code in (401, 403)


def _queries(client: APIClient, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def test_the_ranking_runs_a_fixed_number_of_queries(org: Any) -> None:
    """2 or 25 units: the same queries (the office's roles and jurisdiction, the round
    checked against the rounds the caller sees, the visible results, the headline counts)."""
    small, large = make_ranked(org, 2, year=2030), make_ranked(org, 25, year=2031)
    client = api(org.assessor)
    for round_ in (small, large):  # warm the published rankings' cache
        _queries(client, URL, {"round": round_.pk})
    assert _queries(client, URL, {"round": small.pk}) == _queries(client, URL, {"round": large.pk})
    assert _queries(client, URL, {"round": large.pk}) <= 8
    schemes = [small.scheme_id, large.scheme_id]
    counts = [_queries(client, TREND, {"scheme": pk}) for pk in schemes]
    assert counts[0] == counts[1] <= 8


def test_the_trend_of_a_unit_and_of_the_categories(published: Published) -> None:
    """Across Q1 and Q2: 县01's rank and total in each, and each category's average total."""
    org = published.org
    c01 = published.a.w.units[0]
    client = api(org.assessor)
    data = client.get(TREND, {"scheme": published.round.scheme_id, "unit": c01.pk}).json()
    assert data["unit"] == c01.pk
    q2 = Result.objects.get(round=published.round, unit=c01)
    assert [(p["rank"], Decimal(p["total"])) for p in data["points"]] == [
        (4, Decimal(80)),
        (q2.rank, q2.total),
    ]
    data = client.get(TREND, {"scheme": published.round.scheme_id}).json()
    q2_points = [p for p in data["points"] if p["round"] == published.round.pk]
    counties = [r.total for r in published.results() if r.category_name == "县（市、区）"]
    average = (Decimal(sum(counties)) / len(counties)).quantize(Decimal("0.01"))
    assert Decimal(q2_points[0]["total"]) == average and q2_points[0]["count"] == 4


def test_the_trend_of_a_unit_outside_ones_sight_is_a_400(published: Published) -> None:
    response = api(published.org.outsider).get(
        TREND, {"scheme": published.round.scheme_id, "unit": published.org.county_a.pk}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "unit"
