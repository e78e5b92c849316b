"""Writes on notices (draft, approve, issue, sign for, reply, accept, return, escalate),
accountability measures (record, with their strikes) and exemptions (apply, approve, refuse).

Each service asks :mod:`accountability.rules` (PermissionDenied with a reason in words),
validates its input (ValidationError in words), and runs in one transaction. A transition
locks the notice's row first and checks its status on the locked row, so two people acting
on one notice at once cannot both succeed. Numbers come from :class:`NoticeCounter` in the
issuing transaction, one atomic ``INSERT … ON CONFLICT … RETURNING``: two notices issued at
the same moment get consecutive numbers (the second waits on the counter's row until the
first commits), and a number given to an issued notice is never given again, even when the
notice is later deleted. An issue that rolls back gives its number back with it, so numbers
have no gaps.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Post, RoleAssignment, Unit, User
from campaign.models import Campaign, SupervisionGroup
from tasks_ledger.models import TEXT_MAX, TITLE_MAX, LedgerItem, date_outside_campaign
from tasks_ledger.services import checked_text, evidence_validate

from . import notify, rules
from .models import (
    SENT_STATUSES,
    AccountabilityMeasure,
    Distinction,
    Exemption,
    ExemptionStatus,
    MeasureKind,
    Notice,
    NoticeAttachment,
    NoticeCounter,
    NoticeKind,
    NoticeStatus,
    is_exempted,
    number_format,
    strike_thresholds,
)


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _one_open_message() -> str:
    return _("This matter already has an open %(kind)s; deal with that one first (一事一单).")


def _attach(notice: Notice, files: Iterable[UploadedFile], uploader: User, *, reply: bool) -> None:
    for upload in files:
        content_type = evidence_validate(upload)
        NoticeAttachment.objects.create(
            notice=notice,
            with_reply=reply,
            file=upload,
            original_name=upload.name or "",
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=uploader,
        )


def responsible_people_for(kind: str, unit: Unit, item: LedgerItem | None) -> list[User]:
    """Who answers for the matter: the item's chain's responsible person (担责); from a
    warning upward also the leader in charge (揽责) and the principal leader (统责), from the
    chain, or the target unit's holders of those posts when there is no chain."""
    chain = item.chain if item is not None and item.chain_id else None
    people: list[User] = []
    if chain is not None:
        people.append(chain.responsible_person)
    if NoticeKind.rank_of(kind) >= NoticeKind.rank_of(NoticeKind.WARNING):
        if chain is not None:
            people += [chain.leader_in_charge, chain.principal_leader]
        else:
            people += [
                m.user
                for m in Membership.objects.filter(
                    unit=unit, post__in=[Post.LEADER_IN_CHARGE, Post.PRINCIPAL_LEADER]
                ).select_related("user")
            ]
    unique: dict[int, User] = {person.pk: person for person in people}
    return list(unique.values())


def _issuing_unit(
    actor: User, campaign: Campaign, unit: Unit, group: SupervisionGroup | None
) -> Unit:
    """The group's campaign's office unit, or the deepest unit over ``unit`` in which the
    actor is the campaign office (an administrator), else the campaign's owner unit."""
    if group is None:
        scopes = [
            a.scope
            for a in RoleAssignment.objects.filter(
                user=actor, role__in=rules.OFFICE_ROLES
            ).select_related("scope")
            if unit.path.startswith(a.scope.path)
        ]
        if scopes:
            return max(scopes, key=lambda scope: len(scope.path))
    return campaign.owner_unit


def _create(values: dict[str, Any], people: list[User]) -> Notice:
    """Insert a notice; one open notice per item and kind (the check reads first, the
    database's partial unique index stops a colleague drafting at the same moment)."""
    message = _one_open_message() % {"kind": NoticeKind(values["kind"]).label}
    item = values.get("item")
    if (
        item is not None
        and Notice.objects.filter(item=item, kind=values["kind"])
        .exclude(status=NoticeStatus.CLOSED)
        .exists()
    ):
        raise ValidationError(message)
    try:
        with transaction.atomic():
            notice = Notice.objects.create(**values)
    except IntegrityError as exc:
        raise ValidationError(message) from exc
    notice.responsible_people.set(people)
    return notice


