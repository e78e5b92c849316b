"""Import jobs: the steps the pages and the API take, one function each.

1. :func:`import_job_create` refuses a bad file (nothing stored), counts the sheet's rows by a
   streaming pass, finds its header row and suggests a field for each column (the ledger's
   saved mapping first), stores the file under a random name and starts the check.
2. :func:`import_job_columns` and :func:`import_field_choices` are the mapping step: each
   column with its suggested and chosen field, and the fields a column may fill.
3. :func:`import_job_remap` takes the clerk's mapping, numbering and duplicates choice, keeps
   the mapping for the ledger's next upload, and checks again.
4. :func:`import_job_result` is the check's (or the apply's) outcome as JSON-ready data.
5. :func:`import_job_request_apply` writes every row through the services in one
   transaction, or nothing (:func:`import_job_apply`).

A check or apply of more than ``LEDGER_IMPORT_ASYNC_ROWS`` rows runs in the Celery worker
(enqueued on commit) while the page shows its progress; smaller ones run in the request.
Progress goes to the cache: the apply's transaction hides the job row's own counts from other
connections until it commits.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pghistory
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.jurisdiction import jurisdiction_for
from accounts.models import User

from .. import rules, services, tasks
from ..models import (
    ImportDuplicates,
    ImportJob,
    ImportMapping,
    ImportNumbering,
    ImportStatus,
    Ledger,
)
from .checking import CheckResult, Problem, Progress, RowPlan, check_workbook, read_columns
from .mapping import IGNORED_BY_DEFAULT, SheetColumn, concept_of, import_fields
from .parsing import normalise
from .safety import ImportRefused, count_rows, inspect_upload

logger = logging.getLogger(__name__)

PROGRESS_EVERY = 50  # rows between two progress reports
LISTED_PROBLEM_ROWS = 1000  # rows with problems listed in the result (the count covers all)
RUNNING = (ImportStatus.CHECKING, ImportStatus.APPLYING)


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


def _require_uploader(job: ImportJob, actor: User) -> None:
    if job.created_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who uploaded the file may change its import."))


# --- progress --------------------------------------------------------------------------------
def progress_key(job_id: int) -> str:
    """Cache key of a running job's row count (the transaction hides the row's own)."""
    return f"ledger-import:{job_id}:done"


def job_progress(job: ImportJob) -> int:
    """Rows done so far by a checking or applying job."""
    done = cache.get(progress_key(job.pk))
    return int(done) if done is not None else job.processed_rows


def phase_key(job_id: int) -> str:
    """Cache key of what an applying job is doing: "check" (the rows once more) or "write"."""
    return f"ledger-import:{job_id}:phase"


def job_phase(job: ImportJob) -> str:
    """What a running job is doing: "check" (a check, or an apply checking once more before
    it writes) or "write"."""
    if job.status == ImportStatus.CHECKING:
        return "check"
    return str(cache.get(phase_key(job.pk)) or "write")


def _set_phase(job: ImportJob, phase: str) -> None:
    cache.set_many({phase_key(job.pk): phase, progress_key(job.pk): 0}, timeout=3600)


def _reporter(job: ImportJob) -> Progress:
    def report(done: int) -> None:
        if done % PROGRESS_EVERY == 0:
            cache.set(progress_key(job.pk), done, timeout=3600)

    return report


def runs_in_worker(job: ImportJob) -> bool:
    """Whether the job's sheet is long enough to be checked and applied by the worker."""
    return job.total_rows > settings.LEDGER_IMPORT_ASYNC_ROWS


