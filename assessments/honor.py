"""Honor rolls (创先争优月榜): units submit their month's highlights with evidence; the
assessment office selects the best (each with its place on the roll), may give red flags
(top places) and blue flags (bottom places), and publishes the month's roll, which freezes
it and tells the units selected and flagged.

Writes are services named ``honor_<entity>_<action>``: keyword-only, one transaction each,
asking :mod:`assessments.rules` (PermissionDenied with the reason in words) and checking
their input (ValidationError in words, on the field it concerns). Every write on a roll
locks the roll's row first and checks its status on the locked row, so a submission or a
decision racing the publication lands before it or is refused after it: **a published roll
is frozen**. Reads (``honor_*`` selectors below) are scoped by the same rules and carry
their joins, so the pages, the API and the export ask the same questions.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import IO, Any
from unittest import mock

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from accounts.models import Membership, Post, Role, RoleAssignment, Unit, User
from accounts.notifications import Message, notify_many
from campaign.models import Campaign
from tasks_ledger.exports import Column, write_register
from tasks_ledger.models import TEXT_MAX, TITLE_MAX
from tasks_ledger.services import checked_text

from . import rules
from .models import (
    EvidenceFile,
    FlagColour,
    HonorFlag,
    HonorRoll,
    HonorRollStatus,
    HonorSubmission,
    HonorSubmissionStatus,
)
from .services import evidence_store

#: The notification kind of a published roll.
KIND_HONOR = "honor_roll"
#: Who in a unit is told that it is on a published roll (besides whoever submitted).
TOLD_POSTS = (Post.PRINCIPAL_LEADER, Post.LEADER_IN_CHARGE, Post.LIAISON)
#: The highest place on a roll (a roll names at most this many).
MAX_PLACE = 99


def month_start(day: date) -> date:
    """The first day of ``day``'s month (how a roll names its month)."""
    return day.replace(day=1)


def campaign_months(campaign: Campaign, until: date | None = None) -> list[date]:
    """The first days of the campaign's months, up to ``until``'s month when given."""
    last = month_start(campaign.end_date)
    if until is not None:
        last = min(last, month_start(until))
    months, month = [], month_start(campaign.start_date)
    while month <= last:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


def month_label(month: date) -> str:
    """``2022年3月``."""
    return _("%(year)d-%(month)02d") % {"year": month.year, "month": month.month}


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _lock_roll(roll: HonorRoll) -> HonorRoll:
    """The roll's row, locked until the transaction ends, with what the rules read."""
    return (
        HonorRoll.objects.select_for_update(of=("self",))
        .select_related("campaign__owner_unit")
        .get(pk=roll.pk)
    )


def _refuse_published(roll: HonorRoll) -> None:
    if roll.status == HonorRollStatus.PUBLISHED:
        raise ValidationError(
            _("The honor roll of %(month)s is published; nothing of it changes any more.")
            % {"month": month_label(roll.month)}
        )


def _decider(roll: HonorRoll, actor: User) -> None:
    _require(
        rules.can_manage_honor(actor, roll.campaign),
        _("Only the assessment office over the campaign selects and publishes its honor rolls."),
    )
    _refuse_published(roll)


# --- submissions ----------------------------------------------------------------------------------
def _check_month(campaign: Campaign, month: date, today: date) -> date:
    month = month_start(month)
    if month not in campaign_months(campaign):
        raise ValidationError(
            {"month": _("Choose a month of the campaign (%(start)s to %(end)s).")
             % {"start": month_label(month_start(campaign.start_date)),
                "end": month_label(month_start(campaign.end_date))}}
        )  # fmt: skip
    if month > month_start(today):
        raise ValidationError({"month": _("Highlights are submitted for this month or earlier.")})
    return month


