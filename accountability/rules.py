"""Who may do what with notices, built on :mod:`accounts.jurisdiction`.

Every rule comes in two forms, as in :mod:`tasks_ledger.rules`: a yes/no for one notice
(``can_*``) and a filter for lists (``*_q``); ``accountability/tests/test_rules.py`` checks
that they agree for every persona and notice.

- The issuer side: the campaign office (or an administrator) over the target unit, and the
  members and leader of the issuing supervision group. It sees the notice from its draft on,
  issues it, accepts or returns the reply and escalates it.
- The target side: people holding a post in the target unit or a unit above it (not read-only
  officials). It sees the notice once issued, signs for it and replies.
- Readers: officials and the assessment office within their jurisdiction, and the
  responsible people named on it, once issued.
- Drafting: a group's members and leader for the units assigned to the group; the office for
  the units it manages, in its own name or a group's (it escalates its groups' notices).
- Approving a supervision order or anything more serious: the issuing group's leader, or the
  office over the target unit when no group issues it. A reminder needs no approval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import F, Q, QuerySet, Subquery

from accounts.jurisdiction import Jurisdiction, jurisdiction_for
from accounts.models import Role
from campaign.models import SupervisionGroup
from config.expressions import AmongIds

from .models import SENT_STATUSES, NoticeKind, NoticeStatus

if TYPE_CHECKING:
    from accounts.models import Unit, User

    from .models import AccountabilityMeasure, Exemption, Notice

OFFICE_ROLES = (Role.CAMPAIGN_OFFICE, Role.ADMINISTRATOR)
READER_ROLES = (Role.OFFICIAL, Role.ASSESSMENT_OFFICE)
NOTHING = Q(pk__in=[])
AWAITING_APPROVAL = Q(status=NoticeStatus.DRAFT) & ~Q(kind=NoticeKind.REMINDER)
READY_TO_ISSUE = Q(status=NoticeStatus.APPROVED) | Q(
    status=NoticeStatus.DRAFT, kind=NoticeKind.REMINDER
)


def _is_office(j: Jurisdiction) -> bool:
    return j.has_role(*OFFICE_ROLES) and not j.is_read_only


def _group_ids(user: User) -> set[int]:
    """The supervision groups the user leads or belongs to (one query)."""
    if not user.is_authenticated:
        return set()
    return set(
        SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user))
        .values_list("pk", flat=True)
        .distinct()
    )


def _groups_q(user: User) -> Q:
    if not user.is_authenticated:
        return NOTHING
    groups = (
        SupervisionGroup.objects.filter(Q(members=user) | Q(leader=user)).order_by().values("pk")
    )
    # ``= ANY(ARRAY(subquery))``: the user's few groups are read once (an InitPlan). As
    # ``IN (subquery)`` it is a hashed SubPlan that PostgreSQL costs again for every notice
    # joined to its unit, which made a province's registry look dear enough to plan as a
    # parallel scan (2 workers to start for 51 rows).
    return Q(AmongIds(F("group_id"), Subquery(groups)))


def _on_target_side(j: Jurisdiction, unit: Unit) -> bool:
    """The user holds a post in ``unit`` or above it, and may change records."""
    if j.is_global:
        return True
    if j.is_read_only:
        return False
    return any(unit.path.startswith(p) for p in j.member_paths)


def _target_side_q(j: Jurisdiction) -> Q:
    if j.is_global:
        return Q()
    if j.is_read_only:
        return NOTHING
    query = NOTHING
    for path in j.member_paths:
        query |= Q(target_unit__path__startswith=path)
    return query


def _is_issuer(user: User, j: Jurisdiction, notice: Notice) -> bool:
    """The office over the target unit, or a member or the leader of the issuing group."""
    if _is_office(j) and j.can_manage(notice.target_unit):
        return True
    return notice.group_id is not None and notice.group_id in _group_ids(user)


def _issuer_q(user: User, j: Jurisdiction) -> Q:
    if j.is_global:
        # Q() | X is X in Django, not "everything": the superuser's case is spelled out.
        return Q()
    office = j.q("target_unit", manage=True) if _is_office(j) else NOTHING
    return office | _groups_q(user)


# --- seeing a notice -----------------------------------------------------------------------------
def can_view_notice(user: User, notice: Notice) -> bool:
    """The issuer side from the draft on; the target side, readers and the responsible people
    once it has been issued."""
    j = jurisdiction_for(user)
    if _is_issuer(user, j, notice):
        return True
    if notice.status not in SENT_STATUSES:
        return False
    if _on_target_side(j, notice.target_unit):
        return True
    if j.has_role(*READER_ROLES) and j.can_view(notice.target_unit):
        return True
    return user.is_authenticated and notice.responsible_people.filter(pk=user.pk).exists()


def viewable_notices_q(user: User) -> Q:
    """The list form of can_view_notice."""
    j = jurisdiction_for(user)
    if j.is_global:
        return Q()
    readers = j.q("target_unit") if j.has_role(*READER_ROLES) else NOTHING
    named = (
        Q(AmongIds(F("pk"), Subquery(_notices_naming(user)))) if user.is_authenticated else NOTHING
    )
    return _issuer_q(user, j) | (
        Q(status__in=SENT_STATUSES) & (_target_side_q(j) | readers | named)
    )


def _notices_naming(user: User) -> QuerySet[Any, Any]:
    from .models import NoticePerson

    return NoticePerson.objects.filter(user=user).values("notice_id")


# --- drafting -------------------------------------------------------------------------------
def can_draft_notice(user: User, unit: Unit, group: SupervisionGroup | None = None) -> bool:
    """Draft a notice to ``unit``: as the office over ``unit`` (in a group's name too: the
    office escalates its groups' notices), or as a member or leader of ``group`` when
    ``unit`` lies under the group's assigned units."""
    j = jurisdiction_for(user)
    if _is_office(j) and j.can_manage(unit):
        return True
    if group is None:
        return False
    if group.pk not in _group_ids(user):
        return False
    return any(
        unit.path.startswith(path) for path in group.assigned_units.values_list("path", flat=True)
    )


def draftable_units_q(user: User, group: SupervisionGroup | None = None) -> Q:
    """Units (a filter on Unit) the user may draft a notice to; the list form of
    can_draft_notice."""
    j = jurisdiction_for(user)
    if j.is_global:
        return Q()
    office = j.q("", manage=True) if _is_office(j) else NOTHING
    if group is None or group.pk not in _group_ids(user):
        return office
    for path in group.assigned_units.values_list("path", flat=True):
        office |= Q(path__startswith=path)
    return office


# --- approving and issuing ------------------------------------------------------------------
def can_approve_notice(user: User, notice: Notice) -> bool:
    """A draft supervision order, warning or accountability recommendation: the issuing
    group's leader, or the office over the target unit when no group issues it."""
    if notice.status != NoticeStatus.DRAFT or notice.kind == NoticeKind.REMINDER:
        return False
    j = jurisdiction_for(user)
    if j.is_global:
        return True
    if notice.group_id is not None:
        return notice.group is not None and notice.group.leader_id == user.pk
    return _is_office(j) and j.can_manage(notice.target_unit)


def approvable_notices_q(user: User) -> Q:
    """The list form of can_approve_notice."""
    j = jurisdiction_for(user)
    if j.is_global:
        return AWAITING_APPROVAL
    if not user.is_authenticated:
        return NOTHING
    office = Q(group__isnull=True) & j.q("target_unit", manage=True) if _is_office(j) else NOTHING
    return AWAITING_APPROVAL & (Q(group__leader=user) | office)


def can_issue_notice(user: User, notice: Notice) -> bool:
    """An approved notice, or a draft reminder: the issuer side."""
    ready = notice.status == NoticeStatus.APPROVED or (
        notice.status == NoticeStatus.DRAFT and notice.kind == NoticeKind.REMINDER
    )
    return ready and _is_issuer(user, jurisdiction_for(user), notice)


def issuable_notices_q(user: User) -> Q:
    """The list form of can_issue_notice."""
    return READY_TO_ISSUE & _issuer_q(user, jurisdiction_for(user))


# --- the target unit's side -----------------------------------------------------------------
def can_sign_for_notice(user: User, notice: Notice) -> bool:
    """An issued notice: people of the target unit (or above it) who may change records."""
    return notice.status == NoticeStatus.ISSUED and _on_target_side(
        jurisdiction_for(user), notice.target_unit
    )


def signable_notices_q(user: User) -> Q:
    """The list form of can_sign_for_notice."""
    return Q(status=NoticeStatus.ISSUED) & _target_side_q(jurisdiction_for(user))


REPLYABLE = (NoticeStatus.SIGNED_FOR, NoticeStatus.RETURNED)


def can_reply_notice(user: User, notice: Notice) -> bool:
    """A notice signed for, or returned for rework: the target side."""
    return notice.status in REPLYABLE and _on_target_side(
        jurisdiction_for(user), notice.target_unit
    )


def repliable_notices_q(user: User) -> Q:
    """The list form of can_reply_notice."""
    return Q(status__in=REPLYABLE) & _target_side_q(jurisdiction_for(user))


# --- the issuer's decision on the reply ------------------------------------------------------
def can_accept_notice(user: User, notice: Notice) -> bool:
    """Accept the reply and close the notice (办结): the issuer side."""
    return notice.status == NoticeStatus.REPLIED and _is_issuer(
        user, jurisdiction_for(user), notice
    )


def acceptable_notices_q(user: User) -> Q:
    """The list form of can_accept_notice."""
    return Q(status=NoticeStatus.REPLIED) & _issuer_q(user, jurisdiction_for(user))


def can_return_notice(user: User, notice: Notice) -> bool:
    """Return the reply for rework: the issuer side, as for accepting."""
    return can_accept_notice(user, notice)


def returnable_notices_q(user: User) -> Q:
    """The list form of can_return_notice."""
    return acceptable_notices_q(user)


ESCALATABLE = (NoticeStatus.ISSUED, NoticeStatus.SIGNED_FOR, NoticeStatus.RETURNED)


def can_escalate_notice(user: User, notice: Notice) -> bool:
    """Draft the next kind for a notice still awaiting its reply: the issuer side."""
    return (
        notice.status in ESCALATABLE
        and notice.kind != NoticeKind.ACCOUNTABILITY
        and _is_issuer(user, jurisdiction_for(user), notice)
    )


def escalatable_notices_q(user: User) -> Q:
    """The list form of can_escalate_notice."""
    return (
        Q(status__in=ESCALATABLE)
        & ~Q(kind=NoticeKind.ACCOUNTABILITY)
        & _issuer_q(user, jurisdiction_for(user))
    )


# --- accountability measures (六问) ---------------------------------------------------------
def can_record_measure(user: User, unit: Unit) -> bool:
    """Record a measure on ``unit`` or one of its people: the campaign office over the unit."""
    j = jurisdiction_for(user)
    return _is_office(j) and j.can_manage(unit)


def recordable_units_q(user: User) -> Q:
    """Units (a filter on Unit) the user may record a measure on; the list form of
    can_record_measure."""
    j = jurisdiction_for(user)
    if j.is_global:
        return Q()
    return j.q("", manage=True) if _is_office(j) else NOTHING


def can_view_measure(user: User, measure: AccountabilityMeasure) -> bool:
    """Everyone whose jurisdiction covers the measure's unit, and the person it is on."""
    if jurisdiction_for(user).can_view(measure.unit):
        return True
    return user.is_authenticated and measure.person_id == user.pk


def viewable_measures_q(user: User) -> Q:
    """The list form of can_view_measure."""
    j = jurisdiction_for(user)
    if j.is_global:
        return Q()
    own = Q(person=user) if user.is_authenticated else NOTHING
    return j.q("unit") | own


# --- exemptions (容错免责) ------------------------------------------------------------------
def can_apply_exemption(user: User, unit: Unit) -> bool:
    """Apply for an exemption for ``unit``: people holding a post in the unit or above it
    (its liaison, its leaders) who may change records."""
    return _on_target_side(jurisdiction_for(user), unit)


def applicable_units_q(user: User) -> Q:
    """Units (a filter on Unit) the user may apply for; the list form of can_apply_exemption."""
    j = jurisdiction_for(user)
    if j.is_global:
        return Q()
    if j.is_read_only:
        return NOTHING
    query = NOTHING
    for path in j.member_paths:
        query |= Q(path__startswith=path)
    return query


def can_view_exemption(user: User, exemption: Exemption) -> bool:
    """The applying side, and everyone whose jurisdiction covers the unit (the office that
    decides, supervision groups, readers)."""
    return jurisdiction_for(user).can_view(exemption.unit)


def viewable_exemptions_q(user: User) -> Q:
    """The list form of can_view_exemption."""
    return jurisdiction_for(user).q("unit")


def can_decide_exemption(user: User, exemption: Exemption) -> bool:
    """Approve or refuse a pending exemption: the campaign office over the unit."""
    from .models import ExemptionStatus

    if exemption.status != ExemptionStatus.PENDING:
        return False
    j = jurisdiction_for(user)
    return _is_office(j) and j.can_manage(exemption.unit)


def decidable_exemptions_q(user: User) -> Q:
    """The list form of can_decide_exemption."""
    from .models import ExemptionStatus

    j = jurisdiction_for(user)
    pending = Q(status=ExemptionStatus.PENDING)
    if j.is_global:
        return pending
    return pending & j.q("unit", manage=True) if _is_office(j) else NOTHING


# --- sweep runs --------------------------------------------------------------------------------
def can_view_sweep_runs(user: User) -> bool:
    """Sweep runs are the system's log across every campaign: superusers and the platform's
    administrators read them."""
    if not user.is_authenticated:
        return False
    j = jurisdiction_for(user)
    return j.is_global or j.has_role(Role.ADMINISTRATOR)
