"""The Excel import through the API: upload, see the columns, choose, check, apply.

The same services as the page (:mod:`tasks_ledger.imports`), so the page's tests cover the
reading of rows; these check the four endpoints, their errors and who reaches a job.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User
from accounts.services import api_token_create
from campaign.tests.builders import add_chain
from tasks_ledger.models import ImportJob, ImportMapping, LedgerItem, LedgerKind
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media", "frozen_today")]

IMPORTS = reverse("api:import-list")
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def ledger(org):
    return make_ledger(org.campaign, title="项目建设重点任务台账")


def api(user: User) -> APIClient:
    client = APIClient()
    _token, key = api_token_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def office_workbook() -> bytes:
    """An office's own ledger: a merged title, a subtitle, its own headers, dates in its
    own styles, a standing measure and a remarks column."""
    wb = openpyxl.Workbook()
    ws: Any = wb.active
    ws.append(["甲县重点任务推进台账"])
    ws.merge_cells("A1:F1")
    ws.append(["填报单位：甲县能力作风建设办公室　　填报时间：2022年5月"])
    ws.append(["序号", "工作任务", "责任单位", "完成时限", "完成情况", "备注"])
    ws.append([1, "建成便民服务中心", "甲县", "2022年9月30日", "整改中", "县财政保障"])
    ws.append([2, "常态化走访企业", "甲县", "长期坚持", "", ""])
    ws.append([3, "完成老旧小区改造", "甲县", dt.datetime(2022, 12, 31), "", ""])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client: APIClient, ledger: Any, data: bytes, name: str = "甲县台账.xlsx") -> Any:
    return client.post(
        IMPORTS,
        {"ledger": ledger.pk, "file": SimpleUploadedFile(name, data)},
        format="multipart",
    )


def job_url(job_id: int, action: str = "") -> str:
    if action:
        return reverse(f"api:import-{action}", args=[job_id])
    return reverse("api:import-detail", args=[job_id])


def columns(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {column["header"]: column for column in body["columns"]}


def test_upload_choose_check_and_apply(org, ledger):
    """GIVEN an office's own workbook WHEN the campaign office uploads it, sees the columns,
    leaves 备注 out and takes 序号 as the sheet's row numbers THEN every row is shown with
    its parsed fields, and applying adds the three items with their dates."""
    client = api(org.above)
    created = upload(client, ledger, office_workbook())
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["status"] == "checked"
    assert body["header_row"] == 3
    found = columns(body)
    assert list(found) == ["序号", "工作任务", "责任单位", "完成时限", "完成情况", "备注"]
    assert found["工作任务"]["suggested"] == "title"
    assert found["完成时限"]["suggested"] == "deadline"
    assert found["责任单位"]["suggested"] == "unit"
    assert {choice["key"] for choice in body["choices"]} >= {"title", "unit", "deadline"}

    checked = client.patch(
        job_url(body["id"]),
        {"mapping": {"备注": None}, "numbering": "row"},
        format="json",
    )
    assert checked.status_code == 200, checked.content
    body = checked.json()
    assert columns(body)["备注"]["field"] is None
    assert body["numbering"]["chosen"] == "row"
    assert body["counts"]["create"] == 3 and body["counts"]["problems"] == 0
    assert body["can_apply"] is True
    # The mapping is kept for the ledger's next upload.
    assert ImportMapping.objects.filter(ledger=ledger).exists()

    shown = client.get(job_url(body["id"])).json()
    assert shown["status"] == "checked"
    assert [row["row"] for row in shown["rows"]] == [4, 5, 6]

    applied = client.post(job_url(body["id"], "apply"))
    assert applied.status_code == 200, applied.content
    assert applied.json()["status"] == "applied" and applied.json()["created"] == 3
    items = {item.title: item for item in LedgerItem.objects.filter(ledger=ledger)}
    assert items["建成便民服务中心"].deadline == dt.date(2022, 9, 30)
    assert items["常态化走访企业"].deadline is None
    assert items["完成老旧小区改造"].deadline == dt.date(2022, 12, 31)
    assert all(item.start_date == dt.date(2022, 6, 1) for item in items.values())


def test_the_next_upload_starts_from_the_kept_mapping(org, ledger):
    client = api(org.above)
    first = upload(client, ledger, office_workbook()).json()
    client.patch(job_url(first["id"]), {"mapping": {"备注": None}}, format="json")
    second = upload(client, ledger, office_workbook()).json()
    assert columns(second)["备注"]["field"] is None


def test_a_bad_file_is_refused_with_nothing_stored(org, ledger):
    response = api(org.above).post(
        IMPORTS,
        {"ledger": ledger.pk, "file": SimpleUploadedFile("台账.xlsx", b"not a workbook")},
        format="multipart",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["attr"], e["code"]) for e in errors] == [("file", "invalid")]
    assert "xlsx" in errors[0]["detail"] or "Excel" in errors[0]["detail"]
    assert not ImportJob.objects.exists()


def test_choices_that_do_not_fit_are_refused_per_field(org, ledger):
    client = api(org.above)
    job = upload(client, ledger, office_workbook()).json()
    response = client.patch(job_url(job["id"]), {"mapping": {"没有这一列": "title"}}, format="json")
    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} == {"mapping"}
    response = client.patch(job_url(job["id"]), {"numbering": "both"}, format="json")
    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} == {"numbering"}
    # Chosen, then given back to the suggestion.
    chosen = client.patch(job_url(job["id"]), {"numbering": "row"}, format="json").json()
    assert chosen["numbering"]["chosen"] == "row"
    back = client.patch(job_url(job["id"]), {"numbering": ""}, format="json").json()
    assert back["numbering"]["chosen"] is None
    assert back["numbering"]["applied"] == back["numbering"]["suggested"]


def test_a_job_with_problems_is_not_applied(org, ledger):
    client = api(org.above)
    job = upload(client, ledger, office_workbook()).json()
    # Without the item's column every row lacks its title: nothing to apply.
    checked = client.patch(job_url(job["id"]), {"mapping": {"工作任务": None}}, format="json")
    assert checked.json()["can_apply"] is False
    response = client.post(job_url(job["id"], "apply"))
    assert response.status_code == 400
    assert not LedgerItem.objects.exists()


def test_only_the_uploader_reaches_a_job_and_readers_cannot_upload(org, ledger):
    make_item(ledger, org.county_a, title="已有事项")
    job = upload(api(org.above), ledger, office_workbook()).json()
    other = api(org.inside)
    assert other.get(job_url(job["id"])).status_code == 404
    assert other.patch(job_url(job["id"]), {"numbering": "row"}, format="json").status_code == 404
    assert other.post(job_url(job["id"], "apply")).status_code == 404
    assert [row["id"] for row in other.get(IMPORTS).json()["results"]] == []
    refused = upload(api(org.official), ledger, office_workbook())
    assert refused.status_code == 403
    assert ImportJob.objects.count() == 1


def test_a_libreoffice_ledger_goes_in_through_the_api(org):
    """GIVEN 甲县's liaison and the office's LibreOffice-made problem ledger (title rows, its
    own headers, mixed date styles, 长期坚持) WHEN uploaded through the API THEN the columns
    come back with the fields their names suggest and every row is shown before applying;
    WHEN 备注 is mapped too and the job applied THEN the eight items exist with their dates."""
    add_chain(
        subject="作风问题整改", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
    )
    ledger = make_ledger(
        org.campaign, kind=LedgerKind.PROBLEM, title="作风问题整改台账", owner=org.county_a
    )
    client = api(org.inside)
    path = FIXTURES / "office_problem_ledger.xlsx"
    created = upload(client, ledger, path.read_bytes(), name=path.name)
    assert created.status_code == 201, created.content
    body = created.json()
    assert {header: column["suggested"] for header, column in columns(body).items()} == {
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
    assert body["counts"]["create"] == 8 and body["numbering"]["applied"] == "item"
    # 备注 is known and left out on purpose, unlike a header nobody knows.
    assert columns(body)["备注"]["left_out"] is True
    assert columns(body)["序号"]["left_out"] is False
    checked = client.patch(job_url(body["id"]), {"mapping": {"备注": "remarks"}}, format="json")
    body = checked.json()
    assert columns(body)["备注"]["field"] == "remarks"
    shown = {row["row"]: row for row in body["rows"]}
    assert len(shown) == 8 and all(row["action"] == "create" for row in shown.values())
    fields = {field["key"]: field["value"] for field in shown[4]["fields"]}
    assert fields["deadline"] == "2022-09-30" and fields["start_date"] == "2022-06-01"
    assert {f["key"]: f["value"] for f in shown[8]["fields"]}["deadline"] == "长期坚持"

    applied = client.post(job_url(body["id"], "apply")).json()
    assert (applied["status"], applied["created"]) == ("applied", 8)
    deadlines = sorted(
        LedgerItem.objects.filter(ledger=ledger).values_list("code", "deadline"),
        key=lambda pair: int(pair[0]),
    )
    assert deadlines[4] == ("5", None)
    assert deadlines[0] == ("1", dt.date(2022, 9, 30))
