"""Measure pages, under /supervision/."""

from __future__ import annotations

urlpatterns: list = []
