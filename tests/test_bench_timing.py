"""bench/_common.timed: how runs are timed, without a database."""

from __future__ import annotations

from typing import Any

import bench._common as common


def test_requests_are_timed_back_to_back_and_long_runs_after_a_collection(
    monkeypatch: Any,
) -> None:
    """GIVEN three runs WHEN timed as requests (collect_each=False) THEN the garbage is
    collected once, before the first (a collection before each request made the next one
    slower and flattered every ratio to the trivial page); WHEN timed as long runs THEN
    before each run too; the timings and the last result come back either way."""
    collections: list[int] = []

    def collect() -> int:
        collections.append(1)
        return 0

    monkeypatch.setattr(common.gc, "collect", collect)
    calls = iter(range(10))

    timing, result = common.timed(lambda: next(calls), repeat=3, collect_each=False)
    assert len(collections) == 1 and result == 2 and len(timing.runs) == 3

    collections.clear()
    timing, result = common.timed(lambda: next(calls), repeat=3)
    assert len(collections) == 4 and result == 5 and timing.best <= timing.median
