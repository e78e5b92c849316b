"""Ledger pages for every persona: my items with filters and the in-row update (and its
conflict), the item page and its workflows, the battle map, the queues, the ledger list and
review meetings. Outsiders get 404; read-only users get 403 on writes.

The clock reads 1 June 2022, 09:00 Beijing time.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tasks_ledger import keyset, lights, services
from tasks_ledger.models import (
    Evidence,
    ExtensionRequest,
    ExtensionStatus,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerKind,
    ProgressReport,
    ReviewMeeting,
    ReviewStatus,
    SignOffRequest,
)
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db

BEIJING = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2022, 6, 1, 9, 0, tzinfo=BEIJING)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LIST = "/ledgers/items/"
ITEMS_TABLE = '"tasks_ledger_ledgeritem"'  # quoted: not the counts' table


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Evidence files go to a temporary folder."""
    settings.MEDIA_ROOT = str(tmp_path)


@dataclass
class World:
    """Two ledgers with items of 甲县, its department and 乙县."""

    org: object
    ledger: Ledger
    problems: Ledger
    red_a: LedgerItem  # 甲县, overdue
    green_a: LedgerItem  # 甲县, on track
    dept_a: LedgerItem  # 甲县住建局, near its deadline
    item_b: LedgerItem  # 乙县, behind schedule


@pytest.fixture
def world(org) -> World:
    ledger = make_ledger(org.campaign)
    problems = make_ledger(
        org.campaign, kind=LedgerKind.PROBLEM, title="作风问题清单", area="作风建设"
    )
    return World(
        org=org,
        ledger=ledger,
        problems=problems,
        red_a=make_item(
            ledger,
            org.county_a,
            title="甲县污水管网改造",
            deadline=dt.date(2022, 5, 20),
            measures="分段施工",
        ),
        green_a=make_item(
            ledger,
            org.county_a,
            title="甲县老旧小区改造",
            start=dt.date(2022, 5, 1),
            deadline=dt.date(2022, 9, 30),
            progress=30,
            status=ItemStatus.IN_PROGRESS,
        ),
        dept_a=make_item(
            problems,
            org.county_a_dept,
            title="审批窗口推诿扯皮整改",
            deadline=dt.date(2022, 6, 3),
            symptom="群众办事多头跑",
            rectification="推行一窗受理",
        ),
        item_b=make_item(ledger, org.county_b, title="乙县道路养护"),
    )


