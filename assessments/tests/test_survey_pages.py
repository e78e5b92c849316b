"""The public survey's pages, without sign-in: the open rounds, the form (CSRF kept), the
honeypot, the limit per client address in the real Redis cache, refusals in Chinese, and no
trace of the phone number in any table, history row or log line; and the office's page: who
may open it, its switches, computing public scores and its fixed number of queries."""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pghistory.models
import pytest
import time_machine
from django.apps import apps
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from ..models import (
    CategoryMember,
    Round,
    RoundStatus,
    ScoreEntry,
    Source,
    SurveyResponse,
    UnitCategory,
)
from .conftest import Assessment

PHONE = "13812345678"
DUPLICATE = "该手机号已参加过本轮评价"
CLOSED = "本轮评价已结束"


@pytest.fixture(autouse=True)
def own_cache(settings: Any) -> Iterator[None]:
    """A cache key prefix of this test's own in the real Redis, so the limit's counts start
    at zero and no other test (or a run in another shell) shares them."""
    caches = {alias: dict(config) for alias, config in django_settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"nlzf-test-survey-{uuid.uuid4().hex}"
    settings.CACHES = caches
    assert "RedisCache" in caches["default"]["BACKEND"]
    # The clock stands still: django-ratelimit counts in fixed windows, and answers either
    # side of a window's end would each start a fresh count.
    with time_machine.travel(time.time(), tick=False):
        yield


@pytest.fixture
def survey(assessment: Assessment) -> Round:
    """The scoring round (Q3) with its survey open."""
    round_ = assessment.scoring
    round_.survey_open = True
    round_.save(update_fields=["survey_open"])
    return round_


def form_url(round_: Round) -> str:
    return reverse("public:survey-round", args=[round_.pk])


def filled(unit: Any, /, phone: str = PHONE, **fields: Any) -> dict[str, Any]:
    data = {
        "unit": unit.pk,
        "attitude": 5,
        "efficiency": 4,
        "conduct": 4,
        "overall": 5,
        "comment": "办事很快",
        "phone": phone,
        "website": "",
    }
    return {**data, **fields}


def post_with_token(client: Client, url: str, data: dict[str, Any], **extra: Any) -> Any:
    client.get(url, **extra)
    token = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    return client.post(url, {**data, "csrfmiddlewaretoken": token}, **extra)


# --- the public side ---------------------------------------------------------------------------
def test_the_list_shows_open_rounds_only_and_no_staff_menu(
    client: Client, survey: Round, assessment: Assessment
) -> None:
    published = assessment.rounds[RoundStatus.PUBLISHED]
    Round.objects.filter(pk=published.pk).update(survey_open=True)
    response = client.get(reverse("public:survey"))
    assert response.status_code == 200
    html = response.content.decode()
    assert form_url(survey) in html and survey.title in html
    assert form_url(published) not in html and form_url(assessment.review) not in html
    for staff in ("/campaigns/", "/ledgers/", "/supervision/", "/assessments/", "登录"):
        assert staff not in html
    Round.objects.update(survey_open=False)
    assert "目前没有正在进行的评价" in client.get(reverse("public:survey")).content.decode()


def test_the_form_lists_the_units_by_category_with_four_ratings(
    client: Client, survey: Round, assessment: Assessment
) -> None:
    response = client.get(form_url(survey))
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<optgroup label="{assessment.w.category.name}">' in html
    assert assessment.org.county_a.name in html and assessment.org.city_dept.name not in html
    for label in ("服务态度", "办事效率", "廉洁守纪", "总体满意度", "非常满意", "非常不满意"):
        assert label in html
    assert html.count('type="radio"') == 4 * 5
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'name="website"' in html and 'tabindex="-1"' in html


def test_an_answer_is_saved_and_thanked_with_csrf_kept(survey: Round, assessment: Assessment):
    """GIVEN a browser that enforces CSRF WHEN it posts without the token THEN refused, nothing
    saved; WHEN it posts from the form THEN the thanks page, one answer saved."""
    client = Client(enforce_csrf_checks=True)
    url = form_url(survey)
    refused = client.post(url, filled(assessment.org.county_a))
    assert refused.status_code == 403 and not SurveyResponse.objects.exists()
    response = post_with_token(client, url, filled(assessment.org.county_a))
    assert response.status_code == 302
    assert response["Location"] == reverse("public:survey-thanks", args=[survey.pk])
    saved = SurveyResponse.objects.get()
    assert (saved.unit, saved.attitude, saved.overall) == (assessment.org.county_a, 5, 5)
    thanks = client.get(response["Location"])
    assert "感谢您的评价" in thanks.content.decode()


def test_a_second_answer_from_the_number_is_refused_in_chinese(
    client: Client, survey: Round, assessment: Assessment
) -> None:
    client.post(form_url(survey), filled(assessment.org.county_a))
    response = client.post(
        form_url(survey), filled(assessment.org.county_b, phone="+86 138-1234-5678")
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert DUPLICATE in html and "您的评价未保存" in html
    assert SurveyResponse.objects.count() == 1


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "请填写11位中国大陆手机号码"),
        ("phone", "", "请填写手机号码"),
        ("overall", "", "请选择 1 至 5 分"),
        ("overall", "9", "请选择 1 至 5 分"),
        ("unit", "", "请选择您办事的单位"),
    ],
)
def test_bad_input_is_refused_in_chinese_with_nothing_saved(
    client: Client, survey: Round, assessment: Assessment, field: str, value: str, message: str
) -> None:
    response = client.post(form_url(survey), filled(assessment.org.county_a, **{field: value}))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_unit_outside_the_round_is_refused(
    client: Client, survey: Round, assessment: Assessment
) -> None:
    response = client.post(form_url(survey), filled(assessment.org.city_dept))
    assert response.status_code == 400
    assert "请从本次评价列出的单位中选择" in response.content.decode()
    assert not SurveyResponse.objects.exists()


