"""Writes on assessments: activating a scheme, moving a round through its statuses, entering
scores in bulk, recording deductions, filing and deciding appeals, and releasing deductions
when an exemption (容错免责) is approved.

Each service asks :mod:`assessments.rules` (PermissionDenied with a reason in words),
validates its input (ValidationError in words) and runs in one transaction. Every write on a
round locks the round's row first and checks its status on the locked row, so a write racing
the publication either lands before it or is refused after it: **a published (or archived)
round is frozen**, and every service here refuses to change anything of it.

Appeals are filed and decided while the round is **under review**, on or before the round's
last day for appeals: an upheld appeal reverses its deduction before the results are
published, so the published results already count it, and nothing published changes
afterwards. The reversed deduction and the appeal both stay on record (with their history).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from accountability.models import Exemption, ExemptionStatus, Notice
from accounts.models import Unit, User
from campaign.models import Campaign
from tasks_ledger.models import TEXT_MAX, TITLE_MAX, LedgerItem
from tasks_ledger.services import checked_text, evidence_validate

from . import rules
from .models import (
    Appeal,
    AppealStatus,
    CategoryMember,
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    EvidenceFile,
    Grade,
    Indicator,
    Round,
    RoundKind,
    RoundStatus,
    Scheme,
    SchemeStatus,
    ScoreEntry,
    Source,
)
from .results import round_compute
from .selectors import forget_published_ranking

#: One score to enter: the unit, the indicator, the points and a comment.
ScoreSpec = tuple[Unit, Indicator, Any, str]


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise PermissionDenied(message)


def _lock_round(round_: Round) -> Round:
    """The round's row, locked until the transaction ends, with what the rules read."""
    return (
        Round.objects.select_for_update(of=("self",))
        .select_related("scheme__campaign__owner_unit")
        .get(pk=round_.pk)
    )


def _refuse_frozen(round_: Round) -> None:
    if round_.frozen:
        raise ValidationError(
            _("The round %(round)s is published; nothing of it changes any more.")
            % {"round": round_}
        )


def _refused_status(round_: Round) -> ValidationError:
    return ValidationError(
        _("The round is %(status)s now; this cannot be done.")
        % {"status": round_.get_status_display()}
    )


def _assessed_unit_ids(scheme: Scheme) -> set[int]:
    return set(CategoryMember.objects.filter(scheme=scheme).values_list("unit_id", flat=True))


def _points(value: Any) -> Decimal:
    try:
        points = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError({"points": _("Enter the points as a number.")}) from exc
    if not points.is_finite():
        raise ValidationError({"points": _("Enter the points as a number.")})
    return points.quantize(Decimal("0.01"))


# --- schemes ---------------------------------------------------------------------------------
@transaction.atomic
def scheme_activate(*, scheme: Scheme, actor: User) -> Scheme:
    """Put a draft scheme in use: its four weights total 100, it has indicators (one at least
    for every source with a weight), and its grade bands ask more of a better grade."""
    scheme = (
        Scheme.objects.select_for_update(of=("self",))
        .select_related("campaign__owner_unit")
        .get(pk=scheme.pk)
    )
    _require(
        rules.can_manage_scheme(actor, scheme),
        _("Only the assessment office over the campaign manages its schemes."),
    )
    if scheme.status != SchemeStatus.DRAFT:
        raise ValidationError(_("The scheme is in use already."))
    errors: list[str] = []
    if scheme.weights_total != 100:
        errors.append(
            _("The four weights add up to %(total)s, not 100.") % {"total": scheme.weights_total}
        )
    sources = set(scheme.indicators.values_list("source", flat=True))
    if not sources:
        errors.append(_("Add at least one indicator."))
    else:
        errors += [
            _("%(source)s has a weight but no indicator.") % {"source": Source(source).label}
            for source in Source.values
            if scheme.weight_of(source) > 0 and source not in sources
        ]
    bands = sorted(scheme.bands.all(), key=lambda band: Grade.rank_of(band.grade))
    errors += [
        _("%(better)s needs a higher lowest total than %(worse)s.")
        % {"better": better.get_grade_display(), "worse": worse.get_grade_display()}
        for better, worse in itertools.pairwise(bands)
        if better.min_total <= worse.min_total
    ]
    if errors:
        raise ValidationError(errors)
    scheme.status = SchemeStatus.IN_USE
    scheme.save(update_fields=["status"])
    return scheme


