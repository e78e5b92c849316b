#!/usr/bin/env python
"""Benchmark: the ledger item list, as a page and through the API, over many items.

    python bench/ledger_list.py [--sizes 100000] [--repeat 5] [--keep] [--json]

The campaign office (who sees every item of the city) asks, through Django's test client
(the whole stack: middleware, jurisdiction, filter, table, template, serializer), for the
first page of ``/ledgers/items/``, filtered pages (red items; one unit and below, a status
and a keyword; the same as the htmx partial the filter form fetches), a page deep in the
list, and the first page of ``/api/v1/items/`` plain and filtered. It prints the best and
median time of each and the number of queries. The database is ``nlzf_bench`` (see
``bench/_common.py``), created and dropped here.
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

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


def requests_for(w: World) -> list[tuple[str, str, dict[str, str] | None]]:
    """(label, URL, headers) of the requests measured."""
    from django.urls import reverse

    from accounts.models import Unit

    county = Unit.objects.get(code="LX-XC")  # 兴城区 and its townships
    page = reverse("ledger:item-list")
    api = reverse("api:ledger-item-list")
    unit_filter = f"?unit={county.pk}&status=in_progress&q=推进"
    htmx = {"HX-Request": "true", "HX-Target": "item-results"}
    return [
        ("page: first page", page, None),
        ("page: red items", page + "?light=red", None),
        ("page: unit + status + keyword", page + unit_filter, None),
        ("page: same, htmx partial", page + unit_filter, htmx),
        ("page: page 200", page + "?page=200", None),
        ("API: first page", api, None),
        ("API: red items", api + "?light=red", None),
    ]


def run(*, sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    """Measure every request at every size; the figures (also printed as a table)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tasks_ledger.models import LedgerItem

    w = world()
    figures = []
    for size in sorted(sizes):
        bench_ledgers(w, size)
        visible = LedgerItem.objects.filter(ledger__campaign=w.campaign).count()
        client = Client()
        client.force_login(w.office)
        rows = []
        for label, url, headers in requests_for(w):
            first = client.get(url, headers=headers)  # warm: sessions, caches, plans
            assert first.status_code == 200, (url, first.status_code)
            with CaptureQueriesContext(connection) as queries:
                client.get(url, headers=headers)
            count = len(queries)  # now: the next request empties the log it slices
            timing, response = timed(partial(client.get, url, headers=headers), repeat=repeat)
            figure = {
                "items": visible,
                "request": label,
                "url": url,
                "best_ms": round(timing.best * 1000, 1),
                "median_ms": round(timing.median * 1000, 1),
                "queries": count,
                "kib": round(len(response.content) / 1024, 1),
            }
            figures.append(figure)
            rows.append(figure)
        print()
        print(
            report(
                f"Ledger item list over {visible:,} items (office; best/median of {repeat})",
                ("request", "best ms", "median ms", "queries", "KiB"),
                [
                    (r["request"], r["best_ms"], r["median_ms"], r["queries"], r["kib"])
                    for r in rows
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