def test_a_bot_filling_the_honeypot_is_thanked_and_nothing_is_saved(
    client: Client, survey: Round, assessment: Assessment
) -> None:
    bot = client.post(
        form_url(survey), filled(assessment.org.county_a, website="http://spam.example")
    )
    person = client.post(form_url(survey), filled(assessment.org.county_a, phone="13900000000"))
    assert bot.status_code == person.status_code == 302
    assert bot["Location"] == person["Location"]
    assert SurveyResponse.objects.count() == 1  # the person's answer alone


def test_a_closed_round_says_so_in_chinese(
    client: Client, assessment: Assessment, survey: Round
) -> None:
    for round_ in (assessment.review, assessment.rounds[RoundStatus.PUBLISHED]):
        page = client.get(form_url(round_))
        assert page.status_code == 200 and CLOSED in page.content.decode()
        posted = client.post(form_url(round_), filled(assessment.org.county_a))
        assert posted.status_code == 403 and CLOSED in posted.content.decode()
    assert client.get(reverse("public:survey-round", args=[999999])).status_code == 404
    assert not SurveyResponse.objects.exists()


def test_the_limit_per_address_answers_429_in_chinese(
    client: Client, survey: Round, assessment: Assessment, settings: Any
) -> None:
    """GIVEN a limit of 2 answers per 10 minutes WHEN an address sends a third THEN 429 with
    a Chinese page in the site's layout saying when to try again, and nothing saved; another
    address still answers. Counted in the real Redis cache."""
    settings.SURVEY_RATE_LIMIT = "2/10m"
    url = form_url(survey)
    for n in range(2):
        assert (
            client.post(url, filled(assessment.org.county_a, phone=f"1390000000{n}")).status_code
            == 302
        )
    limited = client.post(url, filled(assessment.org.county_a, phone="13900000009"))
    assert limited.status_code == 429
    assert limited["Retry-After"] == "600"
    html = limited.content.decode()
    assert "提交过于频繁" in html and "请 10 分钟后再试" in html
    assert "app-navbar" in html and "群众满意度评价" in html  # the site's layout
    assert SurveyResponse.objects.count() == 2
    assert client.get(url).status_code == 200  # reading the form is not limited
    other = client.post(
        url, filled(assessment.org.county_a, phone="13900000008"), REMOTE_ADDR="10.0.0.8"
    )
    assert other.status_code == 302 and SurveyResponse.objects.count() == 3


