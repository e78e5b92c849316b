"""Leaders' positive and negative lists (正负面清单), drawn from what the platform already
records; no model of their own.

For a campaign and a year, each leader (a principal leader or leader in charge of a unit of
the campaign, :data:`assessments.rules.LEADER_POSTS`, the posts :mod:`assessments.results`
reads for linkage caps) gets:

- **positive** entries: the unit graded excellent or placed in the first tier in a published
  round; a highlight of the unit selected on a published honor roll; a red flag;
- **negative** entries: the unit graded fair or poor, or placed in the last tier, in a
  published round; the unit's standing deductions in published rounds, with their reason;
  a blue flag; accountability measures on the leader in person; warnings and
  accountability recommendations issued to the unit.

Each entry carries its date, its source (the round, the roll, the notice's number…) and a
link to where it is recorded. Who sees which lists is :func:`assessments.rules.
viewable_leader_lists_q` (the offices and officials every leader in their jurisdiction, a
leader their own). The selector runs a fixed number of queries however many leaders: one
for the leaders and one per source.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import IO, Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from accountability.models import SENT_STATUSES, AccountabilityMeasure, Notice, NoticeKind
from accounts.models import Membership, Unit, User
from campaign.models import Campaign
from tasks_ledger.exports import Column, write_register

from . import rules
from .honor import month_label
from .models import (
    FROZEN_STATUSES,
    Deduction,
    DeductionStatus,
    FlagColour,
    Grade,
    HonorFlag,
    HonorRollStatus,
    HonorSubmission,
    HonorSubmissionStatus,
    Result,
)


class Side:
    """Which list an entry is on."""

    POSITIVE = "positive"
    NEGATIVE = "negative"
    CHOICES = (
        (POSITIVE, gettext_lazy("positive list")),
        (NEGATIVE, gettext_lazy("negative list")),
    )


#: Notices serious enough for the negative list: warnings and up.
SERIOUS_NOTICES = (NoticeKind.WARNING, NoticeKind.ACCOUNTABILITY)
POSITIVE_GRADES = (Grade.EXCELLENT,)
NEGATIVE_GRADES = (Grade.FAIR, Grade.POOR)
#: The page that shows a round's published results to whoever sees them.
ROUND_PAGE = "assessments:round-ranking"


@dataclass(frozen=True)
class Entry:
    """One line of a leader's list."""

    side: str
    day: date | None
    kind: str  # what it is, in words: 等次优秀, 扣分, 警示单…
    source: str  # where it comes from: the round, the roll, the notice's number…
    text: str
    link: str = ""


@dataclass
class LeaderList:
    """A leader (one leader post in one unit) and their two lists, newest first."""

    membership: Membership
    positive: list[Entry] = field(default_factory=list)
    negative: list[Entry] = field(default_factory=list)

    @property
    def leader(self) -> User:
        return self.membership.user

    @property
    def unit(self) -> Unit:
        return self.membership.unit

    def entries(self, side: str = "") -> list[Entry]:
        """Both lists (or one side), positive first."""
        return [
            *(self.positive if side in ("", Side.POSITIVE) else []),
            *(self.negative if side in ("", Side.NEGATIVE) else []),
        ]


def _day(moment: Any) -> date | None:
    if moment is None:
        return None
    return timezone.localdate(moment) if hasattr(moment, "tzinfo") and moment.tzinfo else moment


def leader_memberships(
    *,
    user: User,
    campaign: Campaign,
    unit: Unit | None = None,
    leader: User | None = None,
    with_entries: tuple[int, str] | None = None,
) -> Any:
    """The leaders the user may see in the campaign's units (its owner unit excepted: it
    runs the campaign), in tree order: one query. ``with_entries=(year, side)`` keeps those
    with an entry that year on that side (``""``: either)."""
    rows = (
        Membership.objects.filter(
            rules.viewable_leader_lists_q(user),
            unit__path__startswith=campaign.owner_unit.path,
        )
        .exclude(unit=campaign.owner_unit)
        .select_related("user", "unit")
        .order_by("unit__path", "post", "user__name", "pk")
    )
    if unit is not None:
        rows = rows.filter(unit__path__startswith=unit.path)
    if leader is not None:
        rows = rows.filter(user=leader)
    if with_entries is not None:
        rows = rows.filter(with_entries_q(campaign, *with_entries))
    return rows


