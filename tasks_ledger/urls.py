"""Ledger pages, mounted at /ledgers/ under the ``ledger`` namespace.

Pages live in ``page_urls`` (views.py); Excel export and import in ``excel_urls``
(excel_views.py), so the two can grow apart without stepping on each other.
"""

from __future__ import annotations

from django.urls import include, path

app_name = "ledger"

urlpatterns = [
    path("", include("tasks_ledger.page_urls")),
    path("excel/", include("tasks_ledger.excel_urls")),
]
