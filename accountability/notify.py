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
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from typing import Any, TypeVar

from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.models import Membership, Notification, Post, Role, RoleAssignment, Unit
from accounts.notifications import notify

from .models import (
    AccountabilityMeasure,
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


def _tell(recipients: Iterable[int], **message: Any) -> int:
    """:func:`accounts.notifications.notify`, unless within :func:`quiet`; how many were told."""
    if _quiet.get():
        return 0
    return len(notify(recipients=recipients, **message))


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


def office_ids(unit: Unit) -> list[int]:
    """The campaign office (and administrators) over ``unit``: who decides its exemptions,
    records its measures and approves notices no group issues. One query."""
    return list(
        RoleAssignment.objects.filter(
            role__in=OFFICE_ROLES, scope__path__in=_ancestor_paths(unit), user__is_active=True
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )


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


def _send(recipients: Iterable[int], notice: Notice, title: str, body: str, urgent: bool) -> None:
    _tell(
        recipients,
        kind=KIND_NOTICE,
        title=title[:200],
        body=body,
        link=notice_link(notice),
        urgent=urgent,
    )


# --- notices ---------------------------------------------------------------------------------
@_unless_quiet
def notice_drafted(notice: Notice) -> None:
    """A draft that needs approval (a supervision order or more serious) reaches who may
    approve it; a draft reminder tells nobody."""
    if notice.kind == NoticeKind.REMINDER or notice.status != NoticeStatus.DRAFT:
        return
    _send(
        approver_ids(notice),
        notice,
        _("Awaiting your approval: %(notice)s to %(unit)s")
        % {"notice": _label(notice), "unit": notice.target_unit},
        _("Reply deadline: %(deadline)s.") % {"deadline": notice.reply_deadline.isoformat()},
        urgent=False,
    )


@_unless_quiet
def notice_issued(notice: Notice) -> None:
    """The target unit and the responsible people receive the notice."""
    _send(
        [*target_side_ids(notice.target_unit), *_responsible_ids(notice)],
        notice,
        _("New %(kind)s %(number)s: %(subject)s")
        % {"kind": notice.get_kind_display(), "number": notice.number, "subject": notice.subject},
        _("%(unit)s: sign for it and reply with the rectification by %(deadline)s.")
        % {"unit": notice.target_unit, "deadline": notice.reply_deadline.isoformat()},
        urgent=_serious(notice),
    )


@_unless_quiet
def notice_replied(notice: Notice) -> None:
    """The issuer side is asked to accept or return the reply."""
    _send(
        issuer_ids(notice),
        notice,
        _("Reply to review: %(notice)s") % {"notice": _label(notice)},
        _("%(unit)s has replied; accept it or return it for rework.")
        % {"unit": notice.target_unit},
        urgent=False,
    )


@_unless_quiet
def notice_returned(notice: Notice) -> None:
    """The target side must rework its reply; the reason is in the message."""
    _send(
        target_side_ids(notice.target_unit),
        notice,
        _("Reply returned for rework: %(notice)s") % {"notice": _label(notice)},
        _("Reason: %(reason)s") % {"reason": notice.return_reason},
        urgent=False,
    )


@_unless_quiet
def notice_escalated(notice: Notice) -> None:
    """``notice`` (a new draft) escalates an unanswered one: the target side and the
    responsible people are told, urgently, on the notice they did not answer."""
    previous = notice.escalated_from
    if previous is None:
        return
    _send(
        [*target_side_ids(notice.target_unit), *_responsible_ids(previous, notice)],
        previous,
        _("%(notice)s is being escalated to a %(kind)s")
        % {"notice": _label(previous), "kind": notice.get_kind_display()},
        _("It was not answered by its reply deadline (%(deadline)s); reply at once.")
        % {"deadline": previous.reply_deadline.isoformat()},
        urgent=True,
    )


def notices_due_soon_notify(today: date, days: int = 2) -> int:
    """Tell the target side of each issued notice still awaiting its reply whose deadline
    falls within ``days`` days of ``today`` (not passed), once per notice: a notice already
    told about (a ``notice_due`` notification with its link exists) is skipped. Returns how
    many notices were told about. Three queries, and one INSERT per notice told."""
    due = list(
        Notice.objects.filter(
            status__in=_AWAITING_REPLY,
            reply_deadline__gte=today,
            reply_deadline__lte=today + timedelta(days=days),
        )
        .select_related("target_unit")
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
    count = 0
    for notice in due:
        title = _("Reply due %(deadline)s: %(notice)s") % {
            "deadline": notice.reply_deadline.isoformat(),
            "notice": _label(notice),
        }
        written = _tell(
            sides[notice.target_unit_id],
            kind=KIND_DUE,
            title=title[:200],
            body=_("%(unit)s has not yet replied to this notice.") % {"unit": notice.target_unit},
            link=links[notice.pk],
            urgent=_serious(notice),
        )
        count += bool(written)
    return count


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
