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
from django.db import IntegrityError, transaction
from django.db.models import F, IntegerField, Max
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.jurisdiction import require_manage
from accounts.models import Unit, User
from campaign.models import Campaign, ResponsibilityChain, TaskForce

from . import lights, rules
from .models import (
    OPEN_STATUSES,
    REPORT_MAX,
    STATUS_CHANGE_TARGET,
    TEXT_MAX,
    Area,
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    ItemStatus,
    Ledger,
    LedgerItem,
    LightPolicy,
    Measure,
    Milestone,
    ProgressReport,
    ReviewMeeting,
    ReviewStatus,
    SignOffRequest,
    StatusChange,
    StatusChangeRequest,
    date_outside_campaign,
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


def _create_pending(model: type[Any], message: str, **values: Any) -> Any:
    """Create a request that may wait only once per item (``message`` when one waits).
    Two people asking at the same moment both pass the check; the database's unique
    constraint stops the later one, who reads ``message`` too."""
    # Every request kind spells "waiting" the same way ("pending").
    if model.objects.filter(item=values["item"], status=ReviewStatus.PENDING).exists():
        raise ValidationError(message)
    try:
        with transaction.atomic():
            return model.objects.create(**values)
    except IntegrityError as exc:
        raise ValidationError(message) from exc


def checked_text(value: str, field: str, limit: int, missing: str | None = None) -> str:
    """``value`` stripped; refused when empty (if ``missing`` says so) or over ``limit``."""
    text = (value or "").strip()
    if missing is not None and not text:
        raise ValidationError({field: missing})
    if len(text) > limit:
        raise ValidationError(
            {
                field: _("Keep this to %(limit)d characters (it has %(count)d).")
                % {"limit": limit, "count": len(text)}
            }
        )
    return text


def _in_campaign(value: date | None, campaign: Campaign, field: str) -> None:
    problem = date_outside_campaign(value, campaign)
    if problem:
        raise ValidationError({field: problem})


def reviews_progress(item: LedgerItem) -> bool:
    """Whether the item's campaign has the office review progress reports (the default)."""
    policy = LightPolicy.objects.filter(campaign_id=item.ledger.campaign_id).first()
    return policy.review_progress if policy else True


def status_for_progress(percent: int, current: str) -> str:
    """The status accepted progress gives an open item: 0 not started, 100 completed."""
    if current not in (*OPEN_STATUSES, ItemStatus.COMPLETED):
        return current  # signed off, suspended, cancelled: progress does not reopen it
    if percent >= 100:
        return ItemStatus.COMPLETED
    return ItemStatus.IN_PROGRESS if percent > 0 else ItemStatus.NOT_STARTED


def _pending_percent(item: LedgerItem) -> int | None:
    """The newest report still waiting for review, if any."""
    return (
        ProgressReport.objects.filter(item=item, review_status=ReviewStatus.PENDING)
        .order_by("-created_at", "-pk")
        .values_list("percent", flat=True)
        .first()
    )


def _bump(item: LedgerItem, expected_version: int | None, **values: Any) -> LedgerItem:
    """Write ``values`` if the item is still at ``expected_version`` (None: any version)."""
    rows = LedgerItem.objects.filter(pk=item.pk)
    if expected_version is not None:
        rows = rows.filter(version=expected_version)
    updated = rows.update(version=F("version") + 1, updated_at=timezone.now(), **values)
    if not updated:
        raise StaleEdit(LedgerItem.objects.get(pk=item.pk))
    # Status, progress, dates: any of them may move the stored light (and the counts).
    lights.lights_refresh(items=LedgerItem.objects.filter(pk=item.pk))
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


# What a unit edits on an item (a deadline moves only by extension; status, progress and the
# sign-off fields only through the reviewed workflows below).
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
    }
)
# Where a new item stands. Only the office over the unit (or the system, seeding) may create
# an item further along than "not started": a unit's own word is a report to review.
STATE_FIELDS = frozenset({"status", "progress", "latest_report"})
# A snapshot's own record (the demo's dated history): only the system itself (actor None)
# writes these on creation.
SYSTEM_FIELDS = frozenset(
    {
        "signed_off_at",
        "signed_off_by",
        "pending_progress",
        "signoff_pending",
        "progress_accepted_on",
        "created_at",
        "updated_at",
    }
)


