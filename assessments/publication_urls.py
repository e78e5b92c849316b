"""Published rankings: a round's ranking, its circular (print view and .docx), its results as
Excel, and the ranking dashboard (under the ``assessments`` namespace)."""

from __future__ import annotations

from django.urls import path

from . import publication_views as views

urlpatterns: list = [
    path("rounds/<int:pk>/ranking/", views.round_ranking_view, name="round-ranking"),
    path("rounds/<int:pk>/circular/", views.round_circular_print_view, name="round-circular-print"),
    path("rounds/<int:pk>/circular.docx", views.round_circular_view, name="round-circular"),
    path("rounds/<int:pk>/results.xlsx", views.round_export_view, name="round-export"),
    path("ranking/", views.ranking_dashboard_view, name="ranking-dashboard"),
]
