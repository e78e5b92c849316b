"""The escalation sweep with frozen time: who gets a reminder, when a notice is followed by
the next kind, numbering, people, notifications, history, repeats and bounded statements.

The ``notices`` fixture's items run 2022-03-01 → 2022-06-30 in an active 2022 campaign; the
default policy reminds 3 days after a deadline and gives 7 days to reply.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from pghistory.models import Events

from accounts.models import Notification
from campaign.models import CampaignStatus
from tasks_ledger.models import ItemStatus, LedgerItem
from tasks_ledger.tests.factories import make_item, make_items

from .. import escalation, services
from ..models import (
    EscalationPolicy,
    Exemption,
    Notice,
    NoticeKind,
    NoticeStatus,
    SweepRun,
    SweepStatus,
    is_exempted,
)
from .conftest import TODAY, Notices

pytestmark = pytest.mark.django_db


def at(day: dt.date, hour: int = 6) -> dt.datetime:
    """06:00 in the site's zone on ``day`` (when beat sweeps)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


DUE = dt.date(2022, 6, 30)  # the fixture items' deadline


def sweep_on(day: dt.date, **kwargs: Any) -> SweepRun:
    return escalation.sweep(now=at(day), **kwargs)


def auto(item: LedgerItem) -> list[Notice]:
    return list(Notice.objects.filter(item=item).order_by("pk"))


# --- reminders ---------------------------------------------------------------------------------
def test_an_item_overdue_by_the_policy_days_gets_one_issued_reminder(notices: Notices) -> None:
    assert sweep_on(DUE + dt.timedelta(days=2)).counts["reminder"] == 0  # 2 days: not yet
    run = sweep_on(DUE + dt.timedelta(days=3))
    assert run.status == SweepStatus.FINISHED
    assert run.counts["reminder"] == 2  # the chained item and the plain one
    notice = auto(notices.item)[0]
    assert notice.kind == NoticeKind.REMINDER and notice.status == NoticeStatus.ISSUED
    assert notice.sweep_run == run and notice.drafted_by is None
    assert notice.number == "提示〔2022〕1号" or notice.number == "提示〔2022〕2号"
    assert notice.issued_on == DUE + dt.timedelta(days=3)
    assert notice.reply_deadline == DUE + dt.timedelta(days=10)
    assert notice.target_unit == notices.item.unit
    assert notice.group == notices.org.group_a  # the group assigned to 甲县 (and 甲镇 under it)
    assert notice.issuing_unit == notices.org.campaign.owner_unit
    assert "甲县产业园开工" in notice.facts and "3" in notice.facts
    assert "2022年7月10日" in notice.requirements
    assert list(notice.responsible_people.all()) == [notices.chain.responsible_person]


def test_repeating_the_sweep_writes_nothing_more(notices: Notices) -> None:
    day = DUE + dt.timedelta(days=5)
    first = sweep_on(day)
    again = sweep_on(day)
    later = sweep_on(day + dt.timedelta(days=1))
    assert first.counts["reminder"] == 2
    assert again.counts["reminder"] == 0 and later.counts["reminder"] == 0
    assert Notice.objects.count() == 2


def test_items_not_open_or_within_their_time_get_no_reminder(notices: Notices) -> None:
    ledger = notices.item.ledger
    on_time = make_item(ledger, notices.org.county_a, title="按期", deadline=dt.date(2022, 12, 1))
    for status in (ItemStatus.COMPLETED, ItemStatus.SUSPENDED, ItemStatus.CANCELLED):
        make_item(ledger, notices.org.county_a, title=f"状态{status}", status=status)
    sweep_on(DUE + dt.timedelta(days=10))
    assert set(Notice.objects.values_list("item__title", flat=True)) == {
        "甲县产业园开工",
        "甲镇道路改造",
    }
    assert not auto(on_time)


def test_a_long_term_item_is_reminded_after_the_quiet_days(notices: Notices) -> None:
    quiet = make_item(
        notices.item.ledger,
        notices.org.county_a,
        title="长期坚持的作风整治",
        start=dt.date(2022, 3, 1),
        deadline=None,
    )
    LedgerItem.objects.filter(pk=quiet.pk).update(progress_accepted_on=dt.date(2022, 5, 1))
    sweep_on(dt.date(2022, 6, 29))  # 59 days since the accepted report
    assert not auto(quiet)
    sweep_on(dt.date(2022, 6, 30))  # 60 days
    (notice,) = auto(quiet)
    assert "60" in notice.facts and "长期坚持的作风整治" in notice.facts