@transaction.atomic
def honor_submission_create(
    *,
    actor: User,
    campaign: Campaign,
    unit: Unit,
    month: date,
    title: str,
    text: str,
    files: Sequence[UploadedFile] = (),
    today: date | None = None,
) -> HonorSubmission:
    """The unit's side submits a highlight of ``month`` with its evidence files; the month's
    roll is created when it is the first. Refused once the roll is published. Files are
    checked (name, size, real type) before anything is saved."""
    today = today or timezone.localdate()
    _require(
        rules.can_submit_honor(actor, campaign, unit),
        _("Only %(unit)s (its liaison or leaders, or a unit above it) submits its highlights.")
        % {"unit": unit},
    )
    month = _check_month(campaign, month, today)
    title = checked_text(title, "title", TITLE_MAX, _("Give the highlight a title."))
    text = checked_text(text, "text", TEXT_MAX, _("Say what the unit achieved."))
    try:
        with transaction.atomic():
            roll, _created = HonorRoll.objects.get_or_create(campaign=campaign, month=month)
    except IntegrityError:  # created at the same moment by another submission
        roll = HonorRoll.objects.get(campaign=campaign, month=month)
    roll = _lock_roll(roll)
    _refuse_published(roll)
    submission = HonorSubmission.objects.create(
        roll=roll, unit=unit, title=title, text=text, submitted_by=actor
    )
    evidence_store(actor=actor, files=files, submission=submission)
    return submission


