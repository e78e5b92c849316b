"""Campaign pages: the list, one campaign's overview and one responsibility chain.

Views are thin: they parse the request, call the selectors (which scope everything to the
caller's jurisdiction) and render. A campaign or chain the caller may not see is a 404; who
may see a chain is :mod:`campaign.rules`'s question.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django_tables2 import RequestConfig

from accounts.history import HistoryScope, scope_of
from accounts.jurisdiction import jurisdiction_for
from accounts.tables import history_preview
from accounts.views import history_page, signed_in_user, wants_partial
from tasks_ledger.selectors import ledger_items

from .filtersets import ChainFilterSet
from .forms import ChainFilterForm
from .models import (
    Campaign,
    CampaignPhase,
    ChainCooperation,
    ResponsibilityChain,
    SupervisionGroup,
    TaskForce,
)
from .rules import can_view_chain
from .selectors import (
    campaign_detail,
    campaign_overview_list,
    campaign_unit_coverage,
    chain_children,
    chain_detail,
    chain_list,
    supervision_group_list,
    task_force_list,
)
from .tables import CampaignTable, ChainItemTable, ChainTable

CAMPAIGNS_PER_PAGE = 25
CHAINS_PER_PAGE = 15
CHAIN_ITEMS_PER_PAGE = 20


@dataclass(frozen=True)
class PhaseStep:
    """A phase placed on the timeline relative to today."""

    phase: CampaignPhase
    state: str  # "done", "current" or "upcoming"


def phase_steps(phases: list[CampaignPhase], today: date) -> list[PhaseStep]:
    """Mark each phase done, current or upcoming (no queries)."""
    steps = []
    for phase in phases:
        if phase.end_date < today:
            state = "done"
        elif phase.start_date <= today:
            state = "current"
        else:
            state = "upcoming"
        steps.append(PhaseStep(phase=phase, state=state))
    return steps


@login_required
@require_GET
def campaign_list_view(request: HttpRequest) -> HttpResponse:
    """Campaigns the user takes part in, with their counts, sortable and paged."""
    table = CampaignTable(campaign_overview_list(user=signed_in_user(request)))
    RequestConfig(request, paginate={"per_page": CAMPAIGNS_PER_PAGE}).configure(table)
    return render(request, "campaign/campaign_list.html", {"table": table})


def _chain_section(
    request: HttpRequest, campaign: Campaign, task_forces: list[TaskForce]
) -> dict[str, Any]:
    """The chain table of one campaign, filtered by task force and paged (3 queries)."""
    form = ChainFilterForm(request.GET, task_forces=task_forces)
    chains = ChainFilterSet(
        {"task_force": form.selected() or ""},
        queryset=chain_list(user=signed_in_user(request), campaign=campaign),
        request=request,
    ).qs
    table = ChainTable(chains)
    RequestConfig(request, paginate={"per_page": CHAINS_PER_PAGE}).configure(table)
    return {"chain_form": form, "chain_table": table}


@login_required
@require_GET
def campaign_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One campaign: phases, task forces, supervision groups, chains and history.

    The chain table's filter and pages are htmx requests answered by the ``chains`` partial.
    """
    user = signed_in_user(request)
    try:
        campaign = campaign_detail(user=user, pk=pk)
    except Campaign.DoesNotExist as exc:
        raise Http404(_("No such campaign for you.")) from exc
    task_forces = list(task_force_list(user=user, campaign=campaign))
    if wants_partial(request, "chains"):
        context = {"campaign": campaign, **_chain_section(request, campaign, task_forces)}
        return render(request, "campaign/campaign_detail.html#chains", context)
    groups = list(supervision_group_list(user=user, campaign=campaign))
    context = {
        "campaign": campaign,
        "steps": phase_steps(list(campaign.phases.all()), timezone.localdate()),
        "task_forces": task_forces,
        "groups": groups,
        "coverage": campaign_unit_coverage(user=user, campaign=campaign),
        "history": history_preview(
            campaign_history_scope(campaign),
            reader_id=user.pk,
            full_url=reverse("campaign:history", args=[campaign.pk]),
        ),
        **_chain_section(request, campaign, task_forces),
    }
    return render(request, "campaign/campaign_detail.html", context)