def test_an_open_notice_or_one_since_the_deadline_holds_the_reminder_back(
    notices: Notices,
) -> None:
    manual = notices.issued(NoticeKind.SUPERVISION, reply_deadline=dt.date(2022, 12, 1))
    day = DUE + dt.timedelta(days=5)
    Notice.objects.filter(pk=manual.pk).update(drafted_at=at(DUE + dt.timedelta(days=1)))
    sweep_on(day)
    assert auto(notices.item) == [manual]  # open supervision order: no reminder besides

    # Answered and closed: the matter is done with until the deadline moves.
    Notice.objects.filter(pk=manual.pk).update(status=NoticeStatus.CLOSED, closed_at=at(day))
    sweep_on(day + dt.timedelta(days=30))
    assert auto(notices.item) == [manual]

    # An approved extension to 31 August, missed too: reminded anew.
    LedgerItem.objects.filter(pk=notices.item.pk).update(deadline=dt.date(2022, 8, 31))
    sweep_on(dt.date(2022, 9, 3))
    assert [n.kind for n in auto(notices.item)] == [NoticeKind.SUPERVISION, NoticeKind.REMINDER]


def test_a_closed_notice_from_before_the_deadline_does_not_hold_it_back(
    notices: Notices,
) -> None:
    early = notices.issued(NoticeKind.REMINDER)  # drafted on 1 June, before 30 June
    Notice.objects.filter(pk=early.pk).update(
        status=NoticeStatus.CLOSED, drafted_at=at(TODAY), closed_at=at(TODAY)
    )
    sweep_on(DUE + dt.timedelta(days=3))
    assert len(auto(notices.item)) == 2


def test_an_approved_exemption_for_the_item_stops_its_reminder(notices: Notices) -> None:
    Exemption.objects.create(
        campaign=notices.org.campaign,
        unit=notices.item.unit,
        item=notices.item,
        distinctions=["pioneering"],
        reasons="先行先试",
        status="approved",
        applied_by=notices.org.inside,
    )
    sweep_on(DUE + dt.timedelta(days=5))
    assert not auto(notices.item)
    assert auto(notices.plain)


def test_only_campaigns_under_way_are_swept(notices: Notices) -> None:
    campaign = notices.org.campaign
    campaign.status = CampaignStatus.CLOSED
    campaign.save()
    assert sweep_on(DUE + dt.timedelta(days=5)).counts["reminder"] == 0
    campaign.status = CampaignStatus.ACTIVE
    campaign.save()
    assert sweep_on(dt.date(2023, 1, 5)).counts["reminder"] == 0  # after its end date
    EscalationPolicy.objects.update_or_create(campaign=campaign, defaults={"enabled": False})
    assert sweep_on(DUE + dt.timedelta(days=5)).counts["reminder"] == 0
    assert not Notice.objects.exists()


def test_the_first_sweep_gives_the_campaign_its_default_policy(notices: Notices) -> None:
    assert not EscalationPolicy.objects.exists()
    sweep_on(dt.date(2022, 5, 1))
    policy = EscalationPolicy.objects.get(campaign=notices.org.campaign)
    assert (policy.reminder_after_days, policy.reply_days, policy.long_term_days) == (3, 7, 60)
    assert policy.supervision_issue_at_once and not policy.warning_issue_at_once


def test_the_policy_days_are_the_campaigns_own(notices: Notices) -> None:
    EscalationPolicy.objects.create(
        campaign=notices.org.campaign, reminder_after_days=10, reply_days=3
    )
    sweep_on(DUE + dt.timedelta(days=9))
    assert not Notice.objects.exists()
    sweep_on(DUE + dt.timedelta(days=10))
    assert auto(notices.item)[0].reply_deadline == DUE + dt.timedelta(days=13)


# --- escalation --------------------------------------------------------------------------------
def _chain_kinds(notice: Notice) -> list[str]:
    kinds = [notice.kind]
    while notice.escalated_from_id:
        notice = Notice.objects.get(pk=notice.escalated_from_id)
        kinds.append(notice.kind)
    return kinds


