"""The OpenAPI schema is valid and warning-free; the docs page works without the internet."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

ENDPOINTS = [
    "/api/v1/auth/token/",
    "/api/v1/me/",
    "/api/v1/units/",
    "/api/v1/units/{id}/",
    "/api/v1/campaigns/",
    "/api/v1/campaigns/{id}/",
    "/api/v1/task-forces/",
    "/api/v1/task-forces/{id}/",
    "/api/v1/supervision-groups/",
    "/api/v1/supervision-groups/{id}/",
    "/api/v1/chains/",
    "/api/v1/chains/{id}/",
]


def test_schema_validates_without_warnings(tmp_path: Path):
    """``manage.py spectacular --validate --fail-on-warn`` passes (it raises otherwise)."""
    out = tmp_path / "schema.json"
    call_command(
        "spectacular",
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        "--file",
        str(out),
    )
    schema = json.loads(out.read_text(encoding="utf-8"))
    assert set(ENDPOINTS) <= set(schema["paths"])
    chains = schema["paths"]["/api/v1/chains/{id}/"]
    assert {"get", "patch", "delete"} <= set(chains)
    assert "put" not in chains


def test_schema_endpoint_serves_the_schema(client):
    response = client.get(reverse("api-schema"), {"format": "json"})
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert set(ENDPOINTS) <= set(schema["paths"])
    # Every list documents the standard error shape.
    errors = schema["paths"]["/api/v1/units/"]["get"]["responses"]
    assert {"400", "401", "404"} <= set(errors)


def test_docs_page_uses_only_local_assets(client):
    response = client.get(reverse("api-docs"))
    assert response.status_code == 200
    page = response.content.decode()
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", page), "external URL in docs"
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/"), asset
        assert finders.find(asset.removeprefix("/static/")), f"{asset} is not installed"


def test_api_root_lists_the_routes(org, client):
    client.force_login(org.inside)
    response = client.get(reverse("api:api-root"))
    assert response.status_code == 200
    assert {"units", "campaigns", "task-forces", "supervision-groups", "chains"} <= set(
        response.json()
    )