@transaction.atomic
def notice_draft(
    *,
    actor: User,
    campaign: Campaign,
    kind: str,
    facts: str,
    requirements: str,
    reply_deadline: date,
    item: LedgerItem | None = None,
    target_unit: Unit | None = None,
    subject_title: str = "",
    group: SupervisionGroup | None = None,
    escalated_from: Notice | None = None,
    files: Iterable[UploadedFile] = (),
    today: date | None = None,
) -> Notice:
    """Draft a notice about a ledger item (to the item's unit) or a matter named in words (to
    ``target_unit``). The responsible people are taken from the item's chain."""
    today = today or timezone.localdate()
    if kind not in NoticeKind.values:
        raise ValidationError({"kind": _("Choose a kind of notice.")})
    if item is not None:
        if item.ledger.campaign_id != campaign.pk:
            raise ValidationError({"item": _("The ledger item belongs to another campaign.")})
        if target_unit is not None and target_unit.pk != item.unit_id:
            raise ValidationError(
                {"target_unit": _("A notice about a ledger item goes to the item's unit.")}
            )
        target_unit = item.unit
    if target_unit is None:
        raise ValidationError({"target_unit": _("Choose the unit the notice goes to.")})
    subject_title = checked_text(
        subject_title,
        "subject_title",
        TITLE_MAX,
        None if item is not None else _("Name the matter, or choose a ledger item."),
    )
    if group is not None and group.campaign_id != campaign.pk:
        raise ValidationError({"group": _("The supervision group belongs to another campaign.")})
    _require(
        rules.can_draft_notice(actor, target_unit, group),
        _("You may not draft a notice to %(unit)s.") % {"unit": target_unit}
        if group is None
        else _("%(group)s does not supervise %(unit)s, or you are not in it.")
        % {"group": group, "unit": target_unit},
    )
    facts = checked_text(facts, "facts", TEXT_MAX, _("State the facts."))
    requirements = checked_text(
        requirements, "requirements", TEXT_MAX, _("State the requirements.")
    )
    if reply_deadline is None or reply_deadline < today:
        raise ValidationError({"reply_deadline": _("The reply deadline cannot be in the past.")})
    typo = date_outside_campaign(reply_deadline, campaign)
    if typo:
        raise ValidationError({"reply_deadline": typo})
    notice = _create(
        {
            "campaign": campaign,
            "kind": kind,
            "group": group,
            "issuing_unit": _issuing_unit(actor, campaign, target_unit, group),
            "target_unit": target_unit,
            "item": item,
            "subject_title": subject_title,
            "facts": facts,
            "requirements": requirements,
            "reply_deadline": reply_deadline,
            "escalated_from": escalated_from,
            "drafted_by": actor,
        },
        responsible_people_for(kind, target_unit, item),
    )
    _attach(notice, files, actor, reply=False)
    notify.notice_drafted(notice)
    return notice


def _lock(notice: Notice) -> Notice:
    """The notice's row, locked until the transaction ends, with what the rules read."""
    locked = (
        Notice.objects.select_for_update(of=("self",))
        .select_related("target_unit", "group")
        .get(pk=notice.pk)
    )
    return locked


def _refused_status(notice: Notice) -> ValidationError:
    return ValidationError(
        _("The notice is %(status)s now; this cannot be done.")
        % {"status": notice.get_status_display()}
    )


@transaction.atomic
def notice_approve(*, notice: Notice, actor: User) -> Notice:
    """Approve a draft supervision order, warning or accountability recommendation."""
    notice = _lock(notice)
    if notice.kind == NoticeKind.REMINDER:
        raise ValidationError(_("A reminder needs no approval; issue it."))
    if notice.status != NoticeStatus.DRAFT:
        raise _refused_status(notice)
    _require(
        rules.can_approve_notice(actor, notice),
        _("Only the supervision group's leader (or the campaign office) approves this notice."),
    )
    notice.status = NoticeStatus.APPROVED
    notice.approved_by, notice.approved_at = actor, timezone.now()
    notice.save(update_fields=["status", "approved_by", "approved_at"])
    return notice


