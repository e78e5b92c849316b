"""Demo data, the supervision section: the campaign's notices (四单), measures (六问) and one
exemption, from the city report (``seeds/000_…``).

:func:`accounts.demo.seed_demo` runs :data:`STEPS` after the ledgers' section; the step reads
the campaign, supervision groups and people the lower sections keep in the world, the ledger
items they wrote, and the world's :class:`~accounts.demo.DemoCalendar` (the as-of date).

What the report gives, and the data reproduces whatever the as-of date: "年初以来，累计下发
提示单25份、督办单18份、警示单11份" — 25 reminders, 18 supervision orders and 11 warnings,
all issued in the campaign before the as-of date; the six measures (六问) by name and the
"three distinctions" (三个区分开来) for exemptions. Invented: which items the notices are
about, their dates, wording and lifecycles, four measures and one approved exemption.

**Matters.** The notices fall on 37 matters (ledger items), some escalated: 4 reminders went
on to a supervision order and a warning, 6 to a supervision order only, 3 supervision orders
to a warning; 5 supervision orders and 4 warnings were started at that kind for serious
matters; 15 reminders stand alone. Each escalated notice links to the one it follows.

- *Open matters* are the items overdue on the as-of date (past their deadline by more than
  the escalation policy's reminder days), oldest first, all but the three most recently
  overdue: the supervision groups have already written to them, most recently within the
  last week with a reply deadline still ahead. Two await signing for, two replies await
  acceptance, one reply was returned; one reminder was signed for and never answered, its
  reply deadline five days past (where the item has been overdue long enough for that).
- *Closed matters* are items signed off since (the notice spurred them on): every notice of
  the matter answered and accepted (办结) before the sign-off, a few after a reply returned.

So on the as-of date the sweep finds only a handful to do: the few items most recently
overdue get reminders and the one ignored reminder becomes a supervision order; everything
else already has its open notice.

**Writes.** Everything goes through :mod:`accountability.services` (draft, approve, issue,
sign for, reply, accept, return, escalate; measure_record; exemption_apply and _approve) as
the demo's people (the groups' members draft, issue and decide on replies, their leaders
approve, units' liaisons sign for and reply, the campaign office records measures and
decides the exemption), in the order the events happened, so numbers follow issue dates
(督办〔2026〕1号 is the first supervision order of 2026) and history holds every step. The
clock the services read is set to each event's moment (at office hours); nobody is
notified (:func:`accountability.notify.quiet`), the news being old. A campaign that has
notices already is left as it is: a second run writes nothing.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from unittest import mock

from django.utils import timezone

from accounts.demo import LIAISON_PERSONAS, LIAISONS, DemoCalendar, DemoWorld, Step
from accounts.models import User
from campaign.demo import GROUPS, CampaignDemo, campaign_of, group_usernames
from campaign.models import Campaign, SupervisionGroup, SupervisionGroupKind
from tasks_ledger.models import OPEN_STATUSES, ItemStatus, LedgerItem

from . import notify, services
from .models import (
    AccountabilityMeasure,
    Distinction,
    Exemption,
    MeasureKind,
    Notice,
    NoticeKind,
    NoticeStatus,
)

OFFICE = "office"
R, S, W = str(NoticeKind.REMINDER), str(NoticeKind.SUPERVISION), str(NoticeKind.WARNING)

#: The matters' notices, longest chains first: 25 reminders, 18 supervision orders, 11
#: warnings (累计下发提示单25份、督办单18份、警示单11份).
SHAPES: tuple[tuple[str, ...], ...] = (
    *[(R, S, W)] * 4,
    *[(S, W)] * 3,
    *[(R, S)] * 6,
    *[(W,)] * 4,
    *[(S,)] * 5,
    *[(R,)] * 15,
)
REPORTED = {R: 25, S: 18, W: 11}
assert {k: sum(shape.count(k) for shape in SHAPES) for k in REPORTED} == REPORTED

#: Items most recently overdue left for the sweep to find on the as-of date.
LEFT_FOR_THE_SWEEP = 3
#: At least this many matters are closed, however many items are overdue.
MIN_CLOSED = 10
#: The open matters' last notices, in order (persona units first): two await signing for,
#: two replies await acceptance, one was returned; the rest are signed for.
OPEN_STATUSES_PLAN = ("issued", "replied", "returned", "issued", "replied")
#: Days given to reply, by kind.
REPLY_DAYS = {R: 7, S: 7, W: 10}
#: Default of the escalation policy (EscalationPolicy.reminder_after_days).
REMINDER_AFTER_DAYS = 3
#: How far past its reply deadline the one ignored reminder is on the as-of date.
IGNORED_DAYS_PAST = 5

FACTS = {
    R: "经督查，“{title}”{state}。",
    S: "“{title}”{state}，经提示后仍未按要求整改到位，工作推进不力。",
    W: (
        "“{title}”{state}，经提示、督办仍未取得实质性进展，"
        "暴露出工作作风不实、责任落实不到位等问题。"
    ),
}
STATE_OVERDUE = "已超过完成时限（{deadline}），目前进度为{progress}%"
STATE_BEHIND = "推进进度滞后于序时进度"
REQUIREMENTS = {
    R: "请收到本提示单后立即研究部署，明确整改措施、责任人和完成时限，并按期反馈整改情况。",
    S: "请单位主要领导亲自过问，制定整改方案，倒排工期、挂图作战，按期书面反馈整改结果及佐证材料。",
    W: (
        "请单位主要领导作出书面说明，限期整改到位；"
        "逾期未整改到位的，将按照“六问”有关规定提出问责建议。"
    ),
}
REPLY = "已召开专题会议研究部署，明确专人负责、倒排工期，目前已按要求完成整改，相关佐证材料附后。"
REPLY_AGAIN = "已补充现场照片和验收资料，整改情况如实反映。"
RETURN_REASON = "佐证材料不充分，请补充现场照片和验收资料后重新反馈。"


@dataclass
class Matter:
    """One item the notices are about, and how its notices went."""

    item: LedgerItem
    open: bool
    lo: date  # the earliest day its first notice may go out
    hi: date  # the last notice's issue day (open) or the day the matter closed
    shape: tuple[str, ...] = ()
    final: str = "closed"  # the last notice's status: issued, signed_for, replied, returned
    returned_once: bool = False  # closed after a returned reply
    notices: list[Notice] = field(default_factory=list)

    @property
    def window(self) -> int:
        return (self.hi - self.lo).days


Event = tuple[datetime, int, int, Callable[[], None]]


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """The services (and auto-stamped fields) read ``moment`` as now."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def _reminder_after_days(campaign: Campaign) -> int:
    policy = getattr(campaign, "escalation_policy", None)
    return int(getattr(policy, "reminder_after_days", REMINDER_AFTER_DAYS))


