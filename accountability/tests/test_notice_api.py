"""The notices API: the register scoped and filtered as the page, the detail with what the
caller may do, drafting (multipart with files) and the actions, with 404 outside the
caller's sight, 403 with the rule's reason, and 400 per field."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from ..models import Notice, NoticeAttachment, NoticeKind, NoticeStatus
from .factories import make_notice, pdf

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC)
LATER = dt.datetime(2022, 6, 20, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(NOW, tick=False):
        yield


def _api(user: Any) -> APIClient:
    api = APIClient()
    api.force_authenticate(user=user)
    return api


def _ids(response: Any) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _action(notice: Notice, name: str) -> str:
    return reverse(f"api:notice-{name}", args=[notice.pk])


def test_list_is_scoped_and_filtered(org: Any) -> None:
    """GIVEN notices to 甲县 and 乙县 WHEN each side lists THEN each sees its own; the
    office's filters narrow as the page's do."""
    home = make_notice(org, org.county_a)
    away = make_notice(org, org.county_b, kind=NoticeKind.SUPERVISION)
    target = reverse("api:notice-list")
    assert _ids(_api(org.inside).get(target)) == {home.pk}
    assert _ids(_api(org.outsider).get(target)) == {away.pk}
    office = _api(org.above)
    assert _ids(office.get(target)) == {home.pk, away.pk}
    assert _ids(office.get(target, {"kind": NoticeKind.SUPERVISION})) == {away.pk}
    assert _ids(office.get(target, {"target_unit": org.county_a.pk})) == {home.pk}
    assert _ids(office.get(target, {"q": away.number})) == {away.pk}
    assert _ids(office.get(target, {"overdue": "true"})) == set()
    with time_machine.travel(LATER, tick=False):
        rows = office.get(target, {"overdue": "true"}).json()["results"]
        assert {row["id"] for row in rows} == {home.pk, away.pk}
        assert all(row["overdue"] for row in rows)


def test_list_query_count_is_fixed(org: Any, django_assert_num_queries: Any) -> None:
    """GIVEN 1 notice, then 6 WHEN the office lists THEN the same number of queries."""
    make_notice(org, org.county_a)
    api = _api(org.above)
    target = reverse("api:notice-list")
    with CaptureQueriesContext(connection) as one:
        assert len(_ids(api.get(target))) == 1
    for unit in (org.county_a, org.county_b, org.township_a, org.county_b, org.county_a):
        make_notice(org, unit)
    # The count, and one page of rows with their units and group joined (the caller's
    # jurisdiction is memoised on this user object, which made the notices above).
    assert len(one.captured_queries) == 2
    with django_assert_num_queries(len(one.captured_queries)):
        assert len(_ids(api.get(target))) == 6


def test_detail_says_what_the_caller_may_do(org: Any) -> None:
    """GIVEN an issued notice WHEN the unit and the office read it THEN ``actions`` lists
    sign_for for the unit, escalate for the office; 乙县 gets 404."""
    notice = make_notice(org, org.county_a)
    target = reverse("api:notice-detail", args=[notice.pk])
    body = _api(org.inside).get(target).json()
    assert body["actions"] == ["sign_for"]
    assert body["number"] == notice.number and body["facts"]
    assert "escalate" in _api(org.above).get(target).json()["actions"]
    assert _api(org.outsider).get(target).status_code == 404


def test_refusal_is_403_with_the_reason(org: Any) -> None:
    """GIVEN an issued notice WHEN the office signs for it THEN 403 with the rule's reason,
    nothing changes; 乙县's liaison gets 404."""
    notice = make_notice(org, org.county_a)
    response = _api(org.above).post(_action(notice, "sign-for"))
    assert response.status_code == 403
    assert response.json()["errors"][0]["detail"]
    assert _api(org.outsider).post(_action(notice, "sign-for")).status_code == 404
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.ISSUED


def test_refusal_comes_before_the_body(org: Any) -> None:
    """GIVEN a reply by the office (not the target unit) with no text WHEN posted THEN 403,
    not a field error about a reply the office may not make."""
    notice = make_notice(org, org.county_a, NoticeStatus.SIGNED_FOR)
    assert _api(org.above).post(_action(notice, "reply"), {}).status_code == 403


