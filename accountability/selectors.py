"""Reads of notices, already scoped to the caller (:func:`rules.viewable_notices_q`) and
carrying what their readers show, so the registry page, the API and the Excel export
(督办登记表) read the same rows and agree on their numbers.
"""

from __future__ import annotations

from datetime import date

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, QuerySet
from django.utils import timezone

from accounts.models import Unit, User
from campaign.models import Campaign, SupervisionGroup

from . import rules
from .models import Notice, NoticeAttachment, overdue_q

#: What a row of the registry shows besides the notice's own columns (one join each).
LIST_RELATED = ("target_unit", "group", "issuing_unit", "item", "campaign")


def notice_list(*, user: User, today: date | None = None) -> QuerySet[Notice]:
    """Notices the caller may see, newest first, each with ``overdue`` (past its reply
    deadline and still awaiting the unit's reply, as of ``today``)."""
    today = today or timezone.localdate()
    return (
        Notice.objects.filter(rules.viewable_notices_q(user))
        .select_related(*LIST_RELATED)
        .annotate(overdue=ExpressionWrapper(overdue_q(today), output_field=BooleanField()))
    )


def notice_detail(*, user: User, pk: int, today: date | None = None) -> Notice:
    """One notice with everything its page and the API's detail show: the people named on
    it, its files, what it escalates from and what escalated from it. Raises
    ``Notice.DoesNotExist`` outside the caller's sight."""
    return (
        notice_list(user=user, today=today)
        .select_related(
            "escalated_from",
            "drafted_by",
            "approved_by",
            "issued_by",
            "signed_for_by",
            "replied_by",
            "closed_by",
            "item__ledger",
        )
        .prefetch_related(
            "responsible_people",
            Prefetch(
                "attachments", queryset=NoticeAttachment.objects.select_related("uploaded_by")
            ),
            # Only the escalations the caller sees: a draft is the issuer side's alone.
            Prefetch(
                "escalations",
                queryset=Notice.objects.filter(rules.viewable_notices_q(user))
                .select_related("target_unit")
                .order_by("drafted_at", "pk"),
            ),
        )
        .get(pk=pk)
    )


def draft_groups(*, user: User, campaign: Campaign, unit: Unit) -> list[SupervisionGroup]:
    """The campaign's supervision groups in whose name ``user`` may draft to ``unit``
    (:func:`rules.can_draft_notice`)."""
    return [
        group
        for group in SupervisionGroup.objects.filter(campaign=campaign).select_related("campaign")
        if rules.can_draft_notice(user, unit, group)
    ]


def may_draft_to(*, user: User, campaign: Campaign, unit: Unit) -> bool:
    """Whether ``user`` may draft a notice to ``unit`` at all: in the office's own name or in
    one of the campaign's groups'."""
    return rules.can_draft_notice(user, unit) or bool(
        draft_groups(user=user, campaign=campaign, unit=unit)
    )