@login_required
@require_GET
def chain_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One responsibility chain: its five posts, the level above and below, the ledger items
    it carries within the caller's jurisdiction, and its history.

    Its items are paged; a page of them is an htmx request answered by the ``items`` partial.
    """
    user = signed_in_user(request)
    try:
        chain = chain_detail(user=user, pk=pk)
    except ResponsibilityChain.DoesNotExist as exc:
        raise Http404(_("No such responsibility chain in your jurisdiction.")) from exc
    # The ledger's own selector: only items the caller may see, whoever else the chain covers.
    items = ChainItemTable(ledger_items(user=user).filter(chain=chain))
    RequestConfig(request, paginate={"per_page": CHAIN_ITEMS_PER_PAGE}).configure(items)
    if wants_partial(request, "chain-items"):
        return render(request, "campaign/chain_detail.html#items", {"chain": chain, "items": items})
    j = jurisdiction_for(user)
    parent = chain.parent
    context = {
        "chain": chain,
        "unit_visible": j.can_view(chain.unit),
        "lead_visible": j.can_view(chain.lead_department),
        "parent": parent,
        "parent_visible": parent is not None and can_view_chain(user, parent),
        "children": list(chain_children(user=user, chain=chain)),
        "items": items,
        "history": history_preview(
            chain_history_scope(chain),
            reader_id=user.pk,
            full_url=reverse("campaign:chain-history", args=[chain.pk]),
            items_url=chain_items_history_url(chain),
        ),
    }
    return render(request, "campaign/chain_detail.html", context)


# --- history -----------------------------------------------------------------------------


def campaign_history_scope(campaign: Campaign) -> HistoryScope:
    """The campaign's own changes and those of its campaign-wide parts. Chains and meetings
    are left out: each reader sees only those of their jurisdiction, on their own pages."""
    from tasks_ledger.models import Area, Ledger, LightPolicy

    return scope_of(
        campaign,
        related=(CampaignPhase, TaskForce, SupervisionGroup, Area, Ledger, LightPolicy),
    )


@login_required
@require_GET
def campaign_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """All changes of a campaign and of its phases, task forces, groups, areas and ledgers."""
    try:
        campaign = campaign_detail(user=signed_in_user(request), pk=pk)
    except Campaign.DoesNotExist as exc:
        raise Http404(_("No such campaign for you.")) from exc
    return history_page(
        request,
        scope=campaign_history_scope(campaign),
        heading=_("History of %(name)s") % {"name": campaign.name},
        description=_(
            "Changes to the campaign, its phases, task forces, groups, areas and ledgers."
        ),
        crumbs=[
            (_("Campaigns"), reverse("campaign:list")),
            (campaign.name, reverse("campaign:detail", args=[campaign.pk])),
        ],
    )


def chain_history_scope(chain: ResponsibilityChain) -> HistoryScope:
    """A chain's own changes: the records pointing at it include items of units the reader
    may not see (their progress, their reports) and other counties' shares of it; its items'
    changes are on their own page, within the reader's jurisdiction."""
    return scope_of(chain, related=(ChainCooperation,))


def chain_items_history_url(chain: ResponsibilityChain) -> str:
    """The changes of the ledger items the chain carries."""
    return f"{reverse('ledger:items-history')}?{urlencode({'chain': chain.pk})}"


def chain_history_tabs(chain: ResponsibilityChain, *, items: bool) -> list[tuple[str, str, bool]]:
    """The two histories of a chain: the chain itself, and the items it carries."""
    return [
        (_("The chain itself"), reverse("campaign:chain-history", args=[chain.pk]), not items),
        (_("Its ledger items"), chain_items_history_url(chain), items),
    ]


@login_required
@require_GET
def chain_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """All changes of a chain's own records (404 where the chain page is)."""
    try:
        chain = chain_detail(user=signed_in_user(request), pk=pk)
    except ResponsibilityChain.DoesNotExist as exc:
        raise Http404(_("No such responsibility chain in your jurisdiction.")) from exc
    return history_page(
        request,
        scope=chain_history_scope(chain),
        heading=_("History of %(name)s") % {"name": chain.subject},
        description=_("Changes to the chain's posts and its cooperating departments."),
        crumbs=[(chain.subject, reverse("campaign:chain-detail", args=[chain.pk]))],
        tabs=chain_history_tabs(chain, items=False),
    )
