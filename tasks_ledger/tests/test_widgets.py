"""FastSelect writes the HTML Django's select templates write, without a template per option."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test.signals import template_rendered
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy

from accounts.models import Unit
from tasks_ledger.widgets import FastSelect

CHOICES: list[Any] = [
    ("", "全部单位"),
    (1, "　甲县 <局>"),
    ("b&c", 'say "hi"'),
    ("组", [(3, "甲镇"), (4, mark_safe("<b>乙镇</b>"))]),
    (5, "丙县"),
]
#: Without a group (the filters' selects): drawn from the choices directly. A value twice
#: (only the first is selected, as Django's), None as a value, safe and lazy labels.
FLAT: list[Any] = [
    ("", "全部单位"),
    (None, "无"),
    (1, "　甲县 <局>"),
    ("b&c", 'say "hi"'),
    (4, mark_safe("<b>乙镇</b>")),
    (1, "甲县（重复）"),
    (5, gettext_lazy("all areas")),
]


@pytest.mark.parametrize("choices", [CHOICES, FLAT], ids=["groups", "flat"])
@pytest.mark.parametrize("value", [None, "", 1, "1", "b&c", 4, "missing"])
@pytest.mark.parametrize(
    "attrs",
    [
        None,
        {"class": "form-select form-select-sm", "id": "id_unit"},
        {"required": True, "disabled": False, "data-x": 'a"b', "aria-label": mark_safe("&amp;")},
    ],
)
def test_the_same_html_as_django_select(choices, value, attrs):
    django = forms.Select(choices=choices).render("unit", value, attrs=attrs)
    fast = FastSelect(choices=choices).render("unit", value, attrs=attrs)
    assert fast == django


def test_a_select_without_groups_is_drawn_from_its_choices():
    """Choices without a group take the direct path; with one, Django's option groups."""
    assert FastSelect(choices=FLAT)._flat("unit", 1, None) is not None
    assert FastSelect(choices=CHOICES)._flat("unit", 1, None) is None


@pytest.mark.django_db
def test_a_model_choice_field_draws_the_same_and_renders_no_template(org):
    """GIVEN a form with a model choice of units WHEN drawn THEN FastSelect's HTML is
    Django's, and no template was rendered for it."""

    class Django(forms.Form):
        unit = forms.ModelChoiceField(Unit.objects.order_by("path"), empty_label="全部")

    class Fast(forms.Form):
        unit = forms.ModelChoiceField(
            Unit.objects.order_by("path"), empty_label="全部", widget=FastSelect
        )

    data = {"unit": org.county_a.pk}
    expected = str(Django(data)["unit"])
    rendered: list[str] = []

    def seen(sender: Any, template: Any, **kwargs: Any) -> None:
        rendered.append(template.name)

    template_rendered.connect(seen)
    try:
        html = str(Fast(data)["unit"])
    finally:
        template_rendered.disconnect(seen)
    assert html == expected
    assert f'<option value="{org.county_a.pk}" selected>' in html
    assert rendered == []
