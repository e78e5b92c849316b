"""Excel in and out in Chromium at 1366×768 (and 390 px for the mapping step): a workbook with
mistakes is uploaded and the preview lists them in Chinese (``ledger-import-preview.png``);
a file that is not a workbook is refused on the form; the corrected file is applied; an
office's LibreOffice ledger goes through the mapping step (``ledger-import-mapping.png``,
``ledger-import-mapping-phone.png``); a 10,000-row re-import is checked and written by a
real Celery worker behind a progress bar (``ledger-import-progress.png``); the list page's
export is downloaded through the browser and read back.

Data: the shared ``org`` tree with one key-task ledger of 甲县. The clock reads 1 June 2022.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import time_machine
from playwright.sync_api import Page, expect

from campaign.tests.builders import add_chain
from tasks_ledger import tasks
from tasks_ledger.models import ImportJob, ImportStatus, ItemStatus, LedgerItem
from tasks_ledger.tests.factories import make_item, make_items, make_ledger
from tests.browser.conftest import VIEWPORT
from tests.processes import (
    Process,
    celery_worker_args,
    child_env,
    current_database_url,
    running,
    unique,
)

pytestmark = pytest.mark.django_db(transaction=True)

NOW = dt.datetime(2022, 6, 1, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
PASSWORD = "pass-1234"  # accounts.tests.factories.UserFactory
HEADER = ["序号", "事项", "责任单位", "牵头部门", "责任人", "开始时间", "完成时限", "状态", "进度",
          "最新进展"]  # fmt: skip
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def ledger(org: Any, settings: Any, tmp_path: Path) -> Iterator[Any]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=True):
        ledger = make_ledger(org.campaign, title="项目建设重点任务台账")
        chain = add_chain(
            subject="老旧小区改造", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
        )
        make_item(
            ledger,
            org.county_a,
            code="1",
            title="老旧小区改造",
            chain=chain,
            status=ItemStatus.IN_PROGRESS,
            progress=40,
            latest_report="完成 3 栋",
        )
        make_item(
            ledger, org.township_a, code="2", title="=背街小巷整治", deadline=dt.date(2022, 5, 1)
        )
        make_item(ledger, org.county_b, code="3", title="乙县的事项")
        yield ledger


def workbook(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws: Any = wb.active
    ws.append(["项目建设重点任务台账（第 22 周）"])
    ws.merge_cells("A1:J1")
    for row in [HEADER, *rows]:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def assert_fits(page: Page) -> None:
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page is {overflow}px wider than the window"


def upload(page: Page, name: str, data: bytes, mime: str = XLSX) -> None:
    page.get_by_label("台账", exact=True).select_option(
        label="项目建设 · 项目建设重点任务台账（重点任务）"
    )
    page.get_by_label("Excel 工作簿（.xlsx）").set_input_files(
        {"name": name, "mimeType": mime, "buffer": data}
    )
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="上传并检查").click()


def test_import_preview_lists_problems_then_applies(
    page: Page, live_server: Any, shot: Callable[..., Path], org: Any, ledger: Any
) -> None:
    """GIVEN 甲县's liaison WHEN a text file is uploaded THEN the form refuses it in Chinese;
    WHEN a workbook with mistakes is uploaded THEN the preview lists each (row, column,
    what is wrong) and offers no import; WHEN the corrected file is uploaded THEN the
    preview shows what changes and importing writes it."""
    base = live_server.url
    log_in(page, base, "inside")
    page.goto(f"{base}/ledgers/excel/import/")
    expect(page.get_by_role("heading", name="从 Excel 导入")).to_be_visible()
    assert_fits(page)

    upload(page, "台账.xlsx", "序号,事项\n1,修路\n".encode(), mime="text/csv")
    expect(page.get_by_text("这不是 Excel 工作簿（.xlsx）文件")).to_be_visible()
    shot("ledger-import-refused")
    assert not ImportJob.objects.exists()

    bad = workbook(
        [
            ["1", "老旧小区改造", "甲县", "甲县住建局", "甲县住建局科长", "2022-03-01",
             "2022/9/30", "推进中", "六成", "完成 5 栋"],
            ["", "农贸市场改造", "丙县", "", "", "2022.3.1", "2022年7月31日", "推进中", 10, "选址"],
            ["", "公厕新建", "甲镇", "", "", "2022-03-01", "2022-02-30", "未启动", 0, ""],
        ]
    )  # fmt: skip
    upload(page, "第22周台账.xlsx", bad)
    expect(page).to_have_url(re.compile(r"/ledgers/excel/import/\d+/$"))
    problems = page.get_by_role("table").first
    expect(page.get_by_role("heading", name=re.compile("发现 4 个问题"))).to_be_visible()
    expect(problems).to_contain_text("完成时限只能通过批准的延期申请调整")
    expect(problems).to_contain_text("进度“六成”应为 0 到 100 之间的整数")
    expect(problems).to_contain_text("未知责任单位“丙县”")
    expect(problems).to_contain_text("2022-02-30 不是日历上存在的日期")
    expect(page.get_by_text("未知责任单位：")).to_be_visible()
    expect(page.get_by_text("未识别的单位")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("确认导入"))).to_have_count(0)
    assert_fits(page)
    shot("ledger-import-preview")
    assert LedgerItem.objects.count() == 3

    good = workbook(
        [
            ["1", "老旧小区改造", "甲县", "甲县住建局", "甲县住建局科长", "2022-03-01",
             "2022-06-30", "推进中", "60%", "完成 5 栋"],
            ["", "农贸市场改造", "甲县", "", "", "2022.3.1", "2022年7月31日", "推进中", 10, "选址"],
        ]
    )  # fmt: skip
    page.get_by_role("link", name="重新上传文件").click()
    upload(page, "第22周台账（改）.xlsx", good)
    expect(page.get_by_text("新增 1 项")).to_be_visible()
    expect(page.get_by_text("更新 1 项")).to_be_visible()
    shot("ledger-import-ready")
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="确认导入这 2 行").click()
    expect(page.get_by_text("导入完成：新增 1 项，更新 1 项。")).to_be_visible()
    shot("ledger-import-done")
    job = ImportJob.objects.get(status=ImportStatus.APPLIED)
    assert (job.created_count, job.updated_count) == (1, 1)
    # The liaison's figure is a report waiting for the office, not the item's progress yet.
    assert LedgerItem.objects.get(code="1").pending_progress == 60


def test_export_downloaded_in_the_browser_reads_back(
    page: Page, live_server: Any, org: Any, ledger: Any, tmp_path: Path
) -> None:
    """GIVEN 甲县's liaison on the ledger's list WHEN "Export to Excel" is clicked THEN the
    downloaded workbook has the ledger's title, a frozen header, 甲县's rows only, real
    dates and no formula."""
    base = live_server.url
    log_in(page, base, "inside")
    page.goto(f"{base}/ledgers/items/?ledger={ledger.pk}")
    with page.expect_download() as info:
        page.get_by_role("link", name="导出Excel").click()
    download = info.value
    assert download.suggested_filename == "台账_2022-06-01.xlsx"
    path = tmp_path / "export.xlsx"
    download.save_as(path)
    ws: Any = openpyxl.load_workbook(path).worksheets[0]
    assert ws["A1"].value == "项目建设重点任务台账"
    assert ws.freeze_panes == "A4"
    header = [c.value for c in ws[3]]
    rows = [r for r in ws.iter_rows(min_row=4) if r[0].value]
    assert [r[0].value for r in rows] == ["1", "2"]  # not 乙县's item 3
    second = dict(zip(header, rows[1], strict=True))
    assert second["事项"].value == "=背街小巷整治" and second["事项"].data_type == "s"
    assert second["完成时限"].is_date
    assert second["红黄绿灯"].value == "红灯"
    assert not [c for row in ws.iter_rows() for c in row if c.data_type == "f"]


OFFICE_LEDGER = Path(__file__).resolve().parents[2] / (
    "tasks_ledger/tests/fixtures/office_problem_ledger.xlsx"
)


def choose_ledger_and_upload(page: Page, ledger_label: str, name: str, data: bytes) -> None:
    page.get_by_label("台账", exact=True).select_option(label=ledger_label)
    page.get_by_label("Excel 工作簿（.xlsx）").set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": data}
    )
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="上传并检查").click()


def test_an_office_ledger_goes_through_the_mapping_step(
    page: Page, live_server: Any, shot: Callable[..., Path], org: Any, ledger: Any
) -> None:
    """GIVEN 甲县's liaison and the office's LibreOffice problem ledger (title rows, its own
    headers, dates in every style) WHEN uploaded THEN every column shows the field chosen for
    it, and the preview every row with every field; WHEN 备注 is mapped and checked again
    THEN the remark shows in the measures; WHEN applied THEN the items are in the ledger.
    The mapping step fits a phone's 390 px."""
    with time_machine.travel(NOW, tick=True):
        add_chain(subject="作风问题整改", unit=org.county_a, lead=org.county_a_dept,
                  campaign=org.campaign)  # fmt: skip
        problems = make_ledger(
            org.campaign, kind="problem", title="作风问题整改台账", owner=org.county_a
        )
    base = live_server.url
    log_in(page, base, "inside")
    page.goto(f"{base}/ledgers/excel/import/")
    choose_ledger_and_upload(
        page,
        "项目建设 · 作风问题整改台账（问题清单）",
        "问题整改台账.xlsx",
        OFFICE_LEDGER.read_bytes(),
    )
    mapping = page.get_by_role("region", name="核对各列对应的字段")
    expect(mapping).to_be_visible()
    expect(mapping.get_by_label("问题表现")).to_have_value("title_symptom")
    expect(mapping.get_by_label("牵头单位")).to_have_value("unit")
    expect(mapping.get_by_label("整改进度")).to_have_value("status")
    expect(mapping.get_by_label("备注")).to_have_value("")
    expect(page.get_by_text("新增 8 项")).to_be_visible()
    preview = page.get_by_role("region", name="导入后将会")
    expect(preview).to_contain_text("企业开办审批环节多、时限长")
    expect(preview).to_contain_text("长期坚持")
    expect(preview).to_contain_text("默认值")
    assert_fits(page)
    shot("ledger-import-mapping")

    mapping.get_by_label("备注").select_option(label="备注")
    with page.expect_navigation(wait_until="load"):
        mapping.get_by_role("button", name="重新检查").click()
    expect(preview).to_contain_text("备注：群众反映集中")
    shot("ledger-import-office-preview")
    page.set_viewport_size({"width": 390, "height": 844})
    assert_fits(page)
    shot("ledger-import-mapping-phone")
    page.set_viewport_size(VIEWPORT)

    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="确认导入这 8 行").click()
    expect(page.get_by_text("导入完成：新增 8 项，更新 0 项。")).to_be_visible()
    assert LedgerItem.objects.filter(ledger=problems).count() == 8
    assert LedgerItem.objects.get(ledger=problems, code="5").deadline is None