# --- rounds ----------------------------------------------------------------------------------
def _locked_in(round_: Round, actor: User, status: str) -> Round:
    """The round, locked, run by the actor and in ``status``."""
    round_ = _lock_round(round_)
    _require(
        rules.can_manage_round(actor, round_),
        _("Only the assessment office over the campaign runs its rounds."),
    )
    if status != RoundStatus.PUBLISHED:
        _refuse_frozen(round_)
    if round_.status != status:
        raise _refused_status(round_)
    return round_


def _move(round_: Round, actor: User, source: str, target: str) -> Round:
    round_ = _locked_in(round_, actor, source)
    round_.status = target
    round_.save(update_fields=["status"])
    return round_


@transaction.atomic
def round_open_scoring(*, round_: Round, actor: User) -> Round:
    """A draft round starts being scored; its scheme must be in use (read with the locked
    round; refused, the transaction rolls the move back)."""
    round_ = _move(round_, actor, RoundStatus.DRAFT, RoundStatus.SCORING)
    if round_.scheme.status != SchemeStatus.IN_USE:
        raise ValidationError(_("Put the scheme in use before scoring a round."))
    return round_


@transaction.atomic
def round_to_review(*, round_: Round, actor: User) -> Round:
    """Scoring ends; the round is reviewed (and appealed against) before publication."""
    return _move(round_, actor, RoundStatus.SCORING, RoundStatus.REVIEW)


@transaction.atomic
def round_publish(*, round_: Round, actor: User) -> Round:
    """Compute every result of a reviewed round and publish it, frozen from then on, with the
    campaign's next circular issue number (第N期), all in one transaction. Refused while an
    appeal awaits a decision (once published, it could no longer be decided). The campaign's row
    is locked while numbering, so two rounds published at once get consecutive numbers."""
    round_ = _locked_in(round_, actor, RoundStatus.REVIEW)
    pending = Appeal.objects.filter(deduction__round=round_, status=AppealStatus.PENDING)
    if pending.exists():
        raise ValidationError(
            _("Appeals awaiting a decision: %(count)d. Decide them before publishing.")
            % {"count": pending.count()}
        )
    campaign = Campaign.objects.select_for_update().get(pk=round_.scheme.campaign_id)
    round_compute(round_=round_)
    latest = Round.objects.filter(scheme__campaign=campaign).aggregate(
        latest=Max("circular_issue")
    )["latest"]
    round_.status = RoundStatus.PUBLISHED
    round_.published_at, round_.published_by = timezone.now(), actor
    round_.circular_issue = (latest or 0) + 1
    round_.save(update_fields=["status", "published_at", "published_by", "circular_issue"])
    forget_published_ranking(round_.pk)
    return round_


@transaction.atomic
def round_archive(*, round_: Round, actor: User) -> Round:
    """A published round is archived (still frozen); its cached ranking, which shows its
    status, is forgotten."""
    round_ = _move(round_, actor, RoundStatus.PUBLISHED, RoundStatus.ARCHIVED)
    forget_published_ranking(round_.pk)
    return round_


def _set_public(round_: Round, actor: User, public: bool) -> Round:
    """Show or hide the round on the public ranking (a publication setting: allowed in any
    status, shown only once the round is published)."""
    round_ = _lock_round(round_)
    _require(
        rules.can_manage_round(actor, round_),
        _("Only the assessment office over the campaign runs its rounds."),
    )
    if round_.public != public:
        round_.public = public
        round_.save(update_fields=["public"])
        forget_published_ranking(round_.pk)
    return round_


@transaction.atomic
def round_show_publicly(*, round_: Round, actor: User) -> Round:
    """Show the round's grades and tiers on the public ranking once it is published (公开晾晒)."""
    return _set_public(round_, actor, True)


