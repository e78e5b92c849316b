"""The one FilterSet of the notice registry (督办登记), read by the page, the API and the
Excel export alike. It narrows a queryset that :func:`accountability.selectors.notice_list`
has already scoped to the caller; its choices (units, supervision groups) are scoped too.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import django_filters
from django.db.models import F, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.jurisdiction import jurisdiction_for, kept_beside_jurisdictions
from accounts.models import Unit
from campaign.models import SupervisionGroup
from campaign.selectors import campaign_list
from tasks_ledger.widgets import FastSelect

from .models import Notice, NoticeKind, NoticeStatus, overdue_q

KEYWORD_MAX = 50
#: The most units the registry's unit filter lists (a province holds about 5,000).
UNIT_CHOICES_MAX = 300
#: Deeper than any unit of the tree: when every unit fits, every level does.
DEEPER_THAN_ANY = 32767


class Later:
    """A queryset built when first used. The registry's unit and group fields list their
    options from the cache (:func:`unit_choices`, :func:`group_choices`); their querysets
    only check a value given. Built on every page, filter and all, they were a fifth of the
    filters' cost (the form copies its fields, and each copy asks ``all()`` again)."""

    def __init__(self, model: type[Any], build: Any) -> None:
        self.model = model
        self._build = build
        self._built: QuerySet[Any] | None = None

    def all(self) -> Later:
        """A copy, still to build (as ``QuerySet.all``: none shares the other's rows)."""
        return Later(self.model, self._build)

    def built(self) -> QuerySet[Any]:
        """The queryset itself."""
        if self._built is None:
            self._built = self._build()
        return self._built

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.built(), name)

    def __iter__(self) -> Any:
        return iter(self.built())

    def __len__(self) -> int:
        return len(self.built())


def _units(request: Any) -> Any:
    if request is None:
        return Unit.objects.none()
    user = request.user
    return Later(Unit, lambda: jurisdiction_for(user).units().order_by("path"))


class UnitChoice(NamedTuple):
    """A unit as the registry's unit filter lists it."""

    pk: int
    path: str
    depth: int
    name: str


def unit_choices(user: Any, selected: Unit | None = None) -> tuple[list[UnitChoice], bool]:
    """The units the registry's unit filter lists, in tree order: every unit of the caller's
    jurisdiction down to the deepest level at which they number no more than
    :data:`UNIT_CHOICES_MAX` (a province's office gets its cities and counties, a county its
    townships), and the chosen unit when it lies deeper; and whether that is every unit of
    the jurisdiction. The filter still takes any unit of the jurisdiction: a link may name a
    township.

    Kept in the cache for everyone who sees the same units, until a unit or a post changes
    (:func:`accounts.jurisdiction.kept_beside_jurisdictions`): read anew, a province office's
    few hundred units were a query and as many model instances on every registry page."""
    listed, every = kept_beside_jurisdictions(
        "registry-units", jurisdiction_for(user), lambda: _read_unit_choices(user), UNIT_CHOICES_MAX
    )
    units = [UnitChoice._make(unit) for unit in listed]
    if selected is not None and all(unit.pk != selected.pk for unit in units):
        chosen = UnitChoice(selected.pk, selected.path, selected.depth, selected.name)
        units = sorted([*units, chosen], key=lambda unit: unit.path)
    return units, every


def _read_unit_choices(user: Any) -> tuple[list[tuple[int, str, int, str]], bool]:
    """:func:`unit_choices` read from the database (one query), as plain tuples.

    The levels that fit are those above the unit that would come one past the limit in
    depth order (read by a top-N sort, once): no count or sort by path of every unit, which
    took 20-30 ms for a province's 5,000 units."""
    in_sight = jurisdiction_for(user).units().order_by()
    beyond = in_sight.order_by("depth").values("depth")[UNIT_CHOICES_MAX : UNIT_CHOICES_MAX + 1]
    rows = list(
        in_sight.annotate(beyond=Subquery(beyond))
        .filter(depth__lt=Coalesce(F("beyond"), Value(DEEPER_THAN_ANY)))
        .values_list("pk", "path", "depth", "name", "beyond")
        .order_by("path")
    )
    return [row[:4] for row in rows], all(row[4] is None for row in rows)


