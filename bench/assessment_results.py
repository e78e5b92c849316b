#!/usr/bin/env python
"""Benchmark: computing a round's results for many units at once.

    python bench/assessment_results.py [--sizes 10000] [--repeat 3] [--keep] [--json]

Builds, on the demo city (``bench/_common.py``), N more units in two categories, a scheme
of 30 indicators over the four sources, a quarterly round with a score for every unit and
indicator (N × 30 rows) and deductions for one unit in twenty, then times
:func:`assessments.results.round_compute` (subtotals, weighted totals, bands, linkage caps,
``row_number()`` ranks, ``ntile()`` tiers, quotas, movement: everything it writes) against
the bare aggregation over the same rows: one ``SELECT … GROUP BY`` of the capped points per
unit and source, read and thrown away. Both in a transaction rolled back after each run.
"""

from __future__ import annotations

import random
import sys
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import (
    BATCH,
    World,
    arguments,
    bench_database,
    dump,
    machine,
    report,
    setup_django,
    timed,
    world,
)

DEFAULT_SIZES = (10_000,)
INDICATORS = {"daily": 8, "annual": 8, "third_party": 7, "public": 7}  # 30 in all
ROOT_CODE = "BENCH-ASSESS"
#: The benchmark's scheme is this many years after the campaign's (the demo holds its own year).
BENCH_YEARS_AHEAD = 50


