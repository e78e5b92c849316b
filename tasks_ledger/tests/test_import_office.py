"""Offices' own workbooks go into ledgers: LibreOffice-made files with a merged title row, a
subtitle, their own headers (序号/问题表现/整改措施/牵头单位/配合单位/责任领导/责任人/完成时限/
整改进度/备注) and dates in every style, through the mapping step, the preview of every field
and the apply; 序号 as item or row number; probable duplicates; the saved mapping.

The fixtures are made by ``scripts/make_import_fixtures.py`` (openpyxl, then saved by
``soffice``) and committed. The clock reads 1 June 2022; the campaign runs through 2022.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pghistory.models import Events

from campaign.tests.builders import add_chain
from tasks_ledger.models import (
    ImportJob,
    ImportMapping,
    ImportStatus,
    ItemStatus,
    LedgerItem,
    LedgerKind,
)
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media", "frozen_today")]

FIXTURES = Path(__file__).parent / "fixtures"
OFFICE = FIXTURES / "office_problem_ledger.xlsx"
WPS = FIXTURES / "wps_key_tasks.xlsx"
TODAY = dt.date(2022, 6, 1)


@pytest.fixture
def problems_ledger(org):
    """A problem ledger (问题清单) of 甲县, with the chain the workbook's people answer for."""
    add_chain(
        subject="作风问题整改", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
    )
    return make_ledger(
        org.campaign, kind=LedgerKind.PROBLEM, title="作风问题整改台账", owner=org.county_a
    )


