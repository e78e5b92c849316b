"""Exemptions (容错免责): the unit applies under the three distinctions, the campaign office
decides, one pending application per matter (also in the database), an approved exemption
stops escalation of its matter, history, and the two forms of the rules."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accountability import rules, services
from accountability.models import (
    Distinction,
    Exemption,
    ExemptionStatus,
    Notice,
    exempted_items_q,
    exempted_q,
    is_exempted,
)
from accounts.models import Unit
from tasks_ledger.models import LedgerItem

from .conftest import DEADLINE, TODAY, Notices

pytestmark = pytest.mark.django_db

LATER = dt.date(2022, 6, 30)


def _apply(notices: Notices, **fields: Any) -> Exemption:
    if "item" not in fields and "notice" not in fields:
        fields["notice"] = notices.issued()
    return services.exemption_apply(
        actor=fields.pop("actor", notices.org.inside),
        distinctions=fields.pop("distinctions", [Distinction.EXPLORATORY]),
        reasons=fields.pop("reasons", "征地政策调整导致开工滞后，属探索性试验中的失误"),
        **fields,
    )


def test_the_unit_applies_and_the_office_approves(notices: Notices) -> None:
    org = notices.org
    reminder = notices.issued()
    exemption = _apply(
        notices,
        notice=reminder,
        distinctions=[Distinction.UNINTENTIONAL, Distinction.PIONEERING, Distinction.PIONEERING],
    )
    assert exemption.status == ExemptionStatus.PENDING
    assert (exemption.unit, exemption.campaign) == (org.county_a, org.campaign)
    assert exemption.distinctions == [Distinction.PIONEERING, Distinction.UNINTENTIONAL]
    assert not is_exempted(reminder)
    exemption = services.exemption_approve(exemption=exemption, actor=org.above, note="同意免责")
    assert (exemption.status, exemption.decided_by, exemption.decision_note) == (
        ExemptionStatus.APPROVED,
        org.above,
        "同意免责",
    )
    assert is_exempted(reminder)
    with pytest.raises(ValidationError):
        services.exemption_refuse(exemption=exemption, actor=org.above, note="再议")


def test_the_office_refuses_saying_why(notices: Notices) -> None:
    org = notices.org
    exemption = _apply(notices)
    with pytest.raises(ValidationError) as silent:
        services.exemption_refuse(exemption=exemption, actor=org.above, note=" ")
    assert "decision_note" in silent.value.message_dict
    exemption = services.exemption_refuse(exemption=exemption, actor=org.above, note="理由不充分")
    assert exemption.status == ExemptionStatus.REFUSED
    assert not is_exempted(exemption.notice)
    # Refused, the matter may be argued again.
    assert _apply(notices, notice=exemption.notice).status == ExemptionStatus.PENDING


@pytest.mark.parametrize("persona", ["outsider", "official", "supervisor", "assessor"])
def test_only_the_unit_applies(notices: Notices, persona: str) -> None:
    with pytest.raises(PermissionDenied) as refused:
        _apply(notices, actor=getattr(notices.org, persona))
    assert "甲县" in str(refused.value)


@pytest.mark.parametrize("persona", ["inside", "supervisor", "official", "outsider"])
def test_only_the_office_over_the_unit_decides(notices: Notices, persona: str) -> None:
    exemption = _apply(notices)
    with pytest.raises(PermissionDenied) as refused:
        services.exemption_approve(exemption=exemption, actor=getattr(notices.org, persona))
    assert "甲县" in str(refused.value)
    exemption.refresh_from_db()
    assert exemption.status == ExemptionStatus.PENDING


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"distinctions": []}, "distinctions"),
        ({"distinctions": ["other"]}, "distinctions"),
        ({"reasons": "  "}, "reasons"),
    ],
)
def test_bad_input_is_refused_in_words(
    notices: Notices, fields: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        _apply(notices, **fields)
    assert field in refused.value.message_dict
    assert not Exemption.objects.exists()


def test_a_matter_is_needed_and_a_draft_is_no_matter(notices: Notices) -> None:
    with pytest.raises(ValidationError):
        services.exemption_apply(
            actor=notices.org.inside, distinctions=["pioneering"], reasons="理由"
        )
    with pytest.raises(ValidationError) as draft:
        _apply(notices, notice=notices.draft())
    assert "notice" in draft.value.message_dict


def test_one_pending_application_per_matter(notices: Notices) -> None:
    """The service refuses a second pending application in words, and the database's partial
    unique index stops one that slips past the check."""
    first = _apply(notices, item=notices.plain)
    with pytest.raises(ValidationError) as twice:
        _apply(notices, item=notices.plain)
    assert "待审" in twice.value.messages[0] or "申请" in twice.value.messages[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        Exemption.objects.create(
            campaign=first.campaign,
            unit=first.unit,
            item=notices.plain,
            distinctions=["pioneering"],
            reasons="再次申请",
            applied_by=notices.org.inside,
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Exemption.objects.create(
            campaign=first.campaign,
            unit=first.unit,
            distinctions=["pioneering"],
            reasons="没有事项",
            applied_by=notices.org.inside,
        )


def test_escalation_stops_after_an_approved_exemption(notices: Notices) -> None:
    """GIVEN an issued reminder whose ledger item has an approved exemption WHEN it is
    escalated THEN that is refused in words; a reminder about another matter still
    escalates, and the sweep's filter finds exactly the exempted matter."""
    org = notices.org
    reminder = notices.issued()
    other = notices.issued(item=notices.plain)
    exemption = _apply(notices, item=notices.item)
    services.exemption_approve(exemption=exemption, actor=org.above)
    with pytest.raises(ValidationError) as refused:
        services.notice_escalate(
            notice=reminder, actor=org.supervisor, reply_deadline=LATER, today=TODAY
        )
    assert "容错免责" in refused.value.messages[0]
    assert not Notice.objects.filter(escalated_from=reminder).exists()
    order = services.notice_escalate(
        notice=other, actor=org.supervisor, reply_deadline=LATER, today=TODAY
    )
    assert set(Notice.objects.filter(exempted_q())) == {reminder}
    assert set(LedgerItem.objects.filter(exempted_items_q())) == {notices.item}
    assert is_exempted(notices.item) and not is_exempted(notices.plain)
    assert not is_exempted(order)


