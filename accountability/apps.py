from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    """Supervision and accountability (models arrive with later issues)."""

    name = "accountability"
    verbose_name = _("Supervision and accountability")
