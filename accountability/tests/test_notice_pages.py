"""The notice pages: the register (scope, filters, overdue, a fixed number of queries), a
notice's page (only the actions the reader may take; refusals and bad input come back in
words with nothing saved), drafting, files, history, and the notices on a ledger item's page.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tasks_ledger.tests.factories import make_item, make_ledger

from ..models import Notice, NoticeAttachment, NoticeKind, NoticeStatus
from .factories import make_notice, pdf

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2022, 6, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
LATER = dt.datetime(2022, 6, 20, 2, 0, tzinfo=dt.UTC)  # past the default reply deadline
#: Transaction control, not queries (the test's own transaction makes savepoints).
CONTROL = re.compile(r"\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK)", re.I)


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


def _queries(client: Client, url: str, **params: Any) -> tuple[int, Any]:
    """The page's own statements (less the trivial signed-in page's: the session's user, the
    jurisdiction, the navbar's badge, the session saved), transaction control left out,
    and the response."""

    def count(target: str, **query: Any) -> tuple[int, Any]:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(target, query)
        assert response.status_code == 200
        statements = [q["sql"] for q in ctx.captured_queries]
        return sum(1 for sql in statements if not CONTROL.match(sql)), response

    with override_settings(ROOT_URLCONF="bench.trivial_urls"):
        count(reverse("bench-trivial"))  # the jurisdiction read (or cached) before either
        frame, _trivial = count(reverse("bench-trivial"))
        total, response = count(url, **params)
    return total - frame, response


@pytest.mark.parametrize(
    ("who", "expected"), [("above", 5), ("inside", 5), ("above, as if large", 4)]
)
def test_register_query_count_is_fixed(org: Any, who: str, expected: int, monkeypatch: Any) -> None:
    """GIVEN 1 notice, then 12 over three keyset pages of 5 WHEN the office (or 甲县's
    liaison) opens the register's first page and its next page THEN the same, fixed number
    of queries of its own answers each."""
    import accountability.filtersets
    import accountability.views

    if who.endswith("as if large"):
        # Too many units to list them all: a large jurisdiction.
        monkeypatch.setattr(accountability.filtersets, "UNIT_CHOICES_MAX", 2)
    make_notice(org, org.county_a)
    client = _client(getattr(org, who.split(",")[0]))
    target = reverse("accountability:notice-list")
    # The filter's units (every one of a small jurisdiction, or the top levels of a large
    # one, in one query); the groups and notices naming the caller (a small jurisdiction's
    # notices are then found by its units' ids; whether 甲县's liaison may draft is read
    # from its groups too); the page's keys from the registry's index; the page's rows by id
    # with their unit and item, and the count that stops at COUNT_CAP; the filter's groups. A
    # large jurisdiction skips the groups and names (the office's role says it may draft),
    # and needs no setting for its plan (PostgreSQL's parallel workers were once turned off
    # for it: 3 statements more).
    assert _queries(client, target)[0] == expected
    for unit in (org.county_a, org.township_a, org.county_a_dept) * 4:
        make_notice(org, unit)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(accountability.views, "NOTICES_PER_PAGE", 5)
        count, first = _queries(client, target)
        assert count == expected
        assert len(first.context["table"].rows) == 5
        cursor = first.context["table"].keyset.next_cursor
        count, second = _queries(client, target, after=cursor)
        assert count == expected
        assert len(second.context["table"].rows) == 5


def test_register_draws_a_full_page_with_the_same_queries(org: Any) -> None:
    """GIVEN one notice, then 60 WHEN the office opens the register THEN the same queries
    answer both, and all 50 notices of the first page are in the table and among the
    phone's cards (the table was once cut to django-tables2's 25 rows, the rest of the page
    out of reach), each drawn whole: number, kind, matter, unit, deadline and status."""
    make_notice(org, org.county_b, NoticeStatus.DRAFT)
    client = _client(org.above)
    target = reverse("accountability:notice-list")
    few, _response = _queries(client, target)
    for serial in range(58):
        make_notice(org, org.county_b, NoticeStatus.DRAFT, subject_title=f"满页事项{serial}")
    make_notice(org, org.county_a, kind=NoticeKind.SUPERVISION)  # the newest: first
    many, response = _queries(client, target)
    assert many == few == 5
    assert response.context["count"] == 60 and response.context["count_exact"]
    page = response.content.decode()
    table = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    cards = page.split('app-notice-cards">', 1)[1].split("</ul>", 1)[0]
    assert table.count("<tr") == 50 == cards.count('class="list-group-item"')
    shown = response.context["table"].cells
    assert len(shown) == 50 and response.context["table"].keyset.has_next
    for row in shown:
        url = reverse("accountability:notice-detail", args=[row.record.pk])
        assert f'<a class="fw-semibold" href="{url}">{row.record.subject}</a>' in table
        assert f'href="{url}">{row.record.subject}</a>' in cards
    # A draft has no number yet; its kind and status are badges.
    assert table.count(gettext("not yet issued")) >= 49
    assert '<span class="badge text-bg-warning">' in page
    assert '<span class="badge text-bg-light border">' in page
    assert org.county_b.name in table and "2022-06-" in table
    # A page without rows has no row to carry the count: it is counted apart (and no rows
    # are read: the same number of queries).
    none, empty = _queries(client, target, q="没有这样的事项")
    assert none == few and empty.context["count"] == 0


def _walk(client: Client, **params: Any) -> tuple[list[int], list[int]]:
    """Every notice of the register in order, following its next links to the end and its
    previous links back to the start."""
    target = reverse("accountability:notice-list")
    forward: list[int] = []
    cursor: dict[str, str] = {}
    while True:
        response = client.get(target, {**params, **cursor})
        page = [row.record.pk for row in response.context["table"].rows]
        forward += page
        keyset = response.context["table"].keyset
        html = response.content.decode()
        if not keyset.has_next:
            assert 'rel="next"' not in html
            break
        assert 'rel="next"' in html
        cursor = {"after": keyset.next_cursor}
    backward = page
    while keyset.has_previous:
        response = client.get(target, {**params, "before": keyset.previous_cursor})
        keyset = response.context["table"].keyset
        backward = [row.record.pk for row in response.context["table"].rows] + backward
    return forward, backward


@pytest.mark.parametrize(
    ("ordering", "key"),
    [
        ("", lambda n: (-n.drafted_at.timestamp(), -n.pk)),
        ("reply_deadline", lambda n: (n.reply_deadline, n.pk)),
        ("-reply_deadline", lambda n: (-n.reply_deadline.toordinal(), -n.pk)),
        ("-issued_on", lambda n: (-(n.issued_on or dt.date.max).toordinal(), -n.pk)),
        ("kind", lambda n: (n.kind, n.drafted_at, n.pk)),
    ],
)
def test_register_pages_hold_every_notice_once_in_order(
    org: Any, ordering: str, key: Any, monkeypatch: Any
) -> None:
    """GIVEN 11 notices (drafts among them, several deadlines and kinds) in pages of 3
    WHEN the office follows the next links to the end and the previous links back THEN
    every notice comes exactly once, in the order chosen, both ways."""
    import accountability.views

    monkeypatch.setattr(accountability.views, "NOTICES_PER_PAGE", 3)
    made = []
    for n in range(11):
        made.append(
            make_notice(
                org,
                (org.county_a, org.county_b, org.township_a)[n % 3],
                NoticeStatus.DRAFT if n % 4 == 0 else NoticeStatus.ISSUED,
                kind=NoticeKind.SUPERVISION if n % 2 else NoticeKind.REMINDER,
                deadline=dt.date(2022, 6, 10 + n % 3),
            )
        )
    expected = [n.pk for n in sorted(Notice.objects.filter(pk__in=[m.pk for m in made]), key=key)]
    forward, backward = _walk(_client(org.above), **({"ordering": ordering} if ordering else {}))
    assert forward == expected
    assert backward == expected


def test_register_pages_keep_to_the_callers_sight(org: Any, monkeypatch: Any) -> None:
    """GIVEN notices to 甲县, 甲镇 and 乙县 in pages of 2 WHEN 甲县's liaison walks the
    register THEN exactly 甲县's and 甲镇's, never 乙县's."""
    import accountability.views

    monkeypatch.setattr(accountability.views, "NOTICES_PER_PAGE", 2)
    mine = [make_notice(org, unit).pk for unit in (org.county_a, org.township_a) * 3]
    for _ in range(3):
        make_notice(org, org.county_b)
    forward, backward = _walk(_client(org.inside))
    assert sorted(forward) == sorted(mine) and backward == forward


