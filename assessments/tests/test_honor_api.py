"""The honor roll API: submit (multipart with evidence), decide, flag, publish, through the
same services as the pages; refusals in the one error shape; jurisdiction; lists in a fixed
number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from accounts.models import Notification

from ..honor import KIND_HONOR
from ..models import HonorFlag, HonorRoll, HonorRollStatus, HonorSubmission, HonorSubmissionStatus
from .test_honor_services import MAY, Honor, make_honor, pdf

pytestmark = pytest.mark.django_db

ROLLS = "/api/v1/honor-rolls/"
SUBMISSIONS = "/api/v1/honor-submissions/"
FLAGS = "/api/v1/honor-flags/"


@pytest.fixture
def h(org: Any) -> Honor:
    return make_honor(org)


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(dt.datetime(2022, 5, 10, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def api() -> APIClient:
    return APIClient()


def submit(api: APIClient, h: Honor, **fields: Any) -> Any:
    data = {
        "campaign": h.org.campaign.pk,
        "unit": h.org.county_a.pk,
        "month": "2022-05-20",
        "title": "营商环境“办事不求人”",
        "text": "本月5项高频事项实现最多跑一次。",
        "files": [pdf()],
        **fields,
    }
    return api.post(SUBMISSIONS, data, format="multipart")


def test_the_whole_month_through_the_api(api: APIClient, h: Honor) -> None:
    """GIVEN 甲县's liaison and the office WHEN the liaison submits with a file, the office
    selects it, flags 乙县 blue and publishes THEN the roll is published, frozen and told."""
    api.force_authenticate(h.org.inside)
    created = submit(api, h)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["status"] == "submitted" and body["month"] == "2022-05-01"
    assert body["evidence"][0]["original_name"] == "获奖证书.pdf"
    api.force_login(h.org.inside)  # the download is a page of the site
    assert api.get(body["evidence"][0]["url"]).status_code == 200
    roll_id = body["roll"]
    assert api.get(f"{ROLLS}{roll_id}/").status_code == 404  # a draft is the office's

    api.force_authenticate(h.office)
    decided = api.post(f"{SUBMISSIONS}{body['id']}/decide/", {"selected": True, "place": 1})
    assert decided.status_code == 200 and decided.json()["place"] == 1
    flag = api.post(
        FLAGS,
        {"roll": roll_id, "unit": h.org.county_b.pk, "colour": "blue", "reason": "推进滞后"},
    )
    assert flag.status_code == 201, flag.json()
    published = api.post(f"{ROLLS}{roll_id}/publish/", {"note": "五月榜"})
    assert published.status_code == 200, published.json()
    detail = published.json()
    assert detail["status"] == "published" and detail["selected_count"] == 1
    assert [f["colour"] for f in detail["flags"]] == ["blue"]
    assert Notification.objects.filter(kind=KIND_HONOR).exists()

    again = api.post(f"{SUBMISSIONS}{body['id']}/decide/", {"selected": False})
    assert again.status_code == 400
    assert "已发布" in again.json()["errors"][0]["detail"]
    removed = api.delete(f"{FLAGS}{flag.json()['id']}/")
    assert removed.status_code == 400
    api.force_authenticate(h.org.inside)
    late = submit(api, h)
    assert late.status_code == 400 and HonorSubmission.objects.count() == 1


def test_refusals_come_in_the_error_shape(api: APIClient, h: Honor) -> None:
    api.force_authenticate(h.org.inside)
    bad = submit(api, h, title="", files=[pdf(), pdf("病毒.exe")])
    assert bad.status_code == 400
    attrs = {e["attr"] for e in bad.json()["errors"]}
    assert {"title", "files.1"} <= attrs or {"title", "files"} <= attrs
    future = submit(api, h, month="2022-07-01")
    assert future.status_code == 400 and future.json()["errors"][0]["attr"] == "month"
    assert not HonorSubmission.objects.exists()
    api.force_authenticate(h.org.official)
    assert submit(api, h).status_code == 403


def test_one_unit_neither_submits_for_nor_sees_another(api: APIClient, h: Honor) -> None:
    ours = h.submit(files=[pdf()])
    api.force_authenticate(h.org.outsider)
    refused = submit(api, h, title="冒名")
    assert refused.status_code == 403 and "甲县" in refused.json()["errors"][0]["detail"]
    assert api.get(f"{SUBMISSIONS}{ours.pk}/").status_code == 404
    assert api.get(SUBMISSIONS).json()["count"] == 0
    assert api.post(f"{SUBMISSIONS}{ours.pk}/decide/", {"selected": True}).status_code == 404
    api.force_authenticate(h.org.inside)  # sees its own, but does not decide
    assert api.get(f"{SUBMISSIONS}{ours.pk}/").status_code == 200
    refused = api.post(f"{SUBMISSIONS}{ours.pk}/decide/", {"selected": True})
    assert refused.status_code == 403
    assert HonorSubmission.objects.get().status == HonorSubmissionStatus.SUBMITTED
    flag = api.post(
        FLAGS, {"roll": ours.roll_id, "unit": h.org.county_a.pk, "colour": "red", "reason": "好"}
    )
    assert flag.status_code == 400  # the draft roll is not among its choices
    assert not HonorFlag.objects.exists()


def test_publishing_without_a_selection_is_refused(api: APIClient, h: Honor) -> None:
    roll = h.submit().roll
    api.force_authenticate(h.office)
    response = api.post(f"{ROLLS}{roll.pk}/publish/", {})
    assert response.status_code == 400 and "至少" in response.json()["errors"][0]["detail"]
    assert HonorRoll.objects.get().status == HonorRollStatus.DRAFT


def test_lists_run_a_fixed_number_of_queries(api: APIClient, h: Honor) -> None:
    """Rolls: auth (2), jurisdiction (3), office roles (1), count and page (2). Highlights:
    the same with their evidence (1 more). The same for 1 as for 11."""
    h.submit(files=[pdf()])
    api.force_authenticate(h.office)

    def counts() -> list[int]:
        found = []
        for url in (ROLLS, SUBMISSIONS, FLAGS):
            with CaptureQueriesContext(connection) as ctx:
                assert api.get(url).status_code == 200
            found.append(len(ctx))
        return found

    counts()  # the caller's jurisdiction is computed once and kept on the user object
    few = counts()
    for month in (1, 2, 3, 4):
        for n in range(3):
            h.submit(month=dt.date(2022, month, 1), title=f"亮点{n}", files=[pdf()])
    many = counts()
    assert many == few
    assert api.get(ROLLS).json()["count"] == 5
    assert MAY.month == 5
