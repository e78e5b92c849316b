"""A round's results to Excel, in the official layout of the ledger's export
(:func:`tasks_ledger.exports.write_register`): a merged title row (the round), a line with the
headline figures, a header repeated on every printed page, one row per unit category by
category and rank, A4 landscape one page wide, user text never a formula.

The rows are the ranking page's (:func:`assessments.selectors.round_ranking`): the same
results, the same columns, the same figures as the page and the circular. Nothing here
queries on its own.
"""

from __future__ import annotations

from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from tasks_ledger.exports import Column, write_register

from .models import Result
from .selectors import Ranking, movement_text, tier_label

RESULT_COLUMNS = (
    Column("serial", pgettext_lazy("excel column", "No."), 6, "code"),
    Column("category_name", pgettext_lazy("excel column", "category"), 16),
    Column("rank", pgettext_lazy("excel column", "rank"), 7, "code"),
    Column("unit_code", pgettext_lazy("excel column", "unit code"), 10, "code"),
    Column("unit_name", pgettext_lazy("excel column", "unit"), 24),
    Column("daily", pgettext_lazy("excel column", "daily"), 9, "money"),
    Column("annual", pgettext_lazy("excel column", "annual"), 9, "money"),
    Column("third_party", pgettext_lazy("excel column", "third-party"), 9, "money"),
    Column("public", pgettext_lazy("excel column", "public"), 9, "money"),
    Column("total", pgettext_lazy("excel column", "total"), 9, "money"),
    Column("deducted", pgettext_lazy("excel column", "points deducted"), 9, "money"),
    Column("grade", pgettext_lazy("excel column", "grade"), 8, "code"),
    Column("tier", pgettext_lazy("excel column", "tier"), 8, "code"),
    Column("movement", pgettext_lazy("excel column", "movement"), 8, "code"),
)


def _value(key: str, result: Result, serial: int) -> Any:
    if key == "serial":
        return serial
    if key == "grade":
        return result.get_grade_display()
    if key == "tier":
        return tier_label(result.tier)
    if key == "movement":
        return movement_text(result.movement)
    value = getattr(result, key)
    return float(value) if isinstance(value, Decimal) else value


def headline_text(ranking: Ranking) -> str:
    """ "共考核87家单位，其中46家单位存在扣分" for the round (as on the page), or how many the
    caller sees when that is not every unit before publication."""
    if ranking.headline:
        return _("%(assessed)d units assessed, %(deducted)d of them with deductions") % {
            "assessed": ranking.assessed,
            "deducted": ranking.with_deductions,
        }
    return _("%(count)d results you may see") % {"count": ranking.visible}


def write_results_workbook(ranking: Ranking, stream: IO[bytes]) -> int:
    """Write the ranking's results as an .xlsx workbook to ``stream``; return the rows."""
    round_ = ranking.round
    subtitle = " · ".join(
        [
            headline_text(ranking),
            _("Exported on %(date)s") % {"date": timezone.localdate().isoformat()},
        ]
    )
    return write_register(
        stream,
        sheet=str(_("Results")),
        title=_("%(round)s: assessment results") % {"round": round_.title},
        subtitle=subtitle,
        columns=RESULT_COLUMNS,
        rows=ranking.results,
        values=lambda result, serial: [_value(c.key, result, serial) for c in RESULT_COLUMNS],
    )