# --- the sources: each a queryset of one campaign and year, shared by the entries and by
# the "only leaders with entries" filter so both count the same rows ---------------------------
_POSITIVE_RESULT = Q(grade__in=POSITIVE_GRADES) | Q(tier=1)
_NEGATIVE_RESULT = Q(grade__in=NEGATIVE_GRADES) | Q(
    tier=F("round__scheme__tier_count"), round__scheme__tier_count__gt=1
)


def _results(campaign: Campaign, year: int) -> QuerySet[Result]:
    return Result.objects.filter(
        round__scheme__campaign=campaign,
        round__scheme__year=year,
        round__status__in=FROZEN_STATUSES,
    )


def _on_rolls(model: type[Any], campaign: Campaign, year: int) -> QuerySet[Any]:
    return model._default_manager.filter(
        roll__campaign=campaign, roll__month__year=year, roll__status=HonorRollStatus.PUBLISHED
    )


def _deductions(campaign: Campaign, year: int) -> QuerySet[Deduction]:
    return Deduction.objects.filter(
        status=DeductionStatus.STANDING,
        round__scheme__campaign=campaign,
        round__scheme__year=year,
        round__status__in=FROZEN_STATUSES,
    )


def _notices(campaign: Campaign, year: int) -> QuerySet[Notice]:
    return Notice.objects.filter(
        campaign=campaign,
        kind__in=SERIOUS_NOTICES,
        status__in=SENT_STATUSES,
        issued_on__year=year,
    )


def _measures(campaign: Campaign, year: int) -> QuerySet[AccountabilityMeasure]:
    return AccountabilityMeasure.objects.filter(campaign=campaign, decided_on__year=year)


def with_entries_q(campaign: Campaign, year: int, side: str = "") -> Q:
    """A filter on leader memberships: those with at least one entry on ``side`` (either)."""
    unit = OuterRef("unit_id")
    positive = [
        Exists(_results(campaign, year).filter(_POSITIVE_RESULT, unit_id=unit)),
        Exists(
            _on_rolls(HonorSubmission, campaign, year).filter(
                status=HonorSubmissionStatus.SELECTED, unit_id=unit
            )
        ),
        Exists(_on_rolls(HonorFlag, campaign, year).filter(colour=FlagColour.RED, unit_id=unit)),
    ]
    negative = [
        Exists(_results(campaign, year).filter(_NEGATIVE_RESULT, unit_id=unit)),
        Exists(_deductions(campaign, year).filter(unit_id=unit)),
        Exists(_on_rolls(HonorFlag, campaign, year).filter(colour=FlagColour.BLUE, unit_id=unit)),
        Exists(_notices(campaign, year).filter(target_unit_id=unit)),
        Exists(_measures(campaign, year).filter(person_id=OuterRef("user_id"))),
    ]
    chosen = {Side.POSITIVE: positive, Side.NEGATIVE: negative}.get(side, positive + negative)
    query = Q(chosen[0])
    for condition in chosen[1:]:
        query |= Q(condition)
    return query


def _result_entries(campaign: Campaign, year: int, unit_ids: set[int]) -> dict[int, list[Entry]]:
    rows = (
        _results(campaign, year)
        .filter(_POSITIVE_RESULT | _NEGATIVE_RESULT, unit_id__in=unit_ids)
        .select_related("round__scheme")
        .order_by("round__period_start", "pk")
    )
    entries: dict[int, list[Entry]] = defaultdict(list)
    for result in rows:
        round_ = result.round
        day = _day(round_.published_at) or round_.period_end
        link = reverse(ROUND_PAGE, args=[round_.pk])
        where = _("total %(total)s, rank %(rank)d in %(category)s, tier %(tier)d") % {
            "total": result.total,
            "rank": result.rank,
            "category": result.category_name,
            "tier": result.tier,
        }
        last_tier = round_.scheme.tier_count
        if result.grade in POSITIVE_GRADES or result.tier == 1:
            kind = (
                _("graded %(grade)s") % {"grade": result.get_grade_display()}
                if result.grade in POSITIVE_GRADES
                else _("first tier")
            )
            entries[result.unit_id].append(
                Entry(Side.POSITIVE, day, kind, round_.title, where, link)
            )
        if result.grade in NEGATIVE_GRADES or (result.tier == last_tier and last_tier > 1):
            kind = (
                _("graded %(grade)s") % {"grade": result.get_grade_display()}
                if result.grade in NEGATIVE_GRADES
                else _("last tier")
            )
            entries[result.unit_id].append(
                Entry(Side.NEGATIVE, day, kind, round_.title, where, link)
            )
    return entries


