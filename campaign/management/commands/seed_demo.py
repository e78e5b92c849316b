"""``python manage.py seed_demo``: build the demo city campaign and print the demo logins."""

from __future__ import annotations

import os
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from campaign.demo import (
    DEFAULT_DEMO_PASSWORD,
    demo_logins,
    format_logins,
    format_summary,
    seed_demo,
)


class Command(BaseCommand):
    """Thin wrapper around :func:`campaign.demo.seed_demo`; safe to run any number of times."""

    help = (
        "Build the demo city campaign of the city report (idempotent) and print the demo "
        f"logins. Every new account gets the password from DEMO_PASSWORD "
        f"(default {DEFAULT_DEMO_PASSWORD!r})."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed, then print what was created and the logins table."""
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        try:
            world = seed_demo(password=password)
        except ValidationError as error:
            raise CommandError("DEMO_PASSWORD: " + " ".join(error.messages)) from error
        self.stdout.write(format_summary(world))
        self.stdout.write("")
        self.stdout.write(format_logins(demo_logins(world), password=password))
