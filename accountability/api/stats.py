"""The accountability API's stats."""

from __future__ import annotations

routes: list = []
urlpatterns: list = []
