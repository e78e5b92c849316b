"""The office's queues (/ledgers/queues/): four tabs with true counts, paged tables newest
first, filters, buttons only where the rules allow them, single and bulk approval with a
confirmation step, and a fixed number of queries whatever a queue holds.

The clock reads 1 June 2022, 09:00 Beijing time. Rows are written in bulk by the factories;
the decisions go through the pages and the services.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from campaign.tests.builders import add_chain
from tasks_ledger import keyset, rules, selectors, services
from tasks_ledger.models import (
    ExtensionRequest,
    ItemStatus,
    Ledger,
    LedgerItem,
    LedgerKind,
    ProgressReport,
    ReviewStatus,
    SignOffRequest,
    StatusChangeRequest,
)
from tasks_ledger.tests.factories import (
    make_item,
    make_items,
    make_ledger,
    pending_extensions,
    pending_reports,
    pending_signoffs,
    pending_status_changes,
    waited,
)

pytestmark = pytest.mark.django_db

BEIJING = dt.timezone(dt.timedelta(hours=8))
NOW = dt.datetime(2022, 6, 1, 9, 0, tzinfo=BEIJING)
URL = "/ledgers/queues/"
BULK = "/ledgers/queues/approve/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


@dataclass
class Queues:
    """More than a page of every queue the office sees most of."""

    org: Any
    tasks: Ledger
    problems: Ledger
    signoffs: list[SignOffRequest]  # 60 on 甲县's key tasks, newest first
    reports: list[ProgressReport]  # 126 on 甲镇's problems, newest first
    extensions: list[ExtensionRequest]  # 3 on 甲县住建局's key tasks
    changes: list[StatusChangeRequest]  # 2 on 甲县's key tasks
    b_signoff: SignOffRequest  # 乙县's, out of 甲县's sight


def spread(rows: list[Any]) -> list[Any]:
    """Stamp rows an hour apart, the first the newest (an hour ago), and return them."""
    for hours, row in enumerate(rows, start=1):
        type(row).objects.filter(pk=row.pk).update(
            **{
                ("created_at" if isinstance(row, ProgressReport) else "requested_at"): NOW
                - dt.timedelta(hours=hours)
            }
        )
    return rows


@pytest.fixture
def queues(org) -> Queues:
    tasks = make_ledger(org.campaign)
    problems = make_ledger(
        org.campaign, kind=LedgerKind.PROBLEM, title="作风问题清单", area="作风建设"
    )
    signoffs = spread(
        pending_signoffs(make_items(tasks, org.county_a, 60, title="甲县任务"), org.inside)
    )
    reports = spread(
        pending_reports(make_items(problems, org.township_a, 126, title="甲镇问题"), org.inside)
    )
    extensions = pending_extensions(
        make_items(tasks, org.county_a_dept, 3, title="住建任务"), org.inside
    )
    changes = pending_status_changes(
        make_items(tasks, org.county_a, 2, title="甲县调整"), org.inside
    )
    (b_signoff,) = pending_signoffs(
        [make_item(tasks, org.county_b, title="乙县道路")], org.outsider
    )
    return Queues(org, tasks, problems, signoffs, reports, extensions, changes, b_signoff)


def get(client: Client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def badge(html: str, queue: str) -> int:
    """The count on a queue's tab."""
    found = re.search(rf'data-queue-count="{queue}">(\d+)<', html)
    assert found, queue
    return int(found.group(1))


def row_ids(html: str) -> list[int]:
    """The rows of the table shown, in order."""
    return [int(pk) for pk in re.findall(r'<tr id="row-(\d+)"', html)]


def notes(client: Client, response: Any) -> list[str]:
    """The messages a response set, taken out of the client's cookie so the next page of
    another persona does not show them again."""
    found = [str(message) for message in get_messages(response.wsgi_request)]
    client.cookies.pop("messages", None)
    return found


def pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("验收.pdf", PDF, content_type="application/pdf")


# --- counts, order and pages ---------------------------------------------------------------------


def test_badges_are_true_counts_beyond_the_first_page(queues, client):
    """GIVEN 60 sign-offs and 126 reports waiting WHEN the office opens the queues THEN the
    tabs say 60, 3, 2 and 126 (乙县's sign-off too: 61), while a page shows 25 rows."""
    client.force_login(queues.org.above)
    html = get(client, URL)
    assert badge(html, "signoff") == 61
    assert badge(html, "extension") == 3
    assert badge(html, "status") == 2
    assert badge(html, "progress") == 126
    assert len(row_ids(html)) == 25
    assert "61 项待办" in html
    # The liaison of 甲县 counts its own too, not 乙县's.
    client.force_login(queues.org.inside)
    html = get(client, URL)
    assert (badge(html, "signoff"), badge(html, "progress")) == (60, 126)


def test_a_long_queue_counts_up_to_the_cap_and_says_so(queues, client, monkeypatch):
    """GIVEN 126 reports waiting and a cap of 50 (a province's is 1000) WHEN the office opens
    the queue THEN its badge says 50+, the bar says more than 50 wait and to filter, its
    pages end at the cap, and a queue under the cap still shows its true count."""
    from tasks_ledger import views

    monkeypatch.setattr(views, "QUEUE_COUNT_CAP", 50)
    client.force_login(queues.org.above)
    html = get(client, f"{URL}?queue=progress")
    assert 'data-queue-count="progress">50+<' in html  # 126
    assert 'data-queue-count="signoff">50+<' in html  # 61
    assert "待办超过 50 条" in html
    assert "?queue=progress&amp;page=2" in html and "page=3" not in html
    assert len(row_ids(get(client, f"{URL}?queue=progress&page=2"))) == 25
    assert badge(get(client, f"{URL}?queue=extension"), "extension") == 3


