"""Computing a round's results for all its units at once, in SQL.

For each unit assessed in the scheme (one category each):

1. **Indicator score**: the points entered, at most the indicator's maximum (none entered:
   0), less the standing deductions on it, at least 0.
2. **Source subtotal** (each out of 100): the unit's indicator scores of that source over
   the maximum points of that source's indicators.
3. **Total**: the subtotals weighted by the scheme's weights (together 100).
4. **Grade by score**: the best grade whose band's lowest total the unit reaches (poor
   when it reaches none).
5. **Linkage**: an accountability measure decided in the round's period on the unit, or on
   one of its leaders, caps the grade at the best its rule allows.
6. **Rank** in the category: by total, then fewer deductions, then unit code, the same
   every time (``row_number()``); **tier** by cutting the ranking into the scheme's tiers
   (``ntile()``).
7. **Quotas**: from the best grade down, a grade with a quota keeps at most that share of
   the category (rounded down), the best ranked first; the rest move down one grade.
8. **Movement**: places gained since the unit's rank in the scheme's previous round.

A fixed number of statements, whatever the number of units: the round, its bands and the
previous round are read, then one DELETE, one INSERT … SELECT that computes and writes every
row (ranks, tiers and movement included) and one UPDATE per grade with a quota.

The scores are read once. Capped points are summed per unit and source in one pass over the
scores entered (a source's maximum is the same for every unit, so a missing score simply
counts 0); the few scores that carry standing deductions are then corrected by what the
deductions take off them (floored at 0), looked up by key. Sums of decimals are exact, so
this gives the very numbers a per-score subtraction would.
"""

# The SQL below is built from our own table names and enum values only; every value from
# outside goes in as a parameter.
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from accountability.models import AccountabilityMeasure
from accounts.models import Membership, Post, Unit

from .models import (
    CategoryMember,
    Deduction,
    DeductionStatus,
    Grade,
    GradeBand,
    Indicator,
    LinkageRule,
    LinkageTarget,
    Result,
    Round,
    ScoreEntry,
    Source,
    UnitCategory,
)


def _t(model: type[Model]) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _grade_rank_sql(column: str) -> str:
    """SQL turning a grade code into its rank (0 for excellent)."""
    whens = " ".join(f"WHEN '{grade}' THEN {rank}" for rank, grade in enumerate(Grade.values))
    return f"(CASE {column} {whens} END)"


def _grade_of_rank_sql(expression: str) -> str:
    """SQL turning a rank back into the grade code."""
    whens = " ".join(f"WHEN {rank} THEN '{grade}'" for rank, grade in enumerate(Grade.values))
    return f"(CASE {expression} {whens} END)"


def _by_source(score: str) -> str:
    """SQL summing ``score`` (over indicators ``i``) per source, one column each."""
    return ", ".join(
        f"SUM({score}) FILTER (WHERE i.source = '{source}') AS {source}" for source in Source.values
    )


def _previous_round(round_: Round) -> Round | None:
    """The scheme's round before this one (by period), if any."""
    return (
        Round.objects.filter(scheme=round_.scheme, period_start__lt=round_.period_start)
        .order_by("-period_start", "-pk")
        .first()
    )


