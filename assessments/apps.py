from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    """Assessments (models arrive with later issues)."""

    name = "assessments"
    verbose_name = _("Assessments")
