from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    """Assessments: schemes, rounds, scores, deductions, appeals and results."""

    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self) -> None:
        """An approved exemption (容错免责) releases its matter's deductions."""
        from accountability import services as accountability_services

        from .services import release_on_exemption

        if release_on_exemption not in accountability_services.EXEMPTION_APPROVED:
            accountability_services.EXEMPTION_APPROVED.append(release_on_exemption)
