"""The one FilterSet for ledger items, used by the page, the API and the Excel export.

It narrows a queryset that :func:`tasks_ledger.selectors.ledger_items` has already scoped
to the caller and annotated with the light; the ``unit`` filter takes everything under the
chosen unit (path prefix inside the same query). Choices are scoped to the caller.

Below it, the small FilterSets of the other ledger lists (ledgers, areas, meetings, and the
reports and requests about one item).
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from datetime import timedelta
from functools import reduce
from typing import Any

import django_filters
from django.db.models import F, Q, QuerySet, Subquery, Value
from django.db.models.functions import StrIndex
from django.db.models.lookups import GreaterThan
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.jurisdiction import jurisdiction_for, kept_beside_jurisdictions, kept_unit_names
from accounts.models import Unit
from campaign.models import Campaign
from campaign.selectors import campaign_list
from config.expressions import AmongIds, AnyOf

from . import rules
from .models import (
    LIGHT_RANK,
    Area,
    Bigrams,
    ExtensionRequest,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerKind,
    Light,
    MeetingKind,
    ProgressReport,
    ReviewMeeting,
    SignOffRequest,
    StatusChangeRequest,
    UnitNameGrams,
)
from .widgets import FastSelect


def campaign_ids(user: Any) -> list[int]:
    """The ids of the campaigns ``user`` takes part in (those of
    :func:`campaign.selectors.campaign_list`), kept beside the jurisdiction: every list's
    area and ledger choices are limited to them, and building that rule's query for each
    request cost more than the rest of the filter form."""
    j = jurisdiction_for(user)

    def read() -> list[int]:
        visible = campaign_list(user=user).order_by("pk").values_list("pk", flat=True)
        return list(visible.distinct())

    return kept_beside_jurisdictions("campaign-ids", j, read)


def _in_campaigns(request: Any) -> AnyOf:
    """Rows of the campaigns the request's user takes part in: their ids read (from the
    cache, :func:`campaign_ids`) only when a choice is checked, once a request."""

    def ids() -> list[int]:
        found: list[int] | None = getattr(request, "_campaign_ids", None)
        if found is None:
            found = request._campaign_ids = campaign_ids(request.user)
        return found

    return AnyOf(F("campaign_id"), ids)


def _areas(request: Any) -> QuerySet[Area]:
    if request is None:
        return Area.objects.none()
    return Area.objects.filter(_in_campaigns(request))


def _ledgers(request: Any) -> QuerySet[Ledger]:
    if request is None:
        return Ledger.objects.none()
    return Ledger.objects.filter(_in_campaigns(request))


def _campaigns(request: Any) -> QuerySet[Campaign]:
    if request is None:
        return Campaign.objects.none()
    return campaign_list(user=request.user)


def _items(request: Any) -> QuerySet[LedgerItem]:
    if request is None:
        return LedgerItem.objects.none()
    return LedgerItem.objects.filter(rules.viewable_items_q(request.user))


def _units(request: Any) -> QuerySet[Unit]:
    if request is None:
        return Unit.objects.none()
    return jurisdiction_for(request.user).units()


#: The item list's tabs besides "all" (:data:`selectors.THREE_LISTS`), with their labels.
THREE_LISTS = [
    ("new", _("new")),
    ("in_progress", _("being advanced")),
    ("signed_off", _("signed off")),
    ("set_aside", _("suspended or cancelled")),
]


#: The texts a keyword is looked for in (their two-character grams: ``search_grams``).
SEARCHED_TEXT = ("title", "measures", "symptom")
#: Units whose names the keyword matches, at most (a keyword matching more names is no name).
KEYWORD_UNITS = 200


def is_uncased(value: str) -> bool:
    """Whether ``value`` holds no character that has a case (Chinese, digits, punctuation):
    for it a case-blind match (``icontains``: ``UPPER(text) LIKE UPPER(value)``) and a plain
    one (``contains``) find the same texts, since upper-casing a text changes only its
    cased characters, none of which such a value can match."""
    return all(char.lower() == char == char.upper() for char in value)


def grams_are_exact(value: str) -> bool:
    """Whether "the item's grams hold the keyword's grams" is exactly "its title, measures or
    problem contain the keyword, case aside", so no ``icontains`` need check it.

    True for two characters without a space (the grams never hold one, and a gram spanning
    two fields holds the space joining them), each either uncased or ASCII: the grams are
    ``lower()``-ed by PostgreSQL and ``icontains`` compares ``UPPER()``, which agree on those
    (not on, say, the Kelvin sign or a dotless i). Longer keywords need the check: holding
    the grams "ab" and "bc" does not make a text contain "abc"."""
    return (
        len(value) == 2
        and " " not in value
        and all(char.isascii() or char.lower() == char.upper() for char in value)
    )


def keyword_filter(
    items: QuerySet[LedgerItem], value: str, *, among: Sequence[int] | None = None
) -> QuerySet[LedgerItem]:
    """Items whose number is ``value``, whose title, measures or problem contain it, or whose
    unit's name or short name contains it (case aside).

    Served by indexes at any size, so PostgreSQL can OR them in one bitmap: the number by
    ``item_code_upper_idx``; the text by the GIN index of its two-character grams (every
    gram of the keyword must be there; the ``icontains`` then checks the order), which
    pg_trgm's three-character grams could not do for a two-character Chinese word; the units
    by their ids, read first (one query on the small unit table). A one-character keyword
    has no gram and is checked row by row along the list's order, stopping at a page.

    A keyword of two characters (most Chinese words) is its own single gram, and the grams
    test alone is exact (:func:`grams_are_exact`): it is not checked again with ``icontains``.
    That check, besides costing a comparison per row, made PostgreSQL misjudge how many items
    match: it multiplies the grams' frequency (known from the GIN column's statistics) by a
    guess for each ``LIKE``, so a word in half the items looked rare, and the list and its
    tab counts read a bitmap of every match (hundreds of thousands of rows at a province)
    instead of walking an index in the list's order until a page is full.

    ``among``: the ids of the few units (:func:`tasks_ledger.keyset.few_units`) the items
    are already limited to, a county's or less. PostgreSQL reads those units' items by the
    unit's index whatever the test, so the text is tested as it is (the definition of a
    match costs half the grams' test per row: a county's 6,757 items in 5 instead of 11 ms),
    and only those units' names are searched. A keyword without case is looked for with
    ``strpos()`` (``LIKE`` took a third longer) and in the units' names kept in the cache
    (:func:`accounts.jurisdiction.kept_unit_names`), without a query.
    """
    # A keyword without letters that have a case (Chinese, digits) is matched as it is: the
    # same rows as the case-blind match, without UPPER() of every name (5,000 units: 8 ms
    # against under 1 ms).
    contains = "contains" if is_uncased(value) else "icontains"
    plain = among is not None and contains == "contains"
    if plain:
        # A county's few units and a keyword without case: their names from the cache,
        # tested here (a plain match is a substring test), not a query on every search.
        units = [
            pk
            for pk, name, short_name in kept_unit_names(list(among or ()))
            if value in name or value in short_name
        ][:KEYWORD_UNITS]
    else:
        names = Unit.objects.all()
        if among is not None:
            names = names.filter(AnyOf(F("pk"), list(among)))
        elif len(value) >= 2:
            # Every unit's names: first by their grams' index (``unit_name_grams_idx``), the
            # whole test for two plain characters, as for the items' text.
            names = names.alias(grams=UnitNameGrams()).filter(grams__contains=Bigrams(Value(value)))
        if among is not None or not grams_are_exact(value):
            names = names.filter(
                Q(**{f"name__{contains}": value}) | Q(**{f"short_name__{contains}": value})
            )
        units = list(names.order_by().values_list("pk", flat=True)[:KEYWORD_UNITS])
    grams = Q(search_grams__contains=Bigrams(Value(value)))
    if plain:
        # Row by row: ``strpos()`` takes the keyword as it is, so it finds the texts that
        # ``contains`` (``LIKE`` with the keyword's % and _ escaped) finds, in less time.
        text = reduce(
            operator.or_,
            (Q(GreaterThan(StrIndex(name, Value(value)), 0)) for name in SEARCHED_TEXT),
        )
    else:
        text = reduce(operator.or_, (Q(**{f"{name}__{contains}": value}) for name in SEARCHED_TEXT))
    if among is None:  # else the text as it is, row by row
        if grams_are_exact(value):
            text = grams
        elif len(value) >= 2:
            text &= grams
    # The number case-blind through its index (``UPPER(code)``), unless the few units' items
    # are read row by row anyway and the keyword has no case: then without UPPER() per row.
    number = Q(code=value) if plain else Q(code__iexact=value)
    found = number | text
    if units:
        found |= Q(unit_id__in=units)
    return items.filter(found)


class LedgerItemFilterSet(django_filters.FilterSet):
    """Items by area, ledger, kind, status, light, unit (and below), deadline and keyword.

    ``few_units``: set by a caller that has limited the queryset to a county's units or
    less (:func:`tasks_ledger.keyset.few_units`), for the keyword (:func:`keyword_filter`).
    """

    #: The ids of the few units the queryset is limited to, if the caller says so.
    few_units: list[int] | None = None

    q = django_filters.CharFilter(method="filter_keyword", label=_("keyword"))
    area = django_filters.ModelChoiceFilter(
        field_name="ledger__area", queryset=_areas, label=_("area")
    )
    ledger = django_filters.ModelChoiceFilter(queryset=_ledgers, label=_("ledger"))
    kind = django_filters.ChoiceFilter(choices=LedgerKind.choices, label=_("kind"))
    # A column of the item itself: no DISTINCT (django-filter's default for a multiple
    # choice), which would sort every match before the list could take a page.
    status = django_filters.MultipleChoiceFilter(
        choices=ItemStatus.choices, distinct=False, label=_("status")
    )
    light = django_filters.MultipleChoiceFilter(
        choices=Light.choices, method="filter_light", label=_("light")
    )
    unit = django_filters.ModelChoiceFilter(
        queryset=_units, method="filter_unit", label=_("unit (and below)")
    )
    # The battle map's cells count one unit's own items: clicking through must show exactly
    # those, not the units under it as ``unit`` does.
    unit_only = django_filters.ModelChoiceFilter(
        field_name="unit", queryset=_units, label=_("this unit only")
    )
    deadline_after = django_filters.DateFilter(
        field_name="deadline", lookup_expr="gte", label=_("deadline from")
    )
    deadline_before = django_filters.DateFilter(
        field_name="deadline", lookup_expr="lte", label=_("deadline to")
    )
    three = django_filters.ChoiceFilter(choices=THREE_LISTS, method="filter_three", label=_("list"))
    ordering = django_filters.OrderingFilter(
        fields=(
            ("code", "code"),
            ("deadline", "deadline"),
            ("progress", "progress"),
            ("light_rank", "light"),
            ("unit__path", "unit"),
            ("updated_at", "updated"),
        ),
        label=_("sort by"),
    )

    class Meta:
        model = LedgerItem
        fields: list[str] = []

    def filter_keyword(
        self, queryset: QuerySet[LedgerItem], name: str, value: str
    ) -> QuerySet[LedgerItem]:
        """Match the number, the item, measures, the problem and the unit's names."""
        value = value.strip()
        if not value:
            return queryset
        return keyword_filter(queryset, value, among=self.few_units)

    def filter_light(
        self, queryset: QuerySet[LedgerItem], name: str, value: list[str]
    ) -> QuerySet[LedgerItem]:
        """Items showing any of the lights chosen: the light stored on the item (an index
        serves it), as :func:`tasks_ledger.selectors.with_light` computed it."""
        if not value:
            return queryset
        return queryset.filter(light_rank__in=sorted({LIGHT_RANK[Light(v)] for v in value}))

    def filter_unit(
        self, queryset: QuerySet[LedgerItem], name: str, value: Unit | None
    ) -> QuerySet[LedgerItem]:
        """The chosen unit and every unit under it."""
        if value is None:
            return queryset
        # "Among these units" (read once), not a path filter on a join: the planner may loop
        # over the units for every matching item (see config.expressions.AmongIds).
        under = Unit.objects.filter(path__startswith=value.path).values("pk")
        return queryset.filter(AmongIds(F("unit_id"), Subquery(under)))

    def filter_three(
        self, queryset: QuerySet[LedgerItem], name: str, value: str
    ) -> QuerySet[LedgerItem]:
        """One of the weekly three lists (new, being advanced, signed off), or the items set
        aside (suspended or cancelled): the tab stored on the item, as
        :func:`tasks_ledger.selectors.three_list_filter` put it."""
        return queryset.filter(three_list=value) if value else queryset