def test_behind_the_proxy_the_limit_counts_the_client_the_proxy_saw(
    client: Client, survey: Round, assessment: Assessment, settings: Any
) -> None:
    """GIVEN one trusted proxy WHEN two clients answer through it THEN each has its own count,
    and an X-Forwarded-For entry a client wrote itself does not give it a fresh one."""
    settings.SURVEY_RATE_LIMIT = "1/10m"
    settings.TRUSTED_PROXY_COUNT = 1
    url = form_url(survey)
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def send(forwarded: str, phone: str) -> int:
        data = filled(assessment.org.county_a, phone=phone)
        return client.post(url, data, HTTP_X_FORWARDED_FOR=forwarded, **proxy).status_code

    assert send("203.0.113.5", "13900000001") == 302
    assert send("203.0.113.6", "13900000002") == 302  # another client
    assert send("198.51.100.1, 203.0.113.5", "13900000003") == 429  # a forged entry is ignored
    assert SurveyResponse.objects.count() == 2


def test_the_number_is_in_no_table_history_row_or_log_line(
    client: Client, survey: Round, assessment: Assessment, caplog: Any
) -> None:
    """GIVEN answers sent through the page (one refused as a duplicate) THEN no column of the
    answers' table, no history event or context and no log record holds the number."""
    caplog.set_level(logging.DEBUG)
    client.post(form_url(survey), filled(assessment.org.county_a, phone="138 1234 5678"))
    client.post(form_url(survey), filled(assessment.org.county_b, phone=PHONE))
    assert SurveyResponse.objects.count() == 1
    tables = [SurveyResponse._meta.db_table, pghistory.models.Context._meta.db_table]
    tables += [
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, pghistory.models.Event) and not model._meta.proxy
    ]
    with connection.cursor() as cursor:
        for table in sorted(set(tables)):
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - our own tables
            text = " ".join(row[0] for row in cursor.fetchall())
            assert "12345678" not in text, table
    assert "12345678" not in caplog.text and "1234 5678" not in caplog.text


# --- the office's side -----------------------------------------------------------------------
def manage_url(round_: Round, action: str = "") -> str:
    name = f"assessments:survey-{action}" if action else "assessments:survey-manage"
    return reverse(name, args=[round_.pk])


def test_only_the_office_opens_the_manage_page(
    client: Client, survey: Round, assessment: Assessment
) -> None:
    """The office (and administrators) read it; everyone else gets 403 in Chinese, and
    anonymous callers are sent to log in."""
    org = assessment.org
    assert client.get(manage_url(survey)).status_code == 302
    for persona in (org.inside, org.outsider, org.official, org.above, org.supervisor):
        client.force_login(persona)
        for response in (
            client.get(manage_url(survey)),
            client.post(manage_url(survey, "open")),
            client.post(manage_url(survey, "close")),
            client.post(manage_url(survey, "compute")),
        ):
            assert response.status_code == 403
            assert "只有负责本活动的考核办可以管理公众评价" in response.content.decode()
    survey.refresh_from_db()
    assert survey.survey_open and not ScoreEntry.objects.exists()
    for persona in (org.assessor, org.admin, org.superuser):
        client.force_login(persona)
        assert client.get(manage_url(survey)).status_code == 200


def test_the_office_closes_opens_and_computes_through_the_page(
    client: Client, survey: Round, assessment: Assessment, settings: Any
) -> None:
    settings.SURVEY_RATE_LIMIT = "100/10m"
    org = assessment.org
    for n in range(5):
        client.post(form_url(survey), filled(org.county_a, phone=f"1390000000{n}"))
    client.post(form_url(survey), filled(org.county_b, phone="13900000009"))
    client.force_login(org.assessor)
    page = client.get(manage_url(survey)).content.decode()
    assert "评价进行中" in page and 'id="survey-total">6<' in page
    assert page.count("办事很快") == 6  # the comments, newest first
    assert form_url(survey) in page
    response = client.post(manage_url(survey, "close"), follow=True)
    assert "公众评价已关闭" in response.content.decode()
    survey.refresh_from_db()
    assert not survey.survey_open
    response = client.post(manage_url(survey, "compute"), follow=True)
    html = response.content.decode()
    assert "写入 1 项得分" in html
    assert "乙县（1 份）" in html and "未计公众考核得分" in html
    points = ScoreEntry.objects.get(round=survey, indicator__source=Source.PUBLIC)
    assert points.unit == org.county_a and points.points == Decimal(
        "87.50"
    )  # mean 4.5 → 100 × 3.5 / 4
    client.post(manage_url(survey, "open"))
    survey.refresh_from_db()
    assert survey.survey_open


