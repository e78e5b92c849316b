"""The escalation sweep as a Celery task, run every morning by beat.

acks_late with reject_on_worker_lost: a worker killed mid-sweep leaves the message on the
queue and the sweep runs again; the sweep's one transaction rolled back, so the second run
writes exactly what one clean run would have (:mod:`accountability.escalation`).
"""

from __future__ import annotations

from celery import Task, shared_task


@shared_task(
    bind=True, name="accountability.tasks.escalate", acks_late=True, reject_on_worker_lost=True
)
def escalate(self: Task, trigger: str = "beat", now: str = "") -> dict[str, int]:
    """Sweep the campaigns under way as of ``now`` (ISO-8601; default the present) and
    return the run's counts."""
    from .escalation import parse_moment, sweep

    moment = parse_moment(now) if now else None
    run = sweep(now=moment, trigger=trigger, task_id=self.request.id or "")
    return {"run": run.pk, **run.counts}
