#!/usr/bin/env python
"""Benchmark: how writes that change items' lights wait on each other through the kept counts.

    python bench/rollup_contention.py [--sizes 100000] [--writers 4] [--seconds 5] \
        [--long-rows 1000 10000] [--keep] [--json]

Every write that changes an item's light or tab changes, in the same transaction, the
roll-up rows (``LedgerItemRollup``) of the item's unit and of every unit above it, up to
the top of the tree: the statement triggers add the change to those rows. The top rows are
shared by every item of the city (or province), so a transaction that changes lights holds
them until it commits, and any other light-changing write anywhere below waits for it.

This measures that on a database of its own (the demo city plus ``--sizes`` benchmark
items, the ``bench/ledger_list.py`` set-up, counts rebuilt after loading). ``--writers``
threads, each on its own connection and its own units (no two touch the same item or unit),
flip one item's light per transaction (``UPDATE … SET light_rank``: the same triggers and
rows as a service's light change, without the service around it) for ``--seconds``:

- **alone**: the writers only. Their throughput and latencies are the floor.
- **beside 1 statement of N rows**: the same writers while one more transaction changes
  the lights of N items spread over every unit in one statement and commits (the nightly
  refresh, or an import's bulk insert). It prints that transaction's own time; the
  writers' worst latency shows how long they stood waiting behind it.
- **beside N rows one by one**: the long transaction changes its N items one statement
  each (an import's apply updating rows through the services), then two such
  transactions side by side over different items (two imports at once).

Deadlocks and other errors are counted (a writer's failed transaction is retried). Nothing
is timed inside the database's own view of locks; the latencies are what a user's request
would add.
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    bench_database,
    bench_ledgers,
    dump,
    machine,
    report,
    setup_django,
    world,
)

FLIP = "CASE light_rank WHEN 3 THEN 1 ELSE 3 END"


@dataclass
class Phase:
    """What the writers saw in one phase."""

    label: str
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    deadlocks: int = 0
    seconds: float = 0.0
    long_rows: int = 0
    long_seconds: float | None = None

    def row(self) -> list[Any]:
        ordered = sorted(self.latencies) or [0.0]
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        return [
            self.label,
            len(self.latencies),
            f"{len(self.latencies) / self.seconds:.0f}" if self.seconds else "-",
            f"{statistics.median(ordered) * 1000:.1f}",
            f"{p95 * 1000:.1f}",
            f"{ordered[-1] * 1000:.0f}",
            self.deadlocks,
            self.errors,
            f"{self.long_seconds * 1000:.0f}" if self.long_seconds is not None else "-",
        ]


def connect() -> Any:
    """A connection of its own to the benchmark's database (psycopg2, autocommit off)."""
    import psycopg2
    from django.db import connection

    return psycopg2.connect(**connection.get_connection_params())


def writer(items: list[int], until: float, phase: Phase, lock: threading.Lock) -> None:
    """Flip one item's light per transaction, round the list, until ``until``."""
    import psycopg2
    from psycopg2 import errorcodes

    from tasks_ledger.models import LedgerItem

    table = LedgerItem._meta.db_table
    conn = connect()
    seen: list[float] = []
    errors = deadlocks = 0
    try:
        index = 0
        while time.perf_counter() < until:
            item = items[index % len(items)]
            index += 1
            started = time.perf_counter()
            try:
                with conn.cursor() as cursor:
                    cursor.execute(
                        f"UPDATE {table} SET light_rank = {FLIP} WHERE id = %s",  # noqa: S608
                        [item],
                    )
                conn.commit()
            except psycopg2.Error as error:
                conn.rollback()
                if error.pgcode == errorcodes.DEADLOCK_DETECTED:
                    deadlocks += 1
                else:
                    errors += 1
                continue
            seen.append(time.perf_counter() - started)
    finally:
        conn.close()
    with lock:
        phase.latencies.extend(seen)
        phase.errors += errors
        phase.deadlocks += deadlocks


def long_write(items: list[int], batch: int, phase: Phase, lock: threading.Lock) -> None:
    """Change the lights of ``items``, ``batch`` rows a statement, in one transaction, and
    commit; its time into ``phase`` (the longest, with several), a deadlock counted."""
    import psycopg2
    from psycopg2 import errorcodes

    from tasks_ledger.models import LedgerItem

    table = LedgerItem._meta.db_table
    conn = connect()
    try:
        started = time.perf_counter()
        try:
            with conn.cursor() as cursor:
                for start in range(0, len(items), batch):
                    cursor.execute(
                        f"UPDATE {table} SET light_rank = {FLIP} WHERE id = ANY(%s)",  # noqa: S608
                        [items[start : start + batch]],
                    )
            conn.commit()
        except psycopg2.Error as error:
            conn.rollback()
            with lock:
                if error.pgcode == errorcodes.DEADLOCK_DETECTED:
                    phase.deadlocks += 1
                else:
                    phase.errors += 1
        took = time.perf_counter() - started
        with lock:
            phase.long_seconds = max(phase.long_seconds or 0.0, took)
    finally:
        conn.close()


