"""Assessments API part: filled in by the part that owns it (see ``assessments.api.urls``)."""

from __future__ import annotations

routes: list = []
urlpatterns: list = []
