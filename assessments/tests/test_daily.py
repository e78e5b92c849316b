"""The daily score computed from the unit's own ledger record: figures on a small ledger built
through the ledger's services (only accepted progress and verified sign-offs count), the
formula in words, a fixed number of statements whatever the number of units, refusals, the
system as actor, and the office's button (``assessments:round-daily``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accountability.models import (
    Exemption,
    ExemptionStatus,
    Notice,
    NoticeKind,
    NoticeStatus,
)
from accounts.models import UnitLevel, User
from accounts.tests.factories import UnitFactory
from campaign.tests.factories import CampaignFactory
from tasks_ledger.models import ItemStatus, LedgerItem
from tasks_ledger.services import (
    ledger_item_report_progress,
    progress_report_accept,
    progress_report_return,
    signoff_approve,
    signoff_request_create,
)
from tasks_ledger.tests.factories import make_item, make_ledger

from ..daily import daily_figures, daily_formula, daily_scores_compute
from ..models import CategoryMember, DailyMetric, Indicator, RoundStatus, ScoreEntry, Source
from .conftest import Assessment

pytestmark = pytest.mark.django_db

D = Decimal
TZ = dt.timezone(dt.timedelta(hours=8))
#: After the Q3 round's period (1 July to 28 September 2022).
AFTER = dt.date(2022, 10, 15)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def at(day: dt.date) -> Any:
    """The clock at 10 o'clock Beijing time on ``day``."""
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=TZ), tick=False)


def metrics(a: Assessment) -> dict[str, Indicator]:
    """D1 on-time rate (50), D2 overdue items (50, 5 a piece), D3 notices (20, 2 a count)."""
    d1, d2 = a.w.indicators["D1"], a.w.indicators["D2"]
    d1.metric = DailyMetric.ON_TIME_RATE
    d1.save(update_fields=["metric"])
    d2.metric, d2.metric_step = DailyMetric.OVERDUE_ITEMS, D(5)
    d2.save(update_fields=["metric", "metric_step"])
    d3 = Indicator.objects.create(
        scheme=a.w.scheme,
        code="D3",
        name="督查通知",
        source=Source.DAILY,
        max_points=D(20),
        metric=DailyMetric.NOTICES,
        metric_step=D(2),
        sort_order=3,
    )
    return {"D1": d1, "D2": d2, "D3": d3}


def complete(item: LedgerItem, a: Assessment, reported: dt.date, *, accept: dt.date | None):
    """The unit reports the item complete on ``reported``; the office accepts it on
    ``accept`` (None: the report waits)."""
    with at(reported):
        report = ledger_item_report_progress(
            item=item, reporter=a.org.inside, percent=100, text="已完成", expected_version=1
        )
    if accept is not None:
        with at(accept):
            progress_report_accept(report=report, reviewer=a.org.above)
    return report


def notice(a: Assessment, unit: Any, kind: str, issued: dt.date | None, **fields: Any) -> Notice:
    return Notice.objects.create(
        campaign=a.org.campaign,
        kind=kind,
        status=fields.pop("status", NoticeStatus.ISSUED),
        issuing_unit=a.org.city,
        target_unit=unit,
        subject_title="督办事项",
        facts="事实",
        requirements="要求",
        reply_deadline=dt.date(2022, 10, 30),
        issued_on=issued,
        number_year=2022,
        sequence=Notice.objects.count() + 1,
    )


