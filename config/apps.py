"""App configs of the project itself."""

from __future__ import annotations

from typing import Any

import axes.apps
import pghistory.admin.apps
import pghistory.apps
from django.apps import AppConfig
from django.contrib.staticfiles.apps import StaticFilesConfig
from django.utils.translation import gettext_lazy as _


class AssetsConfig(StaticFilesConfig):
    """Collect only what pages load from the npm packages: no ES-module or unminified
    ECharts builds, their source maps or extensions (they are most of the 160 MB otherwise).
    Bootstrap's maps stay: its CSS names them and the manifest storage checks every name."""

    ignore_patterns = [
        *StaticFilesConfig.ignore_patterns,
        "echarts*.map",
        "*.esm.*",
        "*.mjs",
        "extension",
        "echarts.js",
        "echarts.common*",
        "echarts.simple*",
        "package.json",
    ]


# --- third-party apps, named in Chinese in the admin ------------------------------------
#
# The admin index heads each app with its AppConfig's ``verbose_name`` and lists its models'
# ``verbose_name_plural``; permission lists show both. These apps name them in English or
# not at all, so INSTALLED_APPS installs them through the subclasses below. Setting
# ``_meta`` names at start-up changes no migration (the autodetector reads a model's
# declared Meta, not these attributes).


def _name_models(app_config: AppConfig, names: dict[str, tuple[Any, Any]]) -> None:
    """Give the app's models translatable names: {model name: (singular, plural)}."""
    for model in app_config.get_models():
        if model._meta.model_name in names:
            singular, plural = names[model._meta.model_name]
            model._meta.verbose_name = singular
            model._meta.verbose_name_plural = plural


class AxesConfig(axes.apps.AppConfig):
    """django-axes: failed sign-ins and lockouts."""

    verbose_name = _("sign-in security")

    def ready(self) -> None:
        """Name the models, then start axes as usual."""
        _name_models(
            self,
            {
                "accessattempt": (_("failed sign-in"), _("failed sign-ins")),
                "accessfailurelog": (_("sign-in failure log"), _("sign-in failure logs")),
                "accesslog": (_("sign-in log"), _("sign-in logs")),
                "accessattemptexpiration": (
                    _("failed sign-in expiry"),
                    _("failed sign-in expiries"),
                ),
            },
        )
        super().ready()


class HistoryConfig(pghistory.apps.PGHistoryConfig):
    """django-pghistory: the trigger-written history of every business record."""

    verbose_name = _("change history")

    def ready(self) -> None:
        """Name the aggregate event models, then set pghistory up as usual."""
        _name_models(
            self,
            {
                "events": (_("change event"), _("change events")),
                "middlewareevents": (_("change event with request"), _("changes by request")),
                "context": (_("change context"), _("change contexts")),
            },
        )
        super().ready()


class HistoryAdminConfig(pghistory.admin.apps.PGHistoryAdminConfig):
    """pghistory's admin pages (the event list and each record's "Events" button), the list
    read in people's words (``accounts.history.admin``)."""

    verbose_name = _("change history")

    def ready(self) -> None:
        """Register our event list where pghistory would register its own."""
        from django.contrib import admin
        from pghistory import config

        from accounts.history.admin import PeopleEventsAdmin

        admin.site.register(config.admin_queryset().model, PeopleEventsAdmin)


class KnoxConfig(AppConfig):
    """django-rest-knox (no AppConfig of its own): API tokens, its table swapped for
    accounts.ApiToken."""

    name = "knox"
    verbose_name = _("API tokens")
