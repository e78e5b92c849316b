"""Excel in: bad files refused with nothing stored, a preview of every row's problems in
Chinese, and applying all rows in one transaction or none; an edited export imports back.
"""

from __future__ import annotations

import codecs
import datetime as dt
import io
import time
import zipfile
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from defusedxml import DefusedXmlException
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pghistory.models import Events

from campaign.tests.builders import add_chain, build_chain_world
from tasks_ledger import imports, services, tasks
from tasks_ledger.models import (
    ImportJob,
    ImportStatus,
    ItemStatus,
    LedgerItem,
    LedgerKind,
    ProgressReport,
    ReviewStatus,
)
from tasks_ledger.tests.factories import make_item, make_items, make_ledger
from tests.processes import (
    Process,
    celery_worker_args,
    child_env,
    current_database_url,
    running,
    unique,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media", "frozen_today")]

IMPORT = reverse("ledger:import")
HEADER = ["序号", "事项", "责任单位", "牵头部门", "责任人", "开始时间", "完成时限", "状态", "进度",
          "最新进展"]  # fmt: skip


@pytest.fixture
def ledger(org):
    return make_ledger(org.campaign, title="项目建设重点任务台账")


@pytest.fixture
def chain(org):
    return add_chain(
        subject="老旧小区改造", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
    )


def xlsx(rows: Sequence[Sequence[object]], *, title: str | None = "项目建设重点任务台账") -> bytes:
    """A workbook with an optional title row above the rows (the first row given is the
    header)."""
    wb = openpyxl.Workbook()
    ws: Any = wb.active
    if title:
        ws.append([title])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def post(client, user, ledger, data: bytes, name: str = "台账.xlsx"):
    client.force_login(user)
    return client.post(
        IMPORT, {"ledger": ledger.pk, "file": SimpleUploadedFile(name, data)}, follow=False
    )


def row(code="", title="新增事项", unit="甲县", lead="", person="", start="2022-03-01",
        deadline="2022-06-30", status="推进中", progress=10, latest="已启动"):  # fmt: skip
    return [code, title, unit, lead, person, start, deadline, status, progress, latest]


def problems(job: ImportJob) -> list[tuple[int | None, str, str]]:
    return [(p["row"], p["column"], p["message"]) for p in job.errors]


# --- the preview ---------------------------------------------------------------------------------
def test_preview_lists_every_problem_in_chinese_and_saves_nothing(client, org, ledger, chain):
    """GIVEN a workbook with a title row and rows with bad cells WHEN uploaded THEN the
    preview lists each problem with its row, column and what is wrong, in Chinese, and no
    item is written (nor can the job be applied)."""
    data = xlsx(
        [
            HEADER,
            row(title="日期写错", deadline="2022/13/01"),
            row(title="单位不认识", unit="丙县"),
            row(title="进度不对", progress="abc"),
            row(title="进度超百", progress=120),
            row(title="状态不对", status="差不多了"),
            row(title="", unit="甲县"),
            row(title="牵头部门不认识", lead="不存在局", person="甲县住建局科长"),
            row(title="责任人不认识", lead="甲县住建局", person="张三"),
            row(title="完成早于开始", start="2022-07-01", deadline="2022-06-01"),
            row(title="好的一行", lead="甲县住建局", person="甲县住建局科长"),
        ]
    )
    response = post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{job.pk}/")
    assert job.status == ImportStatus.CHECKED and not job.can_apply
    found = problems(job)
    assert (3, "完成时限（G 列）", "2022/13/01 不是日历上存在的日期。") in found
    assert (
        4,
        "责任单位（C 列）",
        "未知责任单位“丙县”：您管辖范围内没有这个名称、简称或代码的单位。",
    ) in found
    assert (5, "进度（I 列）", "进度“abc”应为 0 到 100 之间的整数（可带 % 号）。") in found
    assert (6, "进度（I 列）", "进度“120”应为 0 到 100 之间的整数（可带 % 号）。") in found
    # A status is never written, so an unknown status word is noted, not a problem.
    assert not any(r == 7 for r, _c, _m in found)
    assert (
        "第 7 行：“状态”列中的“差不多了”不是状态用语，未读取（状态不会通过导入写入）。"
        in (job.plan["warnings"])
    )
    assert (8, "事项（B 列）", "此列为必填项。") in found
    assert any(r == 9 and c == "牵头部门（D 列）" and "不存在局" in m for r, c, m in found)
    assert any(r == 10 and c == "责任人（E 列）" and "张三" in m for r, c, m in found)
    assert (11, "完成时限（G 列）", "完成时限早于开始时间。") in found
    assert not any(r == 12 for r, _c, _m in found)
    # Each value that was not found is summed up under the field it failed in.
    assert {u["label"]: u["values"] for u in job.plan["unknown"]} == {
        "责任单位": ["丙县"],
        "牵头部门": ["不存在局"],
        "责任人": ["张三"],
    }
    assert not LedgerItem.objects.exists()

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "发现 8 个问题" in html and "第 4 行" in html
    assert "未知责任单位：" in html and "未知牵头部门：" in html and "未知责任人：" in html
    assert "未识别的单位" not in html
    assert "确认导入" not in html
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.CHECKED and not LedgerItem.objects.exists()


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2022-06-30", dt.date(2022, 6, 30)),
        ("2022/6/30", dt.date(2022, 6, 30)),
        ("2022.6.30", dt.date(2022, 6, 30)),
        ("2022年6月30日", dt.date(2022, 6, 30)),
        ("２０２２年６月３０日", dt.date(2022, 6, 30)),
        (" 2022-6-3 ", dt.date(2022, 6, 3)),
        ("20220630", dt.date(2022, 6, 30)),
        (dt.datetime(2022, 6, 30, 0, 0), dt.date(2022, 6, 30)),
        (dt.date(2022, 6, 30), dt.date(2022, 6, 30)),
        (44742, dt.date(2022, 6, 30)),  # an Excel serial number in a cell without a format
    ],
)
def test_date_formats(written, expected):
    assert imports.parse_date(written) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("9月30日", dt.date(2022, 9, 30)),
        ("９月３０日", dt.date(2022, 9, 30)),
        ("9月30日前", dt.date(2022, 9, 30)),
        ("9月底", dt.date(2022, 9, 30)),
        ("2月底", dt.date(2023, 2, 28)),
        ("年底", dt.date(2022, 12, 31)),
        ("年底前", dt.date(2022, 12, 31)),
        ("2023年底", dt.date(2023, 12, 31)),
        ("2022年10月底前", dt.date(2022, 10, 31)),
        ("2022年9月30日前", dt.date(2022, 9, 30)),
        # Before the campaign starts (1 April): the next year.
        ("3月31日", dt.date(2023, 3, 31)),
        ("3月底", dt.date(2023, 3, 31)),
        ("4月1日", dt.date(2022, 4, 1)),
    ],
)
def test_dates_without_a_year_take_the_campaigns(written, expected):
    assert imports.parse_date(written, campaign_start=dt.date(2022, 4, 1)) == expected


