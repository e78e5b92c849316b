"""Long-term items (长期坚持): no deadline, never overdue, lit by accepted progress.

A standing measure has no deadline. It cannot be overdue and cannot be extended; it turns
yellow, then red, when no progress report has been accepted for the campaign's number of
days (counted from its start until the first one). A report the office has not accepted
keeps it as it was.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import openpyxl
import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_token_create
from tasks_ledger import exports, selectors, services
from tasks_ledger.models import LedgerItem, LightPolicy
from tasks_ledger.tests.factories import make_item, make_ledger

pytestmark = pytest.mark.django_db

START = dt.date(2022, 3, 1)


@pytest.fixture
def ledger(org):
    return make_ledger(org.campaign)


@pytest.fixture
def standing(org, ledger):
    return make_item(ledger, org.county_a, start=START, deadline=None, title="常态化走访企业")


def light(org, item, today):
    row = selectors.ledger_items(user=org.superuser, today=today).get(pk=item.pk)
    return row.light, row.days_left


def test_long_term_item_is_never_overdue_and_lights_by_quiet_days(org, standing):
    """GIVEN a long-term item started 1 March WHEN no progress is accepted THEN it is green
    for 30 days, yellow to day 60, red after; never counted as days overdue."""
    assert standing.is_long_term
    assert light(org, standing, START + dt.timedelta(days=30)) == ("green", None)
    assert light(org, standing, START + dt.timedelta(days=31)) == ("yellow", None)
    assert light(org, standing, START + dt.timedelta(days=60)) == ("yellow", None)
    assert light(org, standing, START + dt.timedelta(days=61)) == ("red", None)
    assert light(org, standing, dt.date(2026, 1, 1))[0] == "red"


def test_the_policy_sets_the_days(org, standing):
    LightPolicy.objects.create(
        campaign=org.campaign, long_term_yellow_days=7, long_term_red_days=14
    )
    assert light(org, standing, START + dt.timedelta(days=8))[0] == "yellow"
    assert light(org, standing, START + dt.timedelta(days=15))[0] == "red"


def test_policy_refuses_red_before_yellow(org):
    policy = LightPolicy(campaign=org.campaign, long_term_yellow_days=30, long_term_red_days=30)
    with pytest.raises(ValidationError) as caught:
        policy.full_clean()
    assert "红灯天数须多于黄灯天数" in str(caught.value)
    with pytest.raises(IntegrityError), transaction.atomic():
        policy.save()


def test_only_accepted_progress_restarts_the_count(org, standing):
    """GIVEN a long-term item gone quiet WHEN the unit reports THEN nothing changes until the
    office accepts; then the light is green again from the day of acceptance."""
    quiet = dt.date(2022, 5, 15)  # 75 days after the start
    with time_machine.travel(dt.datetime(2022, 5, 15, 10, tzinfo=dt.UTC), tick=False):
        report = services.ledger_item_report_progress(
            item=standing,
            reporter=org.inside,
            percent=30,
            text="走访企业 12 家",
            expected_version=standing.version,
        )
        assert light(org, standing, quiet)[0] == "red"
        services.progress_report_accept(report=report, reviewer=org.above)
    standing.refresh_from_db()
    assert standing.progress_accepted_on == quiet
    assert light(org, standing, quiet)[0] == "green"
    assert light(org, standing, quiet + dt.timedelta(days=31))[0] == "yellow"


def test_progress_counted_without_review_restarts_the_count_at_once(org, standing):
    LightPolicy.objects.create(campaign=org.campaign, review_progress=False)
    with time_machine.travel(dt.datetime(2022, 5, 15, 10, tzinfo=dt.UTC), tick=False):
        services.ledger_item_report_progress(
            item=standing, reporter=org.inside, percent=30, text="走访", expected_version=1
        )
    standing.refresh_from_db()
    assert standing.progress_accepted_on == dt.date(2022, 5, 15)


def test_a_long_term_item_cannot_be_extended(org, standing):
    with pytest.raises(ValidationError, match="无需延期"):
        services.extension_request_create(
            item=standing,
            requester=org.inside,
            reason="来不及",
            new_deadline=dt.date(2022, 12, 31),
            today=dt.date(2022, 4, 1),
        )


def test_item_page_says_long_term_and_offers_no_extension(client, org, standing):
    client.force_login(org.inside)
    with time_machine.travel(dt.datetime(2022, 4, 1, 10, tzinfo=dt.UTC), tick=False):
        response = client.get(reverse("ledger:item-detail", args=[standing.pk]))
    page = response.content.decode()
    assert response.status_code == 200
    assert "长期坚持" in page
    assert 'name="new_deadline"' not in page
    # It says why its light is what it is: 31 days without accepted progress since 1 March.
    assert "自 2022-03-01 开始以来尚无审核通过的进度，已 31 天" in page
    assert "连续 30 天无审核通过的进度亮黄灯，60 天亮红灯" in page
    assert "天后到期" not in page and "已超期" not in page


def test_api_creates_a_long_term_item_with_null_and_requires_the_field(org, ledger):
    client = APIClient()
    _token, key = api_token_create(user=org.inside)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    payload = {
        "ledger": ledger.pk,
        "unit": org.county_a.pk,
        "title": "常态化开展政策宣讲",
        "start_date": "2022-06-01",
    }
    missing = client.post(reverse("api:ledger-item-list"), payload, format="json")
    assert missing.status_code == 400
    assert "deadline" in {error["attr"] for error in missing.json()["errors"]}
    response = client.post(
        reverse("api:ledger-item-list"), {**payload, "deadline": None}, format="json"
    )
    assert response.status_code == 201, response.content
    item = LedgerItem.objects.get(pk=response.json()["id"])
    assert item.deadline is None
    row = client.get(reverse("api:ledger-item-detail", args=[item.pk])).json()
    assert row["deadline"] is None and row["days_left"] is None


def test_export_writes_long_term_in_the_deadline_column(client, org, ledger, standing):
    make_item(ledger, org.county_a, deadline=dt.date(2022, 9, 30), title="有期限的事项")
    client.force_login(org.above)
    response = client.get(reverse("ledger:export"))
    sheet: Any = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    headers = [cell.value for cell in sheet[exports.HEADER_ROW]]
    column = headers.index("完成时限")
    deadlines = {
        row[headers.index("事项")].value: row[column].value
        for row in sheet.iter_rows(min_row=exports.HEADER_ROW + 1)
        if row[column].value is not None
    }
    assert deadlines["常态化走访企业"] == "长期坚持"
    assert deadlines["有期限的事项"] == dt.datetime(2022, 9, 30)
