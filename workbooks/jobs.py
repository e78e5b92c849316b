"""Import jobs: the steps every importer's pages and API take, one function each.

1. :func:`job_create` refuses a bad file (nothing stored), counts the sheet's rows by a
   streaming pass, finds its header row and suggests a field for each column, stores the
   file under a random name and starts the check.
2. :func:`job_columns` is the mapping step: each column with its suggested and chosen field.
3. :func:`job_remap` takes the clerk's mapping (and the importer's own choices) and checks
   again.
4. :func:`job_result` is the check's (or the apply's) outcome as JSON-ready data.
5. :func:`job_request_apply` writes every row in one transaction, or nothing
   (:func:`job_apply`).

A check or apply of more than ``LEDGER_IMPORT_ASYNC_ROWS`` rows runs in the Celery worker
(enqueued on commit) while the page shows its progress; smaller ones run in the request.
Progress goes to the cache: the apply's transaction hides the job row's own counts from other
connections until it commits.

What differs between importers is an :class:`Importer`: its job model, its fields, how it
finds the header and checks the rows, what its preview holds and how it writes. The ledger's
is ``tasks_ledger.imports.jobs.LEDGER``, the scores' ``assessments.score_imports.SCORES``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from typing import IO, Any, ClassVar

import pghistory
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import DatabaseError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import User

from .checking import CheckOutcome, Problem, Progress
from .mapping import ImportField, SheetColumn
from .models import RUNNING, AbstractImportJob, ImportStatus
from .safety import ImportRefused, count_rows, inspect_upload

PROGRESS_EVERY = 50  # rows between two progress reports
LISTED_PROBLEM_ROWS = 1000  # rows with problems listed in the result (the count covers all)


class Abort(Exception):
    """Leave the apply's transaction: the problems say why; nothing is kept."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__(f"{len(problems)} problems")
        self.problems = problems


class Importer:
    """What one kind of import supplies; the functions of this module do the rest."""

    model: ClassVar[type[AbstractImportJob]]
    cache_prefix: ClassVar[str]  # progress keys: "<prefix>:<job id>:done"
    path: ClassVar[str] = ""  # the importer's dotted path, for workbooks.tasks

    def enqueue_check(self, job_id: int) -> None:
        """Have the worker check the job (by default :func:`workbooks.tasks.check_import`)."""
        from .tasks import check_import

        check_import.delay(self.path, job_id)

    def enqueue_apply(self, job_id: int) -> None:
        """Have the worker apply the job (by default :func:`workbooks.tasks.apply_import`)."""
        from .tasks import apply_import

        apply_import.delay(self.path, job_id)

    def fields(self, job: AbstractImportJob) -> list[ImportField]:
        """Every field a column of the job's sheet may fill, in the select's order."""
        raise NotImplementedError

    def read_columns(
        self, job: AbstractImportJob, fileobj: IO[bytes]
    ) -> tuple[int | None, list[SheetColumn]]:
        """The header row and its columns with their suggestions (and saved choices)."""
        raise NotImplementedError

    def check(
        self, job: AbstractImportJob, fileobj: IO[bytes], *, keep_all: bool, progress: Progress
    ) -> CheckOutcome:
        """Check every row through the job's mapping; nothing is written. ``keep_all``:
        keep every row's plan (to apply), not only the shown ones."""
        raise NotImplementedError

    def plan_json(self, job: AbstractImportJob, result: CheckOutcome) -> dict[str, Any]:
        """The preview kept on the job: counts and the first rows (with ``rows``)."""
        raise NotImplementedError

    def write(self, job: AbstractImportJob, result: CheckOutcome, progress: Progress) -> None:
        """Write every planned row (inside the apply's transaction); set the job's counts.
        Raise :class:`Abort` with every problem met: nothing is kept."""
        raise NotImplementedError

    def result_extra(self, job: AbstractImportJob) -> dict[str, Any]:
        """The importer's own keys of :func:`job_result` (its counts go under ``counts``)."""
        return {}

    def column_extra(self, job: AbstractImportJob, column: dict[str, Any]) -> dict[str, Any]:
        """More about one column for the mapping step (what a known but ignored header is)."""
        return {}

    def keep_mapping(
        self, job: AbstractImportJob, columns: Sequence[SheetColumn], actor: User
    ) -> None:
        """Remember the clerk's choices for the next upload (nothing by default)."""
        return None

    def empty_problem(self) -> str:
        """The problem of a sheet with no rows to import."""
        return _("The sheet has no rows to import.")