@transaction.atomic
def round_compute(*, round_: Round) -> int:
    """Compute (again) every result of ``round_``; return how many units were ranked. A
    published or archived round is frozen: refused."""
    round_ = Round.objects.select_for_update().select_related("scheme").get(pk=round_.pk)
    if round_.frozen:
        raise ValidationError(_("This round is published; its results no longer change."))
    scheme = round_.scheme
    if scheme.weights_total != 100:
        raise ValidationError(
            _("The four weights add up to %(total)s, not 100; correct the scheme first.")
            % {"total": scheme.weights_total}
        )
    poor = len(Grade.values) - 1
    bands_by_total = list(GradeBand.objects.filter(scheme=scheme).order_by("-min_total"))
    bands = sorted(bands_by_total, key=lambda band: Grade.rank_of(band.grade))
    previous = _previous_round(round_)
    leaders = [Post.PRINCIPAL_LEADER.value, Post.LEADER_IN_CHARGE.value]
    params: dict[str, Any] = {
        "round": round_.pk,
        "scheme": scheme.pk,
        "previous": previous.pk if previous is not None else None,
        "start": round_.period_start,
        "end": round_.period_end,
        "standing": DeductionStatus.STANDING.value,
        "tiers": scheme.tier_count,
        "unit_target": LinkageTarget.UNIT.value,
        "leader_target": LinkageTarget.LEADER.value,
        "leaders": leaders,
        "capped": _("capped by an accountability measure"),
        **{f"w_{source}": scheme.weight_of(source) for source in Source.values},
        **{f"band_{n}": band.min_total for n, band in enumerate(bands)},
    }
    # The grade by score: the best grade whose band's lowest total the unit reaches.
    whens = " ".join(
        f"WHEN t.total >= %(band_{n})s THEN {Grade.rank_of(band.grade)}"
        for n, band in enumerate(bands)
    )
    band_rank = f"CASE {whens} ELSE {poor} END" if bands else str(poor)
    points = "LEAST(e.points, i.max_points)"  # a score counts at most its maximum
    subtotal = {
        source: f"""COALESCE(100 * (raw.{source} + COALESCE(fix.{source}, 0))
                / NULLIF(tops.{source}, 0), 0)"""
        for source in Source.values
    }
    with connection.cursor() as cursor:
        # Each unit's four sums are held in memory at once (about 1.5 kB a unit): enough for
        # a province's units without spilling to disk. For this transaction only.
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(f"DELETE FROM {_t(Result)} WHERE round_id = %(round)s", params)
        cursor.execute(
            f"""
            INSERT INTO {_t(Result)} (
                round_id, unit_id, category_id, unit_code, unit_name, category_name,
                daily, annual, third_party, public, total,
                deduction_count, deducted, band_grade, grade, grade_note, rank, tier, movement)
            WITH cut AS (  -- standing deductions per unit and indicator
                SELECT d.unit_id, d.indicator_id, SUM(d.points) AS points, COUNT(*) AS n
                FROM {_t(Deduction)} d
                WHERE d.round_id = %(round)s AND d.status = %(standing)s
                GROUP BY d.unit_id, d.indicator_id
            ), cut_unit AS (
                SELECT unit_id, SUM(n) AS n, SUM(points) AS points FROM cut GROUP BY unit_id
            ), tops AS (  -- each source's maximum, the same for every unit
                SELECT {_by_source("i.max_points")}
                FROM {_t(Indicator)} i WHERE i.scheme_id = %(scheme)s
            ), raw AS (  -- capped points per unit and source: the one pass over the scores
                SELECT e.unit_id, {_by_source(points)}
                FROM {_t(ScoreEntry)} e
                JOIN {_t(Indicator)} i ON i.id = e.indicator_id
                WHERE e.round_id = %(round)s AND i.scheme_id = %(scheme)s
                GROUP BY e.unit_id
            ), fix AS (  -- what the deductions take off the scores they are on
                SELECT e.unit_id,
                    {_by_source(f"GREATEST({points} - cut.points, 0) - {points}")}
                FROM cut
                JOIN {_t(ScoreEntry)} e ON e.round_id = %(round)s
                    AND e.unit_id = cut.unit_id AND e.indicator_id = cut.indicator_id
                JOIN {_t(Indicator)} i ON i.id = e.indicator_id
                WHERE i.scheme_id = %(scheme)s
                GROUP BY e.unit_id
            ), caps AS (  -- the worst best grade a linkage rule allows, per unit
                SELECT am.unit_id, MAX({_grade_rank_sql("r.best_grade")}) AS cap_rank
                FROM {_t(LinkageRule)} r
                JOIN {_t(AccountabilityMeasure)} am ON am.kind = r.measure_kind
                WHERE r.scheme_id = %(scheme)s
                  AND am.decided_on BETWEEN %(start)s AND %(end)s
                  AND (r.target = %(unit_target)s
                       OR (r.target = %(leader_target)s AND EXISTS (
                           SELECT 1 FROM {_t(Membership)} ms
                           WHERE ms.user_id = am.person_id AND ms.unit_id = am.unit_id
                             AND ms.post = ANY(%(leaders)s))))
                GROUP BY am.unit_id
            ), totals AS (
                SELECT m.unit_id, m.category_id,
                    ROUND({subtotal["daily"]}, 2) AS daily,
                    ROUND({subtotal["annual"]}, 2) AS annual,
                    ROUND({subtotal["third_party"]}, 2) AS third_party,
                    ROUND({subtotal["public"]}, 2) AS public,
                    ROUND(({subtotal["daily"]} * %(w_daily)s
                           + {subtotal["annual"]} * %(w_annual)s
                           + {subtotal["third_party"]} * %(w_third_party)s
                           + {subtotal["public"]} * %(w_public)s) / 100, 2) AS total,
                    COALESCE(cut_unit.n, 0) AS deduction_count,
                    COALESCE(cut_unit.points, 0) AS deducted
                FROM {_t(CategoryMember)} m CROSS JOIN tops
                LEFT JOIN raw ON raw.unit_id = m.unit_id
                LEFT JOIN fix ON fix.unit_id = m.unit_id
                LEFT JOIN cut_unit ON cut_unit.unit_id = m.unit_id
                WHERE m.scheme_id = %(scheme)s
            ), graded AS (
                SELECT t.*, {band_rank} AS band_rank, COALESCE(caps.cap_rank, 0) AS cap_rank
                FROM totals t LEFT JOIN caps ON caps.unit_id = t.unit_id
            ), ranked AS (
                SELECT g.*, u.code, u.name AS unit_name, c.name AS category_name,
                    row_number() OVER w AS rank,
                    ntile(%(tiers)s) OVER w AS tier
                FROM graded g JOIN {_t(Unit)} u ON u.id = g.unit_id
                JOIN {_t(UnitCategory)} c ON c.id = g.category_id
                WINDOW w AS (PARTITION BY g.category_id
                             ORDER BY g.total DESC, g.deduction_count ASC, u.code ASC)
            )
            SELECT %(round)s, x.unit_id, x.category_id, x.code, x.unit_name, x.category_name,
                x.daily, x.annual, x.third_party, x.public, x.total,
                x.deduction_count, x.deducted,
                {_grade_of_rank_sql("x.band_rank")},
                {_grade_of_rank_sql("GREATEST(x.band_rank, x.cap_rank)")},
                CASE WHEN x.cap_rank > x.band_rank THEN %(capped)s ELSE '' END,
                x.rank, x.tier, p.rank - x.rank
            FROM ranked x
            LEFT JOIN {_t(Result)} p ON p.round_id = %(previous)s
                AND p.unit_id = x.unit_id AND p.category_id = x.category_id
            """,
            params,
        )
        ranked = cursor.rowcount
        for band in bands_by_total:
            rank = Grade.rank_of(band.grade)
            if band.quota_percent is None or rank == poor:
                continue
            cursor.execute(
                f"""
                WITH sizes AS (
                    SELECT category_id, COUNT(*) AS n FROM {_t(Result)}
                    WHERE round_id = %(round)s GROUP BY category_id
                ), holders AS (
                    SELECT r.id, row_number() OVER (
                        PARTITION BY r.category_id ORDER BY r.rank) AS place,
                        FLOOR(sizes.n * %(quota)s / 100) AS allowed
                    FROM {_t(Result)} r JOIN sizes ON sizes.category_id = r.category_id
                    WHERE r.round_id = %(round)s AND r.grade = %(grade)s
                )
                UPDATE {_t(Result)} r SET grade = %(lower)s,
                    grade_note = %(note)s
                FROM holders h WHERE r.id = h.id AND h.place > h.allowed
                """,
                {
                    "round": round_.pk,
                    "quota": band.quota_percent,
                    "grade": band.grade,
                    "lower": Grade.values[rank + 1],
                    "note": _("over the quota of %(grade)s (%(quota)s%% of the category)")
                    % {"grade": band.get_grade_display(), "quota": band.quota_percent},
                },
            )
    return ranked
