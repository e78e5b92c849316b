"""The daily score (日常考核) computed from each unit's own ledger record, by a formula shown
to the unit.

An indicator of the daily source with a ``metric`` is not typed in: it is computed here for
every unit assessed in the round's scheme at once, in one SQL statement, and written as the
unit's score on it (an upsert; the comment records the figures, e.g. "按时完成 18/20 项").

What counts is what the office accepted, never what a unit says of itself:

- an item is **completed** when the office accepted a progress report of 100 % (the item
  then stands completed) or verified its sign-off (销号); it was completed on the day the
  unit reported that completion or asked for the sign-off, so an office that decides late
  does not make a unit late (an item entered as completed without such a report counts
  from its recorded completion, else the day its progress was accepted). A completion still
  awaiting review, or returned, does not count;
- items suspended or cancelled (approved by the office), long-term items (no deadline) and
  items under an approved exemption (容错免责) are left out;
- notices count once issued (a draft does not), except under an approved exemption.

The three metrics (:class:`assessments.models.DailyMetric`), each out of the indicator's
maximum points, over the round's period up to its **cut-off day** (the period's last day, or
yesterday while the period runs):

- ``on_time_rate``: maximum × (items due in the period completed by their deadline) ÷ (items
  due in the period); full marks when none fell due;
- ``overdue_items``: maximum − step × (items due by the cut-off day and not completed by it),
  at least 0;
- ``notices``: maximum − step × (notices received in the period, a reminder counting 1, a
  supervision order 2, a warning 3 and an accountability recommendation 4), at least 0.
"""

# The SQL below is built from our own table names and enum values only; every value from
# outside goes in as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accountability.models import SENT_STATUSES, Exemption, ExemptionStatus, Notice, NoticeKind
from accounts.models import Unit, User
from tasks_ledger.models import (
    ItemStatus,
    Ledger,
    LedgerItem,
    ProgressReport,
    ReviewStatus,
    SignOffRequest,
)

from . import rules
from .models import (
    CategoryMember,
    DailyMetric,
    Indicator,
    Round,
    RoundStatus,
    ScoreEntry,
)
from .results import _t

#: How many times a notice counts, by kind: its rank among the four, mildest first, plus one.
NOTICE_WEIGHTS = {kind: NoticeKind.rank_of(kind) + 1 for kind in NoticeKind.values}


@dataclass(frozen=True)
class DailyFigure:
    """A unit's figures on one computed daily indicator, the points they give and the words
    recorded with the score."""

    indicator: Indicator
    due: int
    on_time: int
    overdue: int
    notices: dict[str, int]
    weighted: int
    points: Decimal
    text: str

    @property
    def formula(self) -> str:
        """The indicator's formula in words."""
        return daily_formula(self.indicator)


def _number(value: Decimal) -> str:
    """10.00 → "10", 0.50 → "0.5"."""
    text = format(Decimal(value).normalize(), "f")
    return text


def daily_formula(indicator: Indicator) -> str:
    """How ``indicator`` is computed from the unit's ledger record, in words for the unit."""
    values = {"max": _number(indicator.max_points), "step": _number(indicator.metric_step)}
    if indicator.metric == DailyMetric.ON_TIME_RATE:
        return (
            _(
                "Score = %(max)s × items completed on time ÷ items due in the period (full marks "
                "when none fell due). An item counts as completed only once the office accepted "
                "the progress report that completes it or verified its sign-off; it is on time "
                "when the unit reported the completion by the deadline."
            )
            % values
        )
    if indicator.metric == DailyMetric.OVERDUE_ITEMS:
        return (
            _(
                "Score = %(max)s − %(step)s × items overdue at the end of the period, at least 0. "
                "An item is overdue when its deadline passed and no completion of it was accepted "
                "(or its sign-off verified) by the end of the period; suspended, cancelled and "
                "exempted items do not count."
            )
            % values
        )
    if indicator.metric == DailyMetric.NOTICES:
        return (
            _(
                "Score = %(max)s − %(step)s × notices received in the period, at least 0; a "
                "reminder counts once, a supervision order twice, a warning three times and an "
                "accountability recommendation four times. Notices under an approved exemption "
                "do not count."
            )
            % values
        )
    return ""