# --- progress --------------------------------------------------------------------------------
def progress_key(importer: Importer, job_id: int) -> str:
    """Cache key of a running job's row count (the transaction hides the row's own)."""
    return f"{importer.cache_prefix}:{job_id}:done"


def phase_key(importer: Importer, job_id: int) -> str:
    """Cache key of what an applying job is doing: "check" (the rows once more) or "write"."""
    return f"{importer.cache_prefix}:{job_id}:phase"


def job_progress(importer: Importer, job: AbstractImportJob) -> int:
    """Rows done so far by a checking or applying job."""
    done = cache.get(progress_key(importer, job.pk))
    return int(done) if done is not None else job.processed_rows


def job_phase(importer: Importer, job: AbstractImportJob) -> str:
    """What a running job is doing: "check" (a check, or an apply checking once more before
    it writes) or "write"."""
    if job.status == ImportStatus.CHECKING:
        return "check"
    return str(cache.get(phase_key(importer, job.pk)) or "write")


def _set_phase(importer: Importer, job: AbstractImportJob, phase: str) -> None:
    cache.set_many(
        {phase_key(importer, job.pk): phase, progress_key(importer, job.pk): 0}, timeout=3600
    )


def reporter(importer: Importer, job: AbstractImportJob) -> Progress:
    """A progress callback putting the job's rows done into the cache every few rows."""

    def report(done: int) -> None:
        if done % PROGRESS_EVERY == 0:
            cache.set(progress_key(importer, job.pk), done, timeout=3600)

    return report


def runs_in_worker(job: AbstractImportJob) -> bool:
    """Whether the job's sheet is long enough to be checked and applied by the worker."""
    return job.total_rows > settings.LEDGER_IMPORT_ASYNC_ROWS


def require_uploader(job: AbstractImportJob, actor: User) -> None:
    """Only the uploader changes a job (anyone else never even finds it)."""
    if job.created_by_id != actor.pk:
        raise PermissionDenied(_("Only the person who uploaded the file may change its import."))


# --- 1. create ----------------------------------------------------------------------------------
def job_create(importer: Importer, job: AbstractImportJob, upload: UploadedFile) -> Any:
    """Refuse a bad file (:class:`ImportRefused`, nothing stored) or store it as ``job`` (not
    saved yet: what it imports into and who uploads it are set), with its header row and
    columns, and start checking it. Call it inside a transaction, after the caller checked
    who may import."""
    inspect_upload(upload)
    assert upload.file is not None
    rows = count_rows(upload.file)
    header_row, columns = importer.read_columns(job, upload.file)
    upload.file.seek(0)
    job.original_name = (upload.name or "")[:255]
    job.size = upload.size or 0
    job.language = translation.get_language() or settings.LANGUAGE_CODE
    job.status = ImportStatus.CHECKING
    # The rows below the header (title rows and the header itself are counted too).
    job.total_rows = max(rows - (header_row or 0), 0)
    job.header_row = header_row
    job.columns = [c.as_dict() for c in columns]
    job.file.save("upload.xlsx", upload, save=False)
    job.save()
    start_check(importer, job)
    return job


def start_check(importer: Importer, job: AbstractImportJob) -> None:
    """Check in the request, or in the worker when the sheet is long."""
    if runs_in_worker(job):
        _enqueue_on_commit(importer.enqueue_check, job)
    else:
        job_check(importer, job)


def _enqueue_on_commit(enqueue: Callable[[int], None], job: AbstractImportJob) -> None:
    """Send the job to the worker once the transaction commits. With Redis down the send
    fails and is logged (``robust``), the job keeps its status, and :func:`jobs_resend` (run
    by beat) sends it again once Redis is back: the job row, not the queue, says it is due."""
    from config.celery import on_commit_robust

    on_commit_robust(partial(enqueue, job.pk), f"send job {job.pk} to the worker")


# --- 2. the mapping step -----------------------------------------------------------------------
def field_choices(importer: Importer, job: AbstractImportJob) -> list[dict[str, Any]]:
    """The fields a column may fill: key, label, required, note, in the select's order."""
    return [f.as_dict() for f in importer.fields(job)]