def test_a_cursor_edited_by_hand_or_of_another_order_reads_as_the_first_page(
    org: Any, monkeypatch: Any
) -> None:
    import accountability.views

    monkeypatch.setattr(accountability.views, "NOTICES_PER_PAGE", 2)
    for unit in (org.county_a, org.county_b, org.township_a):
        make_notice(org, unit)
    client, target = _client(org.above), reverse("accountability:notice-list")

    def rows(**params: Any) -> list[int]:
        return [row.record.pk for row in client.get(target, params).context["table"].rows]

    assert rows(after="not-a-cursor") == rows()
    newest = client.get(target).context["table"].keyset.next_cursor
    assert rows(ordering="reply_deadline", after=newest) == rows(ordering="reply_deadline")


def test_register_counts_no_further_than_its_cap(org: Any, monkeypatch: Any) -> None:
    """GIVEN 4 notices and a count that stops at 3 WHEN the office opens the register THEN
    it says "more than 3"; filtered to 2, it says 2 exactly."""
    from .. import selectors

    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    for unit in (org.county_a, org.county_a, org.county_b, org.county_b):
        make_notice(org, unit)
    client, target = _client(org.above), reverse("accountability:notice-list")
    response = client.get(target)
    assert (response.context["count"], response.context["count_exact"]) == (3, False)
    with translation.override(response.wsgi_request.LANGUAGE_CODE):
        assert gettext("more than %(n)s notices") % {"n": 3} in response.content.decode()
    response = client.get(target, {"target_unit": org.county_b.pk})
    assert (response.context["count"], response.context["count_exact"]) == (2, True)


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