def build(w: World, size: int) -> Any:
    """The units, scheme, round, scores and deductions for ``size`` units (made once and
    reused by a later run with ``--keep``); returns the round."""
    import pgtrigger
    from django.db import connection

    from accounts.models import Unit, UnitKind, UnitLevel
    from accounts.services import unit_create
    from assessments.models import (
        CategoryMember,
        Deduction,
        DeductionOrigin,
        Grade,
        GradeBand,
        Indicator,
        Round,
        RoundKind,
        RoundStatus,
        Scheme,
        ScoreEntry,
        Source,
        UnitCategory,
    )

    campaign = w.campaign
    # A year of its own: the demo's scheme holds the campaign's year (one scheme per year).
    year = campaign.year + BENCH_YEARS_AHEAD
    scheme = Scheme.objects.filter(campaign=campaign, year=year).first()
    if scheme is not None:
        round_ = scheme.rounds.get(title__startswith="基准")
        if CategoryMember.objects.filter(scheme=scheme).count() >= size:
            return round_
        round_.delete()  # its scores, deductions and results go with it
        scheme.delete()
    rng = random.Random(20220718)
    root = Unit.objects.filter(code=ROOT_CODE).first()
    if root is None:
        root = unit_create(
            actor=None,
            parent=campaign.owner_unit,
            code=ROOT_CODE,
            name="基准考核单位",
            level=UnitLevel.CITY,
            kind=UnitKind.GOVERNMENT,
        )
    have = Unit.objects.filter(path__startswith=root.path, depth=root.depth + 1).count()
    with pgtrigger.ignore("accounts.Unit:insert_insert"):
        rows = [
            Unit(
                path=Unit._get_path(root.path, root.depth + 1, n),
                depth=root.depth + 1,
                numchild=0,
                code=f"BA{n:06d}",
                name=f"基准单位{n}",
                level=UnitLevel.COUNTY,
                kind=UnitKind.GOVERNMENT,
            )
            for n in range(have + 1, size + 1)
        ]
        Unit.objects.bulk_create(rows, batch_size=BATCH)
    Unit.objects.filter(pk=root.pk).update(numchild=size)
    units = list(Unit.objects.filter(code__startswith="BA").order_by("code")[:size])

    scheme = Scheme.objects.create(
        campaign=campaign,
        year=year,
        title="基准考核方案",
        daily_weight=Decimal(40),
        annual_weight=Decimal(20),
        third_party_weight=Decimal(20),
        public_weight=Decimal(20),
    )
    indicators = [
        Indicator.objects.create(
            scheme=scheme,
            code=f"{source[0].upper()}{n}",
            name=f"{Source(source).label}指标{n}",
            source=source,
            max_points=Decimal(10),
        )
        for source, count in INDICATORS.items()
        for n in range(1, count + 1)
    ]
    counties = UnitCategory.objects.create(scheme=scheme, name="县（市、区）")
    departments = UnitCategory.objects.create(scheme=scheme, name="市直部门")
    CategoryMember.objects.bulk_create(
        (
            CategoryMember(scheme=scheme, category=counties if n % 2 else departments, unit=unit)
            for n, unit in enumerate(units)
        ),
        batch_size=BATCH,
    )
    for grade, low, quota in (
        (Grade.EXCELLENT, 90, 20),
        (Grade.GOOD, 80, None),
        (Grade.FAIR, 60, None),
    ):
        GradeBand.objects.create(
            scheme=scheme, grade=grade, min_total=Decimal(low), quota_percent=quota
        )
    round_ = Round.objects.create(
        scheme=scheme,
        kind=RoundKind.QUARTERLY,
        quarter=1,
        title="基准第一季度",
        period_start=campaign.start_date,
        period_end=campaign.start_date.replace(month=3, day=31)
        if campaign.start_date.month <= 3
        else campaign.start_date,
        status=RoundStatus.REVIEW,
    )
    with pgtrigger.ignore("assessments.ScoreEntry:insert_insert"):
        batch: list[ScoreEntry] = []
        for unit in units:
            for indicator in indicators:
                batch.append(
                    ScoreEntry(
                        round=round_,
                        unit=unit,
                        indicator=indicator,
                        points=Decimal(rng.randint(50, 100)) / 10,
                    )
                )
            if len(batch) >= BATCH:
                ScoreEntry.objects.bulk_create(batch)
                batch = []
        ScoreEntry.objects.bulk_create(batch)
    with pgtrigger.ignore("assessments.Deduction:insert_insert"):
        Deduction.objects.bulk_create(
            (
                Deduction(
                    round=round_,
                    unit=unit,
                    indicator=rng.choice(indicators),
                    points=Decimal(rng.randint(1, 4)),
                    reason="明察暗访发现台账更新不及时",
                    origin=DeductionOrigin.INSPECTION,
                )
                for unit in units[::20]
            ),
            batch_size=BATCH,
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return round_


def bare(round_: Any) -> int:
    """The aggregation alone: capped points per unit and source, read and discarded."""
    from django.db import connection

    from assessments.models import Indicator, ScoreEntry

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT e.unit_id, i.source, SUM(LEAST(e.points, i.max_points))
            FROM {ScoreEntry._meta.db_table} e
            JOIN {Indicator._meta.db_table} i ON i.id = e.indicator_id
            WHERE e.round_id = %s
            GROUP BY e.unit_id, i.source
            """,  # noqa: S608 (our table names)
            [round_.pk],
        )
        return len(cursor.fetchall())


def _rolled_back(run: Any) -> Any:
    from django.db import transaction

    with transaction.atomic():
        result = run()
        transaction.set_rollback(True)
    return result


def run(*, sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    """Measure the computation and the bare aggregation at every size (also printed)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from assessments.models import ScoreEntry
    from assessments.results import round_compute

    w = world()
    figures = []
    for size in sorted(sizes):
        round_ = build(w, size)
        scores = ScoreEntry.objects.filter(round=round_).count()
        compute = partial(_rolled_back, partial(round_compute, round_=round_))
        compute()  # warm
        with CaptureQueriesContext(connection) as queries:
            ranked = compute()
        timing, _ = timed(compute, repeat=repeat)
        bare_timing, groups = timed(partial(_rolled_back, partial(bare, round_)), repeat=repeat)
        figures.append(
            {
                "units": ranked,
                "scores": scores,
                "compute_s": round(timing.best, 3),
                "bare_s": round(bare_timing.best, 3),
                "ratio": round(timing.best / bare_timing.best, 2) if bare_timing.best else None,
                "statements": len(queries),
                "groups": groups,
            }
        )
    print()
    print(
        report(
            f"A round's results (best of {repeat}; rolled back)",
            ("units", "scores", "compute s", "bare s", "compute/bare", "statements"),
            [
                (
                    f"{f['units']:,}",
                    f"{f['scores']:,}",
                    f["compute_s"],
                    f["bare_s"],
                    f["ratio"],
                    f["statements"],
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
        figures = run(sizes=options.sizes, repeat=max(options.repeat, 1))
        about = machine()
    print()
    print(" · ".join(f"{key}: {value}" for key, value in about.items()))
    if options.json:
        print(dump({"benchmark": "assessment_results", "machine": about, "figures": figures}))


if __name__ == "__main__":
    main()
