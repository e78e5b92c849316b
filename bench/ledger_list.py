#!/usr/bin/env python
"""Benchmark: the ledger item list, as a page and through the API, over many items.

    python bench/ledger_list.py [--sizes 100000] [--repeat 5] [--keep] [--json]

The campaign office (who sees every item of the city) and a county liaison (兴城区 and its
townships) ask, through Django's test client (the whole stack: middleware, jurisdiction,
filter, table, template, serializer), for the first page of ``/ledgers/items/``, filtered
pages (red items; a keyword; one unit and below, a status and a keyword, also as the htmx
partial the filter form fetches), a page deep in the list (the keyset cursor of its 10,001st
item: what 200 clicks on "next" reach), and the API's first page plain and filtered and a
deep page. Each is compared with a trivial signed-in page (the layout alone) measured in the
same run: the ratio, the queries and the queries of its own (beyond the trivial page's).
The items are written in bulk, then their stored lights and the counts as ``seed_scale``
does (``tasks_ledger.lights``). The database is ``BENCH_DB_NAME`` (default ``nlzf_bench``,
see ``bench/_common.py``), created and dropped here.
"""

from __future__ import annotations

import sys
import time
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.views.decorators.http import require_GET

from bench._common import (
    World,
    arguments,
    bench_database,
    bench_ledgers,
    dump,
    machine,
    report,
    setup_django,
    timed,
    world,
)

DEFAULT_SIZES = (100_000,)
#: How deep the deep page is: the rows 200 pages of 50 pass over.
DEEP_ROWS = 200 * 50
TRIVIAL = "trivial signed-in page"


@login_required
@require_GET
def trivial_view(request: HttpRequest) -> HttpResponse:
    """The site's layout with nothing in it: what every signed-in page pays."""
    return render(request, "base.html")


def __getattr__(name: str) -> Any:
    """This module is the URLconf while it measures: the project's URLs and the trivial
    page (built when Django first asks, once the apps are loaded)."""
    if name != "urlpatterns":
        raise AttributeError(name)
    return [
        path("bench/trivial/", trivial_view, name="bench-trivial"),
        path("", include("config.urls")),
    ]