def _items(campaign: Campaign) -> list[LedgerItem]:
    return list(
        LedgerItem.objects.filter(ledger__campaign=campaign)
        .select_related("unit", "chain", "ledger")
        .order_by("deadline", "pk")
    )


def _matters(items: list[LedgerItem], cal: DemoCalendar, campaign: Campaign) -> list[Matter]:
    """The open matters (overdue items but the most recent few) and enough closed ones (items
    signed off since, spread over the campaign) to make :data:`SHAPES`."""
    today = cal.as_of
    days = _reminder_after_days(campaign)
    overdue = [
        item
        for item in items
        if item.status in OPEN_STATUSES
        and item.deadline is not None
        and item.deadline < today - timedelta(days=days)
    ]
    covered = overdue[: max(len(overdue) - LEFT_FOR_THE_SWEEP, 0)][: len(SHAPES) - MIN_CLOSED]
    matters = [
        Matter(
            item=item,
            open=True,
            lo=max(item.deadline + timedelta(days=days + 1), cal.start + timedelta(days=7)),
            hi=today - timedelta(days=1),
        )
        for item in covered
        if item.deadline is not None
    ]
    start = cal.start + timedelta(days=10)
    signed = [
        item
        for item in items
        if item.status == ItemStatus.SIGNED_OFF
        and item.signed_off_at is not None
        and (timezone.localdate(item.signed_off_at) - max(start, item.start_date)).days >= 30
        and timezone.localdate(item.signed_off_at) < today
    ]
    signed.sort(key=lambda item: (item.signed_off_at, item.pk))
    wanted = len(SHAPES) - len(matters)
    # Spread over the campaign and over units: every n-th, one matter per unit where possible.
    chosen: list[LedgerItem] = []
    units: set[int] = set()
    step = max(len(signed) // max(wanted, 1), 1)
    for rounds in range(step):
        for item in signed[rounds::step]:
            if len(chosen) < wanted and item.unit_id not in units and item not in chosen:
                chosen.append(item)
                units.add(item.unit_id)
    for item in signed:  # too few units: allow repeats
        if len(chosen) < wanted and item not in chosen:
            chosen.append(item)
    assert len(chosen) == wanted, "the demo ledgers have too few signed-off items"
    for item in chosen:
        assert item.signed_off_at is not None
        matters.append(
            Matter(
                item=item,
                open=False,
                lo=max(start, item.start_date),
                hi=timezone.localdate(item.signed_off_at) - timedelta(days=1),
            )
        )
    return matters


def _plan(matters: list[Matter], persona_units: set[int]) -> None:
    """Give the matters their shapes (longest chains to the longest windows) and the open
    ones their last notice's status."""
    for matter, shape in zip(
        sorted(matters, key=lambda m: (-m.window, m.item.pk)), SHAPES, strict=True
    ):
        matter.shape = shape
    open_matters = sorted(
        (m for m in matters if m.open),
        key=lambda m: (m.item.unit_id not in persona_units, m.item.deadline, m.item.pk),
    )
    for matter, status in zip(open_matters, OPEN_STATUSES_PLAN, strict=False):
        matter.final = status
    for matter in open_matters[len(OPEN_STATUSES_PLAN) :]:
        matter.final = "signed_for"
    ignored = [m for m in open_matters[len(OPEN_STATUSES_PLAN) :] if m.shape == (R,)]
    if ignored:
        ignored[-1].final = "ignored"
    closed = [m for m in matters if not m.open]
    for matter in closed[::5]:
        matter.returned_once = True


class _Player:
    """Turns each matter into dated events, then plays them all in time order."""

    def __init__(self, world: DemoWorld, campaign: Campaign) -> None:
        self.world = world
        self.cal = world.calendar
        self.campaign = campaign
        self.events: list[Event] = []
        self.steps: dict[int, int] = {}
        self.office = world.users[OFFICE]
        part = world.part(CampaignDemo)
        self.group_of: dict[str, tuple[SupervisionGroup, User, User]] = {}
        for spec in GROUPS:
            if spec.kind != SupervisionGroupKind.INSPECTION:
                continue
            leader, members = group_usernames(spec.key)
            for code in spec.units:
                self.group_of[code] = (
                    part.groups[spec.key],
                    world.users[leader],
                    world.users[members[0]],
                )
        self.codes = {unit.pk: code for code, unit in world.units.items()}

    # --- scheduling ------------------------------------------------------------------------
    def at(self, day: date, matter: Matter, step: int) -> datetime:
        """``day`` at an office hour; a matter's steps keep their order within a day."""
        minutes = zlib.crc32(str(matter.item.pk).encode()) % 60
        clock = datetime.combine(day, time(8, 30)) + timedelta(minutes=minutes + step * 7)
        return timezone.make_aware(clock)

    def add(self, day: date, matter: Matter, action: Callable[[], None]) -> None:
        """Queue ``action`` on ``day`` as the matter's next step."""
        step = self.steps[matter.item.pk] = self.steps.get(matter.item.pk, -1) + 1
        self.events.append((self.at(day, matter, step), matter.item.pk, step, action))

    def act(self, day: date, matter: Matter, level: int, action: str, actor: User) -> None:
        """Queue a transition of the matter's ``level``-th notice on ``day``."""
        self.add(day, matter, self.acting(matter, level, action, actor))

    def people(self, matter: Matter) -> tuple[SupervisionGroup, User, User, User]:
        code = self.codes[matter.item.unit_id]
        group, leader, member = self.group_of[code]
        return group, leader, member, self.world.users[LIAISONS[code]]

    def schedule(self, matter: Matter) -> None:
        """Days of every step of the matter's notices, as events."""
        today = self.cal.as_of
        k = len(matter.shape)
        salt = zlib.crc32(str(matter.item.pk).encode())
        if matter.open:
            offsets = {"issued": 1, "signed_for": 2, "replied": 4, "returned": 6}
            if matter.final == "ignored":
                last = today - timedelta(days=REPLY_DAYS[R] + IGNORED_DAYS_PAST)
            else:
                last = today - timedelta(days=offsets[matter.final] + salt % 3)
            last = max(last, min(matter.lo, today - timedelta(days=offsets.get(matter.final, 2))))
        else:
            extra = 3 if matter.returned_once else 0
            last = matter.hi - timedelta(days=6 + extra + salt % 4)
        span = (last - matter.lo).days
        spacing = min(12, max(span // (k - 1), 2)) if k > 1 else 0
        issues = [last - timedelta(days=spacing * (k - 1 - j)) for j in range(k)]
        _group, leader, member, liaison = self.people(matter)
        for level, (kind, issued) in enumerate(zip(matter.shape, issues, strict=True)):
            final = level == k - 1
            if final and matter.final == "ignored":
                deadline = issued + timedelta(days=REPLY_DAYS[R])
            elif final and matter.open:
                soon = today + timedelta(days=2 + salt % 5)
                deadline = max(issued + timedelta(days=REPLY_DAYS[kind]), soon)
            elif final:
                deadline = issued + timedelta(days=REPLY_DAYS[kind])
            else:
                deadline = issued + timedelta(days=max(spacing - 4, 1))
            drafted = issued if kind == R else issued - timedelta(days=1)
            self.add(drafted, matter, self.drafting(matter, level, deadline, drafted))
            if kind != R:
                self.act(issued, matter, level, "approve", leader)
            self.add(issued, matter, self.issuing(matter, level, member, issued))
            if not (final and matter.final == "issued"):
                self.act(issued + timedelta(days=1), matter, level, "sign_for", liaison)
        last_day, top = issues[-1], k - 1
        if matter.open:
            if matter.final in ("replied", "returned"):
                self.act(last_day + timedelta(days=2), matter, top, "reply", liaison)
            if matter.final == "returned":
                self.act(last_day + timedelta(days=3), matter, top, "return", member)
            return
        replied = last_day + timedelta(days=3)
        for level in reversed(range(k)):
            self.act(replied, matter, level, "reply", liaison)
        if matter.returned_once:
            self.act(replied + timedelta(days=1), matter, top, "return", member)
            self.act(replied + timedelta(days=3), matter, top, "reply_again", liaison)
        for level in reversed(range(k)):
            self.act(matter.hi, matter, level, "accept", member)

    # --- actions -------------------------------------------------------------------------
    def facts(self, matter: Matter, kind: str) -> str:
        item = matter.item
        if matter.open and item.deadline is not None:
            state = STATE_OVERDUE.format(deadline=item.deadline.isoformat(), progress=item.progress)
        else:
            state = STATE_BEHIND
        return FACTS[kind].format(title=item.title, state=state)

    def drafting(self, matter: Matter, level: int, deadline: date, day: date) -> Callable[[], None]:
        def run() -> None:
            kind = matter.shape[level]
            group, _leader, member, _liaison = self.people(matter)
            if level:
                notice = services.notice_escalate(
                    notice=matter.notices[level - 1],
                    actor=member,
                    reply_deadline=deadline,
                    facts=self.facts(matter, kind),
                    requirements=REQUIREMENTS[kind],
                    kind=kind,
                    today=day,
                )
            else:
                notice = services.notice_draft(
                    actor=member,
                    campaign=self.campaign,
                    kind=kind,
                    facts=self.facts(matter, kind),
                    requirements=REQUIREMENTS[kind],
                    reply_deadline=deadline,
                    item=matter.item,
                    group=group,
                    today=day,
                )
            matter.notices.append(notice)

        return run

    def issuing(self, matter: Matter, level: int, actor: User, day: date) -> Callable[[], None]:
        def run() -> None:
            matter.notices[level] = services.notice_issue(
                notice=matter.notices[level], actor=actor, today=day
            )

        return run

    def acting(self, matter: Matter, level: int, action: str, actor: User) -> Callable[[], None]:
        def run() -> None:
            notice = matter.notices[level]
            if action == "approve":
                notice = services.notice_approve(notice=notice, actor=actor)
            elif action == "sign_for":
                notice = services.notice_sign_for(notice=notice, actor=actor)
            elif action in ("reply", "reply_again"):
                text = REPLY_AGAIN if action == "reply_again" else REPLY
                notice = services.notice_reply(notice=notice, actor=actor, text=text)
            elif action == "return":
                notice = services.notice_return(notice=notice, actor=actor, reason=RETURN_REASON)
            else:
                notice = services.notice_accept(notice=notice, actor=actor)
            matter.notices[level] = notice

        return run

    def play(self) -> None:
        for moment, _pk, _step, action in sorted(self.events, key=lambda e: e[:3]):
            with _clock(moment):
                action()


def _measures(player: _Player, matters: list[Matter]) -> list[AccountabilityMeasure]:
    """Four measures after warnings (the earliest warnings first): an admonishment talk with
    the unit's liaison, a circulated criticism of the unit, an order to self-examine, and a
    second admonishment talk."""
    warned = sorted(
        ((m, n) for m in matters for n in m.notices if n.kind == W),
        key=lambda pair: (pair[1].issued_on, pair[1].pk),
    )
    plan = (
        (MeasureKind.ADMONISHMENT, True, "中共龙兴市纪律检查委员会"),
        (MeasureKind.CIRCULATED_CRITICISM, False, "龙兴市机关能力作风建设工作领导小组"),
        (MeasureKind.SELF_EXAMINATION, False, "龙兴市机关能力作风建设工作领导小组办公室"),
        (MeasureKind.ADMONISHMENT, True, "中共龙兴市纪律检查委员会"),
    )
    today = player.cal.as_of
    made: list[AccountabilityMeasure] = []
    for number, ((matter, warning), (kind, on_person, authority)) in enumerate(
        zip(warned, plan, strict=False), start=1
    ):
        assert warning.issued_on is not None
        day = min(warning.issued_on + timedelta(days=5), today - timedelta(days=1))
        _group, _leader, _member, liaison = player.people(matter)
        with _clock(player.at(day, matter, 90)):
            made.append(
                services.measure_record(
                    actor=player.office,
                    campaign=player.campaign,
                    kind=kind,
                    unit=matter.item.unit,
                    person=liaison if on_person else None,
                    notices=[warning],
                    basis=f"{warning.number}下发后整改不力。",
                    deciding_authority=authority,
                    decided_on=day,
                    document_number=f"龙能作办〔{day.year}〕{number}号",
                    today=day,
                )
            )
    return made


def _exemption(player: _Player, matters: list[Matter]) -> Exemption | None:
    """One approved exemption: a unit signed for a supervision order (or a warning) about a
    matter it could not finish for reasons beyond it, applied, and the office approved."""
    candidates = [
        m for m in matters if m.open and m.final == "signed_for" and m.shape[-1] in (S, W)
    ] or [m for m in matters if m.open and m.final == "signed_for"]
    if not candidates:
        return None
    matter = candidates[0]
    notice = matter.notices[-1]
    _group, _leader, _member, liaison = player.people(matter)
    day = player.cal.as_of - timedelta(days=1)
    with _clock(player.at(day, matter, 95)):
        exemption = services.exemption_apply(
            actor=liaison,
            notice=notice,
            distinctions=[Distinction.EXPLORATORY],
            reasons=(
                "该事项系先行先试的改革探索，进度滞后主要受上级政策调整影响，"
                "单位已尽职履责且未谋取私利，申请按照“三个区分开来”予以容错免责。"
            ),
        )
    with _clock(player.at(day, matter, 99)):
        return services.exemption_approve(
            exemption=exemption,
            actor=player.office,
            note="经核实，符合“三个区分开来”容错情形，予以免责，暂停该事项升级督办。",
        )


def build_notices(world: DemoWorld) -> None:
    """The campaign's 25 reminders, 18 supervision orders and 11 warnings, four measures and
    one exemption, unless the campaign has notices already."""
    campaign = campaign_of(world)
    if Notice.objects.filter(campaign=campaign).exists():
        return
    matters = _matters(_items(campaign), world.calendar, campaign)
    persona_units = {world.units[code].pk for code in LIAISON_PERSONAS}
    _plan(matters, persona_units)
    player = _Player(world, campaign)
    for matter in matters:
        player.schedule(matter)
    with notify.quiet():
        player.play()
        measures = _measures(player, matters)
        exemption = _exemption(player, matters)
    world.note(Notice, sum(len(m.notices) for m in matters))
    world.note(AccountabilityMeasure, len(measures))
    if exemption is not None:
        world.note(Exemption)
    assert all(n.status != NoticeStatus.DRAFT for m in matters for n in m.notices)


STEPS: tuple[Step, ...] = (build_notices,)
