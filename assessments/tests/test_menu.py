"""The navbar's and the home page's assessment entries (``{% assessment_menu %}``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from assessments import rules
from assessments.templatetags.assessment_menu import assessment_menu

from .test_rules import world  # noqa: F401 - the personas' fixture

pytestmark = pytest.mark.django_db


def test_the_menu_says_office_exactly_when_the_rules_do(world: dict[str, Any]) -> None:  # noqa: F811
    """The menu reads the office from the jurisdiction's roles, without a query of its own;
    for every persona it must agree with the rule the workspace itself asks."""
    for name, user in world["people"].items():
        assert assessment_menu(user).office == rules.is_assessment_office(user), name


def test_who_gets_which_entries(world: dict[str, Any]) -> None:  # noqa: F811
    people = world["people"]
    office = assessment_menu(people["county_assessor"])
    assert office.office and office.any
    official = assessment_menu(people["official_assessor"])
    assert not official.office and official.ranking
    township = assessment_menu(people["township"])
    assert township.mine and not township.office
    nobody = assessment_menu(people["anonymous"])
    assert not nobody.any


def test_the_tag_renders_for_the_request_user(world: dict[str, Any]) -> None:  # noqa: F811
    request = RequestFactory().get("/")
    request.user = world["people"]["county_assessor"]
    html = Template(
        "{% load assessment_menu %}{% assessment_menu as m %}{{ m.office }}/{{ m.any }}"
    ).render(Context({"request": request}))
    assert html == "True/True"
