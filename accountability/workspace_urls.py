"""Workspace pages, under /supervision/: the supervision group's (and the office's)
workspace, the unit's inbox of notices and the statistics."""

from __future__ import annotations

from django.urls import path

from . import workspace_views

urlpatterns = [
    path("", workspace_views.workspace_view, name="workspace"),
    path("inbox/", workspace_views.inbox_view, name="inbox"),
    path("stats/", workspace_views.stats_view, name="stats"),
]