def _roll_source(month: date) -> str:
    return _("honor roll of %(month)s") % {"month": month_label(month)}


def _honor_entries(campaign: Campaign, year: int, unit_ids: set[int]) -> dict[int, list[Entry]]:
    entries: dict[int, list[Entry]] = defaultdict(list)
    for submission in (
        _on_rolls(HonorSubmission, campaign, year)
        .filter(status=HonorSubmissionStatus.SELECTED, unit_id__in=unit_ids)
        .select_related("roll")
        .order_by("roll__month", "place")
    ):
        roll = submission.roll
        entries[submission.unit_id].append(
            Entry(
                Side.POSITIVE,
                day=_day(roll.published_at),
                kind=_("on the honor roll, place %(place)d") % {"place": submission.place or 0},
                source=_roll_source(roll.month),
                text=submission.title,
                link=reverse("assessments:honor-roll-detail", args=[roll.pk]),
            )
        )
    for flag in (
        _on_rolls(HonorFlag, campaign, year)
        .filter(unit_id__in=unit_ids)
        .select_related("roll")
        .order_by("roll__month", "pk")
    ):
        roll = flag.roll
        entries[flag.unit_id].append(
            Entry(
                Side.POSITIVE if flag.colour == FlagColour.RED else Side.NEGATIVE,
                day=_day(roll.published_at),
                kind=flag.get_colour_display(),
                source=_roll_source(roll.month),
                text=flag.reason,
                link=reverse("assessments:honor-roll-detail", args=[roll.pk]),
            )
        )
    return entries


def _deduction_entries(campaign: Campaign, year: int, unit_ids: set[int]) -> dict[int, list[Entry]]:
    entries: dict[int, list[Entry]] = defaultdict(list)
    for deduction in (
        _deductions(campaign, year)
        .filter(unit_id__in=unit_ids)
        .select_related("round", "indicator")
        .order_by("recorded_at", "pk")
    ):
        entries[deduction.unit_id].append(
            Entry(
                Side.NEGATIVE,
                day=_day(deduction.recorded_at),
                kind=_("deduction of %(points)s points")
                % {"points": format(deduction.points.normalize(), "f")},
                source=f"{deduction.round.title} · {deduction.indicator.name}",
                text=deduction.reason,
                link=reverse("assessments:deduction-detail", args=[deduction.pk]),
            )
        )
    return entries


def _measure_entries(
    campaign: Campaign, year: int, person_ids: set[int]
) -> dict[int, list[tuple[str, Entry]]]:
    """Measures on each person, with the path of the unit they were decided in."""
    entries: dict[int, list[tuple[str, Entry]]] = defaultdict(list)
    for measure in (
        _measures(campaign, year)
        .filter(person_id__in=person_ids)
        .select_related("unit")
        .order_by("decided_on", "pk")
    ):
        assert measure.person_id is not None
        entries[measure.person_id].append(
            (
                measure.unit.path,
                Entry(
                    Side.NEGATIVE,
                    day=measure.decided_on,
                    kind=measure.get_kind_display(),
                    source=" ".join(
                        part
                        for part in (measure.deciding_authority, measure.document_number)
                        if part
                    ),
                    text=measure.basis,
                    link=reverse("accountability:measure-detail", args=[measure.pk]),
                ),
            )
        )
    return entries


def _notice_entries(campaign: Campaign, year: int, unit_ids: set[int]) -> dict[int, list[Entry]]:
    entries: dict[int, list[Entry]] = defaultdict(list)
    for notice in (
        _notices(campaign, year)
        .filter(target_unit_id__in=unit_ids)
        .select_related("item")
        .order_by("issued_on", "pk")
    ):
        entries[notice.target_unit_id].append(
            Entry(
                Side.NEGATIVE,
                day=notice.issued_on,
                kind=notice.get_kind_display(),
                source=notice.number,
                text=notice.subject,
                link=reverse("accountability:notice-detail", args=[notice.pk]),
            )
        )
    return entries


def _newest_first(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: e.day or date.min, reverse=True)


