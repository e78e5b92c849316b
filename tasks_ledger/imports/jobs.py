"""Ledger import jobs: the steps the pages and the API take, one function each, on the
shared machinery of :mod:`workbooks.jobs` (create with the file's safety checks, the mapping
step, the check with its progress bar, the preview, the apply in one transaction or nothing,
the purge of old uploads). What is the ledger's own is here: who may import into a ledger,
its saved mapping, what 序号 means and what to do with probable duplicates, its preview,
and writing the rows through the ledger's services.

1. :func:`import_job_create` refuses a bad file (nothing stored), finds the header row and
   suggests a field for each column (the ledger's saved mapping first), stores the file and
   starts the check.
2. :func:`import_job_columns` and :func:`import_field_choices` are the mapping step.
3. :func:`import_job_remap` takes the clerk's mapping, numbering and duplicates choice, keeps
   the mapping for the ledger's next upload, and checks again.
4. :func:`import_job_result` is the check's (or the apply's) outcome as JSON-ready data.
5. :func:`import_job_request_apply` writes every row through the services in one
   transaction, or nothing (:func:`import_job_apply`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import IO, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _

from accounts.jurisdiction import jurisdiction_for
from accounts.models import User
from workbooks import jobs as shared
from workbooks.checking import CheckOutcome, Problem, Progress, no_progress
from workbooks.mapping import ImportField, SheetColumn
from workbooks.parsing import normalise

from .. import rules, services, tasks
from ..models import ImportDuplicates, ImportJob, ImportMapping, ImportNumbering, Ledger
from .checking import CheckResult, RowPlan, check_workbook, read_columns
from .mapping import IGNORED_BY_DEFAULT, concept_of, import_fields

logger = logging.getLogger(__name__)


# --- who may ---------------------------------------------------------------------------------
def import_refusal(user: User) -> str | None:
    """Why ``user`` may not import at all (a read-only account), else None."""
    if jurisdiction_for(user).is_read_only:
        return _(
            "Your account may only read ledgers: importing is for those who keep them (unit "
            "liaisons and the campaign office)."
        )
    return None


def can_import(user: User, ledger: Ledger) -> bool:
    """Whoever may add items to the ledger for some unit (rows are then checked unit by
    unit): its owner's managers, or anyone who manages a unit."""
    return rules.can_add_to_ledger(user, ledger)


def _saved_mapping(ledger: Ledger) -> dict[str, str]:
    mapping = ImportMapping.objects.filter(ledger=ledger).first()
    return dict(mapping.columns) if mapping else {}


class LedgerImporter(shared.Importer):
    """Rows into one ledger, checked for the uploader (:mod:`.checking`)."""

    model = ImportJob
    cache_prefix = "ledger-import"

    def enqueue_check(self, job_id: int) -> None:
        tasks.check_import.delay(job_id)

    def enqueue_apply(self, job_id: int) -> None:
        tasks.apply_import.delay(job_id)

    def fields(self, job: Any) -> list[ImportField]:
        return import_fields(job.ledger.kind)

    def read_columns(self, job: Any, fileobj: IO[bytes]) -> tuple[int | None, list[SheetColumn]]:
        return read_columns(fileobj, kind=job.ledger.kind, saved=_saved_mapping(job.ledger))

    def check(
        self, job: Any, fileobj: IO[bytes], *, keep_all: bool, progress: Progress
    ) -> CheckOutcome:
        return check_workbook(
            fileobj,
            ledger=job.ledger,
            user=job.created_by,
            columns=shared.sheet_columns(job),
            header_row=job.header_row,
            numbering=job.numbering,
            add_duplicates=job.duplicates == ImportDuplicates.ADD,
            keep_all=keep_all,
            progress=progress,
        )

    def plan_json(self, job: Any, result: CheckOutcome) -> dict[str, Any]:
        assert isinstance(result, CheckResult)
        return _plan_json(job, result)

    def write(self, job: Any, result: CheckOutcome, progress: Progress) -> None:
        assert isinstance(result, CheckResult)
        job.created_count, job.updated_count = _apply_rows(job, result, job.created_by, progress)

    def column_extra(self, job: Any, column: dict[str, Any]) -> dict[str, Any]:
        # Known words left out unless chosen (备注), unlike headers nobody knows.
        return {
            "left_out": concept_of(column.get("text") or column.get("header")) in IGNORED_BY_DEFAULT
        }

    def keep_mapping(self, job: Any, columns: Sequence[SheetColumn], actor: User) -> None:
        _keep_mapping(job, columns, actor)

    def result_extra(self, job: Any) -> dict[str, Any]:
        plan = job.plan or {}
        numbering = plan.get("numbering", {})
        return {
            "ledger": {"id": job.ledger_id, "title": job.ledger.title},
            "numbering": {
                "chosen": job.numbering or None,
                "applied": numbering.get("applied"),
                "suggested": numbering.get("suggested"),
                "numbered": numbering.get("numbered", 0),
                "existing": numbering.get("existing", 0),
                "matching": numbering.get("matching", 0),
            },
            "duplicates": job.duplicates,
            "counts": {
                "create": plan.get("create", 0),
                "update": plan.get("update", 0),
                "unchanged": plan.get("unchanged", 0),
                "duplicate": plan.get("duplicate", 0),
                "examples": plan.get("examples", 0),
            },
            "defaults": plan.get("defaults", []),
            "unknown": plan.get("unknown", []),
            "created": job.created_count,
            "updated": job.updated_count,
        }


