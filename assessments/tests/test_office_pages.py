"""The assessment office's pages: the workspace with what waits, a scheme's set-up and its
activation, creating a round, moving a round to publication, the score grid (all or nothing,
computed indicators read-only, a fixed number of queries), one score with its comment and
evidence, and a round's deductions. Who is not the office is refused (403), an office of
another campaign does not see the rounds (404), and nothing is half-saved."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any, cast

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accountability.tests.factories import pdf
from accounts.models import Role, User
from accounts.tests.factories import RoleAssignmentFactory, UnitFactory, UserFactory
from tasks_ledger.tests.factories import make_item, make_ledger

from .. import services
from ..daily import daily_formula
from ..forms import cell_name
from ..models import (
    Appeal,
    CategoryMember,
    DailyMetric,
    Deduction,
    DeductionOrigin,
    EvidenceFile,
    Result,
    Round,
    RoundStatus,
    SchemeStatus,
    ScoreEntry,
)
from .conftest import Assessment, scheme_elsewhere

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2022, 7, 10, 2, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _clock(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(NOW, tick=False):
        yield


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _url(name: str, *args: Any) -> str:
    return reverse(f"assessments:{name}", args=args)


def _text(response: Any) -> str:
    return response.content.decode()


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# --- who may use the pages --------------------------------------------------------------------
def _every_page(a: Assessment) -> list[tuple[str, str]]:
    scoring = a.scoring
    entry = ScoreEntry.objects.create(
        round=scoring, unit=a.org.county_a, indicator=a.w.indicators["A1"], points=Decimal(80)
    )
    return [
        ("get", _url("office")),
        ("get", _url("scheme-detail", a.w.scheme.pk)),
        ("post", _url("scheme-activate", a.w.scheme.pk)),
        ("get", _url("round-create") + f"?scheme={a.w.scheme.pk}"),
        ("get", _url("round-detail", scoring.pk)),
        ("post", _url("round-move", scoring.pk, "to_review")),
        ("get", _url("round-scores", scoring.pk)),
        ("post", _url("round-scores", scoring.pk)),
        ("get", _url("score-detail", entry.pk)),
        ("post", _url("score-detail", entry.pk)),
        ("get", _url("round-deductions", scoring.pk)),
        ("get", _url("deduction-create", scoring.pk)),
        ("post", _url("deduction-create", scoring.pk)),
    ]


@pytest.mark.parametrize("persona", ["inside", "outsider", "official", "above", "supervisor"])
def test_who_is_not_the_assessment_office_is_refused_in_chinese(
    assessment: Assessment, persona: str
) -> None:
    """GIVEN 甲县's liaison, 乙县's liaison, an official, the campaign office and a supervisor
    WHEN they open or post to any office page THEN each gets a 403 saying, in Chinese, that
    only the assessment office works there, and nothing changes."""
    client = _client(getattr(assessment.org, persona))
    for method, url in _every_page(assessment):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (method, url)
        assert "仅考核办可使用这些页面" in _text(response), url
    assert assessment.scoring.status == RoundStatus.SCORING
    assessment.scoring.refresh_from_db()
    assert assessment.scoring.status == RoundStatus.SCORING


def test_an_office_of_another_campaign_does_not_see_these_rounds(assessment: Assessment) -> None:
    """GIVEN the province's assessment office with a scheme of its own campaign WHEN it opens
    the city campaign's scheme, round, grid or deductions THEN they are not found (404); its
    workspace lists its own scheme only."""
    org = assessment.org
    other = cast(User, UserFactory(username="other_office", name="外省考核办"))
    elsewhere_root = UnitFactory.create(name="外省")
    RoleAssignmentFactory(user=other, role=Role.ASSESSMENT_OFFICE, scope=elsewhere_root)
    own = scheme_elsewhere(elsewhere_root)
    client = _client(other)
    for url in (
        _url("scheme-detail", assessment.w.scheme.pk),
        _url("round-detail", assessment.scoring.pk),
        _url("round-scores", assessment.scoring.pk),
        _url("round-deductions", assessment.scoring.pk),
        _url("deduction-create", assessment.scoring.pk),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(_url("round-move", assessment.scoring.pk, "to_review"))
    assert response.status_code == 404
    page = _text(client.get(_url("office")))
    assert own.title in page and assessment.w.scheme.title not in page
    assert org.assessor  # the city's office sees the city's scheme
    assert assessment.w.scheme.title in _text(_client(org.assessor).get(_url("office")))


# --- the workspace ----------------------------------------------------------------------------
def test_the_workspace_counts_what_waits(assessment: Assessment) -> None:
    """GIVEN the scoring round with one score of 5 units × 5 indicators, and the review round
    with one appeal pending WHEN the office opens its workspace THEN it lists 24 scores still
    to enter, one appeal to decide and no round ready; once decided, the review round is
    ready to publish."""
    a = assessment
    ScoreEntry.objects.create(
        round=a.scoring, unit=a.org.county_a, indicator=a.w.indicators["A1"], points=Decimal(80)
    )
    deduction = a.deduct(a.review, a.org.county_a)
    appeal = Appeal.objects.create(deduction=deduction, reasons="不服", filed_by=a.org.inside)
    response = _client(a.org.assessor).get(_url("office"))
    assert response.status_code == 200
    waiting = response.context["waiting"]
    assert waiting.missing == [(a.scoring, 24)]
    assert waiting.appeals == 1 and waiting.publishable == []
    page = _text(response)
    assert "还有 24 项分数待录入" in page
    for round_ in a.rounds.values():
        assert round_.title in page
    Appeal.objects.filter(pk=appeal.pk).update(status="rejected")
    waiting = _client(a.org.assessor).get(_url("office")).context["waiting"]
    assert waiting.appeals == 0 and waiting.publishable == [a.review]


def test_the_workspace_runs_a_fixed_number_of_queries(
    assessment: Assessment, django_assert_max_num_queries: Any
) -> None:
    """The workspace reads schemes and rounds (with their counts) in one query each, however
    many rounds there are."""
    client = _client(assessment.org.assessor)
    client.get(_url("office"))
    with CaptureQueriesContext(connection) as few:
        client.get(_url("office"))
    for quarter in (1, 2, 3):
        scheme = scheme_elsewhere(assessment.org.city, 2023 + quarter)
        Round.objects.create(
            scheme=scheme,
            kind="quarterly",
            quarter=quarter,
            title=f"另一轮{quarter}",
            period_start=dt.date(2023, 1, 1),
            period_end=dt.date(2023, 3, 31),
        )
    with django_assert_max_num_queries(len(few)):
        client.get(_url("office"))


# --- a scheme ---------------------------------------------------------------------------------
def test_the_scheme_page_shows_its_set_up(assessment: Assessment) -> None:
    """GIVEN the scheme with a daily indicator computed from the ledger WHEN the office opens it
    THEN it shows the four weights totalling 100, the indicators with the formula, the
    category with its 5 units, the bands with the quota, and its rounds."""
    a = assessment
    d2 = a.w.indicators["D2"]
    d2.metric, d2.metric_step = DailyMetric.OVERDUE_ITEMS, Decimal(2)
    d2.save()
    response = _client(a.org.assessor).get(_url("scheme-detail", a.w.scheme.pk))
    assert response.status_code == 200
    page = _text(response)
    assert response.context["weights_ok"] is True
    assert "合计100，正确" in page
    assert daily_formula(d2) and daily_formula(d2) in page
    assert "5 个单位" in page
    assert "≤ 25.00%" in page
    assert a.scoring.title in page
    assert not response.context["may_activate"]  # in use already


def test_activating_a_scheme_from_its_page(assessment: Assessment) -> None:
    """GIVEN a draft scheme whose weights total 100 but with no indicator WHEN the office puts
    it in use THEN it is refused with the reason in Chinese and stays a draft."""
    scheme = scheme_elsewhere(assessment.org.city, 2023)
    client = _client(assessment.org.assessor)
    page = client.get(_url("scheme-detail", scheme.pk))
    assert page.context["may_activate"]
    response = client.post(_url("scheme-activate", scheme.pk), follow=True)
    assert any("方案仍为草稿" in m and "请至少添加一项指标" in m for m in _messages(response))
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.DRAFT
    scheme.indicators.create(code="X1", name="日常", source="daily", max_points=Decimal(100))
    response = client.post(_url("scheme-activate", scheme.pk), follow=True)
    scheme.refresh_from_db()
    assert scheme.status == SchemeStatus.IN_USE
    assert any("方案已启用" in m for m in _messages(response))


# --- creating and moving a round --------------------------------------------------------------
def _round_form(**fields: Any) -> dict[str, Any]:
    data = {
        "title": "2023年第一季度",
        "kind": "quarterly",
        "quarter": "1",
        "period_start": "2023-01-01",
        "period_end": "2023-03-31",
        "appeal_until": "2023-04-20",
    }
    data.update(fields)
    return data


def test_creating_a_round_from_the_page(assessment: Assessment) -> None:
    """GIVEN a scheme WHEN the office creates a round THEN it is a draft under the scheme; a
    second round for the same quarter, a quarterly round without its quarter, or a period
    that ends before it starts are refused in Chinese with nothing saved."""
    scheme = scheme_elsewhere(assessment.org.city, 2023)
    client = _client(assessment.org.assessor)
    url = _url("round-create") + f"?scheme={scheme.pk}"
    assert client.get(url).status_code == 200
    response = client.post(url, _round_form())
    round_ = Round.objects.get(scheme=scheme)
    assert response.status_code == 302 and response["Location"] == _url("round-detail", round_.pk)
    assert (round_.status, round_.quarter, round_.appeal_until) == (
        RoundStatus.DRAFT,
        1,
        dt.date(2023, 4, 20),
    )
    for fields, message in (
        ({}, "该考核方案已有本期的考核轮次。"),
        ({"quarter": ""}, "季度考核请选择季度（1至4）。"),
        ({"quarter": "2", "period_end": "2022-12-01"}, "考核期止日早于起日。"),
    ):
        response = client.post(url, _round_form(**fields))
        assert response.status_code == 422, fields
        assert message in _text(response), fields
    assert Round.objects.filter(scheme=scheme).count() == 1
    assert client.get(_url("round-create")).status_code == 404  # no scheme named


def test_a_round_goes_from_draft_to_archived_through_its_page(assessment: Assessment) -> None:
    """GIVEN the draft round WHEN the office opens scoring, moves it to review, publishes
    (first without confirming, refused) and archives it THEN each move lands, the results are
    computed at publication, and the page offers only the next move."""
    a = assessment
    round_ = a.rounds[RoundStatus.DRAFT]
    client = _client(a.org.assessor)
    detail = _url("round-detail", round_.pk)
    assert client.get(detail).context["moves"] == ["open_scoring"]
    client.post(_url("round-move", round_.pk, "open_scoring"))
    assert client.get(detail).context["moves"] == ["to_review"]
    response = client.post(_url("round-move", round_.pk, "to_review"), follow=True)
    assert any("考核轮次现为审核中" in m for m in _messages(response))
    assert response.context["moves"] == ["publish"]
    response = client.post(_url("round-move", round_.pk, "publish"), follow=True)
    assert any("请先确认发布" in m for m in _messages(response))
    round_.refresh_from_db()
    assert round_.status == RoundStatus.REVIEW
    client.post(_url("round-move", round_.pk, "publish"), {"confirm": "yes"})
    round_.refresh_from_db()
    assert round_.status == RoundStatus.PUBLISHED and round_.circular_issue
    assert Result.objects.filter(round=round_).count() == 5
    client.post(_url("round-move", round_.pk, "archive"))
    round_.refresh_from_db()
    assert round_.status == RoundStatus.ARCHIVED
    assert client.get(detail).context["moves"] == []


def test_publishing_with_an_appeal_pending_is_refused_in_words(assessment: Assessment) -> None:
    """GIVEN the review round with an appeal awaiting a decision WHEN the office publishes
    THEN the page says to decide the appeal first and the round stays under review."""
    a = assessment
    Appeal.objects.create(
        deduction=a.deduct(a.review, a.org.county_a), reasons="不服", filed_by=a.org.inside
    )
    response = _client(a.org.assessor).post(
        _url("round-move", a.review.pk, "publish"), {"confirm": "yes"}, follow=True
    )
    assert any("尚有1件申诉待裁决" in m for m in _messages(response))
    a.review.refresh_from_db()
    assert a.review.status == RoundStatus.REVIEW


def test_a_move_out_of_turn_is_refused_in_words(assessment: Assessment) -> None:
    """GIVEN the scoring round WHEN the office posts "archive" THEN the service's refusal comes
    back as a message and nothing moves; an unknown move is not found."""
    a = assessment
    client = _client(a.org.assessor)
    response = client.post(_url("round-move", a.scoring.pk, "archive"), follow=True)
    assert any("不能进行此操作" in m for m in _messages(response))
    a.scoring.refresh_from_db()
    assert a.scoring.status == RoundStatus.SCORING
    assert client.post(_url("round-move", a.scoring.pk, "explode")).status_code == 404


# --- the score grid ---------------------------------------------------------------------------
def _grid(a: Assessment, source: str = "daily", **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"source": source, **params}.items())
    return _url("round-scores", a.scoring.pk) + "?" + query


def test_the_grid_saves_every_changed_cell_at_once(assessment: Assessment) -> None:
    """GIVEN the scoring round with 甲县 already at 40 on D1 (with a comment) WHEN the office
    saves the daily grid with D1 and D2 for two units THEN the changed scores are written
    through the service, the comment stays, and an unchanged cell is not rewritten."""
    a = assessment
    d1, d2 = a.w.indicators["D1"], a.w.indicators["D2"]
    kept = ScoreEntry.objects.create(
        round=a.scoring, unit=a.org.county_a, indicator=d1, points=Decimal(40), comment="台账规范"
    )
    client = _client(a.org.assessor)
    response = client.get(_grid(a))
    assert response.status_code == 200
    assert f'name="{cell_name(a.org.county_a.pk, d1.pk)}"' in _text(response)
    data = {
        cell_name(a.org.county_a.pk, d1.pk): "45",
        cell_name(a.org.county_a.pk, d2.pk): "30.5",
        cell_name(a.org.county_b.pk, d1.pk): "40",
    }
    response = client.post(_grid(a), data, follow=True)
    assert any("已保存分数：3 项" in m for m in _messages(response))
    scores = {(s.unit_id, s.indicator_id): s for s in ScoreEntry.objects.filter(round=a.scoring)}
    assert scores[a.org.county_a.pk, d1.pk].points == Decimal(45)
    assert scores[a.org.county_a.pk, d1.pk].comment == "台账规范"
    assert scores[a.org.county_a.pk, d1.pk].assessor == a.org.assessor
    assert scores[a.org.county_a.pk, d2.pk].points == Decimal("30.50")
    assert len(scores) == 3
    kept.refresh_from_db()
    stamp = kept.entered_at
    response = client.post(_grid(a), data, follow=True)
    assert any("没有变化" in m for m in _messages(response))
    kept.refresh_from_db()
    assert kept.entered_at == stamp


def test_one_wrong_cell_saves_nothing_and_says_so_beside_it(assessment: Assessment) -> None:
    """GIVEN the grid WHEN one cell is over its indicator's maximum, one is not a number and one
    entered score is cleared THEN nothing is saved, each cell says what is wrong in Chinese,
    and the typed values come back."""
    a = assessment
    d1, d2 = a.w.indicators["D1"], a.w.indicators["D2"]
    ScoreEntry.objects.create(round=a.scoring, unit=a.org.county_b, indicator=d2, points=Decimal(7))
    data = {
        cell_name(a.org.county_a.pk, d1.pk): "45",
        cell_name(a.org.county_a.pk, d2.pk): "60",
        cell_name(a.org.township_a.pk, d1.pk): "abc",
        cell_name(a.org.county_b.pk, d2.pk): "",
    }
    response = _client(a.org.assessor).post(_grid(a), data)
    assert response.status_code == 422
    form = response.context["form"]
    assert "确保该值小于或等于50.00" in " ".join(form.errors[cell_name(a.org.county_a.pk, d2.pk)])
    assert "输入一个数字" in " ".join(form.errors[cell_name(a.org.township_a.pk, d1.pk)])
    assert "已录入的分数不能清空，请填 0" in " ".join(
        form.errors[cell_name(a.org.county_b.pk, d2.pk)]
    )
    page = _text(response)
    assert "未保存任何分数" in page and 'value="45"' in page
    assert ScoreEntry.objects.filter(round=a.scoring).count() == 1


def test_indicators_computed_from_the_ledger_are_read_only(assessment: Assessment) -> None:
    """GIVEN D2 computed from the ledger, with 甲县's computed score WHEN the office opens and
    saves the grid, even posting a value for D2 THEN D2 has no input and keeps its score."""
    a = assessment
    d2 = a.w.indicators["D2"]
    d2.metric = DailyMetric.ON_TIME_RATE
    d2.save()
    ScoreEntry.objects.create(
        round=a.scoring, unit=a.org.county_a, indicator=d2, points=Decimal(48)
    )
    client = _client(a.org.assessor)
    page = _text(client.get(_grid(a)))
    assert f'name="{cell_name(a.org.county_a.pk, d2.pk)}"' not in page
    assert "48.00" in page and "来自台账" in page
    client.post(_grid(a), {cell_name(a.org.county_a.pk, d2.pk): "1"})
    assert ScoreEntry.objects.get(indicator=d2).points == Decimal(48)


def test_the_grid_outside_scoring_is_shown_not_edited(assessment: Assessment) -> None:
    """GIVEN the round under review WHEN the office opens its grid THEN scores are shown without
    inputs; a forged save is refused in words and nothing is written."""
    a = assessment
    d1 = a.w.indicators["D1"]
    client = _client(a.org.assessor)
    url = _url("round-scores", a.review.pk) + "?source=daily"
    response = client.get(url)
    assert response.status_code == 200 and not response.context["editable"]
    assert 'type="number"' not in _text(response)
    response = client.post(url, {cell_name(a.org.county_a.pk, d1.pk): "10"})
    assert response.status_code == 422
    assert not ScoreEntry.objects.filter(round=a.review).exists()


def test_the_grid_runs_a_fixed_number_of_queries(
    assessment: Assessment, django_assert_max_num_queries: Any
) -> None:
    """The grid reads the round, its categories, the units, the indicators and the scores (with
    evidence counted) in one query each, for 5 units as for 25; saving too."""
    a = assessment
    client = _client(a.org.assessor)
    client.get(_grid(a))
    with CaptureQueriesContext(connection) as few:
        client.get(_grid(a))
    for n in range(20):
        unit = UnitFactory.create(parent=a.org.city, name=f"新县{n:02d}")
        CategoryMember.objects.create(scheme=a.w.scheme, category=a.w.category, unit=unit)
        ScoreEntry.objects.create(
            round=a.scoring, unit=unit, indicator=a.w.indicators["D1"], points=Decimal(1)
        )
    with django_assert_max_num_queries(len(few)):
        response = client.get(_grid(a))
    assert len(response.context["rows"]) == 25


# --- one score --------------------------------------------------------------------------------
def test_a_score_takes_a_comment_and_evidence(assessment: Assessment) -> None:
    """GIVEN 甲县's score on A1 WHEN the office corrects it with a comment and a PDF THEN both
    are saved; a file that is not what it claims is refused with nothing saved; 甲县's liaison
    downloads the evidence of its own score, 乙县's cannot."""
    a = assessment
    entry = ScoreEntry.objects.create(
        round=a.scoring, unit=a.org.county_a, indicator=a.w.indicators["A1"], points=Decimal(80)
    )
    client = _client(a.org.assessor)
    url = _url("score-detail", entry.pk)
    response = client.post(url, {"points": "85", "comment": "目标完成较好", "evidence": pdf()})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.points, entry.comment) == (Decimal(85), "目标完成较好")
    (stored,) = EvidenceFile.objects.filter(score=entry)
    bad = {"points": "90", "comment": "再改", "evidence": _not_a_pdf()}
    response = client.post(url, bad)
    assert response.status_code == 422
    assert "的内容与 .pdf 格式不符" in _text(response)
    entry.refresh_from_db()
    assert entry.points == Decimal(85) and EvidenceFile.objects.filter(score=entry).count() == 1
    download = _url("evidence-file", stored.pk)
    assert _client(a.org.inside).get(download).status_code == 200
    assert _client(a.org.outsider).get(download).status_code == 404
    response = client.post(url, {"points": "101", "comment": ""})
    assert response.status_code == 422 and "确保该值小于或等于100.00" in _text(response)
    ScoreEntry.objects.filter(pk=entry.pk).update(assessor=a.org.admin)
    stale = {"points": "70", "comment": "", "opened_at": "2022-07-10T09:00:00+08:00"}
    response = client.post(url, stale)
    assert response.status_code == 422 and "市管理员在您打开本页后保存了" in _text(response)
    entry.refresh_from_db()
    assert entry.points == Decimal(85)