def group_choices(user: Any) -> list[tuple[int, str]]:
    """The registry's issuing-group filter's options: the groups of the caller's campaigns,
    kept in the cache beside the jurisdiction (groups change it)."""
    return kept_beside_jurisdictions(
        "registry-groups",
        jurisdiction_for(user),
        lambda: list(_groups_of(user).values_list("pk", "name")),
    )


def _groups_of(user: Any) -> QuerySet[SupervisionGroup]:
    """The groups of the caller's campaigns, in their set order."""
    return SupervisionGroup.objects.filter(
        campaign__in=campaign_list(user=user).values("pk")
    ).order_by("campaign", "sort_order", "name")


def _groups(request: Any) -> Any:
    if request is None:
        return SupervisionGroup.objects.none()
    user = request.user
    return Later(SupervisionGroup, lambda: _groups_of(user))


class NoticeFilterSet(django_filters.FilterSet):
    """Notices by kind, status, target unit (and below), issuing group, overdue or not,
    issue date, year and a keyword on the number or the matter."""

    q = django_filters.CharFilter(
        method="filter_keyword", label=_("keyword"), max_length=KEYWORD_MAX
    )
    kind = django_filters.ChoiceFilter(
        choices=NoticeKind.choices, label=_("kind"), widget=FastSelect
    )
    status = django_filters.ChoiceFilter(
        choices=NoticeStatus.choices, label=_("status"), widget=FastSelect
    )
    target_unit = django_filters.ModelChoiceFilter(
        queryset=_units,
        method="filter_unit",
        label=_("target unit (and below)"),
        widget=FastSelect,
    )
    group = django_filters.ModelChoiceFilter(
        queryset=_groups, label=_("issuing supervision group"), widget=FastSelect
    )
    overdue = django_filters.BooleanFilter(
        method="filter_overdue", label=pgettext_lazy("notice", "overdue")
    )
    issued_after = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="gte", label=_("issued from")
    )
    issued_before = django_filters.DateFilter(
        field_name="issued_on", lookup_expr="lte", label=_("issued to")
    )
    year = django_filters.NumberFilter(
        method="filter_year", label=_("year"), min_value=2000, max_value=2100
    )
    ordering = django_filters.OrderingFilter(
        fields=(
            ("reply_deadline", "reply_deadline"),
            ("issued_on", "issued_on"),
            ("drafted_at", "drafted_at"),
            ("kind", "kind"),
        ),
        label=_("sort by"),
    )

    class Meta:
        model = Notice
        fields: list[str] = []

    def filter_keyword(self, queryset: QuerySet[Notice], name: str, value: str) -> QuerySet[Notice]:
        """Match the number, the matter in words, or the ledger item's title or number."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(subject_title__icontains=value)
            | Q(item__title__icontains=value)
            | Q(item__code__iexact=value)
        )

    def filter_unit(
        self, queryset: QuerySet[Notice], name: str, value: Unit | None
    ) -> QuerySet[Notice]:
        """The chosen unit and every unit under it."""
        if value is None:
            return queryset
        path = Subquery(Unit.objects.filter(pk=value.pk).values("path")[:1])
        return queryset.filter(target_unit__path__startswith=path)

    def filter_overdue(
        self, queryset: QuerySet[Notice], name: str, value: bool | None
    ) -> QuerySet[Notice]:
        """Past the reply deadline and still awaiting the reply (as of today), or not."""
        if value is None:
            return queryset
        late = overdue_q(timezone.localdate())
        return queryset.filter(late) if value else queryset.exclude(late)

    def filter_year(self, queryset: QuerySet[Notice], name: str, value: Any) -> QuerySet[Notice]:
        """Notices numbered in that year; drafts (no number yet) by the year they were drafted."""
        if value is None:
            return queryset
        year = int(value)
        return queryset.filter(
            Q(number_year=year) | Q(number_year__isnull=True, drafted_at__year=year)
        )