@pytest.fixture
def ledger(assessment: Assessment) -> dict[str, Any]:
    """甲县's record in the Q3 round (1 July to 28 September 2022):

    - on time: completed 20 July (accepted 22 July) for 31 July; signed off (asked 5
      September, verified 12 September) for 10 September;
    - late: reported 20 August for 15 August (accepted);
    - claimed, not accepted: reported complete 25 August for 31 August, still waiting;
    - returned: reported complete 10 September for 15 September, returned;
    - overdue from before: due 30 June, still open;
    - not counted: due after the period, cancelled, exempted, another unit's, another
      campaign's;
    - notices in the period: a reminder, a supervision order, a warning under an approved
      exemption; before the period a warning; a draft.
    """
    a, unit = assessment, assessment.org.county_a
    ledger = make_ledger(a.org.campaign)
    item = {
        name: make_item(ledger, unit, title=name, code=code, deadline=deadline)
        for code, name, deadline in (
            ("1", "on time", dt.date(2022, 7, 31)),
            ("2", "late", dt.date(2022, 8, 15)),
            ("3", "claimed", dt.date(2022, 8, 31)),
            ("4", "signed off", dt.date(2022, 9, 10)),
            ("5", "returned", dt.date(2022, 9, 15)),
            ("6", "overdue before", dt.date(2022, 6, 30)),
            ("7", "due later", dt.date(2022, 10, 31)),
            ("8", "cancelled", dt.date(2022, 8, 1)),
            ("9", "exempted", dt.date(2022, 9, 20)),
        )
    }
    complete(item["on time"], a, dt.date(2022, 7, 20), accept=dt.date(2022, 7, 22))
    complete(item["late"], a, dt.date(2022, 8, 20), accept=dt.date(2022, 8, 21))
    claimed = complete(item["claimed"], a, dt.date(2022, 8, 25), accept=None)
    returned = complete(item["returned"], a, dt.date(2022, 9, 10), accept=None)
    with at(dt.date(2022, 9, 11)):
        progress_report_return(report=returned, reviewer=a.org.above, reason="佐证不足")
    with at(dt.date(2022, 9, 5)):
        request = signoff_request_create(
            item=item["signed off"],
            requester=a.org.inside,
            note="已完成",
            files=[SimpleUploadedFile("done.pdf", PDF, "application/pdf")],
            expected_version=1,
        )
    with at(dt.date(2022, 9, 12)):
        signoff_approve(request=request, verifier=a.org.above)
    LedgerItem.objects.filter(pk=item["cancelled"].pk).update(status=ItemStatus.CANCELLED)
    Exemption.objects.create(
        campaign=a.org.campaign,
        unit=unit,
        item=item["exempted"],
        distinctions=["exploratory"],
        reasons="试点",
        status=ExemptionStatus.APPROVED,
        applied_by=a.org.inside,
    )
    # Someone else's items, done late or not at all: they change nothing of 甲县's.
    make_item(ledger, a.org.county_b, title="乙县任务", code="B1", deadline=dt.date(2022, 8, 1))
    other = make_ledger(CampaignFactory(owner_unit=a.org.city))
    make_item(other, unit, title="另一活动", code="X1", deadline=dt.date(2022, 8, 1))
    notice(a, unit, NoticeKind.REMINDER, dt.date(2022, 7, 5))
    notice(a, unit, NoticeKind.SUPERVISION, dt.date(2022, 8, 1))
    warned = notice(a, unit, NoticeKind.WARNING, dt.date(2022, 9, 1))
    Exemption.objects.create(
        campaign=a.org.campaign,
        unit=unit,
        notice=warned,
        distinctions=["exploratory"],
        reasons="试点",
        status=ExemptionStatus.APPROVED,
        applied_by=a.org.inside,
    )
    notice(a, unit, NoticeKind.WARNING, dt.date(2022, 6, 20))
    notice(a, unit, NoticeKind.ACCOUNTABILITY, None, status=NoticeStatus.DRAFT)
    return {"items": item, "claimed": claimed, "metrics": metrics(a)}


def scores(a: Assessment, unit: Any) -> dict[str, ScoreEntry]:
    rows = ScoreEntry.objects.filter(round=a.scoring, unit=unit).select_related("indicator")
    return {row.indicator.code: row for row in rows}