# --- 1. create ----------------------------------------------------------------------------------
def _saved_mapping(ledger: Ledger) -> dict[str, str]:
    mapping = ImportMapping.objects.filter(ledger=ledger).first()
    return dict(mapping.columns) if mapping else {}


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
    inspect_upload(upload)
    assert upload.file is not None
    rows = count_rows(upload.file)
    header_row, columns = read_columns(upload.file, kind=ledger.kind, saved=_saved_mapping(ledger))
    upload.file.seek(0)
    job = ImportJob(
        ledger=ledger,
        created_by=actor,
        original_name=(upload.name or "")[:255],
        size=upload.size or 0,
        language=translation.get_language() or settings.LANGUAGE_CODE,
        status=ImportStatus.CHECKING,
        # The rows below the header (title rows and the header itself are counted too).
        total_rows=max(rows - (header_row or 0), 0),
        header_row=header_row,
        columns=[c.as_dict() for c in columns],
    )
    job.file.save("upload.xlsx", upload, save=False)
    job.save()
    _start_check(job)
    return job


def _start_check(job: ImportJob) -> None:
    """Check in the request, or in the worker when the sheet is long."""
    if runs_in_worker(job):
        transaction.on_commit(lambda: tasks.check_import.delay(job.pk))
    else:
        import_job_check(job=job)


# --- 2. the mapping step -----------------------------------------------------------------------
def import_field_choices(*, ledger: Ledger) -> list[dict[str, Any]]:
    """The fields a column of a sheet for ``ledger`` may fill: key, label, required, note
    (what the importer does with it), in the order the select lists them."""
    return [f.as_dict() for f in import_fields(ledger.kind)]


def import_job_columns(*, job: ImportJob) -> list[dict[str, Any]]:
    """The job's columns: ``header`` (the header text, the mapping's key), ``letter``,
    ``sample`` (the first value below), ``suggested`` (the field its name suggests, or None),
    ``field`` (the field chosen, or None for "ignore"), ``saved`` (chosen from the ledger's
    saved mapping), ``label`` and ``note`` (of the chosen field: what the importer does
    with it), ``left_out`` (a known header, such as 备注, not imported unless chosen)."""
    fields = {f.key: f for f in import_fields(job.ledger.kind)}
    columns = []
    for column in job.columns:
        chosen = fields.get(column.get("field") or "")
        columns.append(
            {
                **column,
                "label": str(chosen.label) if chosen else "",
                "note": str(chosen.note) if chosen and chosen.note else "",
                # Known words left out unless chosen (备注), unlike headers nobody knows.
                "left_out": concept_of(column.get("text") or column.get("header"))
                in IGNORED_BY_DEFAULT,
            }
        )
    return columns


def _columns(job: ImportJob) -> list[SheetColumn]:
    return [SheetColumn.from_dict(data) for data in job.columns]


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
    _require_uploader(job, actor)
    columns = _columns(job)
    valid = {f.key for f in import_fields(job.ledger.kind)}
    errors: dict[str, list[str]] = {}
    by_header = {c.header: c for c in columns}
    for header, key in (mapping or {}).items():
        column = by_header.get(header)
        if column is None:
            errors.setdefault("mapping", []).append(
                _("The sheet has no column “%(header)s”.") % {"header": header}
            )
        elif key not in (None, "") and key not in valid:
            errors.setdefault("mapping", []).append(
                _("“%(field)s” is not a field of this ledger (column “%(header)s”).")
                % {"field": key, "header": header}
            )
        else:
            column.field = key or None
            column.saved = False
    if numbering is not None and numbering not in ("", *ImportNumbering.values):
        errors["numbering"] = [_("Choose “item” or “row”.")]
    if duplicates is not None and duplicates not in ImportDuplicates.values:
        errors["duplicates"] = [_("Choose “skip” or “add”.")]
    if not columns:
        errors.setdefault("mapping", []).append(
            _("No header row was found, so there are no columns to choose for.")
        )
    if errors:
        raise ValidationError(errors)
    changes: dict[str, Any] = {
        "columns": [c.as_dict() for c in columns],
        "status": ImportStatus.CHECKING,
        "errors": [],
        "plan": {},
        "message": "",
        "finished_at": None,
        "processed_rows": 0,
    }
    if numbering is not None:
        changes["numbering"] = numbering
    if duplicates is not None:
        changes["duplicates"] = duplicates
    claimed = ImportJob.objects.filter(
        pk=job.pk, status__in=(ImportStatus.CHECKED, ImportStatus.FAILED), created_count=0
    ).exclude(file="")
    if not claimed.update(**changes):
        raise ValidationError(
            _("This import is being checked or written, or is done: upload the file again.")
        )
    job.refresh_from_db()
    _keep_mapping(job, columns, actor)
    _start_check(job)
    return job


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
def _check(job: ImportJob, *, keep_all: bool, progress: Progress) -> CheckResult:
    with job.file.open("rb") as fileobj:
        return check_workbook(
            fileobj,
            ledger=job.ledger,
            user=job.created_by,
            columns=_columns(job),
            header_row=job.header_row,
            numbering=job.numbering,
            add_duplicates=job.duplicates == ImportDuplicates.ADD,
            keep_all=keep_all,
            progress=progress,
        )