def _deep_cursors() -> tuple[str, str]:
    """The page's and the API's cursors after the 10,000th item of the natural order."""
    from tasks_ledger import keyset
    from tasks_ledger.models import LedgerItem

    order = keyset.order_for("")
    names = [f"k{n}" for n in range(len(order.keys))]
    keyed = LedgerItem.objects.annotate(**dict(zip(names, order.keys, strict=True)))
    # A small run (the smoke test) has fewer items: half way down, then.
    deep = min(DEEP_ROWS, keyed.count() // 2) - 1
    row = keyed.order_by(*names).values_list(*names)[max(deep, 0)]
    page = keyset.encode(row, order.name)
    return page, page  # the API pages through the same keyset and reads the same cursor


def requests_for(w: World) -> list[tuple[str, str, dict[str, str] | None]]:
    """(label, URL, headers) of the requests measured."""
    from django.urls import reverse

    from accounts.models import Unit

    county = Unit.objects.get(code="LX-XC")  # 兴城区 and its townships
    page = reverse("ledger:item-list")
    api = reverse("api:ledger-item-list")
    unit_filter = f"?unit={county.pk}&status=in_progress&q=推进"
    htmx = {"HX-Request": "true", "HX-Target": "item-results"}
    deep_page, deep_api = _deep_cursors()
    return [
        (TRIVIAL, reverse("bench-trivial"), None),
        ("page: first page", page, None),
        ("page: red items", page + "?light=red", None),
        ("page: red first (sorted)", page + "?ordering=-light", None),
        ("page: keyword 老旧小区", page + "?q=老旧小区", None),
        ("page: unit + status + keyword", page + unit_filter, None),
        ("page: same, htmx partial", page + unit_filter, htmx),
        ("page: deep (after 10,000 items)", page + f"?after={deep_page}", None),
        ("API: first page", api, None),
        ("API: red items", api + "?light=red", None),
        ("API: deep (after 10,000 items)", api + f"?cursor={deep_api}", None),
    ]


def _statements(queries: Any) -> int:
    """Statements run, transaction control aside."""
    skip = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")
    return sum(1 for q in queries.captured_queries if not q["sql"].lstrip().startswith(skip))


def _liaison() -> Any:
    """A county liaison of 兴城区 (the demo's, or one made for the benchmark)."""
    from accounts.models import Membership, Unit, User

    county = Unit.objects.get(code="LX-XC")
    member = Membership.objects.filter(unit=county).select_related("user").first()
    if member is not None:
        return member.user
    user = User.objects.create_user(username="bench_xc_liaison", name="兴城区联络员")
    Membership.objects.create(user=user, unit=county)
    return user


def run(*, sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    """Measure every request at every size, as the office and a county liaison; the figures
    (also printed as tables)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from tasks_ledger import lights
    from tasks_ledger.models import LedgerItem

    w = world()
    figures = []
    for size in sorted(sizes):
        bench_ledgers(w, size)
        started = time.perf_counter()
        written = lights.lights_refresh()
        rows = lights.counts_rebuild()
        took = time.perf_counter() - started
        print(f"stored lights: {written:,} rows written, {rows:,} count rows, {took:.1f} s")
        with connection.cursor() as cursor:
            # The refresh rewrote every row: vacuum the dead versions out of the indexes, as
            # autovacuum would before anyone pages (a test's transaction can only analyze).
            cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        visible = LedgerItem.objects.filter(ledger__campaign=w.campaign).count()
        for who, user in (("office", w.office), ("county liaison", _liaison())):
            client = Client()
            client.force_login(user)
            table = []
            trivial_ms = trivial_queries = 0.0
            first_ms = {}
            with override_settings(ROOT_URLCONF=__name__):
                for label, url, headers in requests_for(w):
                    first = client.get(url, headers=headers)  # warm: sessions, caches, plans
                    assert first.status_code == 200, (url, first.status_code)
                    with CaptureQueriesContext(connection) as queries:
                        client.get(url, headers=headers)
                    count = _statements(queries)
                    timing, response = timed(
                        partial(client.get, url, headers=headers), repeat=repeat, collect_each=False
                    )
                    best = timing.best * 1000
                    if label == TRIVIAL:
                        trivial_ms, trivial_queries = best, count
                    kind = label.split(":")[0]
                    if "first page" in label:
                        first_ms[kind] = best
                    deep = first_ms.get(kind) if "deep" in label else None
                    figure = {
                        "items": visible,
                        "user": who,
                        "request": label,
                        "url": url,
                        "best_ms": round(best, 1),
                        "median_ms": round(timing.median * 1000, 1),
                        "x_trivial": round(best / trivial_ms, 2) if trivial_ms else None,
                        "x_first": round(best / deep, 2) if deep else None,
                        "queries": count,
                        "own_queries": count - int(trivial_queries),
                        "kib": round(len(response.content) / 1024, 1),
                    }
                    figures.append(figure)
                    table.append(figure)
            print()
            print(
                report(
                    f"Ledger item list over {visible:,} items ({who}; best/median of {repeat})",
                    (
                        "request",
                        "best ms",
                        "median",
                        "x trivial",
                        "x first",
                        "queries",
                        "own",
                        "KiB",
                    ),
                    [
                        (
                            r["request"],
                            r["best_ms"],
                            r["median_ms"],
                            r["x_trivial"],
                            r["x_first"] or "",
                            r["queries"],
                            r["own_queries"],
                            r["kib"],
                        )
                        for r in table
                    ],
                )
            )
    return figures


def main() -> None:
    """Create the benchmark database, measure, print, drop it."""
    options = arguments(__doc__.splitlines()[0], DEFAULT_SIZES)
    setup_django()
    with bench_database(keep=options.keep):
        figures = run(sizes=options.sizes, repeat=max(options.repeat, 1))
        about = machine()
    print()
    print(" · ".join(f"{key}: {value}" for key, value in about.items()))
    if options.json:
        print(dump({"benchmark": "ledger_list", "machine": about, "figures": figures}))


if __name__ == "__main__":
    main()