def _not_a_pdf() -> Any:
    return SimpleUploadedFile("材料.pdf", b"just some text", "application/pdf")


# --- deductions -------------------------------------------------------------------------------
def test_recording_a_deduction_from_a_notice_with_evidence(assessment: Assessment) -> None:
    """GIVEN a notice sent to 甲县 WHEN the office opens the form from it THEN the origin and
    unit are filled in; recording saves the deduction with its evidence and lists it."""
    a = assessment
    notice = a.notice(a.org.county_a, "污水管网改造滞后")
    client = _client(a.org.assessor)
    url = _url("deduction-create", a.scoring.pk)
    response = client.get(f"{url}?notice={notice.pk}")
    assert response.status_code == 200
    form = response.context["form"]
    assert form.initial == {"notice": notice.pk, "unit": a.org.county_a.pk, "origin": "notice"}
    assert "污水管网改造滞后" in _text(response)
    data = {
        "unit": a.org.county_a.pk,
        "indicator": a.w.indicators["D2"].pk,
        "points": "3",
        "origin": "notice",
        "notice": notice.pk,
        "reason": "督办事项逾期未反馈",
        "evidence": pdf(),
    }
    response = client.post(f"{url}?notice={notice.pk}", data, follow=True)
    deduction = Deduction.objects.get(round=a.scoring)
    assert (deduction.notice, deduction.points, deduction.recorded_by) == (
        notice,
        Decimal(3),
        a.org.assessor,
    )
    assert deduction.evidence.count() == 1
    assert any("已记录扣分" in m for m in _messages(response))
    assert "督办事项逾期未反馈" in _text(response)


