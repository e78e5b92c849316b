from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksLedgerConfig(AppConfig):
    """Ledgers (models arrive with later issues)."""

    name = "tasks_ledger"
    verbose_name = _("Ledgers")
