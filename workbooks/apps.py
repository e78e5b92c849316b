from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkbooksConfig(AppConfig):
    """Excel in, shared by the ledger and score importers (no tables of its own: its job
    model is abstract)."""

    name = "workbooks"
    verbose_name = _("Excel imports")
