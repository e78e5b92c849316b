#!/usr/bin/env python
"""Benchmark: exporting ledger items to Excel, against bare writers given the same values.

    python bench/ledger_export.py [--sizes 10000 100000] [--repeat 3] [--keep] [--json]
    python bench/ledger_export.py --sizes 10000 100000 1000000 --repeat 1   # flat to 1M

For each size it exports that many key tasks with
:func:`tasks_ledger.exports.write_items_workbook` (the page's export: the query through a
server-side cursor, styles, merged title, formula-safe text, real dates, the status
drop-down, print set-up) from the list selector's queryset. Beside it, the same values of
the same columns, fetched beforehand into a list (the export's own query, converted as it
converts them), are written by bare XlsxWriter in constant-memory mode and by bare openpyxl
in write-only mode, with nothing else: no styles, widths, title, validation or guarding.
It prints the times, rows per second, the export's ratio to each bare writer (issue 10's
goal: at most 2x bare XlsxWriter at 100,000 rows), and the export's memory: the peak of
the Python heap (tracemalloc) and the growth of the resident set in a fresh process,
which stay flat from 10,000 to 1,000,000 rows. The database is ``nlzf_bench`` (see
``bench/_common.py``; ``BENCH_DB_NAME`` names another), created and dropped here.
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
    Timing,
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
Rows = list[tuple[Any, ...]]


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


def prefetch(items: QuerySet[LedgerItem]) -> tuple[list[str], Rows]:
    """The header and the values the export writes, fetched by its own query and converted
    as it converts them (labels for codes, dates as dates, numbers as floats), in a list."""
    from decimal import Decimal

    from tasks_ledger.exports import LONG_TERM, columns_for, item_rows
    from tasks_ledger.models import ItemStatus, Light

    columns = columns_for(KIND)
    rows, starts, _totals = item_rows(items, columns, KIND)
    labels = {**dict(ItemStatus.choices), **dict(Light.choices)}

    def final(column: Any, values: tuple[Any, ...], at: int) -> Any:
        value = values[at]
        if column.key == "responsible_person":
            return value or values[at + 1] or ""
        if column.key == "deadline" and value is None:
            return str(LONG_TERM)
        if column.fmt in ("status", "light"):
            return str(labels[value])
        return float(value) if isinstance(value, Decimal) else value

    fetched = [
        tuple(final(c, values, at) for c, at in zip(columns, starts, strict=True))
        for values in rows.iterator(chunk_size=2000)
    ]
    return [str(c.label) for c in columns], fetched


def bare_xlsxwriter(header: list[str], rows: Rows) -> int:
    """``rows`` written by bare XlsxWriter, constant-memory mode, nothing else (no string
    is looked at for formulas, numbers or links: the fastest way it writes them)."""
    import xlsxwriter

    with tempfile.TemporaryFile() as out:
        workbook = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        sheet = workbook.add_worksheet()
        sheet.write_row(0, 0, header)
        for number, row in enumerate(rows, 1):
            sheet.write_row(number, 0, row)
        workbook.close()
    return len(rows)


def bare_openpyxl(header: list[str], rows: Rows) -> int:
    """``rows`` appended to a bare openpyxl write-only sheet, nothing else."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    with tempfile.TemporaryFile() as out:
        workbook.save(out)
    return len(rows)


def run(*, sizes: list[int], repeat: int, isolate: bool = True) -> list[dict[str, Any]]:
    """Measure every size; the figures, one dict per size (also printed as a table).

    ``isolate``: measure the export's resident set in a fresh process per size (the
    database must be committed and ``BENCH_DB_NAME``'s); otherwise in this process.
    """
    w = world()
    ledgers = bench_ledgers(w, max(sizes))
    warm = items_for(w, ledgers, 1)
    export(warm)  # warm: imports, fonts, translations
    bare_xlsxwriter(*prefetch(warm))
    bare_openpyxl(*prefetch(warm))
    figures = []
    for size in sorted(sizes):
        items = items_for(w, ledgers, size)
        header, rows = prefetch(items)
        # Interleaved (export, XlsxWriter, openpyxl, export, ...) so that the three see the
        # same machine when others' work comes and goes on it.
        runs: dict[str, list[Timing]] = {"export": [], "xlsxwriter": [], "openpyxl": []}
        for _ in range(repeat):
            for name, writer in (
                ("export", partial(export, items)),
                ("xlsxwriter", partial(bare_xlsxwriter, header, rows)),
                ("openpyxl", partial(bare_openpyxl, header, rows)),
            ):
                timing, result = timed(writer, repeat=1)
                runs[name].append(timing)
                assert result == size, (name, result, size)
        export_time, xlsx_time, opx_time = (
            Timing([t.best for t in runs[name]]) for name in ("export", "xlsxwriter", "openpyxl")
        )
        del rows
        figure: dict[str, Any] = {
            "rows": size,
            "export_s": round(export_time.best, 3),
            "export_rows_per_s": round(size / export_time.best),
            "xlsxwriter_s": round(xlsx_time.best, 3),
            "xlsxwriter_rows_per_s": round(size / xlsx_time.best),
            "openpyxl_s": round(opx_time.best, 3),
            "openpyxl_rows_per_s": round(size / opx_time.best),
            "ratio": round(export_time.best / xlsx_time.best, 2),
            "ratio_openpyxl": round(export_time.best / opx_time.best, 2),
            "export_heap_peak_mib": round(heap_peak_mib(partial(export, items)), 1),
        }
        if isolate:
            rss = child_memory(Path(__file__), "export", str(size))["rss_growth_mib"]
        else:
            rss = rss_growth_mib(partial(export, items))
        figure["export_rss_growth_mib"] = None if rss is None else round(rss, 1)
        figures.append(figure)
        print(f"{size:,} rows measured", flush=True)
    print()
    print(
        report(
            f"Ledger export (key tasks; time: best of {repeat}; bare writers: the same values "
            "fetched beforehand; memory: the export's peak above the start)",
            (
                "rows",
                "export s",
                "rows/s",
                "XlsxWriter s",
                "rows/s",
                "openpyxl s",
                "rows/s",
                "export/XlsxWriter",
                "export/openpyxl",
                "heap MiB",
                "RSS+ MiB",
            ),
            [
                (
                    f"{f['rows']:,}",
                    f"{f['export_s']:.2f}",
                    f"{f['export_rows_per_s']:,}",
                    f"{f['xlsxwriter_s']:.2f}",
                    f"{f['xlsxwriter_rows_per_s']:,}",
                    f"{f['openpyxl_s']:.2f}",
                    f"{f['openpyxl_rows_per_s']:,}",
                    f"{f['ratio']:.2f}",
                    f"{f['ratio_openpyxl']:.2f}",
                    f"{f['export_heap_peak_mib']:.1f}",
                    _shown(f["export_rss_growth_mib"]),
                )
                for f in figures
            ],
        )
    )
    return figures


def child(writer: str, size: int) -> None:
    """In a fresh process: one export of ``size`` items; print its memory."""
    assert writer == "export", writer
    setup_child()
    w = world()
    ledgers = bench_ledgers(w, size)
    items = items_for(w, ledgers, size)
    export(items_for(w, ledgers, 1))  # imports and first-use caches, as in the parent
    print(dump(child_rss(partial(export, items))))


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