def test_a_wrong_deduction_is_refused_with_nothing_saved(assessment: Assessment) -> None:
    """GIVEN the form WHEN the points exceed the indicator's maximum, or the origin is a notice
    with none chosen, or the unit is not assessed THEN the form says why in Chinese and no
    deduction or file is saved."""
    a = assessment
    client = _client(a.org.assessor)
    url = _url("deduction-create", a.scoring.pk)
    base = {
        "unit": a.org.county_a.pk,
        "indicator": a.w.indicators["D1"].pk,
        "points": "3",
        "origin": "inspection",
        "reason": "暗访发现问题",
    }
    for fields, message in (
        ({"points": "51", "evidence": pdf()}, "扣分应大于0且不超过50.00分"),
        ({"origin": "notice"}, "请选择扣分所依据的督办单"),
        ({"unit": a.org.city_dept.pk}, "选择一个有效的选项"),
    ):
        response = client.post(url, {**base, **fields})
        assert response.status_code == 422, fields
        assert message in _text(response), fields
    assert not Deduction.objects.exists() and not EvidenceFile.objects.exists()


def test_no_deduction_in_a_frozen_round(assessment: Assessment) -> None:
    """GIVEN the published round WHEN the office opens its deduction form THEN it is refused
    (403 with the reason); its deductions list offers no button."""
    a = assessment
    published = a.rounds[RoundStatus.PUBLISHED]
    client = _client(a.org.assessor)
    response = client.get(_url("deduction-create", published.pk))
    assert response.status_code == 403
    assert "只能在评分和审核阶段记录扣分" in _text(response)
    listing = client.get(_url("round-deductions", published.pk))
    assert listing.status_code == 200 and not listing.context["may_deduct"]