def test_an_ignored_reminder_climbs_the_ladder_on_schedule(notices: Notices) -> None:
    start = DUE + dt.timedelta(days=3)
    sweep_on(start)
    reminder = auto(notices.item)[0]  # reply by start + 7
    deadline = reminder.reply_deadline

    assert sweep_on(deadline + dt.timedelta(days=2)).counts["supervision"] == 0
    run = sweep_on(deadline + dt.timedelta(days=3))
    assert run.counts["supervision"] == 2
    order = Notice.objects.get(escalated_from=reminder)
    assert order.kind == NoticeKind.SUPERVISION and order.status == NoticeStatus.ISSUED
    assert order.number.startswith("督办〔2022〕") and order.group == notices.org.group_a
    assert reminder.number in order.facts

    # Warnings wait for approval by default; then 5 days past the order's deadline.
    day = order.reply_deadline + dt.timedelta(days=5)
    sweep_on(day)
    warning = Notice.objects.get(escalated_from=order)
    assert warning.kind == NoticeKind.WARNING and warning.status == NoticeStatus.DRAFT
    assert warning.number == "" and warning.sequence is None
    people = set(warning.responsible_people.all())
    chain = notices.chain
    assert people == {chain.responsible_person, chain.leader_in_charge, chain.principal_leader}

    # The group leader approves and issues it; ignored, it becomes a recommendation draft.
    warning = services.notice_approve(notice=warning, actor=notices.leader)
    warning = services.notice_issue(notice=warning, actor=notices.org.supervisor, today=day)
    later = warning.reply_deadline + dt.timedelta(days=7)
    EscalationPolicy.objects.filter(campaign=notices.org.campaign).update(
        warning_issue_at_once=True, supervision_issue_at_once=True
    )
    sweep_on(later)
    recommendation = Notice.objects.get(escalated_from=warning)
    assert recommendation.kind == NoticeKind.ACCOUNTABILITY
    assert recommendation.status == NoticeStatus.DRAFT  # always waits for a person
    assert _chain_kinds(recommendation) == [
        NoticeKind.ACCOUNTABILITY,
        NoticeKind.WARNING,
        NoticeKind.SUPERVISION,
        NoticeKind.REMINDER,
    ]
    # Nothing follows a recommendation, however long it waits.
    far = later + dt.timedelta(days=60)
    assert sum(sweep_on(far).counts[k] for k in NoticeKind.values[1:]) == 0


def test_a_replied_notice_is_not_escalated(notices: Notices) -> None:
    sweep_on(DUE + dt.timedelta(days=3))
    reminder = auto(notices.item)[0]
    services.notice_sign_for(notice=reminder, actor=notices.org.inside)
    services.notice_reply(notice=reminder, actor=notices.org.inside, text="已开工")
    sweep_on(reminder.reply_deadline + dt.timedelta(days=20))
    assert not Notice.objects.filter(escalated_from=reminder).exists()


def test_an_exemption_stops_escalation_of_the_matter(notices: Notices) -> None:
    sweep_on(DUE + dt.timedelta(days=3))
    reminder = auto(notices.item)[0]
    order_day = reminder.reply_deadline + dt.timedelta(days=3)
    sweep_on(order_day)
    order = Notice.objects.get(escalated_from=reminder)
    # An exemption approved about the first notice of the chain covers the order too.
    Exemption.objects.create(
        campaign=notices.org.campaign,
        unit=reminder.target_unit,
        notice=reminder,
        distinctions=["unintentional"],
        reasons="客观原因",
        status="approved",
        applied_by=notices.org.inside,
    )
    assert is_exempted(order)
    sweep_on(order.reply_deadline + dt.timedelta(days=30))
    assert not Notice.objects.filter(escalated_from=order).exists()


def test_drafted_escalations_follow_the_policy(notices: Notices) -> None:
    EscalationPolicy.objects.create(campaign=notices.org.campaign, supervision_issue_at_once=False)
    sweep_on(DUE + dt.timedelta(days=3))
    reminder = auto(notices.item)[0]
    sweep_on(reminder.reply_deadline + dt.timedelta(days=3))
    order = Notice.objects.get(escalated_from=reminder)
    assert order.status == NoticeStatus.DRAFT and not order.number
    assert not Notice.objects.filter(escalated_from=order).exists()


# --- numbering, notifications, history ----------------------------------------------------------
def test_numbers_continue_the_counter_without_gaps_or_reuse(notices: Notices) -> None:
    manual = notices.issued(NoticeKind.REMINDER, item=notices.plain)  # 提示〔2022〕1号
    make_items(notices.item.ledger, notices.org.county_a, 3, title="逾期", deadline=DUE)
    sweep_on(DUE + dt.timedelta(days=3))
    numbers = sorted(n.sequence or 0 for n in Notice.objects.filter(kind=NoticeKind.REMINDER))
    assert manual.sequence == 1
    assert numbers == [1, 2, 3, 4, 5]  # the plain item already had one: 4 new
    next_manual = notices.issued(
        NoticeKind.REMINDER,
        item=make_item(notices.item.ledger, notices.org.county_a, title="新事项"),
    )
    assert next_manual.sequence == 6