LEDGER = LedgerImporter()


# --- progress --------------------------------------------------------------------------------
def progress_key(job_id: int) -> str:
    """Cache key of a running job's row count (the transaction hides the row's own)."""
    return shared.progress_key(LEDGER, job_id)


def phase_key(job_id: int) -> str:
    """Cache key of what an applying job is doing: "check" (the rows once more) or "write"."""
    return shared.phase_key(LEDGER, job_id)


def job_progress(job: ImportJob) -> int:
    """Rows done so far by a checking or applying job."""
    return shared.job_progress(LEDGER, job)


def job_phase(job: ImportJob) -> str:
    """What a running job is doing: "check" or "write"."""
    return shared.job_phase(LEDGER, job)


runs_in_worker = shared.runs_in_worker


# --- 1. create ----------------------------------------------------------------------------------
@transaction.atomic
def import_job_create(*, actor: User, ledger: Ledger, upload: UploadedFile) -> ImportJob:
    """Refuse a bad file (:class:`ImportRefused`, nothing stored) or store it under a random
    name as a job, with its header row and columns, and start checking it.

    Raises ``PermissionDenied`` when ``actor`` may not import into ``ledger``. The check runs
    here for a short sheet, else in the worker once this transaction commits.
    """
    reason = import_refusal(actor)
    if reason:
        raise PermissionDenied(reason)
    if not can_import(actor, ledger):
        raise PermissionDenied(_("You may not import into this ledger."))
    return shared.job_create(LEDGER, ImportJob(ledger=ledger, created_by=actor), upload)


# --- 2. the mapping step -----------------------------------------------------------------------
def import_field_choices(*, ledger: Ledger) -> list[dict[str, Any]]:
    """The fields a column of a sheet for ``ledger`` may fill: key, label, required, note
    (what the importer does with it), in the order the select lists them."""
    return [f.as_dict() for f in import_fields(ledger.kind)]


def import_job_columns(*, job: ImportJob) -> list[dict[str, Any]]:
    """The job's columns (:func:`workbooks.jobs.job_columns`), each also with ``left_out``
    (a known header, such as 备注, not imported unless chosen)."""
    return shared.job_columns(LEDGER, job)


