"""``python manage.py seed_demo [--as-of DATE]``: build the demo city campaign as it stands on
a date (default today) and print the demo logins."""

from __future__ import annotations

import os
from datetime import date
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.demo import DEFAULT_DEMO_PASSWORD, format_summary, seed_demo
from campaign.demo import demo_logins, format_logins


def _as_of(value: str) -> date:
    """The --as-of argument: an ISO date."""
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--as-of: {value!r} is not a date like 2026-07-20") from error


class Command(BaseCommand):
    """Thin wrapper around :func:`accounts.demo.seed_demo`; safe to run any number of times."""

    help = (
        "Build the demo city campaign of the city report (idempotent), every app's section in "
        "turn, as it stands on --as-of (default today), and print the demo logins. Every new "
        f"account gets the password from DEMO_PASSWORD (default {DEFAULT_DEMO_PASSWORD!r})."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """--as-of DATE."""
        parser.add_argument(
            "--as-of",
            metavar="DATE",
            help="the day the demo stands on, e.g. 2026-07-20 (default: today)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed, then print what was created and the logins table."""
        as_of = _as_of(options["as_of"]) if options.get("as_of") else timezone.localdate()
        password = os.environ.get("DEMO_PASSWORD") or DEFAULT_DEMO_PASSWORD
        try:
            validate_password(password)
        except ValidationError as error:
            raise CommandError("DEMO_PASSWORD: " + " ".join(error.messages)) from error
        world = seed_demo(as_of=as_of, password=password)
        self.stdout.write(format_summary(world))
        self.stdout.write("")
        logins = demo_logins(world)
        self.stdout.write(format_logins(logins, password=password, calendar=world.calendar))