@pytest.mark.parametrize("written", ["长期坚持", "长期", " 长期坚持。", "long-term"])
def test_long_term_deadlines(written):
    assert imports.parse_deadline(written, campaign_start=dt.date(2022, 1, 1)) is imports.LONG_TERM


@pytest.mark.parametrize("written", ["9月30日", "年底"])
def test_a_day_without_a_year_needs_the_campaign(written):
    with pytest.raises(ValueError, match="年份"):
        imports.parse_date(written)


@pytest.mark.parametrize("written", ["13月底", "2月30日", "底", "长期吧"])
def test_bad_dates_without_a_year(written):
    with pytest.raises(ValueError):
        imports.parse_deadline(written, campaign_start=dt.date(2022, 1, 1))


@pytest.mark.parametrize("written", ["2022-02-30", "下个月", "6/30", "2022", 12.5])
def test_bad_dates(written):
    with pytest.raises(ValueError):
        imports.parse_date(written)


@pytest.mark.parametrize(
    ("written", "fmt", "expected"),
    [(60, "General", 60), ("60%", "", 60), ("６０％", "", 60), (0.6, "0%", 60), (60, '0"%"', 60)],
)
def test_percent_formats(written, fmt, expected):
    assert imports.parse_percent(written, fmt) == expected


@pytest.mark.parametrize("written", ["abc", 101, -1, "12.5", 0.5])
def test_bad_percents(written):
    with pytest.raises(ValueError):
        imports.parse_percent(written, "General")


def test_every_date_format_of_a_sheet_is_read(client, org, ledger):
    """GIVEN one row per date format (and a real Excel date) WHEN uploaded THEN every row
    is planned with the same deadline."""
    formats = ["2022-06-30", "2022/6/30", "2022.6.30", "2022年6月30日", dt.date(2022, 6, 30)]
    data = xlsx([HEADER, *(row(title=f"事项{i}", deadline=d) for i, d in enumerate(formats))])
    post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    assert job.errors == [] and job.plan["create"] == 5
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    assert set(LedgerItem.objects.values_list("deadline", flat=True)) == {dt.date(2022, 6, 30)}


def test_missing_required_column_is_named(client, org, ledger):
    data = xlsx([[c for c in HEADER if c != "完成时限"], row()[:6] + row()[7:]])
    post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    assert problems(job) == [
        (
            None,
            "完成时限",
            "请在下方为“完成时限”选择一列，或在工作簿中加上这一列（填写日期，长期事项填写“长期坚持”）"
            "后重新上传。",
        )
    ]


def test_sheet_without_a_header_row(client, org, ledger):
    data = xlsx([["随便", "写写"], ["没有", "表头"]], title=None)
    post(client, org.inside, ledger, data)
    (problem,) = problems(ImportJob.objects.get())
    assert problem[0] is None and "没有找到表头" in problem[2]


def test_units_by_name_short_name_or_code(client, org, ledger):
    org.county_a_dept.refresh_from_db()
    data = xlsx(
        [
            HEADER,
            row(title="全称", unit="甲县住房和城乡建设局"),
            row(title="简称", unit="甲县住建局"),
            row(title="代码", unit=org.county_a_dept.code),
            row(title="管辖外", unit="乙县"),
        ]
    )
    post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    assert [p[0] for p in problems(job)] == [6]  # 乙县 is outside 甲县's jurisdiction
    assert job.plan["create"] == 3