@pytest.fixture(scope="module")
def import_worker(
    django_db_setup: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Path, Process]]:
    """A real Celery worker on a queue of its own, on this run's database and media folder."""
    queue = unique("test-browser-import")
    media = tmp_path_factory.mktemp("media")
    env = child_env(
        DJANGO_SETTINGS_MODULE="config.settings.test",
        DATABASE_URL=current_database_url(),
        CELERY_TASK_DEFAULT_QUEUE=queue,
        MEDIA_ROOT=str(media),
    )
    with running({"worker": celery_worker_args(queue)}, env, tmp_path_factory.mktemp("celery")) as (
        processes
    ):
        yield queue, media, processes["worker"]


@pytest.mark.celery
def test_a_long_re_import_shows_its_progress_bar(
    page: Page,
    live_server: Any,
    shot: Callable[..., Path],
    org: Any,
    ledger: Any,
    import_worker: tuple[str, Path, Process],
    settings: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GIVEN a ledger of 10,000 items exported by 甲县's liaison WHEN the export is imported
    into a new ledger THEN the page shows the check's progress bar while the worker reads the
    rows (the count comes from the sheet: the export writes no dimension), then the preview;
    WHEN applied THEN the progress bar shows again until all 10,000 items are written."""
    queue, media, worker = import_worker
    settings.MEDIA_ROOT = media
    for task in (tasks.check_import, tasks.apply_import):
        monkeypatch.setattr(task, "delay", partial(_on_queue, task, queue))
    with time_machine.travel(NOW, tick=True):
        big = make_ledger(org.campaign, title="大台账", area="项目建设")
        make_items(big, org.county_a, 10_000, title="长台账事项")
        target = make_ledger(org.campaign, title="新台账", area="项目建设")
    base = live_server.url
    log_in(page, base, "inside")
    page.goto(f"{base}/ledgers/items/?ledger={big.pk}")
    with page.expect_download(timeout=60_000) as info:
        # The click waits for the download's response: 10,000 rows take a few seconds, more
        # on a busy machine, so it gets the same minute as the download.
        page.get_by_role("link", name="导出Excel").click(timeout=60_000)
    data = Path(info.value.path()).read_bytes()

    page.goto(f"{base}/ledgers/excel/import/")
    choose_ledger_and_upload(page, "项目建设 · 新台账（重点任务）", "大台账.xlsx", data)
    bar = page.get_by_role("progressbar", name="导入进度")
    expect(bar).to_be_visible()
    expect(page.get_by_text("正在检查各行")).to_be_visible()
    shot("ledger-import-progress")
    expect(page.get_by_text("新增 10000 项")).to_be_visible(timeout=60_000)
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="确认导入这 10000 行").click()
    expect(page.get_by_role("progressbar", name="导入进度")).to_be_visible()
    expect(page.get_by_text(re.compile("写入前再检查一遍各行|正在写入各行"))).to_be_visible()
    expect(page.get_by_text("导入完成：新增 10000 项，更新 0 项。")).to_be_visible(timeout=60_000)
    assert LedgerItem.objects.filter(ledger=target).count() == 10_000
    job = ImportJob.objects.get(ledger=target)
    assert job.status == ImportStatus.APPLIED, worker.output()[-3000:]


def _on_queue(task: Any, queue: str, *args: Any) -> Any:
    return task.apply_async(args, queue=queue)
