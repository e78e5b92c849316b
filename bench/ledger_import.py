#!/usr/bin/env python
"""Benchmark: re-importing a ledger's own export, the row count that picks web or worker.

    python bench/ledger_import.py [--sizes 2000 10000 50000] [--repeat 3] [--keep] [--json]

For each size the campaign office exports that many key tasks of one benchmark ledger
(:func:`tasks_ledger.exports.write_items_workbook`, as the page does), then:

- **count**: :func:`tasks_ledger.imports.count_rows`, the streaming pass over the sheet's
  XML that decides whether the web request or the Celery worker checks the file (the
  export writes no ``<dimension>``, so nothing else would say);
- **check**: :func:`tasks_ledger.imports.check_workbook` against the ledger, every row
  read, matched and compared. The export comes back with zero changes (asserted).

It prints the time and rows per second of each, the Python heap's peak during each
(tracemalloc: flat for the count, whatever the size), and which path the job takes.
The database is ``nlzf_bench`` (see ``bench/_common.py``), created and dropped here.
"""

from __future__ import annotations

import io
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    World,
    arguments,
    bench_database,
    bench_ledgers,
    dump,
    heap_peak_mib,
    machine,
    report,
    setup_django,
    timed,
    world,
)

if TYPE_CHECKING:
    from tasks_ledger.models import Ledger

DEFAULT_SIZES = (2_000, 10_000, 50_000)
FIRST_LEDGER = 10_000  # bench_ledgers puts the first 10,000 items in ledger 1


def ledger_for(w: World, size: int) -> Ledger:
    """A benchmark ledger holding at least ``size`` items: the first for up to 10,000, the
    second (made large enough) beyond."""
    if size <= FIRST_LEDGER:
        return bench_ledgers(w, size)[0]
    return bench_ledgers(w, FIRST_LEDGER + size)[1]


def exported(w: World, ledger: Ledger, size: int) -> bytes:
    """The office's export of the ledger's first ``size`` items."""
    from tasks_ledger import selectors
    from tasks_ledger.exports import write_items_workbook

    items = selectors.ledger_items(user=w.office).filter(ledger=ledger).order_by("pk")
    last = items.values_list("pk", flat=True)[size - 1]
    out = io.BytesIO()
    written = write_items_workbook(
        items.filter(pk__lte=last), out, title=ledger.title, kind=ledger.kind
    )
    assert written == size, (written, size)
    return out.getvalue()


def count(data: bytes) -> int:
    """The streaming row count (the header and title rows included)."""
    from tasks_ledger.imports import count_rows

    return count_rows(io.BytesIO(data))


def check(w: World, ledger: Ledger, data: bytes) -> Any:
    """Every row checked against the ledger, as the job does; nothing written."""
    from tasks_ledger.imports import check_workbook

    return check_workbook(io.BytesIO(data), ledger=ledger, user=w.office)


def run(*, sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    """Measure every size; the figures, one dict per size (also printed as a table)."""
    from django.conf import settings

    w = world()
    figures = []
    for size in sorted(sizes):
        ledger = ledger_for(w, size)
        data = exported(w, ledger, size)
        check(w, ledger, exported(w, ledger, 1))  # warm: imports, translations, unit index
        count_time, rows = timed(partial(count, data), repeat=repeat)
        check_time, result = timed(partial(check, w, ledger, data), repeat=repeat)
        assert not result.problems, result.problems[:3]
        assert result.count("unchanged") == size, dict(result.counts)
        figure: dict[str, Any] = {
            "rows": size,
            "file_kib": round(len(data) / 1024),
            "counted": rows,
            # As the job decides: the rows below the header against the threshold.
            "path": "web"
            if rows - (result.header_row or 0) <= settings.LEDGER_IMPORT_ASYNC_ROWS
            else "worker",
            "count_s": round(count_time.best, 3),
            "count_rows_per_s": round(size / count_time.best),
            "count_heap_peak_mib": round(heap_peak_mib(partial(count, data)), 1),
            "check_s": round(check_time.best, 3),
            "check_rows_per_s": round(size / check_time.best),
            "check_heap_peak_mib": round(heap_peak_mib(partial(check, w, ledger, data)), 1),
            "unchanged": result.count("unchanged"),
        }
        figures.append(figure)
        print(f"{size:,} rows measured", flush=True)
    print()
    print(
        report(
            f"Re-import of the office's own export (key tasks; best of {repeat})",
            (
                "rows",
                "file KiB",
                "counted",
                "path",
                "count s",
                "count rows/s",
                "count heap MiB",
                "check s",
                "check rows/s",
                "check heap MiB",
                "unchanged",
            ),
            [
                (
                    f"{f['rows']:,}",
                    f"{f['file_kib']:,}",
                    f"{f['counted']:,}",
                    f["path"],
                    f"{f['count_s']:.2f}",
                    f"{f['count_rows_per_s']:,}",
                    f"{f['count_heap_peak_mib']:.1f}",
                    f"{f['check_s']:.2f}",
                    f"{f['check_rows_per_s']:,}",
                    f"{f['check_heap_peak_mib']:.1f}",
                    f"{f['unchanged']:,}",
                )
                for f in figures
            ],
        )
    )
    return figures


def main() -> None:
    """Create the benchmark database, measure, print, drop it."""
    options = arguments(__doc__.splitlines()[0], DEFAULT_SIZES)
    setup_django()
    with bench_database(keep=options.keep):
        figures = run(sizes=options.sizes, repeat=options.repeat)
        about = machine()
    print()
    print(" · ".join(f"{key}: {value}" for key, value in about.items()))
    if options.json:
        print(dump({"benchmark": "ledger_import", "machine": about, "figures": figures}))


if __name__ == "__main__":
    main()
