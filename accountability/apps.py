from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountabilityConfig(AppConfig):
    """Supervision and accountability: the four notices (四单) and, later, escalation,
    measures, exemptions and notifications."""

    name = "accountability"
    verbose_name = _("Supervision and accountability")

    def ready(self) -> None:
        """Register the system checks."""
        from . import checks  # noqa: F401
