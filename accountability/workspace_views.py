"""The supervision group's workspace, the unit's inbox of notices, and the statistics.

Views are thin: they ask :mod:`accountability.stats` (reads scoped by the rules) and render.
Every button they show is backed by the same rule its POST asks (the notice pages' action
views), so a queue never offers what would be refused.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.views import signed_in_user
from tasks_ledger.views import CountedPaginator

from . import stats

#: Rows per page of a workspace tab.
PER_PAGE = 30

#: The workspace's tabs: key, label, icon.
TABS = (
    ("units", gettext_lazy("Supervised units"), "bi-building"),
    ("items", gettext_lazy("Overdue items"), "bi-alarm"),
    ("approve", gettext_lazy("To approve"), "bi-pen"),
    ("issue", gettext_lazy("To issue"), "bi-send"),
    ("review", gettext_lazy("Replies to review"), "bi-clipboard-check"),
    ("overdue", gettext_lazy("Overdue notices"), "bi-exclamation-triangle"),
)


@login_required
@require_GET
def workspace_view(request: HttpRequest) -> HttpResponse:
    """督查督办工作台: the units the user supervises, their red ledger items (each with a
    link to draft a notice), and the notice queues: to approve, to issue, replies to review
    and notices past their reply deadline (with a link to escalate).

    Fixed queries whatever the data (``test_workspace.py``): the scope's root units, the
    four queue counts in one aggregate, the overdue items' COUNT, and the open tab: one
    page of notices, or one page of items with their open notices, or the units' two
    grouped counts.
    """
    user = signed_in_user(request)
    if not stats.supervision_menu(user).workspace:
        raise PermissionDenied(
            _("The workspace is for supervision groups and the campaign office.")
        )
    today = timezone.localdate()
    counts = stats.workspace_counts(user=user, today=today)
    chosen = request.GET.get("tab", "")
    if chosen not in {key for key, _label, _icon in TABS}:
        # Open the first queue that asks something of the user, else their units.
        chosen = next(
            (key for key in ("approve", "issue", "review", "overdue") if counts[key]), "units"
        )
    context: dict[str, Any] = {
        "today": today,
        "scope": list(stats.scope_units(user)),
        "counts": counts,
        "tabs": [
            {"key": key, "label": label, "icon": icon, "count": counts.get(key)}
            for key, label, icon in TABS
        ],
        "tab": chosen,
    }
    if chosen == "units":
        context["units"] = stats.units_at_work(user=user, today=today)
    else:
        rows = (
            stats.overdue_items(user=user, today=today)
            if chosen == "items"
            else stats.workspace_queue(user=user, key=chosen, today=today)
        )
        paginator = CountedPaginator(rows, PER_PAGE, count=counts[chosen])
        context["page"] = paginator.get_page(request.GET.get("page"))
    return render(request, "accountability/workspace.html", context)


@login_required
@require_GET
def inbox_view(request: HttpRequest) -> HttpResponse:
    """The unit's notices (督办通知): to sign for (one tap), to reply to (returned ones with
    the reason), awaiting the issuer, and the latest closed ones folded away. Cards, for a
    liaison's phone. Three queries besides the session's."""
    user = signed_in_user(request)
    today = timezone.localdate()
    context = {
        "inbox": stats.inbox(user=user, today=today),
        "today": today,
    }
    return render(request, "accountability/inbox.html", context)


@login_required
@require_GET
def stats_view(request: HttpRequest) -> HttpResponse:
    """督查督办统计: issued notices by kind, target unit and month, in the user's sight,
    filtered by year and campaign (:class:`stats.NoticeStatsFilterSet`, as the API; a filter
    not understood is left out). The charts load the same figures from ``api:notice-stats``;
    the tables below them are the figures without JavaScript."""
    user = signed_in_user(request)
    form = stats.NoticeStatsFilterSet(request.GET, request=request).form
    form.is_valid()
    years = stats.issued_years(user=user)
    year = form.cleaned_data.get("year") or (years[0] if years else timezone.localdate().year)
    campaign = form.cleaned_data.get("campaign")
    figures = stats.notice_stats(user=user, year=year, campaign=campaign)
    context = {
        "years": sorted({*years, year}, reverse=True),
        "year": year,
        "campaigns": list(form.fields["campaign"].queryset),
        "campaign": campaign,
        "figures": figures,
        "kinds": figures["by_kind"],
    }
    return render(request, "accountability/stats.html", context)
