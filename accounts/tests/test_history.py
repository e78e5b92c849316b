"""History for people: every change kept with who, when, from where and what changed, and
shown as sentences — labels instead of column names, names instead of ids, Beijing time, the
source in words, and a bulk write as one line — in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pghistory
import pytest
from celery import shared_task
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from rest_framework.test import APIClient

from accounts.history import entries, history_for, scope_of, scope_of_records, sources
from accounts.history.query import DETAIL_LIMIT
from accounts.models import Unit
from accounts.services import api_token_create, membership_add, role_assign, unit_create
from campaign.models import ChainCooperation
from campaign.tests.builders import add_chain
from tasks_ledger.models import ImportJob, ItemStatus, LedgerItem
from tasks_ledger.tests.factories import make_item, make_items, make_ledger

pytestmark = pytest.mark.django_db

BEIJING = dt.timezone(dt.timedelta(hours=8))


@shared_task(name="tests.history.rename_unit")
def rename_unit(unit_id: int, name: str) -> None:
    """Test-only task: a write made by a background task."""
    Unit.objects.filter(pk=unit_id).update(name=name)


def html_of(response: Any) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.content.decode())


# --- values as people read them ----------------------------------------------------------


def test_bulk_update_is_recorded_with_context(org):
    """GIVEN a unit changed by a bulk UPDATE in a command WHEN history is read THEN the
    change is there with the field's label, the person and the command in words."""
    with pghistory.context(user=org.superuser.pk, command="test-bulk"):
        Unit.objects.filter(pk=org.county_b.pk).update(short_name="乙")
    latest = history_for(org.county_b)[0]
    assert latest.action == "修改"
    assert latest.changes == [("简称", "—", "乙")]
    assert latest.actor == "超级管理员"
    assert latest.source == "命令：test-bulk"
    assert latest.summary == "修改单位“乙县”"


def test_choices_dates_and_foreign_keys_read_as_words(org):
    """GIVEN an item whose status, deadline, unit and chain change WHEN its history is read
    THEN choice labels, dates as dates and names (never ids) are shown."""
    chain = add_chain(subject="县城污水管网改造", unit=org.county_a, lead=org.county_a_dept)
    item = make_item(make_ledger(org.campaign), org.county_a, title="老旧小区改造")
    LedgerItem.objects.filter(pk=item.pk).update(status=ItemStatus.IN_PROGRESS)
    with pghistory.context(user=org.inside.pk, url="/shell/", method="POST"):
        LedgerItem.objects.filter(pk=item.pk).update(
            status=ItemStatus.COMPLETED,
            deadline=dt.date(2022, 9, 30),
            unit=org.township_a,
            chain=chain,
        )
    latest = history_for(item)[0]
    assert latest.summary == f"修改台账事项“{item.code} 老旧小区改造”"
    assert set(latest.changes) == {
        ("状态", "推进中", "已完成"),
        ("完成时限", "2022年6月30日", "2022年9月30日"),
        ("责任单位", "甲县", "甲镇"),
        ("责任链条", "—", "县城污水管网改造"),
    }
    assert latest.actor == "甲县联络员" and latest.actor_unit == "甲县"


def test_people_booleans_and_times_read_as_words(org):
    """GIVEN a chain's responsible person replaced, a unit put under special assessment and an
    item signed off at 15:04 Beijing time WHEN read THEN the person's name, 是/否 and the
    time as people write it are shown."""
    chain = add_chain(subject="营商环境", unit=org.county_a, lead=org.county_a_dept)
    before = chain.responsible_person
    type(chain).objects.filter(pk=chain.pk).update(responsible_person=org.inside)
    assert ("具体责任人", before.name, "甲县联络员") in history_for(chain)[0].changes

    Unit.objects.filter(pk=org.county_b.pk).update(under_special_assessment=True)
    assert history_for(org.county_b)[0].changes == [("纳入专项考核", "否", "是")]

    item = make_item(make_ledger(org.campaign), org.county_a)
    signed = dt.datetime(2026, 12, 6, 15, 4, tzinfo=BEIJING)
    LedgerItem.objects.filter(pk=item.pk).update(
        status=ItemStatus.SIGNED_OFF, signed_off_at=signed, signed_off_by=org.above
    )
    changes = {label: new for label, _old, new in history_for(item)[0].changes}
    assert changes["销号时间"] == "2026年12月6日 15:04"
    assert changes["销号人"] == "市能力作风办"


