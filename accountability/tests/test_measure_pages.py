"""The measures pages: the list with its filters and strikes, recording a measure from a
notice (choices preselected, strikes said afterwards), refusals in Chinese with nothing
saved, and the basis notices linked where the reader sees them."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import openpyxl
import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from accountability.models import AccountabilityMeasure, MeasureKind, NoticeKind
from accounts.models import Post
from accounts.tests.factories import MembershipFactory, UserFactory

from .measure_factories import issued_notice, new_measure

pytestmark = pytest.mark.django_db

NEW = reverse("accountability:measure-new")
LIST = reverse("accountability:measure-list")


@pytest.fixture(autouse=True)
def _in_the_campaign() -> Iterator[None]:
    with time_machine.travel(dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC), tick=False):
        yield


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _form(org: Any, **fields: Any) -> dict[str, Any]:
    data = {
        "campaign": org.campaign.pk,
        "kind": "admonishment",
        "unit": org.county_a.pk,
        "deciding_authority": "测试市纪委监委",
        "decided_on": "2022-05-30",
        "basis": "逾期未整改",
    }
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def test_a_notice_preselects_its_unit_people_and_itself(org: Any) -> None:
    """GIVEN a warning to 甲县 naming its principal leader WHEN the office opens the form
    from it THEN the unit, the notice and the people named on it are offered."""
    leader = UserFactory(name="甲县县长")
    MembershipFactory(user=leader, unit=org.county_a, post=Post.PRINCIPAL_LEADER)
    warning = issued_notice(org, org.county_a, NoticeKind.WARNING)
    other = issued_notice(org, org.county_b)
    response = _client(org.above).get(f"{NEW}?notice={warning.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial["unit"] == org.county_a.pk
    assert form.initial["notices"] == [warning.pk]
    assert list(form.fields["person"].queryset) == [leader]
    assert other.pk not in {n.pk for n in form.fields["notices"].queryset}
    assert warning.number in response.content.decode()


def test_recording_says_the_strikes_and_the_threshold(org: Any) -> None:
    """GIVEN two measures on 甲县 this year WHEN the office records a third on a person
    THEN the page says it is the third strike and the principal leader is involved too."""
    leader = UserFactory(name="甲县县长")
    MembershipFactory(user=leader, unit=org.county_a, post=Post.PRINCIPAL_LEADER)
    new_measure(org, org.county_a)
    new_measure(org, org.county_a)
    client = _client(org.above)
    response = client.post(NEW, _form(org, person=org.inside.pk), follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "甲县本年度第3次被问责" in text
    assert "甲县联络员本年度第1次被问责" in text
    assert "已达阈值：同时追究单位主要负责人（甲县县长）" in text
    assert AccountabilityMeasure.objects.filter(person=org.inside).count() == 1


def test_the_list_shows_strikes_and_filters(org: Any) -> None:
    """GIVEN three measures on 甲县 and one on 乙县 WHEN the office filters by 甲县 THEN only
    甲县's are listed, each with the unit's three strikes and the threshold badge."""
    for _n in range(3):
        new_measure(org, org.county_a)
    away = new_measure(org, org.county_b)
    response = _client(org.above).get(LIST, {"unit": org.county_a.pk, "year": 2022})
    text = response.content.decode()
    assert response.status_code == 200
    assert text.count("单位本年度 3 次") == 3
    assert "已达阈值：同时追究主要负责人" in text
    assert away.document_number not in text
    response = _client(org.above).get(LIST, {"kind": "disciplinary"})
    assert "没有符合条件的问责措施" in response.content.decode()


def test_an_invalid_basis_notice_saves_nothing(org: Any) -> None:
    """GIVEN a notice sent to 乙县 WHEN the office cites it for a measure on 甲县 THEN the
    form says so in Chinese and no measure (nor basis link) is saved."""
    other = issued_notice(org, org.county_b)
    response = _client(org.above).post(NEW, _form(org, notices=[other.pk]))
    assert response.status_code == 422
    assert "不是发给甲县的" in response.content.decode()
    assert "未保存任何内容" in response.content.decode()
    assert not AccountabilityMeasure.objects.exists()


def test_missing_basis_and_authority_are_said_in_chinese(org: Any) -> None:
    response = _client(org.above).post(NEW, _form(org, basis="", deciding_authority=""))
    assert response.status_code == 422
    text = response.content.decode()
    assert "该字段是必填项" in text  # the deciding authority
    assert not AccountabilityMeasure.objects.exists()
    response = _client(org.above).post(NEW, _form(org, basis=""))
    assert "请援引相关单据或写明问责依据" in response.content.decode()
    assert not AccountabilityMeasure.objects.exists()


def test_a_future_decision_is_refused(org: Any) -> None:
    response = _client(org.above).post(NEW, _form(org, decided_on="2022-07-01"))
    assert response.status_code == 422
    assert not AccountabilityMeasure.objects.exists()


def test_the_unit_and_readers_may_not_record(org: Any) -> None:
    for persona in ("inside", "official", "supervisor"):
        client = _client(getattr(org, persona))
        assert client.get(NEW).status_code == 403
        assert client.post(NEW, _form(org)).status_code == 403
    assert not AccountabilityMeasure.objects.exists()


def test_another_unit_cannot_read_a_measure(org: Any) -> None:
    """GIVEN a measure on 甲县 WHEN 乙县's liaison asks for it THEN 404, and it is not in
    their list; 甲县's liaison reads it."""
    measure = new_measure(org, org.county_a)
    detail = reverse("accountability:measure-detail", args=[measure.pk])
    outsider = _client(org.outsider)
    assert outsider.get(detail).status_code == 404
    assert measure.document_number not in outsider.get(LIST).content.decode()
    assert _client(org.inside).get(detail).status_code == 200