def upload(client, user, ledger, path: Path) -> ImportJob:
    client.force_login(user)
    response = client.post(
        reverse("ledger:import"),
        {"ledger": ledger.pk, "file": SimpleUploadedFile(path.name, path.read_bytes())},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    return ImportJob.objects.latest("pk")


def columns(job: ImportJob) -> dict[str, str | None]:
    return {c["header"]: c["field"] for c in job.columns}


def remap(client, job: ImportJob, changes: dict[str, str], **choices: str) -> Any:
    """Post the mapping form as the page does: every column's select, changed where told."""
    data = {f"col{c['index']}": changes.get(c["header"], c["field"] or "") for c in job.columns}
    data.setdefault("duplicates", choices.pop("duplicates", job.duplicates))
    data.update(choices)
    return client.post(reverse("ledger:import-mapping", args=[job.pk]), data)


def test_the_fixtures_are_made_by_libreoffice():
    """The committed workbooks are LibreOffice's own files, without our writer's marks."""
    import zipfile

    for path in (OFFICE, WPS):
        with zipfile.ZipFile(path) as archive:
            assert "LibreOffice" in archive.read("docProps/app.xml").decode()


def test_an_office_problem_ledger_goes_in_through_the_mapping_step(client, org, problems_ledger):
    """GIVEN 甲县's liaison and the office's LibreOffice ledger (title rows, its own headers,
    dates as date cells and as text, 长期坚持, 整改进度 words) WHEN uploaded THEN the header is
    found below the title rows, every column is matched by its name, the preview lists every
    row with every parsed field and the defaults marked; WHEN the clerk maps 备注 too and
    applies THEN the items exist with the right dates, the long-term one without a deadline,
    the defaults applied, status not started, and history names the import."""
    job = upload(client, org.inside, problems_ledger, OFFICE)
    assert job.header_row == 3
    assert columns(job) == {
        "序号": "code",
        "问题表现": "title_symptom",
        "整改措施": "rectification",
        "牵头单位": "unit",
        "配合单位": "cooperating",
        "责任领导": "leader_in_charge",
        "责任人": "responsible_person",
        "完成时限": "deadline",
        "整改进度": "status",
        "备注": None,
    }
    assert job.status == ImportStatus.CHECKED and job.errors == [], job.errors
    assert job.plan["create"] == 8 and job.plan["numbering"]["applied"] == "item"

    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert "核对各列对应的字段" in page and "重新检查" in page and "新增 8 项" in page
    # What the importer does with a column that has no field of its own is said beside it.
    assert "作为“配合单位：……”一行附在措施末尾" in page
    assert "开始时间：8 行未填写，取导入当天（2022-06-01）" in page
    # 整改进度 is read and compared, never written.
    assert any("已完成" in w and "状态不会导入" in w for w in job.plan["warnings"])

    response = remap(client, job, {"备注": "remarks"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert columns(job)["备注"] == "remarks" and job.errors == []
    rows = {row["row"]: row for row in job.plan["rows"]}
    assert rows[4]["title"] == "企业开办审批环节多、时限长"
    first = {f["key"]: f for f in rows[4]["fields"]}
    assert "title" not in first and "symptom" not in first  # the row's heading says it
    assert first["unit"]["value"] == "甲县住房和城乡建设局" and not first["unit"]["default"]
    assert first["chain"]["value"] == "甲县住房和城乡建设局 · 甲县分管领导 · 甲县住建局科长"
    assert first["start_date"] == {
        "key": "start_date",
        "label": "开始时间",
        "value": "2022-06-01",
        "default": True,
    }
    assert first["deadline"]["value"] == "2022-09-30"
    assert first["rectification"]["value"] == (
        "推行“一窗受理、集成服务”\n配合单位：甲镇\n备注：群众反映集中"
    )
    assert first["status"]["value"] == "推进中（仅供对照，不导入）"
    assert {f["key"]: f["value"] for f in rows[8]["fields"]}["deadline"] == "长期坚持"
    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert "企业开办审批环节多、时限长" in page and "默认值" in page and "长期坚持" in page

    client.post(reverse("ledger:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, (job.message, job.errors)
    items = {item.code: item for item in LedgerItem.objects.filter(ledger=problems_ledger)}
    assert {code: item.deadline for code, item in items.items()} == {
        "1": dt.date(2022, 9, 30),
        "2": dt.date(2022, 9, 30),
        "3": dt.date(2022, 12, 31),
        "4": dt.date(2022, 10, 15),
        "5": None,  # 长期坚持
        "6": dt.date(2022, 9, 30),
        "7": dt.date(2022, 9, 30),  # 9月底
        "8": dt.date(2022, 12, 31),  # 年底
    }
    assert {item.start_date for item in items.values()} == {TODAY}
    assert {item.status for item in items.values()} == {ItemStatus.NOT_STARTED}
    assert items["1"].unit == org.county_a_dept and items["2"].unit == org.county_a
    assert items["1"].chain is not None and items["1"].chain.subject == "作风问题整改"
    assert items["2"].chain is None
    assert items["1"].symptom == items["1"].title == "企业开办审批环节多、时限长"
    assert items["5"].rectification == "常态化开展明察暗访\n配合单位：甲镇\n备注：每季度通报一次"
    event = Events.objects.filter(pgh_obj_model="tasks_ledger.LedgerItem").first()
    assert event is not None and event.pgh_context["import_job"] == job.pk

    # The mapping is kept for the ledger's next upload.
    assert ImportMapping.objects.get(ledger=problems_ledger).columns == {"备注": "remarks"}
    again = upload(client, org.inside, problems_ledger, OFFICE)
    assert columns(again)["备注"] == "remarks"
    assert [c["saved"] for c in again.columns if c["header"] == "备注"] == [True]


def test_uploading_the_same_office_workbook_twice_adds_nothing(client, org, problems_ledger):
    """GIVEN the office's ledger imported once WHEN the same workbook is uploaded again THEN
    序号 is taken as the ledger's item numbers (they match the titles) and every row is
    unchanged; WHEN the clerk says 序号 is the sheet's own row number THEN every row is a
    probable duplicate of the open item, left out, and nothing can be applied."""
    first = upload(client, org.inside, problems_ledger, OFFICE)
    client.post(reverse("ledger:import-apply", args=[first.pk]))
    assert LedgerItem.objects.count() == 8

    job = upload(client, org.inside, problems_ledger, OFFICE)
    assert job.plan["numbering"] == {
        "applied": "item",
        "suggested": "item",
        "numbered": 8,
        "existing": 8,
        "matching": 8,
        "has_code": 1,
    }
    assert (job.plan["create"], job.plan["update"], job.plan["unchanged"]) == (0, 0, 8)

    remap(client, job, {}, numbering="row")
    job.refresh_from_db()
    assert job.numbering == "row" and job.errors == []
    assert (job.plan["create"], job.plan["duplicate"]) == (0, 8)
    assert all(
        row["action"] == "duplicate" and "可能与" in row["warnings"][0] for row in job.plan["rows"]
    )
    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert "可能重复 8 项（不导入）" in page and "没有需要导入的内容" in page
    assert "确认导入" not in page

    # Added anyway when the clerk says so.
    remap(client, job, {}, numbering="row", duplicates="add")
    job.refresh_from_db()
    assert job.plan["create"] == 8 and job.plan["duplicate"] == 0
    assert all("可能与" in row["warnings"][0] for row in job.plan["rows"])


def test_numbers_that_name_other_items_are_taken_as_the_sheets_own(client, org, problems_ledger):
    """GIVEN a ledger whose items 1-5 are other problems WHEN the office's workbook numbered
    1-8 is uploaded THEN the preview says 序号 is the sheet's own row number (every row is
    new, numbered after the ledger's last item) and no item 1-5 is touched; WHEN the clerk
    says they are item numbers THEN each update shows the existing title and old → new."""
    deadlines = [dt.date(2022, 9, 30), dt.date(2022, 9, 30), dt.date(2022, 12, 31),
                 dt.date(2022, 10, 15), None]  # fmt: skip
    for n, deadline in enumerate(deadlines, 1):
        make_item(
            problems_ledger, org.county_a, code=str(n), title=f"原有问题{n}", deadline=deadline
        )
    job = upload(client, org.inside, problems_ledger, OFFICE)
    assert job.plan["numbering"]["suggested"] == "row"
    assert (job.plan["create"], job.plan["update"]) == (8, 0)
    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert "序号按表格自身的行号理解" in page and "建议：按表格自身的行号理解" in page

    remap(client, job, {}, numbering="item")
    job.refresh_from_db()
    # 牵头单位 of rows 1 and 3-4 is another unit than the items': refused, not moved.
    assert {p["row"] for p in job.errors} == {4, 6, 7}
    remap(client, job, {"牵头单位": ""}, numbering="item")
    job.refresh_from_db()
    assert job.errors == [], job.errors
    update = next(r for r in job.plan["rows"] if r["action"] == "update")
    assert update["item"]["title"] == "原有问题1"
    assert {
        "key": "title",
        "label": "事项",
        "old": "原有问题1",
        "new": "企业开办审批环节多、时限长",
    } in (update["fields"])
    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert "事项 1「原有问题1」" in page and "<del" in page


def test_a_required_field_left_unmapped_says_what_to_do(client, org, problems_ledger):
    job = upload(client, org.inside, problems_ledger, OFFICE)
    remap(client, job, {"问题表现": "", "完成时限": ""})
    job.refresh_from_db()
    assert [(p["row"], p["column"], p["message"]) for p in job.errors] == [
        (None, "事项", "请在下方为“事项”选择一列，或在工作簿中加上这一列后重新上传。"),
        (
            None,
            "完成时限",
            "请在下方为“完成时限”选择一列，或在工作簿中加上这一列（填写日期，长期事项填写“长期坚持”）"
            "后重新上传。",
        ),
    ]
    page = client.get(reverse("ledger:import-job", args=[job.pk])).content.decode()
    assert "读取各行之前需要处理" in page and "请在下方为“事项”选择一列" in page


def test_one_field_for_two_columns_is_named(client, org, problems_ledger):
    job = upload(client, org.inside, problems_ledger, OFFICE)
    remap(client, job, {"备注": "rectification"})
    job.refresh_from_db()
    (problem,) = job.errors
    assert problem["column"] == "整改措施" and "C（整改措施）、J（备注）" in problem["message"]


def test_a_wps_header_variant_is_recognised(client, org):
    """GIVEN a key-task ledger whose WPS headers are spaced and bracketed (序  号, 责任单位
    （盖章）, 完成时限（年月日）, 分管领导, 进展情况) and whose dates read 10月底前, 12月31日前
    WHEN uploaded THEN every column is matched and the rows are read with those dates."""
    add_chain(
        subject="老旧小区改造", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
    )
    ledger = make_ledger(org.campaign, title="重点工作任务台账", owner=org.county_a)
    job = upload(client, org.inside, ledger, WPS)
    assert columns(job) == {
        "序  号": "code",
        "工作任务": "title",
        "具体措施": "measures",
        "责任单位\n（盖章）": "unit",
        "牵头部门": "lead_department",
        "分管领导": "leader_in_charge",
        "具体责任人": "responsible_person",
        "完成时限\n（年月日）": "deadline",
        "进展情况": "latest_report",
        "备  注": None,
    }
    assert job.errors == [], job.errors
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED, job.errors
    items = {i.code: i for i in LedgerItem.objects.filter(ledger=ledger)}
    assert [items[c].deadline for c in "123"] == [
        dt.date(2022, 11, 30),
        dt.date(2022, 10, 31),
        dt.date(2022, 12, 31),
    ]
    # A unit's progress words wait for the office as a report.
    assert items["1"].reports.get().text == "已完成3个小区"


def test_a_sheet_naming_no_unit_takes_the_ledgers_owner(client, org, problems_ledger):
    """GIVEN the office's ledger with 牵头单位 ignored (no column names the unit) WHEN checked
    THEN every row takes the ledger's owner unit 甲县, marked as a default, and the preview
    says so; WHEN 牵头单位 is read as the lead department instead THEN a row whose lead
    department 甲县 may add items takes it as its unit."""
    job = upload(client, org.inside, problems_ledger, OFFICE)
    remap(client, job, {"牵头单位": ""})
    job.refresh_from_db()
    assert job.errors == []
    unit = {f["key"]: f for f in job.plan["rows"][0]["fields"]}["unit"]
    assert unit["value"] == "甲县" and unit["default"]
    assert job.plan["defaults"][1] == "责任单位：8 行未填写，取台账所属单位甲县。"

    remap(client, job, {"牵头单位": "lead_department", "责任领导": "", "责任人": ""})
    job.refresh_from_db()
    # Only 甲县住建局 leads a chain of this campaign; 甲县 and 甲镇 lead none.
    assert {p["message"].split("”")[0] for p in job.errors} == {
        "未知牵头部门“甲县",
        "未知牵头部门“甲镇",
    }
    row = next(r for r in job.plan["rows"] if r["row"] == 4)
    unit = {f["key"]: f for f in row["fields"]}["unit"]
    assert unit["value"] == "甲县住房和城乡建设局" and unit["default"]


def test_only_the_uploader_changes_the_mapping(client, org, problems_ledger):
    job = upload(client, org.inside, problems_ledger, OFFICE)
    client.force_login(org.above)
    assert remap(client, job, {"备注": "remarks"}).status_code == 404
    job.refresh_from_db()
    assert columns(job)["备注"] is None and not ImportMapping.objects.exists()


def test_an_applied_job_is_not_checked_again(client, org, problems_ledger):
    job = upload(client, org.inside, problems_ledger, OFFICE)
    client.post(reverse("ledger:import-apply", args=[job.pk]))
    response = remap(client, job, {"备注": "remarks"})
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ImportStatus.APPLIED and columns(job)["备注"] is None
    page = client.get(response["Location"]).content.decode()
    assert "此导入正在检查或写入，或已经完成" in page
    assert "核对各列对应的字段" not in page  # no mapping step once applied