def test_notices_issued_tell_the_liaison_and_the_responsible_people(notices: Notices) -> None:
    sweep_on(DUE + dt.timedelta(days=3))
    notice = auto(notices.item)[0]
    told = Notification.objects.filter(link__endswith=f"/{notice.pk}/")
    recipients = set(told.values_list("recipient__username", flat=True))
    assert recipients == {"inside", notices.chain.responsible_person.username}
    assert all(notice.number in n.title for n in told)
    assert not told.filter(urgent=True).exists()
    assert not Notification.objects.filter(recipient=notices.org.outsider).exists()


def test_a_drafted_escalation_tells_the_group_leader(notices: Notices) -> None:
    sweep_on(DUE + dt.timedelta(days=3))
    reminder = auto(notices.item)[0]
    order = sweep_on(reminder.reply_deadline + dt.timedelta(days=3))
    assert order.counts["supervision"] == 2
    EscalationPolicy.objects.update(warning_issue_at_once=False)
    supervision = Notice.objects.get(escalated_from=reminder)
    sweep_on(supervision.reply_deadline + dt.timedelta(days=5))
    warning = Notice.objects.get(escalated_from=supervision)
    told = Notification.objects.filter(link__endswith=f"/{warning.pk}/")
    assert list(told.values_list("recipient", flat=True)) == [notices.leader.pk]
    assert "审批" in told.get().title
    # The unit hears, urgently, that the order it left unanswered is being escalated.
    warned = Notification.objects.filter(
        link__endswith=f"/{supervision.pk}/", title__contains="升级"
    )
    assert set(warned.values_list("recipient__username", flat=True)) >= {"inside"}
    assert all(n.urgent for n in warned)


def test_the_sweep_tells_whom_the_services_tell(notices: Notices) -> None:
    """甲镇 has nobody of its own: its notices go to 甲县's liaison, as
    :func:`accountability.notify.target_side_ids` says for one notice at a time."""
    from .. import notify

    sweep_on(DUE + dt.timedelta(days=3))
    for notice in Notice.objects.all():
        told = Notification.objects.filter(link__endswith=f"/{notice.pk}/")
        expected = set(notify.target_side_ids(notice.target_unit)) | set(
            notice.responsible_people.values_list("pk", flat=True)
        )
        assert set(told.values_list("recipient", flat=True)) == expected and expected


def test_sweep_history_names_the_run(notices: Notices) -> None:
    run = sweep_on(DUE + dt.timedelta(days=3))
    notice = auto(notices.item)[0]
    events = list(Events.objects.tracks(notice))
    assert events and all(e.pgh_context["sweep_run"] == run.pk for e in events)


def test_a_dry_run_is_recorded_and_writes_nothing(notices: Notices) -> None:
    run = sweep_on(DUE + dt.timedelta(days=3), dry_run=True)
    assert run.dry_run and run.status == SweepStatus.FINISHED
    assert run.counts["reminder"] == 2 and run.counts["issued"] == 2
    assert not Notice.objects.exists() and not Notification.objects.exists()
    assert SweepRun.objects.filter(pk=run.pk).exists()


def test_the_statements_do_not_grow_with_the_items(notices: Notices) -> None:
    def statements(day: dt.date) -> int:
        with CaptureQueriesContext(connection) as queries:
            run = sweep_on(day)
        assert 0 < run.statements <= escalation.MAX_STATEMENTS
        assert run.statements < len(queries)  # besides: the run written, then finished
        return len(queries)

    few = statements(DUE + dt.timedelta(days=3))
    make_items(notices.item.ledger, notices.org.county_a, 40, title="逾期", deadline=DUE)
    many = statements(DUE + dt.timedelta(days=4))
    assert Notice.objects.count() == 42
    assert few == many


def test_a_failing_sweep_is_recorded_and_rolls_back(notices: Notices, monkeypatch: Any) -> None:
    def broken(self: Any) -> None:
        raise RuntimeError("磁盘已满")

    monkeypatch.setattr(escalation._Sweep, "name_people", broken)
    with pytest.raises(RuntimeError):
        sweep_on(DUE + dt.timedelta(days=3))
    run = SweepRun.objects.get()
    assert run.status == SweepStatus.FAILED and "磁盘已满" in run.errors
    assert run.finished_at is not None
    assert not Notice.objects.exists()