def test_the_deductions_list_filters_and_runs_fixed_queries(
    assessment: Assessment, django_assert_max_num_queries: Any
) -> None:
    """GIVEN deductions of 甲县 (from inspection) and 乙县 (from a notice) WHEN the office
    filters by origin THEN only those are listed; the list costs the same queries for 2
    deductions as for 30."""
    a = assessment
    a.deduct(a.scoring, a.org.county_a)
    a.deduct(
        a.scoring,
        a.org.county_b,
        origin=DeductionOrigin.NOTICE,
        notice=a.notice(a.org.county_b),
    )
    client = _client(a.org.assessor)
    url = _url("round-deductions", a.scoring.pk)
    response = client.get(url, {"origin": "notice"})
    rows = list(response.context["table"].page.object_list)
    assert [row.record.unit for row in rows] == [a.org.county_b]
    detail = _url("deduction-detail", rows[0].record.pk)
    assert f'href="{detail}"' in _text(response)
    response = client.get(url, {"indicator": a.w.indicators["A1"].pk})
    assert len(list(response.context["table"].page.object_list)) == 0
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _n in range(28):
        a.deduct(a.scoring, a.org.county_a)
    with django_assert_max_num_queries(len(few)):
        response = client.get(url)
    assert response.context["table"].paginator.count == 30