def cutoff_day(round_: Round, today: dt.date | None = None) -> dt.date:
    """The last day the figures cover: the period's end, or yesterday while it runs."""
    today = today or timezone.localdate()
    return min(round_.period_end, today - dt.timedelta(days=1))


def _templates() -> dict[str, str]:
    """The comment's words with ``{name}`` slots that the SQL fills in."""
    slots = {name: f"{{{name}}}" for name in ("done", "due", "count", "r", "s", "w", "a", "n")}
    return {
        "on_time": _("On time: %(done)s of %(due)s items due") % slots,
        "none_due": _("No item fell due in the period: full marks"),
        "overdue": _("Overdue at the end of the period: %(count)s items") % slots,
        "notices": _(
            "Notices received: %(r)s reminders, %(s)s supervision orders, %(w)s warnings, "
            "%(a)s accountability recommendations; counted %(n)s times"
        )
        % slots,
    }


def _figures_sql(*, one_unit: bool) -> str:
    """A SELECT of (unit, indicator, figures, points, comment) for every computed daily
    indicator of the scheme and every unit assessed in it (or only ``%(unit)s``)."""
    signed_off, completed = ItemStatus.SIGNED_OFF.value, ItemStatus.COMPLETED.value
    left_out = (ItemStatus.SUSPENDED.value, ItemStatus.CANCELLED.value)
    accepted = ReviewStatus.ACCEPTED.value
    kinds = NoticeKind
    on_time, overdue = DailyMetric.ON_TIME_RATE.value, DailyMetric.OVERDUE_ITEMS.value
    return f"""
        WITH members AS (
            SELECT cm.unit_id FROM {_t(CategoryMember)} cm
            WHERE cm.scheme_id = %(scheme)s {"AND cm.unit_id = %(unit)s" if one_unit else ""}
        ), items AS (
            SELECT li.unit_id, li.deadline,
                LEAST(
                    CASE WHEN li.status = '{signed_off}' THEN (COALESCE(
                        (SELECT MIN(so.requested_at) FROM {_t(SignOffRequest)} so
                         WHERE so.item_id = li.id AND so.status = '{accepted}'),
                        li.signed_off_at) AT TIME ZONE %(tz)s)::date END,
                    CASE WHEN li.status IN ('{completed}', '{signed_off}') THEN COALESCE(
                        ((SELECT MIN(pr.created_at) FROM {_t(ProgressReport)} pr
                          WHERE pr.item_id = li.id AND pr.percent >= 100
                            AND pr.review_status = '{accepted}') AT TIME ZONE %(tz)s)::date,
                        li.actual_completion, li.progress_accepted_on) END
                ) AS done_on
            FROM {_t(LedgerItem)} li
            JOIN {_t(Ledger)} l ON l.id = li.ledger_id
            JOIN members m ON m.unit_id = li.unit_id
            WHERE l.campaign_id = %(campaign)s
              AND li.deadline IS NOT NULL AND li.deadline <= %(cutoff)s
              AND li.status NOT IN ('{left_out[0]}', '{left_out[1]}')
              AND NOT EXISTS (SELECT 1 FROM {_t(Exemption)} ex
                              WHERE ex.item_id = li.id AND ex.status = %(approved)s)
        ), item_counts AS (
            SELECT unit_id,
                COUNT(*) FILTER (WHERE deadline >= %(start)s) AS due,
                COUNT(*) FILTER (WHERE deadline >= %(start)s AND done_on <= deadline)
                    AS on_time,
                COUNT(*) FILTER (WHERE done_on IS NULL OR done_on > %(cutoff)s) AS overdue
            FROM items GROUP BY unit_id
        ), notice_counts AS (
            SELECT n.target_unit_id AS unit_id,
                COUNT(*) FILTER (WHERE n.kind = '{kinds.REMINDER.value}') AS r,
                COUNT(*) FILTER (WHERE n.kind = '{kinds.SUPERVISION.value}') AS s,
                COUNT(*) FILTER (WHERE n.kind = '{kinds.WARNING.value}') AS w,
                COUNT(*) FILTER (WHERE n.kind = '{kinds.ACCOUNTABILITY.value}') AS a
            FROM {_t(Notice)} n
            JOIN members m ON m.unit_id = n.target_unit_id
            WHERE n.campaign_id = %(campaign)s AND n.status = ANY(%(sent)s)
              AND n.issued_on BETWEEN %(start)s AND %(cutoff)s
              AND NOT EXISTS (SELECT 1 FROM {_t(Exemption)} ex
                              WHERE ex.notice_id = n.id AND ex.status = %(approved)s)
            GROUP BY n.target_unit_id
        ), figures AS (
            SELECT m.unit_id, i.id AS indicator_id, i.metric, i.max_points, i.metric_step,
                COALESCE(ic.due, 0) AS due, COALESCE(ic.on_time, 0) AS on_time,
                COALESCE(ic.overdue, 0) AS overdue,
                COALESCE(nc.r, 0) AS r, COALESCE(nc.s, 0) AS s,
                COALESCE(nc.w, 0) AS w, COALESCE(nc.a, 0) AS a
            FROM members m
            CROSS JOIN {_t(Indicator)} i
            LEFT JOIN item_counts ic ON ic.unit_id = m.unit_id
            LEFT JOIN notice_counts nc ON nc.unit_id = m.unit_id
            WHERE i.scheme_id = %(scheme)s AND i.metric <> ''
        ), weighted AS (
            SELECT f.*, f.r * %(w_r)s + f.s * %(w_s)s + f.w * %(w_w)s + f.a * %(w_a)s AS n
            FROM figures f
        )
        SELECT unit_id, indicator_id, metric, due, on_time, overdue, r, s, w, a, n,
            CASE metric
                WHEN '{on_time}' THEN CASE WHEN due = 0 THEN max_points
                    ELSE ROUND(max_points * on_time / due, 2) END
                WHEN '{overdue}' THEN
                    GREATEST(max_points - metric_step * overdue, 0)
                ELSE GREATEST(max_points - metric_step * n, 0)
            END AS points,
            CASE metric
                WHEN '{on_time}' THEN CASE WHEN due = 0 THEN %(t_none_due)s
                    ELSE replace(replace(%(t_on_time)s, '{{done}}', on_time::text),
                                 '{{due}}', due::text) END
                WHEN '{overdue}' THEN
                    replace(%(t_overdue)s, '{{count}}', overdue::text)
                ELSE replace(replace(replace(replace(replace(%(t_notices)s,
                    '{{r}}', r::text), '{{s}}', s::text), '{{w}}', w::text),
                    '{{a}}', a::text), '{{n}}', n::text)
            END AS comment
        FROM weighted
    """