def test_field_errors_are_400(org: Any) -> None:
    """GIVEN a notice signed for WHEN the unit replies with no text THEN 400 naming the
    field; an escalation without a reply deadline likewise."""
    notice = make_notice(org, org.county_a, NoticeStatus.SIGNED_FOR)
    response = _api(org.inside).post(_action(notice, "reply"), {"text": ""})
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "text"
    response = _api(org.above).post(_action(notice, "escalate"), {}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "reply_deadline"


def test_wrong_status_is_400(org: Any) -> None:
    """GIVEN a notice already signed for WHEN the unit signs for it again THEN 400 in words."""
    notice = make_notice(org, org.county_a, NoticeStatus.SIGNED_FOR)
    response = _api(org.inside).post(_action(notice, "sign-for"))
    assert response.status_code == 400
    assert response.json()["errors"][0]["detail"]


def test_draft_with_files_and_the_whole_lifecycle(org: Any) -> None:
    """GIVEN the group's member WHEN it drafts a supervision order (multipart, with a file),
    the leader approves, the office issues, the unit signs for and replies with evidence,
    the office returns it, the unit replies again and the office accepts THEN it is
    closed and every file is listed."""
    response = _api(org.supervisor).post(
        reverse("api:notice-list"),
        {
            "kind": NoticeKind.SUPERVISION,
            "target_unit": org.county_a.pk,
            "group": org.group_a.pk,
            "subject_title": "项目手续办理滞后",
            "facts": "两个月未取得施工许可",
            "requirements": "十日内办结",
            "reply_deadline": "2022-06-12",
            "files": [pdf("通报.pdf")],
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content
    notice = Notice.objects.get(pk=response.json()["id"])
    assert response.json()["status"] == NoticeStatus.DRAFT
    assert _api(org.superuser).post(_action(notice, "approve")).status_code == 200
    issued = _api(org.above).post(_action(notice, "issue"))
    assert issued.json()["number"].startswith("督办〔2022〕")
    assert _api(org.inside).post(_action(notice, "sign-for")).status_code == 200
    replied = _api(org.inside).post(
        _action(notice, "reply"),
        {"text": "已办结", "files": [pdf("许可证.pdf")]},
        format="multipart",
    )
    assert replied.status_code == 200
    returned = _api(org.above).post(_action(notice, "return"), {"reason": "缺少批复"})
    assert returned.json()["status"] == NoticeStatus.RETURNED
    assert returned.json()["return_reason"] == "缺少批复"
    assert _api(org.inside).post(_action(notice, "reply"), {"text": "已补充"}).status_code == 200
    closed = _api(org.above).post(_action(notice, "accept")).json()
    assert closed["status"] == NoticeStatus.CLOSED
    assert {a["original_name"] for a in closed["attachments"]} == {"通报.pdf", "许可证.pdf"}
    assert NoticeAttachment.objects.filter(notice=notice, with_reply=True).count() == 1


def test_draft_out_of_reach(org: Any) -> None:
    """GIVEN the group's member WHEN it drafts to 乙县, which its group does not cover THEN
    400 on the unit (乙县 is not one it may name); 甲县's liaison drafting to 甲县 is 403
    with the reason; nothing is saved."""
    payload = {
        "kind": NoticeKind.REMINDER,
        "target_unit": org.county_b.pk,
        "group": org.group_a.pk,
        "subject_title": "越权起草",
        "facts": "x",
        "requirements": "y",
        "reply_deadline": "2022-06-12",
    }
    response = _api(org.supervisor).post(reverse("api:notice-list"), payload, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["attr"] == "target_unit"
    payload["target_unit"] = org.county_a.pk
    assert (
        _api(org.inside).post(reverse("api:notice-list"), payload, format="json").status_code == 403
    )
    assert not Notice.objects.exists()


def test_escalate_answers_with_the_new_draft(org: Any) -> None:
    """GIVEN an issued reminder WHEN the office escalates it straight to a warning THEN 201
    with the new draft, which links back."""
    notice = make_notice(org, org.county_a)
    response = _api(org.above).post(
        _action(notice, "escalate"),
        {"reply_deadline": "2022-06-20", "kind": NoticeKind.WARNING},
        format="json",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["kind"] == NoticeKind.WARNING and body["escalated_from"] == notice.pk
    detail = _api(org.above).get(reverse("api:notice-detail", args=[notice.pk])).json()
    assert [e["id"] for e in detail["escalations"]] == [body["id"]]
