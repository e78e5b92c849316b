"""``python manage.py escalate [--dry-run] [--now ISO-8601]``: run the escalation sweep once,
as the beat does every morning, and print what it wrote."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from accountability.escalation import parse_moment, sweep
from accountability.models import NoticeKind, SweepTrigger
from accounts.history.context import command_context


def _moment(value: str) -> dt.datetime:
    """--now, or a CommandError saying what is expected."""
    try:
        return parse_moment(value)
    except ValueError as error:
        raise CommandError(
            f"--now: {value!r} is not an ISO-8601 date or time like 2026-12-06T08:00"
        ) from error


class Command(BaseCommand):
    """Thin wrapper around :func:`accountability.escalation.sweep`."""

    help = (
        "Sweep the campaigns under way: automatic reminders for overdue ledger items and the "
        "next kind of notice for notices left unanswered, following each campaign's "
        "escalation policy. Safe to repeat; a second sweep at once waits for the first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """--dry-run and --now."""
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="do everything, report it, and roll it back (the run is still recorded)",
        )
        parser.add_argument(
            "--now",
            metavar="ISO-8601",
            help="sweep as of this moment, e.g. 2026-12-06 or 2026-12-06T07:00 (default: now)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Sweep, then print the run's counts."""
        now = _moment(options["now"]) if options.get("now") else None
        translation.activate(settings.LANGUAGE_CODE)
        with command_context("escalate"):
            run = sweep(now=now, dry_run=options["dry_run"], trigger=SweepTrigger.COMMAND)
        counts = run.counts
        kinds = "，".join(
            f"{NoticeKind(kind).label} {counts.get(kind, 0)}" for kind in NoticeKind.values
        )
        words = {
            "run": run.pk,
            "day": run.as_of.isoformat(),
            "kinds": kinds,
            "issued": counts.get("issued", 0),
            "drafted": counts.get("drafted", 0),
            "told": counts.get("notifications", 0),
            "due": counts.get("due_soon", 0),
            "statements": run.statements,
        }
        if run.dry_run:
            line = _(
                "Sweep run %(run)s as of %(day)s, a dry run (nothing kept): it would write "
                "%(kinds)s; issue %(issued)s and draft %(drafted)s; send %(told)s "
                "notifications and remind of %(due)s reply deadlines; %(statements)s SQL "
                "statements."
            )
        else:
            line = _(
                "Sweep run %(run)s as of %(day)s wrote %(kinds)s; issued %(issued)s and "
                "drafted %(drafted)s; sent %(told)s notifications and reminded of %(due)s "
                "reply deadlines; %(statements)s SQL statements."
            )
        self.stdout.write(line % words)