@dataclass
class NewItem:
    """One item to add through :func:`ledger_items_bulk_create`."""

    unit: Unit
    title: str
    start_date: date
    deadline: date | None  # None: a long-term item (长期坚持)
    code: str = ""
    chain: ResponsibilityChain | None = None
    source_meeting: ReviewMeeting | None = None
    milestones: Sequence[MilestoneSpec] = ()
    measure_texts: Sequence[str] = ()
    fields: dict[str, Any] = field(default_factory=dict)


CREATE_BATCH = 500


def _new_item(actor: User | None, ledger: Ledger, spec: NewItem, code: str) -> LedgerItem:
    """Check one new item as the page would and return it unsaved (no query: relations are
    loaded by the caller)."""
    # The title and chain are the spec's own attributes, never repeated among its fields.
    own = ITEM_FIELDS - {"title", "chain"}
    allowed = own | STATE_FIELDS | (SYSTEM_FIELDS if actor is None else frozenset())
    unknown = set(spec.fields) - allowed
    if unknown:
        raise TypeError(f"Unknown item fields: {sorted(unknown)}")
    if actor is not None:
        _require(
            rules.can_create_item(actor, ledger, spec.unit),
            _("You may not add items of %(unit)s to this ledger.") % {"unit": spec.unit},
        )
    values = dict(spec.fields)
    state = {key: values.pop(key) for key in STATE_FIELDS & set(values)}
    status = state.get("status") or ItemStatus.NOT_STARTED
    progress = state.get("progress") or 0
    if status == ItemStatus.SIGNED_OFF and actor is not None:
        raise ValidationError(
            {"status": _("A new item cannot be signed off: sign-off is requested and verified.")}
        )
    trusted = actor is None or rules.is_office_over(actor, spec.unit)
    if not trusted and (status != ItemStatus.NOT_STARTED or progress):
        raise ValidationError(
            {
                "status": _(
                    "A new item starts as not started; report its progress once it is added, "
                    "and the campaign office reviews it."
                )
            }
        )
    item = LedgerItem(
        ledger=ledger,
        kind=ledger.kind,
        unit=spec.unit,
        code=code,
        title=spec.title,
        start_date=spec.start_date,
        deadline=spec.deadline,
        chain=spec.chain,
        source_meeting=spec.source_meeting,
        status=status,
        progress=progress,
        latest_report=state.get("latest_report") or "",
        **values,
    )
    # Field checks and clean() (dates in order and within the campaign, chain of the same
    # campaign); numbers are checked for the whole batch at once below.
    item.full_clean(
        exclude=["ledger", "unit", "chain", "source_meeting", "signed_off_by", "code"],
        validate_unique=False,
        validate_constraints=False,
    )
    for spec_milestone in spec.milestones:
        _in_campaign(spec_milestone.deadline, ledger.campaign, "milestones")
    return item


@transaction.atomic
def ledger_items_bulk_create(
    *, actor: User | None, ledger: Ledger, specs: Sequence[NewItem], progress: Any = None
) -> list[LedgerItem]:
    """Add items (with their milestones and measures) to a ledger, all or none.

    The one write path for new items: the page, the API, meetings, the Excel import and
    the demo all come here, so they pass the same checks (who may add, the model's field
    checks and ``clean()``, numbers unique in the batch and the ledger, a unit's own item
    starting as not started). Rows are written 500 per INSERT; the history triggers record
    each one with the caller's context. ``progress(n)`` is told how many rows are written.
    """
    taken = set(
        LedgerItem.objects.filter(
            ledger=ledger, code__in=[spec.code for spec in specs if spec.code]
        ).values_list("code", flat=True)
    )
    if taken:
        raise ValidationError(
            {
                "code": _("This ledger already has items numbered %(codes)s.")
                % {"codes": "、".join(sorted(taken))}
            }
        )
    given = [spec.code for spec in specs if spec.code]
    if len(given) != len(set(given)):
        raise ValidationError({"code": _("Two new items have the same number.")})
    number = int(next_code(ledger)) if any(not spec.code for spec in specs) else 0
    used = set(given)
    items: list[LedgerItem] = []
    for spec in specs:
        code = spec.code
        if not code:
            while str(number) in used:
                number += 1
            code = str(number)
            used.add(code)
        items.append(_new_item(actor, ledger, spec, code))
    for start in range(0, len(items), CREATE_BATCH):
        LedgerItem.objects.bulk_create(items[start : start + CREATE_BATCH])
        # The new rows' stored light, tab and area order, in one statement per batch.
        lights.lights_refresh(
            items=LedgerItem.objects.filter(
                pk__in=[item.pk for item in items[start : start + CREATE_BATCH]]
            )
        )
        if progress is not None:
            progress(min(start + CREATE_BATCH, len(items)))
    Milestone.objects.bulk_create(
        [
            Milestone(item=item, title=m.title, deadline=m.deadline, sort_order=order)
            for item, spec in zip(items, specs, strict=True)
            for order, m in enumerate(spec.milestones)
        ],
        batch_size=CREATE_BATCH,
    )
    Measure.objects.bulk_create(
        [
            Measure(item=item, text=text, sort_order=order)
            for item, spec in zip(items, specs, strict=True)
            for order, text in enumerate(spec.measure_texts)
        ],
        batch_size=CREATE_BATCH,
    )
    return items


