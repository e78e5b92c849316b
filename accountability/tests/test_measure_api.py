"""The measures and exemptions API: strikes in the list and detail, recording and applying,
the office's decisions, errors in the API's one shape (400 per field, 403 with the reason,
404 outside the jurisdiction), nothing half-saved, and a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accountability.models import AccountabilityMeasure, Exemption, ExemptionStatus, NoticeKind
from accounts.models import Post
from accounts.tests.factories import MembershipFactory, UserFactory

from .measure_factories import issued_notice, new_exemption, new_measure

pytestmark = pytest.mark.django_db

MEASURES = reverse("api:measure-list")
EXEMPTIONS = reverse("api:exemption-list")


@pytest.fixture(autouse=True)
def _in_the_campaign() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


def _api(user: Any) -> APIClient:
    api = APIClient()
    api.force_authenticate(user=user)
    return api


def _errors(response: Any) -> dict[str | None, str]:
    return {error["attr"]: error["detail"] for error in response.json()["errors"]}


def _measure(org: Any, **fields: Any) -> dict[str, Any]:
    return {
        "campaign": org.campaign.pk,
        "kind": "self_examination",
        "unit": org.county_a.pk,
        "basis": "逾期未整改",
        "deciding_authority": "测试市纪委监委",
        "decided_on": "2022-05-30",
        **fields,
    }


def test_recording_answers_with_the_strikes_and_whom_they_involve(org: Any) -> None:
    leader = UserFactory(name="甲县县长")
    MembershipFactory(user=leader, unit=org.county_a, post=Post.PRINCIPAL_LEADER)
    new_measure(org, org.county_a)
    new_measure(org, org.county_a)
    notice = issued_notice(org, org.county_a, NoticeKind.WARNING)
    response = _api(org.above).post(
        MEASURES, _measure(org, person=org.inside.pk, notices=[notice.pk]), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["unit_strikes"] == 3
    assert body["person_strikes"] == 1
    assert body["threshold_reached"] is True
    assert body["involve"] == [{"id": leader.pk, "name": "甲县县长"}]
    assert [n["number"] for n in body["basis_notices"]] == [notice.number]


def test_the_list_carries_strikes_and_filters_in_a_fixed_number_of_queries(org: Any) -> None:
    new_measure(org, org.county_a)
    new_measure(org, org.county_a, person=org.inside)
    api = _api(org.above)
    filters = {"unit": org.county_a.pk, "person": org.inside.pk}
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(MEASURES, filters).json()["results"]) == 1
    for _n in range(3):
        new_measure(org, org.county_a, person=org.inside)
    new_measure(org, org.county_b)
    with CaptureQueriesContext(connection) as many:
        response = api.get(MEASURES, filters)
    rows = response.json()["results"]
    assert len(rows) == 4
    assert {row["unit_strikes"] for row in rows} == {5}
    assert {row["person_strikes"] for row in rows} == {4}
    # Same queries for one row or four: the two filters' choices, the count, the page, the
    # basis notices, and strike_counts' two grouped counts for the one year shown.
    assert len(many) == len(one)


def test_an_invalid_notice_is_a_field_error_and_saves_nothing(org: Any) -> None:
    other = issued_notice(org, org.county_b)
    response = _api(org.above).post(MEASURES, _measure(org, notices=[other.pk]), format="json")
    assert response.status_code == 400
    assert "不是发给甲县的" in _errors(response)["notices"]
    assert not AccountabilityMeasure.objects.exists()
    response = _api(org.above).post(MEASURES, _measure(org, basis=""), format="json")
    assert response.status_code == 400
    assert _errors(response)["basis"] == "请援引相关单据或写明问责依据。"
    assert not AccountabilityMeasure.objects.exists()


def test_the_unit_may_not_record_and_another_unit_cannot_read(org: Any) -> None:
    response = _api(org.inside).post(MEASURES, _measure(org), format="json")
    assert response.status_code == 403
    assert _errors(response)[None] == "只有活动办公室可以登记问责措施。"
    measure = new_measure(org, org.county_a)
    detail = reverse("api:measure-detail", args=[measure.pk])
    assert _api(org.outsider).get(detail).status_code == 404
    assert _api(org.outsider).get(MEASURES).json()["results"] == []
    assert _api(org.inside).get(detail).status_code == 200


def test_the_unit_applies_and_the_office_decides(org: Any) -> None:
    notice = issued_notice(org, org.county_a)
    response = _api(org.inside).post(
        EXEMPTIONS,
        {"notice": notice.pk, "distinctions": ["pioneering"], "reasons": "改革探索中的失误"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == ExemptionStatus.PENDING
    assert body["distinctions_display"] == [
        "在推进改革中因缺乏经验、先行先试出现的失误错误，而非明知故犯的违纪违法行为"
    ]
    refuse = reverse("api:exemption-refuse", args=[body["id"]])
    response = _api(org.above).post(refuse, {}, format="json")
    assert response.status_code == 400
    assert "note" in _errors(response)
    approve = reverse("api:exemption-approve", args=[body["id"]])
    assert _api(org.inside).post(approve, {}, format="json").status_code == 403
    response = _api(org.above).post(approve, {"note": "同意"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == ExemptionStatus.APPROVED
    response = _api(org.above).post(refuse, {"note": "改判"}, format="json")
    assert response.status_code == 400
    assert "不能再次审核" in _errors(response)[None]


def test_exemptions_stay_inside_their_unit(org: Any) -> None:
    """GIVEN 甲县's pending exemption WHEN 乙县's liaison reads, decides, or applies about
    甲县's notice THEN 404 or a field error; nothing changes."""
    exemption = new_exemption(org, org.county_a)
    outsider = _api(org.outsider)
    assert outsider.get(reverse("api:exemption-detail", args=[exemption.pk])).status_code == 404
    approve = reverse("api:exemption-approve", args=[exemption.pk])
    assert outsider.post(approve, {}, format="json").status_code == 404
    notice = issued_notice(org, org.county_a)
    response = outsider.post(
        EXEMPTIONS,
        {"notice": notice.pk, "distinctions": ["pioneering"], "reasons": "越权"},
        format="json",
    )
    assert response.status_code == 400
    assert "notice" in _errors(response)
    assert Exemption.objects.count() == 1
    exemption.refresh_from_db()
    assert exemption.status == ExemptionStatus.PENDING
    response = _api(org.inside).post(
        EXEMPTIONS, {"notice": notice.pk, "distinctions": [], "reasons": ""}, format="json"
    )
    assert response.status_code == 400
    assert {"distinctions", "reasons"} <= set(_errors(response))


def test_a_year_no_date_has_is_a_field_error_not_a_crash(org: Any) -> None:
    response = _api(org.above).get(MEASURES, {"year": "-7e112"})
    assert response.status_code == 400
    assert "year" in _errors(response)
    client = Client()
    client.force_login(org.above)
    page = client.get(reverse("accountability:measure-list"), {"year": "99999"})
    assert page.status_code == 200
