"""Excel export and import, mounted at /ledgers/excel/ in the ``ledger`` namespace."""

from __future__ import annotations

from django.urls import path

from . import excel_views

urlpatterns = [
    path("export/", excel_views.export_view, name="export"),
    path("template/", excel_views.import_template_view, name="import-template"),
    path("import/", excel_views.import_view, name="import"),
    path("import/<int:pk>/", excel_views.import_job_view, name="import-job"),
    path("import/<int:pk>/mapping/", excel_views.import_mapping_view, name="import-mapping"),
    path("import/<int:pk>/apply/", excel_views.import_apply_view, name="import-apply"),
]