def job_columns(importer: Importer, job: AbstractImportJob) -> list[dict[str, Any]]:
    """The job's columns: ``header`` (the header text, the mapping's key), ``letter``,
    ``sample`` (the first value below), ``suggested`` (the field its name suggests, or None),
    ``field`` (the field chosen, or None for "ignore"), ``saved`` (chosen from a saved
    mapping), ``label`` and ``note`` (of the chosen field: what the importer does with it),
    and what the importer adds."""
    fields = {f.key: f for f in importer.fields(job)}
    columns = []
    for column in job.columns:
        chosen = fields.get(column.get("field") or "")
        columns.append(
            {
                **column,
                "label": str(chosen.label) if chosen else "",
                "note": str(chosen.note) if chosen and chosen.note else "",
                **importer.column_extra(job, column),
            }
        )
    return columns


def sheet_columns(job: AbstractImportJob) -> list[SheetColumn]:
    """The job's columns as :class:`SheetColumn`."""
    return [SheetColumn.from_dict(data) for data in job.columns]


def job_remap(
    importer: Importer,
    job: AbstractImportJob,
    actor: User,
    mapping: dict[str, str | None] | None,
    *,
    changes: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> Any:
    """Take the clerk's mapping (header text -> field key, or None or "" to ignore; headers
    not named keep their field) and the importer's own ``changes`` to the job, and check the
    file again (here, or in the worker). Raises ``ValidationError`` (by argument, with the
    importer's own ``errors``) for unknown headers or fields, or when the job is being
    checked, applied or was applied; ``PermissionDenied`` for anyone but the uploader."""
    require_uploader(job, actor)
    columns = sheet_columns(job)
    valid = {f.key for f in importer.fields(job)}
    errors = dict(errors or {})
    by_header = {c.header: c for c in columns}
    for header, key in (mapping or {}).items():
        column = by_header.get(header)
        if column is None:
            errors.setdefault("mapping", []).append(
                _("The sheet has no column “%(header)s”.") % {"header": header}
            )
        elif key not in (None, "") and key not in valid:
            errors.setdefault("mapping", []).append(
                _("“%(field)s” is not a field of this import (column “%(header)s”).")
                % {"field": key, "header": header}
            )
        else:
            column.field = key or None
            column.saved = False
    if not columns:
        errors.setdefault("mapping", []).append(
            _("No header row was found, so there are no columns to choose for.")
        )
    if errors:
        raise ValidationError(errors)
    update: dict[str, Any] = {
        **(changes or {}),
        "columns": [c.as_dict() for c in columns],
        "status": ImportStatus.CHECKING,
        "errors": [],
        "plan": {},
        "message": "",
        "finished_at": None,
        "processed_rows": 0,
    }
    claimed = importer.model._default_manager.filter(
        pk=job.pk, status__in=(ImportStatus.CHECKED, ImportStatus.FAILED)
    ).exclude(file="")
    if hasattr(job, "created_count"):  # a job that wrote rows is never checked again
        claimed = claimed.filter(**{"created_count": 0})
    if not claimed.update(**update):
        raise ValidationError(
            _("This import is being checked or written, or is done: upload the file again.")
        )
    job.refresh_from_db()
    importer.keep_mapping(job, columns, actor)
    start_check(importer, job)
    return job


# --- 3. checking ---------------------------------------------------------------------------------
def _check(
    importer: Importer, job: AbstractImportJob, *, keep_all: bool, progress: Progress
) -> CheckOutcome:
    with job.file.open("rb") as fileobj:
        return importer.check(job, fileobj, keep_all=keep_all, progress=progress)


def job_check(importer: Importer, job: AbstractImportJob) -> Any:
    """Check the job's file; store its problems and plan (the preview). Writes no row."""
    with translation.override(job.language):
        try:
            result = _check(importer, job, keep_all=False, progress=reporter(importer, job))
        except ImportRefused as exc:
            return finish(job, ImportStatus.FAILED, message=exc.message)
        if not result.total_rows and not result.problems and not sum(result.counts.values()):
            result.problems.append(Problem(None, "", importer.empty_problem()))
        job.errors = [p.as_dict() for p in result.problems]
        job.plan = importer.plan_json(job, result)
        job.total_rows = result.total_rows
        job.processed_rows = result.total_rows
        job.status = ImportStatus.CHECKED
        job.save(update_fields=["errors", "plan", "total_rows", "processed_rows", "status"])
        cache.delete(progress_key(importer, job.pk))
    return job


# --- 4. the outcome -------------------------------------------------------------------------------
def job_result(importer: Importer, job: AbstractImportJob) -> dict[str, Any]:
    """Where the job stands, as JSON-ready data: ``status``, ``message``, ``progress``
    ({done, total}), ``columns`` (:func:`job_columns`), ``counts`` (rows, problems and the
    importer's), ``problems`` (of the whole file), ``rows`` (the first rows planned, and
    every row with problems, each with its ``problems``), ``warnings``, ``can_apply``, and
    the importer's own keys."""
    plan = job.plan or {}
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
    extra = importer.result_extra(job)
    return {
        "id": job.pk,
        "file_name": job.original_name,
        "status": job.status,
        "status_label": str(job.get_status_display()),
        "message": job.message,
        "progress": {
            "done": job_progress(importer, job) if job.running else job.processed_rows,
            "total": job.total_rows,
        },
        "header_row": job.header_row,
        "columns": job_columns(importer, job),
        **extra,
        "counts": {"rows": job.total_rows, **extra.get("counts", {}), "problems": len(job.errors)},
        "problems": whole,
        "rows": rows,
        "warnings": plan.get("warnings", []),
        "can_apply": job.can_apply,
    }


# --- 5. applying -------------------------------------------------------------------------------
def job_start_apply(importer: Importer, job: AbstractImportJob, actor: User) -> bool:
    """Claim a checked, clean job for applying; False if it was not (anymore) applicable."""
    require_uploader(job, actor)
    claimed = importer.model._default_manager.filter(
        pk=job.pk, status=ImportStatus.CHECKED, errors=[]
    ).update(status=ImportStatus.APPLYING, processed_rows=0)
    job.refresh_from_db()
    return bool(claimed)


def job_request_apply(importer: Importer, job: AbstractImportJob, actor: User) -> Any:
    """Apply a clean preview: here for a short sheet, else in the worker (on commit).

    Raises ``ValidationError`` when the job is not a clean, checked preview (anymore), and
    ``PermissionDenied`` for anyone but the uploader.
    """
    if not job_start_apply(importer, job, actor):
        raise ValidationError(
            _("This import cannot be applied: it has problems, is running, or is done.")
        )
    if runs_in_worker(job):
        _enqueue_on_commit(importer.enqueue_apply, job)
        return job
    return job_apply(importer, job)


def job_apply(importer: Importer, job: AbstractImportJob) -> Any:
    """Check the file again and write every row in one transaction; on any problem nothing
    is written and the job fails with the problems listed. History names the job and the
    person who uploaded it (``import_job`` and ``user`` in the context of every event), in
    the request or in the worker."""
    progress = reporter(importer, job)
    with translation.override(job.language):
        try:
            # The uploader, also when the worker applies a long sheet (no request says who).
            context = pghistory.context(import_job=job.pk, user=job.created_by_id)
            with transaction.atomic(), context:
                _set_phase(importer, job, "check")
                result = _check(importer, job, keep_all=True, progress=progress)
                if result.problems:
                    raise Abort(result.problems)
                _set_phase(importer, job, "write")
                importer.write(job, result, progress)
                job.processed_rows = result.total_rows
                finish(job, ImportStatus.APPLIED)
        except Abort as abort:
            job.errors = [p.as_dict() for p in abort.problems]
            return finish(
                job,
                ImportStatus.FAILED,
                message=_("Nothing was saved: the rows below could not be written."),
            )
        except ImportRefused as exc:
            return finish(job, ImportStatus.FAILED, message=exc.message)
        finally:
            cache.delete_many([progress_key(importer, job.pk), phase_key(importer, job.pk)])
    return job


def finish(job: AbstractImportJob, status: str, *, message: str = "") -> Any:
    """End a job's check or apply with ``status`` (and a message saying why it failed)."""
    job.status = status
    job.message = message
    job.finished_at = timezone.now()
    job.save()
    return job


# --- keeping ------------------------------------------------------------------------------------
def uploads_purge(
    model: type[AbstractImportJob], *, keep_days: int, now: datetime | None = None
) -> int:
    """Delete uploaded workbooks of ``model``'s jobs older than ``keep_days``; return how many
    were deleted.

    The jobs stay (who imported what, and how it went); only their files go. A preview that
    was never applied is closed as failed ("expired") so it can no longer be applied. Jobs
    being checked or applied are left alone. Each job is claimed with a conditional UPDATE,
    so two sweeps running at once delete each file once.
    """
    cutoff = (now or timezone.now()) - timedelta(days=keep_days)
    finished = (ImportStatus.APPLIED, ImportStatus.FAILED, ImportStatus.CHECKED)
    stale = model._default_manager.filter(created_at__lt=cutoff, status__in=finished).exclude(
        file=""
    )
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
        if model._default_manager.filter(pk=job.pk, file=name, status=job.status).update(**changes):
            job.file.storage.delete(name)
            purged += 1
    return purged


# --- the worker's side ------------------------------------------------------------------------
#: The key of ``job.plan`` counting the worker's tries at the job's current step (the check
#: writes a new plan and the clerk's "check again" empties it, so each step counts afresh).
ATTEMPTS = "attempts"


@contextmanager
def job_claimed(
    model: type[AbstractImportJob], job_id: int, status: str
) -> Iterator[AbstractImportJob | None]:
    """The job ``job_id`` if it still has ``status`` and no one else is working on it, row
    locked until the block ends (one transaction); else None.

    Tasks run the check or the apply inside this, so a task sent twice (redelivered after a
    worker was lost, or sent again by :func:`jobs_resend`) runs once: a copy arriving while
    the first runs finds the row locked and returns, one arriving after finds the status
    moved on. A worker killed mid-apply drops its connection, PostgreSQL rolls back every
    row it wrote and lets go of the job, which is still applying: the next send applies it
    whole.

    Each try is counted first, in a transaction of its own, so the count outlives a worker
    killed during the try. A job tried ``LEDGER_IMPORT_MAX_ATTEMPTS`` times without
    finishing (a sheet that kills its worker every time) is not tried again: it fails with a
    message saying so, and the clerk may check it again later from its page.

    A session advisory lock on the job is held from before the count until the try ends, so
    only the copy that goes on to work counts a try: two copies arriving together (a
    redelivery and the beat's resend) cannot both count and leave one try unused, and a
    copy arriving while a killed worker's session still holds the job counts nothing. The
    lock goes with the session, so a killed worker leaves none behind.
    """
    key = f"{model._meta.db_table}:{job_id}"
    if not _job_lock(key):
        yield None
        return
    try:
        if not _count_attempt(model, job_id, status):
            yield None
            return
        with transaction.atomic():
            yield (
                model._default_manager.select_for_update(skip_locked=True)
                .filter(pk=job_id, status=status)
                .first()
            )
    finally:
        _job_unlock(key)


def _job_lock(key: str) -> bool:
    """Take the session advisory lock named ``key`` if no other session holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        return bool(cursor.fetchone()[0])


def _job_unlock(key: str) -> None:
    """Let go of the lock :func:`_job_lock` took (nothing when the session is gone: so is
    the lock)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
    except DatabaseError:
        pass  # the connection broke during the try: the session, and its lock, are gone


def _count_attempt(model: type[AbstractImportJob], job_id: int, status: str) -> bool:
    """Count one more try at the job (committed); False when it is not to be tried: gone,
    moved on, held by another worker, or tried too often already (then failed here)."""
    with transaction.atomic():
        job = (
            model._default_manager.select_for_update(skip_locked=True)
            .filter(pk=job_id, status=status)
            .first()
        )
        if job is None:
            return False
        plan = dict(job.plan or {})
        attempts = int(plan.get(ATTEMPTS, 0))
        if attempts >= settings.LEDGER_IMPORT_MAX_ATTEMPTS:
            with translation.override(job.language):
                finish(
                    job,
                    ImportStatus.FAILED,
                    message=_(
                        "The server stopped %(attempts)s times while working on this import, "
                        "so it was not tried again. Try again later with “Check again” below "
                        "or by uploading the file again; if it stops again, tell the system "
                        "administrator."
                    )
                    % {"attempts": attempts},
                )
            return False
        plan[ATTEMPTS] = attempts + 1
        model._default_manager.filter(pk=job.pk).update(plan=plan)
    return True


def jobs_resend(importer: Importer) -> int:
    """Send again to the worker every job of ``importer`` that is being checked or applied
    there and that no worker holds (see :func:`job_claimed`): its send failed (Redis was
    down), or the worker that had it was killed. Returns how many were sent.

    A job whose task is still waiting in the queue is sent a second time; the copy that
    comes second finds nothing to do."""
    sent = 0
    with transaction.atomic():
        waiting = list(
            importer.model._default_manager.select_for_update(skip_locked=True)
            .filter(status__in=RUNNING, total_rows__gt=settings.LEDGER_IMPORT_ASYNC_ROWS)
            .values_list("pk", "status")
        )
    for pk, status in waiting:
        if status == ImportStatus.CHECKING:
            importer.enqueue_check(pk)
        else:
            importer.enqueue_apply(pk)
        sent += 1
    return sent
