"""Reads for the supervision workspace, the unit's inbox and the notice statistics.

Every read starts from a rule's list form (:mod:`accountability.rules`) and the notice
registry's selector (:func:`accountability.selectors.notice_list`), so the workspace's
queues, the inbox, the registry and the charts agree with the buttons and with each other.
Counts and figures are computed in SQL (``aggregate`` / ``values().annotate()``): the pages
run a fixed number of queries however many notices and items there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import django_filters
from django import forms
from django.db.models import Count, F, Prefetch, Q, QuerySet, Value
from django.db.models.functions import ExtractMonth, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from accounts.jurisdiction import jurisdiction_for
from accounts.models import Unit, User
from campaign.models import Campaign
from campaign.selectors import campaign_list
from tasks_ledger.models import LedgerItem, Light
from tasks_ledger.selectors import ledger_items, rule_column

from . import rules
from .models import SENT_STATUSES, Notice, NoticeKind, NoticeStatus, overdue_q
from .selectors import notice_list

# --- who uses which page ------------------------------------------------------------------


@dataclass(frozen=True)
class SupervisionMenu:
    """Which supervision pages the user has a use for (no queries: the jurisdiction only).

    ``workspace``: the campaign office (who may change records) and supervision groups'
    members and leaders. ``inbox``: people holding a post in a unit who may change records
    (the target side of a notice, :func:`rules.can_sign_for_notice`). ``stats``: anyone
    who sees some units.
    """

    workspace: bool
    inbox: bool
    stats: bool

    @property
    def any(self) -> bool:
        """Whether the navbar shows the supervision menu at all."""
        return self.workspace or self.inbox or self.stats


def supervision_menu(user: User) -> SupervisionMenu:
    """The supervision pages ``user`` has a use for."""
    j = jurisdiction_for(user)
    office = j.has_role(*rules.OFFICE_ROLES) and not j.is_read_only
    return SupervisionMenu(
        workspace=office or bool(j.supervised_roots),
        inbox=j.is_global or (bool(j.member_paths) and not j.is_read_only),
        stats=not j.is_empty,
    )


# --- the workspace ----------------------------------------------------------------------------


def supervised_units_q(user: User, prefix: str = "") -> Q:
    """Units (a filter on Unit, ``prefix`` for a relation to one) the user may draft notices
    to: the office's own (:func:`rules.draftable_units_q`) and, for a supervision group's
    member or leader, everything under the group's assigned units. The second part is the
    union of ``rules.draftable_units_q(user, group)`` over the user's groups, read from the
    jurisdiction's ``supervised_roots`` (the same assigned units, already loaded) rather
    than two queries per group; ``test_workspace.py`` checks they agree unit by unit."""
    j = jurisdiction_for(user)
    office = rules.draftable_units_q(user)
    if not office:  # everything (a superuser)
        return Q()
    query = rules.NOTHING
    if office != rules.NOTHING:
        query = Q(**{f"{prefix}pk__in": Unit.objects.filter(office).values("pk")})
    for root in j.supervised_roots:
        query |= Q(**{f"{prefix}path__startswith": root})
    return query


def scope_units(user: User) -> QuerySet[Unit]:
    """The roots of what the user supervises, for the workspace's heading: the supervision
    groups' assigned units and the units the office manages (one query)."""
    j = jurisdiction_for(user)
    roots = set(j.supervised_roots)
    if j.has_role(*rules.OFFICE_ROLES) and not j.is_read_only:
        roots |= set(j.manage_roots)
    return Unit.objects.filter(path__in=sorted(roots)).order_by("path")


def overdue_items(*, user: User, today: date | None = None) -> QuerySet[LedgerItem]:
    """Red ledger items (past their deadline, or a long-term item gone quiet: the ledger's
    light, :func:`tasks_ledger.selectors.with_light`) of the units the user supervises,
    most overdue first, each with its open notices (one more query)."""
    open_notices = Notice.objects.exclude(status=NoticeStatus.CLOSED).order_by("drafted_at")
    return (
        ledger_items(user=user, today=today)
        .filter(Q(light=Light.RED))
        .annotate(days_overdue=F("days_left") * Value(-1))
        .filter(unit__in=Unit.objects.filter(supervised_units_q(user)).values("pk"))
        .prefetch_related(Prefetch("notices", queryset=open_notices, to_attr="open_notices"))
        .order_by(F("deadline").asc(nulls_first=True), "unit__path", "pk")
    )


