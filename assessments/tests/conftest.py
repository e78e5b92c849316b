"""An assessment world on the shared ``org``: the scheme of ``make_world`` (in use) with
甲县, 甲镇 and 乙县 assessed beside its four counties, and a round in each status."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.cache import cache
from django.db import connection

from accountability.models import Notice, NoticeKind, NoticeStatus
from campaign.tests.factories import CampaignFactory

from ..models import (
    CategoryMember,
    Deduction,
    DeductionOrigin,
    Round,
    RoundKind,
    RoundStatus,
    Scheme,
    SchemeStatus,
)
from .test_results import World, make_world

#: The last day for appeals in the fixture's review round.
APPEAL_UNTIL = dt.date(2022, 7, 20)


@pytest.fixture(autouse=True)
def _forget_cached_rankings() -> None:
    """Published rankings are cached by database and round (:mod:`assessments.selectors`);
    a test database made afresh numbers its rounds from 1 again, so every test starts
    without what an earlier run left in Redis."""
    cache.delete_pattern(f"ranking:{connection.settings_dict['NAME']}:*")


def scheme_elsewhere(owner_unit: Any, year: int = 2022) -> Scheme:
    """A scheme of another campaign owned by ``owner_unit``, all weight on the daily source."""
    return Scheme.objects.create(
        campaign=CampaignFactory(owner_unit=owner_unit),
        year=year,
        title=f"{owner_unit.name}{year}年方案",
        daily_weight=Decimal(100),
        annual_weight=0,
        third_party_weight=0,
        public_weight=0,
    )


@dataclass
class Assessment:
    org: Any
    w: World
    rounds: dict[str, Round]

    @property
    def review(self) -> Round:
        return self.rounds[RoundStatus.REVIEW]

    @property
    def scoring(self) -> Round:
        return self.rounds[RoundStatus.SCORING]

    def deduct(self, round_: Round, unit: Any, points: str = "5", **fields: Any) -> Deduction:
        return Deduction.objects.create(
            round=round_,
            unit=unit,
            indicator=self.w.indicators["D1"],
            points=Decimal(points),
            reason="暗访发现台账更新不及时",
            origin=fields.pop("origin", DeductionOrigin.INSPECTION),
            **fields,
        )

    def notice(self, unit: Any, title: str = "督办事项") -> Notice:
        return Notice.objects.create(
            campaign=self.org.campaign,
            kind=NoticeKind.REMINDER,
            status=NoticeStatus.ISSUED,
            issuing_unit=self.org.city,
            target_unit=unit,
            subject_title=title,
            facts="事实",
            requirements="要求",
            reply_deadline=dt.date(2022, 6, 30),
            number_year=2022,
            sequence=Notice.objects.count() + 1,
        )


@pytest.fixture
def assessment(org: Any) -> Assessment:
    """The scheme in use; make_world's review round is Q2 (appeals until 20 July); Q1 is
    published, Q3 scoring, Q4 a draft and the annual round archived."""
    w = make_world(org, 2)
    # New units sort in among their siblings, which moves the paths of the org's units.
    for unit in (org.city_dept, org.county_a, org.county_a_dept, org.township_a, org.county_b):
        unit.refresh_from_db()
    w.scheme.status = SchemeStatus.IN_USE
    w.scheme.save(update_fields=["status"])
    CategoryMember.objects.bulk_create(
        CategoryMember(scheme=w.scheme, category=w.category, unit=unit)
        for unit in (org.county_a, org.township_a, org.county_b)
    )
    w.round.appeal_until = APPEAL_UNTIL
    w.round.save(update_fields=["appeal_until"])
    rounds = {RoundStatus.REVIEW.value: w.round}
    for status, kind, quarter in (
        (RoundStatus.PUBLISHED, RoundKind.QUARTERLY, 1),
        (RoundStatus.SCORING, RoundKind.QUARTERLY, 3),
        (RoundStatus.DRAFT, RoundKind.QUARTERLY, 4),
        (RoundStatus.ARCHIVED, RoundKind.ANNUAL, None),
    ):
        month = 3 * (quarter or 4) - 2
        rounds[status.value] = Round.objects.create(
            scheme=w.scheme,
            kind=kind,
            quarter=quarter,
            title=f"2022年{status.label}",
            period_start=dt.date(2022, month if quarter else 1, 1),
            period_end=dt.date(2022, month + 2, 28),
            status=status,
            appeal_until=APPEAL_UNTIL,
        )
    return Assessment(org, w, rounds)
