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
  from the items and :class:`~tasks_ledger.models.LedgerItemRollup` (the same counts, by
  unit, ledger, light and tab, summed up the unit tree) from those (after a load with
  triggers off, or to drop rows counted down to 0). Both are otherwise kept by the
  statement triggers on the item table, whatever writes it; the roll-up is rebuilt by a
  trigger when a unit moves in the tree.
- :func:`item_counts` ``(*, user) -> QuerySet[LedgerItemCount]``: the count rows of the
  units in the user's jurisdiction (join ``ledger`` for area, kind and campaign); sum
  ``items`` grouped by ``light_rank``/``three_list``/``unit``/``ledger__area`` as needed.
- :func:`rollup_fold` ``() -> int``: adds the changes the item triggers append
  (:class:`~tasks_ledger.models.LedgerItemRollupChange`) to the roll-up's rows (the beat,
  every minute). Writers only append, so none waits for another on the rows near the top of
  the tree; readers add the pending changes themselves, so folding changes no sum.
- :func:`subtree_counts` ``(*, user) -> QuerySet[LedgerItemSubtree]``: the roll-up rows of
  the user's jurisdiction roots (each root's whole subtree, roots never overlap): a row
  per ledger, light and tab whatever the size; sum ``items`` by ``light_rank``/``three_list``
  for tiles and tabs. The battle map reads the same rows of the units under the one shown,
  by ledger (:func:`tasks_ledger.selectors.battle_map`).
- :func:`tab_counts` ``(*, user, lights=None) -> dict[str, int]``: ``all`` and one count per
  tab of the item list (optionally of some light ranks only), from the roll-up (one query).
"""

# ruff: noqa: S608 - table names are the models' own; values are parameters

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, QuerySet, Sum, Value, When
from django.utils import timezone

from accounts.jurisdiction import jurisdiction_for
from accounts.models import User

from .models import LedgerItem, LedgerItemCount, LedgerItemSubtree, ThreeList
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
        rows = cursor.rowcount
        cursor.execute("SELECT tasks_ledger_rollup_rebuild()")  # migration 0011
        return rows


def item_counts(*, user: User) -> QuerySet[LedgerItemCount]:
    """The count rows of the units within the user's jurisdiction (their own items each),
    rows counted down to 0 left out."""
    return LedgerItemCount.objects.filter(jurisdiction_for(user).q("unit"), items__gt=0)


def subtree_counts(*, user: User) -> QuerySet[LedgerItemSubtree]:
    """The roll-up rows of the user's jurisdiction: its roots' subtrees (the top units for
    everything), with the changes not yet folded into them; sum their ``items``."""
    j = jurisdiction_for(user)
    rows = LedgerItemSubtree.objects.all()
    if j.is_global:
        return rows.filter(unit__depth=1)
    return rows.filter(unit__path__in=j.view_roots)


def rollup_fold() -> int:
    """Add the changes the item triggers appended (:class:`LedgerItemRollupChange`) to the
    roll-up's rows and drop them, in one statement; returns how many changes were folded.

    Readers see the same sums before and after (they add the changes themselves); folding
    keeps the changes few. The beat runs it every minute; it waits for a rebuild of the
    roll-up (and a rebuild for it), never for a writer of items."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT tasks_ledger_rollup_fold()")  # migration 0013
        return int(cursor.fetchone()[0])


def tab_counts(*, user: User, lights: list[int] | None = None) -> dict[str, int]:
    """``all`` and one count per tab of the item list (they add up to ``all``), over the
    user's jurisdiction, of the light ranks ``lights`` (None: all): one query on the
    roll-up, a few rows whatever the size."""
    rows = subtree_counts(user=user)
    if lights:
        rows = rows.filter(light_rank__in=lights)
    # Grouped by tab, one sum (four filtered sums took twice as long to build, per request).
    sums = dict(rows.order_by().values_list("three_list").annotate(n=Sum("items")))
    counted = {which: int(sums.get(which) or 0) for which in ThreeList.values}
    counted["all"] = sum(counted.values())
    return counted
