"""The public survey's form: the unit (grouped by category), four ratings from 1 to 5, a
comment, the phone number, and a honeypot field that people never see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from tasks_ledger.models import TEXT_MAX

from .models import CategoryMember
from .survey import RATINGS, phone_normalise

#: The name of the honeypot: a field bots like to fill and people never see.
HONEYPOT = "website"
#: What each rating means, worst first (shown under the buttons).
SCALE = (
    (1, _("very dissatisfied")),
    (2, _("dissatisfied")),
    (3, _("so-so")),
    (4, _("satisfied")),
    (5, _("very satisfied")),
)
LABELS = {
    "attitude": _("Service attitude"),
    "efficiency": _("Efficiency"),
    "conduct": _("Integrity and discipline"),
    "overall": _("Overall satisfaction"),
}
HELP = {
    "attitude": _("Were you treated politely and patiently?"),
    "efficiency": _("Was your matter handled promptly, without being sent back and forth?"),
    "conduct": _("Did the staff keep to the rules, without asking favours or delaying?"),
    "overall": _("All in all, how satisfied are you with this unit?"),
}


def unit_choices(members: Iterable[CategoryMember]) -> list[tuple[Any, Any]]:
    """The units of a round grouped by category, in the category's order."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for member in members:
        groups.setdefault(member.category.name, []).append((member.unit_id, member.unit.name))
    return [("", _("Choose the unit you dealt with")), *groups.items()]


class SurveyForm(forms.Form):
    """One answer to the public survey."""

    unit = forms.TypedChoiceField(label=_("Unit you dealt with"), coerce=int)
    attitude = forms.TypedChoiceField(
        label=LABELS["attitude"], coerce=int, choices=SCALE, widget=forms.RadioSelect
    )
    efficiency = forms.TypedChoiceField(
        label=LABELS["efficiency"], coerce=int, choices=SCALE, widget=forms.RadioSelect
    )
    conduct = forms.TypedChoiceField(
        label=LABELS["conduct"], coerce=int, choices=SCALE, widget=forms.RadioSelect
    )
    overall = forms.TypedChoiceField(
        label=LABELS["overall"], coerce=int, choices=SCALE, widget=forms.RadioSelect
    )
    comment = forms.CharField(
        label=_("Comments and suggestions (optional)"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
    )
    phone = forms.CharField(
        label=_("Your mobile number"),
        max_length=20,
        help_text=_(
            "Only to make sure each number answers once per round: it is kept as a one-way "
            "code, never as the number, and nobody will call you."
        ),
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-lg",
                "inputmode": "tel",
                "autocomplete": "tel",
                "placeholder": "138 1234 5678",
            }
        ),
    )
    website = forms.CharField(
        required=False,
        label=_("Leave this empty"),
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, members: Iterable[CategoryMember], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit = self.fields["unit"]
        assert isinstance(unit, forms.TypedChoiceField)
        unit.choices = unit_choices(members)
        unit.widget.attrs["class"] = "form-select form-select-lg"
        for name in RATINGS:
            messages = self.fields[name].error_messages
            messages["required"] = messages["invalid_choice"] = _("Choose a rating from 1 to 5.")
        unit.error_messages["required"] = _("Choose the unit you dealt with.")
        unit.error_messages["invalid_choice"] = _("Choose one of the units listed in this survey.")
        self.fields["phone"].error_messages["required"] = _("Enter your mobile number.")

    def rating_fields(self) -> list[tuple[forms.BoundField, Any]]:
        """The four ratings with the question each asks, for the template."""
        return [(self[name], HELP[name]) for name in RATINGS]

    @property
    def is_bot(self) -> bool:
        """The honeypot was filled: only a program sees that field."""
        return bool(self.data.get(HONEYPOT, "").strip())

    def clean_phone(self) -> str:
        """The number as 11 digits (the service hashes it)."""
        try:
            return phone_normalise(self.cleaned_data["phone"])
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["phone"]) from exc
