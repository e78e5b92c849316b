"""Forms of the notice pages: drafting, and the actions on a notice's page (reply with
evidence, return with a reason, escalate).

Forms only parse and check the input's shape; every write goes through
:mod:`accountability.services`, which checks rights and the lifecycle again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from campaign.models import SupervisionGroup
from tasks_ledger.forms import ISO_DATE, SELECT, TEXT, EvidenceField
from tasks_ledger.models import TEXT_MAX, TITLE_MAX

from .models import NoticeKind

DATE = {"class": "form-control", "type": "date"}
AREA = {"class": "form-control", "rows": 4}


def _date_field(label: Any, *, required: bool = True) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        input_formats=[ISO_DATE],
        widget=forms.DateInput(attrs=DATE, format=ISO_DATE),
    )


class GroupChoiceField(forms.ModelChoiceField):
    """A supervision group by its name and campaign."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name}（{obj.campaign}）" if obj.campaign_id else str(obj.name)


class NoticeDraftForm(forms.Form):
    """Draft a notice about a ledger item or a matter named in words."""

    kind = forms.ChoiceField(
        label=_("kind"), choices=NoticeKind.choices, widget=forms.Select(attrs=SELECT)
    )
    group = GroupChoiceField(
        label=_("issuing supervision group"),
        queryset=SupervisionGroup.objects.none(),
        required=False,
        empty_label=_("In the campaign office's own name"),
        widget=forms.Select(attrs=SELECT),
    )
    subject_title = forms.CharField(
        label=_("matter"),
        max_length=TITLE_MAX,
        required=False,
        widget=forms.TextInput(attrs=TEXT),
    )
    facts = forms.CharField(
        label=_("facts"), max_length=TEXT_MAX, widget=forms.Textarea(attrs=AREA)
    )
    requirements = forms.CharField(
        label=_("requirements"), max_length=TEXT_MAX, widget=forms.Textarea(attrs=AREA)
    )
    reply_deadline = _date_field(_("reply deadline"))
    attachments = EvidenceField(label=_("attachments"), required=False)

    def __init__(
        self,
        *args: Any,
        groups: QuerySet[SupervisionGroup],
        office: bool,
        needs_subject: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        group_field: Any = self.fields["group"]
        group_field.queryset = groups
        # Someone who drafts only as a group member must name the group.
        group_field.required = not office
        if not office:
            group_field.empty_label = None
        if needs_subject:
            self.fields["subject_title"].required = True
        else:
            del self.fields["subject_title"]


class ReplyForm(forms.Form):
    """The target unit's reply: the rectification in words and evidence files."""

    text = forms.CharField(
        label=_("rectification"), max_length=TEXT_MAX, widget=forms.Textarea(attrs=AREA)
    )
    evidence = EvidenceField(label=_("evidence files"), required=False)


class ReturnForm(forms.Form):
    """Why a reply is returned for rework."""

    reason = forms.CharField(
        label=_("reason for return"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={**AREA, "rows": 3}),
    )


class EscalateForm(forms.Form):
    """Draft the next, more serious notice about the same matter."""

    kind = forms.ChoiceField(
        label=_("kind"), choices=(), required=False, widget=forms.Select(attrs=SELECT)
    )
    reply_deadline = _date_field(_("reply deadline"))
    facts = forms.CharField(
        label=_("facts"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={**AREA, "rows": 3}),
        help_text=_("Leave empty to keep the facts of this notice."),
    )
    requirements = forms.CharField(
        label=_("requirements"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={**AREA, "rows": 3}),
        help_text=_("Leave empty to keep the requirements of this notice."),
    )

    def __init__(self, *args: Any, current_kind: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        rank = NoticeKind.rank_of(current_kind)
        field: Any = self.fields["kind"]
        field.choices = [
            (value, label)
            for value, label in NoticeKind.choices
            if NoticeKind.rank_of(value) > rank
        ]