class LedgerFilterSet(django_filters.FilterSet):
    """Ledgers by campaign, area and kind."""

    campaign = django_filters.ModelChoiceFilter(queryset=_campaigns, label=_("campaign"))
    area = django_filters.ModelChoiceFilter(queryset=_areas, label=_("area"))
    kind = django_filters.ChoiceFilter(choices=LedgerKind.choices, label=_("kind"))

    class Meta:
        model = Ledger
        fields: list[str] = []


class AreaFilterSet(django_filters.FilterSet):
    """Areas by campaign."""

    campaign = django_filters.ModelChoiceFilter(queryset=_campaigns, label=_("campaign"))

    class Meta:
        model = Area
        fields: list[str] = []


class MeetingFilterSet(django_filters.FilterSet):
    """Review meetings by campaign, kind and date."""

    campaign = django_filters.ModelChoiceFilter(queryset=_campaigns, label=_("campaign"))
    kind = django_filters.ChoiceFilter(choices=MeetingKind.choices, label=_("kind"))
    date_after = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("date from")
    )
    date_before = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label=_("date to")
    )

    class Meta:
        model = ReviewMeeting
        fields: list[str] = []


class _ItemRecordFilterSet(django_filters.FilterSet):
    """Records about items (reports, sign-off and extension requests) of one visible item."""

    item = django_filters.ModelChoiceFilter(queryset=_items, label=_("item"))


