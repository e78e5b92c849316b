"""Who is told what about notices, measures and exemptions.

The services call one function here after each write, inside their transaction;
:func:`accounts.notifications.notify` writes the inbox rows and sends emails and texts only
once the transaction commits, so an action that rolls back tells nobody.

Who is told:

- **issued**: the target side (:func:`target_side_ids`) and the people the notice names
  responsible; urgent from a warning upward.
- **a draft awaiting approval** (a supervision order or anything more serious): who may
  approve it (:func:`approver_ids`, as :func:`accountability.rules.can_approve_notice`).
- **replied**: the issuer side that may accept it (:func:`issuer_ids`).
- **returned**: the target side, with the reason.
- **escalated**: the target side and the responsible people, urgent, linked to the notice
  they did not answer (the new one is a draft they cannot see yet).
- **exemption applied**: the campaign office that decides (:func:`office_ids`); **decided**:
  the applicant; **measure recorded**: the person it is on.
- **reply deadline near** (:func:`notices_due_soon_notify`, run daily): the target side, once
  per notice.

Every recipient list takes a fixed number of queries, however many people there are.
Within :func:`quiet` (the demo replaying a campaign's past) nobody is told.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date
from typing import Any, TypeVar

from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.models import Membership, Notification, Post, Role, RoleAssignment, Unit
from accounts.notifications import Message, notify_many
from tasks_ledger.selectors import DaysBetween

from .models import (
    AccountabilityMeasure,
    EscalationPolicy,
    Exemption,
    ExemptionStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
)
from .rules import OFFICE_ROLES

Told = TypeVar("Told", Notice, AccountabilityMeasure, Exemption)

#: Notification kinds written here.
KIND_NOTICE = "notice"
KIND_DUE = "notice_due"
KIND_MEASURE = "measure"
KIND_EXEMPTION = "exemption"

#: Statuses in which the target unit still owes a reply.
_AWAITING_REPLY = (NoticeStatus.ISSUED, NoticeStatus.SIGNED_FOR, NoticeStatus.RETURNED)

_quiet: ContextVar[bool] = ContextVar("accountability_notify_quiet", default=False)


@contextmanager
def quiet() -> Iterator[None]:
    """Tell nobody within the block: the demo replays a campaign's past, whose news is old."""
    token = _quiet.set(True)
    try:
        yield
    finally:
        _quiet.reset(token)


def _unless_quiet(tell: Callable[[Told], None]) -> Callable[[Told], None]:
    """Skip the whole function (recipients are not even looked up) within :func:`quiet`."""

    @functools.wraps(tell)
    def wrapper(subject: Told) -> None:
        if not _quiet.get():
            tell(subject)

    return wrapper


def _tell(recipients: Iterable[int], **message: Any) -> None:
    """Tell ``recipients`` one thing (:class:`~accounts.notifications.Message`'s fields)."""
    _send(Message(recipients=list(recipients), **message))


def _path(name: str, fallback: str, pk: int) -> str:
    """The page's path by URL name, or ``fallback`` while that page is not routed yet."""
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return fallback.format(pk=pk)


def notice_link(notice: Notice) -> str:
    """The notice's page."""
    return _path("accountability:notice-detail", "/supervision/notices/{pk}/", notice.pk)


def _ancestor_paths(unit: Unit) -> list[str]:
    """The unit's path and those of every unit above it."""
    step = Unit.steplen
    return [unit.path[:end] for end in range(step, len(unit.path) + 1, step)]


def _may_act_q(prefix: str = "user__") -> Q:
    """People who may change records (not read-only officials) and are active."""
    officials = RoleAssignment.objects.filter(role=Role.OFFICIAL).values("user_id")
    managers = RoleAssignment.objects.filter(role__in=OFFICE_ROLES).values("user_id")
    read_only = Q(**{f"{prefix}pk__in": officials}) & ~Q(**{f"{prefix}pk__in": managers})
    return Q(**{f"{prefix}is_active": True}) & ~read_only


def target_sides(units: Iterable[Unit]) -> dict[int, list[int]]:
    """For each unit (by pk), who acts for it on a notice (signs for it, replies): its
    liaisons; where it has none, everyone holding a post in it who may change records; where
    nobody does, the same in the nearest unit above it that has someone (they may sign for
    it too, see :func:`accountability.rules.can_sign_for_notice`). One query for all."""
    units = list(units)
    paths = sorted({path for unit in units for path in _ancestor_paths(unit)})
    rows = list(
        Membership.objects.filter(_may_act_q(), unit__path__in=paths)
        .order_by("user_id")
        .values_list("user_id", "unit__path", "post")
        if paths
        else []
    )
    sides: dict[int, list[int]] = {}
    for unit in units:
        sides[unit.pk] = []
        for path in reversed(_ancestor_paths(unit)):
            here = [(user_id, post) for user_id, unit_path, post in rows if unit_path == path]
            liaisons = [user_id for user_id, post in here if post == Post.LIAISON]
            if here:
                sides[unit.pk] = list(dict.fromkeys(liaisons or [pk for pk, _post in here]))
                break
    return sides