def import_job_check(*, job: ImportJob) -> ImportJob:
    """Check the job's file; store its problems and plan (the preview). Writes no item."""
    with translation.override(job.language):
        try:
            result = _check(job, keep_all=False, progress=_reporter(job))
        except ImportRefused as exc:
            return _finish(job, ImportStatus.FAILED, message=exc.message)
        if not result.rows and not result.problems and not sum(result.counts.values()):
            result.problems.append(Problem(None, "", _("The sheet has no rows to import.")))
        job.errors = [p.as_dict() for p in result.problems]
        job.plan = _plan_json(job, result)
        job.total_rows = result.total_rows
        job.processed_rows = result.total_rows
        job.status = ImportStatus.CHECKED
        job.save(update_fields=["errors", "plan", "total_rows", "processed_rows", "status"])
        cache.delete(progress_key(job.pk))
    return job


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
    """Where the job stands, as JSON-ready data: ``status``, ``message``, ``progress``
    ({done, total}), ``columns`` (:func:`import_job_columns`), ``numbering`` (chosen,
    applied, suggested, and the counts behind the suggestion), ``duplicates``, ``counts``
    (create, update, unchanged, duplicate, examples, problems, rows), ``problems`` (of the
    whole file), ``rows`` (the first rows planned, each with its action, fields and warnings,
    and every row with problems, each with its ``problems``), ``warnings``, ``defaults``
    (what a missing field became), ``unknown`` (values not found, by field), ``can_apply``,
    and once applied ``created`` and ``updated``."""
    plan = job.plan or {}
    running = job.status in RUNNING
    by_row: dict[int, list[dict[str, str]]] = {}
    whole: list[dict[str, str]] = []
    for problem in job.errors:
        entry = {"column": problem.get("column", ""), "message": problem.get("message", "")}
        if problem.get("row") is None:
            whole.append(entry)
        else:
            by_row.setdefault(problem["row"], []).append(entry)
    rows = [{**row, "problems": by_row.pop(row["row"], [])} for row in plan.get("rows", [])]
    for number in sorted(by_row)[:LISTED_PROBLEM_ROWS]:
        rows.append({"row": number, "action": "problem", "problems": by_row[number]})
    rows.sort(key=lambda r: r["row"])
    numbering = plan.get("numbering", {})
    return {
        "id": job.pk,
        "ledger": {"id": job.ledger_id, "title": job.ledger.title},
        "file_name": job.original_name,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "message": job.message,
        "progress": {
            "done": job_progress(job) if running else job.processed_rows,
            "total": job.total_rows,
        },
        "header_row": job.header_row,
        "columns": import_job_columns(job=job),
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
            "rows": job.total_rows,
            "create": plan.get("create", 0),
            "update": plan.get("update", 0),
            "unchanged": plan.get("unchanged", 0),
            "duplicate": plan.get("duplicate", 0),
            "examples": plan.get("examples", 0),
            "problems": len(job.errors),
        },
        "problems": whole,
        "rows": rows,
        "warnings": plan.get("warnings", []),
        "defaults": plan.get("defaults", []),
        "unknown": plan.get("unknown", []),
        "can_apply": job.can_apply,
        "created": job.created_count,
        "updated": job.updated_count,
    }