def test_the_round_page_links_the_other_parts_of_the_round(
    assessment: Assessment, django_assert_max_num_queries: Any
) -> None:
    """GIVEN the scoring round WHEN the office opens it THEN it links the grid per source with
    its progress, the deductions, the import, the round's appeals, the ranking, the public
    survey and the button computing daily scores; for a handful of queries."""
    a = assessment
    ScoreEntry.objects.create(
        round=a.scoring, unit=a.org.county_a, indicator=a.w.indicators["A1"], points=Decimal(80)
    )
    client = _client(a.org.assessor)
    client.get(_url("round-detail", a.scoring.pk))
    with django_assert_max_num_queries(20):
        response = client.get(_url("round-detail", a.scoring.pk))
    progress = {p.source.value: (p.entered, p.expected) for p in response.context["progress"]}
    assert progress == {
        "daily": (0, 10),
        "annual": (1, 5),
        "third_party": (0, 5),
        "public": (0, 5),
    }
    page = _text(response)
    assert _url("round-scores", a.scoring.pk) + "?source=annual" in page
    assert _url("round-deductions", a.scoring.pk) in page
    for name in ("score-import", "round-ranking", "round-daily", "survey-manage"):
        assert _url(name, a.scoring.pk) in page, name
    assert f"{_url('appeal-queue')}?round={a.scoring.pk}" in page
    assert "开始评分" not in page and "结束评分，转入审核" in page