def test_when_is_beijing_time_for_people(org, client):
    """GIVEN a change at 07:04 UTC WHEN the unit's history page is read THEN it says 15:04."""
    Unit.objects.filter(pk=org.county_a.pk).update(short_name="甲")
    # The database's clock stamps events; move this one to a known moment.
    UnitEvent = apps.get_model("accounts", "UnitEvent")
    UnitEvent.objects.filter(pgh_obj_id=org.county_a.pk).update(
        pgh_created_at=dt.datetime(2026, 12, 6, 7, 4, tzinfo=dt.UTC)
    )
    client.force_login(org.inside)
    html = html_of(client.get(reverse("unit-history", args=[org.county_a.pk])))
    assert "2026年12月6日 15:04" in html and "07:04" not in html


def test_no_person_reads_as_the_system(org):
    unit_create(
        actor=None, parent=org.county_a, code="A-X", name="甲县新局", level="county", kind="other"
    )
    created = history_for(Unit.objects.get(code="A-X"))[0]
    assert created.actor == "系统" and created.actor_unit == ""
    assert created.source == "未记录"


def test_a_deleted_record_is_named_as_deleted_not_by_id(org):
    item = make_item(make_ledger(org.campaign), org.county_a)
    chain = add_chain(subject="临时链条", unit=org.county_a, lead=org.county_a_dept)
    LedgerItem.objects.filter(pk=item.pk).update(chain=chain)
    LedgerItem.objects.filter(pk=item.pk).update(chain=None)
    type(chain).objects.filter(pk=chain.pk).delete()
    changed = [e for e in history_for(item) if e.changes]
    assert ("责任链条", "（已删除）", "—") in changed[0].changes
    assert str(chain.pk) not in str(changed[0].changes)


# --- where a change came from ------------------------------------------------------------


def test_page_write_names_the_action(org, client):
    """GIVEN a liaison's progress report through the item page THEN its source reads
    页面：更新进度 and its actor is the liaison with their unit."""
    item = make_item(make_ledger(org.campaign), org.county_a)
    client.force_login(org.inside)
    response = client.post(
        reverse("ledger:item-progress", args=[item.pk]),
        {"percent": 40, "text": "主体完工", "version": item.version},
    )
    assert response.status_code in (200, 302)
    report = next(e for e in history_for(item) if e.model == "进展报送")
    assert report.source == "页面：更新进度"
    assert (report.actor, report.actor_unit) == ("甲县联络员", "甲县")


def test_api_write_names_the_action(org):
    item = make_item(make_ledger(org.campaign), org.county_a, title="老旧小区改造")
    api = APIClient()
    _token, key = api_token_create(user=org.above)
    api.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = api.patch(
        f"/api/v1/items/{item.pk}/", {"title": "老旧小区改造提升", "version": 1}, format="json"
    )
    assert response.status_code == 200, response.content
    latest = history_for(item)[0]
    assert latest.source == "接口：修改台账事项"
    assert ("事项", "老旧小区改造", "老旧小区改造提升") in latest.changes


