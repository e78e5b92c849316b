"""The escalation sweep: automatic reminders for overdue ledger items, and the next kind of
notice for notices left unanswered past their reply deadline.

:func:`sweep` is the one service; the beat task (:mod:`accountability.tasks`) and
``manage.py escalate`` call it. It looks only at campaigns under way (active, today within
their period), following each campaign's :class:`~accountability.models.EscalationPolicy`
(made with its defaults the first time a campaign is swept, then edited in the admin).

**Set-based.** Whatever the number of items, one sweep runs the same few SQL statements
(at most :data:`MAX_STATEMENTS`): make missing policies, insert the reminders, insert the
escalations, number and issue what is issued at once, name the responsible people, tell
the people concerned (a handful of queries for who they are, one INSERT for all the
notifications) and those whose reply deadlines are near. No statement per item.

**Safe to repeat and to run twice at once.** The whole sweep is one transaction that first
takes a PostgreSQL advisory lock, so a second sweep (a beat that fired twice, a person
running the command meanwhile) waits for the first and then finds nothing left to do: every
insert skips what already exists (no open notice on the item; a notice escalated at most
once, kept by a unique index), and ``ON CONFLICT DO NOTHING`` covers a person drafting at
the same moment. A worker killed mid-sweep leaves nothing behind (its transaction rolls
back), and the next run writes exactly what one clean run would have.

**Recorded.** Each sweep writes a :class:`~accountability.models.SweepRun` before it starts
(committed on its own) and finishes it after: counts by kind, the statements it ran, the
error if it failed. A run whose database session is gone (its worker was killed) is marked
interrupted by the next run. The notices it writes name it (``Notice.sweep_run``), and their
history events carry it in their context (``sweep_run``).
"""

# The SQL below is built from our own table names (model _meta) and enum values only; every
# value from outside goes in as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
import itertools
import logging
import traceback
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pghistory
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, Post, Unit
from campaign.models import Campaign, CampaignStatus, ResponsibilityChain, SupervisionGroup
from tasks_ledger.models import OPEN_STATUSES, Ledger, LedgerItem

from . import notify
from .models import (
    AWAITING_REPLY,
    EscalationPolicy,
    Exemption,
    ExemptionStatus,
    Notice,
    NoticeCounter,
    NoticeKind,
    NoticePerson,
    NoticeStatus,
    SweepRun,
    SweepStatus,
    SweepTrigger,
    number_format,
)

log = logging.getLogger(__name__)

#: The advisory lock every sweep takes (one sweep at a time, cluster-wide).
LOCK_KEY = 0x6E6C7A66_5357  # "nlzf" "SW"

#: The most statements one sweep runs, whatever the data (the lock, the run bookkeeping, the
#: policies, reminders, escalations, numbering, people, notifications).
MAX_STATEMENTS = 20

#: Kinds from a warning upward copy the leader in charge and the principal leader.
_SENIOR = (NoticeKind.WARNING, NoticeKind.ACCOUNTABILITY)


