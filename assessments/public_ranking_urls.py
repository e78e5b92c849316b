"""The public ranking (no sign-in), mounted at /public/ranking/ under the ``public``
namespace: the published rounds the office chose to show, and one round's grades and tiers."""

from __future__ import annotations

from django.urls import path

from . import publication_views as views

urlpatterns: list = [
    path("", views.public_ranking_list_view, name="ranking"),
    path("<int:pk>/", views.public_round_ranking_view, name="round-ranking"),
]
