"""The sweep benchmark in ``bench/`` still runs (with a few items, in the test database)."""

from __future__ import annotations

import pytest

from accountability.escalation import MAX_STATEMENTS
from bench import escalation_sweep

pytestmark = pytest.mark.django_db


def test_sweep_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN 30 benchmark items, every tenth overdue WHEN the sweep benchmark runs THEN the
    sweep and the bare statements reminded every overdue benchmark item,
    in a fixed number of statements, and it printed its table."""
    (figure,) = escalation_sweep.run(sizes=[30], repeat=1)

    assert figure["overdue"] == 3
    # The demo's own overdue items are reminded too (the bare statements do not look for
    # exemptions, so they may remind one more).
    assert figure["bare_reminders"] >= figure["reminders"] >= figure["overdue"]
    assert 0 < figure["sweep_statements"] <= MAX_STATEMENTS and figure["bare_statements"] == 4
    assert figure["sweep_s"] > 0 and figure["bare_s"] > 0
    assert "sweep/bare" in capsys.readouterr().out