def _params(round_: Round, today: dt.date | None, **extra: Any) -> dict[str, Any]:
    scheme = round_.scheme
    templates = _templates()
    return {
        "scheme": scheme.pk,
        "campaign": scheme.campaign_id,
        "start": round_.period_start,
        "cutoff": cutoff_day(round_, today),
        "tz": settings.TIME_ZONE,
        "approved": ExemptionStatus.APPROVED.value,
        "sent": [str(status) for status in SENT_STATUSES],
        "w_r": NOTICE_WEIGHTS[NoticeKind.REMINDER],
        "w_s": NOTICE_WEIGHTS[NoticeKind.SUPERVISION],
        "w_w": NOTICE_WEIGHTS[NoticeKind.WARNING],
        "w_a": NOTICE_WEIGHTS[NoticeKind.ACCOUNTABILITY],
        **{f"t_{name}": text for name, text in templates.items()},
        **extra,
    }


@transaction.atomic
def daily_scores_compute(*, round_: Round, actor: User | None, today: dt.date | None = None) -> int:
    """Compute every computed daily indicator's score for every unit assessed in the round's
    scheme, from the ledger, in one statement; return how many scores were written or
    changed. Refused once the round is frozen, and unless it is being scored. ``actor``
    None is the system (the demo, a scheduled run): no rights are asked and no assessor is
    named, so history says 系统."""
    round_ = (
        Round.objects.select_for_update(of=("self",))
        .select_related("scheme__campaign__owner_unit")
        .get(pk=round_.pk)
    )
    if round_.frozen:
        raise ValidationError(
            _("The round %(round)s is published; nothing of it changes any more.")
            % {"round": round_}
        )
    if round_.status != RoundStatus.SCORING:
        raise ValidationError(
            _("Daily scores are computed while the round is being scored; it is %(status)s.")
            % {"status": round_.get_status_display()}
        )
    if actor is not None and not rules.can_enter_scores(actor, round_):
        raise PermissionDenied(_("Only the assessment office over the campaign enters scores."))
    params = _params(
        round_, today, round=round_.pk, actor=actor.pk if actor else None, now=timezone.now()
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {_t(ScoreEntry)} AS e
                (round_id, unit_id, indicator_id, points, comment, assessor_id, entered_at)
            SELECT %(round)s, unit_id, indicator_id, points, comment, %(actor)s, %(now)s
            FROM ({_figures_sql(one_unit=False)}) computed
            ON CONFLICT (round_id, unit_id, indicator_id) DO UPDATE
                SET points = EXCLUDED.points, comment = EXCLUDED.comment,
                    assessor_id = EXCLUDED.assessor_id, entered_at = EXCLUDED.entered_at
                WHERE e.points IS DISTINCT FROM EXCLUDED.points
                   OR e.comment IS DISTINCT FROM EXCLUDED.comment
            """,
            params,
        )
        return cursor.rowcount


def daily_figures(round_: Round, unit: Unit, today: dt.date | None = None) -> list[DailyFigure]:
    """The unit's figures on each computed daily indicator of the round's scheme, as they
    stand in the ledger now (one query, the same SQL the scores are computed by)."""
    indicators = {i.pk: i for i in Indicator.objects.filter(scheme_id=round_.scheme_id)}
    if not any(indicator.metric for indicator in indicators.values()):
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _figures_sql(one_unit=True) + " ORDER BY indicator_id",
            _params(round_, today, unit=unit.pk),
        )
        rows = cursor.fetchall()
    figures = [
        DailyFigure(
            indicator=indicators[indicator_id],
            due=due,
            on_time=on_time,
            overdue=overdue,
            notices={
                NoticeKind.REMINDER: r,
                NoticeKind.SUPERVISION: s,
                NoticeKind.WARNING: w,
                NoticeKind.ACCOUNTABILITY: a,
            },
            weighted=n,
            points=points,
            text=comment,
        )
        for (
            _unit,
            indicator_id,
            _metric,
            due,
            on_time,
            overdue,
            r,
            s,
            w,
            a,
            n,
            points,
            comment,
        ) in rows
    ]
    figures.sort(key=lambda f: (f.indicator.sort_order, f.indicator.code))
    return figures


def cutoff_text(round_: Round, today: dt.date | None = None) -> str:
    """ "统计期：2022年4月1日至2022年6月30日" for the unit's page."""
    return _("Period counted: %(start)s to %(end)s") % {
        "start": date_format(round_.period_start, "DATE_FORMAT"),
        "end": date_format(cutoff_day(round_, today), "DATE_FORMAT"),
    }
