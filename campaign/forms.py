"""Forms of the campaign pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TaskForce


class ChainFilterForm(forms.Form):
    """The task-force filter above a campaign's chain table.

    Choices come from the task forces the page has already loaded, so the form costs no
    query; the chosen value is applied by :class:`campaign.filtersets.ChainFilterSet`.
    """

    task_force = forms.TypedChoiceField(
        label=_("task force"),
        required=False,
        coerce=int,
        empty_value=None,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: object, task_forces: list[TaskForce], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["task_force"].choices = [  # type: ignore[attr-defined]
            ("", _("All task forces")),
            *((force.pk, force.name) for force in task_forces),
        ]

    def selected(self) -> int | None:
        """The chosen task force's id, or None (also for an unknown value)."""
        return self.cleaned_data.get("task_force") if self.is_valid() else None
