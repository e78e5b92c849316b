"""Text messages through a pluggable backend chosen by the ``SMS_BACKEND`` setting.

A backend is any class with ``send(phone, text)``; it raises when the message was not
accepted. The default, :class:`LogSmsBackend`, writes one log line per message and never
touches the network: a deployment with an SMS gateway sets ``SMS_BACKEND`` to its own class.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("accounts.sms")


class SmsBackend(Protocol):
    """What :func:`get_sms_backend` returns."""

    def send(self, phone: str, text: str) -> None:
        """Send one text message to one phone number."""


class LogSmsBackend:
    """Log each message instead of sending it (development, tests, no gateway yet)."""

    def send(self, phone: str, text: str) -> None:
        """Write one INFO line with the number and the text."""
        logger.info("SMS to %s: %s", phone, text)


def get_sms_backend() -> SmsBackend:
    """A new instance of the configured backend."""
    backend: type[SmsBackend] = import_string(settings.SMS_BACKEND)
    return backend()
