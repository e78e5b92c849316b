"""Supervision pages, mounted at /supervision/ under the ``accountability`` namespace.

Each part keeps its own URL module, so they grow apart without stepping on each other:
notices (registry, detail, drafting, actions, the official document) in ``notice_urls``;
the supervision group's workspace, the unit's inbox and the statistics in
``workspace_urls``; accountability measures and exemptions in ``measure_urls``.
"""

from __future__ import annotations

from django.urls import include, path

app_name = "accountability"

urlpatterns = [
    path("", include("accountability.workspace_urls")),
    path("notices/", include("accountability.notice_urls")),
    path("", include("accountability.measure_urls")),
]
