"""Redis behind Sentinel (REDIS_SENTINELS): the cache and Celery find the master through it.

A private redis-server and a real Sentinel (``redis-server --sentinel``, Debian's build)
watching it run on free ports. The application runs in child processes with
``REDIS_SENTINELS`` pointing at the Sentinel and ``REDIS_URL`` at an address where nothing
listens, so anything that reached Redis found it through the Sentinel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.processes import (
    PYTHON,
    ROOT,
    Process,
    celery_worker_args,
    child_env,
    current_database_url,
    free_port,
    running,
    unique,
    wait_until,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"
MASTER = "nlzfmaster"

CLIENT = """
import json, django
django.setup()
from django.conf import settings
from django.core.cache import cache
from config.health import _redis
from config.redis_sentinel import redis_client
from config.tasks import ping

cache.set("sentinel-probe", "through sentinel", timeout=300)
result = ping.apply_async(("sentinel",), queue=settings.CELERY_TASK_DEFAULT_QUEUE)
print(json.dumps({
    "cache": cache.get("sentinel-probe"),
    "task": result.get(timeout=60),
    "health": _redis(),
    "master_port": redis_client().connection_pool.get_master_address()[1],
    "broker": settings.CELERY_BROKER_URL,
}))
"""


@pytest.fixture
def work() -> Iterator[Path]:
    """A directory of the test's own (pytest's tmp_path may be pruned by a concurrent
    pytest session of the same user while the servers write there)."""
    path = Path(tempfile.mkdtemp(prefix="nlzf-sentinel-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def sentinel(work: Path) -> Iterator[tuple[int, int, dict[str, Process]]]:
    """A private Redis master and a Sentinel monitoring it: (redis port, sentinel port)."""
    redis_port, sentinel_port = free_port(), free_port()
    config = work / "sentinel.conf"  # Sentinel rewrites its own file: it must be writable
    config.write_text(
        f"port {sentinel_port}\nbind 127.0.0.1\ndir {work}\n"
        f"sentinel monitor {MASTER} 127.0.0.1 {redis_port} 1\n"
        f"sentinel down-after-milliseconds {MASTER} 5000\n"
    )
    specs = {
        "redis": [
            REDIS_SERVER,
            "--port",
            str(redis_port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(work),
        ],
        "sentinel": [REDIS_SERVER, str(config), "--sentinel"],
    }
    with running(specs, child_env(), work / "logs") as processes:
        probe = redis.Redis(port=sentinel_port, socket_timeout=2)

        def master_known() -> bool:
            return probe.execute_command("SENTINEL", "get-master-addr-by-name", MASTER) == [
                b"127.0.0.1",
                str(redis_port).encode(),
            ]

        wait_until(master_known, "Sentinel to know the master", processes, timeout=30)
        probe.close()
        yield redis_port, sentinel_port, processes


def test_cache_celery_and_health_work_through_sentinel(
    sentinel: tuple[int, int, dict[str, Process]], work: Path
) -> None:
    """GIVEN REDIS_SENTINELS naming a real Sentinel and REDIS_URL pointing nowhere
    WHEN the application sets a cache key, sends a task to a worker configured the same way
    and checks its health THEN the key is in the master the Sentinel names, the task's
    answer comes back through the sentinel:// broker and result backend, and Redis is healthy.
    """
    redis_port, sentinel_port, processes = sentinel
    queue = unique("sentinel")
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=current_database_url(),
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/2",  # nothing there: only the db number
        REDIS_SENTINELS=f"127.0.0.1:{sentinel_port}",
        REDIS_SENTINEL_MASTER=MASTER,
        CELERY_TASK_DEFAULT_QUEUE=queue,
        CACHE_KEY_PREFIX=queue,
    )
    worker = Process("worker", celery_worker_args(queue), env, work / "worker.log")
    processes["worker"] = worker
    try:
        client = subprocess.run(
            [PYTHON, "-c", CLIENT],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        worker.stop()
    assert client.returncode == 0, client.stderr[-4000:] + worker.output()[-3000:]
    answer = json.loads(client.stdout.strip().splitlines()[-1])
    assert answer == {
        "cache": "through sentinel",
        "task": "pong:sentinel",
        "health": True,
        "master_port": redis_port,
        "broker": f"sentinel://127.0.0.1:{sentinel_port}/2",
    }
    master = redis.Redis(port=redis_port, db=2)
    try:
        assert master.exists("nlzf-test:1:sentinel-probe")
    finally:
        master.close()
