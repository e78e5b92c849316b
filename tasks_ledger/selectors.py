"""Reads of ledgers and items, scoped to the caller, with the traffic light and the four
rates computed in SQL. Pages, the API, the battle map and Excel exports all call these, so
their numbers agree."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    Count,
    DateField,
    DecimalField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, JSONObject, Length, NullIf
from django.db.models.lookups import GreaterThan, LessThan
from django.utils import timezone
from psycopg2.extensions import AsIs

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit, User
from campaign.models import Campaign, ResponsibilityChain
from campaign.selectors import campaign_list
from config.expressions import AmongIds, AnyOf
from config.plans import run_prepared

from . import rules
from .models import (
    DEFAULT_LAG_TOLERANCE_PERCENT,
    DEFAULT_LONG_TERM_RED_DAYS,
    DEFAULT_LONG_TERM_YELLOW_DAYS,
    DEFAULT_NEAR_DEADLINE_DAYS,
    OPEN_STATUSES,
    Area,
    ExtensionRequest,
    ExtensionStatus,
    ImportJob,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerItemCount,
    LedgerItemSubtree,
    Light,
    ProgressReport,
    ReviewMeeting,
    ReviewStatus,
    SignOffRequest,
    StatusChangeRequest,
    ThreeList,
)
from .models import (
    LIGHT_RANK as LIGHT_RANK,  # re-exported: it lives with the stored field in models
)


class DaysBetween(Func):
    """``a - b`` in whole days for two DATE expressions (PostgreSQL: date - date = integer)."""

    template = "(%(expressions)s)"
    arg_joiner = " - "
    output_field = IntegerField()


def with_light(items: QuerySet[LedgerItem], *, today: date | None = None) -> QuerySet[LedgerItem]:
    """Annotate ``days_left``, ``light`` and ``light_rank_now`` (red 3, yellow 2, green 1,
    none 0): the one definition of the light. :mod:`tasks_ledger.lights` stores it in the
    item's ``light_rank`` for lists that sort and filter by it.

    Red: open and past its deadline. Yellow: open and within the campaign's near-deadline
    days, or progress behind the elapsed share of its time by more than the tolerance.
    Green: on track, completed or signed off. None: suspended or cancelled.

    A long-term item (no deadline, ``days_left`` NULL) is never overdue: it turns yellow,
    then red, when no progress report has been accepted for the policy's days (counted from
    its start date until the first one).
    """
    today = today or timezone.localdate()
    now = Value(today, output_field=DateField())
    policy = "ledger__campaign__light_policy__"
    near = Coalesce(F(policy + "near_deadline_days"), Value(DEFAULT_NEAR_DEADLINE_DAYS))
    lag = Coalesce(F(policy + "lag_tolerance_percent"), Value(DEFAULT_LAG_TOLERANCE_PERCENT))
    quiet_yellow = Coalesce(
        F(policy + "long_term_yellow_days"), Value(DEFAULT_LONG_TERM_YELLOW_DAYS)
    )
    quiet_red = Coalesce(F(policy + "long_term_red_days"), Value(DEFAULT_LONG_TERM_RED_DAYS))
    quiet = DaysBetween(now, Coalesce(F("progress_accepted_on"), F("start_date")))
    long_term = Q(deadline__isnull=True)
    span = Greatest(DaysBetween(F("deadline"), F("start_date")), Value(1))
    elapsed = DaysBetween(now, F("start_date"))
    # progress/100 < elapsed/span - lag/100, multiplied out to stay in integers.
    behind = LessThan(F("progress") * span, elapsed * Value(100) - lag * span)
    # The conditions in order, each with its light; the rank is read from the same ones
    # (a CASE over the light's own CASE compiled it five times, most of a list page's SQL
    # building).
    steps = [
        (Q(status__in=[ItemStatus.SUSPENDED, ItemStatus.CANCELLED]), Light.NONE),
        (Q(status__in=[ItemStatus.COMPLETED, ItemStatus.SIGNED_OFF]), Light.GREEN),
        (long_term & GreaterThan(quiet, quiet_red), Light.RED),
        (long_term & GreaterThan(quiet, quiet_yellow), Light.YELLOW),
        (long_term, Light.GREEN),
        (Q(deadline__lt=today), Light.RED),
        (LessThan(DaysBetween(F("deadline"), now), near + Value(1)), Light.YELLOW),
        (behind, Light.YELLOW),
    ]
    light = Case(
        *(When(condition, then=Value(value)) for condition, value in steps),
        default=Value(Light.GREEN),
    )
    rank = Case(
        *(When(condition, then=Value(LIGHT_RANK[value])) for condition, value in steps),
        default=Value(LIGHT_RANK[Light.GREEN]),
        output_field=IntegerField(),
    )
    return items.annotate(
        days_left=DaysBetween(F("deadline"), now), light=light, light_rank_now=rank
    )


def _ratio(numerator: Any, denominator: Any) -> ExpressionWrapper:
    """numerator / denominator as a percentage, NULL when the denominator is 0 or NULL."""
    return ExpressionWrapper(
        Value(Decimal(100)) * numerator / NullIf(denominator, Value(Decimal(0))),
        output_field=DecimalField(max_digits=7, decimal_places=2),
    )


def with_project_rates(items: QuerySet[LedgerItem]) -> QuerySet[LedgerItem]:
    """Per key project: ``funds_rate`` and ``investment_rate`` in percent (NULL if unplanned)."""
    return items.annotate(
        funds_rate=_ratio(F("funds_in_place"), F("planned_investment")),
        investment_rate=_ratio(F("investment_completed"), F("planned_investment")),
    )


def project_rates(items: QuerySet[LedgerItem], *, today: date | None = None) -> dict[str, Any]:
    """The four rates (四率) over a set of key projects, one aggregate query.

    开工率: started among those planned to have started by today; 资金到位率 and 投资完成率:
    sums over planned investment; 按期竣工率: completed by the planned date among those due.
    """
    today = today or timezone.localdate()
    due_start = Q(planned_start__lte=today)
    due_end = Q(planned_completion__lte=today)
    sums = items.order_by().aggregate(
        projects=Count("pk"),
        due_start=Count("pk", filter=due_start),
        started=Count("pk", filter=due_start & Q(actual_start__isnull=False)),
        due_end=Count("pk", filter=due_end),
        on_time=Count("pk", filter=due_end & Q(actual_completion__lte=F("planned_completion"))),
        planned=Sum("planned_investment"),
        funds=Sum("funds_in_place"),
        invested=Sum("investment_completed"),
    )

    def pct(part: Any, whole: Any) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(100) * Decimal(part or 0) / Decimal(whole)).quantize(Decimal("0.1"))

    return {
        **sums,
        "start_rate": pct(sums["started"], sums["due_start"]),
        "funds_rate": pct(sums["funds"], sums["planned"]),
        "investment_rate": pct(sums["invested"], sums["planned"]),
        "on_time_rate": pct(sums["on_time"], sums["due_end"]),
    }


def project_rates_by_unit(
    items: QuerySet[LedgerItem], *, today: date | None = None
) -> QuerySet[Any]:
    """The four rates per responsible unit, ranked by investment completion (one query)."""
    today = today or timezone.localdate()
    due_start = Q(planned_start__lte=today)
    due_end = Q(planned_completion__lte=today)
    counted = (
        items.order_by()
        .values("unit", "unit__name", "unit__short_name")
        .annotate(
            projects=Count("pk"),
            planned=Sum("planned_investment"),
            funds=Sum("funds_in_place"),
            invested=Sum("investment_completed"),
            due_start=Count("pk", filter=due_start),
            started=Count("pk", filter=due_start & Q(actual_start__isnull=False)),
            due_end=Count("pk", filter=due_end),
            on_time=Count("pk", filter=due_end & Q(actual_completion__lte=F("planned_completion"))),
        )
    )
    return counted.annotate(
        funds_rate=_ratio(F("funds"), F("planned")),
        investment_rate=_ratio(F("invested"), F("planned")),
        start_rate=_ratio(F("started") * Value(Decimal(1)), F("due_start") * Value(Decimal(1))),
        on_time_rate=_ratio(F("on_time") * Value(Decimal(1)), F("due_end") * Value(Decimal(1))),
    ).order_by(F("investment_rate").desc(nulls_last=True), "unit__name")


def ledger_items(
    *, user: User, today: date | None = None, with_led: bool = False
) -> QuerySet[LedgerItem]:
    """Items whose responsible unit the user may see, light annotated, ready for a list row.

    ``with_led`` adds the items of other units whose lead department the user is in
    (:func:`tasks_ledger.rules.viewable_items_q`): one item's page, evidence and chain open
    for them, while lists, the map and the tiles keep to the jurisdiction.

    One query per page whatever its length: ledger, area, unit and the chain's lead
    department and responsible person come by join.
    """
    scope = rules.viewable_items_q(user) if with_led else jurisdiction_for(user).q("unit")
    items = (
        LedgerItem.objects.filter(scope)
        .select_related(
            "ledger__area",
            "ledger__campaign",
            "unit",
            "chain__lead_department",
            "chain__responsible_person",
            "chain__leader_in_charge",
        )
        # The keyword's grams are for the search's index, never shown: two dozen strings an
        # item that psycopg2 would parse into a list for every row.
        .defer("search_grams")
    )
    # Numbers are text: shorter first puts "2" before "10" (natural order for numeric codes).
    return with_light(items, today=today).order_by(
        "ledger__area__sort_order", "ledger", Length("code"), "code"
    )


#: The item list's tabs besides "all": the weekly three lists units keep, and the items set
#: aside (suspended or cancelled). Every item is in exactly one, so the tabs add up to "all".
THREE_LISTS = ("new", "in_progress", "signed_off", "set_aside")
#: Statuses of items that still count in the three lists until they are signed off.
RUNNING_STATUSES = (*OPEN_STATUSES, ItemStatus.COMPLETED)


def three_list_filter(which: str, *, today: date | None = None, new_days: int = 7) -> Q:
    """One tab of the item list: ``new`` (added in the last week, not yet signed off),
    ``in_progress`` (added earlier, open or done and awaiting sign-off), ``signed_off``, or
    ``set_aside`` (suspended or cancelled)."""
    today = today or timezone.localdate()
    since = timezone.make_aware(datetime.combine(today - timedelta(days=new_days), time.min))
    if which == "new":
        return Q(status__in=RUNNING_STATUSES, created_at__gte=since)
    if which == "in_progress":
        return Q(status__in=RUNNING_STATUSES, created_at__lt=since)
    if which == "signed_off":
        return Q(status=ItemStatus.SIGNED_OFF)
    if which == "set_aside":
        return Q(status__in=(ItemStatus.SUSPENDED, ItemStatus.CANCELLED))
    raise ValueError(which)


#: The statuses each tab's items can have (:func:`three_list_filter`).
TAB_STATUSES: dict[str, frozenset[str]] = {
    "new": frozenset(RUNNING_STATUSES),
    "in_progress": frozenset(RUNNING_STATUSES),
    "signed_off": frozenset({ItemStatus.SIGNED_OFF}),
    "set_aside": frozenset({ItemStatus.SUSPENDED, ItemStatus.CANCELLED}),
}


def three_list_counts(items: QuerySet[LedgerItem], *, today: date | None = None) -> dict[str, int]:
    """How many of ``items`` each tab holds: ``all`` and one count per :data:`THREE_LISTS`
    (they add up to ``all``); one aggregate query."""
    return items.order_by().aggregate(
        all=Count("pk"),
        **{
            which: Count("pk", filter=three_list_filter(which, today=today))
            for which in THREE_LISTS
        },
    )


#: Filters of the item list that the kept counts can answer (by unit, ledger and light).
COUNTED_FILTERS = frozenset({"area", "ledger", "kind", "light", "unit", "unit_only"})
#: Past this many items a filtered tab says "1000+" rather than count a million rows.
TAB_COUNT_CAP = 1000
#: A keyword's tabs stop lower, at "200+" (four pages): proving that a tab holds more than
#: the cap tests that many matches' text, and a common word ("推进", in 45 % of a
#: province's items) needed some 9,000 items read for "1000+" (13 to 30 ms, twice the rest
#: of the page) against about 1,800 for "200+".
KEYWORD_TAB_COUNT_CAP = 200


def tab_count_cap(filters: dict[str, Any]) -> int:
    """The cap of the tab badges for the valid ``filters`` when they are not exact."""
    return KEYWORD_TAB_COUNT_CAP if filters.get("q") else TAB_COUNT_CAP


def counts_are_kept(filters: dict[str, Any]) -> bool:
    """Whether the kept counts answer the tab badges for the valid ``filters`` (none but
    area, ledger, kind, light and unit): :func:`item_list_tab_counts` reads no item."""
    return _used(filters) <= COUNTED_FILTERS


def _used(filters: dict[str, Any]) -> set[str]:
    """The names of the filters given a value."""
    return {name for name, value in filters.items() if value not in (None, "", [])}


def item_list_tab_counts(
    *, user: User, filters: dict[str, Any], items: QuerySet[LedgerItem], few: bool = False
) -> tuple[dict[str, int], bool]:
    """The item list's tab badges for the valid ``filters`` (a FilterSet's cleaned data,
    ``three`` and ``ordering`` aside) and whether they are exact: one query.

    Unfiltered (or by light alone) they are the jurisdiction roots' rows of the roll-up
    (:class:`~tasks_ledger.models.LedgerItemRollup`); filters by area, ledger, kind and unit
    are summed from the kept counts (:class:`~tasks_ledger.models.LedgerItemCount`) of the
    units and ledgers concerned; exact either way, whatever the size. A keyword,
    status or deadline filter counts ``items`` (already filtered) tab by tab, each up to
    :data:`TAB_COUNT_CAP` + 1 rows (:data:`KEYWORD_TAB_COUNT_CAP` for a keyword), so a
    badge reads "1000+" instead of counting everything (a tab the chosen statuses rule out
    is 0, not read). With ``few`` (``items`` are limited to
    a county's units or less, :func:`tasks_ledger.keyset.few_units`) they are counted
    exactly, in one scan of the matches: a few thousand items at most, which the capped
    counts would read as well.
    """
    from django.db import connection

    from .lights import item_counts
    from .models import LIGHT_RANK as RANKS
    from .models import ThreeList

    tabs = list(ThreeList.values)
    if _used(filters) <= {"light"}:
        # The jurisdiction's roots in the roll-up: a handful of rows at any size.
        from .lights import tab_counts

        ranks = [RANKS[Light(v)] for v in filters.get("light") or ()]
        return tab_counts(user=user, lights=ranks or None), True
    if counts_are_kept(filters):
        counts = item_counts(user=user)
        if filters.get("area"):
            counts = counts.filter(ledger__area=filters["area"])
        if filters.get("ledger"):
            counts = counts.filter(ledger=filters["ledger"])
        if filters.get("kind"):
            counts = counts.filter(ledger__kind=filters["kind"])
        if filters.get("light"):
            counts = counts.filter(light_rank__in=[RANKS[Light(v)] for v in filters["light"]])
        if filters.get("unit"):
            counts = counts.filter(unit__path__startswith=filters["unit"].path)
        if filters.get("unit_only"):
            counts = counts.filter(unit=filters["unit_only"])
        sums = counts.aggregate(
            **{tab: Coalesce(Sum("items", filter=Q(three_list=tab)), 0) for tab in tabs}
        )
        exact = True
    elif few:
        grouped = items.order_by().values("three_list").annotate(n=Count("pk"))
        sums = {row["three_list"]: row["n"] for row in grouped}
        exact = True
    else:
        cap = tab_count_cap(filters)
        # Each tab's matches up to one past its cap, in one statement: PostgreSQL walks
        # the tab's index in the list's order until the cap (a common word: a few hundred
        # items each) or, for a rare word, takes the GIN index's few matches. A first
        # sample of four caps' worth of matches, whatever their tab, read more: its tabs'
        # rows again for any tab under the cap in it (2,250 items for "推进", against 1,350).
        # A tab the chosen statuses rule out holds nothing, and is not counted: PostgreSQL
        # cannot tell, and walked the whole tab (300,000 items, 0.8 s) looking for one.
        statuses = set(filters.get("status") or ())
        parts: list[str] = []
        params: list[Any] = []
        for tab in tabs:
            if statuses and not statuses & TAB_STATUSES[tab]:
                parts.append("0")
                continue
            capped = items.filter(three_list=tab).order_by().values("pk")[: cap + 1]
            sql, more = capped.query.sql_with_params()
            parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS t)")  # noqa: S608 - compiled
            params.extend(more)
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(parts), params)
            sums = dict(zip(tabs, cursor.fetchone() or (), strict=True))
        exact = all(value <= cap for value in sums.values())
        sums = {tab: min(value, cap) for tab, value in sums.items()}
    counted = {tab: int(sums.get(tab) or 0) for tab in tabs}
    counted["all"] = sum(counted.values())
    return counted, exact


class RowPart:
    """A related record of a list row: the attributes the row shows, nothing else."""

    def __init__(self, **values: Any) -> None:
        self.__dict__.update(values)


class ListRow(RowPart):
    """One item of the item list as its row shows it (``item_row.html``, which draws a
    :class:`LedgerItem` the same way): its fields, light and days left, ``ledger.title``
    and ``ledger.area.name``, ``unit`` (``name``, ``display_name``, ``path``) and
    ``chain`` (``lead_department.display_name``, ``responsible_person``) or None."""

    pk: int


#: What a row reads of the item itself (its unit and chain come as one value each, below).
ITEM_VALUES = (
    "pk",
    "code",
    "title",
    "status",
    "signoff_pending",
    "progress",
    "pending_progress",
    "version",
    "latest_report",
    "deadline",
    "days_left",
    "light",
    "ledger__title",
    "ledger__area__name",
)


def _list_row(values: dict[str, Any]) -> ListRow:
    chain = None
    if values["chain_shown"] is not None:
        shown = values["chain_shown"]
        chain = RowPart(
            lead_department=RowPart(display_name=shown["lead_short"] or shown["lead"]),
            responsible_person=shown["person"] or shown["username"] or "",
        )
    unit = values["unit_shown"]
    return ListRow(
        **{name: values[name] for name in ITEM_VALUES[:-2]},
        ledger=RowPart(
            title=values["ledger__title"], area=RowPart(name=values["ledger__area__name"])
        ),
        unit=RowPart(
            name=unit["name"], display_name=unit["short_name"] or unit["name"], path=unit["path"]
        ),
        chain=chain,
    )


def item_list_rows(*, ids: list[int], today: date | None = None) -> list[ListRow]:
    """One page of the item list in the order of ``ids`` (from :mod:`tasks_ledger.keyset`,
    read from the caller's scope), with the light and everything a row shows: one query of
    those values only. Model instances of the item and its six relations, and their SQL
    built for every column, were a third of the page's time at 50 rows.

    The statement is the same for every page of a day but for the ids, so it is built by
    the ORM once a day (:func:`_rows_statement`) and run with each page's ids: building it
    (the light's conditions, two subqueries) took 4 of the 7 ms the rows cost."""
    if not ids:
        return []
    using = LedgerItem.objects.all().db  # the database the router reads the items from
    values = _rows_statement(today or timezone.localdate(), using).run(ids, using)
    found = {row["pk"]: _list_row(row) for row in values}
    return [found[pk] for pk in ids if pk in found]


def shown(model: Any, key: str, **fields: str) -> Subquery:
    """The ``model`` row whose primary key is the outer row's ``key``, as one JSON object of
    ``fields`` (name: lookup): a subquery by primary key, where a join of every relation made
    the planner hash whole tables for a page of rows."""
    row = model._default_manager.filter(pk=OuterRef(key)).order_by()
    return Subquery(row.values(shown=JSONObject(**fields)))


@dataclass(frozen=True)
class RowsStatement:
    """A values() query of items by id, compiled once (for a day: the light's conditions
    hold the date) and run with each page's ids: its SQL, its parameters (``ids_at``: where
    the page's ids go) and its columns' names in order."""

    sql: str
    params: tuple[Any, ...]
    ids_at: int
    names: tuple[str, ...]
    #: Run as a prepared statement (:meth:`run`); False when the other parameters change
    #: from one request to the next.
    prepare: bool = True

    @classmethod
    def of(
        cls, shape: Callable[[QuerySet[Any]], QuerySet[Any]], using: str, model: Any = None
    ) -> RowsStatement:
        """``shape`` (annotations and the values() asked for) applied to the items (or the
        ``model``'s rows) of a page of ids, compiled."""
        ids: list[int] = []  # the page's ids: one array parameter, found again by identity
        rows = (model or LedgerItem)._default_manager.filter(AnyOf(F("pk"), ids))
        query = shape(rows).query
        sql, params = query.get_compiler(using=using).as_sql()
        # The columns in the order values() was given them, as Django's ValuesIterable
        # reads them.
        names = tuple(query.selected or ())
        ids_at = next(index for index, param in enumerate(params) if param is ids)
        return cls(sql=sql, params=tuple(params), ids_at=ids_at, names=names)

    def run(self, ids: list[int], using: str) -> list[dict[str, Any]]:
        """The rows of these ids (in no order), jsonb columns decoded.

        Prepared (``PREPARE``, once per database session, its other parameters written in)
        and run with the ids alone (``EXECUTE``): PostgreSQL then plans it once instead of
        for every page (1.5 of the 3 ms the list's rows took at a province)."""
        params = list(self.params)
        params[self.ids_at] = list(ids)
        with connections[using].cursor() as cursor:
            if self.prepare:
                self._execute_prepared(cursor, list(ids))
            else:
                cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        found = []
        for row in rows:
            values = dict(zip(self.names, row, strict=True))
            for name, value in values.items():
                if name.endswith("_shown") and isinstance(value, str):
                    values[name] = json.loads(value)  # jsonb comes as text (Django asks so)
            found.append(values)
        return found

    @functools.cached_property
    def _name(self) -> str:
        digest = hashlib.blake2b(repr((self.sql, self.params)).encode(), digest_size=8)
        return f"rows_{digest.hexdigest()}"

    def _execute_prepared(self, cursor: Any, ids: list[int]) -> None:
        """``EXECUTE`` this statement with ``ids`` (:func:`config.plans.run_prepared`: sent
        after its ``PREPARE`` when ``cursor``'s database session has not prepared it yet)."""
        params: list[Any] = list(self.params)
        params[self.ids_at] = AsIs("$1")
        body = cursor.mogrify(self.sql, params).decode()
        run_prepared(cursor, self._name, body, [ids], logged=cursor.db.queries_logged)


@functools.lru_cache(maxsize=4)
def _rows_statement(today: date, using: str) -> RowsStatement:
    """:func:`item_list_rows`' query for ``today``, compiled once.

    The unit and the chain's people come from a subquery each by primary key: joined, they
    made nine tables for the planner, which hashed all 5,000 units and every chain for 50
    rows (14 ms at a province, against under 1 ms looked up row by row)."""
    unit = shown(Unit, "unit_id", name="name", short_name="short_name", path="path")
    chain = shown(
        ResponsibilityChain,
        "chain_id",
        lead="lead_department__name",
        lead_short="lead_department__short_name",
        person="responsible_person__name",
        username="responsible_person__username",
    )
    return RowsStatement.of(
        lambda items: (
            with_light(items, today=today)
            .annotate(unit_shown=unit, chain_shown=chain)
            .order_by()
            .values(*ITEM_VALUES, "unit_shown", "chain_shown")
        ),
        using,
    )


def ledger_item_detail(*, user: User, pk: int, today: date | None = None) -> LedgerItem:
    """One visible item with everything its page shows; DoesNotExist outside the jurisdiction.

    Key projects' ``funds_rate`` and ``investment_rate`` are annotated (NULL for other kinds).
    """
    return (
        with_project_rates(ledger_items(user=user, today=today, with_led=True))
        .select_related(
            "chain__principal_leader",
            "chain__unit",
            "signed_off_by",
            "source_meeting",
        )
        .prefetch_related(
            "milestones",
            "measure_set",
            "chain__cooperating_departments",
            Prefetch(
                "reports",
                queryset=ProgressReport.objects.select_related(
                    "reporter", "reviewed_by"
                ).prefetch_related("evidence"),
            ),
            Prefetch(
                "signoff_requests",
                queryset=SignOffRequest.objects.select_related(
                    "requested_by", "decided_by"
                ).prefetch_related("evidence"),
            ),
            Prefetch(
                "extension_requests",
                queryset=ExtensionRequest.objects.select_related("requested_by", "decided_by"),
            ),
            Prefetch(
                "status_requests",
                queryset=StatusChangeRequest.objects.select_related("requested_by", "decided_by"),
            ),
            "evidence",
        )
        .get(pk=pk)
    )


def ledger_list(*, user: User, campaign: Campaign | None = None) -> QuerySet[Ledger]:
    """Ledgers of the user's campaigns with how many of their items the user can see.

    The numbers are sums of the kept counts (``LedgerItemCount``: one row per unit, ledger,
    light and tab) of the units the user sees, one small subquery per ledger, never a count
    of the items: at a province, counting a million items joined to the ledgers ran for
    minutes."""
    from .keyset import scope_unit_ids

    j = jurisdiction_for(user)
    ledgers = Ledger.objects.filter(campaign__in=campaign_list(user=user).values("pk"))
    if campaign is not None:
        ledgers = ledgers.filter(campaign=campaign)
    counts = LedgerItemCount.objects.filter(ledger=OuterRef("pk")).order_by()
    units = scope_unit_ids(user)
    if units is not None:
        counts = counts.filter(AnyOf("unit_id", units))

    def summed(rows: QuerySet[LedgerItemCount]) -> Coalesce:
        total = rows.values("ledger").annotate(n=Sum("items")).values("n")
        return Coalesce(Subquery(total, output_field=IntegerField()), 0)

    return (
        ledgers.select_related("area", "owner_unit", "task_force", "campaign")
        .annotate(
            visible_items=summed(counts),
            signed_off_items=summed(counts.filter(three_list=ThreeList.SIGNED_OFF)),
        )
        .filter(Q(visible_items__gt=0) | j.q("owner_unit"))
        .order_by("area__sort_order", "sort_order", "title")
    )


def area_list(*, user: User, campaign: Campaign | None = None) -> QuerySet[Area]:
    """Areas of a campaign (or of every campaign) the user takes part in."""
    areas = Area.objects.filter(campaign__in=campaign_list(user=user).values("pk"))
    if campaign is not None:
        areas = areas.filter(campaign=campaign)
    return areas.order_by("sort_order", "name")


def ledger_choices(*, user: User) -> QuerySet[Ledger]:
    """Ledgers of the campaigns the user takes part in: those they may name when adding an
    item (whether they may add to it is the service's question)."""
    return Ledger.objects.filter(campaign__in=campaign_list(user=user).values("pk")).order_by(
        "area__sort_order", "sort_order", "title"
    )


#: The counts a map cell, a tile or a total carries (red, yellow, green, none, total).
LIGHT_KEYS = (*(str(light) for light in LIGHT_RANK), "total")


def _light_sums(field: str = "items") -> dict[str, Any]:
    """SUM expressions over kept counts: ``red``, ``yellow``, ``green``, ``none`` (suspended
    or cancelled) by stored light rank, and ``total`` (they add up to it)."""
    sums: dict[str, Any] = {
        str(light): Coalesce(Sum(field, filter=Q(light_rank=rank)), 0)
        for light, rank in LIGHT_RANK.items()
    }
    sums["total"] = Coalesce(Sum(field), 0)
    return sums


def map_under(*, user: User, unit: Unit | None) -> str | None:
    """The unit path whose battle map is shown: ``unit`` when the user may see it, else
    their one jurisdiction root; None for several roots (a supervisor's assigned units) or
    everything (a superuser), whose map has a row per root (no queries)."""
    j = jurisdiction_for(user)
    if unit is not None and j.can_view(unit):
        return unit.path
    if not j.is_global and len(j.view_roots) == 1:
        return j.view_roots[0]
    return None


def battle_map(*, user: User, campaign: Campaign, under: str | None) -> list[dict[str, Any]]:
    """Units × areas of one campaign, summed from the roll-up by ledger
    (:class:`~tasks_ledger.models.LedgerItemSubtree`, never the items nor every unit's
    counts): one query of a few rows per unit shown.

    ``under`` (from :func:`map_under`) is the path of the unit whose map is shown: a row
    for its own items (``branch`` == ``under``: its subtree less its children's) and one
    per unit directly under it, each summing that unit's whole subtree. Without ``under``,
    one row per jurisdiction root (or per top unit for a superuser). Rows: ``branch`` (a
    unit path), ``area``, ``red``, ``yellow``, ``green``, ``none`` and ``total``, in branch
    and area order; cells without items left out.
    """
    j = jurisdiction_for(user)
    if under is not None:
        depth = len(under) // Unit.steplen
        units = Q(unit__path__startswith=under, unit__depth__in=[depth, depth + 1])
    elif j.is_global:
        units = Q(unit__depth=1)
    else:
        units = Q(unit__path__in=j.view_roots)
    # The campaign's ledgers read first (an InitPlan): the roll-up's rows are found by unit
    # and ledger through its key's index.
    ledgers = Ledger.objects.filter(campaign=campaign).order_by().values("pk")
    sums = (
        LedgerItemSubtree.objects.filter(units, AmongIds(F("ledger_id"), Subquery(ledgers)))
        .order_by()
        .values("unit__path", "ledger__area")
        .annotate(**_light_sums())
    )
    cells: dict[tuple[str, Any], dict[str, Any]] = {
        (row["unit__path"], row["ledger__area"]): dict(row) for row in sums
    }
    if under is not None:
        # The unit's own items: its subtree less the subtrees of the units under it.
        for (path, area), row in cells.items():
            if path != under and (under, area) in cells:
                own = cells[(under, area)]
                for key in LIGHT_KEYS:
                    own[key] -= row[key]
    return [
        {"branch": path, "ledger__area": area, **{key: row[key] for key in LIGHT_KEYS}}
        for (path, area), row in sorted(cells.items(), key=lambda cell: cell[0])
        if row["total"]
    ]


def map_units(*, user: User, paths: Iterable[str]) -> dict[str, Unit]:
    """The visible units of these paths, by path (one query): a map's rows and crumbs."""
    wanted = sorted(set(paths))
    if not wanted:
        return {}
    units = jurisdiction_for(user).units().filter(path__in=wanted).order_by("path")
    return {unit.path: unit for unit in units}


def _signoff_scope(user: User) -> Q:
    """Requests on items the user may see, including those their lead department verifies
    (a department does not otherwise see another unit's items)."""
    return rules.viewable_items_q(user, "item__")


def rule_column(q: Q) -> Any:
    """A rule's list form (a Q) as a boolean column, so each row says in SQL whether the
    caller may act on it. "Everything" (an empty Q) and "nothing" are plain constants; a
    NULL from an outer join (no chain, no lead department) reads as false."""
    if not q:
        return Value(True)
    if q == rules.NOTHING:
        return Value(False)
    return Coalesce(ExpressionWrapper(q, output_field=BooleanField()), Value(False))


#: A queue's scope left to the jurisdiction's rule (its units joined by path), the default;
#: the office's page passes the managed units' ids read first (``keyset.scope_unit_ids``).
BY_RULE: Any = object()


def _managed_items(
    queryset: QuerySet[Any], user: User, unit_ids: Any, unit: str = "item__unit"
) -> QuerySet[Any]:
    """``queryset``'s rows on items of units the user manages: by the rule (a join to the
    units by path), by ids read first (one array parameter), or none at all for None (every
    unit: a province's office; the join made PostgreSQL look up the item and unit of each of
    a thousand waiting reports to count them). ``unit``: the rows' path to the item's unit
    (a progress report keeps its own copy, ``unit``)."""
    if unit_ids is BY_RULE:
        return queryset.filter(jurisdiction_for(user).q(unit, manage=True))
    if unit_ids is None:
        return queryset
    return queryset.filter(AnyOf(f"{unit}_id", unit_ids))


def _review_column(user: User, unit_ids: Any) -> Any:
    """``can_act`` of a queue the office reviews: the rule's list form, in SQL. For a user
    who manages every unit (``unit_ids`` None) its unit test holds on every row: only
    whether it holds at all is left, so nothing joins the units for it (the badges' counts
    would otherwise look up each waiting row's item and unit)."""
    rule = rules.reviewable_items_q(user, "item__")
    if unit_ids is None and rule != rules.NOTHING:
        return Value(True)
    return rule_column(rule)


def _verify_column(user: User, unit_ids: Any) -> Any:
    """``can_act`` of the sign-off queue (:func:`tasks_ledger.rules.verifiable_signoffs_q`).
    For a user who manages every unit, a lead department's share is theirs already: they
    may verify any request but their own if they review items at all."""
    if unit_ids is None and not jurisdiction_for(user).is_global:
        reviews = rules.reviewable_items_q(user, "item__") != rules.NOTHING
        return rule_column(~Q(requested_by=user.pk) if reviews else rules.NOTHING)
    return rule_column(rules.verifiable_signoffs_q(user))


def signoff_queue(*, user: User, unit_ids: Any = BY_RULE) -> QuerySet[SignOffRequest]:
    """Pending sign-off requests on items the user may see or whose lead department they
    are in, oldest first.

    ``can_act`` says per row whether the user may verify it (the list form of
    :func:`tasks_ledger.rules.can_verify_signoff`, in SQL); ``waiting_since`` is when it was
    asked, as every queue names it. Evidence comes in one more query. ``unit_ids`` None
    (the user manages every unit, so sees every item) leaves the rows unfiltered; else the
    rule decides (a lead department's items lie outside the units).
    """
    rows = SignOffRequest.objects.filter(status=ReviewStatus.PENDING)
    return (
        (rows if unit_ids is None else rows.filter(_signoff_scope(user)))
        .select_related(
            "item__unit", "item__ledger", "item__chain__lead_department", "requested_by"
        )
        .prefetch_related("evidence")
        .annotate(waiting_since=F("requested_at"), can_act=_verify_column(user, unit_ids))
        .order_by("requested_at", "pk")
    )


def extension_queue(*, user: User, unit_ids: Any = BY_RULE) -> QuerySet[ExtensionRequest]:
    """Pending extension requests on items of units the user manages, oldest first;
    ``can_act`` (:func:`tasks_ledger.rules.can_review_item` in SQL) and ``waiting_since``
    as in :func:`signoff_queue`; ``unit_ids`` as in :func:`_managed_items`."""
    return (
        _managed_items(
            ExtensionRequest.objects.filter(status=ExtensionStatus.PENDING), user, unit_ids
        )
        .select_related("item__unit", "item__ledger", "requested_by")
        .annotate(
            waiting_since=F("requested_at"),
            can_act=_review_column(user, unit_ids),
        )
        .order_by("requested_at", "pk")
    )


def report_queue(*, user: User, unit_ids: Any = BY_RULE) -> QuerySet[ProgressReport]:
    """Progress reports waiting for the campaign office on units the user manages, oldest
    first; ``can_act`` and ``waiting_since`` (when it was reported) as in
    :func:`signoff_queue`; ``unit_ids`` as in :func:`_managed_items`."""
    return (
        # By the report's own copy of its item's unit: a county's few waiting reports are
        # read by report_pending_unit_idx, not by joining a province's 18,000 to the items.
        _managed_items(
            ProgressReport.objects.filter(review_status=ReviewStatus.PENDING),
            user,
            unit_ids,
            unit="unit",
        )
        .select_related("item__unit", "item__ledger", "reporter")
        .prefetch_related("evidence")
        .annotate(
            waiting_since=F("created_at"),
            can_act=_review_column(user, unit_ids),
        )
        .order_by("created_at", "pk")
    )


def signoff_request_list(*, user: User) -> QuerySet[SignOffRequest]:
    """Every sign-off request, whatever its status, on items the user may see or whose lead
    department they are in."""
    return (
        SignOffRequest.objects.filter(_signoff_scope(user))
        .select_related(
            "item__unit",
            "item__ledger",
            "item__chain__lead_department",
            "requested_by",
            "decided_by",
        )
        .prefetch_related("evidence")
        .order_by("-requested_at", "-pk")
    )


def extension_request_list(*, user: User) -> QuerySet[ExtensionRequest]:
    """Every extension request, whatever its status, on items the user may see
    (rules.viewable_items_q: a lead department included)."""
    return (
        ExtensionRequest.objects.filter(rules.viewable_items_q(user, "item__"))
        .select_related("item__unit", "item__ledger", "requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
    )


def status_change_queue(*, user: User, unit_ids: Any = BY_RULE) -> QuerySet[StatusChangeRequest]:
    """Pending suspension, cancellation and resumption requests on units the user manages,
    oldest first; ``can_act`` and ``waiting_since`` as in :func:`signoff_queue`, ``unit_ids``
    as in :func:`_managed_items`."""
    return (
        _managed_items(
            StatusChangeRequest.objects.filter(status=ExtensionStatus.PENDING), user, unit_ids
        )
        .select_related("item__unit", "item__ledger", "requested_by")
        .annotate(
            waiting_since=F("requested_at"),
            can_act=_review_column(user, unit_ids),
        )
        .order_by("requested_at", "pk")
    )


def status_change_request_list(*, user: User) -> QuerySet[StatusChangeRequest]:
    """Every status-change request, whatever its status, on items the user may see
    (rules.viewable_items_q)."""
    return (
        StatusChangeRequest.objects.filter(rules.viewable_items_q(user, "item__"))
        .select_related("item__unit", "item__ledger", "requested_by", "decided_by")
        .order_by("-requested_at", "-pk")
    )


def progress_report_list(*, user: User) -> QuerySet[ProgressReport]:
    """Every progress report, whatever its review, on items the user may see
    (rules.viewable_items_q), newest first."""
    return (
        ProgressReport.objects.filter(rules.viewable_items_q(user, "item__"))
        .select_related("item__unit", "item__ledger", "reporter", "reviewed_by")
        .prefetch_related("evidence")
        .order_by("-created_at", "-pk")
    )


def meeting_list(*, user: User) -> QuerySet[ReviewMeeting]:
    """Meetings of the user's campaigns hosted or attended within the jurisdiction."""
    j = jurisdiction_for(user)
    return (
        ReviewMeeting.objects.filter(campaign__in=campaign_list(user=user).values("pk"))
        .filter(j.q("host_unit") | Q(attending_units__in=j.units()) | j.ancestors_q("host_unit"))
        .distinct()
        .select_related("host_unit", "chair", "campaign")
        .prefetch_related(Prefetch("attending_units", queryset=Unit.objects.order_by("path")))
        .annotate(decision_count=Count("decisions", distinct=True))
        .order_by("-date", "title")
    )


def meeting_detail(*, user: User, pk: int, today: date | None = None) -> ReviewMeeting:
    """One visible meeting with the decisions (items) the user may see; DoesNotExist else."""
    decisions = with_project_rates(ledger_items(user=user, today=today))
    return (
        meeting_list(user=user)
        .prefetch_related(Prefetch("decisions", queryset=decisions))
        .get(pk=pk)
    )


def ledger_light_counts(*, user: User) -> dict[str, int]:
    """How many items in the user's jurisdiction show each light (``red``, ``yellow``,
    ``green``, and ``none`` for suspended and cancelled items) and ``total``, for the home
    page's tiles, which add up to the total: one query summing the kept roll-up of the
    jurisdiction's roots (:class:`~tasks_ledger.models.LedgerItemRollup`, a few rows per
    root whatever the size), never the items."""
    from .lights import subtree_counts  # lights builds on this module's light definition

    # Summed by light rank, the lights named here: five filtered sums cost the ORM twice
    # the statement's time to build.
    by_rank = dict(
        subtree_counts(user=user)
        .order_by()
        .values_list("light_rank")
        .annotate(n=Sum("items"))
        .values_list("light_rank", "n")
    )
    counts = {str(light): int(by_rank.get(rank) or 0) for light, rank in LIGHT_RANK.items()}
    counts["total"] = sum(counts.values())
    return counts


def import_jobs(*, user: User) -> QuerySet[ImportJob]:
    """The user's own Excel imports, newest first: nobody else reaches a job."""
    if not user.is_authenticated:
        return ImportJob.objects.none()
    return ImportJob.objects.filter(created_by=user).select_related("ledger")