def _place(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        place = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError({"place": _("Give the place as a whole number.")}) from exc
    if not 1 <= place <= MAX_PLACE:
        raise ValidationError({"place": _("A place goes from 1 to %(max)d.") % {"max": MAX_PLACE}})
    return place


@transaction.atomic
def honor_submission_decide(
    *,
    submission: HonorSubmission,
    actor: User,
    selected: bool,
    place: Any = None,
    note: str = "",
) -> HonorSubmission:
    """The office selects a highlight for the roll, at ``place`` (the next free place when
    none is given), or does not select it, with a note; it may change its mind until the
    roll is published."""
    roll = _lock_roll(submission.roll)
    _decider(roll, actor)
    submission = HonorSubmission.objects.select_for_update(of=("self",)).get(pk=submission.pk)
    submission.roll = roll
    note = checked_text(note, "decision_note", TEXT_MAX)
    number = _place(place) if selected else None
    taken = HonorSubmission.objects.filter(roll=roll, place__isnull=False).exclude(pk=submission.pk)
    if selected and number is None:
        number = (taken.aggregate(top=Max("place"))["top"] or 0) + 1
    if number is not None:
        other = taken.filter(place=number).select_related("unit").first()
        if other is not None:
            raise ValidationError(
                {"place": _("Place %(place)d is %(unit)s's already; choose another.")
                 % {"place": number, "unit": other.unit}}
            )  # fmt: skip
    submission.status = (
        HonorSubmissionStatus.SELECTED if selected else HonorSubmissionStatus.NOT_SELECTED
    )
    submission.place = number
    submission.decided_by, submission.decided_at = actor, timezone.now()
    submission.decision_note = note
    submission.save(update_fields=["status", "place", "decided_by", "decided_at", "decision_note"])
    return submission


# --- flags ----------------------------------------------------------------------------------------
@transaction.atomic
def honor_flag_set(
    *, roll: HonorRoll, actor: User, unit: Unit, colour: str, reason: str
) -> HonorFlag:
    """Give ``unit`` a red flag (top places) or a blue flag (bottom places) on the roll, with
    the reason; a unit has one flag per roll, so this replaces its earlier one."""
    roll = _lock_roll(roll)
    _decider(roll, actor)
    if colour not in FlagColour.values:
        raise ValidationError({"colour": _("Choose a red or a blue flag.")})
    if not unit.path.startswith(roll.campaign.owner_unit.path):
        raise ValidationError(
            {"unit": _("%(unit)s does not take part in this campaign.") % {"unit": unit}}
        )
    reason = checked_text(reason, "reason", TEXT_MAX, _("Give the reason for the flag."))
    flag, _created = HonorFlag.objects.update_or_create(
        roll=roll, unit=unit, defaults={"colour": colour, "reason": reason}
    )
    return flag


@transaction.atomic
def honor_flag_remove(*, flag: HonorFlag, actor: User) -> None:
    """Take a flag off a roll that is not yet published."""
    roll = _lock_roll(flag.roll)
    _decider(roll, actor)
    HonorFlag.objects.filter(pk=flag.pk).delete()


# --- publication ----------------------------------------------------------------------------------
def _told(unit_ids: set[int], submitters: dict[int, set[int]]) -> dict[int, list[int]]:
    """The people told, per unit: its leaders and liaison, and whoever submitted for it."""
    people: dict[int, list[int]] = {unit_id: [] for unit_id in unit_ids}
    for unit_id, user_id in Membership.objects.filter(
        unit_id__in=unit_ids, post__in=TOLD_POSTS, user__is_active=True
    ).values_list("unit_id", "user_id"):
        people[unit_id].append(user_id)
    for unit_id, user_ids in submitters.items():
        people[unit_id].extend(sorted(user_ids))
    return people


def _announce(roll: HonorRoll) -> None:
    """Tell the units selected and flagged (one INSERT for all of them)."""
    selected = list(
        HonorSubmission.objects.filter(roll=roll, status=HonorSubmissionStatus.SELECTED)
        .select_related("unit")
        .order_by("place")
    )
    flags = list(HonorFlag.objects.filter(roll=roll).select_related("unit"))
    submitters: dict[int, set[int]] = {}
    for submission in selected:
        submitters.setdefault(submission.unit_id, set()).add(submission.submitted_by_id)
    people = _told({s.unit_id for s in selected} | {f.unit_id for f in flags}, submitters)
    link = reverse("assessments:honor-roll-detail", args=[roll.pk])
    month = month_label(roll.month)
    messages = [
        Message(
            recipients=people[s.unit_id],
            kind=KIND_HONOR,
            title=_("%(unit)s is on the honor roll of %(month)s (place %(place)d)")
            % {"unit": s.unit, "month": month, "place": s.place},
            body=s.title,
            link=link,
        )
        for s in selected
    ]
    messages += [
        Message(
            recipients=people[f.unit_id],
            kind=KIND_HONOR,
            title=_("%(unit)s has a %(flag)s on the honor roll of %(month)s")
            % {"unit": f.unit, "flag": f.get_colour_display(), "month": month},
            body=f.reason,
            link=link,
            urgent=f.colour == FlagColour.BLUE,
        )
        for f in flags
    ]
    notify_many(messages)


@transaction.atomic
def honor_roll_publish(
    *, roll: HonorRoll, actor: User, note: str = "", notify_units: bool = True
) -> HonorRoll:
    """Publish the month's roll: at least one highlight selected; highlights still awaiting a
    decision are not selected; the roll is frozen from then on; the units selected and
    flagged are told (not when ``notify_units`` is false: the demo replays old news)."""
    roll = _lock_roll(roll)
    _decider(roll, actor)
    note = checked_text(note, "note", TEXT_MAX)
    submissions = HonorSubmission.objects.filter(roll=roll)
    if not submissions.filter(status=HonorSubmissionStatus.SELECTED).exists():
        raise ValidationError(_("Select at least one highlight before publishing the roll."))
    now = timezone.now()
    submissions.filter(status=HonorSubmissionStatus.SUBMITTED).update(
        status=HonorSubmissionStatus.NOT_SELECTED, decided_by=actor, decided_at=now
    )
    roll.status = HonorRollStatus.PUBLISHED
    roll.published_at, roll.published_by = now, actor
    if note:
        roll.note = note
    roll.save(update_fields=["status", "published_at", "published_by", "note"])
    if notify_units:
        _announce(roll)
    return roll


# --- reads ----------------------------------------------------------------------------------------
def _evidence() -> Prefetch:
    return Prefetch("evidence", queryset=EvidenceFile.objects.order_by("uploaded_at", "pk"))


def honor_roll_list(*, user: User, campaign: Campaign | None = None) -> QuerySet[HonorRoll]:
    """The rolls the user may see (the office's drafts too), newest month first, with how
    many highlights were submitted and selected (one query)."""
    rolls = HonorRoll.objects.filter(rules.viewable_honor_rolls_q(user))
    if campaign is not None:
        rolls = rolls.filter(campaign=campaign)
    return (
        rolls.select_related("campaign__owner_unit", "published_by")
        .annotate(
            submitted_count=Count("submissions", distinct=True),
            selected_count=Count(
                "submissions",
                filter=Q(submissions__status=HonorSubmissionStatus.SELECTED),
                distinct=True,
            ),
        )
        .order_by("-month", "campaign_id")
    )


def honor_submission_list(
    *, user: User, roll: HonorRoll | None = None, campaign: Campaign | None = None
) -> QuerySet[HonorSubmission]:
    """The highlights the user may see, their unit, roll, people and evidence loaded (two
    queries: the rows and their evidence)."""
    rows = HonorSubmission.objects.filter(rules.viewable_honor_submissions_q(user))
    if roll is not None:
        rows = rows.filter(roll=roll)
    if campaign is not None:
        rows = rows.filter(roll__campaign=campaign)
    return rows.select_related(
        "unit", "roll__campaign__owner_unit", "submitted_by", "decided_by"
    ).prefetch_related(_evidence())


def honor_roll_board(
    *, user: User, roll: HonorRoll
) -> tuple[list[HonorSubmission], list[HonorFlag]]:
    """The roll's highlights the user sees (selected ones by place first, then the others
    in order of submission) and its flags (red first): three queries."""
    submissions = sorted(
        honor_submission_list(user=user, roll=roll),
        key=lambda s: (
            0 if s.status == HonorSubmissionStatus.SELECTED else 1,
            s.place or 0,
            s.submitted_at,
            s.pk,
        ),
    )
    flags = list(
        HonorFlag.objects.filter(rules.viewable_honor_rolls_q(user, "roll"), roll=roll)
        .select_related("unit")
        .order_by("-colour", "unit__path")  # "red" sorts after "blue": red first
    )
    return submissions, flags


# --- the roll to Excel ----------------------------------------------------------------------------
ROLL_COLUMNS = (
    Column("place", pgettext_lazy("excel column", "place"), 8, "code"),
    Column("unit", pgettext_lazy("excel column", "unit"), 22),
    Column("title", pgettext_lazy("excel column", "highlight"), 26),
    Column("text", pgettext_lazy("excel column", "what was achieved"), 50),
    Column("flag", pgettext_lazy("excel column", "flag"), 10),
    Column("reason", pgettext_lazy("excel column", "reason for the flag"), 30),
)


def roll_title(roll: HonorRoll) -> str:
    """``2022年“能力作风建设年”活动 2022-05 创先争优月榜``."""
    return _("%(campaign)s honor roll of %(month)s") % {
        "campaign": roll.campaign,
        "month": month_label(roll.month),
    }


def write_roll_workbook(
    roll: HonorRoll,
    submissions: Sequence[HonorSubmission],
    flags: Sequence[HonorFlag],
    stream: IO[bytes],
) -> int:
    """Write the roll (from :func:`honor_roll_board`: the selected highlights by place, each
    with its unit's flag, then the flagged units not on it) to ``stream`` in the official
    register layout; return the rows written. Nothing is queried here."""
    flag_of = {flag.unit_id: flag for flag in flags}
    selected = [s for s in submissions if s.status == HonorSubmissionStatus.SELECTED]
    on_roll = {s.unit_id for s in selected}
    rows: list[tuple[HonorSubmission | None, Unit, HonorFlag | None]] = [
        (s, s.unit, flag_of.get(s.unit_id)) for s in selected
    ]
    rows += [(None, f.unit, f) for f in flags if f.unit_id not in on_roll]
    if roll.status == HonorRollStatus.PUBLISHED and roll.published_at is not None:
        subtitle = _("Published on %(date)s") % {
            "date": timezone.localdate(roll.published_at).isoformat()
        }
    else:
        subtitle = _("Not yet published: the selection may still change.")
    if roll.note:
        subtitle = f"{subtitle}    {roll.note}"

    def values(row: tuple[HonorSubmission | None, Unit, HonorFlag | None], _n: int) -> list[Any]:
        submission, unit, flag = row
        return [
            submission.place if submission is not None else "",
            unit.name,
            submission.title if submission is not None else "",
            submission.text if submission is not None else "",
            flag.get_colour_display() if flag is not None else "",
            flag.reason if flag is not None else "",
        ]

    return write_register(
        stream,
        sheet=month_label(roll.month),
        title=roll_title(roll),
        subtitle=subtitle,
        columns=ROLL_COLUMNS,
        rows=rows,
        values=values,
    )


# --- demo -----------------------------------------------------------------------------------------
#: Highlights a unit might report in a month (invented, in the seeds' vocabulary).
HIGHLIGHTS: tuple[tuple[str, str], ...] = (
    (
        "攻坚难题提前破解",
        "{unit}聚焦年度攻坚难题清单，实行“一个难题、一名领导、一个专班、一抓到底”，"
        "本月提前完成{n}项攻坚措施，群众反映强烈的堵点问题得到有效解决。",
    ),
    (
        "信访积案清仓见底",
        "{unit}开展信访积案“百日攻坚”，领导干部包案化解，本月化解信访积案{n}件，"
        "实现案结事了，群众满意率明显提升。",
    ),
    (
        "重点项目跑出加速度",
        "{unit}推行重点项目“专班+台账”推进机制，倒排工期、挂图作战，本月{n}个重点项目"
        "提前开工，投资完成率居全市前列。",
    ),
    (
        "营商环境“办事不求人”",
        "{unit}推行“一窗受理、集成服务”，压缩办理时限，本月{n}项高频事项实现“最多跑一次”，"
        "企业和群众办事更加便捷。",
    ),
    (
        "“低慢差”问题集中整改",
        "{unit}对照问题清单逐项整改，建立整改台账，本月销号{n}个“低慢差”问题，"
        "整改成效经督查组现场核验。",
    ),
    (
        "公开承诺全部兑现",
        "{unit}向社会公开承诺事项按期兑现，本月完成{n}项承诺事项并公示，接受群众监督。",
    ),
    (
        "干部作风明察暗访零问题",
        "{unit}强化作风建设日常监督，本月接受明察暗访{n}次未发现问题，窗口服务规范化水平持续提升。",
    ),
    (
        "基层减负见实效",
        "{unit}精简会议文件，整合督查检查考核事项，本月会议文件数量同比下降{n}成，"
        "干部把更多精力投入抓落实。",
    ),
)
FLAG_REASONS = {
    FlagColour.RED: "本月工作成效突出，台账推进快、群众评价好，授予红旗。",
    FlagColour.BLUE: "本月台账推进滞后，督办事项整改不到位，亮蓝旗督促整改。",
}


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """The services (and auto-stamped fields) read ``moment`` as now."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, 0)))


def _working_day(day: date) -> date:
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _demo_office(campaign: Campaign) -> User | None:
    """An assessment office member over the campaign (the office publishes the roll)."""
    owner = campaign.owner_unit
    for assignment in RoleAssignment.objects.filter(
        role__in=(Role.ASSESSMENT_OFFICE, Role.ADMINISTRATOR), user__is_active=True
    ).select_related("user", "scope"):
        if owner.path.startswith(assignment.scope.path) and rules.can_manage_honor(
            assignment.user, campaign
        ):
            return assignment.user
    return None


def _demo_liaisons(campaign: Campaign) -> list[tuple[Unit, User]]:
    """Each unit of the campaign with its liaison (one each), in tree order."""
    seen: dict[int, tuple[Unit, User]] = {}
    for membership in (
        Membership.objects.filter(
            post=Post.LIAISON,
            user__is_active=True,
            unit__path__startswith=campaign.owner_unit.path,
        )
        .exclude(unit=campaign.owner_unit)
        .select_related("unit", "user")
        .order_by("unit__path", "user__username")
    ):
        seen.setdefault(membership.unit_id, (membership.unit, membership.user))
    return list(seen.values())


def demo_honor_rolls(campaign: Campaign, *, as_of: date, seed: int) -> list[HonorRoll]:
    """One published honor roll for every month of the campaign wholly before ``as_of``:
    some units' liaisons submit a highlight near the month's end, the office selects three
    to five with their places early the next month, gives the first a red flag and a unit
    lagging behind a blue flag, and publishes (nobody is notified: the news is old). Months
    that have a roll already are left as they are, so a second run writes nothing. Returns
    the rolls written."""
    office = _demo_office(campaign)
    units = _demo_liaisons(campaign)
    if office is None or len(units) < 3:
        return []
    rng = random.Random(seed)  # demo data, not security
    existing = set(HonorRoll.objects.filter(campaign=campaign).values_list("month", flat=True))
    written = []
    for month in campaign_months(campaign, until=month_start(as_of) - timedelta(days=1)):
        if month in existing:
            continue
        written.append(_demo_month(campaign, month, office, units, rng, as_of))
    return written


def _demo_month(
    campaign: Campaign,
    month: date,
    office: User,
    units: list[tuple[Unit, User]],
    rng: random.Random,
    as_of: date,
) -> HonorRoll:
    count = min(len(units), rng.randint(5, 8))
    chosen = rng.sample(units, count)
    next_month = (month + timedelta(days=32)).replace(day=1)
    submitted: list[HonorSubmission] = []
    for index, (unit, liaison) in enumerate(chosen):
        title, text = rng.choice(HIGHLIGHTS)
        day = _working_day(month + timedelta(days=min(19 + index, 27)))
        with _clock(_at(day, 9 + index % 8)):
            submitted.append(
                honor_submission_create(
                    actor=liaison,
                    campaign=campaign,
                    unit=unit,
                    month=month,
                    title=title,
                    text=text.format(unit=unit.short_name or unit.name, n=rng.randint(2, 9)),
                    today=day,
                )
            )
    decided = min(as_of - timedelta(days=1), _working_day(next_month + timedelta(days=3)))
    decided = max(decided, next_month)
    roll = submitted[0].roll
    places = rng.randint(3, min(5, len(submitted)))
    ranked = rng.sample(submitted, len(submitted))
    with _clock(_at(decided, 10)):
        for place, submission in enumerate(ranked, start=1):
            honor_submission_decide(
                submission=submission,
                actor=office,
                selected=place <= places,
                place=place if place <= places else None,
                note="" if place <= places else "成效有待进一步显现，请继续努力。",
            )
        honor_flag_set(
            roll=roll,
            actor=office,
            unit=ranked[0].unit,
            colour=FlagColour.RED,
            reason=FLAG_REASONS[FlagColour.RED],
        )
        lagging = [unit for unit, _liaison in units if unit not in {u for u, _l in chosen}]
        if lagging:
            honor_flag_set(
                roll=roll,
                actor=office,
                unit=rng.choice(lagging),
                colour=FlagColour.BLUE,
                reason=FLAG_REASONS[FlagColour.BLUE],
            )
    with _clock(_at(decided, 16)):
        return honor_roll_publish(
            roll=roll,
            actor=office,
            note=f"{month.year}年{month.month}月创先争优月榜",
            notify_units=False,
        )
