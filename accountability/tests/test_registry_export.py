"""The notice register as Excel (督办登记表): read back with openpyxl, the sheet has the
official layout (title row, filters and date, header), real dates, only the rows the
filters and the caller's sight allow, and user text kept as text, never a formula."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from ..models import NoticeKind, NoticeStatus
from .factories import make_notice

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2022, 6, 20, 2, 0, tzinfo=dt.UTC)  # past the factories' reply deadline
ISSUED = dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path)
    settings.LANGUAGE_CODE = "zh-hans"
    yield


def _sheet(user: Any, **params: Any) -> Any:
    client = Client()
    client.force_login(user)
    with time_machine.travel(NOW, tick=False):
        response = client.get(reverse("accountability:notice-export"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml"
    )
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return workbook.worksheets[0]


def _rows(ws: Any) -> list[tuple[Any, ...]]:
    return [row for row in ws.iter_rows(min_row=4, values_only=True) if any(row)]


def test_register_sheet_layout_and_values(org: Any) -> None:
    """GIVEN an issued reminder and a closed supervision order WHEN the office exports THEN
    the sheet has its title, the header, one row each with real dates, and 是 in the overdue
    column of the reminder only."""
    with time_machine.travel(ISSUED, tick=False):
        reminder = make_notice(org, org.county_a)
        closed = make_notice(org, org.county_b, NoticeStatus.CLOSED, kind=NoticeKind.SUPERVISION)
    ws = _sheet(org.above)
    assert ws["A1"].value == "督办登记表"
    assert "导出" in ws["A2"].value
    header = [cell.value for cell in ws[3]]
    assert header[:4] == ["序号", "通知编号", "类别", "事项"]
    rows = {row[1]: row for row in _rows(ws)}
    assert set(rows) == {reminder.number, closed.number}
    row = rows[reminder.number]
    deadline = header.index("反馈时限")
    assert row[2] == "提示单" and row[3] == reminder.subject_title
    assert row[deadline] == dt.datetime(2022, 6, 15)  # a real date, not text
    assert ws.cell(row=4, column=deadline + 1).number_format == "yyyy-mm-dd"
    assert row[header.index("是否逾期")] == "是"
    assert rows[closed.number][header.index("是否逾期")] in (None, "")
    assert rows[closed.number][header.index("办结日期")] == dt.datetime(2022, 6, 1)


def test_export_follows_the_filters_and_the_callers_sight(org: Any) -> None:
    """GIVEN notices to 甲县 and 乙县 WHEN 甲县's liaison exports, and the office exports
    supervision orders only THEN each sheet holds exactly those rows, and names the filter."""
    with time_machine.travel(ISSUED, tick=False):
        home = make_notice(org, org.county_a)
        away = make_notice(org, org.county_b, kind=NoticeKind.SUPERVISION)
    assert [row[1] for row in _rows(_sheet(org.inside))] == [home.number]
    ws = _sheet(org.above, kind=NoticeKind.SUPERVISION)
    assert [row[1] for row in _rows(ws)] == [away.number]
    assert "督办单" in ws["A2"].value


def test_user_text_is_never_a_formula(org: Any) -> None:
    """GIVEN a matter typed as "=HYPERLINK(...)" WHEN exported THEN the cell is text with
    Excel's quote prefix, not a formula."""
    with time_machine.travel(ISSUED, tick=False):
        make_notice(org, org.county_a, subject_title='=HYPERLINK("http://x","点我")')
    ws = _sheet(org.above)
    cell = ws.cell(row=4, column=4)
    assert cell.value == '=HYPERLINK("http://x","点我")'
    assert cell.data_type == "s" and cell.quotePrefix


def test_bad_filter_is_400(org: Any) -> None:
    """GIVEN a year that is not a number WHEN exported THEN 400 saying which filter."""
    client = Client()
    client.force_login(org.above)
    response = client.get(reverse("accountability:notice-export"), {"year": "abc"})
    assert response.status_code == 400
