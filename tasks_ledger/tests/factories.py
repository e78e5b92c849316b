"""Builders for ledgers and items in tests (through the services, as the app does)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from accounts.models import Unit
from campaign.models import Campaign
from tasks_ledger.models import Ledger, LedgerItem, LedgerKind
from tasks_ledger.services import area_get_or_create, ledger_create, ledger_item_create


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
    deadline: dt.date = dt.date(2022, 6, 30),
    **fields: Any,
) -> LedgerItem:
    """An item of ``unit`` in ``ledger``."""
    fields.setdefault("title", f"{unit.name}重点任务")
    return ledger_item_create(
        actor=None, ledger=ledger, unit=unit, start_date=start, deadline=deadline, **fields
    )