def _t(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _sql_list(values: Sequence[str]) -> str:
    """A SQL list of string literals (our own enum values only, never input)."""
    return ", ".join("'" + value.replace("'", "''") + "'" for value in values)


def _under_way() -> str:
    """SQL condition on campaign ``c`` and policy ``p``: swept today."""
    return (
        f"c.status = '{CampaignStatus.ACTIVE.value}' AND c.start_date <= %(today)s"
        " AND c.end_date >= %(today)s AND p.enabled"
    )


def _chinese_date(column: str) -> str:
    return f"""to_char({column}, 'YYYY"年"FMMM"月"FMDD"日"')"""


class _Sweep:
    """One sweep's statements, run on one cursor inside the caller's transaction."""

    def __init__(self, run: SweepRun, now: dt.datetime) -> None:
        self.run = run
        self.now = now
        self.today = timezone.localdate(now)
        self.statements = 0  # every statement in the sweep's transaction (execute_wrapper)
        self.params: dict[str, Any] = {
            "run": run.pk,
            "now": now,
            "today": self.today,
            "year": self.today.year,
            "closed": NoticeStatus.CLOSED.value,
            "draft": NoticeStatus.DRAFT.value,
            "issued": NoticeStatus.ISSUED.value,
            "reminder": NoticeKind.REMINDER.value,
            **{f"fmt_{kind}": number_format(kind) for kind in NoticeKind.values},
            # Texts in the site's language; format() fills them in SQL.
            "facts": _(
                "The ledger item “%1$s” (no. %2$s) was due on %3$s and is %4$s days overdue "
                "without being completed."
            ),
            "facts_long_term": _(
                "The long-term ledger item “%1$s” (no. %2$s) has had no accepted progress "
                "report for %3$s days."
            ),
            "facts_escalated": _(
                "Notice %1$s was to be answered by %2$s and is still unanswered %3$s days "
                "later. Its facts: %4$s"
            ),
            "requirements": _(
                "Sign for this notice, and by %1$s report the rectification (measures, "
                "progress and evidence)."
            ),
            "title_issued": _("%1$s issued to your unit: %2$s"),
            "title_draft": _("%1$s drafted by the sweep awaits your approval: %2$s"),
            "kind_labels": [str(NoticeKind(kind).label) for kind in NoticeKind.values],
            "kinds": list(NoticeKind.values),
        }

    def count(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        """``connection.execute_wrapper``: count each statement the sweep runs."""
        self.statements += 1
        return execute(sql, params, many, context)

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, {**self.params, **(params or {})})
            return list(cursor.fetchall()) if cursor.description else []

    # --- the statements ------------------------------------------------------------------
    def lock(self) -> None:
        """Wait for any other sweep to finish; mark runs whose session is gone interrupted."""
        self.execute("SELECT pg_advisory_xact_lock(%(key)s)", {"key": LOCK_KEY})
        self.execute(
            f"""
            UPDATE {_t(SweepRun)} SET status = %(interrupted)s
            WHERE status = %(running)s AND id <> %(run)s
              AND (backend_pid IS NULL
                   OR backend_pid NOT IN (SELECT pid FROM pg_stat_activity))
            """,
            {"interrupted": SweepStatus.INTERRUPTED.value, "running": SweepStatus.RUNNING.value},
        )

    def make_policies(self) -> None:
        """Give every campaign under way its policy, with the defaults, the first time."""
        fields = [
            f for f in EscalationPolicy._meta.concrete_fields if f.name not in ("id", "campaign")
        ]
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        values = ", ".join(f"%(default_{f.name})s" for f in fields)
        self.execute(
            f"""
            INSERT INTO {_t(EscalationPolicy)} (campaign_id, {columns})
            SELECT c.id, {values} FROM {_t(Campaign)} c
            WHERE c.status = %(active)s AND c.start_date <= %(today)s AND c.end_date >= %(today)s
            ON CONFLICT (campaign_id) DO NOTHING
            """,
            {
                "active": CampaignStatus.ACTIVE.value,
                **{f"default_{f.name}": f.get_default() for f in fields},
            },
        )

    def _group(self, unit: str, campaign: str) -> str:
        """SQL for campaign ``campaign``'s supervision group over unit ``unit`` (the deepest
        assigned unit at or above it)."""
        link = SupervisionGroup.assigned_units.through
        return f"""(
            SELECT g.id FROM {_t(SupervisionGroup)} g
            JOIN {_t(link)} gu ON gu.group_id = g.id
            JOIN {_t(Unit)} au ON au.id = gu.unit_id
            WHERE g.campaign_id = {campaign} AND starts_with({unit}.path, au.path)
            ORDER BY length(au.path) DESC, g.sort_order, g.id LIMIT 1)"""

    _INSERT = """
        INSERT INTO {notice} (
            campaign_id, kind, status, number, number_year, sequence, group_id,
            issuing_unit_id, target_unit_id, item_id, subject_title, facts, requirements,
            reply_deadline, escalated_from_id, sweep_run_id, drafted_at, reply, return_reason)
    """

    def _requirements(self, reply_days: str = "p.reply_days") -> str:
        return f"format(%(requirements)s, {_chinese_date(f'(%(today)s::date + {reply_days})')})"

    def remind(self) -> int:
        """A reminder for each open item overdue by the policy's days (a long-term item:
        without accepted progress for the policy's days) that has no open notice of any
        kind, no approved exemption, and no notice written since it fell due (after its
        deadline; for a long-term item, after its last accepted progress or its start): a
        matter answered and closed is not reminded again until its deadline moves (an
        approved extension) or, long-term, new progress is accepted."""
        quiet = "(%(today)s::date - COALESCE(i.progress_accepted_on, i.start_date))"
        # The items first; then the supervision group over each of their units, looked up
        # once per campaign and unit (not once per item).
        rows = self.execute(
            self._INSERT.format(notice=_t(Notice))
            + f"""
            WITH due AS MATERIALIZED (
                SELECT i.id, i.unit_id, i.title, i.code, i.deadline, i.progress_accepted_on,
                    i.start_date, c.id AS campaign_id, c.owner_unit_id, p.reply_days
                FROM {_t(LedgerItem)} i
                JOIN {_t(Ledger)} l ON l.id = i.ledger_id
                JOIN {_t(Campaign)} c ON c.id = l.campaign_id
                JOIN {_t(EscalationPolicy)} p ON p.campaign_id = c.id
                WHERE {_under_way()}
                  AND i.status IN ({_sql_list(OPEN_STATUSES)})
                  AND CASE WHEN i.deadline IS NULL THEN {quiet} >= p.long_term_days
                           ELSE %(today)s::date - i.deadline >= p.reminder_after_days END
                  AND NOT EXISTS (
                      SELECT 1 FROM {_t(Notice)} n WHERE n.item_id = i.id
                      AND (n.status <> %(closed)s
                           OR (n.drafted_at AT TIME ZONE %(zone)s)::date
                              > COALESCE(i.deadline, i.progress_accepted_on, i.start_date)))
                  AND NOT EXISTS (
                      SELECT 1 FROM {_t(Exemption)} e
                      WHERE e.status = %(approved)s AND (
                          e.item_id = i.id OR e.notice_id IN (
                              SELECT n.id FROM {_t(Notice)} n WHERE n.item_id = i.id)))
            ), over AS MATERIALIZED (
                SELECT x.campaign_id, x.unit_id, {self._group("u", "x.campaign_id")} AS group_id
                FROM (SELECT DISTINCT campaign_id, unit_id FROM due) x
                JOIN {_t(Unit)} u ON u.id = x.unit_id
            )
            SELECT i.campaign_id, %(reminder)s, %(draft)s, '', NULL, NULL, o.group_id,
                i.owner_unit_id, i.unit_id, i.id, '',
                CASE WHEN i.deadline IS NULL
                    THEN format(%(facts_long_term)s, i.title, i.code, {quiet})
                    ELSE format(%(facts)s, i.title, i.code, {_chinese_date("i.deadline")},
                                %(today)s::date - i.deadline)
                END,
                {self._requirements("i.reply_days")}, %(today)s::date + i.reply_days, NULL,
                %(run)s, %(now)s, '', ''
            FROM due i JOIN over o ON o.campaign_id = i.campaign_id AND o.unit_id = i.unit_id
            ORDER BY i.id
            ON CONFLICT DO NOTHING
            RETURNING kind
            """,
            {"approved": ExemptionStatus.APPROVED.value, "zone": settings.TIME_ZONE},
        )
        return len(rows)

    def escalate(self) -> Counter[str]:
        """The next kind for each notice unanswered the policy's days past its reply
        deadline, not escalated before, and not covered by an approved exemption (about the
        notice, a notice it escalates from, or its item)."""
        kinds = NoticeKind.values
        following = " ".join(f"WHEN '{a}' THEN '{b}'" for a, b in itertools.pairwise(kinds))
        rows = self.execute(
            self._INSERT.format(notice=_t(Notice))
            + f"""
            SELECT o.campaign_id, x.next_kind, %(draft)s, '', NULL, NULL, o.group_id,
                o.issuing_unit_id, o.target_unit_id, o.item_id, o.subject_title,
                format(%(facts_escalated)s, o.number, {_chinese_date("o.reply_deadline")},
                       %(today)s::date - o.reply_deadline, o.facts),
                {self._requirements()}, %(today)s::date + p.reply_days, o.id, %(run)s,
                %(now)s, '', ''
            FROM {_t(Notice)} o
            JOIN {_t(Campaign)} c ON c.id = o.campaign_id
            JOIN {_t(EscalationPolicy)} p ON p.campaign_id = c.id
            LEFT JOIN {_t(Notice)} f1 ON f1.id = o.escalated_from_id
            CROSS JOIN LATERAL (SELECT
                CASE o.kind {following} END AS next_kind,
                CASE o.kind WHEN %(reminder)s THEN p.supervision_after_days
                            WHEN %(supervision)s THEN p.warning_after_days
                            ELSE p.accountability_after_days END AS after_days) x
            WHERE {_under_way()}
              AND o.kind <> %(accountability)s
              AND o.status IN ({_sql_list(AWAITING_REPLY)})
              AND %(today)s::date - o.reply_deadline >= x.after_days
              AND NOT EXISTS (SELECT 1 FROM {_t(Notice)} e WHERE e.escalated_from_id = o.id)
              AND NOT EXISTS (
                  SELECT 1 FROM {_t(Exemption)} e
                  WHERE e.status = %(approved)s AND (
                      e.item_id = o.item_id
                      OR e.notice_id IN (o.id, f1.id, f1.escalated_from_id)))
            ORDER BY o.id
            ON CONFLICT DO NOTHING
            RETURNING kind
            """,
            {
                "approved": ExemptionStatus.APPROVED.value,
                "supervision": NoticeKind.SUPERVISION.value,
                "accountability": NoticeKind.ACCOUNTABILITY.value,
            },
        )
        return Counter(row[0] for row in rows)

    def issue(self) -> Counter[str]:
        """Number and issue, in one statement, what the policy issues at once: reminders
        always, supervision orders and warnings when ticked, never a recommendation."""
        formats = " ".join(f"WHEN '{kind}' THEN %(fmt_{kind})s" for kind in NoticeKind.values)
        number = "(b.last - k.total + t.rn)"
        rows = self.execute(
            f"""
            WITH todo AS (
                SELECT n.id, n.kind, row_number() OVER (PARTITION BY n.kind ORDER BY n.id) AS rn
                FROM {_t(Notice)} n
                JOIN {_t(EscalationPolicy)} p ON p.campaign_id = n.campaign_id
                WHERE n.sweep_run_id = %(run)s AND n.status = %(draft)s
                  AND (n.kind = %(reminder)s
                       OR (n.kind = %(supervision)s AND p.supervision_issue_at_once)
                       OR (n.kind = %(warning)s AND p.warning_issue_at_once))
            ), k AS (
                SELECT kind, count(*) AS total FROM todo GROUP BY kind
            ), b AS (
                INSERT INTO {_t(NoticeCounter)} (kind, year, last)
                SELECT kind, %(year)s, total FROM k
                ON CONFLICT (kind, year) DO UPDATE
                    SET last = {_t(NoticeCounter)}.last + EXCLUDED.last
                RETURNING kind, last
            )
            UPDATE {_t(Notice)} n SET
                status = %(issued)s, number_year = %(year)s, sequence = {number},
                number = replace(replace(CASE n.kind {formats} END,
                                         '{{year}}', %(year)s::text), '{{n}}', {number}::text),
                issued_on = %(today)s
            FROM todo t JOIN k ON k.kind = t.kind JOIN b ON b.kind = t.kind
            WHERE n.id = t.id
            RETURNING n.kind
            """,
            {
                "supervision": NoticeKind.SUPERVISION.value,
                "warning": NoticeKind.WARNING.value,
            },
        )
        return Counter(row[0] for row in rows)

    def name_people(self) -> None:
        """The responsible people of each notice written, as ``responsible_people_for``:
        the chain's responsible person; from a warning up also its leader in charge and
        principal leader, or the target unit's holders of those posts without a chain."""
        senior = _sql_list(_SENIOR)
        self.execute(
            f"""
            INSERT INTO {_t(NoticePerson)} (notice_id, user_id)
            SELECT DISTINCT n.id, x.user_id
            FROM {_t(Notice)} n
            LEFT JOIN {_t(LedgerItem)} i ON i.id = n.item_id
            LEFT JOIN {_t(ResponsibilityChain)} ch ON ch.id = i.chain_id
            CROSS JOIN LATERAL (
                SELECT ch.responsible_person_id AS user_id
                UNION ALL SELECT ch.leader_in_charge_id WHERE n.kind IN ({senior})
                UNION ALL SELECT ch.principal_leader_id WHERE n.kind IN ({senior})
                UNION ALL SELECT m.user_id FROM {_t(Membership)} m
                    WHERE ch.id IS NULL AND n.kind IN ({senior})
                      AND m.unit_id = n.target_unit_id AND m.post IN (%(leaders)s, %(principal)s)
            ) x
            WHERE n.sweep_run_id = %(run)s AND x.user_id IS NOT NULL
            ON CONFLICT DO NOTHING
            """,
            {
                "leaders": Post.LEADER_IN_CHARGE.value,
                "principal": Post.PRINCIPAL_LEADER.value,
            },
        )

    def tell(self) -> tuple[list[int], int]:
        """Tell what this run wrote, as the services' hooks would (:mod:`accountability.notify`:
        the target side and the responsible people of each notice issued, who may approve
        each draft, the target side of each drafted escalation), and, once per notice, the
        target side of each notice whose reply deadline is near. A fixed number of queries
        and one INSERT each. Returns the notifications' ids (their delivery by email and SMS
        is queued once the sweep commits) and how many notices were due soon."""
        written = list(
            Notice.objects.filter(sweep_run=self.run)
            .select_related("target_unit", "item", "escalated_from", "escalated_from__item")
            .order_by("pk")
        )
        ids = notify.sweep_notices_notify(written)
        due = notify.notices_due_soon_notify(self.today)
        return ids, due


def parse_moment(value: str) -> dt.datetime:
    """An ISO-8601 date or date and time (without a zone: the site's); ValueError if not."""
    moment = dt.datetime.fromisoformat(value)
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


def _finish(run: SweepRun, **fields: Any) -> None:
    for name, value in fields.items():
        setattr(run, name, value)
    run.finished_at = timezone.now()
    run.save(update_fields=[*fields, "finished_at"])


def sweep(
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
    trigger: str = SweepTrigger.COMMAND,
    task_id: str = "",
) -> SweepRun:
    """Sweep every campaign under way as of ``now`` (default: the present) and return the
    finished run. A dry run does all the work and rolls it back, reporting what it would
    have written. A failure is recorded on the run and raised again."""
    now = now or timezone.now()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    run = SweepRun.objects.create(
        as_of=timezone.localdate(now),
        trigger=trigger,
        dry_run=dry_run,
        backend_pid=pid,
        task_id=task_id or "",
    )
    work = _Sweep(run, now)
    try:
        with (
            translation.override(settings.LANGUAGE_CODE),
            pghistory.context(sweep_run=run.pk),
            connection.execute_wrapper(work.count),
            transaction.atomic(),
        ):
            work.lock()
            work.make_policies()
            reminders = work.remind()
            escalated = work.escalate()
            issued = work.issue()
            work.name_people()
            notifications, due_soon = work.tell()
            counts = {
                NoticeKind.REMINDER.value: reminders,
                **{kind: escalated.get(kind, 0) for kind in NoticeKind.values[1:]},
                "issued": sum(issued.values()),
                "drafted": reminders + sum(escalated.values()) - sum(issued.values()),
                "notifications": len(notifications),
                "due_soon": due_soon,
            }
            if dry_run:
                transaction.set_rollback(True)
    except Exception:
        _finish(
            run,
            status=SweepStatus.FAILED,
            statements=work.statements,
            errors=traceback.format_exc(limit=5),
        )
        log.exception("escalation sweep %s failed", run.pk)
        raise
    _finish(run, status=SweepStatus.FINISHED, counts=counts, statements=work.statements)
    return run


def queue_sweep(trigger: str = SweepTrigger.ADMIN) -> bool:
    """Send a sweep to the worker now; False when the queue (Redis) cannot be reached, said
    within about a second (one try to connect, no retries), with nothing sent.

    The one asking (the admin's button) writes nothing the sweep must wait for, and must
    learn at once whether it went: Celery's own send would retry for about 20 s and then
    fail the request. The sweep is not run in the request instead: over a province it takes
    longer than a web request may, and the beat runs it every morning anyway.
    """
    from kombu.exceptions import OperationalError

    from config.celery import app

    from .tasks import escalate

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0)
            escalate.apply_async((trigger,), connection=conn, retry=False, ignore_result=True)
    except OperationalError:
        log.warning("the sweep was not queued: the task queue cannot be reached", exc_info=True)
        return False
    return True
