"""Excel in: an office's own workbook is refused, or mapped, checked row by row, then
applied whole.

The layers, each a module of this package (importing from ``tasks_ledger.imports`` keeps
working for all of them):

- :mod:`.safety` refuses a bad file before anything is stored or parsed (size, zip and XML
  bombs in any encoding, macros, encryption) and counts the sheet's rows by a streaming pass.
- :mod:`.parsing` reads cells: names as compared, the date styles offices write (2022年9月30日,
  9月底, 年底, 长期坚持…), percentages and amounts.
- :mod:`.mapping` says which column is which: fields, the words offices use for them, the
  header row and the suggestion for each column.
- :mod:`.checking` checks every row through the mapping against a ledger, for a user.
- :mod:`.jobs` holds the steps the pages and the API take (create, columns, remap, result,
  apply), running long sheets in the Celery worker.
"""

from __future__ import annotations

from .checking import (
    STATUS_ALIASES,
    Checker,
    CheckResult,
    Problem,
    RowPlan,
    check_workbook,
    read_columns,
)
from .jobs import (
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
from .parsing import (
    LONG_TERM,
    is_long_term,
    normalise,
    parse_date,
    parse_deadline,
    parse_money,
    parse_percent,
    read_sheet,
)
from .safety import ImportRefused, count_rows, inspect_upload, inspect_workbook_file

__all__ = [
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
