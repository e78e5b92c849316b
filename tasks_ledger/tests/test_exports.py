"""Excel out: the export of a filtered list and the import templates, read back and checked.

Every workbook is opened again with openpyxl and checked as an office would: the title row
merged, the header frozen and repeated on printed pages, dates that are dates, no formula
anywhere, the status drop-down, the coloured light, the rows of the filtered list and
nothing outside the caller's jurisdiction.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import tracemalloc
from decimal import Decimal
from urllib.parse import unquote

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from campaign.tests.builders import add_chain
from tasks_ledger import exports, selectors
from tasks_ledger.filtersets import LedgerItemFilterSet
from tasks_ledger.models import ItemStatus, LedgerItem, LedgerKind
from tasks_ledger.services import ledger_item_create
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db

TODAY = dt.date(2022, 6, 1)
NASTY = {
    "title": '=HYPERLINK("http://evil.example","点我")',
    "latest_report": "+1+cmd|' /C calc'!A0",
    "measures": "-2+3",
}
EXPORT = reverse("ledger:export")


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2022, 6, 1, 10, 0, tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def ledger(org):
    return make_ledger(org.campaign, title="项目建设重点任务台账")


@pytest.fixture
def chain(org):
    return add_chain(
        subject="老旧小区改造", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
    )


@pytest.fixture
def items(org, ledger, chain):
    """Three items of 甲县 (one red, one with formula-like text) and one of 乙县."""
    return [
        make_item(ledger, org.county_a, code="1", chain=chain, deadline=dt.date(2022, 5, 31)),
        make_item(
            ledger, org.county_a, code="2", progress=40, status=ItemStatus.IN_PROGRESS, **NASTY
        ),
        make_item(ledger, org.township_a, code="3", status=ItemStatus.COMPLETED, progress=100),
        make_item(ledger, org.county_b, code="4", title="乙县的事项"),
    ]


def download(client, user, query: str = ""):
    client.force_login(user)
    response = client.get(f"{EXPORT}?{query}")
    assert response.status_code == 200, response.content[:500]
    body = b"".join(response.streaming_content)
    return response, openpyxl.load_workbook(io.BytesIO(body))


def data_rows(ws, header_row: int = exports.HEADER_ROW):
    return [
        row
        for row in ws.iter_rows(min_row=header_row + 1)
        if any(cell.value not in (None, "") for cell in row)
    ]


def header(ws) -> list[str]:
    return [cell.value for cell in ws[exports.HEADER_ROW]]


def test_export_layout_is_what_offices_use(client, org, ledger, items):
    """GIVEN a ledger with four items WHEN the campaign office exports it THEN the workbook
    has the merged title, frozen and repeated header, real dates, status drop-down,
    coloured lights and landscape one-page-wide printing."""
    response, wb = download(client, org.above, f"ledger={ledger.pk}")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''" in disposition
    assert unquote(disposition.split("''", 1)[1]) == "台账_2022-06-01.xlsx"

    ws = wb.worksheets[0]
    width = len(header(ws))
    last = openpyxl.utils.get_column_letter(width)
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert f"A1:{last}1" in merged and f"A2:{last}2" in merged
    assert ws["A1"].value == "项目建设重点任务台账"
    assert "2022-06-01" in ws["A2"].value
    assert header(ws) == [
        "序号", "事项", "工作措施", "责任单位", "牵头部门", "责任人",
        "开始时间", "完成时限", "状态", "进度", "红黄绿灯", "最新进展",
    ]  # fmt: skip
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape"
    # fitToWidth is left out when it is 1, the default of the file format (ECMA-376 18.3.1.63).
    assert ws.page_setup.fitToWidth in (None, 1) and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # Stored as Excel does: the characters shown plus the cell padding (32 -> 32.71).
    assert exports.TITLE.width < ws.column_dimensions["B"].width < exports.TITLE.width + 1

    rows = data_rows(ws)
    assert [r[0].value for r in rows] == ["1", "2", "3", "4"]
    first = rows[0]
    by_name = dict(zip(header(ws), first, strict=True))
    assert by_name["开始时间"].is_date and by_name["开始时间"].value.date() == dt.date(2022, 3, 1)
    assert by_name["完成时限"].number_format == exports.DATE_FORMAT
    assert by_name["牵头部门"].value == "甲县住房和城乡建设局"
    assert by_name["责任人"].value == "甲县住建局科长"
    assert by_name["状态"].value == "未启动"
    assert by_name["红黄绿灯"].value == "红灯"
    assert by_name["红黄绿灯"].fill.fgColor.rgb == "FFFF0000"
    second = dict(zip(header(ws), rows[1], strict=True))
    assert second["进度"].value == 40 and "%" in second["进度"].number_format
    assert dict(zip(header(ws), rows[2], strict=True))["红黄绿灯"].fill.fgColor.rgb == "FF00B050"

    (validation,) = ws.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"未启动,推进中,已完成,已销号,暂缓,已取消"'
    assert str(validation.sqref) == "I4:I7"


def test_user_text_is_text_never_a_formula(client, org, ledger, items):
    """GIVEN item text starting with = + - WHEN exported THEN no cell is a formula and the
    text is intact (with Excel's quote prefix, so editing the cell keeps it text)."""
    _response, wb = download(client, org.above, f"ledger={ledger.pk}")
    ws = wb.worksheets[0]
    cells = [cell for row in ws.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    row = dict(zip(header(ws), data_rows(ws)[1], strict=True))
    assert row["事项"].value == NASTY["title"] and row["事项"].data_type == "s"
    assert row["事项"].quotePrefix
    assert row["最新进展"].value == NASTY["latest_report"]
    assert row["工作措施"].value == NASTY["measures"]


@pytest.mark.parametrize("text", ["@SUM(1+1)*cmd", "\t=1+1", "\r\n=1", "=1+1", "+86 123"])
def test_formula_triggers_are_written_as_text(org, ledger, text):
    make_item(ledger, org.county_a, title=text)
    stream = io.BytesIO()
    exports.write_items_workbook(
        selectors.ledger_items(user=org.superuser), stream, title="t", kind=ledger.kind
    )
    ws = openpyxl.load_workbook(io.BytesIO(stream.getvalue())).worksheets[0]
    cell = data_rows(ws)[0][1]
    assert cell.data_type == "s"
    assert cell.value == text.replace("\r\n", "\n")  # XML reads line ends as LF


def test_text_that_looks_like_cell_xml_is_written_as_text(org, ledger):
    """GIVEN an item whose text is XML of a rich string with a formula after it WHEN
    exported THEN the cell holds the text as typed and the sheet no formula (XlsxWriter's
    constant-memory mode would write such a string into the sheet's XML unescaped)."""
    text = '<r><t>x</t></r></is></c><c r="Z1"><f>HYPERLINK("http://evil.example")</f></c><r>'
    make_item(ledger, org.county_a, title=text + "</r>")
    stream = io.BytesIO()
    exports.write_items_workbook(
        selectors.ledger_items(user=org.superuser), stream, title=text, kind=ledger.kind
    )
    ws = openpyxl.load_workbook(io.BytesIO(stream.getvalue())).worksheets[0]
    assert data_rows(ws)[0][1].value == text + "</r>"
    assert ws["A1"].value == text
    assert not [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]


def test_control_characters_excel_cannot_hold_are_dropped(org, ledger):
    make_item(ledger, org.county_a, title="事项\x0b名称\x1f")
    stream = io.BytesIO()
    exports.write_items_workbook(
        selectors.ledger_items(user=org.superuser), stream, title="t", kind=ledger.kind
    )
    ws = openpyxl.load_workbook(io.BytesIO(stream.getvalue())).worksheets[0]
    assert data_rows(ws)[0][1].value == "事项名称"


def test_rows_are_the_filtered_list(client, org, ledger, items):
    """GIVEN filters on the list page WHEN exported with the same query string THEN the
    rows are exactly the items the list shows, in its order."""
    query = "status=not_started&status=completed&ordering=-code"
    _response, wb = download(client, org.above, query)
    ws = wb.worksheets[0]
    assert "台账" in header(ws)  # items of any ledger: the ledger is a column
    codes = [r[0].value for r in data_rows(ws)]

    from django.http import QueryDict

    expected = LedgerItemFilterSet(
        QueryDict(query),
        queryset=selectors.ledger_items(user=org.above),
        request=type("R", (), {"user": org.above})(),
    ).qs
    assert codes == [item.code for item in expected] == ["4", "3", "1"]
    assert ws["A1"].value == "工作台账"
    assert "状态：未启动、已完成" in ws["A2"].value


def test_outsider_exports_only_their_own_rows(client, org, ledger, items):
    """GIVEN items of 甲县 and one of 乙县 WHEN 乙县's liaison exports the ledger THEN only
    乙县's row is in the file; 甲县's liaison gets 甲县's (and its township's) rows."""
    _response, wb = download(client, org.outsider, f"ledger={ledger.pk}")
    rows = data_rows(wb.worksheets[0])
    assert [(r[0].value, r[3].value) for r in rows] == [("4", "乙县")]
    _response, wb = download(client, org.inside, f"ledger={ledger.pk}")
    units = {r[3].value for r in data_rows(wb.worksheets[0])}
    assert units == {"甲县", "甲镇"}


def test_invalid_filter_is_refused_not_ignored(client, org):
    client.force_login(org.inside)
    response = client.get(f"{EXPORT}?status=nonsense")
    assert response.status_code == 400


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(EXPORT)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_export_runs_a_fixed_number_of_queries(client, org, ledger, chain):
    """GIVEN 3 items, then 40 WHEN exported THEN the same queries run: session, user,
    the jurisdiction (3), the ledger filter's choice, and the rows (one server-side cursor)."""

    def count() -> int:
        client.force_login(org.above)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{EXPORT}?ledger={ledger.pk}")
            b"".join(response.streaming_content)
        return len(queries)

    for n in range(3):
        make_item(ledger, org.county_a, chain=chain, code=f"a{n}")
    few = count()
    for n in range(37):
        make_item(ledger, org.township_a, chain=chain, code=f"b{n}")
    assert count() == few


def test_write_items_workbook_streams_with_one_query(org, ledger, chain, django_assert_num_queries):
    for _ in range(5):
        make_item(ledger, org.county_a, chain=chain)
    items = selectors.ledger_items(user=org.superuser)
    stream = io.BytesIO()
    with django_assert_num_queries(1):  # the rows, joined to ledger, unit and chain people
        written = exports.write_items_workbook(items, stream, title="t", kind=None)
    assert written == 5


def _bulk_items(ledger, unit, n: int) -> None:
    LedgerItem.objects.bulk_create(
        LedgerItem(
            ledger=ledger,
            kind=ledger.kind,
            unit=unit,
            code=str(i),
            title=f"事项{i}" * 5,
            latest_report="进展" * 40,
            start_date=dt.date(2022, 1, 1),
            deadline=dt.date(2022, 12, 31),
        )
        for i in range(n)
    )


def test_memory_stays_flat_whatever_the_rows(org, ledger, tmp_path, monkeypatch):
    """GIVEN ten chunks of items, then forty WHEN exported THEN peak Python memory stays the
    same: rows stream from a server-side cursor (a chunk at a time, and the next one while
    it is fetched) to XlsxWriter's constant-memory temporary file. Small chunks keep it
    quick; below some hundred rows the zip container's buffers are not yet full, so the
    smaller export starts at ten chunks."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 100)

    def peak() -> int:
        items = selectors.ledger_items(user=org.superuser)
        with open(tmp_path / "out.xlsx", "wb") as stream:
            gc.collect()
            tracemalloc.start()
            exports.write_items_workbook(items, stream, title="t", kind=ledger.kind)
            _current, top = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return top

    _bulk_items(ledger, org.county_a, 1000)
    ten_chunks = peak()
    LedgerItem.objects.all().delete()
    _bulk_items(ledger, org.county_a, 4000)
    forty_chunks = peak()
    assert forty_chunks < ten_chunks * 1.2, (ten_chunks, forty_chunks)


def test_hard_problem_measures_are_joined(org):
    ledger = make_ledger(org.campaign, kind=LedgerKind.HARD_PROBLEM, title="攻坚难题台账")
    ledger_item_create(
        actor=None,
        ledger=ledger,
        unit=org.county_a,
        title="破解停车难",
        start_date=dt.date(2022, 1, 1),
        deadline=dt.date(2022, 12, 31),
        measure_texts=["新建停车场", "错时共享车位", "智慧停车平台"],
    )
    stream = io.BytesIO()
    exports.write_items_workbook(
        selectors.ledger_items(user=org.superuser), stream, title="t", kind=ledger.kind
    )
    ws = openpyxl.load_workbook(io.BytesIO(stream.getvalue())).worksheets[0]
    row = dict(zip(header(ws), data_rows(ws)[0], strict=True))
    assert row["攻坚措施"].value == "1. 新建停车场\n2. 错时共享车位\n3. 智慧停车平台"


@pytest.mark.parametrize(
    ("kind", "columns"),
    [
        (LedgerKind.PROBLEM, ["问题表现", "整改措施"]),
        (LedgerKind.PETITION, ["来源", "诉求", "办理结果"]),
        (LedgerKind.COMMITMENT, ["工作措施"]),
    ],
)
def test_kind_columns(org, kind, columns):
    ledger = make_ledger(org.campaign, kind=kind, title=f"{kind}台账")
    make_item(ledger, org.county_a)
    stream = io.BytesIO()
    exports.write_items_workbook(
        selectors.ledger_items(user=org.superuser), stream, title="t", kind=kind
    )
    names = header(openpyxl.load_workbook(io.BytesIO(stream.getvalue())).worksheets[0])
    assert names[:2] == ["序号", "事项"]
    assert set(columns) <= set(names)


def test_key_projects_carry_investment_figures_and_the_four_rates(org):
    """GIVEN two key projects WHEN exported THEN each row has its figures and two rates,
    and a 合计 row with the sums is followed by the four rates (as ``project_rates``)."""
    ledger = make_ledger(org.campaign, kind=LedgerKind.KEY_PROJECT, title="重点项目台账")
    common = {"planned_start": dt.date(2022, 3, 1), "planned_completion": dt.date(2022, 5, 1)}
    make_item(
        ledger, org.county_a, title="园区道路", planned_investment=Decimal(1000),
        funds_in_place=Decimal(800), investment_completed=Decimal(500),
        actual_start=dt.date(2022, 3, 5), actual_completion=dt.date(2022, 4, 30), **common,
    )  # fmt: skip
    make_item(
        ledger, org.county_a, title="污水厂", planned_investment=Decimal(3000),
        funds_in_place=Decimal(1200), investment_completed=Decimal(900), **common,
    )  # fmt: skip
    stream = io.BytesIO()
    items = selectors.ledger_items(user=org.superuser, today=TODAY)
    exports.write_items_workbook(items, stream, title="t", kind=ledger.kind, today=TODAY)
    ws = openpyxl.load_workbook(io.BytesIO(stream.getvalue())).worksheets[0]
    names = header(ws)
    figures = [
        "计划总投资（万元）",
        "资金到位（万元）",
        "完成投资（万元）",
        "资金到位率",
        "投资完成率",
    ]
    dates = ["计划开工时间", "实际开工时间", "计划竣工时间", "实际竣工时间"]
    assert set(figures + dates) <= set(names)
    rows = data_rows(ws)
    first = dict(zip(names, rows[0], strict=True))
    assert first["资金到位率"].value == pytest.approx(0.8)
    assert first["资金到位率"].number_format == "0.0%"
    total = dict(zip(names, rows[2], strict=True))
    assert total["序号"].value == "合计"
    assert total["计划总投资（万元）"].value == 4000
    assert total["投资完成率"].value == pytest.approx(1400 / 4000)
    rates = selectors.project_rates(items, today=TODAY)
    line = rows[3][0].value
    assert f"开工率 {rates['start_rate']:.1f}%" in line
    assert f"按期竣工率 {rates['on_time_rate']:.1f}%" in line
    assert f"资金到位率 {rates['funds_rate']:.1f}%" in line


@pytest.mark.parametrize("kind", LedgerKind.values)
def test_template_per_kind(client, org, kind):
    """GIVEN a kind WHEN its template is downloaded THEN it holds the importer's columns
    (the export's less the computed ones), an example row and the drop-downs."""
    client.force_login(org.inside)
    response = client.get(reverse("ledger:import-template"), {"kind": kind})
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    ws = wb.worksheets[0]
    expected = [str(c.label) for c in exports.import_columns(kind)]
    assert header(ws) == expected
    assert "红黄绿灯" not in expected and "资金到位率" not in expected
    example = data_rows(ws)
    assert len(example) == 1 and example[0][0].value == "示例"
    lists = {dv.type: dv for dv in ws.data_validations.dataValidation}
    kinds = [dv.formula1 for dv in ws.data_validations.dataValidation]
    assert '"未启动,推进中,已完成,已销号,暂缓,已取消"' in kinds
    assert any(f.startswith("lists!") for f in kinds) and lists
    units = [row[0].value for row in wb["lists"].iter_rows()]
    assert set(units) == {"甲县", "甲县住房和城乡建设局", "甲镇"}  # the units 甲县 manages
    assert wb["lists"].sheet_state == "hidden"


def test_template_of_unknown_kind_is_404(client, org):
    client.force_login(org.inside)
    assert client.get(reverse("ledger:import-template"), {"kind": "nope"}).status_code == 404
