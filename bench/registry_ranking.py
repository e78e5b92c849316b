#!/usr/bin/env python
"""Benchmark: the notice registry and the published ranking against trivial pages, in one run.

    python bench/registry_ranking.py [--database nlzf_province] [--repeat 5] [--deep 60] \
        [USERNAME ...]          # default: prov_office prov_official prov_county_liaison

For each account (the province's own accounts made by ``seed_scale``), signed in through
Django's test client (the whole stack, no network): a trivial signed-in page (the profile)
and a trivial JSON view (``/api/v1/me/``), then the registry's first page, a deep page reached
by following its own next links ``--deep`` times (newest first, and by reply deadline), a
filtered page, and the ranking page, endpoint and dashboard of the published round with the
most results. Each request runs once to warm up (the ranking's snapshot and bodies are then
in Redis, as on any morning after the first reader), once counting statements, then
``--repeat`` times (best kept). Ratios are to the trivial page of the same account and run.

Nothing is written: everything runs in one transaction that is rolled back (the sessions it
signs in with included), and savepoints of that wrapping transaction are not counted.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import setup_django

SAVEPOINTS = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


def measure(client: Any, url: str, repeat: int) -> tuple[float, int, int]:
    """Best time in ms, statements, and bytes of one URL."""
    from django.db import connection

    client.get(url)
    seen: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    best = min(_timed(client, url) for _ in range(repeat))
    return best * 1000, sum(1 for sql in seen if not SAVEPOINTS.match(sql)), len(response.content)


def _timed(client: Any, url: str) -> float:
    started = time.perf_counter()
    client.get(url)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "users", nargs="*", default=["prov_office", "prov_official", "prov_county_liaison"]
    )
    parser.add_argument("--database", default="nlzf_province")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--deep", type=int, default=60)
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/")
    os.environ["DATABASE_URL"] = url.rsplit("/", 1)[0] + "/" + args.database
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    setup_django()

    from django.db import transaction
    from django.db.models import Count
    from django.test import Client

    from accounts.models import User
    from assessments.models import Round
    from bench.province_pages import follow, sign_in

    round_ = (
        Round.objects.filter(status="published")
        .annotate(results_count=Count("results"))
        .order_by("-results_count", "-period_start")
        .first()
    )
    assert round_ is not None, "no published round"
    print(
        f"database {args.database}; round {round_.pk} {round_.title}",
        f"({round_.results_count} results)",
    )
    registry = "/supervision/notices/"
    with transaction.atomic():
        for username in args.users:
            client = Client()
            sign_in(client, User.objects.get(username=username))
            deep, steps = follow(client, registry, args.deep)
            by_deadline = f"{registry}?ordering=-reply_deadline"
            deep_deadline, steps_deadline = follow(client, by_deadline, args.deep)
            requests = [
                ("trivial page (profile)", "/accounts/profile/"),
                ("trivial JSON (/api/v1/me/)", "/api/v1/me/"),
                ("registry: first page", registry),
                (f"registry: deep (next x{steps})", deep),
                ("registry: by deadline", by_deadline),
                (f"registry: by deadline, deep (next x{steps_deadline})", deep_deadline),
                ("registry: warnings issued", f"{registry}?kind=warning&status=issued"),
                ("ranking page", f"/assessments/rounds/{round_.pk}/ranking/"),
                ("ranking endpoint", f"/api/v1/ranking/?round={round_.pk}"),
                ("ranking dashboard", f"/assessments/ranking/?round={round_.pk}"),
            ]
            print(f"\n{username} (load average {os.getloadavg()[0]:.2f})")
            print(f"{'request':48} {'best ms':>9} {'x trivial':>9} {'queries':>7} {'KiB':>8}")
            trivial = None
            for label, target in requests:
                try:
                    ms, queries, size = measure(client, target, args.repeat)
                except AssertionError as refused:
                    print(f"{label:48} {'refused ' + str(refused.args[0][1]):>9}")
                    continue
                trivial = trivial or ms
                print(f"{label:48} {ms:9.1f} {ms / trivial:9.2f} {queries:7d} {size / 1024:8.1f}")
        transaction.set_rollback(True)


if __name__ == "__main__":
    main()
