"""Notifications: the one service other apps call to tell people something.

:func:`notify` writes the in-app notifications (the inbox, the navbar's bell) in one INSERT
and, once the transaction commits, enqueues their delivery by email and SMS
(:func:`notifications_deliver`, run by the worker). Each user chooses in
:class:`~accounts.models.NotificationPreference` whether to get emails, one per notification
or one daily digest (:func:`notification_digests_send`, run by beat), and whether urgent
notifications are texted to their phone. Reading and marking read are scoped to the
recipient: nobody else's notification is found.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from . import versioned_cache
from .models import Notification, NotificationPreference, User, validate_relative_link
from .sms import get_sms_backend

#: How far back the daily digest looks.
DIGEST_PERIOD = dt.timedelta(days=1)
#: How long a cached unread count may be shown at most (every write that changes it drops
#: it at once: :func:`unread_changed`).
UNREAD_CACHE_SECONDS = 300
_UNREAD = "unread"


def notify(
    *,
    recipients: Iterable[User | int],
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    urgent: bool = False,
) -> list[Notification]:
    """Tell each recipient (users or user ids; duplicates count once) the same thing.

    ``kind`` is a short code of the subject (e.g. ``"notice"``), ``link`` a path on this
    site (``/...``) to the subject. Urgent notifications are also texted to those who want
    SMS and have a phone. Emails and texts leave after the caller's transaction commits,
    so a rolled-back write tells nobody. Returns the notifications written.
    """
    validate_relative_link(link)
    user_ids = list(dict.fromkeys(r if isinstance(r, int) else r.pk for r in recipients))
    if not user_ids:
        return []
    now = timezone.now()
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient_id=user_id,
            kind=kind,
            title=title,
            body=body,
            link=link,
            urgent=urgent,
            created_at=now,
        )
        for user_id in user_ids
    )
    unread_changed(user_ids=user_ids)
    _deliver_on_commit([n.pk for n in notifications])
    return notifications


@dataclass(frozen=True)
class Message:
    """One thing to tell some people (as :func:`notify`'s arguments)."""

    recipients: Sequence[int]
    kind: str
    title: str
    body: str = ""
    link: str = ""
    urgent: bool = False


def notify_many(messages: Iterable[Message]) -> list[int]:
    """Tell many things at once, each to its recipients (duplicates within a message count
    once): one INSERT however many, for the sweep that writes thousands. Delivery as
    :func:`notify`, after commit. Returns the notifications' ids."""
    columns: dict[str, list[Any]] = {
        "recipient": [],
        "title": [],
        "body": [],
        "link": [],
        "kind": [],
        "urgent": [],
    }
    for message in messages:
        validate_relative_link(message.link)
        for user_id in dict.fromkeys(message.recipients):
            columns["recipient"].append(user_id)
            columns["title"].append(message.title[:200])
            columns["body"].append(message.body)
            columns["link"].append(message.link)
            columns["kind"].append(message.kind)
            columns["urgent"].append(message.urgent)
    if not columns["recipient"]:
        return []
    table = connection.ops.quote_name(Notification._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (recipient_id, title, body, link, kind, urgent, created_at)
            SELECT r, t, b, l, k, u, %s
            FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[],
                        %s::boolean[]) AS m(r, t, b, l, k, u)
            RETURNING id
            """,  # noqa: S608 (our table name; every value is a parameter)
            [timezone.now(), *columns.values()],
        )
        ids = [row[0] for row in cursor.fetchall()]
    unread_changed(user_ids=columns["recipient"])
    _deliver_on_commit(ids)
    return ids


def _deliver_on_commit(ids: list[int], batch: int = 500) -> None:
    """Queue the delivery by email and SMS once the caller's transaction commits (a
    rolled-back write tells nobody), in batches the worker takes one at a time. With Redis
    down the write still stands and :func:`notifications_deliver_pending` sends them later."""
    from config.celery import send_on_commit

    from . import tasks

    for start in range(0, len(ids), batch):
        send_on_commit(tasks.deliver_notifications, ids[start : start + batch])


def notifications_deliver_pending(
    *, now: dt.datetime | None = None, grace: dt.timedelta, batch: int = 500
) -> dict[str, int]:
    """Send what should have gone by email or text and has not: notifications of the last
    day, older than ``grace``, whose recipient wants them emailed one by one (or texted,
    when urgent) and has the address (or phone). Their queued delivery was lost (Redis was
    down when it was sent) or has not run. Safe beside it: :func:`notifications_deliver`
    locks and marks what it sends, so nothing goes twice. Returns what was sent."""
    now = now or timezone.now()
    pref = "recipient__notification_preference"
    no_pref = Q(**{f"{pref}__isnull": True})
    wants_email = (
        Q(emailed_at=None)
        & ~Q(recipient__email="")
        & (no_pref | Q(**{f"{pref}__email": True, f"{pref}__daily_digest": False}))
    )
    wants_text = (
        Q(urgent=True, texted_at=None)
        & ~Q(recipient__phone="")
        & (no_pref | Q(**{f"{pref}__sms": True}))
    )
    ids = list(
        Notification.objects.filter(
            created_at__gte=now - DIGEST_PERIOD,
            created_at__lte=now - grace,
            recipient__is_active=True,
        )
        .filter(wants_email | wants_text)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sent = {"emailed": 0, "texted": 0}
    for start in range(0, len(ids), batch):
        for key, count in notifications_deliver(
            notification_ids=ids[start : start + batch]
        ).items():
            sent[key] += count
    return sent


def absolute_link(link: str) -> str:
    """The link as a full address for an email (the path alone when ``SITE_URL`` is unset)."""
    if not link:
        return ""
    return settings.SITE_URL.rstrip("/") + link


def preferences_of(user_ids: Iterable[int]) -> dict[int, NotificationPreference]:
    """Each user's preferences, the defaults for those who never chose (one query)."""
    ids = set(user_ids)
    found = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=ids)}
    return {uid: found.get(uid) or NotificationPreference(user_id=uid) for uid in ids}


