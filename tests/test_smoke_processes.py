"""The production processes of docker-compose.yml, run natively against the real services.

gunicorn serves ``config.wsgi`` under ``config.settings.production`` (a real secret, its own
ALLOWED_HOSTS, static files collected into a temporary STATIC_ROOT and served by WhiteNoise),
beside a Celery worker and Celery beat, on a database of its own and the real Redis.
Only SECURE_SSL_REDIRECT is off, as behind the TLS-terminating proxy; requests say
``X-Forwarded-Proto: https`` as that proxy would.
"""

from __future__ import annotations

import http.client
import json
import re
import secrets
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from config.migrated_template import migrated_copy
from config.tasks import HEARTBEAT_KEY, ping
from tests.processes import (
    PYTHON,
    ROOT,
    Process,
    celery_worker_args,
    child_env,
    collected_static,
    free_port,
    running,
    unique,
    wait_until,
)

pytestmark = pytest.mark.slow

PASSWORD = secrets.token_urlsafe(16)


@dataclass
class Stack:
    """The running processes and what a test needs to talk to them."""

    port: int
    queue: str
    cache_prefix: str
    static_root: Path
    processes: dict[str, Process]
    env: dict[str, str]

    def healthcheck(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a compose health-check command against these processes."""
        return subprocess.run(
            args,
            cwd=ROOT,
            env={**self.env, "HEALTHCHECK_URL": f"http://127.0.0.1:{self.port}/healthz"},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def request(
        self, method: str, path: str, body: str | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], bytes, list[str]]:
        """One HTTP request to gunicorn: status, headers, body and the Set-Cookie lines."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request(
                method,
                path,
                body=body,
                headers={
                    "X-Forwarded-Proto": "https",
                    "Accept-Language": "zh-hans",
                    **(headers or {}),
                },
            )
            response = conn.getresponse()
            cookies = response.headers.get_all("Set-Cookie") or []
            return response.status, dict(response.getheaders()), response.read(), cookies
        finally:
            conn.close()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A database of its own, then what the image and compose do, natively.

    collectstatic (the image build: :func:`tests.processes.collected_static`, once per test
    session and shared with the load test), migrate and createsuperuser (the operator's
    first steps), then gunicorn, a worker and beat (the compose services).

    The database is a copy of the migrated template (config/migrated_template.py), so
    ``migrate`` under production settings is a no-op here, and is checked to be one: it
    proves the production settings load and migrate, and that no migration is pending.
    Migrating from an empty database is exercised where the template is built, and by
    tasks_ledger/tests/test_migrations.py; here it cost some 35 s of every run.
    """
    name = unique("nlzf_smoke").replace("-", "_")
    with migrated_copy(connection.settings_dict, name) as database_url:
        yield from _stack(
            tmp_path_factory.mktemp("smoke"), database_url, collected_static(tmp_path_factory)
        )


def _stack(work: Path, database_url: str, static_root: Path) -> Iterator[Stack]:
    """Run the production processes on ``database_url``, serving the static files of
    ``static_root``; stop them all afterwards."""
    port = free_port()
    queue = unique("smoke")
    env = {
        **child_env(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "false",
        "STATIC_ROOT": str(static_root),
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": queue,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "BEAT_HEARTBEAT_SECONDS": "1",
    }
    outputs = []
    for command in (
        ["migrate", "--noinput", "-v", "1"],
        ["createsuperuser", "--noinput", "--username", "smoke"],
    ):
        done = subprocess.run(
            [PYTHON, "manage.py", *command],
            cwd=ROOT,
            env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD, "DJANGO_SUPERUSER_NAME": "冒烟测试"},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
        outputs.append(done.stdout)
    assert "No migrations to apply." in outputs[0], outputs[0][-4000:]
    specs = {
        "worker": celery_worker_args(queue, pool="prefork"),
        "beat": [
            PYTHON,
            "-m",
            "celery",
            "-A",
            "config",
            "beat",
            "-l",
            "info",
            "-s",
            str(work / "celerybeat-schedule"),
        ],
        "web": [
            PYTHON,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            "-",
            "--timeout",
            "60",
        ],
    }
    with running(specs, env, work / "logs") as processes:
        s = Stack(port, queue, queue, static_root, processes, env)

        def web_up() -> bool:
            status = s.request("GET", "/healthz")[0]
            return status == 200

        def worker_up() -> bool:
            # As compose's health check asks it; a worker still forking under load (the
            # other xdist worker busy on the two cores) is waited for, not failed.
            from config.celery import app

            node = f"{queue}@{socket.gethostname()}"
            return bool(app.control.ping(destination=[node], timeout=1.0))

        wait_until(web_up, "gunicorn to answer /healthz", processes)
        wait_until(worker_up, "the worker to answer a ping", processes, timeout=120)
        yield s


def test_health_endpoint_reports_database_and_redis(stack: Stack) -> None:
    """GIVEN gunicorn under production settings THEN /healthz is 200 with both checks ok."""
    status, headers, body, _ = stack.request("GET", "/healthz")
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    data = json.loads(body)
    assert data["status"] == "ok"
    assert data["checks"] == {"database": "ok", "redis": "ok"}


def test_compose_health_checks_pass(stack: Stack) -> None:
    """GIVEN the running stack THEN the web and worker health checks of compose pass."""
    web = stack.healthcheck(PYTHON, "scripts/healthcheck.py", "web")
    assert web.returncode == 0, web.stdout + web.stderr
    worker = stack.healthcheck(
        PYTHON,
        "-m",
        "celery",
        "-A",
        "config",
        "inspect",
        "ping",
        "-d",
        f"{stack.queue}@{socket.gethostname()}",
        "--timeout",
        "10",
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert "pong" in worker.stdout


def test_login_page_renders_in_chinese_with_its_static_assets(stack: Stack) -> None:
    """GIVEN production settings WHEN the login page is fetched
    THEN it renders in Chinese and every stylesheet and script it links is served by WhiteNoise.
    """
    status, headers, body, _ = stack.request("GET", "/accounts/login/")
    assert status == 200, body[:2000]
    html = body.decode()
    assert re.search(r'<html lang="zh', html, re.IGNORECASE), "not served in Chinese"
    assert "用户名" in html  # the username label, from the zh_Hans catalogue
    assert headers.get("X-Frame-Options") == "DENY"
    assert "max-age=" in headers.get("Strict-Transport-Security", "")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', html)
    assert assets, "the login page links no stylesheet or script"
    for asset in assets:
        asset_status, asset_headers, _, _ = stack.request("GET", asset)
        assert asset_status == 200, asset
        # Hashed names from the manifest are cached for ever.
        assert "immutable" in asset_headers.get("Cache-Control", ""), asset


def test_vendor_assets_from_npm_are_collected_and_served(stack: Stack) -> None:
    """GIVEN npm's Bootstrap, icons, htmx and ECharts THEN each is served under vendor/,
    and compressed (Brotli or gzip, the copies collectstatic made) to a client that asks."""
    manifest = json.loads((stack.static_root / "staticfiles.json").read_text())["paths"]
    for name in (
        "vendor/bootstrap/css/bootstrap.min.css",
        "vendor/bootstrap/js/bootstrap.bundle.min.js",
        "vendor/bootstrap-icons/bootstrap-icons.min.css",
        "vendor/htmx/htmx.min.js",
        "vendor/echarts/echarts.min.js",
    ):
        status, headers, body, _ = stack.request("GET", f"/static/{manifest[name]}")
        assert status == 200, name
        assert len(body) > 1000, name
        assert "Content-Encoding" not in headers, name
        for encoding in ("br", "gzip"):
            status, headers, compressed, _ = stack.request(
                "GET", f"/static/{manifest[name]}", headers={"Accept-Encoding": encoding}
            )
            assert status == 200, (name, encoding)
            assert headers.get("Content-Encoding") == encoding, (name, encoding, headers)
            assert len(compressed) < len(body) / 2, (name, encoding)


def test_a_user_signs_in_through_gunicorn(stack: Stack) -> None:
    """GIVEN the superuser made with createsuperuser
    WHEN they post the login form with its CSRF token
    THEN they are redirected home with a secure session cookie, and home renders for them.
    """
    status, _, body, set_cookies = stack.request("GET", "/accounts/login/")
    assert status == 200
    cookies = _jar(set_cookies)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body.decode())
    assert match, "no CSRF token in the login form"
    form = f"csrfmiddlewaretoken={match[1]}&username=smoke&password={PASSWORD}"
    status, headers, body, set_cookies = stack.request(
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": _cookie_header(cookies),
            "Origin": f"https://127.0.0.1:{stack.port}",
        },
    )
    assert status == 302, body[:2000]
    session = [c for c in set_cookies if c.startswith("sessionid=")]
    assert session, set_cookies
    assert "Secure" in session[0] and "HttpOnly" in session[0]
    cookies.update(_jar(set_cookies))

    status, _, body, _ = stack.request(
        "GET", headers["Location"], headers={"Cookie": _cookie_header(cookies)}
    )
    assert status == 200
    assert "冒烟测试" in body.decode()


def test_celery_round_trip_through_the_worker(stack: Stack) -> None:
    """GIVEN the worker under production settings WHEN ping is sent THEN its answer returns."""
    result = ping.apply_async(("smoke",), queue=stack.queue)
    try:
        assert result.get(timeout=60) == "pong:smoke"
    except Exception:
        print(stack.processes["worker"].output()[-4000:])
        raise


def test_beat_schedules_the_heartbeat(stack: Stack) -> None:
    """GIVEN beat with the heartbeat every second WHEN the worker runs what beat sends
    THEN the heartbeat key appears in Redis and /healthz reports it.
    """
    client = redis.Redis.from_url(settings.REDIS_URL)
    key = f"{stack.cache_prefix}:1:{HEARTBEAT_KEY}"
    try:
        wait_until(lambda: client.exists(key), "beat's heartbeat in Redis", stack.processes)
    finally:
        client.close()
    data = json.loads(stack.request("GET", "/healthz")[2])
    assert data["celery_heartbeat"]
    beat = stack.healthcheck(PYTHON, "scripts/healthcheck.py", "heartbeat")
    assert beat.returncode == 0, beat.stdout + beat.stderr
    assert "Sending due task heartbeat" in stack.processes["beat"].output()


def _jar(set_cookies: list[str]) -> dict[str, str]:
    """Name -> value of Set-Cookie lines."""
    jar: dict[str, str] = {}
    for line in set_cookies:
        parsed = SimpleCookie()
        parsed.load(line)
        jar.update({name: morsel.value for name, morsel in parsed.items()})
    return jar


def _cookie_header(jar: dict[str, str]) -> str:
    """A Cookie header for ``jar``."""
    return "; ".join(f"{name}={value}" for name, value in jar.items())
