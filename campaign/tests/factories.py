"""factory_boy factories for campaigns and their parts."""

from __future__ import annotations

import datetime as dt

import factory

from accounts.tests.factories import UserFactory
from campaign.models import (
    Campaign,
    CampaignStatus,
    SupervisionGroup,
    SupervisionGroupKind,
    TaskForce,
    TaskForceKind,
)


class CampaignFactory(factory.django.DjangoModelFactory[Campaign]):
    """A 2022 campaign; pass ``owner_unit``."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"2022年“能力作风建设年”活动{n}")
    year = 2022
    start_date = dt.date(2022, 1, 1)
    end_date = dt.date(2022, 12, 31)
    status = CampaignStatus.ACTIVE


class TaskForceFactory(factory.django.DjangoModelFactory[TaskForce]):
    """A work force; pass ``campaign``."""

    class Meta:
        model = TaskForce

    name = factory.Sequence(lambda n: f"工作专班{n}")
    kind = TaskForceKind.WORK_FORCE
    area = "项目建设"
    leader = factory.SubFactory(UserFactory)


class SupervisionGroupFactory(factory.django.DjangoModelFactory[SupervisionGroup]):
    """An inspection group; pass ``campaign``; add units with ``assigned_units.set``."""

    class Meta:
        model = SupervisionGroup

    name = factory.Sequence(lambda n: f"第{n}督查指导组")
    kind = SupervisionGroupKind.INSPECTION
    leader = factory.SubFactory(UserFactory)