def email_text(notification: Notification) -> str:
    """The plain-text body of one notification's email."""
    parts = [notification.body, absolute_link(notification.link)]
    return "\n\n".join(p for p in parts if p)


def notifications_deliver(*, notification_ids: list[int]) -> dict[str, int]:
    """Send the emails and texts the recipients want for these notifications.

    Rows are locked while they are sent and marked, so two workers never send one twice
    and a redelivered task skips what went out. Inactive users get nothing.
    """
    sent = {"emailed": 0, "texted": 0}
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        pending = list(
            Notification.objects.filter(pk__in=notification_ids, recipient__is_active=True)
            .filter(Q(emailed_at=None) | Q(texted_at=None, urgent=True))
            .select_related("recipient")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("pk")
        )
        prefs = preferences_of(n.recipient_id for n in pending)
        emails: list[EmailMessage] = []
        emailed: list[int] = []
        texted: list[int] = []
        sms = get_sms_backend()
        for notification in pending:
            user, pref = notification.recipient, prefs[notification.recipient_id]
            if notification.emailed_at is None and pref.emails_each and user.email:
                emails.append(
                    EmailMessage(
                        subject=notification.title, body=email_text(notification), to=[user.email]
                    )
                )
                emailed.append(notification.pk)
            if notification.urgent and notification.texted_at is None and pref.sms and user.phone:
                text = " ".join(
                    p for p in (notification.title, absolute_link(notification.link)) if p
                )
                sms.send(user.phone, text)
                texted.append(notification.pk)
        if emails:
            get_connection().send_messages(emails)
        now = timezone.now()
        sent["emailed"] = Notification.objects.filter(pk__in=emailed).update(emailed_at=now)
        sent["texted"] = Notification.objects.filter(pk__in=texted).update(texted_at=now)
    return sent


