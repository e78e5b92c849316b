"""The notice pages: the register (scope, filters, overdue, a fixed number of queries), a
notice's page (only the actions the reader may take; refusals and bad input come back in
words with nothing saved), drafting, files, history, and the notices on a ledger item's page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tasks_ledger.tests.factories import make_item, make_ledger

from ..models import Notice, NoticeAttachment, NoticeKind, NoticeStatus
from .factories import make_notice, pdf

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
LATER = dt.datetime(2022, 6, 20, 2, 0, tzinfo=dt.UTC)  # past the default reply deadline


@pytest.fixture(autouse=True)
def _clock(settings: Any, tmp_path: Any) -> Iterator[None]:
    settings.MEDIA_ROOT = str(tmp_path)
    with time_machine.travel(NOW, tick=False):
        yield


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _register(user: Any, **params: Any) -> str:
    response = _client(user).get(reverse("accountability:notice-list"), params)
    assert response.status_code == 200
    return response.content.decode()


# --- the register ------------------------------------------------------------------------------
def test_register_shows_only_notices_in_sight(org: Any) -> None:
    """GIVEN a notice to 甲县 and one to 乙县 WHEN 甲县's liaison opens the register THEN only
    甲县's notice is listed; the city office sees both."""
    home = make_notice(org, org.county_a)
    away = make_notice(org, org.county_b)
    page = _register(org.inside)
    assert home.subject_title in page and away.subject_title not in page
    # Phones get the same rows as cards: the matter and a link to the notice.
    cards = page.split('app-notice-cards">', 1)[1].split("</ul>", 1)[0]
    assert home.subject_title in cards
    assert reverse("accountability:notice-detail", args=[home.pk]) in cards
    page = _register(org.above)
    assert home.subject_title in page and away.subject_title in page


def test_register_hides_drafts_from_the_target_unit(org: Any) -> None:
    """GIVEN a draft to 甲县 WHEN its liaison opens the register THEN it is not there; the
    supervision group that drafted it sees it."""
    draft = make_notice(org, org.county_a, NoticeStatus.DRAFT)
    assert draft.subject_title not in _register(org.inside)
    assert draft.subject_title in _register(org.supervisor)


def test_register_filters(org: Any) -> None:
    """GIVEN notices of several kinds, statuses and units WHEN the office filters THEN each
    filter keeps exactly its notices."""
    reminder = make_notice(org, org.county_a)
    order = make_notice(org, org.county_b, kind=NoticeKind.SUPERVISION)
    signed = make_notice(org, org.township_a, NoticeStatus.SIGNED_FOR)
    draft = make_notice(org, org.county_b, NoticeStatus.DRAFT)
    every = {reminder, order, signed, draft}

    def shown(**params: Any) -> set[Notice]:
        page = _register(org.above, **params)
        return {n for n in every if n.subject_title in page}

    assert shown() == every
    assert shown(kind=NoticeKind.SUPERVISION) == {order}
    assert shown(status=NoticeStatus.SIGNED_FOR) == {signed}
    assert shown(target_unit=org.county_a.pk) == {reminder, signed}  # 甲镇 lies under 甲县
    assert shown(group=org.group_a.pk) == {reminder, signed}
    assert shown(q=order.number) == {order}
    assert shown(q=reminder.subject_title) == {reminder}
    assert shown(year=2022) == every
    assert shown(year=2021) == set()
    assert shown(issued_after="2022-06-01", issued_before="2022-06-01") == {
        reminder,
        order,
        signed,
    }
    assert shown(issued_after="2022-06-02") == set()
    assert shown(overdue="true") == set()
    with time_machine.travel(LATER, tick=False):
        # Past the deadline: the notices awaiting a reply are overdue, the draft is not.
        assert shown(overdue="true") == {reminder, order, signed}
        assert shown(overdue="false") == {draft}


def test_register_marks_overdue_notices(org: Any) -> None:
    """GIVEN an issued notice WHEN its reply deadline has passed THEN its row says 逾期
    (overdue) in red; before, it does not."""
    make_notice(org, org.county_a)
    assert "app-overdue" not in _register(org.above)
    with time_machine.travel(LATER, tick=False):
        assert "app-overdue" in _register(org.above)