# --- 5. applying -------------------------------------------------------------------------------
def import_job_start_apply(*, job: ImportJob, actor: User) -> bool:
    """Claim a checked, clean job for applying; False if it was not (anymore) applicable."""
    _require_uploader(job, actor)
    claimed = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.CHECKED, errors=[]).update(
        status=ImportStatus.APPLYING, processed_rows=0
    )
    job.refresh_from_db()
    return bool(claimed)


def import_job_request_apply(*, job: ImportJob, actor: User) -> ImportJob:
    """Apply a clean preview: here for a short sheet, else in the worker (on commit).

    Raises ``ValidationError`` when the job is not a clean, checked preview (anymore), and
    ``PermissionDenied`` for anyone but the uploader.
    """
    if not import_job_start_apply(job=job, actor=actor):
        raise ValidationError(
            _("This import cannot be applied: it has problems, is running, or is done.")
        )
    if runs_in_worker(job):
        transaction.on_commit(lambda: tasks.apply_import.delay(job.pk))
        return job
    return import_job_apply(job=job)


class _Abort(Exception):
    """Leave the transaction: the problems say why; nothing is kept."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


def import_job_apply(*, job: ImportJob) -> ImportJob:
    """Check the file again and write every row through the services in one transaction;
    on any problem nothing is written and the job fails with the problems listed. History
    names the job and the person who uploaded it (``import_job`` and ``user`` in the
    context of every event), in the request or in the worker."""
    actor = job.created_by
    progress = _reporter(job)
    with translation.override(job.language):
        try:
            # The uploader, also when the worker applies a long sheet (no request says who).
            context = pghistory.context(import_job=job.pk, user=job.created_by_id)
            with transaction.atomic(), context:
                _set_phase(job, "check")
                result = _check(job, keep_all=True, progress=progress)
                if result.problems:
                    raise _Abort(result.problems)
                _set_phase(job, "write")
                created, updated = _apply_rows(job, result, actor, progress)
                job.created_count, job.updated_count = created, updated
                job.processed_rows = result.total_rows
                _finish(job, ImportStatus.APPLIED)
        except _Abort as abort:
            job.errors = [p.as_dict() for p in abort.problems]
            return _finish(
                job,
                ImportStatus.FAILED,
                message=_("Nothing was saved: the rows below could not be written."),
            )
        except ImportRefused as exc:
            return _finish(job, ImportStatus.FAILED, message=exc.message)
        finally:
            cache.delete_many([progress_key(job.pk), phase_key(job.pk)])
    return job


def _no_progress(done: int) -> None:
    return None


def _finish(job: ImportJob, status: str, *, message: str = "") -> ImportJob:
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    job.save()
    return job


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
        raise _Abort(problems)
    return created, updated


def ledger_items_bulk_create(
    *,
    actor: User,
    ledger: Ledger,
    plans: Sequence[RowPlan],
    progress: Progress = _no_progress,
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
    """Delete uploaded workbooks older than ``keep_days``; return how many were deleted.

    The jobs stay (who imported what, and how it went); only their files go. A preview that
    was never applied is closed as failed ("expired") so it can no longer be applied. Jobs
    being checked or applied are left alone. Each job is claimed with a conditional UPDATE,
    so two sweeps running at once delete each file once.
    """
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    finished = (ImportStatus.APPLIED, ImportStatus.FAILED, ImportStatus.CHECKED)
    stale = ImportJob.objects.filter(created_at__lt=cutoff, status__in=finished).exclude(file="")
    purged = 0
    for job in stale.only("pk", "file", "status").iterator():
        name = job.file.name or ""
        changes: dict[str, Any] = {"file": ""}
        if job.status == ImportStatus.CHECKED:
            changes.update(
                status=ImportStatus.FAILED,
                message=_("The uploaded file expired before it was applied."),
                finished_at=timezone.now(),
            )
        if ImportJob.objects.filter(pk=job.pk, file=name, status=job.status).update(**changes):
            job.file.storage.delete(name)
            purged += 1
    return purged