def test_a_deduction_from_an_overdue_ledger_item(assessment: Assessment) -> None:
    """GIVEN an overdue ledger item of 乙县 WHEN the office opens the form from it THEN the
    origin and the unit are filled in and the item is offered; recording names the item.
    An item of another campaign is not found."""
    a = assessment
    item = make_item(make_ledger(a.org.campaign), a.org.county_b, title="老旧小区改造")
    client = _client(a.org.assessor)
    url = _url("deduction-create", a.review.pk)
    response = client.get(f"{url}?item={item.pk}")
    assert response.context["form"].initial == {
        "item": item.pk,
        "unit": a.org.county_b.pk,
        "origin": "overdue_item",
    }
    assert "老旧小区改造" in _text(response)
    data = {
        "unit": a.org.county_b.pk,
        "indicator": a.w.indicators["D1"].pk,
        "points": "1.5",
        "origin": "overdue_item",
        "item": item.pk,
        "reason": "事项逾期未完成",
    }
    assert client.post(f"{url}?item={item.pk}", data).status_code == 302
    assert Deduction.objects.get(round=a.review).item == item
    assert client.get(f"{url}?item=999999").status_code == 404


def test_a_computed_score_is_shown_not_corrected(assessment: Assessment) -> None:
    """GIVEN 甲县's score on a daily indicator computed from the ledger WHEN the office opens it
    THEN it shows the formula and no form; a forged correction is refused in words."""
    a = assessment
    d2 = a.w.indicators["D2"]
    d2.metric = DailyMetric.NOTICES
    d2.save()
    entry = ScoreEntry.objects.create(
        round=a.scoring, unit=a.org.county_a, indicator=d2, points=Decimal(46)
    )
    client = _client(a.org.assessor)
    response = client.get(_url("score-detail", entry.pk))
    assert not response.context["editable"]
    assert daily_formula(d2) in _text(response) and "multipart/form-data" not in _text(response)
    response = client.post(_url("score-detail", entry.pk), {"points": "50", "comment": ""})
    assert response.status_code == 422
    assert "该分数按单位台账自动计算，不能手工录入。" in _text(response)
    entry.refresh_from_db()
    assert entry.points == Decimal(46)


