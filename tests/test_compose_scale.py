"""docker-compose.yml's profile ``scale`` holds what README's "Deploying for a province" says,
and leaves the default deployment as it was."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = {"postgres", "redis", "migrate", "web", "worker", "beat"}


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    return services


def test_the_default_profile_is_the_one_host_deployment() -> None:
    """GIVEN no profile THEN exactly the one-host services run: one web, one worker, one beat."""
    services = _services()
    default = {name for name, service in services.items() if not service.get("profiles")}
    assert default == DEFAULT


def test_the_scale_profile_adds_replicas_a_streaming_replica_and_sentinel() -> None:
    """GIVEN --profile scale THEN two web processes on two ports, two workers, still one beat,
    a PostgreSQL replica cloned by pg_basebackup -R and a Sentinel watching redis."""
    services = _services()
    scale = {name for name, service in services.items() if "scale" in service.get("profiles", [])}
    assert scale == {"web-2", "worker-2", "postgres-replica", "sentinel"}
    running = DEFAULT | scale

    webs = [n for n in running if "config.wsgi:application" in services[n].get("command", [])]
    assert sorted(webs) == ["web", "web-2"]
    assert services["web"]["ports"] != services["web-2"]["ports"]
    for name in webs:  # metrics of every gunicorn worker
        assert "--config=python:config.gunicorn" in services[name]["command"]
        assert services[name]["healthcheck"]["test"]
    workers = [n for n in running if services[n].get("command", [])[2:3] == ["worker"]]
    assert sorted(workers) == ["worker", "worker-2"]
    beats = [n for n in running if services[n].get("command", [])[2:3] == ["beat"]]
    assert beats == ["beat"]
    for name in (*webs, *workers):
        assert services[name]["environment"]["DJANGO_SETTINGS_MODULE"] == (
            "config.settings.production"
        )

    replica = services["postgres-replica"]
    assert replica["image"] == services["postgres"]["image"]  # the same build as the primary
    script = replica["entrypoint"][0]
    mounted = {target: source for source, target, *_ in (v.split(":") for v in replica["volumes"])}
    source = ROOT / mounted[script]
    text = source.read_text()
    assert "pg_basebackup" in text and " -R " in text
    syntax = subprocess.run(["sh", "-n", str(source)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
    assert replica["depends_on"]["postgres"]["condition"] == "service_healthy"

    sentinel = services["sentinel"]
    command = " ".join(sentinel["command"])
    assert "--sentinel" in command and "sentinel monitor mymaster redis 6379" in command


def test_the_settings_the_scale_profile_needs_are_documented() -> None:
    """GIVEN the compose file's header THEN it names the two settings that switch the app to
    the replica and to Sentinel, with the hosts the profile defines."""
    header = (ROOT / "docker-compose.yml").read_text()
    assert "DATABASE_REPLICA_URL=postgres://nlzf:PASSWORD@postgres-replica:5432/nlzf" in header
    assert "REDIS_SENTINELS=sentinel:26379" in header
