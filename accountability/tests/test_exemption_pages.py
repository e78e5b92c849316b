"""The exemption pages: the unit applies about a notice or an item (the three distinctions in
their full wording), the office sees its queue first and approves or refuses (a reason
required), refusals in Chinese with nothing saved, and no unit reads another's."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accountability.models import Distinction, Exemption, ExemptionStatus, is_exempted
from tasks_ledger.tests.factories import make_item, make_ledger

from .measure_factories import issued_notice, new_exemption

pytestmark = pytest.mark.django_db

APPLY = reverse("accountability:exemption-apply")
LIST = reverse("accountability:exemption-list")


@pytest.fixture(autouse=True)
def _in_the_campaign() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_form_shows_the_notice_and_the_three_distinctions_in_full(org: Any) -> None:
    notice = issued_notice(org, org.county_a)
    response = _client(org.inside).get(APPLY, {"notice": notice.pk})
    assert response.status_code == 200
    text = response.content.decode()
    assert notice.number in text
    for distinction in Distinction:
        assert str(distinction.label) in text
    assert "改革" in text  # the wording is Chinese, not the English msgid


def test_the_unit_applies_about_a_notice(org: Any) -> None:
    notice = issued_notice(org, org.county_a)
    response = _client(org.inside).post(
        APPLY,
        {"notice": notice.pk, "distinctions": ["exploratory"], "reasons": "探索性试验中的失误"},
        follow=True,
    )
    assert response.status_code == 200
    exemption = Exemption.objects.get(notice=notice)
    assert exemption.distinctions == ["exploratory"]
    assert exemption.unit == org.county_a
    assert "申请已提交" in response.content.decode()


def test_the_unit_applies_about_a_ledger_item(org: Any) -> None:
    item = make_item(make_ledger(org.campaign), org.county_a, title="甲县道路改造")
    response = _client(org.inside).get(APPLY, {"item": item.pk})
    assert "甲县道路改造" in response.content.decode()
    _client(org.inside).post(
        APPLY,
        {"item": item.pk, "distinctions": ["unintentional"], "reasons": "推动发展中的无意过失"},
    )
    assert Exemption.objects.filter(item=item, status=ExemptionStatus.PENDING).exists()


def test_refusals_are_in_chinese_and_save_nothing(org: Any) -> None:
    """GIVEN a notice to 甲县 WHEN its liaison applies without a distinction or reasons, or
    applies again while one is pending THEN the form says why in Chinese; one exemption."""
    notice = issued_notice(org, org.county_a)
    client = _client(org.inside)
    response = client.post(APPLY, {"notice": notice.pk, "reasons": ""})
    assert response.status_code == 422
    text = response.content.decode()
    assert "请至少选择“三个区分开来”中的一项" in text
    assert "请写明申请理由" in text
    assert not Exemption.objects.exists()
    new_exemption(org, org.county_a, notice=notice)
    response = client.post(
        APPLY, {"notice": notice.pk, "distinctions": ["pioneering"], "reasons": "再次申请"}
    )
    assert response.status_code == 422
    assert "该事项已有待审核的容错免责申请" in response.content.decode()
    assert Exemption.objects.count() == 1


def test_another_unit_can_neither_apply_nor_read(org: Any) -> None:
    """GIVEN a notice to 甲县 and its pending exemption WHEN 乙县's liaison opens, applies,
    or decides THEN 404 or a form error, and nothing changes."""
    notice = issued_notice(org, org.county_a)
    exemption = new_exemption(org, org.county_a)
    outsider = _client(org.outsider)
    assert outsider.get(APPLY, {"notice": notice.pk}).status_code == 404
    response = outsider.post(
        APPLY, {"notice": notice.pk, "distinctions": ["pioneering"], "reasons": "越权申请"}
    )
    assert response.status_code == 422
    assert not Exemption.objects.filter(notice=notice).exists()
    detail = reverse("accountability:exemption-detail", args=[exemption.pk])
    assert outsider.get(detail).status_code == 404
    assert exemption.reasons not in outsider.get(LIST).content.decode()
    approve = reverse("accountability:exemption-approve", args=[exemption.pk])
    assert outsider.post(approve).status_code == 404
    exemption.refresh_from_db()
    assert exemption.status == ExemptionStatus.PENDING


def test_the_office_sees_its_queue_pending_first(org: Any) -> None:
    decided = new_exemption(org, org.county_a)
    _client(org.above).post(reverse("accountability:exemption-approve", args=[decided.pk]))
    pending = new_exemption(org, org.county_b)
    response = _client(org.above).get(LIST)
    assert [e.pk for e in response.context["queue"]] == [pending.pk]
    assert [e.pk for e in response.context["page"].object_list] == [pending.pk, decided.pk]
    # The unit sees its own, and no queue.
    response = _client(org.inside).get(LIST)
    assert response.context["queue"] == []
    assert [e.pk for e in response.context["page"].object_list] == [decided.pk]


def test_approving_stops_escalation_of_the_matter(org: Any) -> None:
    exemption = new_exemption(org, org.county_a)
    response = _client(org.above).post(
        reverse("accountability:exemption-approve", args=[exemption.pk]), follow=True
    )
    assert "已批准容错免责" in response.content.decode()
    assert exemption.notice is not None
    assert is_exempted(exemption.notice)


def test_refusing_needs_a_reason(org: Any) -> None:
    exemption = new_exemption(org, org.county_a)
    refuse = reverse("accountability:exemption-refuse", args=[exemption.pk])
    response = _client(org.above).post(refuse, {"note": "  "})
    assert response.status_code == 422
    assert "请说明不予免责的理由" in response.content.decode()
    exemption.refresh_from_db()
    assert exemption.status == ExemptionStatus.PENDING
    _client(org.above).post(refuse, {"note": "不符合容错情形"})
    exemption.refresh_from_db()
    assert exemption.status == ExemptionStatus.REFUSED
    assert exemption.decision_note == "不符合容错情形"
    # Deciding twice says so.
    response = _client(org.above).post(refuse, {"note": "再次"})
    assert response.status_code == 422
    assert "不能再次审核" in response.content.decode()


def test_the_unit_sees_the_decision_but_no_forms(org: Any) -> None:
    exemption = new_exemption(org, org.county_a)
    detail = reverse("accountability:exemption-detail", args=[exemption.pk])
    text = _client(org.inside).get(detail).content.decode()
    assert "等待活动办公室审批" in text
    assert reverse("accountability:exemption-approve", args=[exemption.pk]) not in text
    assert (
        _client(org.inside)
        .post(reverse("accountability:exemption-approve", args=[exemption.pk]))
        .status_code
        == 403
    )


def test_the_history_says_who_applied_and_who_decided(org: Any) -> None:
    exemption = new_exemption(org, org.county_a)
    office = _client(org.above)
    office.post(reverse("accountability:exemption-refuse", args=[exemption.pk]), {"note": "不符"})
    history = reverse("accountability:exemption-history", args=[exemption.pk])
    text = office.get(history).content.decode()
    assert org.above.name in text  # who refused, from the request
    assert "新建容错免责申请" in text
    assert "不符" in text
    assert _client(org.outsider).get(history).status_code == 404
    detail = office.get(reverse("accountability:exemption-detail", args=[exemption.pk]))
    assert history in detail.content.decode()
