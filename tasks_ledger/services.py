"""Writes to ledgers and items. Keyword-only, atomic, checked against :mod:`.rules`.

Every change to an item goes through a conditional UPDATE on its ``version``: the row count
says whether the caller's copy was current. A stale copy raises :class:`StaleEdit` carrying
the item as it is now, so the page or API can show what changed and overwrite nothing.
A deadline never changes silently: only an approved extension moves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import filetype
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F, IntegerField, Max
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.jurisdiction import jurisdiction_for, require_manage
from accounts.models import Unit, User
from campaign.models import Campaign, ResponsibilityChain, TaskForce

from . import rules
from .models import (
    OPEN_STATUSES,
    Area,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    ItemStatus,
    Ledger,
    LedgerItem,
    Measure,
    Milestone,
    ProgressReport,
    ReviewMeeting,
    ReviewStatus,
    SignOffRequest,
)

# Extension -> the content types a file of that name may really have (sniffed, not trusted).
EVIDENCE_TYPES: dict[str, tuple[str, ...]] = {
    "pdf": ("application/pdf",),
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "png": ("image/png",),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/zip",
    ),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/zip",
    ),
    "doc": ("application/msword", "application/x-ole-storage"),
    "xls": ("application/vnd.ms-excel", "application/x-ole-storage"),
}


class StaleEdit(Exception):  # the house style names it so (ARCHITECTURE.md)
    """The item changed since the caller read it; ``current`` is the item as it is now."""

    def __init__(self, current: LedgerItem) -> None:
        super().__init__(_("This item was changed by someone else since you opened it."))
        self.current = current


# --- helpers ----------------------------------------------------------------------------
def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _bump(item: LedgerItem, expected_version: int | None, **values: Any) -> LedgerItem:
    """Write ``values`` if the item is still at ``expected_version`` (None: any version)."""
    rows = LedgerItem.objects.filter(pk=item.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    updated = rows.update(version=F("version") + 1, updated_at=timezone.now(), **values)
    if not updated:
        raise StaleEdit(LedgerItem.objects.get(pk=item.pk))
    item.refresh_from_db()
    return item


def evidence_validate(upload: UploadedFile) -> str:
    """Check an evidence file's name, size and real type; return its sniffed content type."""
    limit = settings.EVIDENCE_MAX_BYTES
    name = upload.name or ""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in EVIDENCE_TYPES:
        raise ValidationError(
            _("%(name)s: only PDF, images (JPG, PNG), Word and Excel files are accepted.")
            % {"name": name}
        )
    if upload.size is None or upload.size > limit:
        raise ValidationError(
            _("%(name)s is larger than %(limit)d MB.") % {"name": name, "limit": limit // 2**20}
        )
    if not upload.size:
        raise ValidationError(_("%(name)s is empty.") % {"name": name})
    head = upload.read(8192)
    upload.seek(0)
    kind = filetype.guess(head)
    sniffed = kind.mime if kind else ""
    if sniffed not in EVIDENCE_TYPES[extension]:
        raise ValidationError(
            _("%(name)s is not really a .%(ext)s file.") % {"name": name, "ext": extension}
        )
    return sniffed


def _attach(
    *,
    item: LedgerItem,
    files: Iterable[UploadedFile],
    uploader: User,
    report: ProgressReport | None = None,
    signoff: SignOffRequest | None = None,
) -> list[Evidence]:
    attached = []
    for upload in files:
        content_type = evidence_validate(upload)
        attached.append(
            Evidence.objects.create(
                item=item,
                report=report,
                signoff=signoff,
                file=upload,
                original_name=upload.name or "",
                content_type=content_type,
                size=upload.size or 0,
                uploaded_by=uploader,
            )
        )
    return attached


# --- ledgers and items --------------------------------------------------------------------
@transaction.atomic
def area_get_or_create(
    *, actor: User | None, campaign: Campaign, name: str, sort_order: int = 0
) -> Area:
    """The campaign's area of that name, created if missing."""
    require_manage(actor, campaign.owner_unit)
    area, _created = Area.objects.get_or_create(
        campaign=campaign, name=name, defaults={"sort_order": sort_order}
    )
    return area


@transaction.atomic
def ledger_create(
    *,
    actor: User | None,
    campaign: Campaign,
    area: Area,
    kind: str,
    title: str,
    owner_unit: Unit,
    task_force: TaskForce | None = None,
    description: str = "",
    sort_order: int = 0,
) -> Ledger:
    """Open a ledger in an area of a campaign."""
    require_manage(actor, owner_unit)
    ledger = Ledger(
        campaign=campaign,
        area=area,
        kind=kind,
        title=title,
        owner_unit=owner_unit,
        task_force=task_force,
        description=description,
        sort_order=sort_order,
    )
    ledger.full_clean()
    ledger.save()
    return ledger


def next_code(ledger: Ledger) -> str:
    """The next free number (序号) in a ledger: one more than the highest numeric code."""
    top = (
        LedgerItem.objects.filter(ledger=ledger, code__regex=r"^\d{1,9}$")
        .annotate(number=Cast("code", IntegerField()))
        .aggregate(top=Max("number"))["top"]
    )
    return str((top or 0) + 1)


@dataclass
class MilestoneSpec:
    """A milestone to create with an item."""

    title: str
    deadline: date


ITEM_FIELDS = frozenset(
    {
        "title",
        "measures",
        "symptom",
        "rectification",
        "petition_source",
        "petitioner_demand",
        "handling_result",
        "planned_investment",
        "funds_in_place",
        "investment_completed",
        "planned_start",
        "actual_start",
        "planned_completion",
        "actual_completion",
        "chain",
        "status",
        "progress",
        "latest_report",
    }
)


@transaction.atomic
def ledger_item_create(
    *,
    actor: User | None,
    ledger: Ledger,
    unit: Unit,
    title: str,
    start_date: date,
    deadline: date,
    code: str = "",
    chain: ResponsibilityChain | None = None,
    milestones: Sequence[MilestoneSpec] = (),
    measure_texts: Sequence[str] = (),
    source_meeting: ReviewMeeting | None = None,
    **fields: Any,
) -> LedgerItem:
    """Add an item (with its milestones and measures) to a ledger."""
    unknown = set(fields) - ITEM_FIELDS
    if unknown:
        raise TypeError(f"Unknown item fields: {sorted(unknown)}")
    if actor is not None:
        # The ledger's owner adds items for any unit; a unit adds items for itself.
        j = jurisdiction_for(actor)
        _require(
            j.can_manage(ledger.owner_unit) or j.can_manage(unit),
            _("You may not add items to this ledger."),
        )
    item = LedgerItem(
        ledger=ledger,
        kind=ledger.kind,
        unit=unit,
        code=code or next_code(ledger),
        title=title,
        start_date=start_date,
        deadline=deadline,
        chain=chain,
        source_meeting=source_meeting,
        **fields,
    )
    item.full_clean()
    item.save()
    for order, spec in enumerate(milestones):
        milestone = Milestone(item=item, title=spec.title, deadline=spec.deadline, sort_order=order)
        milestone.full_clean()
        milestone.save()
    for order, text in enumerate(measure_texts):
        Measure.objects.create(item=item, text=text, sort_order=order)
    return item


@transaction.atomic
def ledger_item_update(
    *, actor: User, item: LedgerItem, expected_version: int, **changes: Any
) -> LedgerItem:
    """Change an item's fields (never its deadline: that takes an approved extension)."""
    if "deadline" in changes:
        raise ValidationError({"deadline": _("A deadline changes only through an extension.")})
    unknown = set(changes) - ITEM_FIELDS
    if unknown:
        raise TypeError(f"Unknown item fields: {sorted(unknown)}")
    _require(rules.can_update_item(actor, item), _("You may not change this item."))
    candidate = LedgerItem.objects.get(pk=item.pk)
    for name, value in changes.items():
        setattr(candidate, name, value)
    candidate.full_clean()
    values = {name: getattr(candidate, name) for name in changes}
    return _bump(item, expected_version, **values)


@transaction.atomic
def ledger_item_report_progress(
    *,
    item: LedgerItem,
    reporter: User,
    percent: int,
    text: str,
    expected_version: int,
    files: Sequence[UploadedFile] = (),
) -> ProgressReport:
    """Record a progress report; raise StaleEdit if the item changed since it was read."""
    _require(rules.can_update_item(reporter, item), _("You may not report on this item."))
    if item.status not in (*OPEN_STATUSES, ItemStatus.COMPLETED):
        raise ValidationError(_("Progress can only be reported on an open item."))
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": _("Progress is a percentage from 0 to 100.")})
    if not text.strip():
        raise ValidationError({"text": _("Say what was done.")})
    status = item.status
    if percent == 100:
        status = ItemStatus.COMPLETED
    elif percent > 0 or status == ItemStatus.COMPLETED:
        status = ItemStatus.IN_PROGRESS
    _bump(item, expected_version, progress=percent, latest_report=text.strip(), status=status)
    report = ProgressReport.objects.create(
        item=item, reporter=reporter, percent=percent, text=text.strip()
    )
    _attach(item=item, files=files, uploader=reporter, report=report)
    return report


@transaction.atomic
def progress_report_accept(*, report: ProgressReport, reviewer: User) -> ProgressReport:
    """The campaign office accepts a pending report."""
    _require(rules.can_review_item(reviewer, report.item), _("You may not review this report."))
    claimed = ProgressReport.objects.filter(
        pk=report.pk, review_status=ReviewStatus.PENDING
    ).update(review_status=ReviewStatus.ACCEPTED, reviewed_by=reviewer, reviewed_at=timezone.now())
    if not claimed:
        raise ValidationError(_("This report has already been reviewed."))
    report.refresh_from_db()
    return report


@transaction.atomic
def progress_report_return(
    *, report: ProgressReport, reviewer: User, reason: str
) -> ProgressReport:
    """Return a report with a reason; the item's progress falls back to the last report
    still standing."""
    _require(rules.can_review_item(reviewer, report.item), _("You may not review this report."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for returning it.")})
    claimed = ProgressReport.objects.filter(
        pk=report.pk, review_status=ReviewStatus.PENDING
    ).update(
        review_status=ReviewStatus.RETURNED,
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
        return_reason=reason.strip(),
    )
    if not claimed:
        raise ValidationError(_("This report has already been reviewed."))
    item = report.item
    if item.status != ItemStatus.SIGNED_OFF:
        standing = (
            ProgressReport.objects.filter(item=item)
            .exclude(review_status=ReviewStatus.RETURNED)
            .order_by("-created_at", "-pk")
            .first()
        )
        percent = standing.percent if standing else 0
        status = ItemStatus.IN_PROGRESS if percent else ItemStatus.NOT_STARTED
        if percent == 100:
            status = ItemStatus.COMPLETED
        _bump(
            item,
            None,
            progress=percent,
            status=status,
            latest_report=standing.text if standing else "",
        )
    report.refresh_from_db()
    return report


# --- sign-off -------------------------------------------------------------------------------
@transaction.atomic
def signoff_request_create(
    *,
    item: LedgerItem,
    requester: User,
    note: str,
    files: Sequence[UploadedFile],
    expected_version: int,
) -> SignOffRequest:
    """Ask for sign-off with a completion report and evidence; the item is completed."""
    _require(rules.can_update_item(requester, item), _("You may not request sign-off here."))
    if item.status not in (*OPEN_STATUSES, ItemStatus.COMPLETED):
        raise ValidationError(_("Only an open item can be signed off."))
    if not note.strip():
        raise ValidationError({"note": _("Describe what was completed.")})
    if not files:
        raise ValidationError({"files": _("Attach at least one piece of evidence.")})
    if SignOffRequest.objects.filter(item=item, status=ReviewStatus.PENDING).exists():
        raise ValidationError(_("A sign-off request for this item is already waiting."))
    _bump(item, expected_version, status=ItemStatus.COMPLETED, progress=100)
    request = SignOffRequest.objects.create(item=item, requested_by=requester, note=note.strip())
    _attach(item=item, files=files, uploader=requester, signoff=request)
    return request


def _claim(request: SignOffRequest, verifier: User, **values: Any) -> None:
    claimed = SignOffRequest.objects.filter(pk=request.pk, status=ReviewStatus.PENDING).update(
        decided_by=verifier, decided_at=timezone.now(), **values
    )
    if not claimed:
        raise ValidationError(_("This request has already been decided."))


@transaction.atomic
def signoff_approve(*, request: SignOffRequest, verifier: User) -> LedgerItem:
    """Verify the request: the item is signed off with who and when."""
    _require(rules.can_verify_signoff(verifier, request), _("You may not verify this request."))
    _claim(request, verifier, status=ReviewStatus.ACCEPTED)
    return _bump(
        request.item,
        None,
        status=ItemStatus.SIGNED_OFF,
        progress=100,
        signed_off_at=timezone.now(),
        signed_off_by=verifier,
    )


@transaction.atomic
def signoff_return(*, request: SignOffRequest, verifier: User, reason: str) -> LedgerItem:
    """Return the request with a reason; the item is reopened (in progress)."""
    _require(rules.can_verify_signoff(verifier, request), _("You may not verify this request."))
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for returning it.")})
    _claim(request, verifier, status=ReviewStatus.RETURNED, reason=reason.strip())
    return _bump(request.item, None, status=ItemStatus.IN_PROGRESS)


# --- extensions -----------------------------------------------------------------------------
@transaction.atomic
def extension_request_create(
    *,
    item: LedgerItem,
    requester: User,
    reason: str,
    new_deadline: date,
    today: date | None = None,
) -> ExtensionRequest:
    """Ask, before the deadline, to move it to ``new_deadline``."""
    today = today or timezone.localdate()
    _require(rules.can_update_item(requester, item), _("You may not ask to extend this item."))
    if item.status not in OPEN_STATUSES:
        raise ValidationError(_("Only an open item can be extended."))
    if today > item.deadline:
        raise ValidationError(_("An extension must be asked for before the deadline passes."))
    if new_deadline <= item.deadline:
        raise ValidationError(
            {"new_deadline": _("The new deadline must be after the current one.")}
        )
    if not reason.strip():
        raise ValidationError({"reason": _("Give the reason for the extension.")})
    if ExtensionRequest.objects.filter(item=item, status=ExtensionStatus.PENDING).exists():
        raise ValidationError(_("An extension request for this item is already waiting."))
    return ExtensionRequest.objects.create(
        item=item,
        requested_by=requester,
        reason=reason.strip(),
        old_deadline=item.deadline,
        new_deadline=new_deadline,
    )


def _decide(request: ExtensionRequest, approver: User, status: str, note: str) -> None:
    _require(rules.can_review_item(approver, request.item), _("You may not decide this request."))
    claimed = ExtensionRequest.objects.filter(pk=request.pk, status=ExtensionStatus.PENDING).update(
        status=status, decided_by=approver, decided_at=timezone.now(), decision_note=note
    )
    if not claimed:
        raise ValidationError(_("This request has already been decided."))


@transaction.atomic
def extension_approve(*, request: ExtensionRequest, approver: User, note: str = "") -> LedgerItem:
    """Approve: the item's deadline moves to the requested date (recorded in history)."""
    _decide(request, approver, ExtensionStatus.APPROVED, note.strip())
    return _bump(request.item, None, deadline=request.new_deadline)


@transaction.atomic
def extension_refuse(*, request: ExtensionRequest, approver: User, note: str) -> ExtensionRequest:
    """Refuse with a reason; the deadline stays."""
    if not note.strip():
        raise ValidationError({"note": _("Give the reason for refusing.")})
    _decide(request, approver, ExtensionStatus.REFUSED, note.strip())
    request.refresh_from_db()
    return request


# --- review meetings ------------------------------------------------------------------------
@dataclass
class DecisionSpec:
    """A decision (议定事项) of a meeting, to become a ledger item."""

    ledger: Ledger
    unit: Unit
    title: str
    deadline: date
    chain: ResponsibilityChain | None = None
    measures: str = ""
    milestones: list[MilestoneSpec] = field(default_factory=list)


@transaction.atomic
def meeting_create(
    *,
    actor: User | None,
    campaign: Campaign,
    kind: str,
    title: str,
    date: date,
    host_unit: Unit,
    chair: User,
    attending_units: Iterable[Unit] = (),
    minutes: str = "",
    decisions: Sequence[DecisionSpec] = (),
) -> ReviewMeeting:
    """Record a meeting and turn its decisions into ledger items, all or nothing."""
    require_manage(actor, host_unit)
    meeting = ReviewMeeting(
        campaign=campaign,
        kind=kind,
        title=title,
        date=date,
        host_unit=host_unit,
        chair=chair,
        minutes=minutes,
    )
    meeting.full_clean()
    meeting.save()
    meeting.attending_units.set(list(attending_units))
    for decision in decisions:
        if decision.ledger.campaign_id != campaign.pk:
            raise ValidationError(_("A decision's ledger must belong to the meeting's campaign."))
        ledger_item_create(
            actor=actor,
            ledger=decision.ledger,
            unit=decision.unit,
            title=decision.title,
            start_date=date,
            deadline=decision.deadline,
            chain=decision.chain,
            measures=decision.measures,
            milestones=decision.milestones,
            source_meeting=meeting,
            status=ItemStatus.NOT_STARTED,
        )
    return meeting
