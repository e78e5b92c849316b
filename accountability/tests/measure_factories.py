"""Builders for the measures and exemptions tests: issued notices, measures and exemptions
made through :mod:`accountability.services`, each with text of its own (so a list can be
searched for it) and dated in the shared ``org``'s campaign (2022)."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from accountability import services
from accountability.models import (
    AccountabilityMeasure,
    Distinction,
    Exemption,
    MeasureKind,
    Notice,
    NoticeKind,
)
from accounts.models import Unit, User

_numbers = itertools.count(1)
DECIDED = dt.date(2022, 5, 20)
REPLY_BY = dt.date(2022, 6, 30)
TODAY = dt.date(2022, 6, 1)


def liaison_of(org: Any, unit: Unit) -> User:
    """Who applies for ``unit``: its liaison (the superuser for a unit without one)."""
    return {org.county_a.pk: org.inside, org.county_b.pk: org.outsider}.get(unit.pk) or (
        org.superuser
    )


def issued_notice(org: Any, unit: Unit, kind: str = NoticeKind.REMINDER) -> Notice:
    """A notice about a matter in words, drafted, approved where needed and issued to
    ``unit`` by the city's campaign office."""
    notice = services.notice_draft(
        actor=org.above,
        campaign=org.campaign,
        kind=kind,
        target_unit=unit,
        subject_title=f"{unit.name}事项{next(_numbers)}号",
        facts="项目开工滞后两个月",
        requirements="十日内报送整改方案",
        reply_deadline=REPLY_BY,
        today=TODAY,
    )
    if kind != NoticeKind.REMINDER:
        notice = services.notice_approve(notice=notice, actor=org.above)
    return services.notice_issue(notice=notice, actor=org.above, today=TODAY)


def new_measure(
    org: Any, unit: Unit, *, person: User | None = None, **fields: Any
) -> AccountabilityMeasure:
    """A measure on ``unit`` (or ``person`` of it) recorded by the city's office, with a
    document number of its own."""
    return services.measure_record(
        actor=fields.pop("actor", org.above),
        campaign=org.campaign,
        kind=fields.pop("kind", MeasureKind.ADMONISHMENT),
        unit=unit,
        person=person,
        deciding_authority=fields.pop("deciding_authority", "测试市纪委监委"),
        decided_on=fields.pop("decided_on", DECIDED),
        basis=fields.pop("basis", "督办事项逾期未整改"),
        document_number=fields.pop("document_number", f"测纪〔2022〕{next(_numbers)}号"),
        today=TODAY,
        **fields,
    )


def new_exemption(org: Any, unit: Unit, notice: Notice | None = None) -> Exemption:
    """A pending exemption about a notice issued to ``unit``, applied for by its liaison."""
    notice = notice or issued_notice(org, unit)
    return services.exemption_apply(
        actor=liaison_of(org, unit),
        notice=notice,
        distinctions=[Distinction.PIONEERING],
        reasons=f"{unit.name}先行先试申请{next(_numbers)}号",
    )