def ledger_item_check(*, actor: User | None, ledger: Ledger, spec: NewItem) -> None:
    """Raise what :func:`ledger_items_bulk_create` would refuse of ``spec``, writing
    nothing (for a form that wants its errors before it saves: the admin's)."""
    if spec.code and LedgerItem.objects.filter(ledger=ledger, code=spec.code).exists():
        raise ValidationError(
            {"code": _("This ledger already has items numbered %(codes)s.") % {"codes": spec.code}}
        )
    _new_item(actor, ledger, spec, spec.code or "0")


def ledger_item_create(
    *,
    actor: User | None,
    ledger: Ledger,
    unit: Unit,
    title: str,
    start_date: date,
    deadline: date | None,
    code: str = "",
    chain: ResponsibilityChain | None = None,
    milestones: Sequence[MilestoneSpec] = (),
    measure_texts: Sequence[str] = (),
    source_meeting: ReviewMeeting | None = None,
    **fields: Any,
) -> LedgerItem:
    """Add one item (with its milestones and measures) to a ledger: a batch of one."""
    spec = NewItem(
        unit=unit,
        title=title,
        start_date=start_date,
        deadline=deadline,
        code=code,
        chain=chain,
        source_meeting=source_meeting,
        milestones=milestones,
        measure_texts=measure_texts,
        fields=fields,
    )
    return ledger_items_bulk_create(actor=actor, ledger=ledger, specs=[spec])[0]


@transaction.atomic
def ledger_item_update(
    *, actor: User, item: LedgerItem, expected_version: int, **changes: Any
) -> LedgerItem:
    """Change an item's own fields (never its deadline, status or progress: those move
    through an approved extension, reviewed progress, sign-off or a status request)."""
    if "deadline" in changes:
        raise ValidationError({"deadline": _("A deadline changes only through an extension.")})
    owned = STATE_FIELDS & set(changes)
    if owned:
        raise ValidationError(
            {
                name: _(
                    "Status and progress change only through a progress report that the office "
                    "accepts, a verified sign-off, or a suspension or cancellation request."
                )
                for name in sorted(owned)
            }
        )
    unknown = set(changes) - ITEM_FIELDS
    if unknown:
        raise TypeError(f"Unknown item fields: {sorted(unknown)}")
    _require(rules.can_update_item(actor, item), _("You may not change this item."))
    candidate = LedgerItem.objects.select_related("ledger__campaign").get(pk=item.pk)
    for name, value in changes.items():
        setattr(candidate, name, value)
    candidate.full_clean()
    values = {name: getattr(candidate, name) for name in changes}
    return _bump(item, expected_version, **values)


# --- progress ---------------------------------------------------------------------------------
@transaction.atomic
def ledger_item_report_progress(
    *,
    item: LedgerItem,
    reporter: User,
    percent: int,
    text: str,
    expected_version: int,
    files: Sequence[UploadedFile] = (),
    lower_reason: str = "",
) -> ProgressReport:
    """Record a progress report; raise StaleEdit if the item changed since it was read.

    Under review (the default), the report waits for the office and the item only shows it
    as reported: its progress, status and light stay at the last accepted figure. Without
    review (``LightPolicy.review_progress`` off) the report counts at once. Lowering the
    figure below the accepted one needs a reason.
    """
    _require(rules.can_update_item(reporter, item), _("You may not report on this item."))
    current = LedgerItem.objects.get(pk=item.pk)
    if current.version != expected_version:
        # Said before anything else: the rest is judged against what the reporter saw.
        raise StaleEdit(current)
    if item.status not in (*OPEN_STATUSES, ItemStatus.COMPLETED):
        raise ValidationError(_("Progress can only be reported on an open item."))
    if not 0 <= percent <= 100:
        raise ValidationError({"percent": _("Progress is a percentage from 0 to 100.")})
    text = checked_text(text, "text", REPORT_MAX, _("Say what was done."))
    lower_reason = checked_text(lower_reason, "lower_reason", REPORT_MAX)
    if percent < item.progress and not lower_reason:
        raise ValidationError(
            {
                "lower_reason": _(
                    "Progress accepted so far is %(accepted)d%%: say why it goes down to "
                    "%(percent)d%%."
                )
                % {"accepted": item.progress, "percent": percent}
            }
        )
    report = ProgressReport(
        item=item,
        reporter=reporter,
        percent=percent,
        text=text,
        previous_percent=item.progress,
        lower_reason=lower_reason,
    )
    if reviews_progress(item):
        _bump(item, expected_version, pending_progress=percent)
        report.save()
    else:
        _bump(
            item,
            expected_version,
            progress=percent,
            latest_report=text,
            status=status_for_progress(percent, item.status),
            progress_accepted_on=timezone.localdate(),
        )
        report.review_status = ReviewStatus.ACCEPTED
        report.reviewed_at = timezone.now()
        report.save()
    _attach(item=item, files=files, uploader=reporter, report=report)
    return report