def test_newest_first_then_sortable_by_age_and_paged(queues, client):
    client.force_login(queues.org.above)
    reports = [r.pk for r in queues.reports]  # newest first
    html = get(client, f"{URL}?queue=progress")
    assert row_ids(html) == reports[:25]
    assert row_ids(get(client, f"{URL}?queue=progress&page=2")) == reports[25:50]
    assert row_ids(get(client, f"{URL}?queue=progress&page=6")) == reports[125:]
    # Oldest first: who has waited longest.
    html = get(client, f"{URL}?queue=progress&ordering=requested")
    assert row_ids(html) == reports[::-1][:25]
    # A page past the end shows the last one rather than an error.
    assert row_ids(get(client, f"{URL}?queue=progress&page=99")) == reports[125:]


def test_a_request_just_made_is_on_the_first_page(queues, client):
    """GIVEN 60 sign-offs waiting WHEN 甲县 asks for one more on the item page THEN it heads the
    office's queue and the count says 62."""
    item = make_item(queues.tasks, queues.org.county_a, title="刚刚完成的任务")
    client.force_login(queues.org.inside)
    response = client.post(
        f"/ledgers/items/{item.pk}/signoff/",
        {"note": "全部完成", "version": item.version, "evidence": [pdf()]},
    )
    assert response.status_code == 302
    fresh = SignOffRequest.objects.get(item=item)
    client.force_login(queues.org.above)
    html = get(client, f"{URL}?queue=signoff")
    assert row_ids(html)[0] == fresh.pk and badge(html, "signoff") == 62
    assert "刚刚完成的任务" in html and "验收.pdf" in html


def test_code_and_title_apart_dates_with_the_year_and_links(queues, client):
    client.force_login(queues.org.above)
    first = queues.signoffs[0]
    html = get(client, f"{URL}?queue=signoff")
    # The number in its own cell, the title in the next one's link.
    assert re.search(rf'<td class="app-col-code text-nowrap"\s*>{first.item.code}</td>', html)
    assert f'href="/ledgers/items/{first.item_id}/#signoff"' in html
    assert "2022-06-01 08:00" in html  # an hour ago, with the year
    html = get(client, f"{URL}?queue=extension")
    assert "2022-09-30 → <strong>2022-11-30</strong>" in html


# --- filters ----------------------------------------------------------------------------------


def test_filters_narrow_rows_and_counts(queues, client):
    org = queues.org
    client.force_login(org.above)
    # Unit and below: 甲县 covers 甲镇 and 甲县住建局; 甲镇 only its own.
    html = get(client, f"{URL}?unit={org.county_a.pk}")
    assert (badge(html, "signoff"), badge(html, "extension"), badge(html, "progress")) == (
        60,
        3,
        126,
    )
    html = get(client, f"{URL}?unit={org.township_a.pk}")
    assert (badge(html, "signoff"), badge(html, "extension"), badge(html, "progress")) == (
        0,
        0,
        126,
    )
    html = get(client, f"{URL}?unit={org.county_b.pk}&queue=signoff")
    assert badge(html, "signoff") == 1 and row_ids(html) == [queues.b_signoff.pk]
    # Ledger and kind.
    html = get(client, f"{URL}?ledger={queues.problems.pk}")
    assert (badge(html, "signoff"), badge(html, "progress")) == (0, 126)
    html = get(client, f"{URL}?kind={LedgerKind.KEY_TASK}")
    assert (badge(html, "signoff"), badge(html, "status"), badge(html, "progress")) == (61, 2, 0)
    # Waiting more than 1 day: the 60 sign-offs are an hour to 60 hours old.
    html = get(client, f"{URL}?waiting=1&queue=signoff")
    older = [s.pk for s in queues.signoffs[24:]]  # 25 hours and more
    assert badge(html, "signoff") == len(older) and row_ids(html) == older[:25]
    waited(queues.extensions[:1], days=8)
    html = get(client, f"{URL}?waiting=7")
    assert badge(html, "extension") == 1 and badge(html, "status") == 0


