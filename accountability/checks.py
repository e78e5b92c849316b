"""System checks: the configured notice number formats can number a notice, and the strike
thresholds name what they involve with a positive count."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .models import DEFAULT_STRIKE_THRESHOLDS, NoticeKind, number_format


@checks.register()
def check_number_formats(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Each kind's format renders with ``year`` and ``n`` only, and two numbers differ."""
    errors: list[checks.CheckMessage] = []
    unknown = set(getattr(settings, "NOTICE_NUMBER_FORMATS", {})) - set(NoticeKind.values)
    if unknown:
        errors.append(
            checks.Error(
                f"NOTICE_NUMBER_FORMATS names unknown kinds: {', '.join(sorted(unknown))}.",
                hint=f"Use {', '.join(NoticeKind.values)}.",
                id="accountability.E001",
            )
        )
    for kind in NoticeKind.values:
        fmt = number_format(kind)
        try:
            first, second = fmt.format(year=2022, n=1), fmt.format(year=2022, n=2)
        except (KeyError, IndexError, ValueError) as exc:
            errors.append(
                checks.Error(
                    f"NOTICE_NUMBER_FORMATS[{kind!r}] = {fmt!r} cannot be filled: {exc!r}.",
                    hint="Use {year} and {n}, e.g. 督办〔{year}〕{n}号.",
                    id="accountability.E002",
                )
            )
            continue
        if first == second:
            errors.append(
                checks.Error(
                    f"NOTICE_NUMBER_FORMATS[{kind!r}] = {fmt!r} does not show the number {{n}}.",
                    id="accountability.E003",
                )
            )
    return errors


@checks.register()
def check_strike_thresholds(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """ACCOUNTABILITY_STRIKE_THRESHOLDS maps known keys to positive whole numbers."""
    thresholds = getattr(settings, "ACCOUNTABILITY_STRIKE_THRESHOLDS", {})
    if not isinstance(thresholds, dict):
        return [
            checks.Error(
                'ACCOUNTABILITY_STRIKE_THRESHOLDS must be a mapping, e.g. {"principal_leader": 3}.',
                id="accountability.E004",
            )
        ]
    errors: list[checks.CheckMessage] = []
    for key, value in thresholds.items():
        if key not in DEFAULT_STRIKE_THRESHOLDS:
            errors.append(
                checks.Error(
                    f"ACCOUNTABILITY_STRIKE_THRESHOLDS names an unknown key {key!r}.",
                    hint=f"Use {', '.join(DEFAULT_STRIKE_THRESHOLDS)}.",
                    id="accountability.E005",
                )
            )
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.append(
                checks.Error(
                    f"ACCOUNTABILITY_STRIKE_THRESHOLDS[{key!r}] = {value!r} is not a positive"
                    " whole number.",
                    id="accountability.E006",
                )
            )
    return errors