@transaction.atomic
def progress_report_accept(*, report: ProgressReport, reviewer: User) -> ProgressReport:
    """The campaign office accepts a pending report: its figure becomes the item's progress
    (unless a newer report was accepted already) and moves the light."""
    _require(rules.can_review_item(reviewer, report.item), _("You may not review this report."))
    claimed = ProgressReport.objects.filter(
        pk=report.pk, review_status=ReviewStatus.PENDING
    ).update(review_status=ReviewStatus.ACCEPTED, reviewed_by=reviewer, reviewed_at=timezone.now())
    if not claimed:
        raise ValidationError(_("This report has already been reviewed."))
    report.refresh_from_db()
    item = LedgerItem.objects.get(pk=report.item_id)
    newer_accepted = (
        ProgressReport.objects.filter(item=item, review_status=ReviewStatus.ACCEPTED)
        .filter(created_at__gt=report.created_at)
        .exists()
    )
    if not newer_accepted and report.percent < item.progress and not report.lower_reason:
        # Reports decided out of order: this one was a rise when made, a fall now.
        raise ValidationError(
            _(
                "Accepted progress is now %(accepted)d%%; this report of %(percent)d%% would "
                "lower it without a reason. Return it so the unit can report again."
            )
            % {"accepted": item.progress, "percent": report.percent}
        )
    values: dict[str, Any] = {
        "pending_progress": _pending_percent(item),
        "progress_accepted_on": timezone.localdate(),
    }
    if not newer_accepted and item.status in (*OPEN_STATUSES, ItemStatus.COMPLETED):
        values.update(
            progress=report.percent,
            latest_report=report.text,
            status=status_for_progress(report.percent, item.status),
        )
    _bump(item, None, **values)
    return report


@transaction.atomic
def progress_report_return(
    *, report: ProgressReport, reviewer: User, reason: str
) -> ProgressReport:
    """Return a report with a reason; it never moved the item, which keeps its figure."""
    _require(rules.can_review_item(reviewer, report.item), _("You may not review this report."))
    reason = checked_text(reason, "reason", REPORT_MAX, _("Give the reason for returning it."))
    claimed = ProgressReport.objects.filter(
        pk=report.pk, review_status=ReviewStatus.PENDING
    ).update(
        review_status=ReviewStatus.RETURNED,
        reviewed_by=reviewer,
        reviewed_at=timezone.now(),
        return_reason=reason,
    )
    if not claimed:
        raise ValidationError(_("This report has already been reviewed."))
    _bump(report.item, None, pending_progress=_pending_percent(report.item))
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
    """Ask for sign-off with a completion report and evidence. The item stays as it was
    (status, progress, light), marked as waiting for verification."""
    _require(rules.can_update_item(requester, item), _("You may not request sign-off here."))
    if item.status not in (*OPEN_STATUSES, ItemStatus.COMPLETED):
        raise ValidationError(_("Only an open item can be signed off."))
    note = checked_text(note, "note", REPORT_MAX, _("Describe what was completed."))
    if not files:
        raise ValidationError({"files": _("Attach at least one piece of evidence.")})
    waiting = _("A sign-off request for this item is already waiting.")
    if SignOffRequest.objects.filter(item=item, status=ReviewStatus.PENDING).exists():
        raise ValidationError(waiting)  # before the item is marked
    _bump(item, expected_version, signoff_pending=True)
    request = _create_pending(SignOffRequest, waiting, item=item, requested_by=requester, note=note)
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
    """Verify the request: the item is signed off (100 %, green) with who and when."""
    _require(rules.can_verify_signoff(verifier, request), _("You may not verify this request."))
    # Claimed first, so a request a colleague decided meanwhile says so; a refusal below
    # rolls the claim back with the rest of the transaction.
    _claim(request, verifier, status=ReviewStatus.ACCEPTED)
    if request.item.status not in (*OPEN_STATUSES, ItemStatus.COMPLETED):
        raise ValidationError(
            _("The item is %(status)s now; return the request instead.")
            % {"status": request.item.get_status_display()}
        )
    _close_waiting(request.item, verifier)
    return _bump(
        request.item,
        None,
        status=ItemStatus.SIGNED_OFF,
        progress=100,
        signed_off_at=timezone.now(),
        signed_off_by=verifier,
        signoff_pending=False,
        pending_progress=None,
    )


def _close_waiting(item: LedgerItem, decider: User) -> None:
    """A signed-off item takes no more reports or requests: those still waiting are closed
    with the reason, so no queue keeps offering a decision nobody can make."""
    now = timezone.now()
    why = _("The item was signed off; this no longer needs a decision.")
    ProgressReport.objects.filter(item=item, review_status=ReviewStatus.PENDING).update(
        review_status=ReviewStatus.RETURNED, reviewed_by=decider, reviewed_at=now, return_reason=why
    )
    for model in (ExtensionRequest, StatusChangeRequest):
        model.objects.filter(item=item, status=ExtensionStatus.PENDING).update(
            status=ExtensionStatus.REFUSED, decided_by=decider, decided_at=now, decision_note=why
        )


@transaction.atomic
def signoff_return(*, request: SignOffRequest, verifier: User, reason: str) -> LedgerItem:
    """Return the request with a reason; the item stays exactly as it was."""
    _require(rules.can_verify_signoff(verifier, request), _("You may not verify this request."))
    reason = checked_text(reason, "reason", REPORT_MAX, _("Give the reason for returning it."))
    _claim(request, verifier, status=ReviewStatus.RETURNED, reason=reason)
    return _bump(request.item, None, signoff_pending=False)


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
    if item.deadline is None:
        raise ValidationError(
            _("A long-term item has no deadline to extend; report its progress instead.")
        )
    if today > item.deadline:
        raise ValidationError(_("An extension must be asked for before the deadline passes."))
    if new_deadline <= item.deadline:
        raise ValidationError(
            {"new_deadline": _("The new deadline must be after the current one.")}
        )
    _in_campaign(new_deadline, item.ledger.campaign, "new_deadline")
    reason = checked_text(reason, "reason", REPORT_MAX, _("Give the reason for the extension."))
    return _create_pending(
        ExtensionRequest,
        _("An extension request for this item is already waiting."),
        item=item,
        requested_by=requester,
        reason=reason,
        old_deadline=item.deadline,
        new_deadline=new_deadline,
    )


def _decide(
    model: type[ExtensionRequest] | type[StatusChangeRequest],
    request: ExtensionRequest | StatusChangeRequest,
    approver: User,
    status: str,
    note: str,
) -> None:
    _require(rules.can_review_item(approver, request.item), _("You may not decide this request."))
    claimed = model.objects.filter(pk=request.pk, status=ExtensionStatus.PENDING).update(
        status=status, decided_by=approver, decided_at=timezone.now(), decision_note=note
    )
    if not claimed:
        raise ValidationError(_("This request has already been decided."))


@transaction.atomic
def extension_approve(*, request: ExtensionRequest, approver: User, note: str = "") -> LedgerItem:
    """Approve: the item's deadline moves to the requested date (recorded in history)."""
    note = checked_text(note, "note", REPORT_MAX)
    _decide(ExtensionRequest, request, approver, ExtensionStatus.APPROVED, note)
    return _bump(request.item, None, deadline=request.new_deadline)


@transaction.atomic
def extension_refuse(*, request: ExtensionRequest, approver: User, note: str) -> ExtensionRequest:
    """Refuse with a reason; the deadline stays."""
    note = checked_text(note, "note", REPORT_MAX, _("Give the reason for refusing."))
    _decide(ExtensionRequest, request, approver, ExtensionStatus.REFUSED, note)
    request.refresh_from_db()
    return request


