"""Excel into a ledger: an office's own workbook is refused, or mapped, checked row by row,
then applied whole.

The general parts (file safety, header finding, the mapping step, date and percent parsing,
the job with its progress bar, preview and all-or-nothing apply) are :mod:`workbooks`, shared
with the score import; this package holds what is the ledger's own (importing from
``tasks_ledger.imports`` keeps working for the shared names too):

- :mod:`.parsing` reads the ledger's own cells: 长期坚持 for a long-term deadline, amounts.
- :mod:`.mapping` the ledger's fields and the words offices use for them (问题表现, 牵头单位,
  完成时限…), and the suggestion for each column.
- :mod:`.checking` checks every row through the mapping against a ledger, for a user.
- :mod:`.jobs` the ledger's importer (:data:`LEDGER`) and the steps the pages and the API
  take (create, columns, remap, result, apply), on :mod:`workbooks.jobs`.
"""

from __future__ import annotations

from workbooks.checking import Problem
from workbooks.parsing import normalise, parse_date, parse_percent, read_sheet
from workbooks.safety import ImportRefused, count_rows, inspect_upload, inspect_workbook_file

from .checking import (
    STATUS_ALIASES,
    Checker,
    CheckResult,
    RowPlan,
    check_workbook,
    read_columns,
)
from .jobs import (
    LEDGER,
    can_import,
    import_field_choices,
    import_job_apply,
    import_job_check,
    import_job_columns,
    import_job_create,
    import_job_remap,
    import_job_request_apply,
    import_job_result,
    import_job_start_apply,
    import_refusal,
    import_uploads_purge,
    job_phase,
    job_progress,
    ledger_items_bulk_create,
    progress_key,
    runs_in_worker,
)
from .mapping import SYNONYMS, ImportField, SheetColumn, import_fields, suggest
from .parsing import LONG_TERM, is_long_term, parse_deadline, parse_money

__all__ = [
    "LEDGER",
    "LONG_TERM",
    "STATUS_ALIASES",
    "SYNONYMS",
    "CheckResult",
    "Checker",
    "ImportField",
    "ImportRefused",
    "Problem",
    "RowPlan",
    "SheetColumn",
    "can_import",
    "check_workbook",
    "count_rows",
    "import_field_choices",
    "import_fields",
    "import_job_apply",
    "import_job_check",
    "import_job_columns",
    "import_job_create",
    "import_job_remap",
    "import_job_request_apply",
    "import_job_result",
    "import_job_start_apply",
    "import_refusal",
    "import_uploads_purge",
    "inspect_upload",
    "inspect_workbook_file",
    "is_long_term",
    "job_phase",
    "job_progress",
    "ledger_items_bulk_create",
    "normalise",
    "parse_date",
    "parse_deadline",
    "parse_money",
    "parse_percent",
    "progress_key",
    "read_columns",
    "read_sheet",
    "runs_in_worker",
    "suggest",
]