def test_a_published_round_refuses_computing_on_the_page(
    client: Client, assessment: Assessment
) -> None:
    published = assessment.rounds[RoundStatus.PUBLISHED]
    client.force_login(assessment.org.assessor)
    page = client.get(manage_url(published)).content.decode()
    assert "本轮已公布" in page and manage_url(published, "compute") not in page
    response = client.post(manage_url(published, "compute"), follow=True)
    assert "已发布" in response.content.decode()
    response = client.post(manage_url(published, "open"), follow=True)
    assert "已发布" in response.content.decode()
    published.refresh_from_db()
    assert not published.survey_open and not ScoreEntry.objects.exists()


def test_manage_page_query_count_is_fixed(
    client: Client,
    survey: Round,
    assessment: Assessment,
    settings: Any,
    django_assert_num_queries: Any,
) -> None:
    """Five units with answers or one, 14 queries: the user (the session is cached); the
    round; the jurisdiction (supervision groups, posts, roles) and the office's roles; the
    units counted for the pages and one page of them (answers, ratings and public points by
    subquery); the answers in the round counted; the latest comments with their units; the
    navbar's unread notifications; the session saved (savepoint, update, release). The rule
    that offers computing reuses the memos."""
    settings.SURVEY_RATE_LIMIT = "100/10m"
    org = assessment.org
    client.force_login(org.assessor)
    client.get(manage_url(survey))  # the session settles
    client.post(form_url(survey), filled(org.county_a, phone="13900000001"))
    client.force_login(org.assessor)
    with django_assert_num_queries(14):
        assert client.get(manage_url(survey)).status_code == 200
    for n, unit in enumerate((org.county_b, org.township_a, *assessment.w.units), start=2):
        client.post(form_url(survey), filled(unit, phone=f"139000000{n:02d}"))
    with django_assert_num_queries(14):
        assert client.get(manage_url(survey)).status_code == 200


def test_the_admin_shows_answers_but_not_the_hash_and_changes_none(
    client: Client, survey: Round, assessment: Assessment
) -> None:
    """GIVEN an answer WHEN the superuser inspects it in the admin THEN its unit, ratings
    and comment show, its hash does not; adding or changing one is refused to everyone."""
    client.post(form_url(survey), filled(assessment.org.county_a))
    saved = SurveyResponse.objects.get()
    client.force_login(assessment.org.superuser)
    listing = client.get(reverse("admin:assessments_surveyresponse_changelist"))
    assert listing.status_code == 200 and "甲县" in listing.content.decode()
    change = reverse("admin:assessments_surveyresponse_change", args=[saved.pk])
    page = client.get(change)
    assert page.status_code == 200
    html = page.content.decode()
    assert "办事很快" in html and saved.phone_hash not in html
    assert client.post(change, {"comment": "改"}).status_code == 403
    assert client.get(reverse("admin:assessments_surveyresponse_add")).status_code == 403
    saved.refresh_from_db()
    assert saved.comment == "办事很快"


def test_public_pages_run_a_fixed_number_of_queries(
    client: Client,
    survey: Round,
    assessment: Assessment,
    django_assert_num_queries: Any,
) -> None:
    """Anonymous, with no session to read or save: the list is one query (the open rounds
    with their campaigns) and the form two (the round with its campaign; the units with
    their categories), for one open round with its units in one category, and for two open
    rounds with the units in four categories."""
    with django_assert_num_queries(1):
        assert client.get(reverse("public:survey")).status_code == 200
    with django_assert_num_queries(2):
        assert client.get(form_url(survey)).status_code == 200
    Round.objects.filter(pk=assessment.review.pk).update(survey_open=True)
    org = assessment.org
    for n, unit in enumerate((org.county_b, org.township_a, org.county_a)):
        category = UnitCategory.objects.create(
            scheme=assessment.w.scheme, name=f"类别{n}", sort_order=n + 1
        )
        CategoryMember.objects.filter(unit=unit).update(category=category)
    with django_assert_num_queries(1):
        assert client.get(reverse("public:survey")).status_code == 200
    with django_assert_num_queries(2):
        page = client.get(form_url(survey))
    assert page.content.decode().count("<optgroup") == 4