def notification_digests_send(*, now: dt.datetime | None = None) -> int:
    """Email each digest user one message listing their unread, unemailed notifications of
    the last day; returns how many emails were sent. Listed notifications are marked emailed,
    so a second run the same day sends nothing again."""
    now = now or timezone.now()
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        rows = list(
            Notification.objects.filter(
                read_at=None,
                emailed_at=None,
                created_at__gte=now - DIGEST_PERIOD,
                recipient__is_active=True,
                recipient__notification_preference__email=True,
                recipient__notification_preference__daily_digest=True,
            )
            .exclude(recipient__email="")
            .select_related("recipient")
            .select_for_update(of=("self",), skip_locked=True)
            .order_by("recipient_id", "created_at", "pk")
        )
        by_user: dict[int, list[Notification]] = defaultdict(list)
        for notification in rows:
            by_user[notification.recipient_id].append(notification)
        emails = []
        for items in by_user.values():
            user = items[0].recipient
            lines = [
                _("You have %(count)d unread notifications from the last day:")
                % {"count": len(items)},
                "",
            ]
            for item in items:
                when = timezone.localtime(item.created_at).strftime("%m-%d %H:%M")
                lines.append(f"· {when} {item.title}")
                if item.link:
                    lines.append(f"  {absolute_link(item.link)}")
            lines += ["", _("Your inbox: %(url)s") % {"url": absolute_link("/accounts/inbox/")}]
            emails.append(
                EmailMessage(
                    subject=_("Daily digest: %(count)d unread notifications")
                    % {"count": len(items)},
                    body="\n".join(lines),
                    to=[user.email],
                )
            )
        if emails:
            get_connection().send_messages(emails)
        Notification.objects.filter(pk__in=[n.pk for n in rows]).update(emailed_at=now)
    return len(emails)


# --- reading ---------------------------------------------------------------------------


def notifications_of(*, user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first (never anyone else's)."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user).order_by("-created_at", "-id")


def _unread_version(user_id: int) -> str:
    return versioned_cache.cache_key(_UNREAD, "version", user_id)


def unread_changed(*, user_ids: Iterable[int], using: str = DEFAULT_DB_ALIAS) -> None:
    """These users' unread counts changed: drop the cached ones (now and on commit).

    Called by every write here, and for single rows saved or deleted elsewhere (the admin, a
    test's factory) by :mod:`accounts.receivers`.
    """
    versioned_cache.bump([_unread_version(uid) for uid in user_ids], using=using)


def unread_count(*, user: User) -> int:
    """How many of the user's notifications are unread: from the cache, or one query (the
    navbar's bell asks on every page)."""
    if not user.is_authenticated:
        return 0
    return versioned_cache.cached(
        version=_unread_version(user.pk),
        key=versioned_cache.cache_key(_UNREAD, user.pk),
        compute=lambda: notifications_of(user=user).filter(read_at=None).count(),
        timeout=UNREAD_CACHE_SECONDS,
    )


def notification_mark_read(*, user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read (again is harmless).

    Raises ``Notification.DoesNotExist`` for anyone else's.
    """
    notification = notifications_of(user=user).get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, user: User) -> int:
    """Mark every unread notification of the user read; how many were."""
    count = notifications_of(user=user).filter(read_at=None).update(read_at=timezone.now())
    if count:
        unread_changed(user_ids=[user.pk])
    return count


def notification_preference_of(*, user: User) -> NotificationPreference:
    """The user's preferences (unsaved defaults when they never chose)."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


def notification_preference_set(
    *, user: User, email: bool, sms: bool, daily_digest: bool
) -> NotificationPreference:
    """Save the user's choice of emails, texts and digest."""
    preference, _created = NotificationPreference.objects.update_or_create(
        user=user, defaults={"email": email, "sms": sms, "daily_digest": daily_digest}
    )
    return preference