def workspace_queues(user: User, today: date) -> dict[str, Q]:
    """The workspace's notice queues as filters on Notice: drafts the user may approve,
    notices ready to issue, replies to accept or return, and notices to the units the user
    supervises that are past their reply deadline."""
    return {
        "approve": rules.approvable_notices_q(user),
        "issue": rules.issuable_notices_q(user),
        "review": rules.acceptable_notices_q(user),
        "overdue": overdue_q(today) & supervised_notices_q(user),
    }


def supervised_notices_q(user: User) -> Q:
    """Notices the user may see (:func:`rules.viewable_notices_q`) to the units they
    supervise (:func:`supervised_units_q`)."""
    return rules.viewable_notices_q(user) & supervised_units_q(user, "target_unit__")


QUEUE_ORDER = {
    "approve": ("drafted_at", "pk"),
    "issue": ("drafted_at", "pk"),
    "review": ("replied_at", "pk"),
    "overdue": ("reply_deadline", "pk"),
}


def workspace_counts(*, user: User, today: date | None = None) -> dict[str, int]:
    """How many rows each of the workspace's tabs holds: the four notice queues in one
    aggregate query (with ``pending``: drafts awaiting another's approval), the overdue
    items in one COUNT."""
    today = today or timezone.localdate()
    queues = workspace_queues(user, today)
    # Drafts the user sees as issuer that wait for someone else's approval (a member's
    # supervision order waits for the group's leader): named on the page, not a queue.
    queues["pending"] = (
        rules.AWAITING_APPROVAL & supervised_notices_q(user) & ~rules.approvable_notices_q(user)
    )
    counts = Notice.objects.order_by().aggregate(
        **{key: Count("pk", filter=query) for key, query in queues.items()}
    )
    counts["items"] = overdue_items(user=user, today=today).order_by().count()
    return counts


def workspace_queue(*, user: User, key: str, today: date | None = None) -> QuerySet[Notice]:
    """One notice queue of the workspace (see :func:`workspace_queues`), oldest first, each
    row with ``overdue`` and ``can_escalate`` (the rule in SQL)."""
    today = today or timezone.localdate()
    return (
        notice_list(user=user, today=today)
        .filter(workspace_queues(user, today)[key])
        .annotate(can_escalate=rule_column(rules.escalatable_notices_q(user)))
        .order_by(*QUEUE_ORDER[key])
    )


def units_at_work(*, user: User, today: date | None = None) -> list[dict[str, Any]]:
    """Per unit the user supervises that has something going on: its red items, open
    notices and notices past their reply deadline, worst first (two grouped queries)."""
    today = today or timezone.localdate()
    items = (
        overdue_items(user=user, today=today)
        .order_by()
        .values("unit")
        .annotate(red=Count("pk"))
        .values_list("unit", "red")
    )
    notices = (
        Notice.objects.filter(supervised_notices_q(user))
        .exclude(status=NoticeStatus.CLOSED)
        .order_by()
        .values("target_unit", "target_unit__name", "target_unit__path")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=overdue_q(today)))
    )
    rows: dict[int, dict[str, Any]] = {
        row["target_unit"]: {
            "unit": row["target_unit"],
            "name": row["target_unit__name"],
            "path": row["target_unit__path"],
            "red": 0,
            "open": row["open"],
            "overdue": row["overdue"],
        }
        for row in notices
    }
    red = dict(items)
    missing = set(red) - set(rows)
    for unit in Unit.objects.filter(pk__in=missing).values("pk", "name", "path"):
        rows[unit["pk"]] = {
            "unit": unit["pk"],
            "name": unit["name"],
            "path": unit["path"],
            "red": 0,
            "open": 0,
            "overdue": 0,
        }
    for unit_id, count in red.items():
        rows[unit_id]["red"] = count
    return sorted(rows.values(), key=lambda r: (-r["overdue"], -r["red"], -r["open"], r["path"]))