def test_an_exempted_notice_covers_what_escalates_from_it(notices: Notices) -> None:
    org = notices.org
    draft = notices.draft(
        subject_title="信访积案", target_unit=org.county_a, group=None, actor=org.above
    )
    reminder = services.notice_issue(notice=draft, actor=org.above, today=TODAY)
    order = services.notice_escalate(
        notice=reminder, actor=org.above, reply_deadline=DEADLINE, today=TODAY
    )
    exemption = _apply(notices, notice=reminder)
    services.exemption_approve(exemption=exemption, actor=org.above)
    assert is_exempted(order)
    order = services.notice_approve(notice=order, actor=org.above)
    order = services.notice_issue(notice=order, actor=org.above, today=TODAY)
    with pytest.raises(ValidationError):
        services.notice_escalate(notice=order, actor=org.above, reply_deadline=LATER, today=TODAY)


def test_every_change_is_in_history(notices: Notices) -> None:
    exemption = _apply(notices)
    services.exemption_approve(exemption=exemption, actor=notices.org.above)
    event = apps.get_model("accountability", "ExemptionEvent")
    labels = list(
        event.objects.filter(pgh_obj_id=exemption.pk)
        .order_by("pgh_id")
        .values_list("pgh_label", "status")
    )
    assert labels == [("insert", "pending"), ("update", "approved")]


def test_the_rules_agree_and_say_what_the_domain_says(notices: Notices) -> None:
    org = notices.org
    exemptions = [
        _apply(notices, item=notices.item),
        _apply(notices, item=notices.plain),
        _apply(notices, notice=notices.issued()),
    ]
    services.exemption_refuse(exemption=exemptions[2], actor=org.above, note="不予免责")
    exemptions[2].refresh_from_db()
    people = {**org.personas(), "leader": notices.leader, "anonymous": AnonymousUser()}
    pairs = [
        (rules.can_view_exemption, rules.viewable_exemptions_q),
        (rules.can_decide_exemption, rules.decidable_exemptions_q),
    ]
    for (name, user), (can, q) in ((p, r) for p in people.items() for r in pairs):
        listed = set(Exemption.objects.filter(q(user)).values_list("pk", flat=True))
        assert listed == {e.pk for e in exemptions if can(user, e)}, (name, can.__name__)
    for name, user in people.items():
        units = set(
            Unit.objects.filter(rules.applicable_units_q(user)).values_list("pk", flat=True)
        )
        expected = {u.pk for u in Unit.objects.all() if rules.can_apply_exemption(user, u)}
        assert units == expected, name
    assert rules.can_decide_exemption(org.above, exemptions[0])
    assert not rules.can_decide_exemption(org.above, exemptions[2])  # decided already
    assert not rules.can_decide_exemption(org.inside, exemptions[0])
    assert rules.can_apply_exemption(org.inside, org.township_a)
    assert not rules.can_apply_exemption(org.official, org.county_a)
    assert not rules.can_view_exemption(org.outsider, exemptions[0])
    assert not rules.can_view_exemption(people["anonymous"], exemptions[0])


def test_the_admin_shows_the_city_s_exemptions_and_changes_none(
    notices: Notices, client: Any
) -> None:
    from django.urls import reverse

    org = notices.org
    ours = _apply(notices)
    client.force_login(org.admin)
    listing = client.get(reverse("admin:accountability_exemption_changelist"))
    assert set(listing.context["cl"].queryset) == {ours}
    change = reverse("admin:accountability_exemption_change", args=[ours.pk])
    assert client.get(change).status_code == 200
    assert client.post(change, {"status": "approved"}).status_code == 403
    client.force_login(org.outsider)
    assert client.get(reverse("admin:accountability_exemption_changelist")).status_code == 302
    ours.refresh_from_db()
    assert ours.status == ExemptionStatus.PENDING