@transaction.atomic
def import_job_remap(
    *,
    job: ImportJob,
    actor: User,
    mapping: dict[str, str | None] | None = None,
    numbering: str | None = None,
    duplicates: str | None = None,
) -> ImportJob:
    """Take the clerk's choices and check the file again (here, or in the worker).

    ``mapping``: header text -> field key, or None (or "") to ignore the column; headers not
    named keep their field. ``numbering``: "item" (序号 is this ledger's item number), "row"
    (the sheet's own row number: every row is new), or "" (as suggested). ``duplicates``:
    "skip" or "add" (rows matching an open item). The mapping is kept for the ledger's next
    upload. Raises ``ValidationError`` (by argument) for unknown headers, fields or choices,
    or when the job is being checked, applied or was applied; ``PermissionDenied`` for
    anyone but the uploader.
    """
    errors: dict[str, list[str]] = {}
    if numbering is not None and numbering not in ("", *ImportNumbering.values):
        errors["numbering"] = [_("Choose “item” or “row”.")]
    if duplicates is not None and duplicates not in ImportDuplicates.values:
        errors["duplicates"] = [_("Choose “skip” or “add”.")]
    changes: dict[str, Any] = {}
    if numbering is not None:
        changes["numbering"] = numbering
    if duplicates is not None:
        changes["duplicates"] = duplicates
    return shared.job_remap(LEDGER, job, actor, mapping, changes=changes, errors=errors)


def _keep_mapping(job: ImportJob, columns: Sequence[SheetColumn], actor: User) -> None:
    """Remember the clerk's choices where they differ from the suggestion, by header text."""
    mapping, _created = ImportMapping.objects.select_for_update().get_or_create(ledger=job.ledger)
    saved = dict(mapping.columns)
    for column in columns:
        key = normalise(column.header)
        if not key:
            continue
        if column.field == column.suggested:
            saved.pop(key, None)
        else:
            saved[key] = column.field or ""
    if saved != mapping.columns:
        mapping.columns = saved
        mapping.updated_by = actor
        mapping.save()


# --- checking ------------------------------------------------------------------------------------
def import_job_check(*, job: ImportJob) -> ImportJob:
    """Check the job's file; store its problems and plan (the preview). Writes no item."""
    return shared.job_check(LEDGER, job)


def _plan_json(job: ImportJob, result: CheckResult) -> dict[str, Any]:
    labels = {f.key: str(f.label) for f in import_fields(job.ledger.kind)}
    counts = result.counts
    return {
        "header_row": result.header_row,
        "create": counts["create"],
        "update": counts["update"],
        "unchanged": counts["unchanged"],
        "duplicate": counts["duplicate"],
        "examples": result.skipped_examples,
        "warnings": result.warnings,
        "defaults": result.defaults,
        "unknown": [
            {"key": key, "label": labels.get(key, key), "values": sorted(values)}
            for key, values in sorted(result.unknown.items())
        ],
        "numbering": {
            "applied": result.numbering,
            "suggested": result.numbering_suggested,
            **result.numbering_counts,
        },
        "versions": result.versions,
        "rows": [plan.as_dict() for plan in result.rows],
    }


# --- 4. the outcome -------------------------------------------------------------------------------
def import_job_result(*, job: ImportJob) -> dict[str, Any]:
    """Where the job stands (:func:`workbooks.jobs.job_result`), with the ledger's own:
    ``ledger``, ``numbering`` (chosen, applied, suggested, and the counts behind the
    suggestion), ``duplicates``, ``counts`` (create, update, unchanged, duplicate, examples),
    ``defaults`` (what a missing field became), ``unknown`` (values not found, by field),
    and once applied ``created`` and ``updated``."""
    return shared.job_result(LEDGER, job)


# --- 5. applying -------------------------------------------------------------------------------
def import_job_start_apply(*, job: ImportJob, actor: User) -> bool:
    """Claim a checked, clean job for applying; False if it was not (anymore) applicable."""
    return shared.job_start_apply(LEDGER, job, actor)


def import_job_request_apply(*, job: ImportJob, actor: User) -> ImportJob:
    """Apply a clean preview: here for a short sheet, else in the worker (on commit).

    Raises ``ValidationError`` when the job is not a clean, checked preview (anymore), and
    ``PermissionDenied`` for anyone but the uploader.
    """
    return shared.job_request_apply(LEDGER, job, actor)


def import_job_apply(*, job: ImportJob) -> ImportJob:
    """Check the file again and write every row through the services in one transaction;
    on any problem nothing is written and the job fails with the problems listed
    (:func:`workbooks.jobs.job_apply`)."""
    return shared.job_apply(LEDGER, job)


