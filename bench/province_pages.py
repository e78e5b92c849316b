#!/usr/bin/env python
"""Benchmark: the pages a province opens every day, against a trivial page, in one run.

    python bench/province_pages.py [--database nlzf_province] [--repeat 3] [--deep 200] [--json]
    python bench/province_pages.py --build 100000      # no province database yet: a city

Signed in (Django's test client, the whole stack) as the provincial office and as a county
liaison, it asks for: the item list (first page, red items, a keyword, a deep page reached
by following the list's own "next" links ``--deep`` times), the API item list (first page
and a deep page reached by its ``next`` links), the battle map of the widest campaign the
user takes part in (the province's, :func:`widest_campaign_id`), the home page, the office
queues, the notice registry, the ranking page of the latest published round and the ranking
endpoint. Each request is made once to warm up and once counting its queries; then
``--repeat`` rounds ask for every request once each, and each request's best time is kept
(the rounds interleave them, so a slow spell of the machine falls on all alike).

Every row is compared with a trivial signed-in page measured in the same run
(``bench/trivial_urls.py``: the site's layout with nothing in it, so the session, the user,
the jurisdiction, the menus and the notifications badge, which every page pays), and
marked OK or OVER against issue 10's goals: at most 5x the trivial page's time, a deep page
at most 1.5x its first page, and at most 8 queries in all. "Queries" counts every statement
but transaction control (BEGIN, COMMIT, savepoints), the frame included, and the goal is
judged on it; "own" is that less the trivial page's (the frame every signed-in page runs:
the session's user and the session saved; the jurisdiction and the badge come from Redis,
and a cold cache is filled by the warm-up request).

The province database is never written: the script signs in without the login signal (no
last-login or sign-in log write) and runs everything inside one transaction that it rolls
back, so the sessions the requests save vanish too. The savepoints of that wrapping
transaction are not counted as the page's queries (a live request has none).
"""

from __future__ import annotations

import gc
import html
import os
import re
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    PROVINCE_DB,
    Timing,
    bench_database,
    bench_ledgers,
    dump,
    machine,
    province_database,
    report,
    setup_django,
    world,
)

if TYPE_CHECKING:
    from django.test import Client

    from accounts.models import User

#: Issue 10's goals (queries: in all, the frame included).
MAX_RATIO = 5.0
MAX_DEEP_RATIO = 1.5
MAX_QUERIES = 8
#: The trivial signed-in page every ratio is taken against.
TRIVIAL = "trivial page"
KEYWORD = "推进"
#: Transaction control, not queries (a savepoint is the wrapping transaction's).
TRANSACTION_CONTROL = re.compile(
    r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I
)
#: The URLs measured: the project's plus the trivial page.
URLCONF = "bench.trivial_urls"
#: A "next" link: rel="next", or django-tables2's <li class="next page-item"><a href=...>.
NEXT_LINKS = (
    re.compile(r'<a\b[^>]*\brel="next"[^>]*\bhref="([^"]+)"', re.S),
    re.compile(r'<a\b[^>]*\bhref="([^"]+)"[^>]*\brel="next"', re.S),
    re.compile(r'class="next page-item">\s*<a\b[^>]*\bhref="([^"]+)"', re.S),
)


@dataclass(frozen=True)
class Persona:
    """Who asks: a label for the table and the account."""

    label: str
    user: User


@dataclass
class Request:
    """One request measured: its label, URL, and the first-page row a deep page compares to."""

    label: str
    url: str
    first: str | None = None


