"""Forms of the unit's pages and the appeals: a unit's appeal against a deduction (reasons and
evidence) and the office's decision on it (upheld or rejected, with the reason).

Forms only parse and check input (files by :func:`tasks_ledger.services.evidence_validate`
through :class:`tasks_ledger.forms.EvidenceField`); every write goes through
:mod:`assessments.services`, which checks rights and invariants again.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from tasks_ledger.forms import EvidenceField
from tasks_ledger.models import TEXT_MAX

UPHELD, REJECTED = "upheld", "rejected"


class AppealForm(forms.Form):
    """Why the deduction is wrong, and evidence for it."""

    reasons = forms.CharField(
        label=_("reasons for the appeal"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 5}),
        error_messages={"required": _("Say why the deduction is wrong.")},
    )
    evidence = EvidenceField(
        label=_("evidence"),
        required=False,
        help_text=_("PDF, images, Word or Excel; several files at once are fine."),
    )


class AppealDecisionForm(forms.Form):
    """The office's decision: upheld (the deduction is reversed) or rejected, and why."""

    decision = forms.ChoiceField(
        label=_("the decision on the appeal"),
        choices=[
            (UPHELD, _("Upheld: reverse the deduction")),
            (REJECTED, _("Rejected: the deduction stands")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether the appeal is upheld or rejected.")},
    )
    reason = forms.CharField(
        label=_("reason for the decision"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
        error_messages={"required": _("Give the reason for the decision.")},
    )

    @property
    def upheld(self) -> bool:
        """Whether the office upholds the appeal (after validation)."""
        return self.cleaned_data.get("decision") == UPHELD