@transaction.atomic
def round_hide_publicly(*, round_: Round, actor: User) -> Round:
    """Take the round off the public ranking."""
    return _set_public(round_, actor, False)


# --- scores ----------------------------------------------------------------------------------
@transaction.atomic
def scores_enter(*, round_: Round, actor: User, entries: Sequence[ScoreSpec]) -> int:
    """Enter (or correct) scores in bulk, one per unit and indicator; all or nothing. Refused
    when the round is not being scored, an indicator is of another scheme, a unit is not
    assessed in the scheme, or points are below 0 or above the indicator's maximum. Returns
    how many scores were written."""
    round_ = _lock_round(round_)
    _refuse_frozen(round_)
    if round_.status != RoundStatus.SCORING:
        raise ValidationError(_("Scores are entered while the round is being scored."))
    # The office enters every source's scores; a third-party evaluator over the campaign
    # the third-party indicators only (rules.importable_sources).
    _require(
        rules.can_import_scores(actor, round_),
        _("Only the assessment office over the campaign enters scores."),
    )
    sources = rules.importable_sources(actor, round_)
    assessed = _assessed_unit_ids(round_.scheme)
    errors: list[str] = []
    rows: dict[tuple[int, int], ScoreEntry] = {}
    for line, (unit, indicator, value, comment) in enumerate(entries, start=1):
        where = {"line": line, "unit": unit, "indicator": indicator}
        try:
            points = _points(value)
        except ValidationError:
            errors.append(_("Line %(line)d (%(unit)s, %(indicator)s): not a number.") % where)
            continue
        if indicator.scheme_id != round_.scheme_id:
            errors.append(
                _("Line %(line)d: %(indicator)s is not an indicator of this scheme.") % where
            )
        elif indicator.source not in sources:
            errors.append(
                _("Line %(line)d: %(indicator)s is not scored by third-party evaluators.") % where
            )
        elif unit.pk not in assessed:
            errors.append(_("Line %(line)d: %(unit)s is not assessed in this scheme.") % where)
        elif points < 0 or points > indicator.max_points:
            errors.append(
                _("Line %(line)d (%(unit)s, %(indicator)s): points go from 0 to %(max)s.")
                % {**where, "max": indicator.max_points}
            )
        elif (unit.pk, indicator.pk) in rows:
            errors.append(
                _("Line %(line)d: %(unit)s already has a score for %(indicator)s above.") % where
            )
        elif len(comment or "") > TEXT_MAX:
            errors.append(
                _("Line %(line)d: keep the comment to %(limit)d characters.")
                % {**where, "limit": TEXT_MAX}
            )
        else:
            rows[unit.pk, indicator.pk] = ScoreEntry(
                round=round_,
                unit=unit,
                indicator=indicator,
                points=points,
                comment=(comment or "").strip(),
                assessor=actor,
            )
    if errors:
        raise ValidationError(errors)
    ScoreEntry.objects.bulk_create(
        rows.values(),
        update_conflicts=True,
        unique_fields=["round", "unit", "indicator"],
        update_fields=["points", "comment", "assessor", "entered_at"],
    )
    return len(rows)


# --- deductions ------------------------------------------------------------------------------
@transaction.atomic
def deduction_record(
    *,
    round_: Round,
    actor: User,
    unit: Unit,
    indicator: Indicator,
    points: Any,
    reason: str,
    origin: str,
    notice: Notice | None = None,
    item: LedgerItem | None = None,
) -> Deduction:
    """Take points off a unit's indicator in a round being scored or reviewed, with the
    reason and where it came from (a notice or an overdue ledger item names it)."""
    round_ = _lock_round(round_)
    _refuse_frozen(round_)
    _require(
        rules.can_record_deduction(actor, round_),
        _("Only the assessment office records deductions, while the round is scored or reviewed."),
    )
    if origin not in DeductionOrigin.values:
        raise ValidationError({"origin": _("Choose where the deduction comes from.")})
    if indicator.scheme_id != round_.scheme_id:
        raise ValidationError({"indicator": _("Choose an indicator of this round's scheme.")})
    if unit.pk not in _assessed_unit_ids(round_.scheme):
        raise ValidationError(
            {"unit": _("%(unit)s is not assessed in this scheme.") % {"unit": unit}}
        )
    amount = _points(points)
    if amount <= 0 or amount > indicator.max_points:
        raise ValidationError(
            {
                "points": _("A deduction takes off more than 0 and at most %(max)s points.")
                % {"max": indicator.max_points}
            }
        )
    campaign_id = round_.scheme.campaign_id
    if origin == DeductionOrigin.NOTICE and notice is None:
        raise ValidationError({"notice": _("Choose the notice the deduction comes from.")})
    if origin == DeductionOrigin.OVERDUE_ITEM and item is None:
        raise ValidationError({"item": _("Choose the overdue ledger item.")})
    if notice is not None and (
        notice.campaign_id != campaign_id or notice.target_unit_id != unit.pk
    ):
        raise ValidationError({"notice": _("The notice is not one sent to this unit.")})
    if item is not None and (item.unit_id != unit.pk or item.ledger.campaign_id != campaign_id):
        raise ValidationError({"item": _("The ledger item is not one of this unit's.")})
    return Deduction.objects.create(
        round=round_,
        unit=unit,
        indicator=indicator,
        points=amount,
        reason=checked_text(reason, "reason", TEXT_MAX, _("Give the reason for the deduction.")),
        origin=origin,
        notice=notice,
        item=item,
        recorded_by=actor,
    )


# --- appeals ---------------------------------------------------------------------------------
def _pending_message() -> str:
    return _("This deduction already has an appeal awaiting a decision.")


@transaction.atomic
def appeal_file(
    *, deduction: Deduction, actor: User, reasons: str, today: date | None = None
) -> Appeal:
    """The unit's side appeals a standing deduction while the round is under review, on or
    before the round's last day for appeals; one appeal at a time per deduction."""
    today = today or timezone.localdate()
    round_ = _lock_round(deduction.round)
    deduction = (
        Deduction.objects.select_for_update(of=("self",))
        .select_related("unit")
        .get(pk=deduction.pk)
    )
    deduction.round = round_
    _refuse_frozen(round_)
    if round_.status != RoundStatus.REVIEW:
        raise ValidationError(_("Appeals are filed while the round is under review."))
    if round_.appeal_until is None or today > round_.appeal_until:
        raise ValidationError(
            _("The window for appeals is closed.")
            if round_.appeal_until is None
            else _("Appeals closed on %(date)s.")
            % {"date": date_format(round_.appeal_until, "DATE_FORMAT")}
        )
    if deduction.status != DeductionStatus.STANDING:
        raise ValidationError(_("The deduction has been reversed already."))
    if deduction.appeals.filter(status=AppealStatus.PENDING).exists():
        raise ValidationError(_pending_message())
    _require(
        rules.can_file_appeal(actor, deduction, today),
        _("Only %(unit)s (or a unit above it) appeals its deductions.") % {"unit": deduction.unit},
    )
    text = checked_text(reasons, "reasons", TEXT_MAX, _("Say why the deduction is wrong."))
    try:
        with transaction.atomic():
            return Appeal.objects.create(deduction=deduction, reasons=text, filed_by=actor)
    except IntegrityError as exc:
        raise ValidationError(_pending_message()) from exc


@transaction.atomic
def appeal_file_with_evidence(*, files: Sequence[UploadedFile] = (), **fields: Any) -> Appeal:
    """:func:`appeal_file` and the appeal's evidence, all or nothing."""
    appeal = appeal_file(**fields)
    evidence_store(actor=fields["actor"], files=files, appeal=appeal)
    return appeal


@transaction.atomic
def appeal_decide(*, appeal: Appeal, actor: User, upheld: bool, reason: str) -> Appeal:
    """The office upholds or rejects a pending appeal, with its reason, while the round is
    under review. Upheld, the deduction is reversed in the same transaction; the appeal and
    the reversed deduction both stay on record."""
    round_ = _lock_round(appeal.deduction.round)
    deduction = Deduction.objects.select_for_update(of=("self",)).get(pk=appeal.deduction_id)
    appeal = Appeal.objects.select_for_update(of=("self",)).get(pk=appeal.pk)
    deduction.round, appeal.deduction = round_, deduction
    _refuse_frozen(round_)
    if round_.status != RoundStatus.REVIEW:
        raise ValidationError(_("Appeals are decided while the round is under review."))
    if appeal.status != AppealStatus.PENDING:
        raise ValidationError(
            _("The appeal is %(status)s already.") % {"status": appeal.get_status_display()}
        )
    _require(
        rules.can_decide_appeal(actor, appeal),
        _("Only the assessment office over the campaign decides appeals."),
    )
    text = checked_text(reason, "decision_reason", TEXT_MAX, _("Give the reason for the decision."))
    now = timezone.now()
    appeal.status = AppealStatus.UPHELD if upheld else AppealStatus.REJECTED
    appeal.decided_by, appeal.decided_at, appeal.decision_reason = actor, now, text
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    if upheld and deduction.status == DeductionStatus.STANDING:
        deduction.status = DeductionStatus.REVERSED
        deduction.reversed_reason = _("Appeal upheld: %(reason)s") % {"reason": text}
        deduction.reversed_at = now
        deduction.save(update_fields=["status", "reversed_reason", "reversed_at"])
    return appeal


# --- exemptions ------------------------------------------------------------------------------
@transaction.atomic
def deductions_release(*, exemption: Exemption) -> int:
    """Reverse the standing deductions of the exemption's unit whose notice or ledger item is
    the exemption's matter, in the campaign's rounds that are not frozen; return how many.
    Called when an exemption is approved (the approval is the permission); deductions of
    published rounds stay as published."""
    exemption = Exemption.objects.get(pk=exemption.pk)
    if exemption.status != ExemptionStatus.APPROVED:
        raise ValidationError(_("Only an approved exemption releases deductions."))
    matter = (
        {"notice_id": exemption.notice_id}
        if exemption.notice_id is not None
        else {"item_id": exemption.item_id}
    )
    rounds = list(
        Round.objects.select_for_update(of=("self",))
        .filter(scheme__campaign_id=exemption.campaign_id)
        .exclude(status__in=[RoundStatus.PUBLISHED, RoundStatus.ARCHIVED])
        .values_list("pk", flat=True)
    )
    released: Iterable[Deduction] = Deduction.objects.select_for_update(of=("self",)).filter(
        round__in=rounds, unit_id=exemption.unit_id, status=DeductionStatus.STANDING, **matter
    )
    pks = [deduction.pk for deduction in released]
    return Deduction.objects.filter(pk__in=pks).update(
        status=DeductionStatus.REVERSED,
        reversed_reason=_("Released by the approved exemption (容错免责) for this matter."),
        reversed_at=timezone.now(),
    )


def release_on_exemption(exemption: Exemption) -> None:
    """:data:`accountability.services.EXEMPTION_APPROVED` hook: release the deductions."""
    deductions_release(exemption=exemption)


# --- the office's workspace pages (helper B1): new rounds, evidence, one score at a time -------
@transaction.atomic
def round_create(
    *,
    scheme: Scheme,
    actor: User,
    kind: str,
    quarter: int | None,
    title: str,
    period_start: date,
    period_end: date,
    appeal_until: date | None = None,
) -> Round:
    """Open a draft quarterly or annual round under a scheme: a quarterly round names its
    quarter (an annual one none), its period is in order, its last day for appeals comes
    after the period, and the scheme has no round for that period yet."""
    scheme = (
        Scheme.objects.select_for_update(of=("self",))
        .select_related("campaign__owner_unit")
        .get(pk=scheme.pk)
    )
    _require(
        rules.can_manage_scheme(actor, scheme),
        _("Only the assessment office over the campaign manages its schemes."),
    )
    errors: dict[str, str] = {}
    if kind not in RoundKind.values:
        errors["kind"] = _("Choose quarterly or annual.")
    elif kind == RoundKind.QUARTERLY and quarter not in (1, 2, 3, 4):
        errors["quarter"] = _("Choose the quarter (1 to 4) of a quarterly round.")
    elif kind == RoundKind.ANNUAL:
        quarter = None
    if period_end < period_start:
        errors["period_end"] = _("The period ends before it starts.")
    elif appeal_until is not None and appeal_until < period_end:
        errors["appeal_until"] = _("The last day for appeals comes after the period ends.")
    text = checked_text(title, "title", TITLE_MAX, _("Give the round a title."))
    if not errors and Round.objects.filter(scheme=scheme, kind=kind, quarter=quarter).exists():
        errors["quarter" if quarter else "kind"] = _(
            "The scheme already has a round for this period."
        )
    if errors:
        raise ValidationError(errors)
    return Round.objects.create(
        scheme=scheme,
        kind=kind,
        quarter=quarter,
        title=text,
        period_start=period_start,
        period_end=period_end,
        appeal_until=appeal_until,
    )


