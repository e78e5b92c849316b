"""The assessments API's answers that random cases seldom reach, with real rows behind them,
conform to the schema ``/api/schema/`` serves: a detail with its actions, a bulk entry of
scores refused per line (``entries.1.unit``) and by the service in words (``attr`` null), a
refusal by the rule (403), a deduction recorded as multipart with evidence, an appeal filed
and decided. ``tests/test_api_fuzz.py`` sends random cases to every operation; these are the
ones it cannot build without an assessment."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
import time_machine
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import Client
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer

from ..models import RoundStatus
from .conftest import APPEAL_UNTIL, Assessment

pytestmark = pytest.mark.django_db

NOW = dt.datetime.combine(APPEAL_UNTIL - dt.timedelta(days=10), dt.time(2), tzinfo=dt.UTC)
CSRF = "documenteddocumenteddocumented32"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(scope="module")
def schema() -> schemathesis.BaseSchema:
    """The schema as served, bound to the WSGI app (called in-process, in the test's
    transaction)."""
    raw = SchemaGenerator().get_schema(request=None, public=True)
    document = json.loads(OpenApiJsonRenderer().render(raw, renderer_context={}))
    loaded = schemathesis.openapi.from_dict(document)
    loaded.app = get_wsgi_application()
    return loaded


@pytest.fixture(autouse=True)
def _clock(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _requests_stay_in_the_test_transaction() -> Iterator[None]:
    """The end of a request closes a connection that is not in autocommit, which the test's
    is; Django's own test client unhooks that for the same reason."""
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


def _send(
    schema: schemathesis.BaseSchema,
    user: Any,
    method: str,
    path: str,
    *,
    pk: int | None = None,
    body: Any = None,
    media_type: str = "application/json",
) -> Any:
    """Send as ``user`` (a session, with its CSRF token), check the answer conforms to the
    operation's schema, and return it."""
    client = Client()
    client.force_login(user)
    operation = schema[path][method]
    kwargs: dict[str, Any] = {
        "headers": {"X-CSRFToken": CSRF, "Accept-Language": "zh-hans"},
        "cookies": {"sessionid": client.session.session_key, "csrftoken": CSRF},
    }
    if pk is not None:
        kwargs["path_parameters"] = {"id": pk}
    if body is not None:
        kwargs["body"], kwargs["media_type"] = body, media_type
    case = operation.Case(**kwargs)
    response = case.call()
    operation.validate_response(response)
    return response


def test_round_detail_and_moves_are_documented(
    schema: schemathesis.BaseSchema, assessment: Assessment
) -> None:
    org, review = assessment.org, assessment.review
    detail = _send(schema, org.assessor, "GET", "/api/v1/assessment-rounds/{id}/", pk=review.pk)
    assert detail.json()["actions"] == ["publish", "record_deduction", "show_publicly"]
    refused = _send(
        schema, org.inside, "POST", "/api/v1/assessment-rounds/{id}/publish/", pk=review.pk
    )
    assert refused.status_code == 403
    shown = _send(
        schema, org.assessor, "POST", "/api/v1/assessment-rounds/{id}/show-publicly/", pk=review.pk
    )
    assert shown.status_code == 200 and shown.json()["public"] is True
    archived = assessment.rounds[RoundStatus.ARCHIVED]
    wrong = _send(
        schema, org.assessor, "POST", "/api/v1/assessment-rounds/{id}/archive/", pk=archived.pk
    )
    assert wrong.status_code == 400 and wrong.json()["errors"][0]["attr"] is None
    created = _send(
        schema,
        org.assessor,
        "POST",
        "/api/v1/assessment-rounds/",
        body={
            "scheme": assessment.w.scheme.pk,
            "kind": "quarterly",
            "quarter": 2,
            "title": "重复的第二季度",
            "period_start": "2022-04-01",
            "period_end": "2022-06-30",
        },
    )
    assert created.status_code == 400 and created.json()["errors"][0]["attr"] == "quarter"


def test_bulk_score_refusals_are_documented(
    schema: schemathesis.BaseSchema, assessment: Assessment
) -> None:
    org, w = assessment.org, assessment.w
    path = "/api/v1/assessment-scores/"
    line = {"unit": org.county_a.pk, "indicator": w.indicators["D1"].pk, "points": "10"}
    per_line = _send(
        schema,
        org.assessor,
        "POST",
        path,
        body={
            "round": assessment.scoring.pk,
            "entries": [line, {**line, "unit": org.county_a_dept.pk}],
        },
    )
    assert [e["attr"] for e in per_line.json()["errors"]] == ["entries.1.unit"]
    too_many = _send(
        schema,
        org.assessor,
        "POST",
        path,
        body={"round": assessment.scoring.pk, "entries": [{**line, "points": "51"}]},
    )
    assert too_many.status_code == 400 and too_many.json()["errors"][0]["attr"] is None
    entered = _send(
        schema, org.assessor, "POST", path, body={"round": assessment.scoring.pk, "entries": [line]}
    )
    assert entered.status_code == 201
    listed = _send(schema, org.inside, "GET", path)
    assert listed.json()["count"] == 1


def test_deduction_and_appeal_are_documented(
    schema: schemathesis.BaseSchema, assessment: Assessment
) -> None:
    org, w = assessment.org, assessment.w
    recorded = _send(
        schema,
        org.assessor,
        "POST",
        "/api/v1/deductions/",
        body={
            "round": assessment.review.pk,
            "unit": org.county_a.pk,
            "indicator": w.indicators["D1"].pk,
            "points": "3",
            "reason": "暗访发现台账更新不及时",
            "origin": "inspection",
            "files": [PDF],
        },
        media_type="multipart/form-data",
    )
    assert recorded.status_code == 201, recorded.text
    deduction = recorded.json()
    assert len(deduction["evidence"]) == 1
    mine = _send(schema, org.inside, "GET", "/api/v1/deductions/{id}/", pk=deduction["id"])
    assert mine.json()["actions"] == ["appeal"]
    filed = _send(
        schema,
        org.inside,
        "POST",
        "/api/v1/appeals/",
        body={"deduction": deduction["id"], "reasons": "已按期整改"},
    )
    assert filed.status_code == 201
    appeal = filed.json()["id"]
    decided = _send(
        schema,
        org.assessor,
        "POST",
        "/api/v1/appeals/{id}/decide/",
        pk=appeal,
        body={"upheld": False, "reason": "整改不到位"},
    )
    assert decided.json()["status"] == "rejected"
    for path in ("/api/v1/appeals/", "/api/v1/assessment-schemes/", "/api/v1/assessment-results/"):
        assert _send(schema, org.inside, "GET", path).status_code == 200
    scheme = _send(schema, org.inside, "GET", "/api/v1/assessment-schemes/{id}/", pk=w.scheme.pk)
    assert scheme.json()["indicators"]
