"""The stored light and the item counts: what lets lists and dashboards stay fast at a
province's million items while :func:`tasks_ledger.selectors.with_light` stays the one
definition of the light.

Public functions:

- :func:`lights_refresh` ``(*, items=None, today=None) -> int`` writes each item's
  ``light_rank``, ``three_list`` and ``area_order`` as :func:`~tasks_ledger.selectors.with_light`,
  :func:`~tasks_ledger.selectors.three_list_filter` and its ledger's area say today, in one
  ``UPDATE … FROM (computed) WHERE stored IS DISTINCT FROM computed`` over ``items`` (a
  queryset of LedgerItem; None: every item). Only rows whose values changed are written.
  Every service that writes an item calls it for the items it wrote; a bulk load (the
  ``seed_scale`` command) calls it once with no ``items`` after loading.
- :func:`lights_refresh_daily` ``(*, today=None) -> int``: the morning run (Celery beat,
  ``tasks_ledger.tasks.refresh_lights``): items whose light or tab can change with the date
  alone (not signed off, suspended or cancelled).
- :func:`counts_rebuild` ``() -> int`` recounts :class:`~tasks_ledger.models.LedgerItemCount`
  from the items (after a load with triggers off, or to drop rows counted down to 0). The
  counts are otherwise kept by the statement triggers on the item table, whatever writes it.
- :func:`item_counts` ``(*, user) -> QuerySet[LedgerItemCount]``: the count rows of the
  units in the user's jurisdiction (join ``ledger`` for area, kind and campaign); sum
  ``items`` grouped by ``light_rank``/``three_list``/``unit``/``ledger__area`` as needed.
- :func:`tab_counts` ``(*, user) -> dict[str, int]``: ``all`` and one count per tab of the
  item list, from the counts (one query).
"""

# ruff: noqa: S608 - table names are the models' own; values are parameters

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Q, QuerySet, Sum, Value, When
from django.utils import timezone

from accounts.jurisdiction import jurisdiction_for
from accounts.models import User

from .models import LedgerItem, LedgerItemCount, ThreeList
from .selectors import RUNNING_STATUSES, three_list_filter, with_light

ITEMS = LedgerItem._meta.db_table
COUNTS = LedgerItemCount._meta.db_table


def _computed(items: QuerySet[LedgerItem], today: date) -> tuple[str, tuple[Any, ...]]:
    """SQL of (id, light rank, tab, area order) as the definitions compute them."""
    tab = Case(
        *(
            When(three_list_filter(which, today=today), then=Value(which))
            for which in ThreeList.values
        ),
        default=Value(ThreeList.IN_PROGRESS),
    )
    rows = (
        with_light(items.order_by(), today=today)
        .annotate(tab_now=tab, area_order_now=F("ledger__area__sort_order"))
        .values_list("pk", "light_rank_now", "tab_now", "area_order_now")
    )
    sql, params = rows.query.sql_with_params()
    return sql, tuple(params)


def lights_refresh(*, items: QuerySet[LedgerItem] | None = None, today: date | None = None) -> int:
    """Store the light, tab and area order of ``items`` (None: every item) as computed
    today; write only rows that differ. Returns how many rows were written (one statement;
    the count triggers follow)."""
    today = today or timezone.localdate()
    base = LedgerItem.objects.all()
    if items is not None:
        base = base.filter(pk__in=items.order_by().values("pk"))
    sql, params = _computed(base, today)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            UPDATE {ITEMS} AS i
            SET light_rank = c.rank, three_list = c.tab, area_order = c.area_order
            FROM ({sql}) AS c (id, rank, tab, area_order)
            WHERE i.id = c.id
              AND (i.light_rank, i.three_list, i.area_order)
                  IS DISTINCT FROM (c.rank, c.tab, c.area_order)
            """,
            params,
        )
        return cursor.rowcount


def lights_refresh_daily(*, today: date | None = None) -> int:
    """The morning refresh: items still running (open, or completed and awaiting sign-off)
    are the only ones whose light or tab the date alone can change."""
    return lights_refresh(items=LedgerItem.objects.filter(status__in=RUNNING_STATUSES), today=today)


@transaction.atomic
def counts_rebuild() -> int:
    """Recount every row of the counts from the items; returns the number of count rows.

    Writers wait for it (SHARE lock on the items) so no write falls between the recount
    and the triggers; readers do not."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {ITEMS} IN SHARE MODE")
        cursor.execute(f"DELETE FROM {COUNTS}")
        cursor.execute(
            f"""
            INSERT INTO {COUNTS} (unit_id, ledger_id, light_rank, three_list, items)
            SELECT unit_id, ledger_id, light_rank, three_list, COUNT(*)
            FROM {ITEMS}
            GROUP BY unit_id, ledger_id, light_rank, three_list
            """
        )
        return cursor.rowcount


def item_counts(*, user: User) -> QuerySet[LedgerItemCount]:
    """The count rows of the units within the user's jurisdiction (their own items each),
    rows counted down to 0 left out."""
    return LedgerItemCount.objects.filter(jurisdiction_for(user).q("unit"), items__gt=0)


def tab_counts(*, user: User) -> dict[str, int]:
    """``all`` and one count per tab of the item list (they add up to ``all``), over the
    user's jurisdiction: one query on the counts."""
    sums = item_counts(user=user).aggregate(
        all=Sum("items"),
        **{which: Sum("items", filter=Q(three_list=which)) for which in ThreeList.values},
    )
    return {key: value or 0 for key, value in sums.items()}
