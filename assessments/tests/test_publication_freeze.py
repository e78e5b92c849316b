"""Publishing freezes a snapshot that later edits cannot change: after Q2 is published,
renaming a unit, a category or the issuing office, changing the scheme's weights and bands,
approving an exemption for a deducted matter, entering scores, recording deductions,
appealing or computing again leave the results, the ranking page, the circular and the
Excel export exactly as published.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accountability.models import Exemption, ExemptionStatus

from .. import services
from ..circular import circular_context
from ..models import (
    Deduction,
    DeductionOrigin,
    DeductionStatus,
    GradeBand,
    Result,
    Scheme,
    UnitCategory,
)
from ..results import round_compute
from .conftest import Assessment
from .test_publication import Published, client_for, page_rows, publish_world, read_export

pytestmark = pytest.mark.django_db

RESULT_FIELDS = [
    f.attname for f in Result._meta.concrete_fields if f.attname not in ("id", "round_id")
]


@pytest.fixture
def published(assessment: Assessment) -> Published:
    return publish_world(assessment, _matter)


def snapshot(p: Published) -> dict[str, Any]:
    """Everything published about the round: its result rows, the ranking page's table
    rows and headline, the circular's words and the export's rows (less the export date)."""
    client = client_for(p.org.assessor)
    html = client.get(reverse("assessments:round-ranking", args=[p.round.pk])).content.decode()
    rows = read_export(client, p.round)
    return {
        "results": list(
            Result.objects.filter(round=p.round).order_by("unit_id").values_list(*RESULT_FIELDS)
        ),
        "page": (page_rows(html), [line for line in html.splitlines() if "data-col=" in line]),
        "circular": circular_context(p.round),
        "export": [rows[0], rows[1][0].split(" · ")[0], *rows[2:]],
    }


def _rename(p: Published) -> None:
    org = p.org
    org.county_a.name = "甲县（更名）"
    org.county_a.save(update_fields=["name"])
    org.city.name = "测试市（更名）"
    org.city.save(update_fields=["name"])
    UnitCategory.objects.filter(pk=p.towns.pk).update(name="乡镇（街道）")


def _reweigh(p: Published) -> None:
    Scheme.objects.filter(pk=p.round.scheme_id).update(
        daily_weight=Decimal(10), annual_weight=Decimal(10), public_weight=Decimal(60)
    )
    GradeBand.objects.filter(scheme_id=p.round.scheme_id).update(min_total=Decimal(10))


def _matter(a: Assessment) -> None:
    """Before publication: a notice to 甲县 and a deduction on it in Q2."""
    notice = a.notice(a.org.county_a, "甲县督办事项")
    a.deduct(a.w.round, a.org.county_a, "3", origin=DeductionOrigin.NOTICE, notice=notice)


def _exempt(p: Published) -> None:
    """An exemption for the matter is approved after publication: its release leaves the
    published round's deduction standing."""
    org = p.org
    on_matter = Deduction.objects.get(round=p.round, notice__isnull=False)
    exemption = Exemption.objects.create(
        campaign=org.campaign,
        unit=org.county_a,
        notice=on_matter.notice,
        distinctions=["pioneering"],
        reasons="先行先试",
        applied_by=org.inside,
        status=ExemptionStatus.APPROVED,
    )
    assert services.deductions_release(exemption=exemption) == 0
    on_matter.refresh_from_db()
    assert on_matter.status == DeductionStatus.STANDING


def _refused_writes(p: Published) -> None:
    org, w = p.org, p.a.w
    deduction = Deduction.objects.filter(round=p.round).first()
    assert deduction is not None
    attempts: list[Callable[[], Any]] = [
        lambda: services.scores_enter(
            round_=p.round,
            actor=org.assessor,
            entries=[(org.county_b, w.indicators["P1"], "100", "")],
        ),
        lambda: services.deduction_record(
            round_=p.round,
            actor=org.assessor,
            unit=org.county_b,
            indicator=w.indicators["D1"],
            points="5",
            reason="发布后补扣",
            origin=DeductionOrigin.INSPECTION,
        ),
        lambda: services.appeal_file(deduction=deduction, actor=org.inside, reasons="不服"),
        lambda: round_compute(round_=p.round),
    ]
    for attempt in attempts:
        with pytest.raises((ValidationError, PermissionDenied)):
            attempt()


EDITS = {
    "rename a unit, a category and the issuing office": _rename,
    "change the weights and the bands": _reweigh,
    "approve an exemption for a deducted matter": _exempt,
    "enter scores, deduct, appeal, compute again": _refused_writes,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_later_edits_change_nothing_published(published: Published, edit: str) -> None:
    """GIVEN Q2 published WHEN someone makes the edit THEN the results, the ranking page, the
    circular and the export read exactly as before."""
    before = snapshot(published)
    EDITS[edit](published)
    after = snapshot(published)
    assert after == before


def test_the_published_names_stay_after_renaming(published: Published) -> None:
    _rename(published)
    html = (
        client_for(published.org.assessor)
        .get(reverse("assessments:round-ranking", args=[published.round.pk]))
        .content.decode()
    )
    assert "甲县" in page_rows(html) and "甲县（更名）" not in html
    assert "乡镇（街道）" not in html
    words = circular_context(published.round)
    assert words.issuing_body == "测试市能力作风建设领导小组办公室"