def target_side_ids(unit: Unit) -> list[int]:
    """Who acts for ``unit`` on a notice (:func:`target_sides`); one query."""
    return target_sides([unit])[unit.pk]


def offices_over(units: Iterable[Unit]) -> dict[int, list[int]]:
    """For each unit (by pk), the campaign office (and administrators) over it: who decides
    its exemptions, records its measures and approves notices no group issues. One query."""
    units = list(units)
    paths = sorted({path for unit in units for path in _ancestor_paths(unit)})
    rows = (
        list(
            RoleAssignment.objects.filter(
                role__in=OFFICE_ROLES, scope__path__in=paths, user__is_active=True
            )
            .order_by("user_id")
            .values_list("user_id", "scope__path")
        )
        if paths
        else []
    )
    return {
        unit.pk: list(dict.fromkeys(user for user, path in rows if unit.path.startswith(path)))
        for unit in units
    }


def office_ids(unit: Unit) -> list[int]:
    """The campaign office over ``unit`` (:func:`offices_over`); one query."""
    return offices_over([unit])[unit.pk]


def _group_ids(notice: Notice) -> list[int]:
    """The issuing group's leader and members (one query; none without a group)."""
    if notice.group_id is None:
        return []
    from campaign.models import SupervisionGroup

    group = SupervisionGroup.objects.filter(pk=notice.group_id)
    members = list(
        group.filter(members__is_active=True).values_list("members", flat=True).order_by("members")
    )
    leader = list(group.filter(leader__is_active=True).values_list("leader_id", flat=True))
    return leader + members


def approver_ids(notice: Notice) -> list[int]:
    """Who may approve the draft: the issuing group's leader, or the office over the target
    unit when no group issues it (as rules.can_approve_notice, superusers aside)."""
    if notice.group_id is not None:
        from campaign.models import SupervisionGroup

        return list(
            SupervisionGroup.objects.filter(pk=notice.group_id, leader__is_active=True).values_list(
                "leader_id", flat=True
            )
        )
    return office_ids(notice.target_unit)


def issuer_ids(notice: Notice) -> list[int]:
    """The issuer side that decides on the reply: who drafted and issued it, and the issuing
    group's leader and members, or the office over the target unit when no group issues it."""
    people = [pk for pk in (notice.drafted_by_id, notice.issued_by_id) if pk is not None]
    people += _group_ids(notice) if notice.group_id is not None else office_ids(notice.target_unit)
    return list(dict.fromkeys(people))


def _responsible_ids(*notices: Notice) -> list[int]:
    """The responsible people named on the notices (one query)."""
    from .models import NoticePerson

    return list(
        NoticePerson.objects.filter(
            notice__in=[n.pk for n in notices], user__is_active=True
        ).values_list("user_id", flat=True)
    )


def _serious(notice: Notice) -> bool:
    return NoticeKind.rank_of(notice.kind) >= NoticeKind.rank_of(NoticeKind.WARNING)


def _label(notice: Notice) -> str:
    """The notice in words: its number (or kind) and its matter."""
    return f"{notice.number or notice.get_kind_display()}《{notice.subject}》"


# --- notices ---------------------------------------------------------------------------------
# Each message is built once here and sent one at a time by the services' hooks, or many in
# one INSERT by the sweep (:func:`sweep_notices_notify`, :func:`notices_due_soon_notify`).
def _approval_message(notice: Notice, recipients: Iterable[int]) -> Message:
    return Message(
        recipients=list(recipients),
        kind=KIND_NOTICE,
        title=_("Awaiting your approval: %(notice)s to %(unit)s")
        % {"notice": _label(notice), "unit": notice.target_unit},
        body=_("Reply deadline: %(deadline)s.") % {"deadline": notice.reply_deadline.isoformat()},
        link=notice_link(notice),
    )


