"""Celery end to end: a real worker process over the real Redis, on this run's test database.

The worker consumes a queue of its own (CELERY_TASK_DEFAULT_QUEUE), so parallel runs and
xdist workers sharing one Redis never take each other's tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import shared_task
from pghistory.models import Events

from accounts.models import Unit, UnitKind, UnitLevel
from accounts.services import unit_create
from accounts.tests.factories import UnitFactory
from config.tasks import ping
from tests.processes import (
    Process,
    celery_worker_args,
    child_env,
    current_database_url,
    running,
    unique,
)

pytestmark = pytest.mark.celery

TASK_TIMEOUT = 60  # seconds; the first task also waits for the worker to start


@shared_task(name="tests.test_celery.create_unit")
def create_unit(parent_id: int, code: str, name: str) -> int:
    """Test-only task: add a unit under ``parent_id`` through the service, as the system."""
    parent = Unit.objects.get(pk=parent_id)
    unit = unit_create(
        actor=None,
        parent=parent,
        code=code,
        name=name,
        level=UnitLevel.TOWNSHIP,
        kind=UnitKind.TOWNSHIP,
    )
    return unit.pk


@pytest.fixture(scope="module")
def worker_queue(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Process]]:
    """A worker process on this module's own queue, using the test database."""
    queue = unique("test-celery")
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=current_database_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,
    )
    logdir: Path = tmp_path_factory.mktemp("celery")
    args = celery_worker_args(queue, "--include", "tests.test_celery")
    with running({"worker": args}, env, logdir) as processes:
        yield queue, processes["worker"]


def test_round_trip_through_a_real_worker(worker_queue: tuple[str, Process]) -> None:
    """GIVEN a worker on Redis WHEN ping is sent THEN its answer comes back through Redis."""
    queue, worker = worker_queue
    result = ping.apply_async(("你好",), queue=queue)
    try:
        assert result.get(timeout=TASK_TIMEOUT) == "pong:你好"
    except Exception:
        print(worker.output()[-4000:])
        raise
    assert result.successful()


@pytest.mark.django_db(transaction=True)
def test_change_made_in_a_task_is_recorded_with_the_task_name(
    worker_queue: tuple[str, Process],
) -> None:
    """GIVEN a committed parent unit
    WHEN a task creates a unit under it through the service
    THEN pghistory recorded the insert with the task's name and id as its context.
    """
    queue, worker = worker_queue
    parent = UnitFactory.create(name="甲县", level=UnitLevel.COUNTY)
    result = create_unit.apply_async((parent.pk, "T-001", "乙镇"), queue=queue)
    try:
        unit_id = result.get(timeout=TASK_TIMEOUT)
    except Exception:
        print(worker.output()[-4000:])
        raise

    unit = Unit.objects.get(pk=unit_id)
    assert unit.name == "乙镇"
    assert unit.depth == parent.depth + 1 and unit.path.startswith(parent.path)
    inserts = [e for e in Events.objects.tracks(unit) if e.pgh_label == "insert"]
    assert len(inserts) == 1
    context = inserts[0].pgh_context
    assert context is not None
    assert context["task"] == "tests.test_celery.create_unit"
    assert context["task_id"] == result.id
