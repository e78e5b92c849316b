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

A fixed number of statements, whatever the number of units: one INSERT … SELECT, one
UPDATE per grade with a quota, one UPDATE for the movement.
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
    leaders = [Post.PRINCIPAL_LEADER.value, Post.LEADER_IN_CHARGE.value]
    params: dict[str, Any] = {
        "round": round_.pk,
        "scheme": scheme.pk,
        "start": round_.period_start,
        "end": round_.period_end,
        "standing": DeductionStatus.STANDING.value,
        "tiers": scheme.tier_count,
        "unit_target": LinkageTarget.UNIT.value,
        "leader_target": LinkageTarget.LEADER.value,
        "leaders": leaders,
        **{f"w_{source}": scheme.weight_of(source) for source in Source.values},
    }
    # Each source's subtotal out of 100: the unit's points over the source's maximum, which
    # is the same for every unit (a missing score counts 0), so only scores entered are read.
    subtotal = {
        source: f"""COALESCE(100 * SUM(s.score) FILTER (WHERE s.source = '{source}')
                / NULLIF((SELECT top FROM tops WHERE tops.source = '{source}'), 0), 0)"""
        for source in Source.values
    }
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_t(Result)} WHERE round_id = %(round)s", params)
        cursor.execute(
            f"""
            INSERT INTO {_t(Result)} (
                round_id, unit_id, category_id, unit_code, unit_name, category_name,
                daily, annual, third_party, public, total,
                deduction_count, deducted, band_grade, grade, grade_note, rank, tier, movement)
            WITH members AS (
                SELECT cm.unit_id, cm.category_id FROM {_t(CategoryMember)} cm
                WHERE cm.scheme_id = %(scheme)s
            ), cut AS (
                SELECT d.unit_id, d.indicator_id, SUM(d.points) AS points, COUNT(*) AS n
                FROM {_t(Deduction)} d
                WHERE d.round_id = %(round)s AND d.status = %(standing)s
                GROUP BY d.unit_id, d.indicator_id
            ), cut_unit AS (
                SELECT unit_id, SUM(n) AS n, SUM(points) AS points FROM cut GROUP BY unit_id
            ), tops AS (
                SELECT i.source, SUM(i.max_points) AS top FROM {_t(Indicator)} i
                WHERE i.scheme_id = %(scheme)s GROUP BY i.source
            ), s AS (
                SELECT e.unit_id, i.source,
                    GREATEST(LEAST(e.points, i.max_points) - COALESCE(cut.points, 0), 0) AS score
                FROM {_t(ScoreEntry)} e
                JOIN members m ON m.unit_id = e.unit_id
                JOIN {_t(Indicator)} i ON i.id = e.indicator_id AND i.scheme_id = %(scheme)s
                LEFT JOIN cut ON cut.unit_id = e.unit_id AND cut.indicator_id = e.indicator_id
                WHERE e.round_id = %(round)s
            ), sub AS (
                SELECT s.unit_id,
                    {subtotal["daily"]} AS daily,
                    {subtotal["annual"]} AS annual,
                    {subtotal["third_party"]} AS third_party,
                    {subtotal["public"]} AS public
                FROM s GROUP BY s.unit_id
            ), totals AS (
                SELECT m.unit_id, m.category_id,
                    ROUND(COALESCE(sub.daily, 0), 2) AS daily,
                    ROUND(COALESCE(sub.annual, 0), 2) AS annual,
                    ROUND(COALESCE(sub.third_party, 0), 2) AS third_party,
                    ROUND(COALESCE(sub.public, 0), 2) AS public,
                    ROUND((COALESCE(sub.daily, 0) * %(w_daily)s
                           + COALESCE(sub.annual, 0) * %(w_annual)s
                           + COALESCE(sub.third_party, 0) * %(w_third_party)s
                           + COALESCE(sub.public, 0) * %(w_public)s) / 100, 2) AS total,
                    COALESCE(cut_unit.n, 0) AS deduction_count,
                    COALESCE(cut_unit.points, 0) AS deducted
                FROM members m LEFT JOIN sub ON sub.unit_id = m.unit_id
                LEFT JOIN cut_unit ON cut_unit.unit_id = m.unit_id
            ), graded AS (
                SELECT t.*,
                    COALESCE((SELECT MIN({_grade_rank_sql("b.grade")})
                              FROM {_t(GradeBand)} b
                              WHERE b.scheme_id = %(scheme)s AND t.total >= b.min_total),
                             {poor}) AS band_rank,
                    (SELECT MAX({_grade_rank_sql("r.best_grade")})
                     FROM {_t(LinkageRule)} r
                     JOIN {_t(AccountabilityMeasure)} am ON am.kind = r.measure_kind
                     WHERE r.scheme_id = %(scheme)s AND am.unit_id = t.unit_id
                       AND am.decided_on BETWEEN %(start)s AND %(end)s
                       AND (r.target = %(unit_target)s
                            OR (r.target = %(leader_target)s AND EXISTS (
                                SELECT 1 FROM {_t(Membership)} ms
                                WHERE ms.user_id = am.person_id AND ms.unit_id = t.unit_id
                                  AND ms.post = ANY(%(leaders)s))))) AS cap_rank
                FROM totals t
            ), ranked AS (
                SELECT g.*, u.code, u.name AS unit_name, c.name AS category_name,
                    row_number() OVER w AS rank,
                    ntile(%(tiers)s) OVER w AS tier
                FROM graded g JOIN {_t(Unit)} u ON u.id = g.unit_id
                JOIN {_t(UnitCategory)} c ON c.id = g.category_id
                WINDOW w AS (PARTITION BY g.category_id
                             ORDER BY g.total DESC, g.deduction_count ASC, u.code ASC)
            )
            SELECT %(round)s, unit_id, category_id, code, unit_name, category_name,
                daily, annual, third_party, public, total,
                deduction_count, deducted,
                {_grade_of_rank_sql("band_rank")},
                {_grade_of_rank_sql("GREATEST(band_rank, COALESCE(cap_rank, 0))")},
                CASE WHEN COALESCE(cap_rank, 0) > band_rank THEN %(capped)s ELSE '' END,
                rank, tier, NULL
            FROM ranked
            """,
            {**params, "capped": _("capped by an accountability measure")},
        )
        ranked = cursor.rowcount
        for band in GradeBand.objects.filter(scheme=scheme, quota_percent__isnull=False).order_by(
            "-min_total"
        ):
            rank = Grade.rank_of(band.grade)
            if rank == poor:
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
        previous = _previous_round(round_)
        if previous is not None:
            cursor.execute(
                f"""
                UPDATE {_t(Result)} r SET movement = p.rank - r.rank
                FROM {_t(Result)} p
                WHERE r.round_id = %(round)s AND p.round_id = %(previous)s
                  AND p.unit_id = r.unit_id AND p.category_id = r.category_id
                """,
                {"round": round_.pk, "previous": previous.pk},
            )
    return ranked