def evidence_store(
    *, actor: User, files: Sequence[UploadedFile], **owner: Any
) -> list[EvidenceFile]:
    """Store ``files`` as the evidence of their one owner (``score=``, ``deduction=``,
    ``appeal=`` or ``submission=``), after checking every one of them (type and size,
    :func:`tasks_ledger.services.evidence_validate`): all their problems at once, under
    ``files``, and nothing stored. The caller's service has checked who may add them."""
    problems: list[str] = []
    content_types: list[str] = []
    for upload in files:
        try:
            content_types.append(evidence_validate(upload))
        except ValidationError as exc:
            problems.extend(exc.messages)
    if problems:
        raise ValidationError({"files": problems})
    return EvidenceFile.objects.bulk_create(
        EvidenceFile(
            **owner,
            file=upload,
            original_name=upload.name or "",
            content_type=content_type,
            size=upload.size or 0,
            uploaded_by=actor,
        )
        for upload, content_type in zip(files, content_types, strict=True)
    )


@transaction.atomic
def evidence_attach(
    *,
    actor: User,
    files: Sequence[UploadedFile],
    score: ScoreEntry | None = None,
    deduction: Deduction | None = None,
) -> list[EvidenceFile]:
    """Attach checked files (type and size, :func:`tasks_ledger.services.evidence_validate`)
    to a score while its round is scored, or to a deduction while it may be recorded; by
    the office, never once the round is frozen."""
    owner = score if score is not None else deduction
    if owner is None or (score is not None and deduction is not None):
        raise ValueError("evidence belongs to a score or a deduction")
    round_ = _lock_round(owner.round)
    _refuse_frozen(round_)
    if score is not None:
        _require(
            rules.can_enter_scores(actor, round_),
            _("Only the assessment office adds evidence to scores, while the round is scored."),
        )
    else:
        _require(
            rules.can_record_deduction(actor, round_),
            _(
                "Only the assessment office adds evidence to deductions, while the round is "
                "scored or reviewed."
            ),
        )
    return evidence_store(actor=actor, files=files, score=score, deduction=deduction)


@transaction.atomic
def score_update(
    *,
    entry: ScoreEntry,
    actor: User,
    points: Any,
    comment: str,
    files: Sequence[UploadedFile] = (),
) -> ScoreEntry:
    """Correct one score (points and comment) and add evidence to it, all or nothing, through
    :func:`scores_enter`. A score computed from the ledger is not typed in."""
    entry = ScoreEntry.objects.select_related("round", "unit", "indicator").get(pk=entry.pk)
    if entry.indicator.metric:
        raise ValidationError(
            {"points": _("This score is computed from the unit's ledger; it is not typed in.")}
        )
    comment = checked_text(comment, "comment", TEXT_MAX)
    scores_enter(
        round_=entry.round, actor=actor, entries=[(entry.unit, entry.indicator, points, comment)]
    )
    entry.refresh_from_db()
    evidence_attach(actor=actor, files=files, score=entry)
    return entry


@transaction.atomic
def deduction_record_with_evidence(
    *, files: Sequence[UploadedFile] = (), **fields: Any
) -> Deduction:
    """:func:`deduction_record` and its evidence, all or nothing."""
    deduction = deduction_record(**fields)
    evidence_attach(actor=fields["actor"], files=files, deduction=deduction)
    return deduction
