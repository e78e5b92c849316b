#!/usr/bin/env python
"""Benchmark: the morning light refresh (``tasks_ledger.lights.lights_refresh_daily``, what
the beat's ``tasks_ledger.tasks.refresh_lights`` runs) on a copy of the province.

    createdb -h 127.0.0.1 -U postgres -T nlzf_province nlzf_lights   # or pg_dump | psql
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/nlzf_lights \\
        python bench/lights_refresh.py [--today YYYY-MM-DD] [--repeat 3] [--explain] [--json]

For the as-of date ``--today`` (default: tomorrow, so the date moves and lights change) it
prints, per run: the wall time of the refresh, its statements (one UPDATE; the item table's
count triggers run inside it), the item rows it rewrote, the roll-up changes those triggers
appended (``LedgerItemRollupChange``), and the time of folding the changes waiting then,
those and any left before (``lights.rollup_fold``, the beat's next minute). ``--explain``
prints the UPDATE's plan (``EXPLAIN (ANALYZE, BUFFERS)``) once. Also: how many items there
are and how many are still running (the refresh's candidates), the load average before and
after, and the machine.

Every run happens in a transaction that is rolled back, so each repeat starts from the same
rows and the database is left as it was (``--commit`` keeps the first run's writes and makes
no repeat). It writes while it runs: it refuses the shared province database itself
(``nlzf_province``, read only for everyone); give it a copy.
"""

from __future__ import annotations

import argparse
import os
import sys
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import PROVINCE_DB, dump, machine, report, setup_django, timed


class Rollback(Exception):
    """Raised at the end of a run to roll its transaction back."""


@contextmanager
def rolled_back(commit: bool) -> Any:
    """A transaction rolled back at the end (kept with ``commit``)."""
    from django.db import transaction

    try:
        with transaction.atomic():
            yield
            if not commit:
                raise Rollback
    except Rollback:
        pass


def measure(today: date, *, commit: bool = False) -> dict[str, Any]:
    """One refresh for ``today`` and the fold after it, in one transaction."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tasks_ledger import lights
    from tasks_ledger.models import LedgerItemRollupChange

    figures: dict[str, Any] = {}
    with rolled_back(commit):
        pending_before = LedgerItemRollupChange.objects.count()
        with CaptureQueriesContext(connection) as queries:
            timing, written = timed(lambda: lights.lights_refresh_daily(today=today), repeat=1)
        figures.update(
            refresh_s=round(timing.runs[0], 3),
            statements=len(queries.captured_queries),
            rows_changed=written,
            rollup_changes=LedgerItemRollupChange.objects.count() - pending_before,
        )
        timing, folded = timed(lights.rollup_fold, repeat=1)
        figures.update(fold_s=round(timing.runs[0], 3), folded=folded)
    return figures


def plan(today: date) -> str:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of the refresh's UPDATE for ``today``: the statement is
    taken from a first run undone to a savepoint, then explained (analysed: run) from the
    same rows; all rolled back."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from tasks_ledger import lights

    with rolled_back(commit=False):
        before = transaction.savepoint()
        with CaptureQueriesContext(connection) as queries:
            lights.lights_refresh_daily(today=today)
        transaction.savepoint_rollback(before)
        update = next(q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"])
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {update}")
            lines = [row[0] for row in cursor.fetchall()]
    return "\n".join(lines)


def sizes() -> dict[str, int]:
    """How many items there are and how many the refresh looks at (still running)."""
    from tasks_ledger.models import LedgerItem
    from tasks_ledger.selectors import RUNNING_STATUSES

    return {
        "items": LedgerItem.objects.count(),
        "running": LedgerItem.objects.filter(status__in=RUNNING_STATUSES).count(),
    }


def run(*, today: date | None = None, repeat: int = 3, commit: bool = False) -> list[dict]:
    """The refresh ``repeat`` times (once with ``commit``), printed as a table; the figures."""
    from django.utils import timezone

    today = today or timezone.localdate() + timedelta(days=1)
    runs = []
    for number in range(1 if commit else max(repeat, 1)):
        figures = measure(today, commit=commit)
        runs.append({"run": number + 1, "today": today.isoformat(), **figures})
    header = [
        "run",
        "as of",
        "refresh s",
        "statements",
        "rows changed",
        "roll-up changes",
        "fold s",
        "folded",
    ]
    rows = [
        [
            r["run"],
            r["today"],
            f"{r['refresh_s']:.3f}",
            r["statements"],
            r["rows_changed"],
            r["rollup_changes"],
            f"{r['fold_s']:.3f}",
            r["folded"],
        ]
        for r in runs
    ]
    print(report("The morning light refresh (lights_refresh_daily)", header, rows), flush=True)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--today", type=date.fromisoformat, help="as-of date (default: tomorrow)")
    parser.add_argument("--repeat", type=int, default=3, help="runs, each rolled back")
    parser.add_argument("--commit", action="store_true", help="keep one run's writes")
    parser.add_argument("--explain", action="store_true", help="print the UPDATE's plan")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    options = parser.parse_args()
    setup_django()
    from django.db import connection
    from django.utils import timezone

    if connection.settings_dict["NAME"] == PROVINCE_DB:
        raise SystemExit(f"{PROVINCE_DB} is read only: run this on a copy (see --help)")
    today = options.today or timezone.localdate() + timedelta(days=1)
    load_before = os.getloadavg()
    counted = sizes()
    print(
        f"{connection.settings_dict['NAME']}: {counted['items']} items,"
        f" {counted['running']} still running",
        flush=True,
    )
    runs = run(today=today, repeat=options.repeat, commit=options.commit)
    load_after = os.getloadavg()
    if options.explain:
        print()
        print(plan(today))
    about = machine()
    print()
    print(f"load average before {load_before[0]:.2f}, after {load_after[0]:.2f}")
    print(" · ".join(f"{key}: {value}" for key, value in about.items()))
    if options.json:
        print(
            dump(
                {
                    "benchmark": "lights_refresh",
                    "machine": about,
                    "sizes": counted,
                    "load": [load_before[0], load_after[0]],
                    "figures": runs,
                }
            )
        )


if __name__ == "__main__":
    main()
