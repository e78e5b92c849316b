"""The benchmarks in ``bench/`` still run (with a few items, in the test database).

They are not part of the suite's figures; this only keeps them from rotting when the export,
the list page or the API change under them.
"""

from __future__ import annotations

import pytest

from bench import ledger_export, ledger_import, ledger_list

pytestmark = pytest.mark.django_db


def test_export_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN 30 benchmark items WHEN the export benchmark runs THEN the export and both bare
    writers wrote them and it printed its table with both ratios."""
    figures = ledger_export.run(sizes=[30], repeat=1, isolate=False)

    assert [f["rows"] for f in figures] == [30]
    figure = figures[0]
    assert figure["export_rows_per_s"] > 0 and figure["xlsxwriter_rows_per_s"] > 0
    assert figure["openpyxl_rows_per_s"] > 0
    assert figure["ratio"] > 0 and figure["ratio_openpyxl"] > 0
    assert figure["export_heap_peak_mib"] > 0
    out = capsys.readouterr().out
    assert "export/XlsxWriter" in out and "export/openpyxl" in out


def test_list_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN 30 benchmark items WHEN the list benchmark runs THEN every page and API request
    answered 200 with a fixed handful of queries, and it printed its table."""
    figures = ledger_list.run(sizes=[30], repeat=1)

    for who in ("office", "county liaison"):
        mine = [f for f in figures if f["user"] == who]
        assert len(mine) == len({f["request"] for f in mine}) >= 5
        assert {f["request"] for f in mine} >= {"page: first page", "API: first page"}
    assert all(0 < f["queries"] < 20 and f["x_trivial"] > 0 for f in figures)
    assert "best ms" in capsys.readouterr().out


def test_import_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN 30 benchmark items WHEN the import benchmark re-imports their export THEN the
    streaming count found every row, the check found no change, and it printed its table."""
    figures = ledger_import.run(sizes=[30], repeat=1)

    assert [(f["rows"], f["unchanged"], f["path"]) for f in figures] == [(30, 30, "web")]
    assert figures[0]["counted"] >= 30 and figures[0]["check_rows_per_s"] > 0
    assert "check rows/s" in capsys.readouterr().out


def test_province_pages_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN the demo city with 30 benchmark items WHEN the province pages benchmark runs as
    its office and a county liaison THEN every request answered 200 (it asserts so), each
    row has its ratio to the trivial page, its own queries and a verdict, the deep pages
    were reached by following next links, and it printed both tables."""
    from bench import province_pages
    from bench._common import bench_ledgers, world

    bench_ledgers(world(), 30)
    personas = province_pages.personas_named("office", "county_liaison")
    figures = province_pages.run(personas=personas, repeat=1, deep=2)

    assert {f["who"] for f in figures} == {"provincial office", "county liaison"}
    requests = {f["request"] for f in figures}
    assert {"trivial page", "battle map", "home", "office queues", "ranking endpoint"} <= requests
    assert {"items: deep (next x2)", "API items: deep (next x2)"} <= requests
    assert all(f["ratio"] > 0 and f["verdict"] for f in figures)
    assert all(f["own_queries"] == 0 for f in figures if f["request"] == "trivial page")
    assert all(f["deep_ratio"] for f in figures if "deep" in f["request"])
    out = capsys.readouterr().out
    assert out.count("best ms") == 2 and "battle map" in out


@pytest.mark.django_db(transaction=True)
def test_rollup_contention_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN the demo city with 60 benchmark items (committed: the writers are connections
    of their own) WHEN the contention benchmark runs short phases THEN every phase wrote,
    the long writes were timed, no write failed otherwise than by a deadlock, and it
    printed its table."""
    from bench import rollup_contention
    from bench._common import bench_ledgers, world

    bench_ledgers(world(), 60)
    phases = rollup_contention.run(writers=2, seconds=0.4, long_rows=[10], row_by_row=5)

    assert [p["phase"] for p in phases] == [
        "alone",
        "beside 1 statement of 10 rows",
        "beside 5 rows one by one",
        "beside 2 × 5 rows one by one",
    ]
    assert all(p["writes"] > 0 and p["errors"] == 0 for p in phases)
    assert all(p["long write ms"] != "-" for p in phases[1:])
    assert "long write ms" in capsys.readouterr().out
