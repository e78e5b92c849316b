"""The province crawl (``bench/province_crawl.py``) still runs: on the demo city, every GET
URL of the site answers, none with a server error."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db


def test_crawl_asks_every_url_and_none_fails(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN the demo city with 30 benchmark items WHEN the crawl runs as its office and a
    county liaison THEN it asked the pages, the API lists and their detail routes filled with
    an object, every one answered below 500 (no timeout, no error), and it printed the table."""
    from accounts.models import User
    from bench import province_crawl
    from bench._common import bench_ledgers, world

    bench_ledgers(world(), 30)
    users = list(User.objects.filter(username__in=("office", "county_liaison")))
    hits = province_crawl.run(users, timeout="30s", wall=60.0)

    assert {h.who for h in hits} == {"office", "county_liaison"}
    failed = [
        (h.who, h.url, h.status, h.note) for h in hits if h.mark in {"TIMEOUT", "WALL", "ERROR"}
    ]
    assert failed == []
    assert all(isinstance(h.status, int) and h.status < 500 for h in hits)
    urls = {h.url for h in hits}
    assert {"/ledgers/", "/ledgers/items/", "/api/v1/items/", "/supervision/notices/"} <= urls
    assert any(re.fullmatch(r"/ledgers/items/\d+/", u) for u in urls)
    assert any(re.fullmatch(r"/api/v1/items/\d+/", u) for u in urls)
    assert all(h.queries > 0 for h in hits if h.status == 200 and h.url != "/healthz")
    assert "statement_timeout 30s" in capsys.readouterr().out
