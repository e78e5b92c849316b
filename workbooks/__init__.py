"""Excel in, shared by every importer: an office's own workbook is refused, or mapped,
checked row by row, previewed, then applied whole.

The general parts live here once; each app adds one importer on top (its fields and the
words offices use for them, its row checker, its apply): ``tasks_ledger.imports`` for ledger
items, ``assessments.score_imports`` for scores.

- :mod:`.safety` refuses a bad file before anything is stored or parsed (size, zip and XML
  bombs in any encoding, macros, encryption) and counts the sheet's rows by a streaming pass.
- :mod:`.parsing` reads cells: names as compared, dates as offices write them (2022年9月30日,
  9月底, 年底…), percentages and decimals as shown (a cell styled ``0%``), the sheet itself
  streamed in openpyxl's read-only mode.
- :mod:`.mapping` says which column is which: the fields an importer offers, the header row
  found among title rows, and a suggestion for each column from the words offices use.
- :mod:`.jobs` runs a job: create (safety checks, header, columns), the mapping step, the
  check with its progress (in the Celery worker for long sheets), the preview, and the apply
  in one transaction or nothing; and the purge of old uploads.
- :mod:`.models` holds the abstract job every app's import job is made of.
- :mod:`.views` and :mod:`.api` hold what pages and API views of every importer share;
  ``templates/workbooks/`` the upload field, the mapping step, the progress bar and the
  problems table.
"""
