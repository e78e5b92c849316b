"""Reads of accountability measures and exemptions, scoped to the caller by the rules.

The pages, the API and the Excel export call these, so their rows and counts agree. Strikes
come from :func:`accountability.services.strike_counts` (two grouped queries per calendar
year on the page, whatever its length).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, QuerySet, Value, When

from accounts.models import Unit
from tasks_ledger import rules as ledger_rules
from tasks_ledger.models import LedgerItem

from . import rules
from .models import (
    SENT_STATUSES,
    AccountabilityMeasure,
    Exemption,
    ExemptionStatus,
    Notice,
    strike_thresholds,
)
from .services import strike_counts

if TYPE_CHECKING:
    from collections.abc import Iterable

    from accounts.models import User


def measure_list(*, user: User) -> QuerySet[AccountabilityMeasure]:
    """Measures the caller may see (rules.viewable_measures_q), newest decision first, with
    what a row shows loaded."""
    return (
        AccountabilityMeasure.objects.filter(rules.viewable_measures_q(user))
        .select_related("campaign", "unit", "person", "created_by")
        .prefetch_related("basis_notices")
        .order_by("-decided_on", "-pk")
    )


def visible_notice_ids(user: User, notices: Iterable[Notice]) -> set[int]:
    """Which of ``notices`` the caller may open (one query): a measure may cite a notice its
    reader does not see, which is then named but not linked."""
    ids = {notice.pk for notice in notices}
    if not ids:
        return set()
    return set(
        Notice.objects.filter(rules.viewable_notices_q(user), pk__in=ids).values_list(
            "pk", flat=True
        )
    )


def citable_notices(user: User) -> QuerySet[Notice]:
    """Notices the caller may cite as a measure's basis: issued ones they may see."""
    return (
        Notice.objects.filter(rules.viewable_notices_q(user), status__in=SENT_STATUSES)
        .select_related("target_unit", "item")
        .order_by("-issued_on", "-pk")
    )


@dataclass(frozen=True)
class RowStrikes:
    """A measure's strikes in its year: its person's and its unit's counts, and whether the
    unit has reached the principal-leader threshold."""

    person: int
    unit: int
    threshold_reached: bool


def strikes_by_measure(measures: Iterable[AccountabilityMeasure]) -> dict[int, RowStrikes]:
    """Each measure's year counts, by measure id (strike_counts once per year shown)."""
    rows = list(measures)
    threshold = strike_thresholds().get("principal_leader") or 0
    by_year = {year: strike_counts(year) for year in {m.decided_on.year for m in rows}}
    result: dict[int, RowStrikes] = {}
    for measure in rows:
        per_person, per_unit = by_year[measure.decided_on.year]
        unit_count = per_unit.get(measure.unit_id, 0)
        result[measure.pk] = RowStrikes(
            person=per_person.get(measure.person_id, 0) if measure.person_id else 0,
            unit=unit_count,
            threshold_reached=threshold > 0 and unit_count >= threshold,
        )
    return result


def exemption_list(*, user: User) -> QuerySet[Exemption]:
    """Exemptions the caller may see (rules.viewable_exemptions_q), pending first, then the
    newest application."""
    return (
        Exemption.objects.filter(rules.viewable_exemptions_q(user))
        .select_related("campaign", "unit", "notice", "item", "applied_by", "decided_by")
        .annotate(
            pending_first=Case(
                When(status=ExemptionStatus.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("pending_first", "-applied_at", "-pk")
    )


def exemption_queue(*, user: User) -> QuerySet[Exemption]:
    """Pending exemptions the caller decides (rules.decidable_exemptions_q)."""
    return exemption_list(user=user).filter(rules.decidable_exemptions_q(user))


def applicable_matters(user: User) -> tuple[QuerySet[Notice], QuerySet[LedgerItem]]:
    """Notices and ledger items the caller may apply about (rules.applicable_units_q): issued
    notices they see sent to those units, and those units' items they see."""
    units = Unit.objects.filter(rules.applicable_units_q(user))
    notices = (
        Notice.objects.filter(
            rules.viewable_notices_q(user), status__in=SENT_STATUSES, target_unit__in=units
        )
        .select_related("target_unit", "item")
        .order_by("-issued_on", "-pk")
    )
    items = (
        LedgerItem.objects.filter(ledger_rules.viewable_items_q(user), unit__in=units)
        .select_related("unit")
        .order_by("unit__path", "code")
    )
    return notices, items