def test_register_query_count_is_fixed(org: Any, django_assert_num_queries: Any) -> None:
    """GIVEN 1 notice, then 8 WHEN the office opens the register THEN the same number of
    queries answers both."""
    make_notice(org, org.county_a)
    client = _client(org.above)
    target = reverse("accountability:notice-list")
    with CaptureQueriesContext(connection) as one:
        assert client.get(target).status_code == 200
    for unit in (org.county_a, org.county_b, org.township_a) * 2 + (org.county_a,):
        make_notice(org, unit, kind=NoticeKind.SUPERVISION if unit == org.county_b else "reminder")
    # The user; the jurisdiction (supervised units, memberships, roles); the paginator's
    # count; the navbar's unread badge; the filter form's units and groups; one page of
    # rows with their units, group and item joined; the session's save (a savepoint
    # around it). Asking whether the office may draft costs none (its role says so).
    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(target)
    assert len(response.context["table"].page.object_list) == 8


# --- the Excel export is in test_registry_export.py ---------------------------------------------


# --- one notice's page -------------------------------------------------------------------------
def _detail(user: Any, notice: Notice) -> Any:
    return _client(user).get(reverse("accountability:notice-detail", args=[notice.pk]))


def test_detail_offers_only_the_readers_actions(org: Any) -> None:
    """GIVEN an issued notice WHEN the target unit opens it THEN it may sign for it (and
    apply for an exemption), not escalate; the office may escalate, not sign for."""
    notice = make_notice(org, org.county_a)
    sign = reverse("accountability:notice-sign-for", args=[notice.pk])
    escalate = reverse("accountability:notice-escalate", args=[notice.pk])
    page = _detail(org.inside, notice).content.decode()
    assert sign in page and escalate not in page
    assert f"?notice={notice.pk}" in page  # apply for an exemption
    page = _detail(org.above, notice).content.decode()
    assert escalate in page and sign not in page
    page = _detail(org.official, notice).content.decode()
    assert sign not in page and escalate not in page


def test_detail_of_another_units_notice_is_404(org: Any) -> None:
    """GIVEN a notice to 甲县 WHEN 乙县's liaison opens it, or posts an action to it THEN 404
    and nothing changes."""
    notice = make_notice(org, org.county_a)
    assert _detail(org.outsider, notice).status_code == 404
    response = _client(org.outsider).post(
        reverse("accountability:notice-sign-for", args=[notice.pk])
    )
    assert response.status_code == 404
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.ISSUED