def test_only_accepted_completions_and_verified_sign_offs_count(
    assessment: Assessment, ledger: dict[str, Any]
) -> None:
    """GIVEN 甲县's ledger above WHEN the office computes the Q3 daily scores THEN of 5 items
    due 2 were completed on time (the accepted report and the verified sign-off), 3 are
    overdue, and the notices count 1 + 2 (the exempted warning, the earlier one and the
    draft do not); a unit with nothing on record gets full marks."""
    a = assessment
    written = daily_scores_compute(round_=a.scoring, actor=a.org.assessor, today=AFTER)
    assert written == 5 * 3  # 县01, 县02, 甲县, 甲镇 and 乙县, three indicators each
    got = scores(a, a.org.county_a)
    assert (got["D1"].points, got["D1"].comment) == (D("20.00"), "按时完成 2/5 项")
    assert got["D2"].points == D("35.00")  # 50 − 5 × 3
    assert got["D2"].comment == "统计期末逾期未完成 3 项"
    assert got["D3"].points == D("14.00")  # 20 − 2 × (1 + 2)
    assert "提示单 1 份" in got["D3"].comment and "督办单 1 份" in got["D3"].comment
    assert "警示单 0 份" in got["D3"].comment and "折合 3 次" in got["D3"].comment
    assert {row.assessor_id for row in got.values()} == {a.org.assessor.pk}
    spotless = scores(a, a.org.township_a)
    assert [spotless[c].points for c in ("D1", "D2", "D3")] == [D(50), D(50), D(20)]
    assert spotless["D1"].comment == "本期无到期事项，按满分计"


def test_a_claim_counts_once_the_office_accepts_it(
    assessment: Assessment, ledger: dict[str, Any]
) -> None:
    """GIVEN the unit claimed item 3 complete on 25 August (deadline 31 August) WHEN the claim
    waits THEN the score does not rise; once the office accepts it (even after the deadline)
    it counts as on time and no longer overdue."""
    a = assessment
    daily_scores_compute(round_=a.scoring, actor=a.org.assessor, today=AFTER)
    assert scores(a, a.org.county_a)["D1"].points == D("20.00")
    item = LedgerItem.objects.get(pk=ledger["items"]["claimed"].pk)
    assert item.pending_progress == 100 and item.status != ItemStatus.COMPLETED
    with at(dt.date(2022, 9, 2)):
        progress_report_accept(report=ledger["claimed"], reviewer=a.org.above)
    assert daily_scores_compute(round_=a.scoring, actor=a.org.assessor, today=AFTER) == 2
    got = scores(a, a.org.county_a)
    assert (got["D1"].points, got["D1"].comment) == (D("30.00"), "按时完成 3/5 项")
    assert got["D2"].points == D("40.00")


def test_the_figures_for_the_unit_page_agree_with_the_scores(
    assessment: Assessment, ledger: dict[str, Any]
) -> None:
    a = assessment
    daily_scores_compute(round_=a.scoring, actor=a.org.assessor, today=AFTER)
    figures = daily_figures(a.scoring, a.org.county_a, today=AFTER)
    stored = scores(a, a.org.county_a)
    assert [f.indicator.code for f in figures] == ["D1", "D2", "D3"]
    assert [(f.points, f.text) for f in figures] == [
        (stored[c].points, stored[c].comment) for c in ("D1", "D2", "D3")
    ]
    on_time = figures[0]
    assert (on_time.due, on_time.on_time, on_time.overdue) == (5, 2, 3)
    assert figures[2].notices == {
        "reminder": 1,
        "supervision": 1,
        "warning": 0,
        "accountability": 0,
    }
    assert figures[2].weighted == 3
    assert "50 × " in on_time.formula and "审核通过" in on_time.formula


def test_the_formula_in_words(assessment: Assessment) -> None:
    m = metrics(assessment)
    assert daily_formula(m["D1"]).startswith("得分 = 50 × 按时完成事项数 ÷ 本期到期事项数")
    assert daily_formula(m["D2"]).startswith("得分 = 50 − 5 × 统计期末逾期未完成事项数")
    text = daily_formula(m["D3"])
    assert text.startswith("得分 = 20 − 2 × 本期收到督查通知的折算次数")
    assert "提示单计1次、督办单计2次、警示单计3次、问责建议单计4次" in text
    assert daily_formula(assessment.w.indicators["A1"]) == ""