# --- the unit's inbox ---------------------------------------------------------------------


def target_side_q(user: User) -> Q:
    """Notices (a filter on Notice) to a unit the user may act for: their own units and those
    under them (:func:`rules.applicable_units_q`, the target side of every rule)."""
    units = rules.applicable_units_q(user)
    if not units:
        return Q()
    return Q(target_unit__in=Unit.objects.filter(units).values("pk"))


#: Closed notices the inbox lists at most (the registry has the rest).
INBOX_HISTORY = 20


@dataclass
class Inbox:
    """The unit's notices by what is asked of it."""

    to_sign: list[Notice]
    to_reply: list[Notice]
    waiting: list[Notice]  # replied, awaiting the issuer's decision
    closed: list[Notice]
    closed_count: int

    @property
    def sections(self) -> list[InboxSection]:
        """The open notices' sections, in the order the unit deals with them."""
        return [
            InboxSection(
                "to-sign",
                _("To sign for"),
                "bi-pen",
                self.to_sign,
                _("No notice waits to be signed for."),
            ),
            InboxSection(
                "to-reply",
                _("To reply to"),
                "bi-reply",
                self.to_reply,
                _("No notice waits for your reply."),
            ),
            InboxSection(
                "waiting",
                _("Replied, awaiting review"),
                "bi-hourglass-split",
                self.waiting,
                _("No reply awaits the issuer's review."),
            ),
        ]


@dataclass
class InboxSection:
    """One section of the inbox: its anchor, heading, icon, notices and what it says empty."""

    key: str
    title: str
    icon: str
    notices: list[Notice]
    empty: str


def inbox(*, user: User, today: date | None = None) -> Inbox:
    """The notices issued to the user's units: to sign for, to reply to (returned ones with
    their reason), awaiting the issuer's decision, and the latest closed ones. Three
    queries: the open notices, the closed ones (a page) and their count."""
    today = today or timezone.localdate()
    mine = notice_list(user=user, today=today).filter(target_side_q(user))
    signable = rule_column(rules.signable_notices_q(user))
    repliable = rule_column(rules.repliable_notices_q(user))
    open_rows = list(
        mine.filter(status__in=SENT_STATUSES)
        .exclude(status=NoticeStatus.CLOSED)
        .annotate(can_sign_for=signable, can_reply=repliable)
        .order_by("reply_deadline", "pk")
    )
    closed = mine.filter(status=NoticeStatus.CLOSED)
    return Inbox(
        to_sign=[n for n in open_rows if n.can_sign_for],
        to_reply=[n for n in open_rows if n.can_reply],
        waiting=[n for n in open_rows if n.status == NoticeStatus.REPLIED],
        closed=list(closed.order_by("-closed_at", "-pk")[:INBOX_HISTORY]),
        closed_count=closed.order_by().count(),
    )


# --- statistics -------------------------------------------------------------------------------

KIND_COUNTS = {kind: Count("pk", filter=Q(kind=kind)) for kind in NoticeKind.values}


def issued_notices(
    *, user: User, year: int | None = None, campaign: Campaign | None = None
) -> QuerySet[Notice]:
    """Notices issued (whatever became of them since) that the user may see
    (:func:`rules.viewable_notices_q`), in ``year`` (by their issue date) and ``campaign``."""
    notices = Notice.objects.filter(rules.viewable_notices_q(user)).filter(
        status__in=SENT_STATUSES, issued_on__isnull=False
    )
    if year is not None:
        notices = notices.filter(issued_on__year=year)
    if campaign is not None:
        notices = notices.filter(campaign=campaign)
    return notices.order_by()


@extend_schema_field(OpenApiTypes.INT)
class YearFilter(django_filters.NumberFilter):
    """A calendar year: a whole number in a range the database's dates can hold."""

    field_class = forms.IntegerField


def _campaigns(request: Any) -> QuerySet[Campaign]:
    if request is None:
        return Campaign.objects.none()
    return campaign_list(user=request.user)