def test_admin_write_names_the_admin_action(org, client):
    client.force_login(org.superuser)
    url = f"/admin/accounts/unit/{org.county_b.pk}/change/"
    page = client.get(url)
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None}
    data["name"] = "乙县（新）"
    data["treebeard_ref_node"] = data["treebeard_ref_node"].pk
    data.update(
        {
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
            "memberships-MIN_NUM_FORMS": 0,
            "memberships-MAX_NUM_FORMS": 1000,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = history_for(org.county_b)[0]
    assert entry.actor == "超级管理员"
    assert entry.source == "管理后台：修改单位"
    assert ("全称", "乙县", "乙县（新）") in entry.changes


def test_a_task_writes_under_its_name(org):
    """GIVEN a write made by a Celery task (run in-process through the app's task class)
    THEN it carries the task's name, shown as words or, for a task without words, its name."""
    rename_unit.apply(args=(org.county_b.pk, "乙县（更名）"))
    assert history_for(org.county_b)[0].source == "后台任务：tests.history.rename_unit"
    with pghistory.context(task="tasks_ledger.tasks.purge_import_uploads"):
        Unit.objects.filter(pk=org.county_b.pk).update(short_name="乙")
    assert history_for(org.county_b)[0].source == "定时任务：清理过期上传文件"


def test_command_words(org):
    with pghistory.context(command="seed_demo"):
        Unit.objects.filter(pk=org.county_b.pk).update(short_name="乙")
    assert history_for(org.county_b)[0].source == "命令：初始化演示数据"


def test_import_is_named_and_linked_for_its_uploader_only(org, settings, tmp_path):
    """GIVEN items written by an import (the importer's ``import_job`` context) THEN the source
    reads 导入 第 N 号, linked to the job's page for its uploader and for nobody else."""
    settings.MEDIA_ROOT = str(tmp_path)
    ledger = make_ledger(org.campaign)
    job = ImportJob.objects.create(
        ledger=ledger, created_by=org.inside, original_name="台账.xlsx", size=1, file="x.xlsx"
    )
    with pghistory.context(user=org.inside.pk, import_job=job.pk):
        make_items(ledger, org.county_a, DETAIL_LIMIT + 7)
    scope = scope_of_records(LedgerItem.objects.filter(ledger=ledger))
    line = entries(scope, reader_id=org.inside.pk)[0]
    assert line.source == f"导入 第 {job.pk} 号"
    assert line.source_url == reverse("ledger:import-job", args=[job.pk])
    assert entries(scope, reader_id=org.above.pk)[0].source_url == ""


def test_source_words_name_real_pages_tasks_and_views():
    """Every URL name the source tables give words to exists (a renamed page is noticed)."""
    from celery import current_app

    for name in [*sources.PAGE_ACTIONS, *sources.PAGE_TITLES, *sources.API_VIEWS]:
        try:
            reverse(name)
        except NoReverseMatch:
            reverse(name, args=[1])  # raises if there is no such page
    # Every app's tasks module, as a worker imports them at start (tests import them lazily).
    current_app.loader.import_default_modules()
    for task in sources.TASKS:
        assert task in current_app.tasks, task


def test_unknown_page_falls_back_to_its_page_title():
    words = sources.request_words("/ledgers/items/5/something-new/", "POST")
    assert words == "页面：事项页面"
    assert sources.request_words("/no/such/page/", "POST") == "页面：/no/such/page/"


# --- bulk writes are one line ------------------------------------------------------------


def test_a_bulk_write_is_one_line_with_its_events_one_click_away(org, client):
    """GIVEN 1,234 items created by the system in one command WHEN the unit's items' history
    is read THEN they are one line "新建台账事项 1,234 项", whose link lists them one by one."""
    ledger = make_ledger(org.campaign)
    with pghistory.context(command="seed_demo"):
        make_items(ledger, org.county_a, 1234)
    client.force_login(org.above)
    url = f"{reverse('ledger:items-history')}?unit={org.county_a.pk}"
    html = html_of(client.get(url))
    assert "新建台账事项 1,234 项" in html and "命令：初始化演示数据" in html
    assert html.count("<tr") == 2  # the header and the one line
    line = client.get(url).context["table"].page.object_list.data[0]
    assert line.expand_url.startswith(f"{url}&batch=")
    listed = client.get(line.expand_url)
    page = html_of(listed)
    assert "新建台账事项“" in page and "任务1234" in page
    assert listed.context["table"].paginator.count == 1234


def test_a_few_events_of_one_request_are_each_shown(org):
    """GIVEN two changes to one unit in one request WHEN read THEN both lines show."""
    with pghistory.context(url="/admin/accounts/unit/1/change/", method="POST"):
        Unit.objects.filter(pk=org.county_b.pk).update(short_name="乙")
        Unit.objects.filter(pk=org.county_b.pk).update(short_name="乙县")
    changes = [e.changes for e in history_for(org.county_b)[:2]]
    assert changes == [[("简称", "乙", "乙县")], [("简称", "—", "乙")]]


def test_narrowing_to_a_bad_batch_shows_nothing(org):
    scope = scope_of(org.county_a).narrowed(batch="not-a-batch", model="x", action="insert")
    assert entries(scope) == []
    scope = scope_of(org.county_a).narrowed(
        batch=str(uuid.uuid4()), model="accounts.UnitEvent", action="insert"
    )
    assert entries(scope) == []


# Queries of one page of a history (the items of a unit, as the campaign office):
# 2 session and user + 3 jurisdiction + 2 the unit (and its posts, from the unit selector)
# + 1 count of lines + 1 one page of lines with their contexts
# + 1 the events of the short lines + 1 the people (with their units)
# + 1 the units their values name + 2 session save + 1 unread notifications (the bell).
HISTORY_PAGE_QUERIES = 15


def test_history_page_query_count_is_fixed(org, client, django_assert_num_queries):
    """GIVEN a unit's items with a few single changes WHEN a bulk write adds 3,000 more events
    THEN the history page still costs the same queries and shows the bulk write as one line."""
    ledger = make_ledger(org.campaign)
    item = make_item(ledger, org.county_a)
    with pghistory.context(user=org.inside.pk, url="/x/", method="POST"):
        LedgerItem.objects.filter(pk=item.pk).update(unit=org.township_a)
    client.force_login(org.above)
    url = f"{reverse('ledger:items-history')}?unit={org.county_a.pk}"
    client.get(url)  # warm the session
    with django_assert_num_queries(HISTORY_PAGE_QUERIES):
        client.get(url)
    with pghistory.context(command="seed_demo"):
        make_items(ledger, org.county_a, 3000)
    with django_assert_num_queries(HISTORY_PAGE_QUERIES):
        html = html_of(client.get(url))
    assert "新建台账事项 3,000 项" in html


def test_a_hundred_thousand_events_are_one_line_in_a_few_queries(org):
    """GIVEN 100,000 events of 甲县's items in one context WHEN everything pointing at 甲县 is
    read THEN one line says so, in as many queries as a bulk line of four events.

    The events are written straight into the event table as the trigger would write them:
    100,000 rows through the trigger take minutes, and the trigger is not under test here.
    """
    item = make_item(make_ledger(org.campaign), org.county_a)
    event_model = apps.get_model("tasks_ledger", "LedgerItemEvent")
    table = connection.ops.quote_name(event_model._meta.db_table)
    copied = [
        connection.ops.quote_name(f.column)
        for f in event_model._meta.concrete_fields
        if not f.column.startswith("pgh_")
    ]

    def insert_copies(count: int) -> None:
        context = uuid.uuid4()
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO pghistory_context (id, metadata, created_at, updated_at)"
                " VALUES (%s, %s, NOW(), NOW())",
                [context, '{"command": "seed_demo"}'],
            )
            listed = ", ".join(copied)
            cursor.execute(
                f"INSERT INTO {table} (pgh_created_at, pgh_label, pgh_obj_id, pgh_context_id,"  # noqa: S608
                f" {listed}) SELECT clock_timestamp(), 'insert', -n, %s, {listed}"
                f" FROM {table}, generate_series(1, %s) AS n WHERE pgh_obj_id = %s",
                [context, count, item.pk],
            )

    insert_copies(DETAIL_LIMIT + 1)
    with CaptureQueriesContext(connection) as few:
        entries(scope_of(org.county_a))
    insert_copies(100_000)
    with CaptureQueriesContext(connection) as many:
        lines = entries(scope_of(org.county_a))
    # the lines, the events of the short lines, their contexts, the people and names in them:
    # the same queries as before the 100,000 events.
    assert len(many.captured_queries) == len(few.captured_queries)
    assert lines[0].summary == "新建台账事项 100,000 项"
    assert lines[0].source == "命令：初始化演示数据"


# --- pages show their own changes --------------------------------------------------------


def test_unit_page_shows_its_own_changes_and_links_its_items(org, client):
    """GIVEN 30 items of 甲县 and a new post in it WHEN its page is read THEN its history
    names the post, not the items, and links to the items' changes."""
    make_items(make_ledger(org.campaign), org.county_a, 30, title="甲县事项")
    membership_add(actor=None, user=org.outsider, unit=org.county_a, post="staff")
    client.force_login(org.inside)
    html = html_of(client.get(reverse("unit-detail", args=[org.county_a.pk])))
    assert "新建任职“乙县联络员”" in html
    assert "甲县事项" not in html and "台账事项" in html
    assert f"{reverse('ledger:items-history')}?unit={org.county_a.pk}" in html
    assert reverse("unit-history", args=[org.county_a.pk]) in html


def test_chain_page_keeps_to_the_chain_and_links_its_items(org, client):
    chain = add_chain(
        subject="县城污水管网改造",
        unit=org.county_a,
        lead=org.county_a_dept,
        campaign=org.campaign,
        cooperating=(org.township_a,),
    )
    make_item(make_ledger(org.campaign), org.county_a, chain=chain, title="一期管网")
    client.force_login(org.inside)
    html = html_of(client.get(reverse("campaign:chain-detail", args=[chain.pk])))
    history = html[html.index('id="history-heading"') :]
    assert "加入配合部门“甲镇”" in history and "一期管网" not in history
    items_url = f"{reverse('ledger:items-history')}?chain={chain.pk}"
    assert items_url in history
    assert "新建台账事项“" in html_of(client.get(items_url))
    own = html_of(client.get(reverse("campaign:chain-history", args=[chain.pk])))
    assert "新建责任链条“县城污水管网改造”" in own and "一期管网" not in own


def test_items_history_keeps_to_the_readers_jurisdiction(org, client):
    """GIVEN items of 甲县 and 乙县 WHEN 乙县's liaison asks for 甲县's items' changes THEN 404;
    the city office sees 甲县's items only, not 乙县's."""
    ledger = make_ledger(org.campaign)
    make_item(ledger, org.county_a, title="甲县的事项")
    make_item(ledger, org.county_b, title="乙县的事项")
    url = f"{reverse('ledger:items-history')}?unit={org.county_a.pk}"
    client.force_login(org.outsider)
    assert client.get(url).status_code == 404
    assert client.get(reverse("unit-history", args=[org.county_a.pk])).status_code == 404
    assert client.get(f"{reverse('ledger:items-history')}?unit=x").status_code == 404
    assert client.get(reverse("ledger:items-history")).status_code == 404
    client.force_login(org.above)
    html = html_of(client.get(url))
    assert "甲县的事项" in html and "乙县的事项" not in html


def test_history_pages_are_chinese_in_the_site_layout(org, client):
    item = make_item(make_ledger(org.campaign), org.county_a, title="老旧小区改造")
    client.force_login(org.inside)
    html = html_of(client.get(reverse("ledger:item-history", args=[item.pk])))
    for text in ("老旧小区改造 的变更记录", "时间", "操作人", "变更内容", "来源", "新建台账事项"):
        assert text in html, text
    assert 'class="breadcrumb' in html


def test_link_history_names_the_linked_unit_in_chinese(org):
    org.group_a.assigned_units.add(org.county_b)
    entry = next(e for e in history_for(org.group_a) if e.action == "加入")
    assert entry.model == "督查组联系单位"
    assert entry.object_label == "乙县"


def test_membership_history_names_the_person(org):
    membership_add(actor=None, user=org.outsider, unit=org.county_a, post="staff")
    labels = {e.object_label for e in history_for(org.county_a) if e.model == "任职"}
    assert "乙县联络员" in labels


def test_a_child_unit_added_is_not_the_parents_news(org):
    """Treebeard bumps the parent's child counter; that update is left out of its history."""
    unit_create(
        actor=None, parent=org.county_b, code="B-1", name="乙镇", level="township", kind="township"
    )
    assert [e for e in history_for(org.county_b) if e.action == "修改"] == []


def test_chain_history_with_only_keeps_the_named_records(org):
    chain = add_chain(
        subject="链条", unit=org.county_a, lead=org.county_a_dept, cooperating=(org.township_a,)
    )
    make_item(make_ledger(org.campaign), org.county_a, chain=chain)
    models = {e.model for e in history_for(chain, only=(ChainCooperation,))}
    assert models == {"责任链条", "配合部门"}


# --- the rest of the account services' history ---------------------------------------------


def test_role_grant_needs_an_administrator(org):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        role_assign(actor=org.above, user=org.inside, role="official", scope=org.county_a)
    grant = role_assign(actor=org.admin, user=org.inside, role="official", scope=org.county_a)
    assert grant.scope == org.county_a


def test_unit_create_places_child_under_parent_and_checks_rights(org):
    from django.core.exceptions import PermissionDenied

    unit = unit_create(
        actor=org.inside,
        parent=org.county_a,
        code="A-NEW",
        name="甲县新局",
        level="county",
        kind="department",
    )
    assert unit.path.startswith(org.county_a.path)
    with pytest.raises(PermissionDenied):
        unit_create(
            actor=org.outsider,
            parent=org.county_a,
            code="A-NEW2",
            name="越权",
            level="county",
            kind="department",
        )


def test_superuser_leading_a_group_has_it_as_supervised(org):
    from accounts.jurisdiction import jurisdiction_for

    assert jurisdiction_for(org.superuser).supervised_roots == (org.county_a.path,)


# --- the admin -----------------------------------------------------------------------------


def test_admin_index_names_every_app_and_model_in_chinese(org, client):
    """The third-party apps (axes, pghistory) are headed and listed in Chinese."""
    client.force_login(org.superuser)
    html = html_of(client.get("/admin/"))
    for english in ("Axes", "AXES", "Pghistory", "PGHISTORY", "Access attempts", "Events"):
        assert f">{english}<" not in html, english
    for chinese in ("登录安全", "登录失败记录", "登录日志", "变更历史", "变更事件"):
        assert chinese in html, chinese


def test_admin_event_list_reads_as_the_pages_do(org, client):
    """GIVEN a unit renamed by a person in a command WHEN the admin's event list (and the one a
    unit's "Events" button opens) is read THEN it shows the time in Beijing time, the person,
    the change in labels and the source in words, and no raw column or UTC stamp."""
    with pghistory.context(user=org.above.pk, command="seed_demo"):
        Unit.objects.filter(pk=org.county_b.pk).update(under_special_assessment=True)
    client.force_login(org.superuser)
    for url in (
        "/admin/pghistory/events/",
        f"/admin/pghistory/events/?obj=accounts.Unit:{org.county_b.pk}&method=tracks",
    ):
        html = html_of(client.get(url))
        for text in ("市能力作风办", "修改单位“乙县”", "纳入专项考核", "命令：初始化演示数据"):
            assert text in html, (url, text)
        assert "pgh_diff" not in html.lower().replace("-", "_") and "+00:00" not in html


def test_a_long_report_is_named_by_its_start(org):
    from tasks_ledger.models import ProgressReport

    item = make_item(make_ledger(org.campaign), org.county_a)
    ProgressReport.objects.create(item=item, reporter=org.inside, percent=10, text="进展" * 500)
    report = next(e for e in history_for(item) if e.model == "进展报送")
    assert len(report.object_label) == 60 and report.object_label.startswith("进展进展")


def test_structured_values_read_as_words_not_json():
    """A kept mapping reads as header：field pairs; deeper data only by its size."""
    from accounts.history.render import Names, display_value
    from tasks_ledger.models import ImportMapping

    field = ImportMapping._meta.get_field("columns")
    names = Names()
    assert display_value(field, {"备注": "remarks", "配合单位": None}, names) == (
        "备注：remarks；配合单位：—"
    )
    assert display_value(field, ["甲县", "乙县"], names) == "甲县、乙县"
    assert display_value(field, [{"row": 4, "column": "事项"}] * 3, names) == "3 项"
    assert display_value(field, {}, names) == "—"


def test_assessment_and_supervision_pages_have_words():
    """Writes through the assessment and supervision pages say what they were, in words; a
    round's moves fall back to the round's page."""
    assert sources.request_words("/assessments/deductions/5/appeal/", "POST") == "页面：提出申诉"
    assert sources.request_words("/assessments/rounds/5/daily/", "POST") == (
        "页面：按台账计算日常考核得分"
    )
    assert sources.request_words("/assessments/rounds/5/move/publish/", "POST") == (
        "页面：考核轮次页面"
    )
    assert sources.request_words("/supervision/notices/5/sign-for/", "POST") == (
        "页面：签收督办单据"
    )