def test_filtering_deductions_with_htmx_answers_the_table_alone(assessment: Assessment) -> None:
    """GIVEN deductions of 甲县 and 乙县 WHEN the filter asks through htmx for 乙县's THEN the
    answer is the results fragment alone, with 乙县's deduction only."""
    a = assessment
    a.deduct(a.scoring, a.org.county_a)
    a.deduct(a.scoring, a.org.county_b)
    response = _client(a.org.assessor).get(
        _url("round-deductions", a.scoring.pk),
        {"unit": a.org.county_b.pk},
        headers={"HX-Request": "true", "HX-Target": "deduction-results"},
    )
    page = _text(response)
    assert page.lstrip().startswith('<section id="deduction-results"')
    assert "乙县" in page and "甲县" not in page


def test_a_long_grid_is_paged_under_the_request_field_limit(
    assessment: Assessment, settings: Any
) -> None:
    """GIVEN a request limit of 16 fields and 2 typed daily indicators WHEN the office opens the
    grid of 5 units THEN it shows 3 units a page; saving the second page saves its units and
    returns to the second page."""
    a = assessment
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 16
    client = _client(a.org.assessor)
    first = client.get(_grid(a))
    assert len(first.context["rows"]) == 3 and first.context["page"].paginator.num_pages == 2
    assert "第 1 / 2 页（共 5 个单位）" in _text(first)
    second_url = _grid(a, page=2)
    second = client.get(second_url)
    units = [row.member.unit for row in second.context["rows"]]
    assert len(units) == 2
    d1 = a.w.indicators["D1"]
    response = client.post(second_url, {cell_name(u.pk, d1.pk): "30" for u in units})
    assert response.status_code == 302 and response["Location"] == second_url
    assert {s.unit for s in ScoreEntry.objects.filter(round=a.scoring)} == set(units)