def test_a_fixed_number_of_statements_whatever_the_number_of_units(
    assessment: Assessment,
) -> None:
    """GIVEN 5 assessed units, then 25 WHEN computing THEN the same number of queries."""
    a = assessment
    metrics(a)
    ledger = make_ledger(a.org.campaign)
    make_item(ledger, a.org.county_a, title="任务", code="1", deadline=dt.date(2022, 8, 1))

    def count() -> int:
        office = User.objects.get(pk=a.org.assessor.pk)  # nothing kept from an earlier call
        with CaptureQueriesContext(connection) as queries:
            daily_scores_compute(round_=a.scoring, actor=office, today=AFTER)
        return len(queries)

    few = count()
    more = [
        UnitFactory.create(
            parent=a.org.city, name=f"新县{n}", code=f"N{n:02d}", level=UnitLevel.COUNTY
        )
        for n in range(20)
    ]
    CategoryMember.objects.bulk_create(
        CategoryMember(scheme=a.w.scheme, category=a.w.category, unit=unit) for unit in more
    )
    many = count()
    # SAVEPOINT; the round locked and read with its campaign; the office's rights: its
    # jurisdiction (groups, posts, roles) and its role assignments; the one INSERT … SELECT …
    # ON CONFLICT; RELEASE SAVEPOINT.
    assert many == few == 8
    assert ScoreEntry.objects.filter(round=a.scoring, indicator__metric__gt="").count() == 25 * 3


def test_nothing_changed_writes_nothing(assessment: Assessment) -> None:
    a = assessment
    metrics(a)
    assert daily_scores_compute(round_=a.scoring, actor=None, today=AFTER) == 5 * 3
    assert daily_scores_compute(round_=a.scoring, actor=None, today=AFTER) == 0


def test_the_system_computes_without_an_assessor(assessment: Assessment) -> None:
    """The demo calls it with ``actor=None``: no rights asked, no assessor named."""
    a = assessment
    metrics(a)
    daily_scores_compute(round_=a.scoring, actor=None, today=AFTER)
    rows = ScoreEntry.objects.filter(round=a.scoring, unit=a.org.county_a)
    assert rows.count() == 3 and {r.assessor_id for r in rows} == {None}


@pytest.mark.parametrize(
    "status", [RoundStatus.DRAFT, RoundStatus.REVIEW, RoundStatus.PUBLISHED, RoundStatus.ARCHIVED]
)
def test_refused_unless_the_round_is_being_scored(assessment: Assessment, status: str) -> None:
    a = assessment
    metrics(a)
    with pytest.raises(ValidationError) as refused:
        daily_scores_compute(round_=a.rounds[status], actor=a.org.assessor, today=AFTER)
    assert "已发布" in str(refused.value) or "评分阶段" in str(refused.value)
    assert not ScoreEntry.objects.filter(round=a.rounds[status]).exists()


@pytest.mark.parametrize("persona", ["inside", "above", "outsider", "official", "supervisor"])
def test_only_the_office_computes(assessment: Assessment, persona: str) -> None:
    a = assessment
    metrics(a)
    with pytest.raises(PermissionDenied):
        daily_scores_compute(round_=a.scoring, actor=getattr(a.org, persona), today=AFTER)
    assert not ScoreEntry.objects.filter(round=a.scoring).exists()


# --- the office's button ------------------------------------------------------------------------
def test_the_office_computes_from_the_page(client: Any, assessment: Assessment) -> None:
    a = assessment
    metrics(a)
    client.force_login(a.org.assessor)
    url = reverse("assessments:round-daily", args=[a.scoring.pk])
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "日常考核得分已按台账计算" in response.content.decode()
    assert ScoreEntry.objects.filter(round=a.scoring, unit=a.org.county_a).count() == 3


def test_the_page_refuses_others_and_frozen_rounds(client: Any, assessment: Assessment) -> None:
    a = assessment
    metrics(a)
    client.force_login(a.org.inside)
    url = reverse("assessments:round-daily", args=[a.scoring.pk])
    response = client.post(url)
    assert response.status_code == 403
    assert "考核办" in response.content.decode()
    client.force_login(a.org.assessor)
    assert client.get(url).status_code == 405
    published = reverse("assessments:round-daily", args=[a.rounds[RoundStatus.PUBLISHED].pk])
    response = client.post(published, follow=True)
    assert "已发布" in response.content.decode()
    assert not ScoreEntry.objects.exists()
    assert client.post(reverse("assessments:round-daily", args=[999999])).status_code == 404