def _issued_message(notice: Notice, recipients: Iterable[int]) -> Message:
    return Message(
        recipients=list(recipients),
        kind=KIND_NOTICE,
        title=_("New %(kind)s %(number)s: %(subject)s")
        % {"kind": notice.get_kind_display(), "number": notice.number, "subject": notice.subject},
        body=_("%(unit)s: sign for it and reply with the rectification by %(deadline)s.")
        % {"unit": notice.target_unit, "deadline": notice.reply_deadline.isoformat()},
        link=notice_link(notice),
        urgent=_serious(notice),
    )


def _escalated_message(notice: Notice, previous: Notice, recipients: Iterable[int]) -> Message:
    """On the notice they did not answer (the new one is a draft they cannot see yet)."""
    return Message(
        recipients=list(recipients),
        kind=KIND_NOTICE,
        title=_("%(notice)s is being escalated to a %(kind)s")
        % {"notice": _label(previous), "kind": notice.get_kind_display()},
        body=_("It was not answered by its reply deadline (%(deadline)s); reply at once.")
        % {"deadline": previous.reply_deadline.isoformat()},
        link=notice_link(previous),
        urgent=True,
    )


def _due_message(notice: Notice, recipients: Iterable[int]) -> Message:
    return Message(
        recipients=list(recipients),
        kind=KIND_DUE,
        title=_("Reply due %(deadline)s: %(notice)s")
        % {"deadline": notice.reply_deadline.isoformat(), "notice": _label(notice)},
        body=_("%(unit)s has not yet replied to this notice.") % {"unit": notice.target_unit},
        link=notice_link(notice),
        urgent=_serious(notice),
    )


def _send(message: Message) -> None:
    if not _quiet.get():
        notify_many([message])


@_unless_quiet
def notice_drafted(notice: Notice) -> None:
    """A draft that needs approval (a supervision order or more serious) reaches who may
    approve it; a draft reminder tells nobody."""
    if notice.kind == NoticeKind.REMINDER or notice.status != NoticeStatus.DRAFT:
        return
    _send(_approval_message(notice, approver_ids(notice)))


@_unless_quiet
def notice_issued(notice: Notice) -> None:
    """The target unit and the responsible people receive the notice."""
    recipients = [*target_side_ids(notice.target_unit), *_responsible_ids(notice)]
    _send(_issued_message(notice, recipients))


@_unless_quiet
def notice_replied(notice: Notice) -> None:
    """The issuer side is asked to accept or return the reply."""
    _send(
        Message(
            recipients=issuer_ids(notice),
            kind=KIND_NOTICE,
            title=_("Reply to review: %(notice)s") % {"notice": _label(notice)},
            body=_("%(unit)s has replied; accept it or return it for rework.")
            % {"unit": notice.target_unit},
            link=notice_link(notice),
        )
    )


@_unless_quiet
def notice_returned(notice: Notice) -> None:
    """The target side must rework its reply; the reason is in the message."""
    _send(
        Message(
            recipients=target_side_ids(notice.target_unit),
            kind=KIND_NOTICE,
            title=_("Reply returned for rework: %(notice)s") % {"notice": _label(notice)},
            body=_("Reason: %(reason)s") % {"reason": notice.return_reason},
            link=notice_link(notice),
        )
    )


@_unless_quiet
def notice_escalated(notice: Notice) -> None:
    """``notice`` (a new draft) escalates an unanswered one: the target side and the
    responsible people are told, urgently, on the notice they did not answer."""
    previous = notice.escalated_from
    if previous is None:
        return
    recipients = [*target_side_ids(notice.target_unit), *_responsible_ids(previous, notice)]
    _send(_escalated_message(notice, previous, recipients))


def sweep_notices_notify(notices: Sequence[Notice]) -> list[int]:
    """Tell what the escalation sweep wrote, as the services' hooks would, in one INSERT:
    each notice issued to its target side and responsible people; each draft awaiting
    approval to who may approve it; each drafted escalation to the target side and the
    responsible people, on the notice they did not answer. A fixed number of queries however
    many notices. Returns the notifications' ids."""
    if _quiet.get() or not notices:
        return []
    units = {n.target_unit_id: n.target_unit for n in notices}
    sides = target_sides(units.values())
    named = _responsible_by_notice(
        [*notices, *(n.escalated_from for n in notices if n.escalated_from)]
    )
    leaders = _leaders_by_group({n.group_id for n in notices if n.group_id is not None})
    offices = offices_over(units[n.target_unit_id] for n in notices if n.group_id is None)
    messages: list[Message] = []
    for notice in notices:
        side = sides[notice.target_unit_id]
        if notice.status == NoticeStatus.ISSUED:
            messages.append(_issued_message(notice, [*side, *named.get(notice.pk, [])]))
            continue
        if notice.kind != NoticeKind.REMINDER:
            approvers = (
                leaders.get(notice.group_id, [])
                if notice.group_id is not None
                else offices[notice.target_unit_id]
            )
            messages.append(_approval_message(notice, approvers))
        previous = notice.escalated_from
        if previous is not None:
            people = [*side, *named.get(previous.pk, []), *named.get(notice.pk, [])]
            messages.append(_escalated_message(notice, previous, people))
    return notify_many(messages)