def get(client: Client, url: str, status: int = 200, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def row_post(client: Client, item: LedgerItem, **data):
    """Post the in-row progress form as htmx does."""
    return client.post(
        f"/ledgers/items/{item.pk}/progress/",
        data,
        headers={"HX-Request": "true", "HX-Target": f"item-{item.pk}"},
    )


def pdf(name: str = "验收报告.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def fresh(item: LedgerItem) -> LedgerItem:
    return LedgerItem.objects.get(pk=item.pk)


# --- my ledgers: the list --------------------------------------------------------------------

SEES = {
    # persona: (sees 甲县's items, sees 乙县's, may update in the row)
    "inside": (True, False, True),
    "above": (True, True, True),
    "supervisor": (True, False, False),
    "outsider": (False, True, True),
    "official": (True, True, False),
    "assessor": (True, True, False),
}


@pytest.mark.parametrize("persona", sorted(SEES))
def test_list_shows_the_jurisdiction_and_update_forms_by_right(world, client, persona):
    sees_a, sees_b, may_update = SEES[persona]
    client.force_login(getattr(world.org, persona))
    html = get(client, LIST)
    assert ("甲县污水管网改造" in html) is sees_a
    assert ("审批窗口推诿扯皮整改" in html) is sees_a
    assert ("乙县道路养护" in html) is sees_b
    assert ("data-row-toggle" in html) is may_update
    assert ('name="percent"' in html) is may_update


def test_list_rows_carry_light_days_left_status_progress_and_chain(world, client):
    client.force_login(world.org.inside)
    html = get(client, LIST)
    assert "红灯" in html and "黄灯" in html and "绿灯" in html  # words, not colour alone
    assert "超期 12 天" in html  # red_a: 20 May
    assert "剩 2 天" in html  # dept_a: 3 June
    assert "未启动" in html and "推进中" in html
    assert 'aria-valuenow="30"' in html
    assert "导出Excel" in html and "/ledgers/excel/export/?" in html
    assert "新增" in html and "推进中" in html and "已销号" in html


def test_list_filters_by_light_unit_area_kind_keyword_and_list(world, client):
    client.force_login(world.org.above)
    html = get(client, f"{LIST}?light=red")
    assert "甲县污水管网改造" in html and "甲县老旧小区改造" not in html
    html = get(client, f"{LIST}?unit={world.org.county_a.pk}")  # and the units under it
    assert "审批窗口推诿扯皮整改" in html and "乙县道路养护" not in html
    html = get(client, f"{LIST}?unit_only={world.org.county_a.pk}")  # the battle map's link
    assert "仅甲县本级，不含下级单位" in html  # said, and kept when other filters change
    assert f'name="unit_only" value="{world.org.county_a.pk}"' in html
    assert "甲县污水管网改造" in html and "审批窗口推诿扯皮整改" not in html
    html = get(client, f"{LIST}?area={world.problems.area_id}")
    assert "审批窗口推诿扯皮整改" in html and "甲县污水管网改造" not in html
    html = get(client, f"{LIST}?kind=problem")
    assert "审批窗口推诿扯皮整改" in html and "乙县道路养护" not in html
    html = get(client, f"{LIST}?q=管网")
    assert "甲县污水管网改造" in html and "乙县道路养护" not in html
    html = get(client, f"{LIST}?deadline_before=2022-06-05")
    assert "审批窗口推诿扯皮整改" in html and "甲县老旧小区改造" not in html
    html = get(client, f"{LIST}?three=signed_off")
    assert "没有符合筛选条件的事项" in html
    # The export button carries the filters.
    html = get(client, f"{LIST}?light=red&q=%E7%AE%A1")
    assert "/ledgers/excel/export/?light=red&amp;q=%E7%AE%A1" in html


def test_list_filter_answers_htmx_with_the_results_only(world, client):
    client.force_login(world.org.above)
    html = get(client, f"{LIST}?light=red", **{"HX-Request": "true", "HX-Target": "item-results"})
    assert html.lstrip().startswith('<section id="item-results"')
    assert "甲县污水管网改造" in html and "<html" not in html


def test_list_sorts_through_the_filterset_ordering(world, client):
    client.force_login(world.org.above)
    html = get(client, f"{LIST}?ordering=-light")
    assert html.index("甲县污水管网改造") < html.index("甲县老旧小区改造")  # red before green
    html = get(client, f"{LIST}?ordering=deadline")
    assert html.index("甲县污水管网改造") < html.index("审批窗口推诿扯皮整改")


def test_list_numbers_sort_naturally(org, client):
    ledger = make_ledger(org.campaign)
    for number in (1, 2, 10):
        make_item(ledger, org.county_a, code=str(number), title=f"第{number}项任务")
    client.force_login(org.inside)
    html = get(client, LIST)
    assert html.index("第2项任务") < html.index("第10项任务")


def test_list_query_count_is_fixed(world, client, django_assert_num_queries):
    # 1 session user + 3 jurisdiction (posts, roles, supervised units) + 1 the ids of the
    # units in scope + 1 the filter selects' options (areas, ledgers and units in one
    # statement) + 1 tab badges (the kept roll-up) + 1 keys of the page (from an index,
    # after the cursor) + 1 the page's rows (ledger, area, unit and chain people joined)
    # + 3 session save + 1 unread notifications (the navbar's bell).
    client.force_login(world.org.above)
    url = f"{LIST}?light=red&light=yellow&ordering=deadline"
    with django_assert_num_queries(13):
        get(client, url)
    for number in range(60):
        make_item(world.ledger, world.org.township_a, title=f"甲镇任务{number}")
    with django_assert_num_queries(13):
        html = get(client, url)
    assert "甲镇任务59" in html or "甲镇任务0" in html
    # A page further on (its cursor from the "next" link) costs the same.
    after = re.search(r'rel="next" href="\?([^"]+)"', html)
    assert after is not None
    with django_assert_num_queries(13):
        get(client, f"{LIST}?{after.group(1).replace('&amp;', '&')}")


def test_list_query_count_with_a_keyword_is_fixed(
    world, client, django_assert_num_queries, monkeypatch
):
    # As above, plus 1 for the units whose names match the keyword. The city's six units are
    # few (keyset.FEW_UNITS): the tab badges come with the page's keys, counted over every
    # match in the same read. Wider, they are capped counts (one query for the four tabs).
    client.force_login(world.org.above)
    url = f"{LIST}?q=甲&status=not_started&status=in_progress"
    with django_assert_num_queries(13):
        before = get(client, url)
    assert '<tbody id="item-' in before
    for number in range(60):
        make_item(world.ledger, world.org.township_a, title=f"甲镇任务{number}")
    with django_assert_num_queries(13):
        html = get(client, url)
    assert "甲镇任务" in html
    monkeypatch.setattr(keyset, "FEW_UNITS", 5)
    with django_assert_num_queries(14):
        wider = get(client, url)
    assert wider.count('<tbody id="item-') == html.count('<tbody id="item-')
    # A tab holding no match brings no counts with its (empty) page: they are counted apart,
    # and no rows are read.
    monkeypatch.undo()
    with django_assert_num_queries(13):
        empty = get(client, f"{url}&three=signed_off")
    assert '<tbody id="item-' not in empty


def test_list_pages_by_cursor_without_page_numbers(world, client):
    """GIVEN 120 more items WHEN the office follows "next" to the end and "previous" back
    THEN every item is shown once, in the list's order, and no page number appears."""
    for number in range(120):
        make_item(world.ledger, world.org.township_a, title=f"甲镇任务{number}")
    client.force_login(world.org.above)
    seen: list[str] = []
    html = get(client, LIST)
    pages = 1
    while True:
        seen += re.findall(r'<tbody id="item-(\d+)"', html)
        found = re.search(r'rel="next" href="\?([^"]+)"', html)
        if found is None:
            break
        html = get(client, f"{LIST}?{found.group(1).replace('&amp;', '&')}")
        pages += 1
    total = LedgerItem.objects.filter(unit__path__startswith=world.org.city.path).count()
    assert len(seen) == len(set(seen)) == total and pages == -(-total // 50)
    assert "page=" not in html
    back = re.search(r'rel="prev" href="\?([^"]+)"', html)
    assert back is not None
    previous = get(client, f"{LIST}?{back.group(1).replace('&amp;', '&')}")
    last = len(seen) % 50 or 50  # rows on the last page
    assert re.findall(r'<tbody id="item-(\d+)"', previous) == seen[-last - 50 : -last]


# --- the in-row update -----------------------------------------------------------------------


def test_row_update_saves_and_answers_with_the_row(world, client):
    client.force_login(world.org.inside)
    item = world.red_a
    response = row_post(client, item, percent=60, text="主管网完成铺设", version=item.version)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tbody id="item-{item.pk}"')
    # Sent for review: the row shows the figure as reported, the bar and light stay.
    assert "已报 60%，待审核" in html and "已提交审核" in html
    assert 'aria-valuenow="0"' in html and "app-item-red" in html
    item = fresh(item)
    assert (item.progress, item.pending_progress, item.status, item.latest_report) == (
        0,
        60,
        ItemStatus.NOT_STARTED,
        "",
    )
    report = ProgressReport.objects.get(item=item)
    assert report.reporter == world.org.inside and report.review_status == ReviewStatus.PENDING


def test_row_update_on_a_stale_row_overwrites_nothing_and_says_what_changed(world, client):
    """GIVEN the liaison opened the list at version 1 WHEN the office reports 80% first and
    the liaison then sends 50% from the old row THEN nothing of the liaison's is written, the
    row shows the 80% waiting, names who changed what, and keeps the liaison's input."""
    item = world.green_a
    seen = item.version
    services.ledger_item_report_progress(
        item=fresh(item),
        reporter=world.org.above,
        percent=80,
        text="市里督办后加快推进",
        expected_version=seen,
    )
    client.force_login(world.org.inside)
    response = row_post(client, item, percent=50, text="完成一半楼栋", version=seen)
    assert response.status_code == 409
    html = response.content.decode()
    assert "您打开页面后" in html and "您的内容未保存" in html
    assert re.search(r"待审核的报送进度（%）：\s*<del>—</del> → <ins>80%</ins>", html)
    assert "已报 80%，待审核" in html
    assert 'aria-valuenow="30"' in html  # the accepted figure
    assert 'value="50"' in html and 'value="完成一半楼栋"' in html  # the user's input, kept
    assert f'name="version" value="{fresh(item).version}"' in html  # aimed at the current one
    assert "重新提交" in html
    item = fresh(item)
    assert (item.progress, item.pending_progress) == (30, 80)
    assert ProgressReport.objects.filter(item=item).count() == 1
    # Sending it again (now against the current version) goes through, for review too.
    response = row_post(client, item, percent=85, text="完成一半楼栋", version=item.version)
    assert response.status_code == 200 and fresh(item).pending_progress == 85


def test_row_update_names_the_person_who_changed_it(world, client):
    client.force_login(world.org.above)
    assert row_post(client, world.red_a, percent=20, text="开工", version=1).status_code == 200
    client.force_login(world.org.inside)
    html = row_post(client, world.red_a, percent=10, text="准备", version=1).content.decode()
    assert "市能力作风办" in html  # the office's real name, from the history


def test_row_update_invalid_input_keeps_the_input_with_a_chinese_message(world, client):
    client.force_login(world.org.inside)
    response = row_post(client, world.red_a, percent=150, text="", version=1)
    assert response.status_code == 422
    html = response.content.decode()
    assert "100" in html and "请填写进展情况" in html
    assert 'value="150"' in html
    assert fresh(world.red_a).progress == 0


def test_row_update_asks_why_progress_goes_down(world, client):
    item = world.green_a  # accepted 30%
    client.force_login(world.org.inside)
    response = row_post(client, item, percent=10, text="返工", version=item.version)
    assert response.status_code == 422
    html = response.content.decode()
    assert "下调到 10% 请说明原因" in html and 'name="lower_reason"' in html
    assert 'value="10"' in html and 'value="返工"' in html
    response = row_post(
        client, item, percent=10, text="返工", lower_reason="屋面返工", version=item.version
    )
    assert response.status_code == 200
    assert ProgressReport.objects.get(item=item, percent=10).lower_reason == "屋面返工"


def test_row_update_on_a_closed_item_says_why(world, client):
    asked = services.status_change_request_create(
        item=world.red_a, requester=world.org.inside, change="suspend", reason="暂缓"
    )
    services.status_change_approve(request=asked, approver=world.org.above)
    client.force_login(world.org.inside)
    response = row_post(client, world.red_a, percent=10, text="恢复", version=2)
    assert response.status_code == 422
    assert "只能对未办结的事项报送进展" in response.content.decode()


@pytest.mark.parametrize("persona", ["official", "supervisor", "assessor"])
def test_read_only_users_get_403_on_the_row_update(world, client, persona):
    client.force_login(getattr(world.org, persona))
    response = row_post(client, world.red_a, percent=10, text="越权", version=1)
    assert response.status_code == 403
    assert "您无权报送该事项进展" in response.content.decode()  # said in the row
    response = client.post(
        f"/ledgers/items/{world.red_a.pk}/progress/", {"percent": 10, "text": "越权", "version": 1}
    )
    assert response.status_code == 403
    assert fresh(world.red_a).progress == 0


def test_outsider_gets_404_on_another_units_item(world, client):
    client.force_login(world.org.outsider)
    get(client, f"/ledgers/items/{world.red_a.pk}/", status=404)
    assert row_post(client, world.red_a, percent=10, text="x", version=1).status_code == 404
    assert fresh(world.red_a).progress == 0


# --- the item page ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status", "may_act"),
    [
        ("inside", 200, True),
        ("above", 200, True),
        ("supervisor", 200, False),
        ("official", 200, False),
        ("assessor", 200, False),
        ("outsider", 404, False),
    ],
)
def test_item_page_by_persona(world, client, persona, status, may_act):
    client.force_login(getattr(world.org, persona))
    html = get(client, f"/ledgers/items/{world.dept_a.pk}/", status=status)
    if status == 404:
        return
    assert "审批窗口推诿扯皮整改" in html
    assert "群众办事多头跑" in html and "推行一窗受理" in html  # the problem's own fields
    assert "剩 2 天" in html and "黄灯" in html
    assert ("报送进展" in html) is may_act
    assert ("申请销号" in html) is may_act
    assert ("申请延期" in html) is may_act
    assert ("您可以查看该事项，但不能修改" in html) is not may_act


def test_item_page_shows_chain_milestones_measures_and_history(org, client):
    from campaign.tests.builders import add_chain

    chain = add_chain(
        subject="污水管网", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
    )
    ledger = make_ledger(org.campaign, kind=LedgerKind.HARD_PROBLEM, title="攻坚难题台账")
    item = services.ledger_item_create(
        actor=None,
        ledger=ledger,
        unit=org.county_a,
        title="城区内涝治理",
        start_date=dt.date(2022, 3, 1),
        deadline=dt.date(2022, 8, 31),
        chain=chain,
        milestones=[
            services.MilestoneSpec("完成设计", dt.date(2022, 4, 30)),
            services.MilestoneSpec("完成施工", dt.date(2022, 8, 1)),
        ],
        measure_texts=["清淤疏浚", "新建泵站", "雨污分流"],
    )
    client.force_login(org.inside)
    html = get(client, f"/ledgers/items/{item.pk}/")
    assert chain.as_line() in html
    assert "主要领导" in html and "甲县住建局" in html
    assert "完成设计" in html and "已超期" in html  # 30 April passed, not done
    assert "完成施工" in html
    assert "清淤疏浚" in html and "新建泵站" in html and "雨污分流" in html
    assert "变更记录" in html


def test_key_project_page_shows_its_four_rates(org, client):
    ledger = make_ledger(org.campaign, kind=LedgerKind.KEY_PROJECT, title="重点项目台账")
    item = make_item(
        ledger,
        org.county_a,
        title="产业园标准厂房",
        planned_investment=1000,
        funds_in_place=800,
        investment_completed=250,
        planned_start=dt.date(2022, 3, 1),
        actual_start=dt.date(2022, 3, 10),
    )
    client.force_login(org.inside)
    html = get(client, f"/ledgers/items/{item.pk}/")
    assert "开工率" in html and "100.0%" in html
    assert "资金到位率" in html and "80.0%" in html
    assert "投资完成率" in html and "25.0%" in html
    assert "按期竣工率" in html


def test_progress_with_evidence_from_the_item_page_and_guarded_download(world, client):
    client.force_login(world.org.inside)
    response = client.post(
        f"/ledgers/items/{world.green_a.pk}/progress/",
        {
            "percent": 45,
            "text": "完成3栋改造",
            "version": 1,
            "evidence": [pdf(), pdf("现场照片.pdf")],
        },
    )
    assert response.status_code == 302
    assert response.url == f"/ledgers/items/{world.green_a.pk}/"
    files = list(Evidence.objects.filter(item=world.green_a).order_by("pk"))
    assert [f.original_name for f in files] == ["验收报告.pdf", "现场照片.pdf"]
    html = get(client, f"/ledgers/items/{world.green_a.pk}/")
    assert "完成3栋改造" in html and f"/ledgers/evidence/{files[0].pk}/" in html
    # The file comes through the view that checks the jurisdiction, as an attachment.
    response = client.get(f"/ledgers/evidence/{files[0].pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    client.force_login(world.org.official)
    assert client.get(f"/ledgers/evidence/{files[0].pk}/").status_code == 200
    client.force_login(world.org.outsider)
    assert client.get(f"/ledgers/evidence/{files[0].pk}/").status_code == 404


def test_progress_with_a_disguised_file_is_refused_and_nothing_saved(world, client):
    client.force_login(world.org.inside)
    fake = SimpleUploadedFile("报告.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        f"/ledgers/items/{world.green_a.pk}/progress/",
        {"percent": 45, "text": "完成3栋改造", "version": 1, "evidence": [fake]},
    )
    assert response.status_code == 422
    assert "报告.pdf" in response.content.decode()
    assert not Evidence.objects.exists() and fresh(world.green_a).progress == 30


def test_item_page_progress_conflict_keeps_the_text(world, client):
    seen = fresh(world.green_a).version
    client.force_login(world.org.above)
    row_post(client, world.green_a, percent=70, text="办里更新", version=seen)
    client.force_login(world.org.inside)
    response = client.post(
        f"/ledgers/items/{world.green_a.pk}/progress/",
        {"percent": 40, "text": "我的旧进展", "version": seen},
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "您的内容未保存" in html and "我的旧进展" in html
    assert fresh(world.green_a).pending_progress == 70


# --- sign-off and extension through the pages ------------------------------------------------


def test_signoff_requested_verified_by_the_office_from_the_queue(world, client):
    item = world.green_a
    client.force_login(world.org.inside)
    response = client.post(
        f"/ledgers/items/{item.pk}/signoff/",
        {"note": "全部楼栋改造完成并验收", "version": item.version, "evidence": [pdf()]},
    )
    assert response.status_code == 302
    request = SignOffRequest.objects.get(item=item)
    before = (item.status, item.progress)
    assert request.status == ReviewStatus.PENDING
    assert (fresh(item).status, fresh(item).progress, fresh(item).signoff_pending) == (
        *before,
        True,
    )
    assert "销号待核验" in get(client, f"/ledgers/items/{item.pk}/")
    # The requester sees it waiting, without buttons to decide it.
    html = get(client, "/ledgers/queues/")
    assert "全部楼栋改造完成并验收" in html
    assert f"/ledgers/signoffs/{request.pk}/approve/" not in html
    assert client.post(f"/ledgers/signoffs/{request.pk}/approve/").status_code == 403
    # Read-only users cannot decide it either.
    client.force_login(world.org.official)
    assert client.post(f"/ledgers/signoffs/{request.pk}/approve/").status_code == 403
    client.force_login(world.org.outsider)
    assert client.post(f"/ledgers/signoffs/{request.pk}/approve/").status_code == 404
    # The office verifies it from its queue.
    client.force_login(world.org.above)
    html = get(client, "/ledgers/queues/")
    assert f"/ledgers/signoffs/{request.pk}/approve/" in html
    response = client.post(f"/ledgers/signoffs/{request.pk}/approve/", {"next": "/ledgers/queues/"})
    assert response.status_code == 302 and response.url == "/ledgers/queues/"
    item = fresh(item)
    assert item.status == ItemStatus.SIGNED_OFF and item.signed_off_by == world.org.above
    html = get(client, "/ledgers/queues/")
    assert "已核验，事项已销号" in html  # the message
    html = get(client, f"/ledgers/items/{item.pk}/")
    assert "已由 市能力作风办" in html


def test_signoff_returned_needs_a_reason_and_leaves_the_item(world, client):
    item = world.green_a
    request = services.signoff_request_create(
        item=fresh(item),
        requester=world.org.inside,
        note="完成",
        files=[pdf()],
        expected_version=item.version,
    )
    client.force_login(world.org.above)
    response = client.post(f"/ledgers/signoffs/{request.pk}/return/", {"reason": ""}, follow=True)
    assert "请填写退回理由" in response.content.decode()
    assert SignOffRequest.objects.get(pk=request.pk).status == ReviewStatus.PENDING
    response = client.post(
        f"/ledgers/signoffs/{request.pk}/return/", {"reason": "缺少验收报告"}, follow=True
    )
    assert "销号申请已退回" in response.content.decode()
    assert (fresh(item).status, fresh(item).signoff_pending) == (item.status, False)
    client.force_login(world.org.inside)
    html = get(client, f"/ledgers/items/{item.pk}/")
    assert "缺少验收报告" in html and "申请销号" in html  # may ask again


def test_signoff_without_evidence_is_refused_in_chinese(world, client):
    client.force_login(world.org.inside)
    response = client.post(
        f"/ledgers/items/{world.green_a.pk}/signoff/", {"note": "完成", "version": 1}
    )
    assert response.status_code == 422
    assert "该字段是必填项" in response.content.decode()
    assert not SignOffRequest.objects.exists()


def test_extension_requested_then_refused_and_approved(world, client):
    item = world.green_a
    client.force_login(world.org.inside)
    response = client.post(
        f"/ledgers/items/{item.pk}/extension/",
        {"new_deadline": "2022-10-31", "reason": "汛期停工两周"},
    )
    assert response.status_code == 302
    extension = ExtensionRequest.objects.get(item=item)
    assert fresh(item).deadline == dt.date(2022, 9, 30)  # never silently
    for persona, status in (("official", 403), ("supervisor", 403), ("outsider", 404)):
        client.force_login(getattr(world.org, persona))
        response = client.post(f"/ledgers/extensions/{extension.pk}/approve/")
        assert response.status_code == status, persona
    client.force_login(world.org.above)
    html = get(client, "/ledgers/queues/")
    assert "汛期停工两周" in html and f"/ledgers/extensions/{extension.pk}/approve/" in html
    response = client.post(f"/ledgers/extensions/{extension.pk}/refuse/", {}, follow=True)
    assert "请填写不予批准的理由" in response.content.decode()
    assert ExtensionRequest.objects.get(pk=extension.pk).status == ExtensionStatus.PENDING
    client.post(f"/ledgers/extensions/{extension.pk}/approve/", {"next": "/ledgers/queues/"})
    assert fresh(item).deadline == dt.date(2022, 10, 31)
    assert ExtensionRequest.objects.get(pk=extension.pk).status == ExtensionStatus.APPROVED


def test_extension_after_the_deadline_is_refused(world, client):
    client.force_login(world.org.inside)
    response = client.post(
        f"/ledgers/items/{world.red_a.pk}/extension/",
        {"new_deadline": "2022-07-31", "reason": "来不及"},
    )
    assert response.status_code == 422
    assert "延期须在完成时限届满前申请" in response.content.decode()
    assert not ExtensionRequest.objects.exists()
    html = get(client, f"/ledgers/items/{world.red_a.pk}/")
    assert "延期须在时限届满前申请" in html


def test_progress_reports_accepted_and_returned_by_the_office(world, client):
    item = world.green_a
    client.force_login(world.org.inside)
    row_post(client, item, percent=50, text="第一次", version=1)
    row_post(client, item, percent=90, text="第二次", version=2)
    first, second = ProgressReport.objects.filter(item=item).order_by("pk")
    client.force_login(world.org.official)
    assert client.post(f"/ledgers/reports/{first.pk}/accept/").status_code == 403
    client.force_login(world.org.above)
    html = get(client, "/ledgers/queues/")
    assert f"/ledgers/reports/{first.pk}/accept/" in html
    client.post(f"/ledgers/reports/{first.pk}/accept/")
    client.post(f"/ledgers/reports/{second.pk}/return/", {"reason": "照片与描述不符"})
    assert ProgressReport.objects.get(pk=first.pk).review_status == ReviewStatus.ACCEPTED
    assert ProgressReport.objects.get(pk=second.pk).review_status == ReviewStatus.RETURNED
    assert (fresh(item).progress, fresh(item).pending_progress) == (50, None)  # as accepted
    html = get(client, f"/ledgers/items/{item.pk}/")
    assert "照片与描述不符" in html and "已退回" in html and "已通过" in html


# --- battle map, queues, ledger list ---------------------------------------------------------


def test_battle_map_cells_and_totals(world, client):
    """GIVEN items of 甲县, its department and 乙县 WHEN the city office opens the map THEN a
    row per county sums its whole subtree (甲县住建局's item in 甲县's row) and each cell
    opens that county and below in the item list."""
    client.force_login(world.org.above)
    html = get(client, "/ledgers/map/")
    assert "挂图作战" in html
    assert "项目建设" in html and "作风建设" in html
    assert "甲县" in html and "乙县" in html and "甲县住建局" not in html
    county_a = world.org.county_a.pk
    assert f"?unit={county_a}&amp;area={world.ledger.area_id}" in html
    assert f"?unit={county_a}&amp;area={world.problems.area_id}" in html  # the department's
    assert "app-map-red" in html and "app-map-yellow" in html
    assert "红1" in html  # 甲县 in 项目建设: one red …
    assert "绿1" in html  # … and one green
    assert "共 4 项" in html  # the grand total
    client.force_login(world.org.outsider)
    html = get(client, "/ledgers/map/")
    assert "乙县" in html and "甲县" not in html


def test_battle_map_opens_a_unit_and_leads_back_up(world, client):
    """GIVEN the city office's map WHEN it opens 甲县 THEN 甲县's own items are one row
    (filtered by that unit only) and its department another, with crumbs back to the city's
    map; a unit outside the jurisdiction shows the caller's own map instead."""
    org = world.org
    client.force_login(org.above)
    html = get(client, "/ledgers/map/")
    drill = f"/ledgers/map/?campaign={org.campaign.pk}&amp;unit={org.county_a.pk}"
    assert drill in html
    html = get(client, f"/ledgers/map/?campaign={org.campaign.pk}&unit={org.county_a.pk}")
    assert "甲县（本级）" in html and "甲县住建局" in html and "乙县" not in html
    assert f"?unit_only={org.county_a.pk}&amp;area={world.ledger.area_id}" in html
    assert f"?unit={org.county_a_dept.pk}&amp;area={world.problems.area_id}" in html
    assert f'<a href="/ledgers/map/?campaign={org.campaign.pk}">挂图作战</a>' in html
    assert "共 3 项" in html  # 甲县's two and its department's one
    client.force_login(org.outsider)
    html = get(client, f"/ledgers/map/?unit={org.county_a.pk}")
    assert "乙县" in html and "甲县" not in html
    for junk in ("x", "-1", "9" * 30):
        assert "乙县" in get(client, f"/ledgers/map/?unit={junk}")


def test_battle_map_of_several_roots_has_a_row_per_root(world, client):
    """GIVEN a supervisor assigned 甲县 only, and a superuser WHEN each opens the map THEN the
    supervisor has 甲县's subtree and the superuser a row for the province, all four items."""
    client.force_login(world.org.supervisor)
    html = get(client, "/ledgers/map/")
    assert "甲县" in html and "乙县" not in html and "共 3 项" in html
    client.force_login(world.org.superuser)
    html = get(client, "/ledgers/map/")
    assert "测试省" in html and "共 4 项" in html


def test_battle_map_counts_what_the_list_shows(world, client):
    """GIVEN the stored lights WHEN an item turns red overnight (the morning refresh) THEN
    the map's red count follows, and equals the item list's red count for the same unit."""
    org = world.org
    client.force_login(org.above)
    url = f"/ledgers/map/?unit={org.county_a.pk}"
    assert "红1" in get(client, url)
    with time_machine.travel(dt.datetime(2022, 10, 8, 9, 0, tzinfo=BEIJING), tick=False):
        lights.lights_refresh_daily()
        html = get(client, url)
        listed = get(client, f"{LIST}?unit_only={org.county_a.pk}&light=red")
    assert "红2" in html  # green_a is past its deadline now
    assert listed.count("甲县污水管网改造") and listed.count("甲县老旧小区改造")


def test_home_tiles_add_up_the_jurisdiction_and_agree_with_the_map(world, client):
    """GIVEN four items WHEN the city office, a supervisor of 甲县 and a superuser ask for
    the tiles THEN each sums its own roots' roll-up: the lights add up to the total, which
    is the map's grand total."""
    from tasks_ledger import selectors

    expected = {
        "above": {"red": 1, "yellow": 2, "green": 1, "none": 0, "total": 4},
        "supervisor": {"red": 1, "yellow": 1, "green": 1, "none": 0, "total": 3},
        "superuser": {"red": 1, "yellow": 2, "green": 1, "none": 0, "total": 4},
    }
    for persona, counts in expected.items():
        user = getattr(world.org, persona)
        assert selectors.ledger_light_counts(user=user) == counts, persona
        client.force_login(user)
        assert f"共 {counts['total']} 项" in get(client, "/ledgers/map/"), persona


def test_battle_map_query_count_is_fixed(world, client, django_assert_num_queries):
    # 1 session user + 3 jurisdiction + 1 campaigns + 1 areas + 1 the map (one grouped query
    # over the kept counts) + 1 units of the rows and crumbs + 3 session save + 1 unread
    # notifications (the navbar's bell). Opening a unit (?unit=) adds 1: that unit.
    client.force_login(world.org.above)
    with django_assert_num_queries(12):
        get(client, "/ledgers/map/")
    with django_assert_num_queries(13):
        get(client, f"/ledgers/map/?unit={world.org.county_a.pk}")
    other = make_ledger(world.org.campaign, title="民生实事台账", area="民生保障")
    for number in range(12):
        make_item(other, world.org.township_a, title=f"甲镇实事{number}")
    with django_assert_num_queries(12):
        html = get(client, "/ledgers/map/")
    assert "民生保障" in html and "共 16 项" in html
    with django_assert_num_queries(13):
        html = get(client, f"/ledgers/map/?unit={world.org.county_a.pk}")
    assert "甲镇" in html


def test_battle_map_and_tiles_never_read_the_items(world, client):
    """The map sums the kept counts: no query touches the item table, so it costs no more at
    a million items than at four. The home page's light tiles sum the kept roll-up of the
    jurisdiction's root (no count of items; the campaigns' chain count still asks which
    chains have items of the unit)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(world.org.above)
    for url in ("/ledgers/map/", f"/ledgers/map/?unit={world.org.county_a.pk}"):
        with CaptureQueriesContext(connection) as captured:
            get(client, url)
        assert not [q for q in captured.captured_queries if ITEMS_TABLE in q["sql"]], url
    with CaptureQueriesContext(connection) as captured:
        html = get(client, "/")
    sql = [q["sql"] for q in captured.captured_queries]
    assert [q for q in sql if 'SUM("tasks_ledger_subtree_counts"."items")' in q]
    assert not [q for q in sql if 'COUNT("tasks_ledger_ledgeritem"."id")' in q]
    assert "?light=red" in html


def test_queues_only_offer_actions_on_rows_the_user_may_decide(world, client):
    extension = services.extension_request_create(
        item=fresh(world.green_a),
        requester=world.org.inside,
        reason="天气",
        new_deadline=dt.date(2022, 10, 15),
    )
    client.force_login(world.org.inside)
    html = get(client, "/ledgers/queues/")
    assert "天气" in html and f"/ledgers/extensions/{extension.pk}/approve/" not in html
    assert "等待能力作风办审核" in html
    client.force_login(world.org.outsider)
    assert "天气" not in get(client, "/ledgers/queues/")
    client.force_login(world.org.above)
    assert f"/ledgers/extensions/{extension.pk}/approve/" in get(client, "/ledgers/queues/")


def test_ledger_list_counts_visible_items(world, client):
    client.force_login(world.org.inside)
    html = get(client, "/ledgers/")
    assert "重点任务台账" in html and "作风问题清单" in html
    assert f"?ledger={world.ledger.pk}" in html
    client.force_login(world.org.outsider)
    html = get(client, "/ledgers/")
    assert "重点任务台账" in html and "作风问题清单" not in html


# --- review meetings -------------------------------------------------------------------------


def meeting_post(world, **overrides) -> dict[str, object]:
    data: dict[str, object] = {
        "campaign": world.org.campaign.pk,
        "date": "2022-06-01",
        "kind": "dispatch",
        "title": "第12次重点工作调度会",
        "host_unit": world.org.city.pk,
        "chair": world.org.above.pk,
        "attending_units": [world.org.county_a.pk, world.org.county_b.pk],
        "minutes": "听取各县进展汇报",
        "decisions-TOTAL_FORMS": "2",
        "decisions-INITIAL_FORMS": "0",
        "decisions-MIN_NUM_FORMS": "0",
        "decisions-MAX_NUM_FORMS": "50",
        "decisions-0-ledger": world.ledger.pk,
        "decisions-0-unit": world.org.county_a.pk,
        "decisions-0-title": "甲县月底前完成管网验收",
        "decisions-0-deadline": "2022-06-30",
        "decisions-1-ledger": world.ledger.pk,
        "decisions-1-unit": world.org.county_b.pk,
        "decisions-1-title": "乙县补齐养护台账",
        "decisions-1-deadline": "2022-06-20",
    }
    data.update(overrides)
    return data


def test_office_records_a_meeting_whose_decisions_become_items(world, client):
    client.force_login(world.org.above)
    assert "议定事项" in get(client, "/ledgers/meetings/new/")
    response = client.post("/ledgers/meetings/new/", meeting_post(world))
    assert response.status_code == 302
    meeting = ReviewMeeting.objects.get()
    items = LedgerItem.objects.filter(source_meeting=meeting).order_by("title")
    assert [i.title for i in items] == ["乙县补齐养护台账", "甲县月底前完成管网验收"]
    assert all(i.start_date == dt.date(2022, 6, 1) for i in items)
    html = get(client, response.url)
    assert "第12次重点工作调度会" in html and "甲县月底前完成管网验收" in html
    # Each county sees the meeting and only its own decision.
    client.force_login(world.org.inside)
    html = get(client, response.url)
    assert "甲县月底前完成管网验收" in html and "乙县补齐养护台账" not in html
    assert "另有 1 项议定事项不在您的辖区内" in html
    assert "第12次重点工作调度会" in get(client, "/ledgers/meetings/")


def test_meeting_with_a_bad_decision_saves_nothing(world, client):
    client.force_login(world.org.above)
    response = client.post(
        "/ledgers/meetings/new/", meeting_post(world, **{"decisions-1-deadline": "2022-05-01"})
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "完成时限早于会议日期" in html and "未保存任何内容" in html
    assert 'value="甲县月底前完成管网验收"' in html  # the user's rows come back
    assert not ReviewMeeting.objects.exists()
    assert not LedgerItem.objects.filter(title="甲县月底前完成管网验收").exists()


def test_meeting_needs_a_decision(world, client):
    client.force_login(world.org.above)
    data = meeting_post(world, **{"decisions-TOTAL_FORMS": "1"})
    for key in ("ledger", "unit", "title", "deadline"):
        data.pop(f"decisions-0-{key}")
    response = client.post("/ledgers/meetings/new/", data)
    assert response.status_code == 422
    assert "请至少添加一项议定事项" in response.content.decode()
    assert not ReviewMeeting.objects.exists()


@pytest.mark.parametrize("persona", ["inside", "official", "supervisor", "outsider"])
def test_only_the_office_records_meetings(world, client, persona):
    client.force_login(getattr(world.org, persona))
    assert client.get("/ledgers/meetings/new/").status_code == 403
    assert client.post("/ledgers/meetings/new/", meeting_post(world)).status_code == 403
    assert "录入会议" not in get(client, "/ledgers/meetings/")


def test_meeting_of_another_county_is_404(world, client):
    meeting = services.meeting_create(
        actor=None,
        campaign=world.org.campaign,
        kind="promotion",
        title="乙县推进会",
        date=dt.date(2022, 5, 30),
        host_unit=world.org.county_b,
        chair=world.org.outsider,
    )
    client.force_login(world.org.outsider)
    assert "乙县推进会" in get(client, f"/ledgers/meetings/{meeting.pk}/")
    client.force_login(world.org.inside)
    get(client, f"/ledgers/meetings/{meeting.pk}/", status=404)
    assert "乙县推进会" not in get(client, "/ledgers/meetings/")


# --- navigation and home ---------------------------------------------------------------------


def test_navbar_and_home_lead_to_the_ledgers(world, client):
    client.force_login(world.org.inside)
    html = get(client, "/")
    assert 'href="/ledgers/items/"' in html
    assert "台账事项红黄绿灯" in html and "/ledgers/items/?light=red" in html


def test_pages_need_login(client):
    for url in (LIST, "/ledgers/", "/ledgers/map/", "/ledgers/queues/", "/ledgers/meetings/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_item_list_links_to_import_for_editors_only(client, org):
    from django.urls import reverse

    client.force_login(org.inside)
    assert reverse("ledger:import") in client.get(reverse("ledger:item-list")).content.decode()
    client.force_login(org.official)
    assert reverse("ledger:import") not in client.get(reverse("ledger:item-list")).content.decode()


def test_the_list_tells_readers_and_keepers_what_they_can_do(world, client):
    """A read-only official is not told to update progress in the row; a liaison is."""
    client.force_login(world.org.official)
    html = get(client, "/ledgers/items/")
    assert "供查阅" in html and "可在行内" not in html
    client.force_login(world.org.inside)
    assert "供查阅" not in get(client, "/ledgers/items/")
