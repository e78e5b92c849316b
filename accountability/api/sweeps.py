"""The accountability API's sweeps."""

from __future__ import annotations

routes: list = []
urlpatterns: list = []
