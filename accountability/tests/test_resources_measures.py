"""Permission tests of the measures and exemptions pages and API, declared with
:mod:`tests.resources`; ``tests/test_action_parity.py`` asks each write of the rule, the page
and the API for every persona."""

from __future__ import annotations

from typing import Any

from accountability import rules
from accountability.models import AccountabilityMeasure, Exemption, ExemptionStatus, Notice
from accounts.models import Unit
from tests.resources import ResourceTests, Write, url

from .measure_factories import issued_notice, new_exemption, new_measure


def _measure_marker(measure: AccountabilityMeasure) -> str:
    return f"依据第{measure.pk}号措施另行问责"


def _measure_form(measure: AccountabilityMeasure) -> dict[str, Any]:
    """A new measure on the context measure's unit, its basis naming the context measure."""
    return {
        "campaign": measure.campaign_id,
        "kind": "circulated_criticism",
        "unit": measure.unit_id,
        "basis": _measure_marker(measure),
        "deciding_authority": "测试市纪委监委",
        "decided_on": "2022-05-30",
    }


class TestMeasures(ResourceTests):
    page_list, page_detail = "accountability:measure-list", "accountability:measure-detail"
    api_list, api_detail = "api:measure-list", "api:measure-detail"

    def make(self, org: Any, unit: Unit) -> AccountabilityMeasure:
        return new_measure(org, unit)

    def shown_in_page(self, obj: AccountabilityMeasure) -> str:
        return obj.document_number

    writes = [
        Write(
            "record a measure",
            on_object=False,
            page=lambda m: (url("accountability:measure-new"), _measure_form(m)),
            api=lambda m: ("post", url("api:measure-list"), _measure_form(m)),
            done=lambda m: AccountabilityMeasure.objects.filter(basis=_measure_marker(m)).exists(),
            rule=lambda user, m: rules.can_record_measure(user, m.unit),
            allowed=("above", "admin"),
            refused=("inside",),
        ),
    ]


def _application(notice: Notice) -> dict[str, Any]:
    return {
        "notice": notice.pk,
        "distinctions": ["pioneering", "unintentional"],
        "reasons": f"{notice.subject}系改革探索中的失误",
    }


def _decision(name: str, route: str, outcome: str, data: dict[str, Any]) -> Write:
    """The office's decision on a pending exemption, by page and by API."""
    return Write(
        name,
        page=lambda e: (url(f"accountability:exemption-{route}", e), data),
        api=lambda e: ("post", url(f"api:exemption-{route}", e), data),
        done=lambda e: Exemption.objects.filter(pk=e.pk, status=outcome).exists(),
        rule=rules.can_decide_exemption,
        allowed=("above", "admin"),
        refused=("inside",),
    )


class TestExemptions(ResourceTests):
    page_list, page_detail = "accountability:exemption-list", "accountability:exemption-detail"
    api_list, api_detail = "api:exemption-list", "api:exemption-detail"

    def make(self, org: Any, unit: Unit) -> Exemption:
        return new_exemption(org, unit)

    def shown_in_page(self, obj: Exemption) -> str:
        return obj.reasons

    writes = [
        Write(
            "apply for an exemption",
            # The context is an issued notice; the application names it in its body.
            make=issued_notice,
            on_object=False,
            page=lambda n: (url("accountability:exemption-apply"), _application(n)),
            api=lambda n: ("post", url("api:exemption-list"), _application(n)),
            done=lambda n: Exemption.objects.filter(notice=n).exists(),
            rule=lambda user, n: rules.can_apply_exemption(user, n.target_unit),
            allowed=("inside",),
            refused=("above",),
        ),
        _decision("approve an exemption", "approve", ExemptionStatus.APPROVED, {}),
        _decision("refuse an exemption", "refuse", ExemptionStatus.REFUSED, {"note": "理由不充分"}),
    ]
