from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    """Campaigns, phases, task forces, supervision groups and responsibility chains."""

    name = "campaign"
    verbose_name = _("Campaigns")
