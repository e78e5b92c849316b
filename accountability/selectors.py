"""Reads of notices, already scoped to the caller (:func:`rules.viewable_notices_q`) and
carrying what their readers show, so the registry page, the API and the Excel export
(督办登记表) read the same rows and agree on their numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    BooleanField,
    ExpressionWrapper,
    F,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.models import Unit, User
from campaign.models import Campaign, SupervisionGroup
from tasks_ledger.keyset import Order

from . import rules
from .models import Notice, NoticeAttachment, NoticePerson, overdue_q

#: What a row of the registry shows besides the notice's own columns (one join each).
LIST_RELATED = ("target_unit", "group", "issuing_unit", "item", "campaign")


def notice_list(*, user: User, today: date | None = None) -> QuerySet[Notice]:
    """Notices the caller may see, newest first, each with ``overdue`` (past its reply
    deadline and still awaiting the unit's reply, as of ``today``)."""
    today = today or timezone.localdate()
    return (
        Notice.objects.filter(rules.viewable_notices_q(user))
        .select_related(*LIST_RELATED)
        .annotate(overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField()))
    )


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


#: What a registry row shows (accountability.tables.NoticeCells), and no more: a notice's
#: facts, requirements and reply are long texts the page never reads.
ROW_FIELDS = (
    "kind",
    "status",
    "number",
    "subject_title",
    "reply_deadline",
    "target_unit__name",
    "item__title",
)


class CappedCount(Subquery):
    """``(SELECT COUNT(*) FROM (the first cap + 1 of a queryset's rows))``: a count that
    stops past ``cap``, as an expression, so that another query carries it."""

    template = "(SELECT COUNT(*) FROM (%(subquery)s) AS capped)"
    empty_result_set_value = 0

    def __init__(self, queryset: QuerySet[Any], cap: int) -> None:
        super().__init__(queryset.order_by().values("pk")[: cap + 1], output_field=IntegerField())


def notice_rows(
    *, ids: Sequence[int], today: date | None = None, counting: QuerySet[Notice] | None = None
) -> list[Notice]:
    """The registry's rows in the order of ``ids``, with ``overdue``, their target unit's
    name and their item's title (the matter of a notice without its own): one query by
    primary key. With ``counting``, each row also carries ``counted``, how many notices
    ``counting`` holds up to one past :data:`COUNT_CAP` (read once, an InitPlan: the
    registry's count costs no round trip of its own; see :func:`page_count`).

    ``ids`` are the page's keys, read from :func:`notice_list` (scoped to the caller, then
    filtered); they are not scoped again, which joined every unit of a province to the 50
    rows to test the rule a second time."""
    today = today or timezone.localdate()
    rows = (
        Notice.objects.filter(pk__in=ids)
        .select_related("target_unit", "item")
        .only(*ROW_FIELDS)
        .annotate(overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField()))
        .order_by()
    )
    if counting is not None:
        rows = rows.annotate(counted=CappedCount(counting, COUNT_CAP))
    found = {notice.pk: notice for notice in rows}
    return [found[pk] for pk in ids if pk in found]


def page_count(rows: Sequence[Notice], notices: QuerySet[Notice]) -> tuple[int, bool]:
    """How many ``notices`` there are (capped, as :func:`notice_count`), read from the
    ``counted`` that the page's rows carry (:func:`notice_rows` with ``counting``); counted
    apart only for a page without rows (past the end, or nothing matches)."""
    if not rows:
        return notice_count(notices)
    counted = int(rows[0].counted)  # type: ignore[attr-defined]
    return min(counted, COUNT_CAP), counted <= COUNT_CAP


@dataclass(frozen=True)
class Reach:
    """What a user's sight holds beyond their units: the supervision groups they lead or
    belong to, and the notices naming them."""

    groups: frozenset[int]
    named: frozenset[int]


def registry_reach(*, user: User) -> Reach:
    """The user's groups and the notices naming them (one query)."""
    groups = (
        SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user))
        .annotate(tag=Value("g"))
        .values_list("tag", "pk")
    )
    named = (
        NoticePerson.objects.filter(user=user)
        .annotate(tag=Value("n"))
        .values_list("tag", "notice_id")
    )
    found: dict[str, set[int]] = {"g": set(), "n": set()}
    for tag, pk in groups.union(named, all=True):
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
    return (
        Q(target_unit_id__in=list(unit_ids))
        | Q(group_id__in=sorted(reach.groups))
        | Q(pk__in=sorted(reach.named))
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
