"""The accountability API's measures."""

from __future__ import annotations

routes: list = []
urlpatterns: list = []
