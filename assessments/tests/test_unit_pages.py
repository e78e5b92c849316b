"""The unit's pages and the appeals: a unit sees only its own results and deductions before
publication, the appeal button shows exactly when the rule allows it (and its POST is refused
otherwise), appeals are filed with evidence, the office decides them from its queue (upheld
reverses the deduction and changes the total; rejected keeps it), with a fixed number of
queries for the lists."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.models import User

from ..actions import APPEAL_ACTIONS, DEDUCTION_ACTIONS, allowed_actions
from ..models import (
    Appeal,
    AppealStatus,
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    EvidenceFile,
    Result,
    RoundStatus,
)
from ..results import round_compute
from ..rules import can_decide_appeal, can_file_appeal
from .conftest import APPEAL_UNTIL, Assessment

pytestmark = pytest.mark.django_db

D = Decimal
TZ = dt.timezone(dt.timedelta(hours=8))
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PERSONAS = ["inside", "above", "supervisor", "outsider", "official", "assessor", "admin"]


def on(day: dt.date) -> Any:
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=TZ), tick=False)


@pytest.fixture
def world(assessment: Assessment) -> Iterator[dict[str, Any]]:
    """In the review round (Q2, appeals until 20 July 2022): 甲县 with full marks but 5 points
    off D1 (from a notice) and 3 off D2; 乙县 with a deduction of its own. The clock reads
    10 July 2022, the window open."""
    a = assessment
    for unit in (a.org.county_a, a.org.county_b, *a.w.units):
        a.w.full_marks(unit)
    notice = a.notice(a.org.county_a, "污水管网改造进度滞后")
    mine = a.deduct(a.review, a.org.county_a, "5", origin=DeductionOrigin.NOTICE, notice=notice)
    second = Deduction.objects.create(
        round=a.review,
        unit=a.org.county_a,
        indicator=a.w.indicators["D2"],
        points=D(3),
        reason="督办事项未按期反馈",
        origin=DeductionOrigin.INSPECTION,
    )
    theirs = a.deduct(a.review, a.org.county_b, "4")
    with on(dt.date(2022, 7, 10)):
        yield {"mine": mine, "second": second, "theirs": theirs}


def queries(client: Any, url: str) -> int:
    """How many queries a GET of ``url`` runs (answered with 200)."""
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def page(client: Any, user: Any, name: str, *args: Any, query: str = "") -> Any:
    client.force_login(user)
    return client.get(reverse(f"assessments:{name}", args=args) + query)


# --- what a unit sees ----------------------------------------------------------------------------
def test_my_results_lists_the_units_rounds_and_only_published_results(
    client: Any, assessment: Assessment, world: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    """GIVEN 甲县 in rounds of every status, a result in the published Q1 WHEN its liaison
    opens 我的考核 THEN every round but the draft, the published total, no total elsewhere."""
    a = assessment
    published = a.rounds[RoundStatus.PUBLISHED]
    Result.objects.create(
        round=published,
        unit=a.org.county_a,
        category=a.w.category,
        daily=D(90),
        annual=D(90),
        third_party=D(90),
        public=D(90),
        total=D("91.25"),
        band_grade="excellent",
        grade="excellent",
        rank=1,
        tier=1,
    )
    # A result of the review round exists (the office computed it) but is not shown yet.
    round_compute(round_=a.review)
    client.force_login(a.org.inside)
    url = reverse("assessments:my-results")
    # Session and user; jurisdiction (groups, posts, roles) and the office's roles; the
    # units picker; the rounds; the results; the deductions counted; the menu's checks.
    with django_assert_max_num_queries(14):
        response = client.get(url)
    text = response.content.decode()
    assert response.status_code == 200
    for status in (RoundStatus.REVIEW, RoundStatus.SCORING, RoundStatus.PUBLISHED):
        assert a.rounds[status].title in text
    assert a.rounds[RoundStatus.DRAFT].title not in text
    assert "91.25" in text
    review_total = Result.objects.get(round=a.review, unit=a.org.county_a).total
    assert str(review_total) not in text
    assert "扣分 2 项" in text and "可申诉至 2022-07-20" in text


def test_a_unit_sees_its_own_round_but_no_ranking_before_publication(
    client: Any, assessment: Assessment, world: dict[str, Any]
) -> None:
    a = assessment
    round_compute(round_=a.review)
    response = page(client, a.org.inside, "unit-round", a.review.pk)
    text = response.content.decode()
    assert response.status_code == 200
    assert "甲县" in text and "暗访发现台账更新不及时" in text and "督办事项未按期反馈" in text
    assert "尚未发布" in text
    assert 'id="result-heading"' not in text  # no total, grade, rank or tier yet
    assert str(Result.objects.get(round=a.review, unit=a.org.county_a).total) not in text
    assert "乙县" not in text
    assert text.count(reverse("assessments:appeal-create", args=[world["mine"].pk])) == 1


@pytest.mark.parametrize("persona", ["inside", "outsider"])
def test_a_unit_cannot_open_another_units_round_or_deduction(
    client: Any, assessment: Assessment, world: dict[str, Any], persona: str
) -> None:
    a = assessment
    user = getattr(a.org, persona)
    other = a.org.county_b if persona == "inside" else a.org.county_a
    deduction = world["theirs"] if persona == "inside" else world["mine"]
    response = page(client, user, "unit-round", a.review.pk, query=f"?unit={other.pk}")
    assert response.status_code == 404
    assert "不在你可查看的范围内" in response.content.decode()
    for name in ("deduction-detail", "appeal-create", "deduction-history"):
        response = page(client, user, name, deduction.pk)
        assert response.status_code == 404, name
        assert "没有这条扣分记录" in response.content.decode()
    response = client.post(
        reverse("assessments:appeal-create", args=[deduction.pk]), {"reasons": "不服"}
    )
    assert response.status_code == 404
    assert not Appeal.objects.exists()


def test_a_deduction_shows_its_reason_origin_and_history(
    client: Any, assessment: Assessment, world: dict[str, Any]
) -> None:
    response = page(client, assessment.org.inside, "deduction-detail", world["mine"].pk)
    text = response.content.decode()
    assert response.status_code == 200
    assert "暗访发现台账更新不及时" in text and "通知" in text
    assert reverse("accountability:notice-detail", args=[world["mine"].notice_id]) in text
    assert "可在 2022-07-20 前" in text
    assert reverse("assessments:deduction-history", args=[world["mine"].pk]) in text
    history = page(client, assessment.org.inside, "deduction-history", world["mine"].pk)
    assert history.status_code == 200


# --- filing an appeal -----------------------------------------------------------------------------
def test_the_liaison_appeals_with_evidence(
    client: Any, assessment: Assessment, world: dict[str, Any]
) -> None:
    a = assessment
    client.force_login(a.org.inside)
    url = reverse("assessments:appeal-create", args=[world["mine"].pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "reasons": "该事项已于6月28日书面反馈，附反馈回执",
            "evidence": [SimpleUploadedFile("回执.pdf", PDF, "application/pdf")],
        },
        follow=True,
    )
    assert "申诉已提交" in response.content.decode()
    appeal = Appeal.objects.get()
    assert (appeal.deduction_id, appeal.status, appeal.filed_by) == (
        world["mine"].pk,
        AppealStatus.PENDING,
        a.org.inside,
    )
    (evidence,) = EvidenceFile.objects.filter(appeal=appeal)
    assert evidence.original_name == "回执.pdf" and evidence.content_type == "application/pdf"
    download = client.get(reverse("assessments:evidence-file", args=[evidence.pk]))
    assert download.status_code == 200
    client.force_login(a.org.outsider)
    download = client.get(reverse("assessments:evidence-file", args=[evidence.pk]))
    assert download.status_code == 404
    # One pending appeal at a time: no more button, and a second POST is refused.
    again = page(client, a.org.inside, "deduction-detail", world["mine"].pk).content.decode()
    assert f'href="{url}"' not in again and "已有待决定的申诉" in again


def test_bad_input_saves_nothing(
    client: Any, assessment: Assessment, world: dict[str, Any]
) -> None:
    client.force_login(assessment.org.inside)
    url = reverse("assessments:appeal-create", args=[world["mine"].pk])
    response = client.post(url, {"reasons": "  "})
    assert response.status_code == 422
    assert "未保存任何内容" in response.content.decode()
    response = client.post(
        url,
        {
            "reasons": "理由",
            "evidence": [SimpleUploadedFile("x.pdf", b"not a pdf", "application/pdf")],
        },
    )
    assert response.status_code == 422
    assert "不是真正的" in response.content.decode() or ".pdf" in response.content.decode()
    assert not Appeal.objects.exists() and not EvidenceFile.objects.exists()


def test_the_window_closed_no_button_and_the_post_is_refused(
    client: Any, assessment: Assessment, world: dict[str, Any]
) -> None:
    a = assessment
    url = reverse("assessments:appeal-create", args=[world["mine"].pk])
    with on(APPEAL_UNTIL + dt.timedelta(days=1)):
        text = page(client, a.org.inside, "unit-round", a.review.pk).content.decode()
        assert f'href="{url}"' not in text and "申诉期已结束" in text
        detail = page(client, a.org.inside, "deduction-detail", world["mine"].pk)
        assert f'href="{url}"' not in detail.content.decode()
        assert "申诉期已于" in detail.content.decode()
        response = client.get(url, follow=True)
        assert "申诉期已于" in response.content.decode()
        response = client.post(url, {"reasons": "不服"})
        assert response.status_code == 422
        assert "申诉期已于" in response.content.decode()
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_appeal_button_the_page_and_the_api_follow_the_rule(
    client: Any, assessment: Assessment, world: dict[str, Any], persona: str
) -> None:
    """For every persona, on a fresh deduction of 甲县 per path: the deduction page shows the
    appeal button exactly when ``can_file_appeal`` (and the page's actions) say so, and the
    page's POST and the API's agree with it."""
    a = assessment
    user = getattr(a.org, persona)
    answers = []
    for path in ("page", "api"):
        deduction = a.deduct(a.review, a.org.county_a, "2")
        fresh = User.objects.get(pk=user.pk)
        allowed = can_file_appeal(fresh, deduction)
        assert allowed == ("appeal" in allowed_actions(DEDUCTION_ACTIONS, fresh, deduction))
        url = reverse("assessments:appeal-create", args=[deduction.pk])
        if path == "page":
            detail = page(client, user, "deduction-detail", deduction.pk)
            assert detail.status_code in (200, 404)
            assert (f'href="{url}"' in detail.content.decode()) == allowed
            response = client.post(url, {"reasons": "不服"})
            assert response.status_code in ((302,) if allowed else (403, 404))
        else:
            api = APIClient()
            api.force_authenticate(fresh)
            response = api.post(
                "/api/v1/appeals/", {"deduction": deduction.pk, "reasons": "不服"}, format="json"
            )
            assert response.status_code in ((201,) if allowed else (400, 403, 404))
        filed = Appeal.objects.filter(deduction=deduction, filed_by=user).exists()
        answers.append((allowed, filed))
    assert answers[0] == answers[1] == ((persona == "inside"),) * 2


# --- the office decides ---------------------------------------------------------------------------
@pytest.fixture
def filed(assessment: Assessment, world: dict[str, Any]) -> Appeal:
    return Appeal.objects.create(
        deduction=world["mine"], reasons="已按期反馈", filed_by=assessment.org.inside
    )


def test_the_queue_lists_pending_first_with_a_fixed_number_of_queries(
    client: Any, assessment: Assessment, world: dict[str, Any], filed: Appeal
) -> None:
    a = assessment
    older = Appeal.objects.create(
        deduction=world["theirs"],
        reasons="乙县不服",
        filed_by=a.org.outsider,
        status=AppealStatus.REJECTED,
    )
    client.force_login(a.org.assessor)
    url = reverse("assessments:appeal-queue")

    # Session and user; jurisdiction (groups, posts, roles) and the office's roles; the
    # filter's round and unit choices; the count to decide; the page's count and rows.
    few = queries(client, url)
    for n in range(5):
        Appeal.objects.create(
            deduction=world["second"] if n == 0 else a.deduct(a.review, a.org.county_a, "1"),
            reasons=f"理由{n}",
            filed_by=a.org.inside,
        )
    assert queries(client, url) == few <= 16
    text = client.get(url).content.decode()
    assert text.index("已按期反馈") < text.index("乙县不服")
    assert "6 件待你决定" in text
    filtered = client.get(url + "?status=rejected").content.decode()
    assert "乙县不服" in filtered and "已按期反馈" not in filtered
    client.force_login(a.org.inside)
    mine = client.get(url).content.decode()
    assert "已按期反馈" in mine and "乙县不服" not in mine and older.reasons not in mine


def test_upheld_reverses_the_deduction_and_the_total_rises(
    client: Any, assessment: Assessment, world: dict[str, Any], filed: Appeal
) -> None:
    a = assessment
    round_compute(round_=a.review)
    before = Result.objects.get(round=a.review, unit=a.org.county_a).total
    client.force_login(a.org.assessor)
    url = reverse("assessments:appeal-detail", args=[filed.pk])
    assert "提交决定" in client.get(url).content.decode()
    response = client.post(url, {"decision": "upheld", "reason": "回执属实"}, follow=True)
    assert "申诉成立" in response.content.decode()
    filed.refresh_from_db()
    deduction = Deduction.objects.get(pk=world["mine"].pk)
    assert (filed.status, filed.decided_by, filed.decision_reason) == (
        AppealStatus.UPHELD,
        a.org.assessor,
        "回执属实",
    )
    assert deduction.status == DeductionStatus.REVERSED and "回执属实" in deduction.reversed_reason
    round_compute(round_=a.review)
    after = Result.objects.get(round=a.review, unit=a.org.county_a).total
    assert after == before + D(2)  # 5 of D1's 50 daily points back: 5 of 100 × 40 %
    # Both stay on record, with their history, for the unit to read.
    text = page(client, a.org.inside, "deduction-detail", deduction.pk).content.decode()
    assert "申诉成立" in text and "回执属实" in text and "已撤销" in text
    history = page(client, a.org.inside, "deduction-history", deduction.pk).content.decode()
    assert "申诉" in history


def test_rejected_keeps_the_deduction(
    client: Any, assessment: Assessment, world: dict[str, Any], filed: Appeal
) -> None:
    a = assessment
    round_compute(round_=a.review)
    before = Result.objects.get(round=a.review, unit=a.org.county_a).total
    client.force_login(a.org.assessor)
    url = reverse("assessments:appeal-detail", args=[filed.pk])
    response = client.post(url, {"decision": "rejected", "reason": "回执晚于时限"}, follow=True)
    assert "申诉不成立" in response.content.decode()
    assert Deduction.objects.get(pk=world["mine"].pk).status == DeductionStatus.STANDING
    round_compute(round_=a.review)
    assert Result.objects.get(round=a.review, unit=a.org.county_a).total == before
    text = page(client, a.org.inside, "appeal-detail", filed.pk).content.decode()
    assert "回执晚于时限" in text and "提交决定" not in text


def test_a_decision_without_a_reason_saves_nothing(
    client: Any, assessment: Assessment, filed: Appeal
) -> None:
    client.force_login(assessment.org.assessor)
    url = reverse("assessments:appeal-detail", args=[filed.pk])
    response = client.post(url, {"decision": "upheld", "reason": " "})
    assert response.status_code == 422
    assert "请填写裁决理由" in response.content.decode()
    response = client.post(url, {"reason": "理由"})
    assert response.status_code == 422 and "请选择申诉成立还是不成立" in response.content.decode()
    filed.refresh_from_db()
    assert filed.status == AppealStatus.PENDING


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_decision_page_and_api_follow_the_rule(
    client: Any, assessment: Assessment, world: dict[str, Any], persona: str
) -> None:
    """For every persona, on a fresh appeal per path: the decide form shows exactly when
    ``can_decide_appeal`` says so, and the page's POST and the API's agree with it."""
    a = assessment
    user = getattr(a.org, persona)
    answers = []
    for path in ("page", "api"):
        appeal = Appeal.objects.create(
            deduction=a.deduct(a.review, a.org.county_a, "2"), reasons="不服", filed_by=a.org.inside
        )
        fresh = User.objects.get(pk=user.pk)
        allowed = can_decide_appeal(fresh, appeal)
        assert allowed == ("decide" in allowed_actions(APPEAL_ACTIONS, fresh, appeal))
        if path == "page":
            url = reverse("assessments:appeal-detail", args=[appeal.pk])
            client.force_login(user)
            shown = client.get(url)
            assert shown.status_code in (200, 404)
            assert ("提交决定" in shown.content.decode()) == allowed
            response = client.post(url, {"decision": "upheld", "reason": "成立"})
            assert response.status_code in ((302,) if allowed else (403, 404))
        else:
            api = APIClient()
            api.force_authenticate(fresh)
            response = api.post(
                f"/api/v1/appeals/{appeal.pk}/decide/",
                {"upheld": True, "reason": "成立"},
                format="json",
            )
            assert response.status_code in ((200,) if allowed else (403, 404))
        appeal.refresh_from_db()
        answers.append((allowed, appeal.status == AppealStatus.UPHELD))
    assert answers[0] == answers[1] == ((persona in ("assessor", "admin")),) * 2


# --- published: the whole result ------------------------------------------------------------------
def test_once_published_the_unit_sees_rank_tier_and_movement(
    client: Any, assessment: Assessment, world: dict[str, Any]
) -> None:
    a = assessment
    round_compute(round_=a.review)
    a.review.status = RoundStatus.PUBLISHED
    a.review.save(update_fields=["status"])
    Result.objects.filter(round=a.review, unit=a.org.county_a).update(movement=2)
    result = Result.objects.get(round=a.review, unit=a.org.county_a)
    text = page(client, a.org.inside, "unit-round", a.review.pk).content.decode()
    assert 'id="result-heading"' in text and str(result.total) in text and "↑2" in text
    assert f"第{result.tier}档" in text
    # Still never another unit's deductions.
    assert "乙县" not in text
    assert page(client, a.org.inside, "deduction-detail", world["theirs"].pk).status_code == 404


def test_the_units_round_costs_the_same_whatever_its_deductions(
    client: Any, assessment: Assessment, world: dict[str, Any], filed: Appeal
) -> None:
    """GIVEN 甲县's round with 2 deductions (one appealed), then 7 (more appealed) WHEN its
    liaison opens the round THEN the same number of queries."""
    a = assessment
    client.force_login(a.org.inside)
    url = reverse("assessments:unit-round", args=[a.review.pk])

    # Session and user; jurisdiction and the office's roles; the round; the unit; the
    # indicators; the scores; the deductions with their appeals; the result is not read
    # before publication; the menu.
    few = queries(client, url)
    for n in range(5):
        deduction = a.deduct(a.review, a.org.county_a, "1")
        if n % 2:
            Appeal.objects.create(deduction=deduction, reasons="不服", filed_by=a.org.inside)
    assert queries(client, url) == few <= 20


def test_the_queue_filters_say_all_in_words(client: Any, assessment: Assessment) -> None:
    text = page(client, assessment.org.assessor, "appeal-queue").content.decode()
    assert "---------" not in text and text.count(">全部</option>") == 3
    assert client.get(reverse("assessments:appeal-queue") + "?status=bogus").status_code == 200


def test_the_queue_draws_its_unit_choices_without_a_template_per_option(
    client: Any, assessment: Assessment
) -> None:
    """GIVEN the assessor WHEN the appeals queue is drawn THEN its unit filter lists the units
    but no template was rendered for them (a province's 5,000 units took seconds so)."""
    from django.test.signals import template_rendered

    rendered: list[str] = []

    def seen(sender: Any, template: Any, **kwargs: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(seen)
    try:
        text = page(client, assessment.org.assessor, "appeal-queue").content.decode()
    finally:
        template_rendered.disconnect(seen)

    units = text.split('name="unit"', 1)[1].split("</select>", 1)[0].count("<option")
    assert units > 2
    drawn = rendered.count("django/forms/widgets/select_option.html")
    assert drawn <= text.count("<option") - units