def leader_lists(
    *,
    user: User,
    campaign: Campaign,
    year: int,
    unit: Unit | None = None,
    leader: User | None = None,
    side: str = "",
    only_with_entries: bool = False,
) -> list[LeaderList]:
    """Every leader the user may see (only those with entries, when asked), with their
    positive and negative lists for ``year`` (``side`` keeps one of them); seven queries
    however many leaders: the leaders, then :func:`lists_for`'s six."""
    memberships = list(
        leader_memberships(
            user=user,
            campaign=campaign,
            unit=unit,
            leader=leader,
            with_entries=(year, side) if only_with_entries else None,
        )
    )
    return lists_for(memberships, campaign=campaign, year=year, side=side)


def lists_for(
    memberships: Sequence[Membership], *, campaign: Campaign, year: int, side: str = ""
) -> list[LeaderList]:
    """The lists of these leaders (already scoped, with user and unit loaded), for a page of
    them: six queries however many, the results, the highlights, the flags, the deductions,
    the notices and the measures (none when there is no leader)."""
    unit_ids = {m.unit_id for m in memberships}
    person_ids = {m.user_id for m in memberships}
    per_unit: dict[int, list[Entry]] = defaultdict(list)
    for source in (_result_entries, _honor_entries, _deduction_entries, _notice_entries):
        for unit_id, entries in source(campaign, year, unit_ids).items():
            per_unit[unit_id].extend(entries)
    measures = _measure_entries(campaign, year, person_ids)
    leader_paths: dict[int, list[str]] = defaultdict(list)
    for membership in memberships:
        leader_paths[membership.user_id].append(membership.unit.path)
    lists = []
    for membership in memberships:
        own = membership.unit.path
        # A measure counts on the leader post of the unit it was decided in (or one above it);
        # one decided elsewhere counts on every leader post of the person.
        entries = per_unit[membership.unit_id] + [
            entry
            for path, entry in measures.get(membership.user_id, [])
            if path.startswith(own)
            or not any(path.startswith(p) for p in leader_paths[membership.user_id])
        ]
        lists.append(
            LeaderList(
                membership,
                positive=_newest_first(
                    [e for e in entries if e.side == Side.POSITIVE and side != Side.NEGATIVE]
                ),
                negative=_newest_first(
                    [e for e in entries if e.side == Side.NEGATIVE and side != Side.POSITIVE]
                ),
            )
        )
    return lists


# --- to Excel -------------------------------------------------------------------------------------
LIST_COLUMNS = (
    Column("number", pgettext_lazy("excel column", "No."), 6, "code"),
    Column("leader", pgettext_lazy("excel column", "leader"), 12, "person"),
    Column("unit", pgettext_lazy("excel column", "unit"), 20),
    Column("post", pgettext_lazy("excel column", "post"), 12),
    Column("side", pgettext_lazy("excel column", "list"), 10),
    Column("day", pgettext_lazy("excel column", "date"), 12, "date"),
    Column("kind", pgettext_lazy("excel column", "entry"), 16),
    Column("source", pgettext_lazy("excel column", "source"), 26),
    Column("text", pgettext_lazy("excel column", "details"), 44),
)


def write_leader_lists_workbook(
    lists: Sequence[LeaderList], stream: IO[bytes], *, campaign: Campaign, year: int
) -> int:
    """One row per entry (positive first, then negative, per leader) in the official
    register layout; a leader with no entry has one row saying so. Nothing is queried here."""
    sides = dict(Side.CHOICES)
    rows: list[tuple[LeaderList, Entry | None]] = []
    for leader_list in lists:
        entries = leader_list.entries()
        rows += [(leader_list, entry) for entry in entries] or [(leader_list, None)]

    def values(row: tuple[LeaderList, Entry | None], serial: int) -> list[Any]:
        leader_list, entry = row
        person = leader_list.leader
        common = [
            serial,
            person.name or person.username,
            leader_list.unit.name,
            leader_list.membership.title or leader_list.membership.get_post_display(),
        ]
        if entry is None:
            return [*common, "", None, "", "", _("no entry")]
        return [*common, str(sides[entry.side]), entry.day, entry.kind, entry.source, entry.text]

    title = _("Leaders' positive and negative lists %(year)d") % {"year": year}
    return write_register(
        stream,
        sheet=title,
        title=title,
        subtitle=_("%(campaign)s · exported on %(date)s")
        % {"campaign": campaign, "date": timezone.localdate().isoformat()},
        columns=LIST_COLUMNS,
        rows=rows,
        values=values,
    )