# --- the command -------------------------------------------------------------------------------
def test_the_command_sweeps_as_of_now_and_reports(notices: Notices, capsys: Any) -> None:
    call_command("escalate", "--now", "2022-07-03T06:00", "--dry-run")
    out = capsys.readouterr().out
    assert "试运行" in out and "提示单 2" in out and "直接下发2份" in out
    assert not Notice.objects.exists()
    call_command("escalate", "--now", "2022-07-03")
    assert Notice.objects.count() == 2
    run = SweepRun.objects.filter(dry_run=False).get()
    assert run.as_of == dt.date(2022, 7, 3) and run.trigger == "command"
    events = list(Events.objects.tracks(Notice.objects.first()))
    assert events[0].pgh_context["command"] == "escalate"


def test_the_command_refuses_a_bad_moment(notices: Notices) -> None:
    with pytest.raises(CommandError, match="ISO-8601"):
        call_command("escalate", "--now", "昨天")


def test_history_says_in_words_which_sweep_run_wrote_a_notice(notices: Notices) -> None:
    from accounts.history.sources import source_of

    with translation.override("zh-hans"):
        words = source_of({"task": "accountability.tasks.escalate", "sweep_run": 7}).text
        command = source_of({"command": "escalate", "sweep_run": 8}).text
    assert "7" in words and "督办升级" in words
    assert "8" in command and "督办升级" in command


