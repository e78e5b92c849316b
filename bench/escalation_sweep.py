#!/usr/bin/env python
"""Benchmark: the escalation sweep over many ledger items, a tenth of them overdue.

    python bench/escalation_sweep.py [--sizes 200000] [--repeat 3] [--keep] [--json]
    python bench/escalation_sweep.py --sizes 1000000 --repeat 2 --keep   # the province's size

The benchmark items (``bench/_common.py``; beyond 200,000, copies of those made in SQL,
see :func:`items`) are shaped so that every tenth one is open and
ten days past its deadline and the rest are within their time or finished. The sweep
(:func:`accountability.escalation.sweep`) then writes a reminder for each overdue item,
numbers and issues them, names their responsible people and tells the liaisons and those
people. It runs as a dry run: the whole work, history triggers included, then a rollback,
so every repeat finds the same work to do.

"Bare" is the same rows written by the plainest statements that write them, in one
rolled-back transaction too: insert the reminders for the overdue items, number them, name
the chain's responsible person, insert the notifications. No policy, no supervision group,
no exemption check, no escalation pass, no advisory lock, no run record, no look-up of who
acts for each unit, no near-deadline pass.
The ratio is the sweep's time over the bare statements' time; both counts of statements are
printed (the sweep's does not grow with the items).
"""

# SQL below is built from our own table names only; values go in as parameters.
# ruff: noqa: S608

from __future__ import annotations

import sys
from datetime import timedelta
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

DEFAULT_SIZES = (200_000,)
OVERDUE_EVERY = 10  # one item in ten is overdue
#: Items made one by one in Python (``bench/_common.py``); beyond, copies of them in SQL.
MADE_IN_PYTHON = 200_000