def test_the_registrys_index_scope_holds_every_notice_in_sight(org: Any) -> None:
    """GIVEN notices to every unit, drafts among them, a group's and one naming 乙县's
    liaison WHEN each persona with a small jurisdiction reads the registry through its
    index scope (selectors.registry_scope) THEN exactly the notices the rule lets them see."""
    from ..filtersets import unit_choices
    from ..models import NoticePerson
    from ..selectors import notice_list, registry_scope

    for unit in (org.county_a, org.township_a, org.county_b, org.city_dept):
        make_notice(org, unit)
        make_notice(org, unit, NoticeStatus.DRAFT)
    named = make_notice(org, org.county_a)
    NoticePerson.objects.create(notice=named, user=org.outsider)
    checked = 0
    for user in org.personas().values():
        units, every = unit_choices(user)
        if not every or user.is_superuser:
            continue
        scoped = notice_list(user=user).filter(
            registry_scope(user=user, unit_ids=[u.pk for u in units])
        )
        assert set(scoped) == set(notice_list(user=user)), user
        checked += 1
    assert checked >= 4


def _options_of(html: str, name: str) -> list[str]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, name
    return re.findall(r"<option[^>]*>([^<]*)</option>", select[1])


@pytest.mark.django_db(transaction=True)
def test_the_filters_units_and_groups_are_kept_until_a_unit_or_group_changes(org: Any) -> None:
    """GIVEN the office has opened the registry once WHEN it opens it again THEN the unit
    and group filters' options come from the cache (neither query runs), and WHEN a unit is
    created or a group added THEN the next registry lists it at once."""
    from accounts.tests.factories import UnitFactory
    from campaign.tests.factories import SupervisionGroupFactory

    make_notice(org, org.county_a)
    client = _client(org.above)
    target = reverse("accountability:notice-list")
    assert client.get(target).status_code == 200
    with CaptureQueriesContext(connection) as again:
        html = client.get(target).content.decode()
    kept = [
        q["sql"]
        for q in again.captured_queries
        if 'AS "beyond"' in q["sql"] or '"campaign_supervisiongroup"."name" AS "name"' in q["sql"]
    ]
    assert not kept, kept
    assert org.county_a.name in " ".join(_options_of(html, "target_unit"))

    UnitFactory.create(parent=org.county_a, name="甲县新设局")
    SupervisionGroupFactory.create(campaign=org.campaign, name="新设督查组")
    html = client.get(target).content.decode()
    assert any(label.endswith("甲县新设局") for label in _options_of(html, "target_unit"))
    assert "新设督查组" in _options_of(html, "group")


def test_the_issuer_filter_lists_groups_in_their_own_order(org: Any) -> None:
    """GIVEN groups whose set order is not their names' order (by code point 第七 comes
    before 第三) WHEN the office opens the registry THEN the issuer filter lists them in the
    set order."""
    from campaign.tests.factories import SupervisionGroupFactory

    SupervisionGroupFactory.create(campaign=org.campaign, name="第七督查组", sort_order=7)
    SupervisionGroupFactory.create(campaign=org.campaign, name="第三督查组", sort_order=3)
    listed = [name for name in _options_of(_register(org.above), "group") if "督查组" in name]
    assert listed.index("第三督查组") < listed.index("第七督查组")


def test_the_unit_filter_lists_the_top_levels_of_a_large_jurisdiction(
    org: Any, monkeypatch: Any
) -> None:
    """GIVEN a unit filter that lists at most 4 units WHEN the city office (7 units) opens
    the register THEN it lists the city and the levels that fit, plus the unit chosen even
    when deeper, and still filters by any unit of its jurisdiction."""
    from .. import filtersets

    monkeypatch.setattr(filtersets, "UNIT_CHOICES_MAX", 4)
    units, every = filtersets.unit_choices(org.above)
    assert not every and {u.depth for u in units} == {org.city.depth, org.county_a.depth}
    units, _every = filtersets.unit_choices(org.above, org.township_a)
    assert org.township_a.pk in {unit.pk for unit in units}
    home = make_notice(org, org.township_a)
    away = make_notice(org, org.county_b)
    page = _register(org.above, target_unit=org.township_a.pk)
    assert home.subject_title in page and away.subject_title not in page
    assert f'<option value="{org.township_a.pk}" selected>' in page