def run_phase(
    label: str,
    shares: list[list[int]],
    seconds: float,
    long_items: list[list[int]] | None = None,
    batch: int = 1,
) -> Phase:
    """Run the writers for ``seconds``; with ``long_items`` (one list per long write, run
    side by side), start the long writes once the writers are going (a quarter of the way
    in) and wait for them too."""
    phase = Phase(label, long_rows=sum(len(i) for i in long_items or []))
    lock = threading.Lock()
    started = time.perf_counter()
    until = started + seconds
    threads = [
        threading.Thread(target=writer, args=(share, until, phase, lock)) for share in shares
    ]
    for thread in threads:
        thread.start()
    if long_items:
        time.sleep(seconds / 4)
        longs = [
            threading.Thread(target=long_write, args=(items, batch, phase, lock))
            for items in long_items
        ]
        for thread in longs:
            thread.start()
        threads += longs
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - started
    return phase


def run(
    *, writers: int = 4, seconds: float = 5.0, long_rows: list[int], row_by_row: int
) -> list[dict[str, Any]]:
    """Every phase over the items of the database Django points at (committed ones: the
    writers are connections of their own); prints the table and returns its rows."""
    from accounts.models import Unit
    from tasks_ledger.models import LedgerItem

    by_unit: dict[int, list[int]] = {}
    for pk, unit in LedgerItem.objects.values_list("pk", "unit_id").order_by("pk"):
        by_unit.setdefault(unit, []).append(pk)
    units = sorted(by_unit, key=lambda u: -len(by_unit[u]))
    rng = random.Random(7)
    # Each writer its own units; the long writes take items of every unit not written.
    shares = [
        [pk for u in units[i :: writers * 2] for pk in by_unit[u][:50]] for i in range(writers)
    ]
    taken = {u for i in range(writers) for u in units[i :: writers * 2]}
    rest = [pk for u in units if u not in taken for pk in by_unit[u]]
    phases = [run_phase("alone", shares, seconds)]
    for rows in long_rows:
        picked = rng.sample(rest, min(rows, len(rest)))
        phases.append(run_phase(f"beside 1 statement of {rows:,} rows", shares, seconds, [picked]))
    # An import updating its rows one by one (one statement each, one transaction), and
    # two such imports at once (each over its own items).
    picked = rng.sample(rest, min(2 * row_by_row, len(rest)))
    first, second = picked[:row_by_row], picked[row_by_row:]
    phases.append(run_phase(f"beside {row_by_row:,} rows one by one", shares, seconds, [first]))
    phases.append(
        run_phase(f"beside 2 × {row_by_row:,} rows one by one", shares, seconds, [first, second])
    )
    header = [
        "phase", "writes", "writes/s", "p50 ms", "p95 ms", "max ms",
        "deadlocks", "errors", "long write ms",
    ]  # fmt: skip
    top = Unit.objects.filter(depth=1).count()
    print(
        report(
            f"Light changes through the kept counts ({LedgerItem.objects.count():,} items, "
            f"{len(by_unit)} units under {top} top units; {writers} writers, "
            f"{seconds:g} s a phase)",
            header,
            [p.row() for p in phases],
        )
    )
    return [dict(zip(header, p.row(), strict=True)) for p in phases]


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs=1, default=[100_000], help="items")
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--long-rows", type=int, nargs="+", default=[1_000, 10_000])
    parser.add_argument(
        "--row-by-row", type=int, default=1_000, help="rows of the one-by-one writes"
    )
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    setup_django()

    from tasks_ledger.lights import counts_rebuild, lights_refresh
    from tasks_ledger.models import LedgerItem

    with bench_database(keep=args.keep):
        w = world()
        if not LedgerItem.objects.filter(ledger__title__startswith="基准测试台账").exists():
            started = time.perf_counter()
            bench_ledgers(w, args.sizes[0])
            lights_refresh()
            counts_rebuild()
            print(f"{args.sizes[0]:,} items ready in {time.perf_counter() - started:.1f} s")
        phases = run(
            writers=args.writers,
            seconds=args.seconds,
            long_rows=args.long_rows,
            row_by_row=args.row_by_row,
        )
        if args.json:
            print(dump({"machine": machine(), "phases": phases}))


if __name__ == "__main__":
    main()
