"""Notification delivery done by the Celery worker.

Tasks take ids, never objects, and are safe to run twice: delivery marks what it sent
(``emailed_at``, ``texted_at``) and skips what is already marked.
"""

from __future__ import annotations

from celery import shared_task


@shared_task(
    name="accounts.tasks.deliver_notifications",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,  # sent on commit; with Redis down the send must fail fast
)
def deliver_notifications(notification_ids: list[int]) -> dict[str, int]:
    """Email and text the given notifications to the recipients who want them."""
    from .notifications import notifications_deliver

    return notifications_deliver(notification_ids=notification_ids)


@shared_task(
    name="accounts.tasks.send_notification_digests", acks_late=True, reject_on_worker_lost=True
)
def send_notification_digests() -> int:
    """Email each digest user one message listing their unread notifications of the day."""
    from .notifications import notification_digests_send

    return notification_digests_send()


@shared_task(name="accounts.tasks.deliver_pending_notifications", acks_late=True)
def deliver_pending_notifications() -> dict[str, int]:
    """Send the emails and texts whose queued delivery was lost (Redis was down) or is late."""
    from datetime import timedelta

    from django.conf import settings

    from .notifications import notifications_deliver_pending

    return notifications_deliver_pending(
        grace=timedelta(seconds=settings.NOTIFICATION_RESEND_AFTER_SECONDS)
    )
