"""Every login success and failure goes to the ``accounts.auth`` log.

django-axes also keeps them in the database (AccessLog, AccessFailureLog) where the admin
lists them; this log line is for the operations team's log collection.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from config.proxy import client_ip

logger = logging.getLogger("accounts.auth")


def _address(request: Any) -> str:
    """The client's address as django-axes records it (behind the proxy: not the proxy's)."""
    return (client_ip(request) or "-") if request is not None else "-"


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    logger.info("login success user=%s ip=%s", user.get_username(), _address(request))


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    logger.warning(
        "login failure user=%s ip=%s", credentials.get("username", "-"), _address(request)
    )


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    name = user.get_username() if user is not None else "-"
    logger.info("logout user=%s ip=%s", name, _address(request))
