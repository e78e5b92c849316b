"""Forms of the ledger pages: progress in the row and on the item page, sign-off and
extension requests, the office's decisions, and review meetings with their decisions.

Forms only parse and check input; every write goes through :mod:`tasks_ledger.services`,
which checks rights and invariants again.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.models import Unit, User
from campaign.models import Campaign, ResponsibilityChain

from .models import REPORT_MAX, TEXT_MAX, Ledger, MeetingKind, StatusChange
from .services import evidence_validate
from .widgets import FastSelect

TEXT = {"class": "form-control"}
#: Date inputs (type="date") take and give ISO dates whatever the language.
ISO_DATE = "%Y-%m-%d"
CHOOSE = _("Choose…")
SELECT = {"class": "form-select"}
#: Most files one form accepts at once (the server checks each file's type and size).
MAX_FILES = 10


class MultipleFileInput(forms.ClearableFileInput):
    """A file input that lets the user pick several files."""

    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Several evidence files, each checked by :func:`services.evidence_validate`."""

    widget = MultipleFileInput

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    "class": "form-control",
                    "accept": ".pdf,.jpg,.jpeg,.png,.doc,.docx,.xls,.xlsx",
                }
            ),
        )
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        """Every chosen file, checked; an empty list when none was chosen."""
        single = super().clean
        uploads = data if isinstance(data, list | tuple) else [data] if data else []
        if self.required and not uploads:
            raise ValidationError(self.error_messages["required"], code="required")
        if len(uploads) > MAX_FILES:
            raise ValidationError(
                _("Attach at most %(count)d files at once.") % {"count": MAX_FILES}
            )
        cleaned = [single(upload, initial) for upload in uploads]
        for upload in cleaned:
            evidence_validate(upload)
        return cleaned


