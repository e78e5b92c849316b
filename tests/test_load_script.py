"""The load test of ``bench/load.py`` still runs: a short run against a small seeded database.

A database of its own is migrated and seeded with the demo (``seed_demo``: the city, its
people, ledgers and a published round), then the runner copies it, starts gunicorn and a
Celery worker under production settings, plays ``bench/locustfile.py``'s users for 30
seconds with short think times, and prints its figures as JSON. The figures themselves
are not judged here (the machine is shared); that every kind of request was made and none
failed is.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench.load import KINDS, RANKING, TRIVIAL
from tests.processes import PYTHON, ROOT, child_env, scratch_database

pytestmark = pytest.mark.slow


def test_a_short_load_run_makes_every_kind_of_request_without_an_error(tmp_path: Path) -> None:
    """GIVEN the demo in a database WHEN the runner plays 16 users for 30 s against gunicorn
    THEN it exits 0, every kind of request was made, no request failed, and it printed the
    ratio of the ranking endpoint's requests per second to the trivial view's."""
    with scratch_database("nlzf_load") as database_url:
        # Seeded as a deployment would be (the test settings' fast password hasher is one
        # production does not know, so nobody could sign in).
        env = {
            **child_env(),
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
        }
        for command in (["migrate", "--noinput", "-v", "0"], ["seed_demo"]):
            prepared = subprocess.run(
                [PYTHON, "manage.py", *command],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            assert prepared.returncode == 0, (prepared.stdout + prepared.stderr)[-4000:]
        server, name = database_url.rsplit("/", 1)
        done = subprocess.run(
            [
                PYTHON, "bench/load.py",
                "--database-url", f"{server}/postgres", "--database", name,
                "--users", "16", "--spawn-rate", "16", "--duration", "30s", "--think", "0.2",
                "--workers", "3", "--out", str(tmp_path), "--json",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )  # fmt: skip
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-6000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    made = {kind["kind"]: kind for kind in result["kinds"]}
    assert set(KINDS) <= set(made), sorted(set(KINDS) - set(made))
    assert result["failures"] == [] and result["total"]["failures"] == 0
    assert all(made[kind]["requests"] > 0 for kind in KINDS)
    assert result["ranking_ratio"] == pytest.approx(
        made[RANKING]["rps"] / made[TRIVIAL]["rps"], abs=0.01
    )
    assert "ranking endpoint / trivial JSON view" in done.stdout
