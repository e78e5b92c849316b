"""Forms of the assessment office's pages: a new round, the score grid, one score with its
comment and evidence, and a deduction.

Forms only parse and check input; every write goes through :mod:`assessments.services`,
which checks rights and invariants again. Its refusals come back onto the form, on the field
they name (:func:`accountability.measure_forms.add_service_errors`).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from accountability.measure_forms import ItemChoiceField, NoticeChoiceField
from accountability.models import Notice
from accounts.models import Unit
from tasks_ledger.forms import CHOOSE, ISO_DATE, SELECT, TEXT, EvidenceField, UnitChoiceField
from tasks_ledger.models import TEXT_MAX, TITLE_MAX, LedgerItem

from .models import DeductionOrigin, Indicator, RoundKind, ScoreEntry

TEXTAREA = {"class": "form-control", "rows": 3}
DATE = {"class": "form-control", "type": "date"}
POINTS = {"class": "form-control", "inputmode": "decimal", "step": "0.01", "min": "0"}


def _date(label: Any, required: bool = True, help_text: Any = "") -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateInput(attrs=DATE, format=ISO_DATE),
    )


def _points(label: Any, maximum: Decimal | None, minimum: Decimal, **kwargs: Any) -> Any:
    attrs = dict(POINTS, min=str(minimum))
    if maximum is not None:
        attrs["max"] = str(maximum)
    return forms.DecimalField(
        label=label,
        min_value=minimum,
        max_value=maximum,
        max_digits=7,
        decimal_places=2,
        widget=forms.NumberInput(attrs=attrs),
        **kwargs,
    )


class RoundForm(forms.Form):
    """A new quarterly or annual round: title, kind, quarter, period, last day for appeals."""

    title = forms.CharField(label=_("title"), max_length=TITLE_MAX, widget=forms.TextInput(TEXT))
    kind = forms.ChoiceField(
        label=_("kind"), choices=RoundKind.choices, widget=forms.Select(attrs=SELECT)
    )
    quarter = forms.TypedChoiceField(
        label=_("quarter"),
        choices=[
            ("", _("none (annual round)")),
            (1, _("first quarter")),
            (2, _("second quarter")),
            (3, _("third quarter")),
            (4, _("fourth quarter")),
        ],
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.Select(attrs=SELECT),
    )
    period_start = _date(_("period starts"))
    period_end = _date(_("period ends"))
    appeal_until = _date(
        _("appeals until"),
        required=False,
        help_text=_("Units may appeal a deduction up to and including this day."),
    )


def cell_name(unit_id: int, indicator_id: int) -> str:
    """The grid's input name for one unit's score on one indicator."""
    return f"s_{unit_id}_{indicator_id}"


class ScoreGridForm(forms.Form):
    """The score grid: one optional points field per unit and indicator typed in (not those
    computed from the ledger), each from 0 to the indicator's maximum, and the moment the grid
    was opened (a score someone else saved after it is not overwritten unseen)."""

    opened_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        unit_ids: Iterable[int],
        indicators: Iterable[Indicator],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for indicator in indicators:
            if indicator.metric:
                continue
            for unit_id in unit_ids:
                field = _points(indicator.name, indicator.max_points, Decimal(0), required=False)
                field.widget.attrs["class"] = "form-control form-control-sm app-score-cell"
                self.fields[cell_name(unit_id, indicator.pk)] = field


class ScoreForm(forms.Form):
    """One score: points, the assessor's comment and evidence files."""

    points = forms.DecimalField(label=_("points"))
    comment = forms.CharField(
        label=_("comment"),
        required=False,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs=TEXTAREA),
    )
    evidence = EvidenceField(label=_("add evidence"), required=False)
    #: When the page was opened: a score someone else saved after it is not overwritten.
    opened_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, entry: ScoreEntry, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["points"] = _points(_("points"), entry.indicator.max_points, Decimal(0))


class DeductionForm(forms.Form):
    """A deduction: unit, indicator, points, where it came from (a notice or an overdue
    ledger item names it), the reason and evidence."""

    unit = UnitChoiceField(
        label=_("unit"),
        queryset=Unit.objects.none(),
        empty_label=CHOOSE,
        widget=forms.Select(attrs=SELECT),
    )
    indicator = forms.ModelChoiceField(
        label=_("indicator"),
        queryset=Indicator.objects.none(),
        empty_label=CHOOSE,
        widget=forms.Select(attrs=SELECT),
    )
    points = _points(_("points deducted"), None, Decimal("0.01"))
    origin = forms.ChoiceField(
        label=_("origin"),
        choices=[("", CHOOSE), *DeductionOrigin.choices],
        widget=forms.Select(attrs=SELECT),
    )
    notice = NoticeChoiceField(
        label=_("notice"),
        queryset=Notice.objects.none(),
        required=False,
        empty_label=_("None"),
        widget=forms.Select(attrs=SELECT),
        help_text=_("When the deduction comes from a notice sent to the unit."),
    )
    item = ItemChoiceField(
        label=_("ledger item"),
        queryset=LedgerItem.objects.none(),
        required=False,
        empty_label=_("None"),
        widget=forms.Select(attrs=SELECT),
        help_text=_("When the deduction comes from one of the unit's overdue ledger items."),
    )
    reason = forms.CharField(
        label=_("reason"), max_length=TEXT_MAX, widget=forms.Textarea(attrs=TEXTAREA)
    )
    evidence = EvidenceField(label=_("evidence"), required=False)

    def __init__(
        self,
        *args: Any,
        units: QuerySet[Unit],
        indicators: QuerySet[Indicator],
        notices: QuerySet[Notice],
        items: QuerySet[LedgerItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units  # type: ignore[attr-defined]
        self.fields["indicator"].queryset = indicators  # type: ignore[attr-defined]
        self.fields["indicator"].label_from_instance = lambda i: (  # type: ignore[attr-defined]
            f"{i.code} {i.name}（{i.get_source_display()}，{i.max_points}）"
        )
        self.fields["notice"].queryset = notices  # type: ignore[attr-defined]
        self.fields["item"].queryset = items  # type: ignore[attr-defined]