def sign_in(client: Client, user: User) -> None:
    """A signed-in session for ``user`` without ``login()``: the login signal would write
    the last sign-in time and the sign-in log, and the province database is read only."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        load_backend,
    )

    # The first backend that loads users, as the test client's force_login picks it.
    backend = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = user._meta.pk.value_to_string(user)
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key


def next_link(response: Any, url: str) -> str | None:
    """The URL of the page after this one: the list's own next link (HTML) or ``next``
    (the API's JSON), made absolute-path; None on the last page."""
    if response.get("Content-Type", "").startswith("application/json"):
        following = response.json().get("next")
        if not following:
            return None
        return str(following).replace("http://testserver", "")
    text = response.content.decode()
    for pattern in NEXT_LINKS:
        found = pattern.search(text)
        if found:
            return urljoin(url, html.unescape(found.group(1)))
    return None


def follow(client: Client, url: str, steps: int) -> tuple[str, int]:
    """Follow ``next`` links from ``url`` up to ``steps`` times; the URL reached and how
    many steps were taken (fewer when the list ends first)."""
    taken = 0
    for _step in range(steps):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        following = next_link(response, url)
        if following is None:
            break
        url, taken = following, taken + 1
    return url, taken


def latest_round_id(user: User) -> int | None:
    """The latest published round whose results ``user`` may see (the ranking every leader
    opens that morning; the dashboard's and the ranking API's own choice)."""
    from assessments.models import RoundStatus
    from assessments.selectors import ranked_rounds

    rounds = ranked_rounds(user=user).filter(status=RoundStatus.PUBLISHED)
    return rounds.values_list("pk", flat=True).first()


def widest_campaign_id(user: User) -> int | None:
    """The campaign of the widest reach the user takes part in (owned highest in the unit
    tree: the province's own campaign at a province), newest first among equals: the map
    "of the whole province" the issue asks about, not the default campaign of the page
    (the newest year's, which at the demo province is its one city's)."""
    from campaign.selectors import campaign_list

    widest = campaign_list(user=user).order_by("owner_unit__depth", "-year", "name")
    return widest.values_list("pk", flat=True).first()


def requests_for(
    client: Client, user: User, *, deep: int, only: Sequence[str] = ()
) -> list[Request]:
    """The requests to measure, the deep pages found by following next links; with
    ``only``, those whose label holds one of its words (and the trivial page)."""
    from django.urls import reverse

    def wanted(label: str) -> bool:
        return label == TRIVIAL or not only or any(word in label for word in only)

    items = reverse("ledger:item-list")
    api = reverse("api:ledger-item-list")
    chosen = [
        Request(TRIVIAL, reverse("bench-trivial")),
        Request("items: first page", items),
        Request("items: red", f"{items}?light=red"),
        Request("items: keyword", f"{items}?q={KEYWORD}"),
    ]
    if wanted("items: deep"):
        deep_page, steps = follow(client, items, deep)
        chosen.append(Request(f"items: deep (next x{steps})", deep_page, "items: first page"))
    chosen.append(Request("API items: first page", api))
    if wanted("API items: deep"):
        deep_api, steps = follow(client, api, deep)
        label = f"API items: deep (next x{steps})"
        chosen.append(Request(label, deep_api, "API items: first page"))
    chosen += [
        Request("battle map", f"{reverse('ledger:map')}?campaign={widest_campaign_id(user)}"),
        Request("home", reverse("home")),
        Request("office queues", reverse("ledger:queues")),
        Request("notice registry", reverse("accountability:notice-list")),
    ]
    round_id = latest_round_id(user)
    if round_id is not None:
        chosen += [
            Request("ranking page", reverse("assessments:round-ranking", args=[round_id])),
            Request("ranking endpoint", f"{reverse('api:ranking')}?round={round_id}"),
        ]
    kept = [request for request in chosen if wanted(request.label)]
    # A deep page is compared with its first page: keep that too.
    firsts = {request.first for request in kept if request.first}
    return [request for request in chosen if request in kept or request.label in firsts]


def page_queries(client: Client, url: str) -> int:
    """Statements one request runs, transaction control left out."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return sum(
        1 for query in captured.captured_queries if not TRANSACTION_CONTROL.match(query["sql"])
    )


def verdict(figure: dict[str, Any]) -> list[str]:
    """What a row misses of the goals (empty: OK)."""
    misses = []
    if figure["ratio"] > MAX_RATIO:
        misses.append(f">{MAX_RATIO:g}x trivial")
    if figure["deep_ratio"] is not None and figure["deep_ratio"] > MAX_DEEP_RATIO:
        misses.append(f">{MAX_DEEP_RATIO:g}x first")
    if figure["queries"] > MAX_QUERIES:
        misses.append(f">{MAX_QUERIES} queries")
    return misses


def measure(
    persona: Persona, *, repeat: int, deep: int, only: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Every request as ``persona``: best and median time, queries, ratio, verdict."""
    from django.test import Client

    client = Client()
    sign_in(client, persona.user)
    chosen = requests_for(client, persona.user, deep=deep, only=only)
    figures: list[dict[str, Any]] = []
    by_label: dict[str, dict[str, Any]] = {}
    queries: dict[str, int] = {}
    for request in chosen:
        warm = client.get(request.url)  # sessions, caches, plans
        assert warm.status_code == 200, (request.url, warm.status_code)
        queries[request.label] = page_queries(client, request.url)
    # Round by round, every request once a round: a slower spell of a shared machine falls
    # on all of them alike, the trivial page included, instead of on whichever request was
    # being repeated then (which moved a ratio by a whole point between two runs).
    # Garbage is collected once, before the first round (see ``timed``).
    runs: dict[str, list[float]] = {request.label: [] for request in chosen}
    sizes: dict[str, int] = {}
    gc.collect()
    for _round in range(repeat):
        for request in chosen:
            started = time.perf_counter()
            response = client.get(request.url)
            runs[request.label].append(time.perf_counter() - started)
            sizes[request.label] = len(response.content)
    for request in chosen:
        timing = Timing(runs[request.label])
        figure = {
            "who": persona.label,
            "request": request.label,
            "url": request.url,
            "best_ms": round(timing.best * 1000, 1),
            "median_ms": round(timing.median * 1000, 1),
            "queries": queries[request.label],
            "kib": round(sizes[request.label] / 1024, 1),
        }
        by_label[request.label] = figure
        figures.append(figure)
    trivial = by_label[TRIVIAL]
    for figure, request in zip(figures, chosen, strict=True):
        figure["ratio"] = round(figure["best_ms"] / trivial["best_ms"], 2)
        figure["own_queries"] = figure["queries"] - trivial["queries"]
        first_ms = by_label[request.first]["best_ms"] if request.first else None
        figure["deep_ratio"] = round(figure["best_ms"] / first_ms, 2) if first_ms else None
        misses = verdict(figure)
        figure["verdict"] = "OVER " + ", ".join(misses) if misses else "OK"
    return figures


def load_average() -> str:
    """The machine's 1, 5 and 15 minute load averages."""
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def run(
    *, personas: list[Persona], repeat: int, deep: int, only: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Measure every request for every persona; the figures (also printed as tables)."""
    from django.db import connection
    from django.test import override_settings

    from tasks_ledger.models import LedgerItem

    items = LedgerItem.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        jit = cursor.fetchone()[0]
    figures = []
    for persona in personas:
        before = load_average()
        with override_settings(ROOT_URLCONF=URLCONF):
            rows = measure(persona, repeat=repeat, deep=deep, only=only)
        figures += rows
        print()
        print(
            report(
                f"{persona.label} ({persona.user.username}) over {items:,} items; "
                f"best/median of {repeat}; PostgreSQL jit {jit}; "
                f"load average {before} -> {load_average()}",
                (
                    "request",
                    "best ms",
                    "median ms",
                    "x trivial",
                    "x first",
                    "queries",
                    "own",
                    "KiB",
                    "",
                ),
                [
                    (
                        r["request"],
                        r["best_ms"],
                        r["median_ms"],
                        r["ratio"],
                        r["deep_ratio"] if r["deep_ratio"] is not None else "",
                        r["queries"],
                        r["own_queries"],
                        r["kib"],
                        r["verdict"],
                    )
                    for r in rows
                ],
            ),
            flush=True,
        )
    return figures


@contextmanager
def rolled_back() -> Iterator[None]:
    """Everything inside one transaction, rolled back at the end: nothing is written."""
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def personas_named(office: str, county: str) -> list[Persona]:
    """The two accounts measured, by username."""
    from accounts.models import User

    return [
        Persona("provincial office", User.objects.get(username=office)),
        Persona("county liaison", User.objects.get(username=county)),
    ]


def _options() -> Any:
    import argparse

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database",
        default=PROVINCE_DB,
        help="the province (default: %(default)s; seed_scale builds it when missing)",
    )
    parser.add_argument("--office", default="prov_office", help="(default: %(default)s)")
    parser.add_argument("--county", default="prov_county_liaison", help="(default: %(default)s)")
    parser.add_argument(
        "--build",
        type=int,
        metavar="ITEMS",
        help="no province database: build the demo city with ITEMS bench items instead "
        "(signed in as its office and county liaison)",
    )
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) --build's database")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs each (best is kept)")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="WORD",
        help="measure only the requests whose label holds one of these words (e.g. map home)",
    )
    parser.add_argument("--deep", type=int, default=200, help="next links followed (deep page)")
    parser.add_argument(
        "--jit-off",
        action="store_true",
        help="SET jit = off for this run's connection (the server's default is kept otherwise)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    return parser.parse_args()


def main() -> None:
    """Measure on the province database (read only) or on a city built for the run."""
    options = _options()
    setup_django()

    def measure_all(personas: list[Persona]) -> list[dict[str, Any]]:
        if options.jit_off:
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("SET jit = off")
        return run(
            personas=personas,
            repeat=max(options.repeat, 1),
            deep=options.deep,
            only=options.only or (),
        )

    if options.build:
        with bench_database(keep=options.keep):
            bench_ledgers(world(), options.build)
            figures = measure_all(personas_named("office", "county_liaison"))
            about = machine()
    else:
        province_database(name=options.database)  # built by seed_scale if missing
        with rolled_back():
            figures = measure_all(personas_named(options.office, options.county))
            about = machine()
    print()
    print(" · ".join(f"{key}: {value}" for key, value in about.items()))
    if options.json:
        print(dump({"benchmark": "province_pages", "machine": about, "figures": figures}))


if __name__ == "__main__":
    main()
