"""``python manage.py seed_scale``: a whole province on top of the demo, for benchmarks.

Sizes: ``--units`` (units added; the demo's ~110 come on top), ``--cities`` (prefecture-level
cities with the demo's), ``--items``, ``--notices``, ``--rounds`` (published quarterly
assessment rounds), ``--batch`` (rows per COPY) and ``--seed``. Runs once per database.
See :mod:`campaign.scale`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from campaign import scale


def _positive(value: str) -> int:
    number = int(value.replace(",", "").replace("_", ""))
    if number < 0:
        raise ValueError(value)
    return number


class Command(BaseCommand):
    """Thin wrapper around :func:`campaign.scale.seed_scale`."""

    help = (
        "Build a province (13 cities, ~5,000 units, 1,000,000 ledger items, 100,000 notices, "
        "4 published assessment rounds by default) on top of the demo (run seed_demo first). "
        "Bulk-loaded with COPY in one transaction, history triggers off for the load. Runs "
        "once per database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Sizes, batch and seed."""
        defaults = scale.Sizes()
        parser.add_argument(
            "--units",
            type=_positive,
            default=defaults.units,
            help="units to add (default %(default)s; the demo's come on top)",
        )
        parser.add_argument(
            "--cities",
            type=int,
            default=defaults.cities,
            help="prefecture-level cities, the demo's included (default %(default)s)",
        )
        parser.add_argument(
            "--items",
            type=_positive,
            default=defaults.items,
            help="ledger items (default %(default)s)",
        )
        parser.add_argument(
            "--notices",
            type=_positive,
            default=defaults.notices,
            help="supervision notices (default %(default)s)",
        )
        parser.add_argument(
            "--rounds",
            type=_positive,
            default=defaults.rounds,
            help="published quarterly assessment rounds (default %(default)s)",
        )
        parser.add_argument(
            "--batch",
            type=_positive,
            default=defaults.batch,
            help="rows per COPY statement (default %(default)s)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=defaults.seed,
            help="random seed: the same seed gives the same data (default %(default)s)",
        )
        parser.add_argument(
            "--as-of", metavar="DATE", help="the day the data stands on (default today)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Seed, then print the counts and the province's logins."""
        try:
            as_of = date.fromisoformat(options["as_of"]) if options.get("as_of") else None
        except ValueError as error:
            raise CommandError(f"--as-of: {options['as_of']!r} is not a date") from error
        sizes = scale.Sizes(
            units=options["units"],
            cities=options["cities"],
            items=options["items"],
            notices=options["notices"],
            rounds=options["rounds"],
            batch=max(options["batch"], 1),
            seed=options["seed"],
            as_of=as_of,
        )
        try:
            world = scale.seed_scale(sizes, say=self.stdout.write)
        except (scale.DemoMissing, scale.AlreadySeeded, scale.NotAllowed, ValueError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(scale.format_summary(world))
