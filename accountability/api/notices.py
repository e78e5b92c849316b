"""The accountability API's notices."""

from __future__ import annotations

routes: list = []
urlpatterns: list = []