class NoticeStatsFilterSet(django_filters.FilterSet):
    """The statistics' filters, for the page and the API: the year notices were issued in and
    a campaign the caller takes part in."""

    year = YearFilter(
        field_name="issued_on",
        lookup_expr="year",
        min_value=2000,
        max_value=2100,
        label=gettext_lazy("year the notices were issued"),
    )
    campaign = django_filters.ModelChoiceFilter(
        queryset=_campaigns, label=gettext_lazy("campaign (one the caller takes part in)")
    )

    class Meta:
        model = Notice
        fields = ["year", "campaign"]


def issued_years(*, user: User) -> list[int]:
    """The years in which notices the user may see were issued, latest first (one query)."""
    return list(
        issued_notices(user=user)
        .annotate(year=ExtractYear("issued_on"))
        .values_list("year", flat=True)
        .distinct()
        .order_by("-year")
    )


def notice_stats(
    *,
    user: User,
    year: int | None = None,
    campaign: Campaign | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """:func:`notice_figures` of the notices issued in ``year`` and ``campaign`` that the
    user may see (:func:`issued_notices`)."""
    notices = issued_notices(user=user, year=year, campaign=campaign)
    return notice_figures(notices, year=year, campaign=campaign, today=today)


def notice_figures(
    notices: QuerySet[Notice],
    *,
    year: int | None = None,
    campaign: Campaign | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """Issued notices by kind, by target unit and by month, and how many are closed and past
    their reply deadline now: three grouped queries over ``notices`` (already scoped and
    filtered; ``year`` and ``campaign`` only say what they were filtered by).

    ``by_kind``: every kind, mildest first, with ``kind``, ``label`` and ``count``.
    ``by_unit``: per target unit (``unit``, ``name``), a count per kind and ``total``, most
    first. ``by_month``: per month (``month`` as ``YYYY-MM``), a count per kind and
    ``total``; every month of ``year`` when one is given, else the months that have any.
    """
    today = today or timezone.localdate()
    notices = notices.order_by()
    totals = notices.aggregate(
        total=Count("pk"),
        closed=Count("pk", filter=Q(status=NoticeStatus.CLOSED)),
        overdue=Count("pk", filter=overdue_q(today)),
        **KIND_COUNTS,
    )
    by_unit = [
        {
            "unit": row["target_unit"],
            "name": row["target_unit__short_name"] or row["target_unit__name"],
            **{kind: row[kind] for kind in NoticeKind.values},
            "total": row["total"],
        }
        for row in cast(
            "QuerySet[Any, dict[str, Any]]",
            notices.values(
                "target_unit", "target_unit__name", "target_unit__short_name", "target_unit__path"
            )
            .annotate(total=Count("pk"), **KIND_COUNTS)
            .order_by("-total", "target_unit__path"),
        )
    ]
    month_rows = cast(
        "QuerySet[Any, dict[str, Any]]",
        notices.annotate(y=ExtractYear("issued_on"), m=ExtractMonth("issued_on"))
        .values("y", "m")
        .annotate(total=Count("pk"), **KIND_COUNTS)
        .order_by("y", "m"),
    )
    months: dict[tuple[int, int], dict[str, Any]] = {(r["y"], r["m"]): r for r in month_rows}
    keys = [(year, month) for month in range(1, 13)] if year is not None else sorted(months)
    empty = {"total": 0, **dict.fromkeys(NoticeKind.values, 0)}
    by_month = [
        {
            "month": dt.date(y, m, 1).strftime("%Y-%m"),
            **{kind: months.get((y, m), empty)[kind] for kind in NoticeKind.values},
            "total": months.get((y, m), empty)["total"],
        }
        for y, m in keys
    ]
    return {
        "year": year,
        "campaign": campaign.pk if campaign is not None else None,
        "total": totals["total"],
        "closed": totals["closed"],
        "overdue": totals["overdue"],
        "by_kind": [
            {"kind": kind, "label": str(label), "count": totals[kind]}
            for kind, label in NoticeKind.choices
        ],
        "by_unit": by_unit,
        "by_month": by_month,
    }
