"""Reads of notices, already scoped to the caller (:func:`rules.viewable_notices_q`) and
carrying what their readers show, so the registry page, the API and the Excel export
(督办登记表) read the same rows and agree on their numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Protocol

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit, User
from campaign.models import Campaign, SupervisionGroup
from config.expressions import AnyOf
from tasks_ledger.keyset import Order
from tasks_ledger.models import LedgerItem
from tasks_ledger.selectors import RowsStatement

from . import rules
from .models import Notice, NoticeAttachment, NoticePerson, overdue_q

#: What a row of the registry shows besides the notice's own columns (one join each).
LIST_RELATED = ("target_unit", "group", "issuing_unit", "item", "campaign")


def notice_list(
    *, user: User, today: date | None = None, units: Sequence[UnitPath] | None = None
) -> QuerySet[Notice]:
    """Notices the caller may see, newest first, each with ``overdue`` (past its reply
    deadline and still awaiting the unit's reply, as of ``today``).

    ``units``: every unit of the caller's jurisdiction (its id and path), when the caller
    has them at hand (the registry of a small jurisdiction): the rule's units are then
    their ids (:func:`by_unit_ids`), not their paths through a join of the unit table."""
    today = today or timezone.localdate()
    rule = rules.viewable_notices_q(user)
    if units is not None:
        rule = by_unit_ids(rule, units, jurisdiction_for(user).view_roots)
    return (
        Notice.objects.filter(rule)
        .select_related(*LIST_RELATED)
        .annotate(overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField()))
    )


def registry_notices(*, user: User, units: Sequence[UnitPath] | None = None) -> QuerySet[Notice]:
    """:func:`notice_list` for the registry, today, built once per process for each user,
    jurisdiction and set of units (the rule's filters took 1 to 3 ms a page to build) and
    cloned for each page. Keyed by the jurisdiction's value, a changed post or unit builds
    it anew; the user's groups and named notices are subqueries, read when it runs."""
    units_key = None if units is None else tuple((unit.pk, unit.path) for unit in units)
    built = _registry_notices(user, jurisdiction_for(user), timezone.localdate(), units_key)
    return built.all()


@functools.lru_cache(maxsize=512)
def _registry_notices(
    user: User, j: Any, today: date, units: tuple[tuple[int, str], ...] | None
) -> QuerySet[Notice]:
    """:func:`registry_notices` built (``j``: the user's jurisdiction, part of the key)."""
    paths = None if units is None else [_UnitPath(pk, path) for pk, path in units]
    return notice_list(user=user, today=today, units=paths)


@dataclass(frozen=True)
class _UnitPath:
    pk: int
    path: str


class UnitPath(Protocol):
    """A unit's id and path (:class:`accountability.filtersets.UnitChoice` is one)."""

    @property
    def pk(self) -> int: ...

    @property
    def path(self) -> str: ...


#: The lookup by which the rules hold a notice's target unit in a subtree.
_UNDER = "target_unit__path__startswith"


def by_unit_ids(rule: Q, units: Sequence[UnitPath], roots: Sequence[str]) -> Q:
    """``rule`` with each of its "target unit under this path" conditions whose path lies
    within ``roots`` written as "target unit among these ids": ``units`` must be every unit
    under ``roots`` (the caller's jurisdiction), so that the ids are every unit under the
    path. The same notices, without joining the unit table: PostgreSQL hashed all 5,000
    units of a province to test a county's few dozen, for the page's keys and again for its
    count. A path outside ``roots`` is kept as it is."""
    children: list[Any] = []
    for child in rule.children:
        if isinstance(child, Q):
            children.append(by_unit_ids(child, units, roots))
        elif (
            isinstance(child, tuple)
            and child[0] == _UNDER
            and any(child[1].startswith(root) for root in roots)
        ):
            under = [unit.pk for unit in units if unit.path.startswith(child[1])]
            children.append(AnyOf(F("target_unit_id"), under))
        else:
            children.append(child)
    return Q.create(children, connector=rule.connector, negated=rule.negated)


# --- the registry at a province's scale --------------------------------------------------------
# A province writes 100,000 notices a year. The registry shows one page of 50 at a time in keyset
# pages (tasks_ledger.keyset, shared with the item list): the keys of the page's rows from an
# index in the order chosen, after a cursor however deep, then those rows with their joins.
# Its count stops at COUNT_CAP ("1000+"), so no request counts or sorts every notice.

#: How far the registry counts the notices matching its filters.
COUNT_CAP = 1000
#: Drafts have no issue date: by issue date they come after every issued notice.
NOT_ISSUED = date(9999, 12, 31)
#: The registry's orders (the filterset's ``ordering`` values, "" for newest first), each
#: served by an index of its keys on the notice table (``Notice.Meta.indexes``).
_ORDER_KEYS: dict[str, tuple[tuple[Any, ...], bool]] = {
    "": ((F("drafted_at"), F("id")), True),
    "-drafted_at": ((F("drafted_at"), F("id")), True),
    "drafted_at": ((F("drafted_at"), F("id")), False),
    "reply_deadline": ((F("reply_deadline"), F("id")), False),
    "-reply_deadline": ((F("reply_deadline"), F("id")), True),
    "issued_on": ((Coalesce(F("issued_on"), Value(NOT_ISSUED)), F("id")), False),
    "-issued_on": ((Coalesce(F("issued_on"), Value(NOT_ISSUED)), F("id")), True),
    "kind": ((F("kind"), F("drafted_at"), F("id")), False),
    "-kind": ((F("kind"), F("drafted_at"), F("id")), True),
}
# Each order is named after its ``ordering`` value: a cursor of one order means nothing in
# another, and tasks_ledger.keyset reads it as no cursor.
ORDERS: dict[str, Order] = {
    name: Order(keys, descending=descending, name=name)
    for name, (keys, descending) in _ORDER_KEYS.items()
}


def registry_order(ordering: str | Sequence[str] | None) -> Order:
    """The keyset order for the filterset's ``ordering`` (its first term); newest first for
    anything else."""
    first = ordering if isinstance(ordering, str) else (ordering[0] if ordering else "")
    return ORDERS.get(first or "", ORDERS[""])


@dataclass(frozen=True)
class RegistryRow:
    """What a registry row shows (accountability.tables.NoticeCells), and no more: a notice's
    facts, requirements and reply are long texts the page never reads. ``subject`` is the
    matter in words (:attr:`Notice.subject`: its own title, or its item's); ``counted`` is
    :func:`notice_rows`' capped count (the same on every row of a page), or None."""

    pk: int
    kind: str
    status: str
    number: str
    subject: str
    reply_deadline: date
    overdue: bool
    target_unit_name: str
    counted: int | None = None


def _row_shape(today: date) -> Callable[[QuerySet[Notice]], QuerySet[Any]]:
    """The registry rows' values: a notice's own columns, ``overdue`` as of ``today``, and
    its target unit's name and its item's title each from a subquery by primary key (joined,
    the target unit made PostgreSQL hash all 5,000 units of a province for 50 rows)."""

    def shape(notices: QuerySet[Notice]) -> QuerySet[Any]:
        unit = Unit.objects.filter(pk=OuterRef("target_unit_id")).order_by().values("name")
        item = LedgerItem.objects.filter(pk=OuterRef("item_id")).order_by().values("title")
        return (
            notices.order_by()
            .annotate(
                overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField()),
                unit_name=Subquery(unit),
                item_title=Subquery(item),
            )
            .values(
                "id",
                "kind",
                "status",
                "number",
                "subject_title",
                "reply_deadline",
                "overdue",
                "unit_name",
                "item_title",
            )
        )

    return shape


@functools.lru_cache(maxsize=4)
def _rows_statement(today: date, using: str) -> RowsStatement:
    """The registry rows' statement for ``today``, compiled once and run with each page's
    ids (building it through the ORM, and a model instance per row, cost more than running
    it)."""
    return RowsStatement.of(_row_shape(today), using, model=Notice)


def _with_count(statement: RowsStatement, counting: QuerySet[Notice]) -> RowsStatement:
    """``statement`` with a first column ``counted``: ``(SELECT COUNT(*) FROM (the first
    COUNT_CAP + 1 of counting's rows))``, read once by PostgreSQL (an InitPlan), so that the
    count rides on the rows' round trip."""
    capped = counting.order_by().values("pk")[: COUNT_CAP + 1]
    try:
        sql, params = capped.query.get_compiler(using=capped.db).as_sql()
    except EmptyResultSet:
        sql, params = "SELECT 1 WHERE false", ()
    head = "SELECT "
    assert statement.sql.startswith(head)
    counted = f"(SELECT COUNT(*) FROM ({sql}) AS capped) AS counted, "  # noqa: S608 - compiled
    return replace(
        statement,
        sql=head + counted + statement.sql[len(head) :],
        params=(*params, *statement.params),
        ids_at=statement.ids_at + len(params),
        names=("counted", *statement.names),
        prepare=False,  # the count's parameters are the request's
    )


def notice_rows(
    *, ids: Sequence[int], today: date | None = None, counting: QuerySet[Notice] | None = None
) -> list[RegistryRow]:
    """The registry's rows in the order of ``ids``, with ``overdue``, their target unit's
    name and their matter (their item's title for a notice without its own): one statement
    by primary key, built once a day (:func:`_rows_statement`). With ``counting``, each row
    also carries ``counted``, how many notices ``counting`` holds up to one past
    :data:`COUNT_CAP` (read once, an InitPlan: the registry's count costs no round trip of
    its own; see :func:`page_count`).

    ``ids`` are the page's keys, read from :func:`notice_list` (scoped to the caller, then
    filtered); they are not scoped again, which joined every unit of a province to the 50
    rows to test the rule a second time."""
    if not ids:
        return []
    using = Notice.objects.all().db  # the database the router reads the notices from
    statement = _rows_statement(today or timezone.localdate(), using)
    if counting is not None:
        statement = _with_count(statement, counting)
    found = {}
    for values in statement.run(list(ids), using):
        found[values["id"]] = RegistryRow(
            pk=values["id"],
            kind=values["kind"],
            status=values["status"],
            number=values["number"],
            subject=values["subject_title"] or values["item_title"] or "",
            reply_deadline=values["reply_deadline"],
            overdue=values["overdue"],
            target_unit_name=values["unit_name"],
            counted=values.get("counted"),
        )
    return [found[pk] for pk in ids if pk in found]


def page_count(rows: Sequence[RegistryRow], notices: QuerySet[Notice]) -> tuple[int, bool]:
    """How many ``notices`` there are (capped, as :func:`notice_count`), read from the
    ``counted`` that the page's rows carry (:func:`notice_rows` with ``counting``); counted
    apart only for a page without rows (past the end, or nothing matches)."""
    if not rows:
        return notice_count(notices)
    counted = int(rows[0].counted or 0)
    return min(counted, COUNT_CAP), counted <= COUNT_CAP


@dataclass(frozen=True)
class Reach:
    """What a user's sight holds beyond their units: the supervision groups they lead or
    belong to, and the notices naming them."""

    groups: frozenset[int]
    named: frozenset[int]


#: A user id no user has: the reach's statement is compiled for it, and run with the caller's.
_SOMEONE = -2_000_000_017


@functools.lru_cache(maxsize=4)
def _reach_statement(using: str) -> tuple[str, tuple[Any, ...]]:
    """:func:`registry_reach`'s statement, compiled once (a union of two filtered queries
    took over 1 ms a page to build)."""
    someone = User(pk=_SOMEONE)
    groups = (
        SupervisionGroup.objects.filter(Q(members=someone) | Q(leader=someone))
        .order_by()
        .annotate(tag=Value("g"))
        .values_list("tag", "pk")
    )
    named = (
        NoticePerson.objects.filter(user=someone)
        .order_by()
        .annotate(tag=Value("n"))
        .values_list("tag", "notice_id")
    )
    sql, params = groups.union(named, all=True).query.get_compiler(using=using).as_sql()
    return sql, tuple(params)


def registry_reach(*, user: User) -> Reach:
    """The user's groups and the notices naming them (one query)."""
    using = SupervisionGroup.objects.all().db  # the database the router reads them from
    sql, params = _reach_statement(using)
    found: dict[str, set[int]] = {"g": set(), "n": set()}
    with connections[using].cursor() as cursor:
        cursor.execute(sql, [user.pk if p == _SOMEONE else p for p in params])
        for tag, pk in cursor.fetchall():
            found[tag].add(pk)
    return Reach(groups=frozenset(found["g"]), named=frozenset(found["n"]))


def registry_scope(*, user: User, unit_ids: Sequence[int], reach: Reach | None = None) -> Q:
    """A filter holding every notice ``user`` may see (:func:`rules.viewable_notices_q`), in
    terms an index serves: its target among ``unit_ids`` (every unit of the user's
    jurisdiction), its issuing group one of the user's, or naming the user (``reach``, read
    by :func:`registry_reach` when not given). ANDed with the rule, it lets PostgreSQL
    gather a small jurisdiction's notices by index instead of walking the registry's order
    past everyone else's. The groups and notices are constants, not subqueries: PostgreSQL
    then knows how few they are and reads the notices by index (as ``= ANY(ARRAY(...))`` it
    guessed thousands and walked the registry's order instead, 10 times slower)."""
    reach = reach or registry_reach(user=user)
    # Each list one array parameter (config.expressions.AnyOf): the same plan as ``__in``,
    # without Django preparing every value of it (about 1 ms a page for a county's ids).
    return (
        Q(AnyOf(F("target_unit_id"), list(unit_ids)))
        | Q(AnyOf(F("group_id"), sorted(reach.groups)))
        | Q(AnyOf(F("pk"), sorted(reach.named)))
    )


def notice_count(notices: QuerySet[Notice]) -> tuple[int, bool]:
    """How many ``notices`` there are, counted no further than :data:`COUNT_CAP` (one query
    that stops there), and whether that is all of them."""
    counted = notices.order_by().values("pk")[: COUNT_CAP + 1].count()
    return min(counted, COUNT_CAP), counted <= COUNT_CAP


def notice_detail(*, user: User, pk: int, today: date | None = None) -> Notice:
    """One notice with everything its page and the API's detail show: the people named on
    it, its files, what it escalates from and what escalated from it. Raises
    ``Notice.DoesNotExist`` outside the caller's sight."""
    return (
        notice_list(user=user, today=today)
        .select_related(
            "escalated_from",
            "drafted_by",
            "approved_by",
            "issued_by",
            "signed_for_by",
            "replied_by",
            "closed_by",
            "item__ledger",
        )
        .prefetch_related(
            "responsible_people",
            Prefetch(
                "attachments", queryset=NoticeAttachment.objects.select_related("uploaded_by")
            ),
            # Only the escalations the caller sees: a draft is the issuer side's alone.
            Prefetch(
                "escalations",
                queryset=Notice.objects.filter(rules.viewable_notices_q(user))
                .select_related("target_unit")
                .order_by("drafted_at", "pk"),
            ),
        )
        .get(pk=pk)
    )


def draft_groups(*, user: User, campaign: Campaign, unit: Unit) -> list[SupervisionGroup]:
    """The campaign's supervision groups in whose name ``user`` may draft to ``unit``
    (:func:`rules.can_draft_notice`)."""
    return [
        group
        for group in SupervisionGroup.objects.filter(campaign=campaign).select_related("campaign")
        if rules.can_draft_notice(user, unit, group)
    ]


def may_draft_to(*, user: User, campaign: Campaign, unit: Unit) -> bool:
    """Whether ``user`` may draft a notice to ``unit`` at all: in the office's own name or in
    one of the campaign's groups'."""
    return rules.can_draft_notice(user, unit) or bool(
        draft_groups(user=user, campaign=campaign, unit=unit)
    )