class ProgressReportFilterSet(_ItemRecordFilterSet):
    """Progress reports by item."""

    class Meta:
        model = ProgressReport
        fields: list[str] = []


class SignOffRequestFilterSet(_ItemRecordFilterSet):
    """Sign-off requests by item."""

    class Meta:
        model = SignOffRequest
        fields: list[str] = []


class ExtensionRequestFilterSet(_ItemRecordFilterSet):
    """Extension requests by item."""

    class Meta:
        model = ExtensionRequest
        fields: list[str] = []


class StatusChangeRequestFilterSet(_ItemRecordFilterSet):
    """Suspension, cancellation and resumption requests by item."""

    class Meta:
        model = StatusChangeRequest
        fields: list[str] = []


#: "Waiting more than N days" choices of the queues.
WAITING_DAYS = [
    ("1", _("more than 1 day")),
    ("3", _("more than 3 days")),
    ("7", _("more than 7 days")),
    ("14", _("more than 14 days")),
    ("30", _("more than 30 days")),
]


class QueueFilterSet(django_filters.FilterSet):
    """The office's four queues (sign-off, extension, status change, progress report) by the
    item's unit (and below), ledger and kind, and by how long a row has waited.

    Every filter reaches through ``item__`` and the selectors name the waiting time
    ``waiting_since`` in each queue, so one validated filterset narrows all four
    (:meth:`filter_queryset` on each), and the tab counts match the rows shown.
    """

    # FastSelect: an office's unit choice holds hundreds of options (see widgets.py).
    unit = django_filters.ModelChoiceFilter(
        queryset=_units, method="filter_unit", label=_("unit (and below)"), widget=FastSelect
    )
    ledger = django_filters.ModelChoiceFilter(
        field_name="item__ledger", queryset=_ledgers, label=_("ledger"), widget=FastSelect
    )
    kind = django_filters.ChoiceFilter(
        field_name="item__kind", choices=LedgerKind.choices, label=_("kind"), widget=FastSelect
    )
    waiting = django_filters.ChoiceFilter(
        choices=WAITING_DAYS, method="filter_waiting", label=_("waiting"), widget=FastSelect
    )

    class Meta:
        # Any of the four models: the filters name only what they share.
        model = SignOffRequest
        fields: list[str] = []

    def filter_unit(self, queryset: QuerySet[Any], name: str, value: Unit | None) -> QuerySet[Any]:
        """Rows of items of the chosen unit and every unit under it (one of the caller's
        units: the choice is limited to the jurisdiction)."""
        if value is None:
            return queryset
        return queryset.filter(item__unit__path__startswith=value.path)

    def filter_waiting(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """Rows asked (or reported) more than ``value`` days ago."""
        if not value:
            return queryset
        since = timezone.now() - timedelta(days=int(value))
        return queryset.filter(waiting_since__lt=since)