def _apply_rows(
    job: ImportJob, result: CheckResult, actor: User, progress: Progress
) -> tuple[int, int]:
    """Add the new rows in bulk, then update the others one by one through the services;
    collect every failure, then abort (the caller's transaction) if there was one."""
    versions: dict[str, int] = job.plan.get("versions", {})
    problems: list[Problem] = []
    creates = [plan for plan in result.rows if plan.action == "create"]
    updates = [plan for plan in result.rows if plan.action == "update"]
    created = updated = 0
    if creates:
        try:
            created = ledger_items_bulk_create(
                actor=actor, ledger=job.ledger, plans=creates, progress=progress
            )
        except PermissionDenied as exc:
            problems.append(Problem(None, "", str(exc)))
        except ValidationError as exc:  # e.g. a number taken meanwhile by someone else
            problems.extend(Problem(None, "", m) for m in exc.messages)
        except DatabaseError as exc:
            logger.warning("import %s: new rows refused: %s", job.pk, exc)
            problems.append(
                Problem(
                    None,
                    "",
                    _("The database refused the new items; upload the file again to check it."),
                )
            )
    for done, plan in enumerate(updates, created + 1):
        progress(done)
        try:
            _update(plan, actor, versions)
            updated += 1
        except services.StaleEdit:
            problems.append(
                Problem(
                    plan.row,
                    "",
                    _(
                        "Item %(code)s was changed by someone else after the preview; upload "
                        "the file again to see the current state."
                    )
                    % {"code": plan.code},
                )
            )
        except ValidationError as exc:
            problems.extend(Problem(plan.row, "", m) for m in exc.messages)
        except PermissionDenied as exc:
            problems.append(Problem(plan.row, "", str(exc)))
        except DatabaseError as exc:  # a constraint the checks did not foresee
            logger.warning("import %s row %s: %s", job.pk, plan.row, exc)
            problems.append(Problem(plan.row, "", _("The database refused this row.")))
    if problems:
        raise shared.Abort(problems)
    return created, updated


def ledger_items_bulk_create(
    *,
    actor: User,
    ledger: Ledger,
    plans: Sequence[RowPlan],
    progress: Progress = no_progress,
) -> int:
    """Add the checked new rows through the one bulk service; return how many were added.

    A unit's progress figure for a new row becomes a progress report waiting for review.
    """
    specs = []
    for plan in plans:
        values = dict(plan.values)
        specs.append(
            services.NewItem(
                unit=values.pop("unit"),
                chain=values.pop("chain", None),
                title=values.pop("title"),
                start_date=values.pop("start_date"),
                deadline=values.pop("deadline"),
                code=plan.code,
                measure_texts=plan.measure_texts,
                fields=values,
            )
        )
    items = services.ledger_items_bulk_create(
        actor=actor, ledger=ledger, specs=specs, progress=progress
    )
    for item, plan in zip(items, plans, strict=True):
        if plan.report is not None:
            percent, text = plan.report
            services.ledger_item_report_progress(
                item=item, reporter=actor, percent=percent, text=text, expected_version=1
            )
    return len(items)


def _update(plan: RowPlan, actor: User, versions: dict[str, int]) -> None:
    item = plan.item
    assert item is not None
    expected = versions.get(str(item.pk))
    if expected is None:  # the item appeared after the preview
        raise services.StaleEdit(item)
    if plan.changes:
        item = services.ledger_item_update(
            actor=actor, item=item, expected_version=expected, **plan.changes
        )
        expected = item.version
    if plan.report is not None:
        percent, text = plan.report
        services.ledger_item_report_progress(
            item=item, reporter=actor, percent=percent, text=text, expected_version=expected
        )


# --- keeping ------------------------------------------------------------------------------------
def import_uploads_purge(*, keep_days: int, now: datetime | None = None) -> int:
    """Delete uploaded workbooks older than ``keep_days``; return how many were deleted
    (:func:`workbooks.jobs.uploads_purge`: the jobs stay, an unapplied preview expires)."""
    return shared.uploads_purge(ImportJob, keep_days=keep_days, now=now)