# --- suspension, cancellation, resumption ----------------------------------------------------
# Which statuses each change may start from.
STATUS_CHANGE_FROM = {
    StatusChange.SUSPEND: (*OPEN_STATUSES, ItemStatus.COMPLETED),
    StatusChange.CANCEL: (*OPEN_STATUSES, ItemStatus.COMPLETED, ItemStatus.SUSPENDED),
    StatusChange.RESUME: (ItemStatus.SUSPENDED,),
}


def _check_change_allowed(item: LedgerItem, change: str) -> None:
    if item.status not in STATUS_CHANGE_FROM[StatusChange(change)]:
        raise ValidationError(
            {
                "change": _("An item that is %(status)s cannot be %(change)s.")
                % {
                    "status": item.get_status_display(),
                    "change": StatusChange(change).label,
                }
            }
        )


@transaction.atomic
def status_change_request_create(
    *, item: LedgerItem, requester: User, change: str, reason: str
) -> StatusChangeRequest:
    """Ask the office to suspend, cancel or resume an item, with a reason. Nothing changes
    on the item until the office approves."""
    _require(
        rules.can_update_item(requester, item),
        _("You may not ask to change the status of this item."),
    )
    if change not in StatusChange.values:
        raise ValidationError({"change": _("Choose suspend, cancel or resume.")})
    _check_change_allowed(item, change)
    reason = checked_text(reason, "reason", REPORT_MAX, _("Give the reason for the request."))
    return _create_pending(
        StatusChangeRequest,
        _("A suspension or cancellation request for this item is already waiting."),
        item=item,
        requested_by=requester,
        change=change,
        reason=reason,
    )


@transaction.atomic
def status_change_approve(
    *, request: StatusChangeRequest, approver: User, note: str = ""
) -> LedgerItem:
    """Approve: the item is suspended or cancelled (no light), or resumed where it stood."""
    note = checked_text(note, "note", REPORT_MAX)
    item = LedgerItem.objects.get(pk=request.item_id)
    _check_change_allowed(item, request.change)
    _decide(StatusChangeRequest, request, approver, ExtensionStatus.APPROVED, note)
    if request.change == StatusChange.RESUME:
        status = status_for_progress(item.progress, ItemStatus.IN_PROGRESS)
    else:
        status = STATUS_CHANGE_TARGET[StatusChange(request.change)]
    return _bump(item, None, status=status)


@transaction.atomic
def status_change_refuse(
    *, request: StatusChangeRequest, approver: User, note: str
) -> StatusChangeRequest:
    """Refuse with a reason; the item stays as it is."""
    note = checked_text(note, "note", REPORT_MAX, _("Give the reason for refusing."))
    _decide(StatusChangeRequest, request, approver, ExtensionStatus.REFUSED, note)
    request.refresh_from_db()
    return request


# --- review meetings ------------------------------------------------------------------------
@dataclass
class DecisionSpec:
    """A decision (议定事项) of a meeting, to become a ledger item."""

    ledger: Ledger
    unit: Unit
    title: str
    deadline: date | None  # None: a standing measure (长期坚持)
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
    """Record a meeting and turn its decisions into ledger items, all or nothing. Only the
    campaign office over the host unit records meetings."""
    if actor is not None:
        _require(
            rules.can_record_meeting(actor, host_unit),
            _("Only the campaign office records review meetings."),
        )
    _in_campaign(date, campaign, "date")
    meeting = ReviewMeeting(
        campaign=campaign,
        kind=kind,
        title=title,
        date=date,
        host_unit=host_unit,
        chair=chair,
        minutes=checked_text(minutes, "minutes", TEXT_MAX),
    )
    meeting.full_clean()
    meeting.save()
    meeting.attending_units.set(list(attending_units))
    by_ledger: dict[int, tuple[Ledger, list[NewItem]]] = {}
    for number, decision in enumerate(decisions, 1):
        if decision.ledger.campaign_id != campaign.pk:
            raise ValidationError(
                _("Decision %(number)d: its ledger must belong to the meeting's campaign.")
                % {"number": number}
            )
        by_ledger.setdefault(decision.ledger.pk, (decision.ledger, []))[1].append(
            NewItem(
                unit=decision.unit,
                title=decision.title,
                start_date=date,
                deadline=decision.deadline,
                chain=decision.chain,
                source_meeting=meeting,
                milestones=decision.milestones,
                fields={"measures": decision.measures},
            )
        )
    for ledger, specs in by_ledger.values():
        ledger_items_bulk_create(actor=actor, ledger=ledger, specs=specs)
    return meeting
