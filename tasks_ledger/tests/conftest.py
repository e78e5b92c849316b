"""Fixtures the Excel import's test modules share (they ask for them by ``usefixtures``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
import time_machine


@pytest.fixture
def media(settings, tmp_path: Path) -> Path:
    """Uploads go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def frozen_today() -> Iterator[None]:
    """The clock at 1 June 2022, 18:00 in Beijing: the test campaign runs through 2022."""
    with time_machine.travel(dt.datetime(2022, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        yield