class RowProgressForm(forms.Form):
    """Progress typed into a row of the list: percent, a short text, and the version the
    row was rendered with (so a stale row cannot overwrite someone else's change)."""

    percent = forms.IntegerField(
        label=_("progress (%)"),
        min_value=0,
        max_value=100,
        widget=forms.NumberInput(
            attrs={"class": "form-control form-control-sm", "min": 0, "max": 100, "step": 1}
        ),
    )
    text = forms.CharField(
        label=_("what was done"),
        max_length=REPORT_MAX,
        error_messages={"required": _("Say what was done.")},
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("What was done since the last report"),
                "autocomplete": "off",
            }
        ),
    )
    lower_reason = forms.CharField(
        label=_("why progress goes down"),
        max_length=REPORT_MAX,
        required=False,
        widget=forms.TextInput(
            attrs={
                "class": "form-control form-control-sm",
                "placeholder": _("Only when the figure is lower than the accepted one"),
                "autocomplete": "off",
            }
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def clean_text(self) -> str:
        """Trimmed text; blank after trimming is missing."""
        text = self.cleaned_data["text"].strip()
        if not text:
            raise ValidationError(_("Say what was done."))
        return text


class ProgressForm(RowProgressForm):
    """The item page's progress report: as in the row, with evidence files and room to
    write more."""

    text = forms.CharField(
        label=_("what was done"),
        max_length=REPORT_MAX,
        error_messages={"required": _("Say what was done.")},
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    lower_reason = forms.CharField(
        label=_("why progress goes down"),
        help_text=_("Needed only when the figure is lower than the accepted one."),
        max_length=REPORT_MAX,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    evidence = EvidenceField(label=_("evidence files"), required=False)


class SignOffRequestForm(forms.Form):
    """Ask for sign-off (销号) with a completion report and at least one evidence file."""

    note = forms.CharField(
        label=_("completion report"),
        max_length=REPORT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    evidence = EvidenceField(label=_("evidence files"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ExtensionRequestForm(forms.Form):
    """Ask, before the deadline, to move it to a later date."""

    new_deadline = forms.DateField(
        label=_("requested deadline"),
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format=ISO_DATE),
    )
    reason = forms.CharField(
        label=_("reason"),
        max_length=REPORT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )


class StatusChangeRequestForm(forms.Form):
    """Ask the office to suspend, cancel or resume an item, with a reason."""

    change = forms.ChoiceField(
        label=_("request"),
        choices=StatusChange.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    reason = forms.CharField(
        label=_("reason"),
        max_length=REPORT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
    )

    def __init__(self, *args: Any, changes: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if changes:
            self.fields["change"].choices = [  # type: ignore[attr-defined]
                (value, label) for value, label in StatusChange.choices if value in changes
            ]


class DecisionForm(forms.Form):
    """The office's decision on a report, sign-off or extension: a reason is required when
    returning or refusing (the service says so in Chinese)."""

    reason = forms.CharField(
        label=_("reason"),
        required=False,
        max_length=REPORT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control form-control-sm", "rows": 2}),
    )


# --- review meetings -------------------------------------------------------------------------
class UnitChoiceField(forms.ModelChoiceField):
    """Units labelled by their full name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class UnitMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Units labelled by their full name."""

    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class PersonChoiceField(forms.ModelChoiceField):
    """People labelled by real name and username, so namesakes can be told apart."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name or obj.username}（{obj.username}）"


class MeetingForm(forms.Form):
    """A review meeting: campaign, date, kind, title, host, chair and attending units."""

    campaign = forms.ModelChoiceField(
        label=_("campaign"),
        queryset=Campaign.objects.none(),
        empty_label=CHOOSE,
        widget=forms.Select(attrs=SELECT),
    )
    date = forms.DateField(
        label=_("date"),
        widget=forms.DateInput(attrs={"class": "form-control", "type": "date"}, format=ISO_DATE),
    )
    kind = forms.ChoiceField(
        label=_("kind"), choices=MeetingKind.choices, widget=forms.Select(attrs=SELECT)
    )
    title = forms.CharField(label=_("title"), max_length=200, widget=forms.TextInput(attrs=TEXT))
    # FastSelect: at a province the units and the people are 5,000 options each, drawn
    # by a template apiece the form took over 20 s (widgets.py). Same HTML.
    host_unit = UnitChoiceField(
        label=_("host unit"),
        queryset=Unit.objects.none(),
        empty_label=CHOOSE,
        widget=FastSelect(attrs=SELECT),
    )
    chair = PersonChoiceField(
        label=_("chair"),
        queryset=User.objects.none(),
        empty_label=CHOOSE,
        widget=FastSelect(attrs=SELECT),
    )
    attending_units = UnitMultipleChoiceField(
        label=_("attending units"),
        queryset=Unit.objects.none(),
        required=False,
        widget=forms.SelectMultiple(attrs={"class": "form-select", "size": 8}),
        help_text=_("Hold Ctrl (or ⌘) to choose several."),
    )
    minutes = forms.CharField(
        label=_("minutes"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )

    def __init__(
        self,
        *args: Any,
        campaigns: QuerySet[Campaign],
        host_units: QuerySet[Unit],
        units: QuerySet[Unit],
        chairs: QuerySet[User],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = campaigns  # type: ignore[attr-defined]
        self.fields["host_unit"].queryset = host_units  # type: ignore[attr-defined]
        self.fields["attending_units"].queryset = units  # type: ignore[attr-defined]
        self.fields["chair"].queryset = chairs  # type: ignore[attr-defined]


class MeetingDecisionForm(forms.Form):
    """One decision (议定事项) of a meeting, to become a ledger item."""

    ledger = forms.ModelChoiceField(
        label=_("ledger"),
        queryset=Ledger.objects.none(),
        empty_label=CHOOSE,
        widget=FastSelect(attrs={"class": "form-select form-select-sm"}),
    )
    unit = UnitChoiceField(
        label=_("responsible unit"),
        queryset=Unit.objects.none(),
        empty_label=CHOOSE,
        widget=FastSelect(attrs={"class": "form-select form-select-sm"}),
    )
    title = forms.CharField(
        label=_("item"),
        max_length=300,
        widget=forms.TextInput(attrs={"class": "form-control form-control-sm"}),
    )
    deadline = forms.DateField(
        label=_("deadline"),
        required=False,
        help_text=_("Leave empty for a long-term item (长期坚持)."),
        widget=forms.DateInput(
            attrs={"class": "form-control form-control-sm", "type": "date"}, format=ISO_DATE
        ),
    )
    chain = forms.ModelChoiceField(
        label=_("responsibility chain"),
        queryset=ResponsibilityChain.objects.none(),
        required=False,
        empty_label=_("No chain yet"),
        widget=FastSelect(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(
        self,
        *args: Any,
        ledgers: QuerySet[Ledger],
        units: QuerySet[Unit],
        chains: QuerySet[ResponsibilityChain],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ledger"].queryset = ledgers  # type: ignore[attr-defined]
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["chain"].queryset = chains  # type: ignore[attr-defined]


class BaseDecisionFormSet(forms.BaseFormSet):
    """Decisions of one meeting; blank extra rows are ignored, at least one is required."""

    def decisions(self) -> list[dict[str, Any]]:
        """Cleaned data of the filled, not deleted decisions."""
        return [
            form.cleaned_data
            for form in self.forms
            if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def clean(self) -> None:
        """A meeting is recorded for its decisions: at least one is needed."""
        if any(self.errors):
            return
        if not self.decisions():
            raise ValidationError(_("Add at least one decision."))


DecisionFormSet = forms.formset_factory(
    MeetingDecisionForm,
    formset=BaseDecisionFormSet,
    extra=1,
    can_delete=True,
    max_num=50,
    validate_max=True,
)
