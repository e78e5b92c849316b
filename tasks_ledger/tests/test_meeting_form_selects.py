"""The meeting form draws its big selects (units, people, ledgers, chains) without a
template per option: at a province they are 5,000 options each and the form took over 20 s."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.test.signals import template_rendered

pytestmark = pytest.mark.django_db


def test_only_the_attending_units_are_drawn_by_a_template(org: Any) -> None:
    """GIVEN the office WHEN it opens the meeting form THEN the host unit, chair and the
    decision's unit list their choices, and the option templates drawn are only the
    attending units' (a multiple select), the campaigns' and the meeting kinds'."""
    from tasks_ledger.models import MeetingKind

    client = Client()
    client.force_login(org.above)
    rendered: list[str] = []

    def seen(sender: Any, template: Any, **kwargs: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(seen)
    try:
        response = client.get("/ledgers/meetings/new/")
    finally:
        template_rendered.disconnect(seen)

    assert response.status_code == 200
    html = response.content.decode()
    for name in ("host_unit", "chair", "decisions-0-unit"):
        options = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
        assert options.count("<option") > 1, name
    small = [  # the selects still drawn by Django's templates
        html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0].count("<option")
        for name in ("attending_units", "campaign")
    ]
    drawn = rendered.count("django/forms/widgets/select_option.html")
    assert drawn <= sum(small) + len(MeetingKind.choices)