def test_the_filter_form_asks_htmx_for_the_results_only(queues, client):
    client.force_login(queues.org.above)
    response = client.get(
        f"{URL}?unit={queues.org.township_a.pk}&queue=progress",
        headers={"HX-Request": "true", "HX-Target": "queue-results"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="queue-results"')
    assert badge(html, "progress") == 126 and badge(html, "signoff") == 0
    assert 'name="queue" value="progress" form="queue-filters"' in html


def test_unit_choice_is_limited_to_the_jurisdiction(queues, client):
    client.force_login(queues.org.inside)
    html = get(client, URL)
    assert "甲镇" in html and ">乙县<" not in html
    html = get(client, f"{URL}?unit={queues.org.county_b.pk}")
    assert "部分筛选条件无法识别" in html
    assert badge(html, "signoff") == 60  # the filter is ignored, the scope is not


def test_unit_choice_offers_three_levels_and_each_takes_the_units_under_it(queues, client):
    """GIVEN a village under 甲镇 (four levels below the city) WHEN the city office opens the
    queues THEN the unit filter offers the city, its counties and their townships, not the
    village (a province has thousands of units); choosing 甲县 still takes 甲镇's rows."""
    from accounts.tests.factories import UnitFactory

    org = queues.org
    UnitFactory.create(parent=org.township_a, name="甲镇幸福村")
    client.force_login(org.above)
    html = get(client, URL)
    assert ">\u3000\u3000甲镇<" in html and "甲镇幸福村" not in html
    html = get(client, f"{URL}?queue=progress&unit={org.county_a.pk}")
    assert badge(html, "progress") == 126


#: The partial indexes on each request table's waiting rows (pending is a few rows among
#: the many decided ones a province keeps), and the filter that names those rows. Waiting
#: reports have two (in the queue's order, and by item for a county's queue): on a test's
#: few rows the planner may take either, and both read only waiting rows.
PENDING_INDEX = {
    "signoff": (("signoff_one_pending_per_item",), {"status": ReviewStatus.PENDING}),
    "extension": (("extension_one_pending_per_item",), {"status": "pending"}),
    "status": (("status_change_one_pending_per_item",), {"status": "pending"}),
    "progress": (
        ("report_pending_idx", "report_pending_item_idx"),
        {"review_status": ReviewStatus.PENDING},
    ),
}


@pytest.mark.parametrize("queue", sorted(PENDING_INDEX))
def test_waiting_rows_are_found_through_the_partial_index(queues, queue):
    """Each queue filters its table's waiting rows as a partial index names them, so they
    are read from that index in the queue's order rather than by reading the whole table
    (the planner is told scanning a table is dear, as it is at a province's size)."""
    from django.db import connection

    from tasks_ledger.views import QUEUES

    indexes, pending = PENDING_INDEX[queue]
    rows = QUEUES[queue].rows(queues.org.above)
    assert rows.filter(**pending).count() == rows.count()  # the queue is those rows
    waiting = rows.model.objects.filter(**pending).order_by(*rows.query.order_by)
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    plan = waiting.explain()
    assert any(f"using {index} on" in plan for index in indexes), plan


def test_an_items_waiting_reports_are_found_through_their_own_index(queues):
    """A county's queue goes from its units' items to their waiting reports: an item's are
    read, in the queue's order, from the partial index of waiting reports by item, not
    from every report of the item (a province keeps thirty decided reports for each
    waiting one)."""
    from django.db import connection

    item = queues.reports[0].item
    waiting = ProgressReport.objects.filter(review_status=ReviewStatus.PENDING, item=item).order_by(
        "created_at", "id"
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
    assert "report_pending_item_idx" in waiting.explain()
    assert list(waiting) == [queues.reports[0]]


# --- who sees which button --------------------------------------------------------------------


def test_buttons_only_where_the_rule_allows(queues, client):
    """GIVEN the office asked for a sign-off itself WHEN it opens the queue THEN that row has
    neither button nor checkbox; the others have both. The requester (甲县) and a read-only
    official see rows, no buttons and no bulk form."""
    org = queues.org
    item = make_item(queues.tasks, org.county_a, title="办里代报的任务")
    own = services.signoff_request_create(
        item=item, requester=org.above, note="代报", files=[pdf()], expected_version=1
    )
    other = queues.signoffs[0]
    client.force_login(org.above)
    html = get(client, f"{URL}?queue=signoff")
    assert row_ids(html)[0] == own.pk and other.pk in row_ids(html)
    assert f"/ledgers/signoffs/{own.pk}/approve/" not in html
    assert f'name="select" value="{own.pk}"' not in html
    assert f"/ledgers/signoffs/{other.pk}/approve/" in html
    assert f'name="select" value="{other.pk}"' in html
    assert 'id="queue-bulk"' in html
    for persona in ("inside", "official"):
        client.force_login(getattr(org, persona))
        html = get(client, f"{URL}?queue=signoff")
        assert other.pk in row_ids(html), persona
        assert "/approve/" not in html.replace(BULK, ""), persona
        assert 'name="select"' not in html and 'id="queue-bulk"' not in html, persona
        assert "等待核验" in html
    # The liaison sees its reports waiting for the office, without buttons.
    client.force_login(org.inside)
    html = get(client, f"{URL}?queue=progress")
    assert len(row_ids(html)) == 25 and "等待能力作风办审核" in html
    assert "/ledgers/reports/" not in html


def province_office(org: Any) -> Any:
    """The campaign office over the whole tree (every unit: the page filters by none)."""
    from accounts.models import Role
    from accounts.tests.factories import RoleAssignmentFactory, UserFactory

    user = UserFactory(username="province_office")
    RoleAssignmentFactory(user=user, role=Role.CAMPAIGN_OFFICE, scope=org.province)
    return user


def test_an_office_over_every_unit_counts_and_shows_without_joining_units(queues, client):
    """GIVEN the office over the whole tree WHEN it opens the queues THEN the tabs count
    what the rule's join by path counts, the rows and buttons are the same, and neither the
    counts nor the rows join the units (every unit is the office's: a province's office
    looked up the item and unit of each of a thousand waiting reports to count them)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tasks_ledger.views import QUEUES

    office = province_office(queues.org)
    assert keyset.scope_unit_ids(office, manage=True) is None
    client.force_login(office)
    for key, queue in QUEUES.items():
        with CaptureQueriesContext(connection) as ctx:
            html = get(client, f"{URL}?queue={key}")
        by_rule = queue.rows(office)
        assert badge(html, key) == by_rule.count(), key
        assert row_ids(html) == [row.pk for row in by_rule.order_by("-waiting_since", "-pk")[:25]]
        assert html.count('name="select"') == len(row_ids(html)), key
        counted = [q["sql"] for q in ctx.captured_queries if "SELECT COUNT(*) FROM" in q["sql"]]
        shown = [q["sql"] for q in ctx.captured_queries if "waiting_since" in q["sql"]]
        assert len(counted) == 1 and shown, key
        for sql in (*counted, *shown):
            assert '"path"' not in sql.split(" FROM ", 1)[1], key


def test_the_sql_rule_agrees_with_the_predicate(queues, org):
    """``can_act`` (the rule's Q form, in SQL) says what the predicate says, for every persona
    and row, the superuser included."""
    services.signoff_request_create(
        item=make_item(queues.tasks, org.county_a),
        requester=org.above,
        note="代报",
        files=[pdf()],
        expected_version=1,
    )
    # The page scopes by the managed units' ids read first (None for an office over every
    # unit: no join at all); the rule's join by path is the selectors' default.
    personas = org.personas() | {"province office": province_office(org)}
    for name, user in personas.items():
        for units in (selectors.BY_RULE, keyset.scope_unit_ids(user, manage=True)):
            for signoff in selectors.signoff_queue(user=user, unit_ids=units):
                assert signoff.can_act == rules.can_verify_signoff(user, signoff), (name, units)
            rows: list[Any] = [
                *selectors.extension_queue(user=user, unit_ids=units),
                *selectors.status_change_queue(user=user, unit_ids=units),
                *selectors.report_queue(user=user, unit_ids=units)[:5],
            ]
            for row in rows:
                assert row.can_act == rules.can_review_item(user, row.item), (name, units)
    assert all(row.can_act for row in selectors.signoff_queue(user=org.superuser)[:5])


def test_a_lead_department_verifies_from_its_queue(queues, client):
    """GIVEN 甲县住建局 leads an item of 甲县 WHEN its responsible person opens the queue THEN
    they find that sign-off (and no other of 甲县's) with its buttons, and may verify it in
    bulk."""
    org = queues.org
    chain = add_chain(
        subject="城区管网改造", unit=org.county_a, lead=org.county_a_dept, campaign=org.campaign
    )
    item = make_item(queues.tasks, org.county_a, title="住建牵头任务", chain=chain)
    (led,) = pending_signoffs([item], org.inside)
    client.force_login(chain.responsible_person)
    html = get(client, f"{URL}?queue=signoff")
    assert row_ids(html) == [led.pk] and badge(html, "signoff") == 1
    assert f"/ledgers/signoffs/{led.pk}/approve/" in html
    response = client.post(BULK, {"queue": "signoff", "select": [led.pk]})
    assert notes(client, response) == ["核验销号：已完成 1 项。"]
    assert LedgerItem.objects.get(pk=item.pk).status == ItemStatus.SIGNED_OFF


def test_an_outsider_sees_none_of_the_rows(queues, client):
    client.force_login(queues.org.outsider)
    html = get(client, f"{URL}?queue=signoff")
    assert row_ids(html) == [queues.b_signoff.pk]
    assert (badge(html, "signoff"), badge(html, "progress"), badge(html, "extension")) == (1, 0, 0)
    assert "甲县任务" not in html and "甲镇问题" not in html


# --- deciding ---------------------------------------------------------------------------------


def test_verifying_one_sign_off_asks_first(queues, client):
    """The verify button opens a confirmation that says what verifying does; only its own
    button posts."""
    client.force_login(queues.org.above)
    first = queues.signoffs[0]
    html = get(client, f"{URL}?queue=signoff")
    cell = html[html.index(f'<tr id="row-{first.pk}"') :]
    cell = cell[: cell.index("</tr>")]
    assert (
        '<details class="app-confirm"><summary class="btn btn-sm btn-success">核验销号…</summary>'
        in cell
    )
    assert "核验后事项即销号" in cell
    here = f"{URL}?queue=signoff&page=2"
    response = client.post(f"/ledgers/signoffs/{first.pk}/approve/", {"next": here})
    assert response.status_code == 302 and response.url == here
    assert LedgerItem.objects.get(pk=first.item_id).status == ItemStatus.SIGNED_OFF


def test_bulk_approve_confirms_then_approves_each_row(queues, client):
    """GIVEN three ticked sign-offs WHEN the office asks to verify them THEN a page says how
    many and which, nothing is decided yet; WHEN it confirms THEN all three are signed off
    and the message says so."""
    client.force_login(queues.org.above)
    picked = queues.signoffs[:3]
    query = "&".join(f"select={row.pk}" for row in picked)
    html = get(client, f"{BULK}?queue=signoff&{query}&next=/ledgers/queues/%3Fqueue%3Dsignoff")
    assert "核验销号：3 项，见下表" in html
    for row in picked:
        assert row.item.title in html
        assert f'name="select" value="{row.pk}"' in html
    assert not SignOffRequest.objects.filter(status=ReviewStatus.ACCEPTED).exists()

    response = client.post(
        BULK,
        {"queue": "signoff", "select": [row.pk for row in picked], "next": f"{URL}?queue=signoff"},
    )
    assert response.status_code == 302 and response.url == f"{URL}?queue=signoff"
    assert notes(client, response) == ["核验销号：已完成 3 项。"]
    assert set(
        LedgerItem.objects.filter(pk__in=[row.item_id for row in picked]).values_list(
            "status", flat=True
        )
    ) == {ItemStatus.SIGNED_OFF}
    html = get(client, f"{URL}?queue=signoff")
    assert badge(html, "signoff") == 58


@pytest.mark.parametrize(
    ("queue", "field"),
    [("extension", "extensions"), ("status", "changes"), ("progress", "reports")],
)
def test_bulk_approve_of_the_other_queues(queues, client, queue, field):
    client.force_login(queues.org.above)
    picked = getattr(queues, field)[:2]
    response = client.post(BULK, {"queue": queue, "select": [row.pk for row in picked]})
    assert response.status_code == 302 and response.url == f"{URL}?queue={queue}"
    (done,) = notes(client, response)
    assert "已完成 2 项" in done
    model = type(picked[0])
    status = "review_status" if model is ProgressReport else "status"
    decided = model.objects.filter(pk__in=[row.pk for row in picked]).values_list(status, flat=True)
    assert set(decided) == {ReviewStatus.ACCEPTED if model is ProgressReport else "approved"}
    if queue == "extension":
        assert LedgerItem.objects.get(pk=picked[0].item_id).deadline == dt.date(2022, 11, 30)
    if queue == "status":
        assert LedgerItem.objects.get(pk=picked[0].item_id).status == ItemStatus.SUSPENDED


def test_bulk_refuses_rows_the_rule_refuses_and_says_why(queues, client):
    """GIVEN the office's own sign-off, one already decided and one still waiting WHEN all
    three are posted THEN the waiting one is verified and the other two are named with their
    reasons, in Chinese; the confirmation page had left the own one out."""
    org = queues.org
    own_item = make_item(queues.tasks, org.county_a, title="办里代报的任务")
    own = services.signoff_request_create(
        item=own_item, requester=org.above, note="代报", files=[pdf()], expected_version=1
    )
    decided, waiting = queues.signoffs[:2]
    services.signoff_approve(request=decided, verifier=org.admin)
    client.force_login(org.above)
    html = get(
        client, f"{BULK}?queue=signoff&select={own.pk}&select={decided.pk}&select={waiting.pk}"
    )
    assert "核验销号：1 项，见下表" in html
    assert "1 项不属于您审批，将保持原样" in html and "办里代报的任务" in html
    assert "1 项已不在待办中" in html
    assert f'name="select" value="{own.pk}"' not in html

    response = client.post(BULK, {"queue": "signoff", "select": [own.pk, decided.pk, waiting.pk]})
    done, refused = notes(client, response)
    assert done == "核验销号：已完成 1 项。"
    assert refused.startswith("2 项未完成：")
    assert f"{own_item.code} 办里代报的任务：您无权审核该申请。" in refused
    # Signed off meanwhile: the service says so before its claim could.
    assert f"{decided.item.code} {decided.item.title}：该申请已审批。" in refused
    assert SignOffRequest.objects.get(pk=own.pk).status == ReviewStatus.PENDING
    assert SignOffRequest.objects.get(pk=waiting.pk).status == ReviewStatus.ACCEPTED


def test_bulk_refuses_read_only_users_and_outsiders(queues, client):
    org = queues.org
    picked = [row.pk for row in queues.signoffs[:2]]
    client.force_login(org.official)
    response = client.post(BULK, {"queue": "signoff", "select": picked})
    (refused,) = notes(client, response)
    assert refused.startswith("2 项未完成") and "您无权审核该申请" in refused
    client.force_login(org.outsider)
    html = get(client, f"{BULK}?queue=signoff&select={picked[0]}")
    assert "甲县任务" not in html and "1 项已不在待办中" in html
    response = client.post(BULK, {"queue": "signoff", "select": picked})
    (refused,) = notes(client, response)
    assert "不在您的管辖范围内" in refused and "甲县任务" not in refused
    assert not SignOffRequest.objects.filter(pk__in=picked, status=ReviewStatus.ACCEPTED).exists()
    assert client.get(f"{BULK}?queue=nonsense").status_code == 404


def test_bulk_with_nothing_ticked(queues, client):
    client.force_login(queues.org.above)
    html = get(client, f"{BULK}?queue=progress")
    assert "未勾选任何事项。" in html and 'method="post"' not in html.split("<main")[-1]
    client.force_login(queues.org.inside)
    html = get(client, f"{BULK}?queue=progress&select={queues.reports[0].pk}")
    assert "您勾选的事项均无法由您审批" in html and 'method="post"' not in html.split("<main")[-1]
    client.force_login(queues.org.above)
    response = client.post(BULK, {"queue": "progress"})
    assert notes(client, response) == ["未勾选任何事项。"]


# --- queries ----------------------------------------------------------------------------------


def own_queries(client: Client, url: str) -> tuple[int, str]:
    """The page's statements less the trivial signed-in page's (the frame every page runs:
    the session's user, the jurisdiction, the navbar's bell, the session saved), savepoints
    left out; and the page's HTML."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext, override_settings

    def count(path: str) -> tuple[int, str]:
        with CaptureQueriesContext(connection) as ctx:
            html = get(client, path)
        statements = [q["sql"] for q in ctx.captured_queries]
        return sum(1 for sql in statements if not SAVEPOINTS.match(sql)), html

    with override_settings(ROOT_URLCONF="bench.trivial_urls"):
        count(url)  # warm: the frame's caches fill on a first request
        frame, _ = count("/bench/trivial/")
        page, html = count(url)
    return page - frame, html


SAVEPOINTS = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK)")


@pytest.mark.parametrize(
    ("queue", "queries"),
    [
        # 1 the unit filter's choice + 1 the four tabs' counts (one statement; the open
        # tab's is also the paginator's) + 1 page of rows (item, unit, ledger and requester
        # joined; can_act, waiting_since and, for sign-offs and reports, the evidence's ids
        # and names in the same SELECT) + 1 the unit and ledger selects' options (one
        # statement, views._filter_options). (A unit chosen scopes by its path: no managed
        # units' ids are read first.)
        ("signoff", 4),
        ("extension", 4),
        ("status", 4),
        ("progress", 4),
    ],
)
def test_query_count_is_fixed_whatever_the_length(org, client, queue, queries):
    tasks = make_ledger(org.campaign)
    build = {
        "signoff": lambda items: pending_signoffs(items, org.inside),
        "extension": lambda items: pending_extensions(items, org.inside),
        "status": lambda items: pending_status_changes(items, org.inside),
        "progress": lambda items: pending_reports(items, org.inside),
    }[queue]
    build(make_items(tasks, org.county_a, 1, title="第一批"))
    client.force_login(org.above)
    url = f"{URL}?queue={queue}&unit={org.county_a.pk}&ordering=-requested"
    own, html = own_queries(client, url)
    assert (own, len(row_ids(html))) == (queries, 1)
    assert f'<option value="{org.county_a.pk}" selected>' in html
    build(make_items(tasks, org.township_a, 40, title="第二批"))
    own, html = own_queries(client, url)
    assert (own, len(row_ids(html))) == (queries, 25)


@pytest.mark.parametrize("persona", ["above", "inside"])
def test_query_count_is_the_same_past_the_cap_for_the_office_and_a_county(
    org, client, monkeypatch, persona
):
    """GIVEN a cap of 30 WHEN the city office or 甲县's liaison opens the reports with one
    waiting, then with 41 (past the cap: the badge says 30+) THEN the page runs the same 4
    queries of its own: those above less the unit filter's choice (none is chosen), plus the
    managed units' ids read first (for an office over every unit: whether there is another
    tree)."""
    from tasks_ledger import views

    monkeypatch.setattr(views, "QUEUE_COUNT_CAP", 30)
    problems = make_ledger(org.campaign, kind=LedgerKind.PROBLEM, title="作风问题清单")
    pending_reports(make_items(problems, org.township_a, 1, title="第一批"), org.inside)
    client.force_login(getattr(org, persona))
    url = f"{URL}?queue=progress"
    own, html = own_queries(client, url)
    assert own == 4
    assert len(row_ids(html)) == 1 and badge(html, "progress") == 1
    pending_reports(make_items(problems, org.township_a, 40, title="第二批"), org.inside)
    own, html = own_queries(client, url)
    assert own == 4
    assert len(row_ids(html)) == 25 and 'data-queue-count="progress">30+<' in html


@pytest.mark.django_db(transaction=True)
def test_the_managed_units_are_kept_until_a_unit_changes(org, client):
    """GIVEN 甲县's liaison has opened the queues once WHEN it opens them again THEN the ids
    of the units it manages come from the cache (their query is not run), and WHEN a unit
    is created under 甲县 and a report waits on one of its items THEN the next page counts
    it at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.tests.factories import UnitFactory

    problems = make_ledger(org.campaign, kind=LedgerKind.PROBLEM, title="作风问题清单")
    pending_reports(make_items(problems, org.township_a, 1, title="第一批"), org.inside)
    client.force_login(org.inside)
    assert badge(get(client, f"{URL}?queue=progress"), "progress") == 1
    with CaptureQueriesContext(connection) as again:
        html = get(client, f"{URL}?queue=progress")
    units = 'SELECT "accounts_unit"."id" AS "pk" FROM "accounts_unit"'
    assert not [q for q in again.captured_queries if q["sql"].startswith(units)]
    assert badge(html, "progress") == 1
    bureau = UnitFactory.create(parent=org.county_a, name="甲县新设局")
    pending_reports(make_items(problems, bureau, 1, title="新设局的问题"), org.inside)
    html = get(client, f"{URL}?queue=progress")
    assert badge(html, "progress") == 2 and "新设局的问题" in html


def test_capped_counts_counts_each_up_to_the_limit_in_one_statement(
    queues, django_assert_num_queries
):
    """Each queryset counted up to the limit, an empty scope as 0, in one statement."""
    from tasks_ledger.views import capped_counts

    with django_assert_num_queries(1):
        counts = capped_counts(
            {
                "reports": ProgressReport.objects.filter(review_status=ReviewStatus.PENDING),
                "none": SignOffRequest.objects.none(),
                "extensions": ExtensionRequest.objects.order_by("-requested_at"),
            },
            100,
        )
    assert counts == {"reports": 100, "none": 0, "extensions": 3}


def test_capped_heads_read_a_pages_ids_with_the_count(queues, django_assert_num_queries):
    """Each queryset counted up to the limit and, for those asked, the ids of a slice of the
    counted rows in the queryset's order, in one statement; nothing counted, no ids."""
    from tasks_ledger.views import capped_heads

    newest = ProgressReport.objects.filter(review_status=ReviewStatus.PENDING).order_by(
        "-created_at", "-pk"
    )
    with django_assert_num_queries(1):
        counts, ids = capped_heads(
            {
                "reports": newest,
                "none": SignOffRequest.objects.none(),
                "extensions": ExtensionRequest.objects.order_by("-requested_at"),
            },
            100,
            {"reports": slice(25, 50), "none": slice(0, 25)},
        )
    assert counts == {"reports": 100, "none": 0, "extensions": 3}
    assert ids == {"reports": [r.pk for r in queues.reports[25:50]], "none": []}
    counts, ids = capped_heads({"reports": newest}, 130, {"reports": slice(125, 150)})
    assert (counts, ids) == ({"reports": 126}, {"reports": [queues.reports[125].pk]})


def test_a_page_is_read_by_the_ids_counted_with_the_badges(queues, client):
    """GIVEN 126 reports waiting WHEN the office opens a page of them newest first (with
    the queue named or not) THEN the rows are read by the ids the counting statement found
    (no subquery over the waiting rows again), and pages the counts did not read (another
    order, more rows a page, a page past the end) are read as before: the same rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(queues.org.above)
    reports = [r.pk for r in queues.reports]  # newest first
    for url, shown in (
        (f"{URL}?queue=progress&page=2", reports[25:50]),
        (f"{URL}?queue=progress&page=6", reports[125:]),
        (f"{URL}?queue=signoff&waiting=1", None),
    ):
        with CaptureQueriesContext(connection) as ctx:
            html = get(client, url)
        rows = [q["sql"] for q in ctx.captured_queries if '"waiting_since"' in q["sql"]]
        assert len(rows) == 1 and "LIMIT" not in rows[0], url
        if shown is not None:
            assert row_ids(html) == shown, url
    for url, shown in (
        (f"{URL}?queue=progress&ordering=-requested&page=2", reports[25:50]),
        (f"{URL}?queue=progress&per_page=50&page=2", reports[50:100]),
        (f"{URL}?queue=progress&page=99", reports[125:]),
        (f"{URL}?queue=progress&page=0", reports[125:]),
    ):
        with CaptureQueriesContext(connection) as ctx:
            html = get(client, url)
        rows = [q["sql"] for q in ctx.captured_queries if '"waiting_since"' in q["sql"]]
        assert len(rows) == 1 and "LIMIT" in rows[0], url
        assert row_ids(html) == shown, url
    # Without a queue named, the first with rows opens, its page read with the counts.
    with CaptureQueriesContext(connection) as ctx:
        html = get(client, f"{URL}?page=2")
    rows = [q["sql"] for q in ctx.captured_queries if '"waiting_since"' in q["sql"]]
    assert len(rows) == 1 and "LIMIT" not in rows[0]
    signoffs = SignOffRequest.objects.filter(status=ReviewStatus.PENDING)
    assert row_ids(html) == [s.pk for s in signoffs.order_by("-requested_at", "-pk")[25:50]]


@pytest.mark.parametrize("queue", ["signoff", "progress"])
def test_each_row_lists_its_own_files_newest_first(queues, client, queue):
    """GIVEN the newest sign-off (or report) with two files, the next with one, the others
    with none WHEN the office opens the queue THEN each row links its own files, newest
    first, as the row's evidence lists them (read with the rows, in their statement); a
    sign-off without any says so."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tasks_ledger.models import Evidence

    model = SignOffRequest if queue == "signoff" else ProgressReport
    key = "signoff" if queue == "signoff" else "report"
    client.force_login(queues.org.above)
    first, second = (
        model.objects.get(pk=pk) for pk in row_ids(get(client, f"{URL}?queue={queue}"))[:2]
    )
    made = []
    for row, name in ((first, "旧.pdf"), (second, "乙.pdf"), (first, "新.pdf")):
        made.append(
            Evidence.objects.create(
                item=row.item,
                original_name=name,
                content_type="application/pdf",
                size=len(PDF),
                uploaded_by=queues.org.inside,
                file=f"evidence/{name}",
                **{key: row},
            )
        )
    with CaptureQueriesContext(connection) as ctx:
        html = get(client, f"{URL}?queue={queue}")
    alone = [
        q for q in ctx.captured_queries if q["sql"].startswith('SELECT "tasks_ledger_evidence"')
    ]
    assert not alone
    cells = html.split('<tr id="row-')[1:]
    assert cells[0].startswith(f"{first.pk}") and cells[1].startswith(f"{second.pk}")
    links = [re.findall(r"/evidence/(\d+)/[^>]*>.*?</i>([^<]+)</a>", cell) for cell in cells]
    assert links[0] == [(str(made[2].pk), "新.pdf"), (str(made[0].pk), "旧.pdf")]
    assert [f.pk for f in first.evidence.all()] == [made[2].pk, made[0].pk]
    assert links[1] == [(str(made[1].pk), "乙.pdf")]
    assert links[2] == []
    assert ("未附佐证材料" in cells[2]) == (queue == "signoff")


#: The queue table's template as it was, extending django-tables2's (queue_table.html now
#: writes those out as one template: the same markup, without three levels of blocks).
EXTENDING = """{% extends "django_tables2/bootstrap5-responsive.html" %}
{% load i18n %}
{% block table.tbody %}<tbody {{ table.attrs.tbody.as_html }}>{% with drawn=table.drawn_rows %}\
{% if drawn %}{{ drawn }}{% else %}
{% block table.tbody.empty_text %}<tr><td colspan="{{ table.columns|length }}" \
class="text-center text-body-secondary py-4">{{ table.empty_text }}</td></tr>\
{% endblock table.tbody.empty_text %}{% endif %}{% endwith %}
</tbody>{% endblock table.tbody %}
{% block pagination %}{% if table.page and table.paginator.num_pages > 1 %}\
<div class="app-queue-pages" aria-label="{% translate 'Pages' %}" role="navigation">\
{{ block.super }}</div>{% endif %}{% endblock pagination %}
"""


@pytest.mark.parametrize(
    "url",
    [
        f"{URL}?queue=progress&page=2",
        f"{URL}?queue=signoff&ordering=-unit&page=3",
        f"{URL}?queue=extension",
        f"{URL}?queue=status&kind=problem",
        f"{BULK}?queue=progress&select=1",
    ],
)
def test_the_table_template_draws_what_django_tables2s_templates_draw(
    queues, client, settings, tmp_path, monkeypatch, url
):
    """GIVEN the queue table's template written out as one WHEN a page (a next page, another
    order, a short queue, an empty one, the bulk confirmation) is drawn with it and with
    the template that extended django-tables2's THEN the two are the same, byte for byte."""
    import copy

    from tasks_ledger import tables

    client.force_login(queues.org.above)
    url = url.replace("select=1", f"select={queues.reports[0].pk}")
    flat = get(client, url)
    (tmp_path / "extending.html").write_text(EXTENDING, encoding="utf-8")
    templates = copy.deepcopy(settings.TEMPLATES)
    templates[0]["DIRS"] = [*templates[0]["DIRS"], tmp_path]
    settings.TEMPLATES = templates
    monkeypatch.setattr(tables.QueueTable._meta, "template_name", "extending.html")
    for table in (
        tables.SignOffQueueTable,
        tables.ExtensionQueueTable,
        tables.StatusChangeQueueTable,
        tables.ProgressQueueTable,
    ):
        monkeypatch.setattr(table._meta, "template_name", "extending.html")
    extending = get(client, url)
    token = re.compile(r'(name="csrfmiddlewaretoken" value=|"X-CSRFToken": )"[^"]+"')
    assert "table-container" in flat
    assert token.sub("", flat) == token.sub("", extending)


def test_rows_carry_the_attributes_django_tables2_gives_them(queues):
    """Each drawn ``<tr>`` has the attributes django-tables2 works out for its row (the
    table's ``row_attrs`` and the even or odd class), written without asking it per row."""
    from tasks_ledger.tables import QueueRows, SignOffQueueTable

    table = SignOffQueueTable(list(selectors.signoff_queue(user=queues.org.above)[:3]))
    expected = [f"<tr {row.attrs.as_html()}>" for row in table.rows]
    table = SignOffQueueTable(list(selectors.signoff_queue(user=queues.org.above)[:3]))
    draw = QueueRows(table, None)
    drawn = [re.findall(r"<tr [^>]*>", draw.row(row))[0] for row in table.rows]
    assert drawn == expected and len(drawn) == 3


@pytest.mark.parametrize("queue", ["signoff", "extension", "status", "progress"])
def test_a_page_reads_only_what_its_rows_show(queues, client, queue):
    """GIVEN a page of a queue WHEN the office opens it THEN its rows' statement reads none
    of the item's other columns and joins no chain (only what ``QueueRows`` draws; a
    deferred field read while drawing would cost a query a row: the query-count tests)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(province_office(queues.org))
    with CaptureQueriesContext(connection) as ctx:
        html = get(client, f"{URL}?queue={queue}")
    (rows,) = [q["sql"] for q in ctx.captured_queries if '"waiting_since"' in q["sql"]]
    assert row_ids(html)
    assert '"measures"' not in rows and '"search_grams"' not in rows
    assert "responsibilitychain" not in rows and '"password"' not in rows


@pytest.mark.parametrize("queue", ["signoff", "extension", "status", "progress"])
def test_rows_are_drawn_without_template_lookups_per_row(org, client, monkeypatch, queue):
    """GIVEN a queue with one row, then 25 WHEN the office opens it THEN the page's template
    variable look-ups are as many (the rows are drawn in Python, tables.QueueRows: through
    the template a row cost some 80 look-ups), and each row still says what the template
    said: its number, title, unit, its buttons and its own CSRF field."""
    from django.template import base

    lookups = 0
    resolve = base.Variable._resolve_lookup

    def counted(self: Any, context: Any) -> Any:
        nonlocal lookups
        lookups += 1
        return resolve(self, context)

    monkeypatch.setattr(base.Variable, "_resolve_lookup", counted)
    tasks = make_ledger(org.campaign)
    build = {
        "signoff": lambda items: pending_signoffs(items, org.inside),
        "extension": lambda items: pending_extensions(items, org.inside),
        "status": lambda items: pending_status_changes(items, org.inside),
        "progress": lambda items: pending_reports(items, org.inside),
    }[queue]
    build(make_items(tasks, org.county_a, 1, title="第一批<b>"))
    client.force_login(org.above)
    url = f"{URL}?queue={queue}"
    get(client, url)  # warm: the frame's caches fill on a first request
    seen = []
    for more in (0, 24):
        build(make_items(tasks, org.township_a, more, title="第二批"))
        lookups = 0
        html = get(client, url)
        seen.append(lookups)
        assert len(row_ids(html)) == 1 + more
    assert seen[0] == seen[1], seen
    assert "第一批&lt;b&gt;" in html and "第一批<b>" not in html
    assert html.count('name="csrfmiddlewaretoken"') >= 2 * 25
    assert html.count('name="select"') == 25 and html.count(f"{URL}?queue={queue}") >= 25


def test_a_report_keeps_its_items_unit_and_follows_the_item(org, client):
    """GIVEN reports waiting on items of 甲镇 (written in bulk, as an import writes them)
    WHEN they are read THEN each holds its item's unit (the county's queue finds them by it),
    and WHEN an item is given to 乙县 THEN its reports follow: 甲县's queue no longer counts
    it and 乙县's does, whatever wrote the change."""
    problems = make_ledger(org.campaign, kind=LedgerKind.PROBLEM, title="作风问题清单")
    items = make_items(problems, org.township_a, 2, title="甲镇问题")
    reports = pending_reports(items, org.inside)
    units = dict(ProgressReport.objects.values_list("pk", "unit_id"))
    assert {units[report.pk] for report in reports} == {org.township_a.pk}
    client.force_login(org.inside)
    assert badge(get(client, f"{URL}?queue=progress"), "progress") == 2

    LedgerItem.objects.filter(pk=items[0].pk).update(unit=org.county_b)
    assert ProgressReport.objects.get(pk=reports[0].pk).unit_id == org.county_b.pk
    assert ProgressReport.objects.get(pk=reports[1].pk).unit_id == org.township_a.pk
    assert badge(get(client, f"{URL}?queue=progress"), "progress") == 1
    report = ProgressReport.objects.get(pk=reports[1].pk)
    report.unit_id = None  # a save of the whole row writes the item's unit again
    report.save()
    assert ProgressReport.objects.get(pk=report.pk).unit_id == org.township_a.pk


def test_the_queues_statements_are_planned_once_per_session(queues, client):
    """GIVEN the office's queue opened once WHEN the same page is opened again THEN its
    reads are run by name, prepared by the first (a county's took longer to plan than to
    run), and the page shows the same rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from config.plans import forget_all

    client.force_login(queues.org.above)
    url = f"{URL}?queue=progress&page=2"
    with connection.cursor() as cursor:  # an earlier test of this session may have run it
        forget_all(cursor)
    with CaptureQueriesContext(connection) as first:
        html = get(client, url)
    with CaptureQueriesContext(connection) as again:
        assert row_ids(get(client, url)) == row_ids(html)
    counting = [q["sql"] for q in first.captured_queries if "array_agg" in q["sql"]]
    assert len(counting) == 1 and "PREPARE plan_" in counting[0]
    counted = [q["sql"] for q in again.captured_queries if "array_agg" in q["sql"]]
    assert len(counted) == 1 and counted[0].startswith("EXECUTE plan_")
    assert "PREPARE" not in counted[0]