def next_number(kind: str, year: int) -> int:
    """Take the next number of ``kind`` in ``year`` (one atomic statement; the counter's row
    stays locked until the caller's transaction ends, so numbers follow issue order)."""
    table = NoticeCounter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (kind, year, last) VALUES (%s, %s, 1)
            ON CONFLICT (kind, year) DO UPDATE SET last = {table}.last + 1
            RETURNING last
            """,  # noqa: S608 (the table name is ours, the values are parameters)
            [kind, year],
        )
        return int(cursor.fetchone()[0])


@transaction.atomic
def notice_issue(*, notice: Notice, actor: User, today: date | None = None) -> Notice:
    """Issue an approved notice (or a draft reminder) with its official number."""
    today = today or timezone.localdate()
    notice = _lock(notice)
    if notice.status == NoticeStatus.DRAFT and notice.kind != NoticeKind.REMINDER:
        raise ValidationError(_("This notice must be approved before it is issued."))
    if notice.status not in (NoticeStatus.DRAFT, NoticeStatus.APPROVED):
        raise _refused_status(notice)
    _require(rules.can_issue_notice(actor, notice), _("You may not issue this notice."))
    if notice.reply_deadline < today:
        raise ValidationError(
            {"reply_deadline": _("The reply deadline has passed; set a new one before issuing.")}
        )
    sequence = next_number(notice.kind, today.year)
    notice.status = NoticeStatus.ISSUED
    notice.number_year, notice.sequence = today.year, sequence
    notice.number = number_format(notice.kind).format(year=today.year, n=sequence)
    notice.issued_by, notice.issued_on = actor, today
    notice.save(
        update_fields=["status", "number_year", "sequence", "number", "issued_by", "issued_on"]
    )
    notify.notice_issued(notice)
    return notice


@transaction.atomic
def notice_sign_for(*, notice: Notice, actor: User) -> Notice:
    """The target unit acknowledges receipt (签收)."""
    notice = _lock(notice)
    if notice.status != NoticeStatus.ISSUED:
        raise _refused_status(notice)
    _require(
        rules.can_sign_for_notice(actor, notice),
        _("Only the target unit signs for this notice."),
    )
    notice.status = NoticeStatus.SIGNED_FOR
    notice.signed_for_by, notice.signed_for_at = actor, timezone.now()
    notice.save(update_fields=["status", "signed_for_by", "signed_for_at"])
    return notice


@transaction.atomic
def notice_reply(
    *, notice: Notice, actor: User, text: str, files: Iterable[UploadedFile] = ()
) -> Notice:
    """The target unit reports its rectification (整改反馈), with evidence files."""
    notice = _lock(notice)
    if notice.status == NoticeStatus.ISSUED:
        raise ValidationError(_("Sign for the notice before replying."))
    if notice.status not in rules.REPLYABLE:
        raise _refused_status(notice)
    _require(rules.can_reply_notice(actor, notice), _("Only the target unit replies."))
    notice.reply = checked_text(text, "reply", TEXT_MAX, _("Describe the rectification."))
    notice.status = NoticeStatus.REPLIED
    notice.replied_by, notice.replied_at = actor, timezone.now()
    notice.save(update_fields=["reply", "status", "replied_by", "replied_at"])
    _attach(notice, files, actor, reply=True)
    notify.notice_replied(notice)
    return notice


@transaction.atomic
def notice_accept(*, notice: Notice, actor: User) -> Notice:
    """Accept the reply: the matter is closed (办结)."""
    notice = _lock(notice)
    if notice.status != NoticeStatus.REPLIED:
        raise _refused_status(notice)
    _require(rules.can_accept_notice(actor, notice), _("You may not decide on this reply."))
    notice.status = NoticeStatus.CLOSED
    notice.closed_by, notice.closed_at = actor, timezone.now()
    notice.save(update_fields=["status", "closed_by", "closed_at"])
    return notice


@transaction.atomic
def notice_return(*, notice: Notice, actor: User, reason: str) -> Notice:
    """Return the reply for rework; the unit replies again."""
    notice = _lock(notice)
    if notice.status != NoticeStatus.REPLIED:
        raise _refused_status(notice)
    _require(rules.can_return_notice(actor, notice), _("You may not decide on this reply."))
    notice.return_reason = checked_text(
        reason, "reason", TEXT_MAX, _("Say what the unit must rework.")
    )
    notice.status = NoticeStatus.RETURNED
    notice.save(update_fields=["return_reason", "status"])
    notify.notice_returned(notice)
    return notice


@transaction.atomic
def notice_escalate(
    *,
    notice: Notice,
    actor: User,
    reply_deadline: date,
    facts: str = "",
    requirements: str = "",
    kind: str | None = None,
    today: date | None = None,
) -> Notice:
    """Draft the next kind (or ``kind``, more serious still) about the same matter, linked to
    ``notice``. The new notice is a draft; an accountability recommendation always is."""
    notice = _lock(notice)
    if notice.kind == NoticeKind.ACCOUNTABILITY:
        raise ValidationError(_("An accountability recommendation is the most serious notice."))
    if notice.status not in rules.ESCALATABLE:
        raise _refused_status(notice)
    _require(rules.can_escalate_notice(actor, notice), _("You may not escalate this notice."))
    if is_exempted(notice):
        raise ValidationError(
            _("An exemption (容错免责) has been approved for this matter; it is not escalated.")
        )
    following = kind or NoticeKind.next_of(notice.kind)
    if following not in NoticeKind.values or NoticeKind.rank_of(following) <= notice.rank:
        raise ValidationError({"kind": _("Escalate to a more serious kind of notice.")})
    escalated = notice_draft(
        actor=actor,
        campaign=notice.campaign,
        kind=following,
        facts=facts or notice.facts,
        requirements=requirements or notice.requirements,
        reply_deadline=reply_deadline,
        item=notice.item,
        target_unit=notice.target_unit,
        subject_title=notice.subject_title,
        group=notice.group,
        escalated_from=notice,
        today=today,
    )
    notify.notice_escalated(escalated)
    return escalated


# --- accountability measures (六问) ---------------------------------------------------------
@dataclass(frozen=True)
class Strikes:
    """A measure's strikes in its calendar year: how many measures its person and its unit
    have that year (this one included), and whom the thresholds involve besides."""

    year: int
    person_count: int
    unit_count: int
    involve: list[User]


def strike_counts(year: int) -> tuple[dict[int, int], dict[int, int]]:
    """Measures per person and per unit decided in ``year`` (two grouped queries)."""
    measures = AccountabilityMeasure.objects.filter(decided_on__year=year)
    per_person = dict(
        measures.filter(person__isnull=False)
        .values_list("person")
        .annotate(n=Count("pk"))
        .values_list("person", "n")
    )
    per_unit = dict(measures.values_list("unit").annotate(n=Count("pk")).values_list("unit", "n"))
    return per_person, per_unit


def measure_strikes(measure: AccountabilityMeasure) -> Strikes:
    """The strikes of ``measure`` (saved, or about to be: then it counts as one more), and,
    when the unit's count that year reaches ``strike_thresholds()["principal_leader"]``, the
    unit's principal leader(s) to involve (a third strike also involves the principal leader;
    never the person the measure is on)."""
    year = measure.decided_on.year
    same_year = AccountabilityMeasure.objects.filter(decided_on__year=year)
    if measure.pk is not None:
        same_year = same_year.exclude(pk=measure.pk)
    unit_count = same_year.filter(unit_id=measure.unit_id).count() + 1
    person_count = (
        same_year.filter(person_id=measure.person_id).count() + 1 if measure.person_id else 0
    )
    involve: list[User] = []
    threshold = strike_thresholds().get("principal_leader")
    if threshold and unit_count >= threshold:
        leaders = Membership.objects.filter(unit_id=measure.unit_id, post=Post.PRINCIPAL_LEADER)
        involve = [
            m.user
            for m in leaders.select_related("user").order_by("user_id")
            if m.user_id != measure.person_id
        ]
    return Strikes(year=year, person_count=person_count, unit_count=unit_count, involve=involve)


@transaction.atomic
def measure_record(
    *,
    actor: User,
    campaign: Campaign,
    kind: str,
    unit: Unit,
    deciding_authority: str,
    decided_on: date,
    person: User | None = None,
    notices: Iterable[Notice] = (),
    basis: str = "",
    document_number: str = "",
    note: str = "",
    today: date | None = None,
) -> AccountabilityMeasure:
    """Record a measure decided on ``person`` of ``unit`` (or on the unit alone), citing
    ``notices`` and a basis in words. Call :func:`measure_strikes` for what it involves."""
    today = today or timezone.localdate()
    if kind not in MeasureKind.values:
        raise ValidationError({"kind": _("Choose one of the six measures.")})
    _require(
        rules.can_record_measure(actor, unit),
        _("Only the campaign office over %(unit)s records its accountability measures.")
        % {"unit": unit},
    )
    if (
        person is not None
        and not Membership.objects.filter(user=person, unit__path__startswith=unit.path).exists()
    ):
        raise ValidationError(
            {
                "person": _("%(person)s holds no post in %(unit)s.")
                % {"person": person, "unit": unit}
            }
        )
    cited = list(notices)
    for notice in cited:
        if notice.campaign_id != campaign.pk:
            raise ValidationError({"notices": _("A notice cited belongs to another campaign.")})
        if not unit.path.startswith(
            notice.target_unit.path
        ) and not notice.target_unit.path.startswith(unit.path):
            raise ValidationError(
                {
                    "notices": _("Notice %(notice)s was not sent to %(unit)s.")
                    % {"notice": notice, "unit": unit}
                }
            )
    basis = checked_text(basis, "basis", TEXT_MAX)
    if not cited and not basis:
        raise ValidationError({"basis": _("Cite the notices or state the basis in words.")})
    authority = checked_text(
        deciding_authority, "deciding_authority", TITLE_MAX, _("Name the deciding authority.")
    )
    if decided_on is None or decided_on > today:
        raise ValidationError({"decided_on": _("The decision date cannot be in the future.")})
    measure = AccountabilityMeasure.objects.create(
        campaign=campaign,
        kind=kind,
        person=person,
        unit=unit,
        basis=basis,
        deciding_authority=authority,
        decided_on=decided_on,
        document_number=checked_text(document_number, "document_number", 50),
        note=checked_text(note, "note", TEXT_MAX),
        created_by=actor,
    )
    measure.basis_notices.set(cited)
    notify.measure_recorded(measure)
    return measure


# --- exemptions (容错免责) ------------------------------------------------------------------
def _pending_message() -> str:
    return _("This matter already has an exemption application awaiting a decision.")


@transaction.atomic
def exemption_apply(
    *,
    actor: User,
    distinctions: Iterable[str],
    reasons: str,
    notice: Notice | None = None,
    item: LedgerItem | None = None,
) -> Exemption:
    """The unit applies for an exemption about a notice it received or one of its ledger
    items, under one or more of the three distinctions, with its reasons."""
    if notice is None and item is None:
        raise ValidationError(_("Choose the notice or the ledger item the exemption is about."))
    if notice is not None and item is not None and notice.item_id != item.pk:
        raise ValidationError({"item": _("The notice is not about this ledger item.")})
    if notice is not None:
        unit, campaign = notice.target_unit, notice.campaign
        if notice.status not in SENT_STATUSES:
            raise ValidationError({"notice": _("The notice has not been issued.")})
    else:
        assert item is not None
        unit, campaign = item.unit, item.ledger.campaign
    _require(
        rules.can_apply_exemption(actor, unit),
        _("Only %(unit)s (or a unit above it) applies for its exemption.") % {"unit": unit},
    )
    given = set(distinctions)
    if not given or not given <= set(Distinction.values):
        raise ValidationError({"distinctions": _("Choose at least one of the three distinctions.")})
    chosen = [value for value in Distinction.values if value in given]
    reasons = checked_text(reasons, "reasons", TEXT_MAX, _("State the reasons."))
    pending = Exemption.objects.filter(status=ExemptionStatus.PENDING)
    if (notice is not None and pending.filter(notice=notice).exists()) or (
        item is not None and pending.filter(item=item).exists()
    ):
        raise ValidationError(_pending_message())
    try:
        with transaction.atomic():
            exemption = Exemption.objects.create(
                campaign=campaign,
                unit=unit,
                notice=notice,
                item=item,
                distinctions=chosen,
                reasons=reasons,
                applied_by=actor,
            )
    except IntegrityError as exc:
        raise ValidationError(_pending_message()) from exc
    notify.exemption_applied(exemption)
    return exemption


def _decide(exemption: Exemption, actor: User, status: str, note: str) -> Exemption:
    exemption = (
        Exemption.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=exemption.pk)
    )
    if exemption.status != ExemptionStatus.PENDING:
        raise ValidationError(
            _("The exemption is %(status)s already.") % {"status": exemption.get_status_display()}
        )
    _require(
        rules.can_decide_exemption(actor, exemption),
        _("Only the campaign office over %(unit)s decides its exemptions.")
        % {"unit": exemption.unit},
    )
    exemption.status = status
    exemption.decision_note = note
    exemption.decided_by, exemption.decided_at = actor, timezone.now()
    exemption.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    notify.exemption_decided(exemption)
    return exemption


#: Called with each exemption the office approves, inside the approving transaction. Apps
#: above this one register here from their ``AppConfig.ready`` (assessments releases the
#: matter's deductions), so this app never imports them and every approval, from the page,
#: the API or the admin, goes through the same calls.
EXEMPTION_APPROVED: list[Callable[[Exemption], object]] = []


@transaction.atomic
def exemption_approve(*, exemption: Exemption, actor: User, note: str = "") -> Exemption:
    """The campaign office approves: escalation of the matter stops, and what the apps
    above register in :data:`EXEMPTION_APPROVED` follows (its deductions are released)."""
    exemption = _decide(
        exemption, actor, ExemptionStatus.APPROVED, checked_text(note, "decision_note", TEXT_MAX)
    )
    for follow_up in EXEMPTION_APPROVED:
        follow_up(exemption)
    return exemption


@transaction.atomic
def exemption_refuse(*, exemption: Exemption, actor: User, note: str) -> Exemption:
    """The campaign office refuses, saying why."""
    return _decide(
        exemption,
        actor,
        ExemptionStatus.REFUSED,
        checked_text(note, "decision_note", TEXT_MAX, _("Say why the exemption is refused.")),
    )