# --- enqueue on commit ---------------------------------------------------------------------------
def test_notification_delivery_is_queued_only_when_the_sweep_commits(
    notices: Notices, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sweep_on(DUE + dt.timedelta(days=3), dry_run=True)
    assert callbacks == []  # rolled back: nobody is emailed
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        sweep_on(DUE + dt.timedelta(days=3))
    # One delivery for the whole sweep (the other callback refreshes the unread badges).
    (deliver,) = [
        c
        for c in callbacks
        if getattr(getattr(getattr(c, "func", None), "__self__", None), "name", "")
        == "accounts.tasks.deliver_notifications"
    ]
    ids = set(Notification.objects.values_list("pk", flat=True))
    assert set(deliver.args[0]) == ids and ids


def test_the_admin_button_queues_a_sweep(
    notices: Notices, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a superuser on the sweep runs' admin page WHEN they press "run now" THEN one
    sweep (trigger "admin") is in the queue, and the page says it is queued; a city
    administrator is refused and nothing more is sent."""
    import json
    import uuid

    import redis
    from django.urls import reverse

    from config.celery import app

    # The real Redis, under a key prefix of this test's own: no worker takes the sweep.
    prefix = f"test-{uuid.uuid4().hex}:"
    monkeypatch.setitem(app.conf, "broker_transport_options", {"global_keyprefix": prefix})
    queue = f"{prefix}{app.conf.task_default_queue}"
    store = redis.Redis.from_url(app.conf.broker_url)
    url = reverse("admin:accountability_sweeprun_run_now")
    client.force_login(notices.org.superuser)
    page = client.get(reverse("admin:accountability_sweeprun_changelist"))
    assert "立即运行督办升级巡检" in page.content.decode()
    try:
        response = client.post(url, follow=True)
        assert response.status_code == 200
        assert "巡检已排队" in response.content.decode()
        (message,) = store.lrange(queue, 0, -1)
        headers = json.loads(message)["headers"]
        assert headers["task"] == "accountability.tasks.escalate"
        assert headers["argsrepr"] == "('admin',)"
        client.force_login(notices.org.admin)  # a city administrator, not a superuser
        assert client.post(url).status_code == 403
        assert store.llen(queue) == 1
    finally:
        store.delete(*store.keys(f"{prefix}*") or [queue])
        store.close()


def test_the_admin_button_says_at_once_when_the_queue_cannot_be_reached(
    notices: Notices, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the task queue unreachable (its port closed) WHEN a superuser presses "run
    now" THEN the sweep runs' page comes back, in the admin's layout, saying in Chinese that
    the queue cannot be reached and the morning sweep runs as scheduled, with one try to
    connect and no retries (Celery's own send retried for about 20 s, then gave a 500)."""
    import socket

    from django.urls import reverse

    from config.celery import app

    with socket.socket() as closed:  # a port nothing listens on once this block ends
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    monkeypatch.setitem(app.conf, "broker_url", f"redis://127.0.0.1:{port}/0")
    tries: list[object] = []
    connect = socket.socket.connect

    def counted(sock: socket.socket, address: Any) -> Any:
        if address == ("127.0.0.1", port):
            tries.append(address)
        return connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", counted)
    client.force_login(notices.org.superuser)
    response = client.post(reverse("admin:accountability_sweeprun_run_now"), follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("admin:accountability_sweeprun_changelist")
    page = response.content.decode()
    assert "无法连接任务队列" in page and "早晨的巡检将按计划运行" in page, page
    assert 'id="changelist"' in page  # the admin's own page, not an error page
    assert not SweepRun.objects.exists()
    assert 1 <= len(tries) <= 2, tries


# --- the API -------------------------------------------------------------------------------------
def test_sweep_runs_are_read_by_administrators_only(notices: Notices) -> None:
    from django.urls import reverse
    from rest_framework.test import APIClient

    run = sweep_on(DUE + dt.timedelta(days=3))
    api = APIClient()
    api.force_authenticate(notices.org.admin)  # the city's administrator
    listing = api.get(reverse("api:sweep-run-list"))
    assert listing.status_code == 200
    (row,) = listing.json()["results"]
    assert row["id"] == run.pk and row["counts"]["reminder"] == 2 and row["total"] == 2
    assert row["status"] == "finished" and row["trigger"] == "command"
    detail = api.get(reverse("api:sweep-run-detail", args=[run.pk]))
    assert detail.status_code == 200 and detail.json()["statements"] == run.statements > 0
    for user in (notices.org.inside, notices.org.above, notices.org.supervisor):
        api.force_authenticate(user)
        assert api.get(reverse("api:sweep-run-list")).json()["results"] == []
        assert api.get(reverse("api:sweep-run-detail", args=[run.pk])).status_code == 404
    api.force_authenticate(None)
    assert api.get(reverse("api:sweep-run-list")).status_code == 401


def test_connections_set_an_empty_trigger_ignore_list() -> None:
    """Without it every row a trigger writes takes the exception path of pgtrigger's
    check, and a sweep writing thousands of notices slows down quadratically."""
    import pgtrigger

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('pgtrigger.ignore')")
        assert cursor.fetchone()[0] == "{}"
    with pgtrigger.ignore("accountability.Notice:insert_insert"), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('pgtrigger.ignore')")
        assert "insert_insert" in cursor.fetchone()[0]


def test_history_names_a_notice_by_its_number_and_a_measure_by_its_unit(
    notices: Notices,
) -> None:
    from accounts.history.render import _label_foreign_key, _name_fields

    from ..models import AccountabilityMeasure

    assert _name_fields(Notice) == ["number", "subject_title"]
    for model in (AccountabilityMeasure, Exemption):
        key = _label_foreign_key(model)
        assert key is not None and key.name == "unit"


def test_the_sweep_tells_once_of_a_reply_deadline_near(notices: Notices) -> None:
    notice = notices.issued(NoticeKind.REMINDER, reply_deadline=dt.date(2022, 6, 10))
    assert sweep_on(dt.date(2022, 6, 7)).counts["due_soon"] == 0  # 3 days left
    assert sweep_on(dt.date(2022, 6, 8)).counts["due_soon"] == 1  # 2 days: the policy's
    assert sweep_on(dt.date(2022, 6, 9)).counts["due_soon"] == 0  # told already
    told = Notification.objects.filter(kind="notice_due", link__endswith=f"/{notice.pk}/")
    assert list(told.values_list("recipient__username", flat=True)) == ["inside"]


def test_notices_due_soon_are_told_in_the_same_statements_however_many(
    notices: Notices,
) -> None:
    """Each message names the notice's matter by its item's title: the items are read with
    the notices, not one query per notice (a province's sweep had 4,389 such notices)."""

    def statements(count: int) -> int:
        items = make_items(notices.item.ledger, notices.org.county_a, count, title="临期")
        for item in items:
            notices.issued(item=item, reply_deadline=dt.date(2022, 6, 10))
        with CaptureQueriesContext(connection) as queries:
            run = sweep_on(dt.date(2022, 6, 8), dry_run=True)  # dry: nobody marked told
        assert run.counts["due_soon"] == Notice.objects.count()
        assert run.statements <= escalation.MAX_STATEMENTS
        return len(queries)

    assert statements(1) == statements(6)


def test_a_closed_notice_reads_as_done_with_not_ended() -> None:
    """办结 (the matter handled and closed), not the campaign's 已结束."""
    with translation.override("zh-hans"):
        assert str(NoticeStatus.CLOSED.label) == "已办结"