def items(w: World, size: int) -> list[Any]:
    """The benchmark ledgers holding ``size`` items. Up to :data:`MADE_IN_PYTHON` they are
    made by ``bench_ledgers``; the rest (a million takes minutes, not an hour) are copies of
    those, made by one INSERT … SELECT in the second ledger with codes of their own, the
    history trigger skipped as ``bench_ledgers`` skips it (the count triggers fire)."""
    import time

    import pgtrigger
    from django.db import connection

    from tasks_ledger.models import LedgerItem

    ledgers = bench_ledgers(w, min(size, MADE_IN_PYTHON))
    if size <= MADE_IN_PYTHON:
        return ledgers
    second = ledgers[-1]
    have = second.items.count()
    need = size - ledgers[0].items.count() - have
    if need > 0:
        started = time.perf_counter()
        fields = [
            f
            for f in LedgerItem._meta.concrete_fields
            if f.column not in ("id", "code") and not getattr(f, "generated", False)
        ]
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        picked = ", ".join(f"i.{connection.ops.quote_name(str(f.column))}" for f in fields)
        with (
            pgtrigger.ignore("tasks_ledger.LedgerItem:insert_insert"),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                f"""
                INSERT INTO {LedgerItem._meta.db_table} ({columns}, code)
                SELECT {picked}, (%s + row_number() OVER (ORDER BY k, i.id))::text
                FROM generate_series(1, %s) k
                CROSS JOIN (SELECT * FROM {LedgerItem._meta.db_table}
                            WHERE ledger_id = %s ORDER BY id LIMIT %s) i
                ORDER BY k, i.id
                LIMIT %s
                """,
                # pgtrigger.ignore takes positional parameters only. The codes start above
                # every code bench_ledgers writes.
                [10_000_000 + have, -(-need // have), second.pk, have, need],
            )
            cursor.execute("ANALYZE")
        took = time.perf_counter() - started
        print(f"{need:,} items copied into {second.title} in {took:.1f} s", flush=True)
    return ledgers


def shape(ledgers: list[Any]) -> int:
    """Make every tenth benchmark item open and 10 days overdue, the others not overdue,
    and clear earlier runs' records; returns how many benchmark items are overdue."""
    import pgtrigger
    from django.db import connection
    from django.utils import timezone

    from accountability.models import Notice, SweepRun
    from tasks_ledger.models import ItemStatus, LedgerItem

    today = timezone.localdate()
    params: dict[str, Any] = {
        "ledgers": [ledger.pk for ledger in ledgers],
        "every": OVERDUE_EVERY,
        "open": ItemStatus.IN_PROGRESS.value,
        "not_started": ItemStatus.NOT_STARTED.value,
        "late": today - timedelta(days=10),
        "later": today + timedelta(days=60),
    }
    table = LedgerItem._meta.db_table
    with (
        pgtrigger.ignore("tasks_ledger.LedgerItem:update_update"),
        connection.cursor() as cursor,
    ):
        # Only rows not shaped yet are written (a kept million-item database is shaped once).
        # pgtrigger.ignore takes positional parameters only.
        cursor.execute(
            f"""
            WITH want AS (
                SELECT i.id,
                    CASE WHEN i.id %% %s = 0 THEN %s
                         WHEN i.status = %s THEN %s
                         ELSE i.status END AS status,
                    CASE WHEN i.id %% %s = 0 THEN %s::date
                         ELSE %s::date END AS deadline,
                    LEAST(i.start_date, %s::date - 30) AS start_date,
                    CASE WHEN i.id %% %s = 0 THEN NULL
                         ELSE i.signed_off_at END AS signed_off_at,
                    CASE WHEN i.id %% %s = 0 THEN LEAST(i.progress, 60)
                         ELSE i.progress END AS progress
                FROM {table} i WHERE i.ledger_id = ANY(%s)
            )
            UPDATE {table} i SET status = w.status, deadline = w.deadline,
                start_date = w.start_date, signed_off_at = w.signed_off_at, progress = w.progress
            FROM want w
            WHERE i.id = w.id
              AND (i.status, i.deadline, i.start_date, i.signed_off_at, i.progress)
                  IS DISTINCT FROM (w.status, w.deadline, w.start_date, w.signed_off_at, w.progress)
            """,
            [
                params[name]
                for name in [
                    "every",
                    "open",
                    "not_started",
                    "open",
                    "every",
                    "late",
                    "later",
                    "late",
                    "every",
                    "every",
                    "ledgers",
                ]
            ],
        )
        cursor.execute(
            f"SELECT count(*) FROM {table} WHERE ledger_id = ANY(%s) AND id %% %s = 0",
            [params["ledgers"], OVERDUE_EVERY],
        )
        overdue = int(cursor.fetchone()[0])
        cursor.execute("ANALYZE")
    assert not Notice.objects.filter(sweep_run__isnull=False).exists()
    SweepRun.objects.all().delete()
    return overdue


def bare(w: World) -> tuple[int, int]:
    """The plainest statements writing the same reminders, rolled back: (notices, statements)."""
    import pghistory
    from django.db import connection, transaction
    from django.utils import timezone

    from accountability.escalation import _t
    from accountability.models import (
        Notice,
        NoticeCounter,
        NoticePerson,
        SweepRun,
    )
    from accounts.models import Membership, Notification
    from campaign.models import ResponsibilityChain
    from tasks_ledger.models import Ledger, LedgerItem

    now = timezone.now()
    today = timezone.localdate(now)
    run = SweepRun.objects.create(as_of=today, dry_run=True)
    params: dict[str, Any] = {"run": run.pk, "now": now, "today": today, "campaign": w.campaign.pk}
    statements = [
        f"""
        INSERT INTO {_t(Notice)} (campaign_id, kind, status, number, group_id, issuing_unit_id,
            target_unit_id, item_id, subject_title, facts, requirements, reply_deadline,
            sweep_run_id, drafted_at, reply, return_reason)
        SELECT l.campaign_id, 'reminder', 'draft', '', NULL, l.owner_unit_id, i.unit_id, i.id,
            '', '逾期未完成', '请反馈整改情况', %(today)s::date + 7, %(run)s, %(now)s, '', ''
        FROM {_t(LedgerItem)} i JOIN {_t(Ledger)} l ON l.id = i.ledger_id
        WHERE l.campaign_id = %(campaign)s AND i.status IN ('not_started', 'in_progress')
          AND %(today)s::date - i.deadline >= 3
          AND NOT EXISTS (SELECT 1 FROM {_t(Notice)} n WHERE n.item_id = i.id
                          AND (n.status <> 'closed' OR n.closed_at >= %(now)s - interval '3 days'))
        """,
        f"""
        WITH todo AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM {_t(Notice)}
                      WHERE sweep_run_id = %(run)s),
        b AS (INSERT INTO {_t(NoticeCounter)} (kind, year, last)
              SELECT 'reminder', 2099, count(*) FROM todo
              ON CONFLICT (kind, year) DO UPDATE SET last = {_t(NoticeCounter)}.last + EXCLUDED.last
              RETURNING last)
        UPDATE {_t(Notice)} n SET status = 'issued', number_year = 2099, sequence = t.rn,
            number = '提示〔2099〕' || t.rn || '号', issued_on = %(today)s
        FROM todo t, b WHERE n.id = t.id
        """,
        f"""
        INSERT INTO {_t(NoticePerson)} (notice_id, user_id)
        SELECT n.id, ch.responsible_person_id FROM {_t(Notice)} n
        JOIN {_t(LedgerItem)} i ON i.id = n.item_id
        JOIN {_t(ResponsibilityChain)} ch ON ch.id = i.chain_id
        WHERE n.sweep_run_id = %(run)s
        """,
        f"""
        INSERT INTO {_t(Notification)} (recipient_id, kind, title, body, link, urgent, created_at)
        SELECT r.user_id, 'notice', n.number, '', '/supervision/notices/' || n.id || '/', false,
            %(now)s
        FROM {_t(Notice)} n JOIN (
            SELECT n.id, m.user_id FROM {_t(Notice)} n
            JOIN {_t(Membership)} m ON m.unit_id = n.target_unit_id AND m.post = 'liaison'
            WHERE n.sweep_run_id = %(run)s
            UNION SELECT np.notice_id, np.user_id FROM {_t(NoticePerson)} np
            JOIN {_t(Notice)} n ON n.id = np.notice_id WHERE n.sweep_run_id = %(run)s
        ) r ON r.id = n.id
        """,
    ]
    written = 0
    try:
        # Under a history context as the sweep is (without one, every trigger takes
        # pghistory's exception path per row, which is slower still).
        with pghistory.context(bench="bare"), transaction.atomic():
            with connection.cursor() as cursor:
                for index, sql in enumerate(statements):
                    cursor.execute(sql, params)
                    if index == 0:
                        written = cursor.rowcount
            transaction.set_rollback(True)
    finally:
        run.delete()
    return written, len(statements)


def run(*, sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    """Measure the sweep and the bare statements at every size; the figures (also printed)."""
    from accountability.escalation import sweep

    w = world()
    figures = []
    for size in sorted(sizes):
        overdue = shape(items(w, size))
        sweep(dry_run=True)  # warm: plans, caches
        bare(w)
        timing, result = timed(lambda: sweep(dry_run=True), repeat=repeat)
        bare_timing, (bare_written, bare_statements) = timed(lambda: bare(w), repeat=repeat)
        written = result.counts["reminder"]
        figure = {
            "items": size,
            "overdue": overdue,
            "reminders": written,
            "bare_reminders": bare_written,
            "sweep_s": round(timing.best, 3),
            "bare_s": round(bare_timing.best, 3),
            "ratio": round(timing.best / bare_timing.best, 2) if bare_timing.best else None,
            "sweep_statements": result.statements,
            "bare_statements": bare_statements,
            "notifications": result.counts["notifications"],
        }
        figures.append(figure)
    print()
    print(
        report(
            f"Escalation sweep, dry run (best of {repeat})",
            (
                "items",
                "overdue",
                "reminders",
                "sweep s",
                "bare s",
                "sweep/bare",
                "statements (sweep / bare)",
                "notifications",
            ),
            [
                (
                    f"{f['items']:,}",
                    f"{f['overdue']:,}",
                    f"{f['reminders']:,} / {f['bare_reminders']:,}",
                    f["sweep_s"],
                    f["bare_s"],
                    f["ratio"],
                    f"{f['sweep_statements']} / {f['bare_statements']}",
                    f"{f['notifications']:,}",
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
        print(dump({"benchmark": "escalation_sweep", "machine": about, "figures": figures}))


if __name__ == "__main__":
    main()