def test_refused_action_is_403_in_chinese(org: Any, settings: Any) -> None:
    """GIVEN an issued notice WHEN the office (who may see it) tries to sign for it THEN a 403
    page gives the rule's reason, in Chinese."""
    settings.LANGUAGE_CODE = "zh-hans"
    notice = make_notice(org, org.county_a)
    response = _client(org.above).post(
        reverse("accountability:notice-sign-for", args=[notice.pk]),
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 403
    assert "签收" in response.content.decode()
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.ISSUED


def test_lifecycle_through_the_pages(org: Any) -> None:
    """GIVEN a draft supervision order WHEN the group leader approves, the office issues, the
    unit signs for and replies with evidence, and the office accepts THEN each step lands
    and the notice is closed with the evidence on its page."""
    notice = make_notice(org, org.county_a, NoticeStatus.DRAFT, kind=NoticeKind.SUPERVISION)

    def post(user: Any, route: str, data: Any = None) -> Any:
        return _client(user).post(
            reverse(f"accountability:notice-{route}", args=[notice.pk]), data or {}
        )

    assert post(org.superuser, "approve").status_code == 302
    assert post(org.above, "issue").status_code == 302
    assert post(org.inside, "sign-for").status_code == 302
    response = post(org.inside, "reply", {"text": "已完成整改", "evidence": pdf("照片.pdf")})
    assert response.status_code == 302
    assert post(org.above, "accept").status_code == 302
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.CLOSED and notice.number.startswith("督办〔2022〕")
    evidence = NoticeAttachment.objects.get(notice=notice, with_reply=True)
    page = _detail(org.inside, notice).content.decode()
    assert "照片.pdf" in page and "已完成整改" in page
    download = _client(org.inside).get(
        reverse("accountability:notice-attachment", args=[evidence.pk])
    )
    assert download.status_code == 200
    assert (
        _client(org.outsider)
        .get(reverse("accountability:notice-attachment", args=[evidence.pk]))
        .status_code
        == 404
    )


def test_reply_without_text_saves_nothing(org: Any) -> None:
    """GIVEN a notice signed for WHEN the unit replies with no text but a file THEN the page
    says what is missing (422) and neither the reply nor the file is saved."""
    notice = make_notice(org, org.county_a, NoticeStatus.SIGNED_FOR)
    response = _client(org.inside).post(
        reverse("accountability:notice-reply", args=[notice.pk]), {"text": "", "evidence": pdf()}
    )
    assert response.status_code == 422
    assert "invalid-feedback" in response.content.decode()
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.SIGNED_FOR
    assert not NoticeAttachment.objects.filter(notice=notice).exists()


def test_return_needs_a_reason(org: Any) -> None:
    """GIVEN a reply WHEN the office returns it without a reason THEN 422 and it stays
    replied; with one, it is returned and the unit sees the reason."""
    notice = make_notice(org, org.county_a, NoticeStatus.REPLIED)
    target = reverse("accountability:notice-return", args=[notice.pk])
    assert _client(org.above).post(target, {"reason": " "}).status_code == 422
    assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.REPLIED
    assert _client(org.above).post(target, {"reason": "材料不全"}).status_code == 302
    assert "材料不全" in _detail(org.inside, notice).content.decode()


def test_wrong_status_comes_back_in_words(org: Any) -> None:
    """GIVEN a notice already signed for WHEN the unit signs for it again THEN the page says
    why (422) and nothing changes."""
    notice = make_notice(org, org.county_a, NoticeStatus.SIGNED_FOR)
    response = _client(org.inside).post(reverse("accountability:notice-sign-for", args=[notice.pk]))
    assert response.status_code == 422
    assert "alert-danger" in response.content.decode()


def test_escalate_drafts_the_next_kind_and_links_both_ways(org: Any) -> None:
    """GIVEN an issued reminder WHEN the office escalates it THEN a draft supervision order
    about the same matter is made, and each page links to the other."""
    notice = make_notice(org, org.county_a)
    response = _client(org.above).post(
        reverse("accountability:notice-escalate", args=[notice.pk]),
        {"reply_deadline": "2022-06-25", "facts": "逾期未反馈"},
    )
    later = Notice.objects.get(escalated_from=notice)
    assert response.status_code == 302
    assert response["Location"] == reverse("accountability:notice-detail", args=[later.pk])
    assert later.kind == NoticeKind.SUPERVISION and later.status == NoticeStatus.DRAFT
    assert later.facts == "逾期未反馈" and later.requirements == notice.requirements
    assert reverse("accountability:notice-detail", args=[later.pk]) in (
        _detail(org.above, notice).content.decode()
    )
    assert reverse("accountability:notice-detail", args=[notice.pk]) in (
        _detail(org.above, later).content.decode()
    )


def test_escalate_without_deadline_is_refused_in_words(org: Any) -> None:
    """GIVEN an issued reminder WHEN the office escalates it with no reply deadline THEN 422
    and no new notice."""
    notice = make_notice(org, org.county_a)
    response = _client(org.above).post(
        reverse("accountability:notice-escalate", args=[notice.pk]), {}
    )
    assert response.status_code == 422
    assert not Notice.objects.filter(escalated_from=notice).exists()


def test_history_page(org: Any) -> None:
    """GIVEN an issued notice WHEN its history is opened THEN 200 for those who see it, 404
    for others."""
    notice = make_notice(org, org.county_a)
    target = reverse("accountability:notice-history", args=[notice.pk])
    assert _client(org.inside).get(target).status_code == 200
    assert _client(org.outsider).get(target).status_code == 404


# --- drafting ----------------------------------------------------------------------------------
def test_draft_about_an_item(org: Any) -> None:
    """GIVEN a ledger item of 甲县 WHEN the group's member drafts a notice about it, with an
    attachment THEN the draft goes to 甲县, names the group, and keeps the file."""
    item = make_item(make_ledger(org.campaign), org.county_a, title="甲县园区道路")
    target = f"{reverse('accountability:notice-draft')}?item={item.pk}"
    client = _client(org.supervisor)
    page = client.get(target)
    assert page.status_code == 200 and "甲县园区道路" in page.content.decode()
    response = client.post(
        target,
        {
            "kind": NoticeKind.REMINDER,
            "group": org.group_a.pk,
            "facts": "进度滞后",
            "requirements": "限期整改",
            "reply_deadline": "2022-06-10",
            "attachments": pdf("督查通报.pdf"),
        },
    )
    notice = Notice.objects.get(item=item)
    assert response.status_code == 302
    assert notice.target_unit == org.county_a and notice.group == org.group_a
    assert notice.attachments.get().original_name == "督查通报.pdf"


def test_draft_with_a_past_deadline_is_refused(org: Any) -> None:
    """GIVEN the draft form WHEN the reply deadline is in the past THEN the field says so
    (422) and nothing is saved."""
    target = f"{reverse('accountability:notice-draft')}?unit={org.county_b.pk}"
    response = _client(org.above).post(
        target,
        {
            "kind": NoticeKind.REMINDER,
            "subject_title": "会议纪要未报送",
            "facts": "未报送",
            "requirements": "补报",
            "reply_deadline": "2022-05-01",
        },
    )
    assert response.status_code == 422
    assert "invalid-feedback" in response.content.decode()
    assert not Notice.objects.exists()


def test_draft_to_a_unit_out_of_reach_is_403(org: Any) -> None:
    """GIVEN the supervisor of 甲县's group WHEN it opens the draft form for 乙县 THEN 403."""
    target = f"{reverse('accountability:notice-draft')}?unit={org.county_b.pk}"
    assert _client(org.supervisor).get(target).status_code == 403
    assert _client(org.inside).get(target).status_code == 403


def test_item_page_lists_its_notices_and_offers_drafting(org: Any) -> None:
    """GIVEN an item with a notice WHEN the supervisor opens the item THEN the notice is
    listed with a link to draft another; the unit's liaison sees the notice, no link."""
    item = make_item(make_ledger(org.campaign), org.county_a, title="甲县污水管网")
    notice = make_notice(org, org.county_a, subject_title="", item=item)
    draft_link = f"{reverse('accountability:notice-draft')}?item={item.pk}"
    detail = reverse("ledger:item-detail", args=[item.pk])
    page = _client(org.supervisor).get(detail).content.decode()
    assert notice.number in page and draft_link in page
    page = _client(org.inside).get(detail).content.decode()
    assert notice.number in page and draft_link not in page


def test_draft_page_escalate_link_goes_to_the_notices_escalation(org: Any) -> None:
    """GIVEN an issued notice WHEN the workspace links to ``new/?escalate=<id>`` THEN the
    notice's own escalation form is opened; for 乙县's liaison the notice is 404."""
    notice = make_notice(org, org.county_a)
    target = f"{reverse('accountability:notice-draft')}?escalate={notice.pk}"
    response = _client(org.above).get(target)
    assert response.status_code == 302
    assert response["Location"].endswith(
        reverse("accountability:notice-detail", args=[notice.pk]) + "#escalate"
    )
    assert _client(org.outsider).get(target).status_code == 404


def test_draft_page_preselects_the_kind_asked_for(org: Any) -> None:
    """GIVEN ``?kind=warning`` WHEN the office opens the draft form THEN 警示单 is chosen."""
    target = f"{reverse('accountability:notice-draft')}?unit={org.county_b.pk}&kind=warning"
    form = _client(org.above).get(target).context["form"]
    assert form["kind"].value() == NoticeKind.WARNING
