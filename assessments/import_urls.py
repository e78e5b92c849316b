"""Scores in from Excel (under /assessments/, namespace ``assessments``): a round's upload
form and each job's page (mapping step, progress, preview, apply)."""

from __future__ import annotations

from django.urls import path

from . import import_views

urlpatterns = [
    path("score-imports/", import_views.score_import_rounds_view, name="score-import-rounds"),
    path("rounds/<int:pk>/import/", import_views.score_import_view, name="score-import"),
    path(
        "rounds/<int:pk>/import/template/",
        import_views.score_import_template_view,
        name="score-import-template",
    ),
    path("score-imports/<int:pk>/", import_views.score_import_job_view, name="score-import-job"),
]
