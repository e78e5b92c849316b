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
    "/api/v1/auth/tokens/",
    "/api/v1/auth/tokens/{id}/",
    "/api/v1/auth/tokens/revoke-all/",
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
    "/api/v1/ledgers/",
    "/api/v1/ledgers/{id}/",
    "/api/v1/areas/",
    "/api/v1/areas/{id}/",
    "/api/v1/items/",
    "/api/v1/items/{id}/",
    "/api/v1/items/{id}/progress/",
    "/api/v1/items/{id}/signoff/",
    "/api/v1/items/{id}/extension/",
    "/api/v1/progress-reports/",
    "/api/v1/progress-reports/{id}/",
    "/api/v1/progress-reports/{id}/accept/",
    "/api/v1/progress-reports/{id}/return/",
    "/api/v1/signoff-requests/",
    "/api/v1/signoff-requests/{id}/",
    "/api/v1/signoff-requests/{id}/approve/",
    "/api/v1/signoff-requests/{id}/return/",
    "/api/v1/extension-requests/",
    "/api/v1/extension-requests/{id}/",
    "/api/v1/extension-requests/{id}/approve/",
    "/api/v1/extension-requests/{id}/refuse/",
    "/api/v1/meetings/",
    "/api/v1/meetings/{id}/",
    "/api/v1/assessment-schemes/",
    "/api/v1/assessment-schemes/{id}/activate/",
    "/api/v1/assessment-rounds/",
    "/api/v1/assessment-rounds/{id}/publish/",
    "/api/v1/assessment-rounds/{id}/show-publicly/",
    "/api/v1/assessment-scores/",
    "/api/v1/deductions/",
    "/api/v1/appeals/",
    "/api/v1/appeals/{id}/decide/",
    "/api/v1/assessment-results/",
    "/api/v1/ranking/",
    "/api/v1/ranking/trend/",
    "/api/v1/score-imports/",
    "/api/v1/honor-rolls/",
    "/api/v1/honor-submissions/",
    "/api/v1/honor-flags/",
    "/api/v1/leader-lists/",
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


def test_schema_documents_optimistic_concurrency_and_cursor_pages(tmp_path: Path):
    """Changes to an item document If-Match, the ETag, 409 with the current item and 428;
    the item list pages with cursors and takes the page's filters."""
    out = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    schema = json.loads(out.read_text(encoding="utf-8"))
    item = schema["paths"]["/api/v1/items/{id}/"]
    assert {"get", "patch"} <= set(item) and "put" not in item and "delete" not in item
    assert "ETag" in item["get"]["responses"]["200"]["headers"]
    for path in ("/api/v1/items/{id}/", "/api/v1/items/{id}/progress/"):
        operation = item["patch"] if path.endswith("{id}/") else schema["paths"][path]["post"]
        assert {"409", "428"} <= set(operation["responses"]), path
        assert "If-Match" in {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        conflict = operation["responses"]["409"]["content"]["application/json"]["schema"]
        assert conflict == {"$ref": "#/components/schemas/ConflictResponse"}
    conflict = schema["components"]["schemas"]["ConflictResponse"]
    assert {"type", "errors", "current"} <= set(conflict["properties"])
    assert (
        "multipart/form-data"
        in (schema["paths"]["/api/v1/items/{id}/progress/"]["post"]["requestBody"]["content"])
    )
    listing = schema["paths"]["/api/v1/items/"]["get"]
    params = {p["name"] for p in listing["parameters"]}
    assert {"cursor", "page_size", "q", "area", "kind", "status", "light", "unit"} <= params
    assert {"deadline_after", "deadline_before", "three", "ordering"} <= params
    assert "page" not in params


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
    # Swagger UI's start-up script comes from the docs view itself (no inline script: CSP).
    assets.remove("/api/docs/?script=")
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
    assert {
        "ledgers",
        "areas",
        "items",
        "progress-reports",
        "signoff-requests",
        "extension-requests",
        "meetings",
    } <= set(response.json())


@pytest.mark.django_db
def test_a_nul_in_a_row_filter_is_a_documented_400(org, client, tmp_path: Path):
    """A filter choosing a row (a unit, a person) refuses a NUL with its own code, and the
    schema says so for every such filter (schemathesis found it once on ``person``)."""
    out = tmp_path / "schema.json"
    call_command("spectacular", "--format", "openapi-json", "--file", str(out))
    schemas = json.loads(out.read_text(encoding="utf-8"))["components"]["schemas"]
    for name in ("V1MeasuresListPersonErrorComponent", "V1ItemsListUnitErrorComponent"):
        assert "null_characters_not_allowed" in schemas[name]["properties"]["code"]["enum"]
    client.force_login(org.above)
    response = client.get(reverse("api:measure-list"), {"person": "1\x00"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "null_characters_not_allowed"
