"""Notifications: ``notify`` writes the inbox rows in one INSERT and, after commit, emails
and texts those who want it; the daily digest; the inbox page, the navbar's bell, the API
and the preferences form, each scoped to the recipient."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import tasks
from accounts.context_processors import UnreadNotifications
from accounts.models import Notification, NotificationPreference, User
from accounts.notifications import (
    notification_digests_send,
    notifications_deliver,
    notify,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(monkeypatch: pytest.MonkeyPatch) -> list[list[int]]:
    """Run the delivery task in-process when it is enqueued; the ids it was given."""
    queued: list[list[int]] = []

    def delay(ids: list[int]) -> None:
        queued.append(ids)
        tasks.deliver_notifications.apply(args=(ids,)).get()

    monkeypatch.setattr(tasks.deliver_notifications, "delay", delay)
    return queued


def with_email(user: User, *, email: bool = True, sms: bool = True, digest: bool = False) -> User:
    user.email = f"{user.username}@example.gov.cn"
    user.save(update_fields=["email"])
    NotificationPreference.objects.create(user=user, email=email, sms=sms, daily_digest=digest)
    return user


def note(user: User, title: str = "督办通知", **kwargs: Any) -> Notification:
    return notify(recipients=[user], kind="notice", title=title, **kwargs)[0]


# --- notify and delivery ---------------------------------------------------------------------


def test_notify_writes_all_rows_in_one_insert(org, django_assert_num_queries):
    """GIVEN three recipients (one twice, one as an id) WHEN notified THEN one INSERT writes
    one inbox row each, and nothing is sent before the transaction commits."""
    with django_assert_num_queries(1):
        rows = notify(
            recipients=[org.inside, org.outsider, org.inside, org.above.pk],
            kind="notice",
            title="请于本周五前整改",
            body="详见督办通知。",
            link="/ledger/items/1/",
        )
    assert sorted(n.recipient_id for n in rows) == sorted(
        [org.inside.pk, org.outsider.pk, org.above.pk]
    )
    assert Notification.objects.filter(read_at=None, kind="notice").count() == 3
    assert mail.outbox == []


def test_email_goes_after_commit_to_those_who_want_it(
    org, eager, django_capture_on_commit_callbacks
):
    """GIVEN one user with email on, one with email off, one with no address and one on the
    digest WHEN notified THEN after commit only the first gets an email, with the link."""
    settings.SITE_URL = "https://nlzf.example.gov.cn"
    wants = with_email(org.inside)
    off = with_email(org.outsider, email=False)
    digest = with_email(org.above, digest=True)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notify(
            recipients=[wants, off, digest, org.official],
            kind="notice",
            title="督办通知：污水管网",
            body="请于三日内反馈。",
            link="/ledger/items/7/",
        )
        assert mail.outbox == []
    assert len(callbacks) == 1 and len(eager) == 1
    assert [m.to for m in mail.outbox] == [["inside@example.gov.cn"]]
    assert mail.outbox[0].subject == "督办通知：污水管网"
    assert "请于三日内反馈。" in mail.outbox[0].body
    assert "https://nlzf.example.gov.cn/ledger/items/7/" in mail.outbox[0].body
    emailed = Notification.objects.exclude(emailed_at=None)
    assert [n.recipient for n in emailed] == [wants]


def test_delivery_twice_sends_once(org):
    """GIVEN a delivered notification WHEN the task is redelivered THEN no second email."""
    with_email(org.inside)
    n = note(org.inside)
    assert notifications_deliver(notification_ids=[n.pk]) == {"emailed": 1, "texted": 0}
    assert notifications_deliver(notification_ids=[n.pk]) == {"emailed": 0, "texted": 0}
    assert len(mail.outbox) == 1


def test_urgent_notifications_are_texted_through_the_log_backend(
    org, eager, caplog, django_capture_on_commit_callbacks
):
    """GIVEN users with a phone, one with SMS off WHEN notified urgently THEN the log backend
    writes one line per text; a non-urgent notification is not texted."""
    with_email(org.outsider, sms=False)
    with (
        caplog.at_level(logging.INFO, logger="accounts.sms"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        notify(recipients=[org.inside, org.outsider], kind="notice", title="紧急督办", urgent=True)
        notify(recipients=[org.inside], kind="notice", title="普通提醒")
    lines = [r.getMessage() for r in caplog.records if r.name == "accounts.sms"]
    assert lines == [f"SMS to {org.inside.phone}: 紧急督办"]
    texted = Notification.objects.exclude(texted_at=None)
    assert [(n.recipient, n.title) for n in texted] == [(org.inside, "紧急督办")]


def test_sms_backend_is_a_setting(org, settings):
    """GIVEN SMS_BACKEND naming another class THEN texts go through it."""
    settings.SMS_BACKEND = "accounts.tests.test_notifications.RecordingBackend"
    RecordingBackend.sent.clear()
    n = note(org.inside, urgent=True)
    notifications_deliver(notification_ids=[n.pk])
    assert RecordingBackend.sent == [(org.inside.phone, "督办通知")]


class RecordingBackend:
    sent: list[tuple[str, str]] = []

    def send(self, phone: str, text: str) -> None:
        self.sent.append((phone, text))


def test_inactive_users_get_no_email(org):
    with_email(org.inside)
    org.inside.is_active = False
    org.inside.save()
    n = note(org.inside)
    notifications_deliver(notification_ids=[n.pk])
    assert mail.outbox == []


@pytest.mark.parametrize("link", ["https://evil.example/", "//evil.example/", "ledger/items/1/"])
def test_links_stay_on_the_site(org, link):
    with pytest.raises(ValidationError):
        note(org.inside, link=link)
    assert not Notification.objects.exists()


def test_the_tasks_acknowledge_late_and_the_digest_is_scheduled():
    for task in (tasks.deliver_notifications, tasks.send_notification_digests):
        assert task.acks_late and task.reject_on_worker_lost
    entry = settings.CELERY_BEAT_SCHEDULE["notification_digest"]
    assert entry["task"] == "accounts.tasks.send_notification_digests"


# --- daily digest ------------------------------------------------------------------------------


def test_digest_users_get_one_daily_email_instead_of_one_each(
    org, eager, django_capture_on_commit_callbacks
):
    """GIVEN a digest user with two unread notifications of today, one read, one of last week
    and a user on per-event emails WHEN notified THEN the digest user gets no per-event email;
    the digest run sends them one email listing the two unread ones, and a second run nothing."""
    digest = with_email(org.inside, digest=True)
    each = with_email(org.outsider)
    with django_capture_on_commit_callbacks(execute=True):
        notify(recipients=[digest, each], kind="notice", title="第一条督办", link="/a/")
        notify(recipients=[digest], kind="notice", title="第二条提醒")
        notify(recipients=[digest], kind="notice", title="已读的")
    assert [m.to for m in mail.outbox] == [["outsider@example.gov.cn"]]
    Notification.objects.filter(title="已读的").update(read_at=timezone.now())
    old = note(digest, "上周的")
    Notification.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=8))
    mail.outbox.clear()

    assert tasks.send_notification_digests.apply().get() == 1
    [email] = mail.outbox
    assert email.to == ["inside@example.gov.cn"]
    assert "2" in email.subject
    assert "第一条督办" in email.body and "第二条提醒" in email.body
    assert "已读的" not in email.body and "上周的" not in email.body
    assert notification_digests_send() == 0


# --- the bell, the inbox page ------------------------------------------------------------------


def test_the_bell_counts_unread_in_one_lazy_query(org, rf, django_assert_num_queries):
    note(org.inside)
    note(org.inside)
    note(org.outsider)
    bell = UnreadNotifications(org.inside)
    with django_assert_num_queries(0):
        UnreadNotifications(org.inside)
    with django_assert_num_queries(1):
        assert bell.count == 2
        assert bell.count == 2


def test_navbar_shows_the_unread_count(org, client):
    for _i in range(3):
        note(org.inside)
    client.force_login(org.inside)
    html = client.get("/").content.decode()
    assert 'id="nav-unread"' in html
    assert ">3<" in html.split('id="nav-unread"')[1][:200]


def test_inbox_lists_my_notifications_newest_first_unread_in_bold(org, client):
    first = note(org.inside, "较早的通知")
    Notification.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=1)
    )
    note(org.inside, "最新的通知", link="/units/")
    note(org.outsider, "别人的通知")
    Notification.objects.filter(pk=first.pk).update(read_at=timezone.now())
    client.force_login(org.inside)
    html = client.get(reverse("inbox")).content.decode()
    assert html.index("最新的通知") < html.index("较早的通知")
    assert "别人的通知" not in html
    assert html.count("app-notification-unread") == 1
    assert "全部标为已读" in html


def test_inbox_pages(org, client):
    for i in range(25):
        note(org.inside, f"通知{i:02d}")
    client.force_login(org.inside)
    assert "通知24" in client.get(reverse("inbox")).content.decode()
    second = client.get(reverse("inbox"), {"page": 2}).content.decode()
    assert "通知04" in second and "通知24" not in second


def test_mark_read_open_and_mark_all(org, client):
    a, b, c = note(org.inside, "甲"), note(org.inside, "乙", link="/units/"), note(org.inside, "丙")
    client.force_login(org.inside)
    response = client.post(reverse("notification-read", args=[a.pk]), {"page": "2"})
    assert response.status_code == 302 and response["Location"] == "/accounts/inbox/?page=2"
    response = client.get(reverse("notification-open", args=[b.pk]))
    assert response.status_code == 302 and response["Location"] == "/units/"
    assert set(Notification.objects.exclude(read_at=None).values_list("pk", flat=True)) == {
        a.pk,
        b.pk,
    }
    client.post(reverse("notifications-read-all"))
    c.refresh_from_db()
    assert c.read_at is not None


def test_htmx_mark_read_returns_the_row_and_the_new_count(org, client):
    a = note(org.inside)
    note(org.inside)
    client.force_login(org.inside)
    response = client.post(
        reverse("notification-read", args=[a.pk]),
        headers={"HX-Request": "true", "HX-Target": f"notification-{a.pk}"},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{a.pk}"' in html and "app-notification-unread" not in html
    assert 'id="nav-unread" class=' in html and ">1<" in html
    assert '<span id="inbox-unread" hx-swap-oob="true">1 条未读</span>' in html


def test_nobody_reads_or_marks_anyone_elses_notification(org, client):
    theirs = note(org.outsider, link="/units/")
    client.force_login(org.inside)
    assert client.post(reverse("notification-read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notification-open", args=[theirs.pk])).status_code == 404
    client.post(reverse("notifications-read-all"))
    api = APIClient()
    api.force_authenticate(org.inside)
    assert api.get(reverse("api:notification-detail", args=[theirs.pk])).status_code == 404
    assert api.post(reverse("api:notification-read", args=[theirs.pk])).status_code == 404
    api.post(reverse("api:notification-read-all"))
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_pages_need_a_sign_in(client):
    assert client.get(reverse("inbox")).status_code == 302


# --- API -------------------------------------------------------------------------------------


def test_api_lists_and_marks_my_notifications(org):
    mine = note(org.inside, "我的", link="/units/", urgent=True)
    note(org.inside, "我的第二条")
    note(org.outsider, "别人的")
    api = APIClient()
    api.force_authenticate(org.inside)
    body = api.get(reverse("api:notification-list")).json()
    assert [r["title"] for r in body["results"]] == ["我的第二条", "我的"]
    assert body["results"][1]["link"] == "/units/" and body["results"][1]["urgent"] is True
    response = api.post(reverse("api:notification-read", args=[mine.pk]))
    assert response.status_code == 200 and response.json()["is_read"] is True
    response = api.post(reverse("api:notification-read-all"))
    assert response.json() == {"marked_read": 1}


# --- preferences -----------------------------------------------------------------------------


def test_preferences_form_on_the_profile_page(org, client):
    client.force_login(org.inside)
    html = client.get(reverse("profile")).content.decode()
    assert 'id="notifications-heading"' in html and 'name="daily_digest"' in html
    response = client.post(
        reverse("notification-preferences"), {"email": "on", "daily_digest": "on"}
    )
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=org.inside)
    assert (pref.email, pref.sms, pref.daily_digest) == (True, False, True)
    client.post(reverse("notification-preferences"), {"sms": "on"})
    pref.refresh_from_db()
    assert (pref.email, pref.sms, pref.daily_digest) == (False, True, False)
