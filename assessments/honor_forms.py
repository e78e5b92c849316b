"""Forms of the honor roll and leaders' list pages: a unit's highlight, the office's decision,
a flag, the publication's confirmation, and the leaders' list filters.

Forms only parse and check input; every write goes through :mod:`assessments.honor`, which
checks rights and invariants again; its refusals come back onto the form
(:func:`accountability.measure_forms.add_service_errors`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accountability.measure_forms import add_service_errors
from accounts.models import Unit, User
from campaign.models import Campaign
from tasks_ledger.forms import (
    CHOOSE,
    SELECT,
    TEXT,
    EvidenceField,
    PersonChoiceField,
    UnitChoiceField,
)
from tasks_ledger.models import TEXT_MAX, TITLE_MAX

from .honor import MAX_PLACE, month_label
from .leader_lists import Side
from .models import FlagColour

__all__ = [
    "DecideForm",
    "FlagForm",
    "HonorSubmitForm",
    "LeaderListFilterForm",
    "PublishForm",
    "add_service_errors",
]

SMALL_SELECT = {"class": "form-select form-select-sm"}


class HonorSubmitForm(forms.Form):
    """A unit's highlight of a month, with evidence."""

    unit = UnitChoiceField(
        label=_("unit"),
        queryset=Unit.objects.none(),
        empty_label=CHOOSE,
        widget=forms.Select(attrs=SELECT),
        error_messages={"required": _("Choose the unit the highlight is of.")},
    )
    month = forms.TypedChoiceField(
        label=_("month"),
        coerce=date.fromisoformat,
        widget=forms.Select(attrs=SELECT),
        error_messages={"required": _("Choose the month.")},
    )
    title = forms.CharField(
        label=_("title"),
        max_length=TITLE_MAX,
        widget=forms.TextInput(attrs={**TEXT, "placeholder": _("for example 信访积案清仓见底")}),
        error_messages={"required": _("Give the highlight a title.")},
    )
    text = forms.CharField(
        label=_("what was achieved"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 6}),
        help_text=_("What was done this month, with figures: what changed, for whom."),
        error_messages={"required": _("Say what the unit achieved.")},
    )
    evidence = EvidenceField(
        label=_("evidence"),
        required=False,
        help_text=_(
            "Photos, documents or reports backing the highlight (PDF, JPG, PNG, Word, Excel)."
        ),
    )

    def __init__(
        self, *args: Any, units: QuerySet[Unit], months: list[date], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["month"].choices = [  # type: ignore[attr-defined]
            (month.isoformat(), month_label(month)) for month in reversed(months)
        ]


class DecideForm(forms.Form):
    """The office's decision on one highlight."""

    selected = forms.TypedChoiceField(
        label=_("decision"),
        choices=[("1", _("select")), ("0", _("do not select"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether to select the highlight.")},
    )
    place = forms.IntegerField(
        label=_("place"),
        required=False,
        min_value=1,
        max_value=MAX_PLACE,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm", "min": 1}),
        help_text=_("Empty: the next free place."),
    )
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )


class FlagForm(forms.Form):
    """A red or blue flag for a unit on the roll."""

    unit = UnitChoiceField(
        label=_("unit"),
        queryset=Unit.objects.none(),
        empty_label=CHOOSE,
        widget=forms.Select(attrs=SMALL_SELECT),
        error_messages={"required": _("Choose the unit to flag.")},
    )
    colour = forms.ChoiceField(
        label=_("flag"),
        choices=FlagColour.choices,
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    reason = forms.CharField(
        label=_("reason"),
        max_length=TEXT_MAX,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
        error_messages={"required": _("Give the reason for the flag.")},
    )

    def __init__(self, *args: Any, units: QuerySet[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]


class PublishForm(forms.Form):
    """Publishing asks for a confirmation: a published roll no longer changes."""

    note = forms.CharField(
        label=_("note on the roll"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
    confirm = forms.BooleanField(
        label=_(
            "I have checked the places and flags; publish the roll now "
            "(it cannot be changed afterwards)."
        ),
        error_messages={"required": _("Tick the confirmation to publish the roll.")},
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )


class LeaderListFilterForm(forms.Form):
    """Which leaders' lists to show: campaign, year, unit, leader and side."""

    campaign = forms.ModelChoiceField(
        label=_("campaign"),
        queryset=Campaign.objects.none(),
        required=False,
        empty_label=None,
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    year = forms.IntegerField(
        label=_("year"),
        required=False,
        min_value=2000,
        max_value=2100,
        widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
    )
    unit = UnitChoiceField(
        label=_("unit"),
        queryset=Unit.objects.none(),
        required=False,
        empty_label=_("All units"),
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    leader = PersonChoiceField(
        label=_("unit leader"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("All leaders"),
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    side = forms.ChoiceField(
        label=_("list"),
        choices=[("", _("Both lists")), *Side.CHOICES],
        required=False,
        widget=forms.Select(attrs=SMALL_SELECT),
    )
    with_entries = forms.BooleanField(
        label=_("only leaders with entries"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )

    def __init__(
        self,
        *args: Any,
        campaigns: QuerySet[Campaign],
        units: QuerySet[Unit],
        leaders: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["leader"].queryset = leaders  # type: ignore[attr-defined]
