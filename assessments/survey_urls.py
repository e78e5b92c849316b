"""Assessment pages: filled in by the part that owns this module (see ``assessments.urls``)."""

from __future__ import annotations

urlpatterns: list = []
