#!/usr/bin/env python
"""Benchmark: exporting ledger items to Excel, against bare openpyxl writing the same rows.

    python bench/ledger_export.py [--sizes 10000 100000] [--repeat 3] [--keep] [--json]

For each size it exports that many key tasks with
:func:`tasks_ledger.exports.write_items_workbook` (the page's export: styles, merged title,
formula-safe text, status drop-down) from the list selector's queryset, and writes the same
rows, the same values of the same columns from the same query, with bare openpyxl
write-only and nothing else. It prints rows per second, the ratio of the two times, and the
peak memory of each: the Python heap (tracemalloc) and the growth of the resident set.
The database is ``nlzf_bench`` (see ``bench/_common.py``), created and dropped here.
"""

from __future__ import annotations

import sys
import tempfile
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
    child_memory,
    child_rss,
    dump,
    heap_peak_mib,
    machine,
    report,
    rss_growth_mib,
    setup_child,
    setup_django,
    timed,
    world,
)

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from tasks_ledger.models import Ledger, LedgerItem

DEFAULT_SIZES = (10_000, 100_000)
KIND = "key_task"


def items_for(w: World, ledgers: list[Ledger], size: int) -> QuerySet[LedgerItem]:
    """The first ``size`` benchmark items as the office sees them (scoped, light annotated)."""
    from tasks_ledger import selectors
    from tasks_ledger.models import LedgerItem

    ids = LedgerItem.objects.filter(ledger__in=ledgers).order_by("pk").values_list("pk", flat=True)
    last = ids[size - 1]
    return selectors.ledger_items(user=w.office).filter(ledger__in=ledgers, pk__lte=last)


def export(items: QuerySet[LedgerItem]) -> int:
    """The platform's export into a temporary file; the rows written."""
    from tasks_ledger.exports import write_items_workbook

    with tempfile.TemporaryFile() as out:
        return write_items_workbook(items, out, title="基准测试台账", kind=KIND)


def bare(items: QuerySet[LedgerItem]) -> int:
    """The same values of the same columns from the same query, written by bare openpyxl
    write-only: no styles, widths, title, validation or text guarding."""
    from decimal import Decimal

    from openpyxl import Workbook

    from tasks_ledger.exports import VALUES, columns_for, prepare_items

    columns = columns_for(KIND)
    getters = [VALUES.get(c.key) for c in columns]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append([str(c.label) for c in columns])
    rows = 0
    for item in prepare_items(items, KIND).iterator(chunk_size=1000):
        values: list[Any] = []
        for column, getter in zip(columns, getters, strict=True):
            value = getter(item) if getter else getattr(item, column.key)
            values.append(float(value) if isinstance(value, Decimal) else value)
        sheet.append(values)
        rows += 1
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
    return rows


WRITERS = {"export": export, "bare": bare}


def run(*, sizes: list[int], repeat: int, isolate: bool = True) -> list[dict[str, Any]]:
    """Measure every size; the figures, one dict per size (also printed as a table).

    ``isolate``: measure the resident set in a fresh process per writer and size (the
    database must be committed and ``BENCH_DB_NAME``'s); otherwise in this process.
    """
    w = world()
    ledgers = bench_ledgers(w, max(sizes))
    export(items_for(w, ledgers, 1))  # warm: imports, fonts, translations
    bare(items_for(w, ledgers, 1))
    figures = []
    for size in sorted(sizes):
        items = items_for(w, ledgers, size)
        export_time, written = timed(partial(export, items), repeat=repeat)
        bare_time, bare_written = timed(partial(bare, items), repeat=repeat)
        assert written == bare_written == size, (written, bare_written, size)
        figure: dict[str, Any] = {
            "rows": size,
            "export_s": round(export_time.best, 3),
            "export_rows_per_s": round(size / export_time.best),
            "bare_s": round(bare_time.best, 3),
            "bare_rows_per_s": round(size / bare_time.best),
            "ratio": round(export_time.best / bare_time.best, 2),
        }
        for name, writer in WRITERS.items():
            figure[f"{name}_heap_peak_mib"] = round(heap_peak_mib(partial(writer, items)), 1)
            if isolate:
                rss = child_memory(Path(__file__), name, str(size))["rss_growth_mib"]
            else:
                rss = rss_growth_mib(partial(writer, items))
            figure[f"{name}_rss_growth_mib"] = None if rss is None else round(rss, 1)
        figures.append(figure)
        print(f"{size:,} rows measured", flush=True)
    print()
    print(
        report(
            f"Ledger export (key tasks; time: best of {repeat}; memory: peak above the start)",
            (
                "rows",
                "export s",
                "rows/s",
                "bare s",
                "bare rows/s",
                "export/bare",
                "heap MiB",
                "RSS+ MiB",
                "bare heap",
                "bare RSS+",
            ),
            [
                (
                    f"{f['rows']:,}",
                    f"{f['export_s']:.2f}",
                    f"{f['export_rows_per_s']:,}",
                    f"{f['bare_s']:.2f}",
                    f"{f['bare_rows_per_s']:,}",
                    f"{f['ratio']:.2f}",
                    f"{f['export_heap_peak_mib']:.1f}",
                    _shown(f["export_rss_growth_mib"]),
                    f"{f['bare_heap_peak_mib']:.1f}",
                    _shown(f["bare_rss_growth_mib"]),
                )
                for f in figures
            ],
        )
    )
    return figures


def child(writer: str, size: int) -> None:
    """In a fresh process: one run of ``writer`` over ``size`` items; print its memory."""
    setup_child()
    w = world()
    ledgers = bench_ledgers(w, size)
    items = items_for(w, ledgers, size)
    WRITERS[writer](items_for(w, ledgers, 1))  # imports and first-use caches, as in the parent
    print(dump(child_rss(partial(WRITERS[writer], items))))


def _shown(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def main() -> None:
    """Create the benchmark database, measure, print, drop it."""
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2], int(sys.argv[3]))
        return
    options = arguments(__doc__.splitlines()[0], DEFAULT_SIZES)
    setup_django()
    with bench_database(keep=options.keep):
        figures = run(sizes=options.sizes, repeat=options.repeat)
        about = machine()
    print()
    print(" · ".join(f"{key}: {value}" for key, value in about.items()))
    if options.json:
        print(dump({"benchmark": "ledger_export", "machine": about, "figures": figures}))


if __name__ == "__main__":
    main()
