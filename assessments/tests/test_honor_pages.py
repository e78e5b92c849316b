"""Honor roll pages: the months list, submitting (with evidence), the office's selection
board (decide, flags, publish with confirmation), the roll's Excel export read back, the
evidence download; refusals in Chinese and jurisdiction (乙县 neither sees nor submits for
甲县); fixed query counts."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ..honor import honor_flag_set, honor_submission_decide
from ..models import (
    FlagColour,
    HonorFlag,
    HonorRoll,
    HonorRollStatus,
    HonorSubmission,
    HonorSubmissionStatus,
)
from .test_honor_services import MAY, Honor, make_honor, pdf

pytestmark = pytest.mark.django_db

LIST = reverse("assessments:honor-roll-list")
SUBMIT = reverse("assessments:honor-submit")


@pytest.fixture(autouse=True)
def _today() -> Any:
    with time_machine.travel(dt.datetime(2022, 5, 10, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def h(org: Any) -> Honor:
    return make_honor(org)


def detail(roll: HonorRoll) -> str:
    return reverse("assessments:honor-roll-detail", args=[roll.pk])


def post_submission(client: Client, h: Honor, **fields: Any) -> Any:
    data = {
        "campaign": h.org.campaign.pk,
        "unit": h.org.county_a.pk,
        "month": MAY.isoformat(),
        "title": "重点项目跑出加速度",
        "text": "本月3个重点项目提前开工。",
        "evidence": [pdf()],
        **fields,
    }
    return client.post(SUBMIT, data)


# --- submitting -----------------------------------------------------------------------------------
def test_the_liaison_submits_on_the_page_and_sees_it_listed(client: Client, h: Honor) -> None:
    client.force_login(h.org.inside)
    page = client.get(SUBMIT)
    assert page.status_code == 200
    assert set(page.context["form"].fields["unit"].queryset.values_list("name", flat=True)) == {
        "甲县",
        "甲县住房和城乡建设局",
        "甲镇",
    }
    response = post_submission(client, h)
    assert response.status_code == 302
    submission = HonorSubmission.objects.get()
    assert (submission.unit, submission.roll.month) == (h.org.county_a, MAY)
    assert submission.evidence.get().original_name == "获奖证书.pdf"
    listed = client.get(response["Location"])
    html = listed.content.decode()
    assert "重点项目跑出加速度" in html and "等待评选" in html
    download = client.get(reverse("assessments:evidence-file", args=[submission.evidence.get().pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")


def test_bad_input_comes_back_in_chinese_and_nothing_is_saved(client: Client, h: Honor) -> None:
    client.force_login(h.org.inside)
    response = post_submission(client, h, title="", evidence=[pdf(), pdf("病毒.exe")])
    assert response.status_code == 422
    html = response.content.decode()
    assert "未保存" in html and "亮点" in html
    assert not HonorSubmission.objects.exists()
    late = post_submission(client, h, month="2022-06-01")
    assert late.status_code == 422
    assert not HonorSubmission.objects.exists()


def test_another_unit_can_neither_submit_for_nor_see_ours(client: Client, h: Honor) -> None:
    """GIVEN 甲县's highlight WHEN 乙县's liaison posts one for 甲县 and opens the pages
    THEN the post is refused (not a choice), and 甲县's highlight and evidence are nowhere."""
    ours = h.submit(files=[pdf()])
    client.force_login(h.org.outsider)
    refused = post_submission(client, h, title="冒名提交")
    assert refused.status_code == 422
    assert not HonorSubmission.objects.filter(title="冒名提交").exists()
    assert "信访积案清仓见底" not in client.get(LIST).content.decode()
    assert client.get(detail(ours.roll)).status_code == 404  # a draft is the office's
    evidence = ours.evidence.get()
    assert client.get(reverse("assessments:evidence-file", args=[evidence.pk])).status_code == 404
    decide = reverse("assessments:honor-submission-decide", args=[ours.pk])
    assert client.post(decide, {"selected": "1"}).status_code == 404
    client.force_login(h.org.official)
    assert client.get(SUBMIT).status_code == 403


def test_a_published_month_is_not_offered(client: Client, h: Honor) -> None:
    h.published()
    client.force_login(h.org.inside)
    page = client.get(SUBMIT)
    months = [value for value, _label in page.context["form"].fields["month"].choices]
    assert page.status_code == 200 and "2022-05-01" not in months and "2022-04-01" in months
    assert post_submission(client, h).status_code == 422
    assert HonorSubmission.objects.count() == 1


