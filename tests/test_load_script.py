"""The load test of ``bench/load.py`` still runs: a short run against a small seeded database.

A database of its own, a copy of the migrated template (config/migrated_template.py), is
seeded with the demo (``seed_demo``: the city, its people, ledgers and a published round);
the runner loads it as it is (``--no-copy``: the database is thrown away afterwards, so
there is nothing to protect from the liaisons' writes), starts gunicorn and a Celery worker
under production settings (with ``--static-root``, serving the static files the smoke test
serves, collected once per test session by :func:`tests.processes.collected_static`),
plays ``bench/locustfile.py``'s users for 15 seconds with short think times, and prints
its figures as JSON. The figures themselves are not judged here (the machine is shared);
that every kind of request was made and none failed is.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from bench.load import KINDS, RANKING, TRIVIAL
from config.migrated_template import migrated_copy
from tests.processes import PYTHON, ROOT, child_env, collected_static, unique

pytestmark = pytest.mark.slow


def test_a_short_load_run_makes_every_kind_of_request_without_an_error(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """GIVEN the demo in a database WHEN the runner plays 16 users for 15 s against gunicorn
    THEN it exits 0, every kind of request was made, no request failed, and it printed the
    ratio of the ranking endpoint's requests per second to the trivial view's."""
    static_root = collected_static(tmp_path_factory)
    with migrated_copy(connection.settings_dict, unique("nlzf_load").replace("-", "_")) as (
        database_url
    ):
        # Seeded as a deployment would be (the test settings' fast password hasher is one
        # production does not know, so nobody could sign in).
        env = {
            **child_env(),
            "DATABASE_URL": database_url,
            "DJANGO_SETTINGS_MODULE": "config.settings.base",
        }
        seeded = subprocess.run(
            [PYTHON, "manage.py", "seed_demo"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert seeded.returncode == 0, (seeded.stdout + seeded.stderr)[-4000:]
        done = subprocess.run(
            [
                PYTHON, "bench/load.py", "--database-url", database_url, "--no-copy",
                "--users", "16", "--spawn-rate", "16", "--duration", "15s", "--think", "0.2",
                "--workers", "3", "--out", str(tmp_path), "--static-root", str(static_root),
                "--json",
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
