"""System checks: the configured notice number formats can number a notice."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from .models import NoticeKind, number_format


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
