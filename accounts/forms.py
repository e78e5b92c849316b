"""Forms of the accounts pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import UnitKind, UnitLevel


class UnitSearchForm(forms.Form):
    """The search box and filters above the organisation tree (all optional, GET)."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=50,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("Unit name, short name or code"),
                "autocomplete": "off",
            }
        ),
    )
    level = forms.ChoiceField(
        label=_("Level"),
        required=False,
        choices=[("", _("All levels")), *UnitLevel.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All kinds")), *UnitKind.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def filters(self) -> dict[str, str]:
        """The cleaned filters ("" when absent or invalid), as keyword arguments."""
        data = self.cleaned_data if self.is_valid() else {}
        return {
            "search": (data.get("q") or "").strip(),
            "level": data.get("level") or "",
            "kind": data.get("kind") or "",
        }