def test_the_detail_links_basis_notices_and_says_strikes(org: Any) -> None:
    notice = issued_notice(org, org.county_a, NoticeKind.SUPERVISION)
    measure = new_measure(org, org.county_a, notices=[notice])
    response = _client(org.above).get(reverse("accountability:measure-detail", args=[measure.pk]))
    text = response.content.decode()
    assert notice.number in text
    assert f"/supervision/notices/{notice.pk}/" in text
    assert "甲县本年度第1次被问责" in text


def test_the_export_is_the_register_of_what_the_list_shows(org: Any) -> None:
    """GIVEN measures on 甲县 and 乙县 WHEN 甲县's liaison exports THEN the workbook holds
    甲县's measure only, with its strikes."""
    mine = new_measure(org, org.county_a, basis="=HYPERLINK(1)")
    away = new_measure(org, org.county_b)
    response = _client(org.inside).get(reverse("accountability:measure-export"))
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet: Any = book.active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert "问责情况登记表" in cells
    assert mine.document_number in cells
    assert away.document_number not in cells
    assert "=HYPERLINK(1)" in cells  # text, never a formula


def test_choosing_the_unit_first_lists_its_notices_and_people(org: Any) -> None:
    mine = issued_notice(org, org.county_b)
    other = issued_notice(org, org.county_a)
    response = _client(org.above).get(NEW, {"unit": org.county_b.pk})
    form = response.context["form"]
    assert form.initial["unit"] == org.county_b.pk
    assert list(form.fields["notices"].queryset) == [mine]
    assert list(form.fields["person"].queryset) == [org.outsider]
    assert other.number not in response.content.decode()


def test_the_history_of_a_measure(org: Any) -> None:
    measure = new_measure(org, org.county_a)
    history = reverse("accountability:measure-history", args=[measure.pk])
    response = _client(org.above).get(history)
    assert response.status_code == 200
    assert "新建问责措施" in response.content.decode()
    assert _client(org.outsider).get(history).status_code == 404


def test_the_list_draws_its_unit_and_person_choices_without_a_template_per_option(
    org: Any,
) -> None:
    """GIVEN the office WHEN it opens the measures list THEN its unit and person filters list
    their choices (every unit in sight, the people) but no template was rendered per option:
    at a province they are 5,000 options each, about 10 s drawn one template apiece."""
    from django.test.signals import template_rendered

    rendered: list[str] = []

    def seen(sender: Any, template: Any, **kwargs: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(seen)
    try:
        response = _client(org.above).get(LIST)
    finally:
        template_rendered.disconnect(seen)

    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{org.county_a.pk}">' in html
    people = html.split('name="person"', 1)[1].split("</select>", 1)[0]
    assert f'<option value="{org.inside.pk}">' in people
    # Only the measure kinds' few options (and its empty one) are drawn by a template.
    options = rendered.count("django/forms/widgets/select_option.html")
    assert options <= len(MeasureKind.choices) + 1