def _responsible_by_notice(notices: Iterable[Notice | None]) -> dict[int, list[int]]:
    """The active responsible people named on each notice (one query)."""
    from .models import NoticePerson

    found: dict[int, list[int]] = defaultdict(list)
    rows = NoticePerson.objects.filter(
        notice__in=[n.pk for n in notices if n is not None], user__is_active=True
    ).values_list("notice_id", "user_id")
    for notice_id, user_id in rows:
        found[notice_id].append(user_id)
    return found


def _leaders_by_group(group_ids: set[int]) -> dict[int, list[int]]:
    """Each group's active leader, who approves its drafts (one query)."""
    from campaign.models import SupervisionGroup

    rows = SupervisionGroup.objects.filter(pk__in=group_ids, leader__is_active=True)
    return {pk: [leader] for pk, leader in rows.values_list("pk", "leader_id")}


def notices_due_soon_notify(today: date, days: int | None = None) -> int:
    """Tell the target side of each issued notice still awaiting its reply whose deadline
    falls within ``days`` days of ``today`` (not passed; by default each campaign's
    escalation policy's ``due_soon_days``), once per notice: a notice already told about (a
    ``notice_due`` notification with its link exists) is skipped. Returns how many notices
    were told about. Four statements, however many notices (one INSERT for all)."""
    if _quiet.get():
        return 0
    window: Any = (
        Value(days)
        if days is not None
        else Coalesce(
            F("campaign__escalation_policy__due_soon_days"),
            Value(EscalationPolicy._meta.get_field("due_soon_days").get_default()),
        )
    )
    due = list(
        Notice.objects.annotate(days_left=DaysBetween(F("reply_deadline"), Value(today)))
        .filter(status__in=_AWAITING_REPLY, days_left__gte=0, days_left__lte=window)
        .select_related("target_unit", "item")  # the message names the item: not N queries
        .order_by("reply_deadline", "pk")
    )
    links = {notice.pk: notice_link(notice) for notice in due}
    told = set(
        Notification.objects.filter(kind=KIND_DUE, link__in=list(links.values()))
        .values_list("link", flat=True)
        .distinct()
    )
    due = [notice for notice in due if links[notice.pk] not in told]
    sides = target_sides(notice.target_unit for notice in due)
    messages = [_due_message(n, sides[n.target_unit_id]) for n in due]
    notify_many(messages)
    return sum(1 for message in messages if message.recipients)


# --- measures and exemptions ---------------------------------------------------------------------
@_unless_quiet
def measure_recorded(measure: AccountabilityMeasure) -> None:
    """The person the measure is on is told (nobody for a measure on a unit alone)."""
    if measure.person_id is None:
        return
    _tell(
        [measure.person_id],
        kind=KIND_MEASURE,
        title=_("Accountability measure: %(kind)s") % {"kind": measure.get_kind_display()},
        body=_("Decided by %(authority)s on %(day)s.")
        % {"authority": measure.deciding_authority, "day": measure.decided_on.isoformat()},
        link=_path("accountability:measure-detail", "/supervision/measures/{pk}/", measure.pk),
        urgent=True,
    )


def _exemption_link(exemption: Exemption) -> str:
    return _path("accountability:exemption-detail", "/supervision/exemptions/{pk}/", exemption.pk)


@_unless_quiet
def exemption_applied(exemption: Exemption) -> None:
    """The campaign office over the unit is asked to decide."""
    _tell(
        office_ids(exemption.unit),
        kind=KIND_EXEMPTION,
        title=_("Exemption application to decide: %(unit)s") % {"unit": exemption.unit},
        body=exemption.reasons[:500],
        link=_exemption_link(exemption),
    )


@_unless_quiet
def exemption_decided(exemption: Exemption) -> None:
    """The applicant learns the decision."""
    approved = exemption.status == ExemptionStatus.APPROVED
    _tell(
        [exemption.applied_by_id],
        kind=KIND_EXEMPTION,
        title=_("Exemption approved: %(unit)s") % {"unit": exemption.unit}
        if approved
        else _("Exemption refused: %(unit)s") % {"unit": exemption.unit},
        body=exemption.decision_note,
        link=_exemption_link(exemption),
    )