# --- applying ------------------------------------------------------------------------------------
def test_clean_file_previews_then_applies_in_one_go(client, org, ledger, chain):
    """GIVEN an item numbered 1 WHEN a file with rows 1 (new progress) and two new rows is
    previewed and applied THEN the preview says 2 to add and 1 to update with the change,
    and applying adds the items, reports the progress and records the job in history."""
    existing = make_item(ledger, org.county_a, code="1", chain=chain, title="老旧小区改造")
    data = xlsx(
        [
            HEADER,
            row(
                code="1",
                title="老旧小区改造",
                lead="甲县住建局",
                person="甲县住建局科长",
                deadline="2022-06-30",
                status="未启动",
                progress=60,
                latest="完成 5 栋楼",
            ),
            row(code="", title="背街小巷整治", unit="甲镇"),
            row(code="A-7", title="农贸市场改造", unit="甲县住建局", progress="30%"),
        ]
    )
    post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    assert job.errors == []
    assert (job.plan["create"], job.plan["update"], job.plan["unchanged"]) == (2, 1, 0)
    (change,) = [c for c in job.plan["rows"] if c["action"] == "update"]
    assert change["item"]["title"] == "老旧小区改造"
    assert {"key": "progress", "label": "进度", "old": "0%", "new": "60%"} in change["fields"]
    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert "确认导入这 3 行" in page and "新增 2 项" in page

    response = client.post(reverse("ledger:import-apply", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.errors
    assert (job.created_count, job.updated_count) == (2, 1)
    # A unit's figures are reports for the office to review: nothing moves the light yet.
    existing.refresh_from_db()
    assert (existing.progress, existing.pending_progress, existing.latest_report) == (0, 60, "")
    assert existing.status == ItemStatus.NOT_STARTED
    report = ProgressReport.objects.get(item=existing)
    assert report.percent == 60 and report.reporter == org.inside
    assert report.review_status == ReviewStatus.PENDING and report.text == "完成 5 栋楼"
    added = LedgerItem.objects.exclude(pk=existing.pk).order_by("code")
    assert [(i.code, i.unit.name, i.status, i.progress, i.pending_progress) for i in added] == [
        ("2", "甲镇", ItemStatus.NOT_STARTED, 0, 10),
        ("A-7", "甲县住房和城乡建设局", ItemStatus.NOT_STARTED, 0, 30),
    ]
    inserts = Events.objects.filter(pgh_label="insert", pgh_obj_model="tasks_ledger.LedgerItem")
    assert inserts.count() == 3
    new = [e for e in inserts if e.pgh_obj_id != str(existing.pk)]
    assert [e.pgh_context["import_job"] for e in new] == [job.pk, job.pk]
    done = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert "导入完成：新增 2 项，更新 1 项。" in done


def test_a_deadline_change_is_an_error_not_an_update(client, org, ledger):
    make_item(ledger, org.county_a, code="1", deadline=dt.date(2022, 6, 30))
    data = xlsx([HEADER, row(code="1", title="甲县重点任务", deadline="2022-09-30")])
    post(client, org.inside, ledger, data)
    (problem,) = problems(ImportJob.objects.get())
    assert problem[:2] == (3, "完成时限（G 列）") and "延期申请" in problem[2]


def test_a_number_of_someone_elses_item_is_refused(client, org, ledger):
    """GIVEN item 9 of 乙县 in the same ledger WHEN 甲县's liaison imports a row numbered 9
    with another title THEN the number is taken as the sheet's own (a new item) by default,
    and when the clerk says it is the ledger's number, the row is an error, not an update of
    乙县's item."""
    other = make_item(ledger, org.county_b, code="9", title="乙县事项")
    post(client, org.inside, ledger, xlsx([HEADER, row(code="9", title="改掉它")]))
    job = ImportJob.objects.get()
    assert job.plan["numbering"]["suggested"] == "row" and job.plan["create"] == 1
    imports.import_job_remap(job=job, actor=org.inside, numbering="item")
    job.refresh_from_db()
    (problem,) = problems(job)
    assert problem[:2] == (3, "序号（A 列）") and "无权修改" in problem[2]
    other.refresh_from_db()
    assert other.title == "乙县事项"


def test_a_status_in_the_sheet_is_read_not_written(client, org, ledger):
    """GIVEN an open item WHEN its unit's workbook says it is completed THEN the preview warns
    that the status is not imported and applying leaves it as it was."""
    item = make_item(ledger, org.county_a, code="1", title="甲县重点任务")
    post(client, org.inside, ledger, xlsx([HEADER, row(code="1", title="甲县重点任务",
                                                        status="已完成", progress=0)]))  # fmt: skip
    job = ImportJob.objects.get()
    assert job.errors == [] and any("不能通过导入修改" in w for w in job.plan["warnings"])
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    item.refresh_from_db()
    assert item.status == ItemStatus.NOT_STARTED


@pytest.mark.parametrize("word", ["已完成", "已销号", "整改完成"])
def test_a_status_word_of_a_new_row_is_read_never_written(client, org, ledger, word):
    """GIVEN a new row whose status says done or signed off WHEN imported THEN the preview
    warns that a status is not imported, and the item starts as not started (its progress
    figure waits for review)."""
    post(client, org.inside, ledger, xlsx([HEADER, row(title="自报已完成", status=word)]))
    job = ImportJob.objects.get()
    assert job.errors == []
    assert any("状态不会导入" in w and "第 3 行" in w for w in job.plan["warnings"])
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    item = LedgerItem.objects.get()
    assert (item.status, item.pending_progress) == (ItemStatus.NOT_STARTED, 10)


def test_duplicate_numbers_in_the_file(client, org, ledger):
    post(client, org.inside, ledger, xlsx([HEADER, row(code="5"), row(code="5", title="又一个")]))
    (problem,) = problems(ImportJob.objects.get())
    assert problem[:2] == (4, "序号（A 列）") and "第 3 行" in problem[2]


def test_a_row_failing_while_applied_saves_nothing(client, org, ledger, monkeypatch):
    """GIVEN a clean preview adding two items and updating a third WHEN the update fails as
    it is written (after the new rows went in) THEN nothing of the three is kept and the
    job lists the failing row."""
    item = make_item(ledger, org.county_a, code="1", title="甲县重点任务")
    rows = [HEADER, row(title="一"), row(code="1", title="改名了", progress=0), row(title="三")]
    post(client, org.inside, ledger, xlsx(rows))
    job = imports.import_job_remap(job=ImportJob.objects.get(), actor=org.inside, numbering="item")
    assert job.can_apply and (job.plan["create"], job.plan["update"]) == (2, 1)

    def failing(**kwargs):
        raise ValidationError("写入时出错")

    monkeypatch.setattr(services, "ledger_item_update", failing)
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert problems(job) == [(4, "", "写入时出错")]
    assert list(LedgerItem.objects.values_list("pk", "title", "version")) == [
        (item.pk, "甲县重点任务", 1)
    ]
    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert "未保存任何数据" in page


def test_numbers_given_to_new_rows_skip_those_taken(client, org, ledger):
    make_item(ledger, org.county_a, code="1")
    rows = [HEADER, row(title="甲"), row(code="2", title="乙"), row(title="丙")]
    post(client, org.inside, ledger, xlsx(rows))
    client.post(reverse("ledger:import-apply", args=[ImportJob.objects.get().pk]))
    codes = dict(LedgerItem.objects.values_list("title", "code"))
    assert (codes["甲"], codes["乙"], codes["丙"]) == ("3", "2", "4")


def test_an_item_changed_after_the_preview_stops_the_apply(client, org, ledger):
    """GIVEN a preview updating item 1 WHEN someone reports progress on item 1 before the
    file is applied THEN applying writes nothing and says item 1 changed."""
    item = make_item(ledger, org.county_a, code="1", title="甲县重点任务")
    post(client, org.inside, ledger, xlsx([HEADER, row(code="1", title="甲县重点任务", progress=50),
                                           row(title="新的")]))  # fmt: skip
    job = ImportJob.objects.get()
    services.ledger_item_report_progress(
        item=item, reporter=org.inside, percent=20, text="别人报的", expected_version=item.version
    )
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "被他人修改" in problems(job)[0][2]
    item.refresh_from_db()
    assert item.pending_progress == 20 and LedgerItem.objects.count() == 1


def test_hard_problem_measures_are_imported(client, org):
    ledger = make_ledger(org.campaign, kind=LedgerKind.HARD_PROBLEM, title="攻坚难题台账")
    data = xlsx(
        [
            ["序号", "事项", "攻坚措施", "责任单位", "开始时间", "完成时限"],
            ["", "破解停车难", "1. 新建停车场\n2、错时共享车位\n（3）智慧停车", "甲县", "2022-01-01", "2022-12-31"],  # noqa: E501
        ],
        title="攻坚难题台账",
    )  # fmt: skip
    post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    item = LedgerItem.objects.get()
    assert list(item.measure_set.values_list("text", flat=True)) == [
        "新建停车场",
        "错时共享车位",
        "智慧停车",
    ]


# --- round trip ----------------------------------------------------------------------------------
def test_an_edited_export_imports_back(client, org, ledger, chain):
    """GIVEN a ledger exported to Excel WHEN a row's progress is edited and a row added in
    the file THEN importing it updates that item, adds the new one and leaves the others
    unchanged (the export's title, light and computed columns are ignored)."""
    make_item(ledger, org.county_a, code="1", chain=chain, title="=1+1 公式样的事项",
              latest_report="第一行\r\n第二行")  # fmt: skip
    make_item(ledger, org.township_a, code="2", title="背街小巷", status=ItemStatus.IN_PROGRESS,
              progress=30, latest_report="开工")  # fmt: skip
    make_item(ledger, org.county_a, code="3", title="完成了的", status=ItemStatus.COMPLETED,
              progress=100)  # fmt: skip
    client.force_login(org.inside)
    response = client.get(reverse("ledger:export"), {"ledger": ledger.pk})
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    header = [c.value for c in ws[3]]
    rows = {r[0].value: r for r in ws.iter_rows(min_row=4)}
    rows["2"][header.index("进度")].value = 55
    rows["2"][header.index("最新进展")].value = "完成一半"
    ws.append(["", "新增的一项", "", "甲县", "", "", dt.date(2022, 4, 1), dt.date(2022, 8, 1),
               "未启动", 0, None, ""])  # fmt: skip
    edited = io.BytesIO()
    wb.save(edited)

    post(client, org.inside, ledger, edited.getvalue(), name="台账_2022-06-01.xlsx")
    job = ImportJob.objects.get()
    assert job.errors == [], job.errors
    assert (job.plan["create"], job.plan["update"], job.plan["unchanged"]) == (1, 1, 2)
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED
    second = LedgerItem.objects.get(code="2")
    assert (second.progress, second.pending_progress, second.latest_report) == (30, 55, "开工")
    assert second.reports.get().text == "完成一半"
    first = LedgerItem.objects.get(code="1")
    assert first.version == 1 and first.title == "=1+1 公式样的事项"
    assert LedgerItem.objects.get(title="新增的一项").code == "4"


def test_an_export_with_progress_waiting_for_review_imports_back_unchanged(client, org, ledger):
    """GIVEN an item whose unit reported 60% (waiting for review; 30% accepted) WHEN the
    unit exports the ledger (which writes the accepted figure) and imports it back THEN the
    row is unchanged: neither figure is news."""
    item = make_item(ledger, org.county_a, code="1", title="老旧小区改造",
                     status=ItemStatus.IN_PROGRESS, progress=30, latest_report="开工")  # fmt: skip
    services.ledger_item_report_progress(
        item=item, reporter=org.inside, percent=60, text="过半", expected_version=item.version
    )
    client.force_login(org.inside)
    response = client.get(reverse("ledger:export"), {"ledger": ledger.pk})
    post(client, org.inside, ledger, b"".join(response.streaming_content))
    job = ImportJob.objects.get()
    assert job.errors == [] and (job.plan["update"], job.plan["unchanged"]) == (0, 1)


# --- bad files -----------------------------------------------------------------------------------
def _zip(parts: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return out.getvalue()


def _with_part(data: bytes, name: str, content: bytes) -> bytes:
    """A copy of the workbook ``data`` with the part ``name`` replaced or added."""
    source = zipfile.ZipFile(io.BytesIO(data))
    parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[name] = content
    return _zip(parts)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>"""


def _encoded_bomb(encoding: str, *, bom: bytes = b"", declared: str | None = None) -> bytes:
    """The bomb as a sheet written in another encoding (the byte scan cannot see it)."""
    text = BILLION_LAUGHS.decode().split("\n", 1)[1]
    head = f'<?xml version="1.0" encoding="{declared}"?>\n' if declared else ""
    if encoding == "utf-7":  # the declaration stays ASCII, as a parser needs to read it
        body = head.encode("ascii") + text.encode("utf-7").replace(b"<", b"+ADw-")
    else:
        body = (head + text).encode(encoding)
    sheet = bom + body
    assert b"<!DOCTYPE" not in sheet and b"<!ENTITY" not in sheet
    return _with_part(xlsx([HEADER, row()]), "xl/worksheets/sheet1.xml", sheet)


ENCODED_BOMBS = {
    "UTF-16 LE bomb with a BOM": (
        lambda: _encoded_bomb("utf-16-le", bom=codecs.BOM_UTF16_LE, declared="UTF-16")
    ),
    "UTF-16 BE bomb with a BOM": (
        lambda: _encoded_bomb("utf-16-be", bom=codecs.BOM_UTF16_BE, declared="UTF-16")
    ),
    "UTF-16 LE bomb without a BOM": lambda: _encoded_bomb("utf-16-le", declared="UTF-16"),
    "UTF-16 BE bomb without a BOM or declaration": lambda: _encoded_bomb("utf-16-be"),
    "UTF-32 LE bomb with a BOM": (
        lambda: _encoded_bomb("utf-32-le", bom=codecs.BOM_UTF32_LE, declared="UTF-32")
    ),
    "UTF-32 BE bomb without a BOM": lambda: _encoded_bomb("utf-32-be", declared="UTF-32"),
    "UTF-7 bomb (declared)": lambda: _encoded_bomb("utf-7", declared="UTF-7"),
    "EBCDIC bomb (declared)": lambda: _encoded_bomb("cp037", declared="IBM037"),
}


def _zip_bomb() -> bytes:
    """A workbook with an extra part of 300 MB of zeros (about 300 KB compressed)."""
    out = io.BytesIO(xlsx([HEADER, row()]))
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/zeros.bin", "w") as part,
    ):
        block = bytes(1 << 20)
        for _ in range(300):
            part.write(block)
    return out.getvalue()


def _many_parts() -> bytes:
    base = xlsx([HEADER, row()])
    source = zipfile.ZipFile(io.BytesIO(base))
    parts = {info.filename: source.read(info) for info in source.infolist()}
    parts.update({f"xl/media/image{i}.png": b"" for i in range(600)})
    return _zip(parts)


def _docx() -> bytes:
    return _zip(
        {
            "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.'
            b'openxmlformats.org/package/2006/content-types"><Override PartName="/word/'
            b'document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            b'wordprocessingml.document.main+xml"/></Types>',
            "word/document.xml": b"<w:document/>",
        }
    )


BAD_FILES = {
    "text renamed .xlsx": (
        lambda: "序号,事项\n1,修路\n".encode(),
        "台账.xlsx",
        "不是 Excel 工作簿",
    ),
    "text as .txt": (lambda: b"just text", "notes.txt", "不是 Excel 工作簿"),
    "old .xls": (
        lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
        "台账.xls",
        "Excel 97-2003",
    ),
    "word document": (_docx, "台账.xlsx", "不是 Excel 工作簿"),
    "broken zip": (lambda: b"PK\x03\x04garbage" * 10, "台账.xlsx", "已损坏"),
    "zip bomb": (_zip_bomb, "台账.xlsx", "压缩炸弹"),
    "too many parts": (_many_parts, "台账.xlsx", "个部件"),
    "XML bomb": (
        lambda: _with_part(xlsx([HEADER, row()]), "xl/worksheets/sheet1.xml", BILLION_LAUGHS),
        "台账.xlsx",
        "XML 炸弹",
    ),
    "macro workbook": (
        lambda: _with_part(
            xlsx([HEADER, row()]),
            "[Content_Types].xml",
            b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
            b'content-types"><Override PartName="/xl/workbook.xml" ContentType="application/'
            b'vnd.ms-excel.sheet.macroEnabled.main+xml"/></Types>',
        ),
        "台账.xlsm",
        "含宏",
    ),
    "empty": (lambda: b"", "台账.xlsx", "空文件"),  # Django's own check comes first
    **{name: (build, "台账.xlsx", "XML 炸弹") for name, build in ENCODED_BOMBS.items()},
    "an encoding nobody writes": (
        lambda: _with_part(
            xlsx([HEADER, row()]),
            "xl/worksheets/sheet1.xml",
            b'<?xml version="1.0" encoding="x-made-up"?><worksheet/>',
        ),
        "台账.xlsx",
        "文本编码",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_bad_files_are_refused_with_nothing_stored(client, org, ledger, media, case):
    """GIVEN a file that is not a plain workbook within the limits WHEN uploaded THEN it is
    refused with a clear Chinese message, no job or file is stored and no item changes."""
    item = make_item(ledger, org.county_a, code="1")
    build, name, message = BAD_FILES[case]
    response = post(client, org.inside, ledger, build(), name=name)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html, html[html.find("invalid-feedback") - 200 :][:800]
    assert not ImportJob.objects.exists()
    assert not any(p.is_file() for p in Path(media).rglob("*")) if Path(media).exists() else True
    assert list(LedgerItem.objects.values_list("pk", "version")) == [(item.pk, 1)]


def test_a_workbook_is_known_by_its_content_not_its_name(client, org, ledger):
    """A real workbook saved as 台账.txt is read (the name is never trusted either way)."""
    post(client, org.inside, ledger, xlsx([HEADER, row()]), name="台账.txt")
    job = ImportJob.objects.get()
    assert job.can_apply and job.original_name == "台账.txt"
    stored = job.file.name or ""
    assert stored.startswith("ledger-imports/") and stored.endswith(".xlsx")
    assert "台账" not in stored


def test_files_over_the_size_limit_are_refused(client, org, ledger, settings):
    settings.LEDGER_IMPORT_MAX_BYTES = 1000
    response = post(client, org.inside, ledger, xlsx([HEADER, row()]))
    assert response.status_code == 400
    assert "只接受不超过 0.0 MB 的文件" in response.content.decode() or "只接受不超过" in (
        response.content.decode()
    )
    assert not ImportJob.objects.exists()


def test_defusedxml_guards_the_parser_too():
    """openpyxl parses through defusedxml (installed): even past our own scan, a sheet
    declaring entities is refused by the parser."""
    from openpyxl import DEFUSEDXML

    assert DEFUSEDXML
    bomb = _with_part(xlsx([HEADER, row()]), "xl/worksheets/sheet1.xml", BILLION_LAUGHS)
    with pytest.raises(DefusedXmlException):  # raised as the rows are streamed
        _workbook, rows = imports.read_sheet(io.BytesIO(bomb))
        list(rows)


def test_the_check_refuses_an_xml_bomb_that_got_past_the_scan(org, ledger):
    bomb = _with_part(xlsx([HEADER, row()]), "xl/worksheets/sheet1.xml", BILLION_LAUGHS)
    with pytest.raises(imports.ImportRefused, match="XML"):
        imports.check_workbook(io.BytesIO(bomb), ledger=ledger, user=org.inside)


# --- who may -------------------------------------------------------------------------------------
def test_someone_elses_import_is_404(client, org, ledger):
    post(client, org.inside, ledger, xlsx([HEADER, row()]))
    job = ImportJob.objects.get()
    client.force_login(org.above)
    assert client.get(reverse("ledger:import-job", args=[job.pk])).status_code == 404
    assert client.post(reverse("ledger:import-apply", args=[job.pk])).status_code == 404
    assert not LedgerItem.objects.exists()


def test_read_only_official_may_not_import(client, org, ledger):
    response = post(client, org.official, ledger, xlsx([HEADER, row()]))
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


def test_outsider_cannot_write_into_another_units_items(client, org, ledger):
    post(client, org.outsider, ledger, xlsx([HEADER, row(unit="甲县")]))
    (problem,) = problems(ImportJob.objects.get())
    assert problem[1] == "责任单位（C 列）" and "未知责任单位“甲县”" in problem[2]


def test_the_form_page(client, org, ledger):
    client.force_login(org.inside)
    page = client.get(IMPORT, {"ledger": ledger.pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert "从 Excel 导入" in html and "上传并检查" in html and "项目建设重点任务台账" in html
    assert reverse("ledger:import-template") + "?kind=key_project" in html


def test_progress_partial_while_running_then_refresh(client, org, ledger):
    post(client, org.inside, ledger, xlsx([HEADER, row()]))
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.APPLYING, total_rows=100)
    from django.core.cache import cache

    cache.set(imports.progress_key(job.pk), 50)
    url = reverse("ledger:import-job", args=[job.pk])
    headers = {"HX-Request": "true", "HX-Target": "import-status"}
    partial = client.get(url, headers=headers)
    assert partial.status_code == 200
    assert 'aria-valuenow="50"' in partial.content.decode()
    assert "<html" not in partial.content.decode()
    # Applying checks every row once more before it writes, and says so.
    cache.set(imports.jobs.phase_key(job.pk), "check")
    assert "写入前再检查一遍各行" in client.get(url, headers=headers).content.decode()
    cache.set(imports.jobs.phase_key(job.pk), "write")
    assert "正在写入各行" in client.get(url, headers=headers).content.decode()
    cache.delete(imports.jobs.phase_key(job.pk))
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.APPLIED)
    done = client.get(url, headers=headers)
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    cache.delete(imports.progress_key(job.pk))


# --- counting rows -------------------------------------------------------------------------------
def test_rows_are_counted_from_the_sheet_not_its_dimension():
    """A sheet that declares itself one cell (``<dimension ref="A1"/>``) is counted by its
    rows, and so is one that declares nothing (the app's own export writes no dimension)."""
    data = xlsx([HEADER, *(row(title=f"事项{i}") for i in range(30))])
    source = zipfile.ZipFile(io.BytesIO(data))
    sheet = source.read("xl/worksheets/sheet1.xml").decode()
    assert "<dimension" in sheet
    forged = sheet.replace(
        sheet[sheet.index("<dimension") : sheet.index("/>", sheet.index("<dimension")) + 2],
        '<dimension ref="A1"/>',
    )
    without = forged.replace('<dimension ref="A1"/>', "")
    for text in (forged, without):
        patched = _with_part(data, "xl/worksheets/sheet1.xml", text.encode())
        assert imports.count_rows(io.BytesIO(patched)) == 32  # title, header and 30 rows


def test_the_apps_own_export_is_counted(client, org, ledger):
    make_items(ledger, org.county_a, 25)
    client.force_login(org.inside)
    response = client.get(reverse("ledger:export"), {"ledger": ledger.pk})
    data = b"".join(response.streaming_content)
    sheet = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:L28"/>' in sheet  # XlsxWriter writes the true range
    assert imports.count_rows(io.BytesIO(data)) == 2 + 1 + 25  # title, subtitle, header


def test_a_long_sheet_is_not_checked_in_the_request(
    client, org, ledger, settings, monkeypatch, django_capture_on_commit_callbacks
):
    """GIVEN a threshold of 5 rows WHEN a sheet of 6 rows is uploaded THEN the request only
    stores it and enqueues the check (on commit); the job waits with its row count."""
    settings.LEDGER_IMPORT_ASYNC_ROWS = 5
    queued: list[int] = []
    monkeypatch.setattr(tasks.check_import, "delay", queued.append)
    data = xlsx([HEADER, *(row(title=f"事项{i}") for i in range(6))])
    with django_capture_on_commit_callbacks(execute=True):
        post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    assert queued == [job.pk]
    assert job.status == ImportStatus.CHECKING and job.total_rows == 6 and job.plan == {}
    assert [c["field"] for c in job.columns][:2] == ["code", "title"]


# --- one ledger at a time ------------------------------------------------------------------------
def test_a_mixed_export_is_refused_with_one_message(client, org, ledger):
    """GIVEN the list's export of several ledgers (with its 台账 column) WHEN it is imported
    into one of them THEN one problem names the other ledgers, not one per row."""
    other = make_ledger(org.campaign, title="民生实事台账", area="民生工程")
    make_items(ledger, org.county_a, 40)
    make_items(other, org.county_a, 60, title="民生")
    client.force_login(org.inside)
    response = client.get(reverse("ledger:export"))
    data = b"".join(response.streaming_content)
    post(client, org.inside, ledger, data, name="全部台账.xlsx")
    job = ImportJob.objects.get()
    assert [c["field"] for c in job.columns][:2] == ["code", "ledger"]
    assert problems(job) == [
        (
            None,
            "台账",
            "此工作簿含有其他台账的行：“民生实事台账”（60 行）。每次只能导入一个台账：请单独导出"
            "“项目建设重点任务台账”（在列表的台账筛选中选择它），或删除其他台账的行，然后重新上传。",
        )
    ]
    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert page.count("民生实事台账") >= 1 and "发现" not in page
    # Among the recent imports it does not look like a clean one.
    recent = client.get(IMPORT).content.decode()
    assert "已检查：有问题待处理" in recent


# --- a liaison's own export ----------------------------------------------------------------------
def test_a_county_liaison_re_imports_its_own_export_unchanged(client, org):
    """GIVEN 甲县's items on the city's chains (led by 市发改委, outside 甲县) and on its own
    WHEN 甲县's liaison exports the ledger and imports the file back THEN every row is
    unchanged: lead departments and people are found among the chains of its items."""
    world = build_chain_world(org)
    ledger = world.items["city_a"].ledger
    client.force_login(org.inside)
    response = client.get(reverse("ledger:export"), {"ledger": ledger.pk})
    data = b"".join(response.streaming_content)
    post(client, org.inside, ledger, data, name="导出.xlsx")
    job = ImportJob.objects.get()
    assert job.errors == [], job.errors
    assert (job.plan["create"], job.plan["update"], job.plan["unchanged"]) == (0, 0, 4)
    assert job.plan["unknown"] == [] and job.plan["warnings"] == []


def test_a_problem_names_the_field_it_failed_in(client, org, ledger):
    """A district outside the chains is an unknown lead department, not an "unknown unit"."""
    post(
        client,
        org.inside,
        ledger,
        xlsx([HEADER, row(lead="乙县", person="")]),
    )
    job = ImportJob.objects.get()
    (problem,) = problems(job)
    assert problem[1] == "牵头部门（D 列）" and problem[2].startswith("未知牵头部门“乙县”")
    assert job.plan["unknown"] == [
        {"key": "lead_department", "label": "牵头部门", "values": ["乙县"]}
    ]


# --- who may, on the pages -----------------------------------------------------------------------
def test_a_read_only_account_gets_the_403_page_with_the_reason(client, org, ledger):
    """GIVEN the official (read only) WHEN the import page is opened THEN the site's Chinese 403
    page says why; the ledger list offers no import link."""
    client.force_login(org.official)
    page = client.get(IMPORT)
    assert page.status_code == 403
    html = page.content.decode()
    assert "您的账号只能查看台账" in html and "<html" in html
    listing = client.get(reverse("ledger:item-list")).content.decode()
    assert IMPORT not in listing
    client.force_login(org.inside)
    assert IMPORT in client.get(reverse("ledger:item-list")).content.decode()


# --- large imports through the Celery worker -----------------------------------------------------
@pytest.fixture(scope="module")
def import_worker(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, Process]]:
    """A real worker on a queue of its own, on this run's test database and media folder."""
    queue = unique("test-ledger-import")
    media = tmp_path_factory.mktemp("media")
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=current_database_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,
        MEDIA_ROOT=str(media),
    )
    logdir = tmp_path_factory.mktemp("celery")
    with running({"worker": celery_worker_args(queue)}, env, logdir) as processes:
        yield queue, media, processes["worker"]


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_long_sheet_is_checked_and_applied_by_the_worker(
    client, org, import_worker, settings, monkeypatch
):
    """GIVEN a threshold of 5 rows WHEN a sheet of 30 rows is uploaded and applied THEN the
    worker checks it (the page polls its progress) and then writes every row, through the
    services, with the task named in history."""
    queue, media, worker = import_worker
    settings.MEDIA_ROOT = media
    settings.LEDGER_IMPORT_ASYNC_ROWS = 5
    for task in (tasks.check_import, tasks.apply_import):
        monkeypatch.setattr(task, "delay", partial(_on_queue, task, queue))
    ledger = make_ledger(org.campaign, title="项目建设重点任务台账")
    data = xlsx([HEADER, *(row(title=f"事项{i}") for i in range(30))])

    response = post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    assert response["Location"].endswith(f"/{job.pk}/")
    _wait_for(job, ImportStatus.CHECKED, worker)
    assert job.total_rows == 30 and job.can_apply, job.errors
    page = client.get(response["Location"]).content.decode()
    assert "确认导入这 30 行" in page and "后台写入" in page

    client.post(reverse("ledger:import-apply", args=[job.pk]))
    polled = client.get(
        response["Location"], headers={"HX-Request": "true", "HX-Target": "import-status"}
    )
    assert polled.status_code in (200, 204)  # the bar, or "done: reload"
    _wait_for(job, ImportStatus.APPLIED, worker)
    assert job.created_count == 30
    assert LedgerItem.objects.filter(ledger=ledger).count() == 30
    event = Events.objects.filter(pgh_label="insert", pgh_obj_model="tasks_ledger.LedgerItem")[0]
    assert event.pgh_context["task"] == "tasks_ledger.tasks.apply_import"
    assert event.pgh_context["import_job"] == job.pk
    # The worker writes in the uploader's name: history says who, not "the system".
    assert event.pgh_context["user"] == org.inside.pk


def _on_queue(task: Any, queue: str, *args: Any) -> Any:
    return task.apply_async(args, queue=queue)


def _wait_for(job: ImportJob, status: str, worker: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status == status:
            return
        if job.status == ImportStatus.FAILED:
            break
        time.sleep(0.2)
    raise AssertionError(f"job is {job.status} ({job.message}):\n{worker.output()[-4000:]}")


def test_a_new_row_already_past_its_deadline_is_flagged_before_applying(client, org, ledger):
    """GIVEN the clock at 1 June 2022 WHEN a sheet adds an item due 1 May 2022 (a wrong
    year, as often) THEN the preview warns that it will be red at once; it may still go in."""
    data = xlsx([HEADER, row(title="早已到期", deadline="2022-05-01"), row(title="按期")])
    post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    assert job.can_apply, job.errors
    flagged = [w for w in job.plan["warnings"] if "完成时限已过" in w]
    assert flagged == ["第 3 行：完成时限已过：新增后即为红灯（已超期）；请核对表中的年份。"]


def test_an_update_shows_the_accepted_progress_and_the_one_waiting(client, org, ledger):
    """GIVEN an item at 65% accepted with 95% waiting for review WHEN a sheet says 90% THEN
    the preview's old value is what the item shows: 65% accepted, 95% awaiting review."""
    item = make_item(ledger, org.county_a, code="1", progress=65, status=ItemStatus.IN_PROGRESS)
    services.ledger_item_report_progress(
        item=item, reporter=org.inside, percent=95, text="基本完成", expected_version=1
    )
    data = xlsx([HEADER, row(code="1", title="甲县重点任务", progress=90, latest="收尾中")])
    post(client, org.inside, ledger, data)
    job = ImportJob.objects.get()
    (change,) = [c for c in job.plan["rows"] if c["action"] == "update"]
    progress = next(f for f in change["fields"] if f["key"] == "progress")
    assert (progress["old"], progress["new"]) == ("65%（待审核 95%）", "90%")
