"""Production settings: refuse to start without a real secret, and pass `check --deploy`.

Each case runs in a fresh interpreter, because settings are read once per process.
"""

from __future__ import annotations

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.processes import child_env

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = secrets.token_urlsafe(60)
SETUP = "import django; django.setup(); print('started')"


def run(code_or_args: str | list[str], **overrides: str | None) -> subprocess.CompletedProcess[str]:
    """Run Python (a -c snippet or manage.py arguments) under production settings."""
    env = {
        **child_env(),
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": GOOD_KEY,
        "ALLOWED_HOSTS": "nlzf.example.gov.cn",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    args = ["-c", code_or_args] if isinstance(code_or_args, str) else ["manage.py", *code_or_args]
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_starts_with_a_real_secret_key() -> None:
    """GIVEN a 60+ character random key and ALLOWED_HOSTS THEN Django sets up."""
    result = run(SETUP)
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_refuses_to_start_without_secret_key() -> None:
    """GIVEN no SECRET_KEY in the environment THEN settings raise ImproperlyConfigured."""
    result = run(SETUP, SECRET_KEY=None)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY" in result.stderr


@pytest.mark.parametrize(
    "weak_key",
    [
        pytest.param("", id="empty"),
        pytest.param("short-secret", id="short"),
        pytest.param("a" * 64, id="one-character-repeated"),
        pytest.param("django-insecure-" + secrets.token_urlsafe(50), id="django-insecure"),
    ],
)
def test_production_refuses_a_weak_secret_key(weak_key: str) -> None:
    """GIVEN a key that is short, repetitive or Django's insecure placeholder THEN it refuses."""
    result = run(SETUP, SECRET_KEY=weak_key)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "started" not in result.stdout


def test_production_requires_allowed_hosts() -> None:
    """GIVEN no ALLOWED_HOSTS THEN production does not fall back to a default list."""
    result = run(SETUP, ALLOWED_HOSTS=None)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path: Path) -> None:
    """GIVEN SECRET_KEY_FILE (a Docker secret) instead of SECRET_KEY THEN the key is read."""
    key_file = tmp_path / "secret_key"
    key_file.write_text(GOOD_KEY)
    result = run(
        "import django; django.setup(); from django.conf import settings; "
        f"print(settings.SECRET_KEY == open({str(key_file)!r}).read())",
        SECRET_KEY=None,
        SECRET_KEY_FILE=str(key_file),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("True")


def test_check_deploy_is_clean() -> None:
    """GIVEN the required environment THEN `manage.py check --deploy` reports no issue at all."""
    result = run(["check", "--deploy", "--fail-level", "WARNING"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_env_example_lists_every_setting_read_from_the_environment() -> None:
    """GIVEN the settings modules THEN each variable they read is documented in .env.example."""
    sources = "\n".join(p.read_text() for p in (ROOT / "config" / "settings").glob("*.py"))
    names = set(re.findall(r'env\.\w+\(\s*"([A-Z][A-Z0-9_]*)"', sources))
    beat = re.search(r"_BEAT = \[(.*?)\n\]", sources, re.DOTALL)
    assert beat is not None
    for entry in re.findall(r'\(\s*"(\w+)",', beat[1]):
        names |= {f"BEAT_{entry.upper()}_CRON", f"BEAT_{entry.upper()}_SECONDS"}
    assert {"SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"} <= names
    documented = set(
        re.findall(r"^#? ?([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )
    assert names - documented == set()


def test_compose_runs_every_process_with_a_health_check() -> None:
    """GIVEN docker-compose.yml THEN postgres, redis, web, worker and beat each have a health
    check, the app services run production settings, and what they call exists here.
    """
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    for name in ("postgres", "redis", "web", "worker", "beat"):
        assert services[name]["healthcheck"]["test"], name
    for name in ("migrate", "web", "worker", "beat"):
        service = services[name]
        assert service["environment"]["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
        assert service["env_file"] == ".env"
        assert service["depends_on"]["migrate" if name != "migrate" else "postgres"]
    assert "config.wsgi:application" in services["web"]["command"]
    assert services["worker"]["command"][:3] == ["celery", "--app=config", "worker"]
    assert services["beat"]["command"][:3] == ["celery", "--app=config", "beat"]
    checks = " ".join(
        str(s["healthcheck"].get("test", "")) for s in services.values() if "healthcheck" in s
    )
    assert "scripts/healthcheck.py" in checks
    assert (ROOT / "scripts" / "healthcheck.py").exists()


def test_dockerfile_builds_assets_translations_and_static_files() -> None:
    """GIVEN the Dockerfile THEN it installs npm assets, compiles messages and collects static."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    for step in ("npm ci", "pip install .", "compilemessages", "collectstatic", "USER nlzf"):
        assert step in dockerfile, step
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "node_modules", ".env", ".local"} <= set(ignored)


def test_production_trusts_one_proxy_and_keeps_api_docs_private() -> None:
    """GIVEN production defaults THEN one reverse proxy is trusted for the client's address,
    the API docs are not public, and the Content-Security-Policy forbids inline script."""
    result = run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.API_DOCS_PUBLIC, s.AXES_CLIENT_IP_CALLABLE, "
        "s.AXES_LOCKOUT_PARAMETERS, s.CONTENT_SECURITY_POLICY['DIRECTIVES']['script-src'])"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == (
        "1 False config.proxy.client_ip [['username', 'ip_address']] [\"'self'\"]"
    )


def test_production_proxy_count_and_public_docs_come_from_the_environment() -> None:
    """GIVEN TRUSTED_PROXY_COUNT=2 and API_DOCS_PUBLIC=true THEN production uses them."""
    result = run(
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.TRUSTED_PROXY_COUNT, s.API_DOCS_PUBLIC)",
        TRUSTED_PROXY_COUNT="2",
        API_DOCS_PUBLIC="true",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[-2] == "2 True"


# collectstatic under production settings and WhiteNoise's manifest storage, less the
# compression: gzip and Brotli copies of every file are about 60 of its 63 s, and these pages
# need only the manifest (the hashed names {% static %} looks up, strictly). The compressed
# files are collected and served in tests/test_smoke_processes.py, as the image does.
COLLECT_WITHOUT_COMPRESSION = """
import django; django.setup()
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from whitenoise.storage import CompressedManifestStaticFilesStorage
assert isinstance(staticfiles_storage, CompressedManifestStaticFilesStorage)
CompressedManifestStaticFilesStorage.compress_files = lambda self, paths: iter(())
call_command("collectstatic", "--noinput", "-v", "0")
"""

PRODUCTION_REQUESTS = """
import django; django.setup()
from django.test import Client
client = Client(SERVER_NAME="nlzf.example.gov.cn")
for path in ("/api/schema/", "/api/docs/", "/api/nope/", "/nope/"):
    r = client.get(path, secure=True)
    print(path, r.status_code, r.get("Location", "-"), r.get("Content-Type"),
          "csp" if "script-src 'self'" in r.get("Content-Security-Policy", "") else "no-csp")
"""


def test_production_answers_anonymous_api_docs_and_unknown_api_paths(tmp_path: Path) -> None:
    """GIVEN production settings (static files collected, as the image build does) WHEN an
    anonymous visitor asks for the schema, the docs and an unknown API path THEN 401, the
    login page, and a JSON 404, while an unknown page is the site's HTML 404; every answer
    carries the Content-Security-Policy."""
    static_root = str(tmp_path / "static")
    collected = run(COLLECT_WITHOUT_COMPRESSION, STATIC_ROOT=static_root)
    assert collected.returncode == 0, collected.stderr
    assert (tmp_path / "static" / "staticfiles.json").is_file()
    assert not list((tmp_path / "static").rglob("*.br"))
    result = run(PRODUCTION_REQUESTS, STATIC_ROOT=static_root)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()[-4:]
    assert lines[0].startswith("/api/schema/ 401 ")
    assert lines[1].startswith("/api/docs/ 302 /accounts/login/?next=/api/docs/")
    assert lines[2].startswith("/api/nope/ 404 - application/json")
    assert lines[3].startswith("/nope/ 404 - text/html")
    assert all(line.endswith(" csp") for line in lines), lines


@pytest.mark.django_db
def test_connections_run_without_jit() -> None:
    """Every connection turns PostgreSQL's JIT off: at a province's size it compiled short
    page queries for up to a second before running them for milliseconds."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"
