from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """People, units, posts, roles and jurisdiction."""

    name = "accounts"
    verbose_name = _("Accounts and organisation")

    def ready(self) -> None:
        # auth_log connects the login audit receivers on import.
        from . import auth_log, receivers  # noqa: F401

        receivers.connect()
