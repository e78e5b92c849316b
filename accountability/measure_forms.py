"""Forms of the measures and exemptions pages: recording a measure, applying for an
exemption, and the office's decision on one.

Forms only parse and check input; every write goes through :mod:`accountability.services`,
which checks rights and invariants again. Their refusals come back onto the form, on the
field they name (:func:`add_service_errors`).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit, User
from campaign.models import Campaign
from tasks_ledger.forms import CHOOSE, ISO_DATE, SELECT, TEXT, PersonChoiceField, UnitChoiceField
from tasks_ledger.models import TEXT_MAX, TITLE_MAX, LedgerItem

from .models import Distinction, MeasureKind, Notice

TEXTAREA = {"class": "form-control", "rows": 3}


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: on the field it names when the form has
    it, else above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class NoticeChoiceLabel:
    """Notices labelled by number, unit and matter."""

    def label_from_instance(self, obj: Any) -> str:
        number = obj.number or obj.get_kind_display()
        return f"{number} · {obj.target_unit.name} · {obj.subject}"


class NoticeMultipleChoiceField(NoticeChoiceLabel, forms.ModelMultipleChoiceField):
    """Several notices, labelled by number, unit and matter."""


class NoticeChoiceField(NoticeChoiceLabel, forms.ModelChoiceField):
    """One notice, labelled by number, unit and matter."""


class ItemChoiceField(forms.ModelChoiceField):
    """Ledger items labelled by number, title and unit."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} {obj.title} · {obj.unit.name}"


class MeasureForm(forms.Form):
    """An accountability measure (六问): what, on whom, why, decided by whom and when."""

    campaign = forms.ModelChoiceField(
        label=_("campaign"),
        queryset=Campaign.objects.none(),
        empty_label=CHOOSE,
        widget=forms.Select(attrs=SELECT),
    )
    kind = forms.ChoiceField(
        label=_("measure"),
        choices=[("", CHOOSE), *MeasureKind.choices],
        widget=forms.Select(attrs=SELECT),
    )
    unit = UnitChoiceField(
        label=_("unit"),
        queryset=Unit.objects.none(),
        empty_label=CHOOSE,
        widget=forms.Select(attrs=SELECT),
    )
    person = PersonChoiceField(
        label=_("person held accountable"),
        queryset=User.objects.none(),
        required=False,
        empty_label=_("None: the unit alone"),
        widget=forms.Select(attrs=SELECT),
    )
    notices = NoticeMultipleChoiceField(
        label=_("notices cited"),
        queryset=Notice.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    basis = forms.CharField(
        label=_("basis"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs=TEXTAREA),
        help_text=_("Cite notices above, or state the basis in words, or both."),
    )
    deciding_authority = forms.CharField(
        label=_("deciding authority"), max_length=TITLE_MAX, widget=forms.TextInput(attrs=TEXT)
    )
    decided_on = forms.DateField(
        label=_("decided on"),
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format=ISO_DATE),
    )
    document_number = forms.CharField(
        label=_("document number"),
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs=TEXT),
    )
    note = forms.CharField(
        label=_("note"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        campaigns: QuerySet[Campaign],
        units: QuerySet[Unit],
        people: QuerySet[User],
        notices: QuerySet[Notice],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["person"].queryset = people  # type: ignore[attr-defined]
        self.fields["notices"].queryset = notices  # type: ignore[attr-defined]


class ExemptionForm(forms.Form):
    """A unit's application for an exemption about a notice or a ledger item."""

    notice = NoticeChoiceField(
        label=_("notice"),
        queryset=Notice.objects.none(),
        required=False,
        empty_label=CHOOSE,
        widget=forms.Select(attrs=SELECT),
    )
    item = ItemChoiceField(
        label=_("ledger item"),
        queryset=LedgerItem.objects.none(),
        required=False,
        empty_label=CHOOSE,
        widget=forms.Select(attrs=SELECT),
    )
    distinctions = forms.MultipleChoiceField(
        label=_("the three distinctions (三个区分开来)"),
        choices=Distinction.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one of the three distinctions.")},
    )
    reasons = forms.CharField(
        label=_("reasons"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 5}),
        error_messages={"required": _("State the reasons.")},
    )

    def __init__(
        self,
        *args: Any,
        notices: QuerySet[Notice],
        items: QuerySet[LedgerItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["notice"].queryset = notices  # type: ignore[attr-defined]
        self.fields["item"].queryset = items  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        """A notice or a ledger item: the matter the exemption is about."""
        data = super().clean() or {}
        if not data.get("notice") and not data.get("item") and not self.has_error("notice"):
            raise ValidationError(_("Choose the notice or the ledger item the exemption is about."))
        return data


class DecisionForm(forms.Form):
    """The office's note on its decision (required by the service to refuse)."""

    note = forms.CharField(
        label=_("decision note"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )
