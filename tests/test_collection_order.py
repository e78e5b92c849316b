"""The root conftest.py hands xdist the heavy modules first (``heavy_modules_first``)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from conftest import heavy_modules_first
from tests.processes import ROOT, child_env


@dataclass
class FakeItem:
    """As much of a pytest item as the ordering reads."""

    nodeid: str
    markers: tuple[str, ...] = field(default=())

    def get_closest_marker(self, name: str) -> Any:
        return name if name in self.markers else None


def test_heavy_modules_go_first_with_their_tests_together_and_in_order() -> None:
    """GIVEN light modules collected before modules with slow, browser and faults tests
    THEN the heavy modules come first, in their collected order, and every module keeps
    all its tests, light ones included, together and in their order."""
    items = [
        FakeItem("a/test_light.py::test_1"),
        FakeItem("a/test_light.py::test_2"),
        FakeItem("tests/test_mixed.py::test_quick"),
        FakeItem("tests/test_mixed.py::test_slow", ("slow",)),
        FakeItem("tests/test_mixed.py::test_quick_again"),
        FakeItem("tests/test_other_light.py::TestClass::test_x"),
        FakeItem("tests/browser/test_pages.py::test_page[a]", ("browser",)),
        FakeItem("tests/browser/test_pages.py::test_page[b]", ("browser",)),
        FakeItem("tests/faults/test_faults.py::test_restart", ("faults", "slow")),
        FakeItem("z/test_last.py::test_z"),
    ]
    ordered = [item.nodeid for item in heavy_modules_first(cast(list[pytest.Item], items))]
    assert ordered == [
        "tests/test_mixed.py::test_quick",
        "tests/test_mixed.py::test_slow",
        "tests/test_mixed.py::test_quick_again",
        "tests/browser/test_pages.py::test_page[a]",
        "tests/browser/test_pages.py::test_page[b]",
        "tests/faults/test_faults.py::test_restart",
        "a/test_light.py::test_1",
        "a/test_light.py::test_2",
        "tests/test_other_light.py::TestClass::test_x",
        "z/test_last.py::test_z",
    ]


def test_the_hook_orders_a_real_collection() -> None:
    """GIVEN a light module named before a slow one on pytest's command line WHEN pytest
    collects them THEN the slow module's test comes first, the light module's after it, in
    their order."""
    light, heavy = "tests/test_constraint_messages.py", "tests/test_load_script.py"
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:xdist", light, heavy],
        cwd=ROOT,
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    ids = [line for line in done.stdout.splitlines() if "::" in line]
    assert ids[0].startswith(heavy + "::")
    assert len(ids) > 2 and all(nodeid.startswith(light + "::") for nodeid in ids[1:])
