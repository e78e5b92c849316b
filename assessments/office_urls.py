"""The assessment office's workspace, under /assessments/ (namespace ``assessments``)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.office_view, name="office"),
    path("schemes/<int:pk>/", views.scheme_detail_view, name="scheme-detail"),
    path("schemes/<int:pk>/activate/", views.scheme_activate_view, name="scheme-activate"),
    path("rounds/new/", views.round_create_view, name="round-create"),
    path("rounds/<int:pk>/", views.round_detail_view, name="round-detail"),
    path("rounds/<int:pk>/move/<str:move>/", views.round_move_view, name="round-move"),
    path("rounds/<int:pk>/scores/", views.round_scores_view, name="round-scores"),
    path("rounds/<int:pk>/deductions/", views.round_deductions_view, name="round-deductions"),
    path("rounds/<int:pk>/deductions/new/", views.deduction_create_view, name="deduction-create"),
    path("scores/<int:pk>/", views.score_detail_view, name="score-detail"),
    path("evidence/<int:pk>/", views.evidence_file_view, name="evidence-file"),
]