# --- the office's board ---------------------------------------------------------------------------
def test_the_office_selects_flags_and_publishes_on_the_page(client: Client, h: Honor) -> None:
    """GIVEN two highlights WHEN the office selects one at place 1, refuses the other, gives
    乙县 a blue flag and publishes (first without, then with the confirmation) THEN the roll
    is published and shows the place and the flag to 乙县's liaison."""
    first = h.submit()
    second = h.submit(unit=h.org.county_b, actor=h.org.outsider, title="乙县亮点")
    roll = first.roll
    client.force_login(h.office)
    board = client.get(detail(roll))
    assert board.status_code == 200 and board.context["may_decide"]
    decide = "assessments:honor-submission-decide"
    response = client.post(reverse(decide, args=[first.pk]), {"selected": "1", "place": "1"})
    assert response.status_code == 302
    taken = client.post(reverse(decide, args=[second.pk]), {"selected": "1", "place": "1"})
    assert taken.status_code == 422 and "第1名" in taken.content.decode()
    client.post(reverse(decide, args=[second.pk]), {"selected": "0", "note": "不够突出"})
    flag = client.post(
        reverse("assessments:honor-flag-set", args=[roll.pk]),
        {"unit": h.org.county_b.pk, "colour": FlagColour.BLUE, "reason": "推进滞后"},
    )
    assert flag.status_code == 302
    publish = reverse("assessments:honor-roll-publish", args=[roll.pk])
    unconfirmed = client.post(publish, {"note": "五月"})
    assert unconfirmed.status_code == 422 and "勾选" in unconfirmed.content.decode()
    assert HonorRoll.objects.get().status == HonorRollStatus.DRAFT
    assert client.post(publish, {"note": "五月", "confirm": "on"}).status_code == 302
    roll.refresh_from_db()
    assert roll.status == HonorRollStatus.PUBLISHED
    second.refresh_from_db()
    assert second.status == HonorSubmissionStatus.NOT_SELECTED
    client.force_login(h.org.outsider)
    page = client.get(detail(roll))
    html = page.content.decode()
    assert page.status_code == 200 and not page.context["may_decide"]
    assert "信访积案清仓见底" in html and "蓝旗" in html and "推进滞后" in html
    assert "乙县亮点" in html  # its own, not selected
    listed = client.get(LIST).content.decode()  # its month shows its own blue flag
    assert "蓝旗" in listed and "推进滞后" in listed
    client.force_login(h.org.inside)
    assert "推进滞后" not in client.get(LIST).content.decode()  # 乙县's flag, not on 甲县's list


def test_a_published_roll_refuses_every_change_on_the_page(client: Client, h: Honor) -> None:
    roll = h.published()
    flag = HonorFlag.objects.create(roll=roll, unit=h.org.county_b, colour="red", reason="好")
    submission = HonorSubmission.objects.get()
    client.force_login(h.office)
    assert not client.get(detail(roll)).context["may_decide"]
    decided = client.post(
        reverse("assessments:honor-submission-decide", args=[submission.pk]), {"selected": "0"}
    )
    assert decided.status_code == 422 and "已发布" in decided.content.decode()
    flagged = client.post(
        reverse("assessments:honor-flag-set", args=[roll.pk]),
        {"unit": h.org.county_a.pk, "colour": "red", "reason": "好"},
    )
    assert flagged.status_code == 422
    removed = client.post(reverse("assessments:honor-flag-remove", args=[flag.pk]))
    assert removed.status_code == 422
    published = client.post(
        reverse("assessments:honor-roll-publish", args=[roll.pk]), {"confirm": "on"}
    )
    assert published.status_code == 403
    submission.refresh_from_db()
    assert submission.status == HonorSubmissionStatus.SELECTED
    assert HonorFlag.objects.count() == 1


def test_only_the_office_decides_on_the_page(client: Client, h: Honor) -> None:
    submission = h.submit()
    client.force_login(h.org.inside)  # sees its own highlight, not the draft roll
    url = reverse("assessments:honor-submission-decide", args=[submission.pk])
    assert client.post(url, {"selected": "1"}).status_code == 404
    client.force_login(h.org.above)  # the campaign office sees the unit, but does not decide
    assert client.post(url, {"selected": "1"}).status_code == 404
    submission.refresh_from_db()
    assert submission.status == HonorSubmissionStatus.SUBMITTED


# --- export and query counts ----------------------------------------------------------------------
def test_the_export_reads_back_as_the_roll(client: Client, h: Honor) -> None:
    first = h.submit(title='=HYPERLINK("x")')
    second = h.submit(unit=h.org.county_b, actor=h.org.outsider, title="乙县亮点")
    honor_submission_decide(submission=second, actor=h.office, selected=True, place=1)
    honor_submission_decide(submission=first, actor=h.office, selected=True, place=2)
    honor_flag_set(roll=first.roll, actor=h.office, unit=h.org.county_b, colour="red", reason="好")
    honor_flag_set(
        roll=first.roll, actor=h.office, unit=h.org.township_a, colour="blue", reason="差"
    )
    client.force_login(h.office)
    response = client.get(reverse("assessments:honor-roll-export", args=[first.roll.pk]))
    assert response.status_code == 200
    sheet: Any = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = [r for r in sheet.iter_rows(values_only=True) if r and r[1] in ("乙县", "甲县", "甲镇")]
    assert [(r[0], r[1], r[2], r[4]) for r in rows] == [
        (1, "乙县", "乙县亮点", "红旗"),
        (2, "甲县", '=HYPERLINK("x")', None),
        (None, "甲镇", None, "蓝旗"),
    ]
    assert sheet.cell(row=1, column=1).value.endswith("2022年5月 创先争优月榜")
    client.force_login(h.org.outsider)  # a draft roll is the office's
    assert (
        client.get(reverse("assessments:honor-roll-export", args=[first.roll.pk])).status_code
        == 404
    )


def test_pages_run_a_fixed_number_of_queries(
    client: Client, h: Honor, django_assert_max_num_queries: Any
) -> None:
    """The board and the list run the same queries for 2 highlights as for 12: session and
    user (2), jurisdiction (3), office roles (1), the roll, the highlights, their evidence,
    the flags, the flag form's units; the list adds the campaigns and the unit's own."""
    first = h.submit(files=[pdf()])
    client.force_login(h.office)

    def measure() -> tuple[int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        counts = []
        for url in (detail(first.roll), f"{LIST}?campaign={h.org.campaign.pk}"):
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.append(len(ctx))
        return counts[0], counts[1]

    few = measure()
    for n in range(10):
        h.submit(title=f"亮点{n}", files=[pdf()])
    assert measure() == few
    with django_assert_max_num_queries(16):
        client.get(detail(first.roll))