def test_a_score_saved_by_someone_else_meanwhile_is_not_overwritten(
    assessment: Assessment,
) -> None:
    """GIVEN the office opened the grid an hour ago, and since then the city's administrator
    saved 甲县's D1 WHEN the office saves the grid as it saw it (甲县's D1 blank, 乙县's D1
    typed) THEN nothing is saved and the cell says who saved what; a score the office itself
    saved meanwhile is no conflict."""
    a = assessment
    d1 = a.w.indicators["D1"]
    ScoreEntry.objects.create(
        round=a.scoring,
        unit=a.org.county_a,
        indicator=d1,
        points=Decimal(33),
        assessor=a.org.admin,
    )
    hour_ago = "2022-07-10T09:00:00+08:00"
    data = {"opened_at": hour_ago, cell_name(a.org.county_b.pk, d1.pk): "40"}
    client = _client(a.org.assessor)
    response = client.post(_grid(a), data)
    assert response.status_code == 422
    assert "市管理员在您打开本页后保存了 33.00" in _text(response)
    assert ScoreEntry.objects.filter(round=a.scoring).count() == 1
    ScoreEntry.objects.filter(round=a.scoring).update(assessor=a.org.assessor)
    response = client.post(_grid(a), {**data, cell_name(a.org.county_a.pk, d1.pk): "33"})
    assert response.status_code == 302
    assert ScoreEntry.objects.filter(round=a.scoring).count() == 2
    assert 'name="opened_at"' in _text(client.get(_grid(a)))


# --- the services these pages added -----------------------------------------------------------
def test_the_services_behind_these_pages_refuse_outsiders_and_frozen_rounds(
    assessment: Assessment,
) -> None:
    """GIVEN a deduction in the published round and one in the scoring round WHEN evidence is
    attached by 甲县's liaison, or to the published round's, or a round is created by 乙县's
    liaison THEN each is refused in words and nothing is stored."""
    a = assessment
    frozen = a.deduct(a.rounds[RoundStatus.PUBLISHED], a.org.county_a)
    open_ = a.deduct(a.scoring, a.org.county_a)
    with pytest.raises(PermissionDenied):
        services.evidence_attach(actor=a.org.inside, files=[pdf()], deduction=open_)
    with pytest.raises(ValidationError, match="已发布"):
        services.evidence_attach(actor=a.org.assessor, files=[pdf()], deduction=frozen)
    with pytest.raises(PermissionDenied):
        services.round_create(
            scheme=a.w.scheme,
            actor=a.org.outsider,
            kind="annual",
            quarter=None,
            title="年度",
            period_start=dt.date(2023, 1, 1),
            period_end=dt.date(2023, 12, 31),
        )
    assert not EvidenceFile.objects.exists()
    (stored,) = services.evidence_attach(actor=a.org.assessor, files=[pdf()], deduction=open_)
    assert stored.deduction == open_ and stored.content_type == "application/pdf"


# --- the public ranking's switch ------------------------------------------------------------
def test_the_office_shows_and_hides_a_round_on_the_public_ranking(assessment: Assessment) -> None:
    """GIVEN the review round, not public WHEN the office shows it from the round's page and
    hides it through the API THEN both call the same services; a unit's liaison may do
    neither, from the page or the API, and nothing changes."""
    from rest_framework.test import APIClient

    round_ = assessment.review
    client = _client(assessment.org.assessor)
    assert "公开等次和档次" in _text(client.get(_url("round-detail", round_.pk)))
    response = client.post(_url("round-move", round_.pk, "show_publicly"), follow=True)
    assert any("发布后将在公开晾晒页面显示" in m for m in _messages(response))
    round_.refresh_from_db()
    assert round_.public
    api = APIClient()
    api.force_authenticate(assessment.org.assessor)
    answer = api.post(f"/api/v1/assessment-rounds/{round_.pk}/hide-publicly/")
    assert answer.status_code == 200, answer.content
    round_.refresh_from_db()
    assert not round_.public

    liaison = assessment.org.inside
    api.force_authenticate(liaison)
    assert api.post(f"/api/v1/assessment-rounds/{round_.pk}/show-publicly/").status_code in (
        403,
        404,
    )
    assert _client(liaison).post(_url("round-move", round_.pk, "show_publicly")).status_code == 403
    round_.refresh_from_db()
    assert not round_.public
