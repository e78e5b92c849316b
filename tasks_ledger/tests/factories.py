"""Builders for ledgers and items in tests (through the services, as the app does)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F

from accounts.models import Unit, User
from campaign.models import Campaign
from tasks_ledger.models import (
    ExtensionRequest,
    Ledger,
    LedgerItem,
    LedgerKind,
    ProgressReport,
    SignOffRequest,
    StatusChange,
    StatusChangeRequest,
)
from tasks_ledger.services import (
    NewItem,
    area_get_or_create,
    ledger_create,
    ledger_item_create,
    ledger_items_bulk_create,
)


def make_ledger(
    campaign: Campaign,
    *,
    kind: str = LedgerKind.KEY_TASK,
    title: str = "重点任务台账",
    area: str = "项目建设",
    owner: Unit | None = None,
) -> Ledger:
    """A ledger in an area of the campaign, owned by the campaign's unit unless told."""
    return ledger_create(
        actor=None,
        campaign=campaign,
        area=area_get_or_create(actor=None, campaign=campaign, name=area),
        kind=kind,
        title=title,
        owner_unit=owner or campaign.owner_unit,
    )


def make_item(
    ledger: Ledger,
    unit: Unit,
    *,
    start: dt.date = dt.date(2022, 3, 1),
    deadline: dt.date | None = dt.date(2022, 6, 30),
    **fields: Any,
) -> LedgerItem:
    """An item of ``unit`` in ``ledger``."""
    fields.setdefault("title", f"{unit.name}重点任务")
    return ledger_item_create(
        actor=None, ledger=ledger, unit=unit, start_date=start, deadline=deadline, **fields
    )


# --- many rows at once (queues, query counts) ----------------------------------------------------


def make_items(
    ledger: Ledger,
    unit: Unit,
    count: int,
    *,
    start: dt.date = dt.date(2022, 3, 1),
    deadline: dt.date = dt.date(2022, 9, 30),
    title: str = "任务",
    **fields: Any,
) -> list[LedgerItem]:
    """``count`` items of ``unit`` through the bulk service (one INSERT), titled
    ``<title>1`` … ``<title>N``."""
    specs = [
        NewItem(unit=unit, title=f"{title}{n}", start_date=start, deadline=deadline, fields=fields)
        for n in range(1, count + 1)
    ]
    return ledger_items_bulk_create(actor=None, ledger=ledger, specs=specs)


def pending_signoffs(items: list[LedgerItem], requester: User) -> list[SignOffRequest]:
    """A pending sign-off request on each item, written in bulk (no evidence files), the
    items marked as waiting for verification as the service marks them."""
    LedgerItem.objects.filter(pk__in=[item.pk for item in items]).update(signoff_pending=True)
    return SignOffRequest.objects.bulk_create(
        SignOffRequest(item=item, requested_by=requester, note=f"{item.title}已完成")
        for item in items
    )


def pending_reports(
    items: list[LedgerItem], reporter: User, *, percent: int = 10
) -> list[ProgressReport]:
    """A progress report waiting for the office on each item, written in bulk."""
    LedgerItem.objects.filter(pk__in=[item.pk for item in items]).update(pending_progress=percent)
    return ProgressReport.objects.bulk_create(
        ProgressReport(item=item, reporter=reporter, percent=percent, text=f"{item.title}推进中")
        for item in items
    )


def pending_extensions(
    items: list[LedgerItem], requester: User, *, new_deadline: dt.date = dt.date(2022, 11, 30)
) -> list[ExtensionRequest]:
    """A pending extension request on each item, written in bulk."""
    return ExtensionRequest.objects.bulk_create(
        ExtensionRequest(
            item=item,
            requested_by=requester,
            reason="汛期停工",
            old_deadline=item.deadline,
            new_deadline=new_deadline,
        )
        for item in items
    )


def pending_status_changes(
    items: list[LedgerItem], requester: User, *, change: str = StatusChange.SUSPEND
) -> list[StatusChangeRequest]:
    """A pending suspension (or other status change) request on each item, written in bulk."""
    return StatusChangeRequest.objects.bulk_create(
        StatusChangeRequest(item=item, requested_by=requester, change=change, reason="规划调整")
        for item in items
    )


def waited(rows: list[Any], *, days: int) -> None:
    """Make rows of a queue look ``days`` older than they are (bulk creation stamps now)."""
    if not rows:
        return
    model = type(rows[0])
    stamp = "created_at" if model is ProgressReport else "requested_at"
    model.objects.filter(pk__in=[row.pk for row in rows]).update(
        **{stamp: F(stamp) - dt.timedelta(days=days)}
    )
