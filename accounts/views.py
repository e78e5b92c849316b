"""Pages of the accounts app: signing in and out, the home page per role, the organisation
tree with its live search, and one unit's page.

Views are thin: they parse the request, ask the jurisdiction through the selectors, and
render. Anything outside the caller's jurisdiction does not exist for them (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_tables2 import RequestConfig

from campaign.selectors import (
    campaign_lines,
    chain_lines,
    chains_for_unit,
    supervision_groups_of,
)
from config.plans import planned_once
from tasks_ledger.selectors import ledger_light_counts

from .forms import NotificationPreferenceForm, UnitSearchForm
from .history import HistoryScope, scope_of
from .jurisdiction import jurisdiction_for
from .models import (
    ApiToken,
    Membership,
    Notification,
    Role,
    RoleAssignment,
    Unit,
    UnitLevel,
    User,
)
from .notifications import (
    notification_mark_read,
    notification_preference_of,
    notification_preference_set,
    notifications_mark_all_read,
    notifications_of,
    unread_count,
)
from .selectors import (
    api_tokens_of,
    unit_ancestors_of,
    unit_children,
    unit_children_chips,
    unit_counts,
    unit_detail,
    unit_list,
    user_profile,
    user_with_posts,
)
from .services import api_token_revoke, api_tokens_revoke_all
from .tables import HistoryData, HistoryTable, MembershipTable, history_preview

#: Search results shown at most; a narrower search finds the rest.
SEARCH_LIMIT = 50
#: Sub-units and chains listed on the home page before "more" links to the full page.
HOME_LIST_LIMIT = 12
#: Tree levels shown open when the organisation page loads (the rest are one click away).
OPEN_LEVELS = 2


def signed_in_user(request: HttpRequest) -> User:
    """The request's user, for views behind ``login_required`` (never anonymous there)."""
    return cast(User, request.user)


def wants_partial(request: HttpRequest, target: str) -> bool:
    """Whether htmx asked for the fragment that replaces ``#target`` (not a history restore)."""
    htmx = getattr(request, "htmx", None)
    if not htmx:
        return False
    return not htmx.history_restore_request and htmx.target == target


# --- signing in and out ------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's login with our page, which also states the lockout and idle-expiry rules."""

    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        """Add the failure limit and idle minutes the page tells the user about."""
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = settings.AXES_FAILURE_LIMIT
        context["session_minutes"] = max(1, settings.SESSION_COOKIE_AGE // 60)
        return context


class LogoutView(auth_views.LogoutView):
    """Log out (POST only) and say so on the login page."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """Log out, then leave a message that survives the flushed session (cookie storage)."""
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


# --- my profile and API tokens -------------------------------------------------------------


@login_required
@require_GET
def profile_view(request: HttpRequest) -> HttpResponse:
    """The signed-in user's account: details, posts, roles and their own API tokens."""
    user = signed_in_user(request)
    profile = user_profile(user=user)
    context = {
        "profile": profile,
        "memberships": list(profile.memberships.all()),
        "role_assignments": list(profile.role_assignments.all()),
        "tokens": list(api_tokens_of(user=user)),
        "token_ttl_days": settings.API_TOKEN_TTL_DAYS,
        "preference_form": NotificationPreferenceForm(
            instance=notification_preference_of(user=user)
        ),
    }
    return render(request, "accounts/profile.html", context)


@login_required
@require_POST
def notification_preferences_view(request: HttpRequest) -> HttpResponse:
    """Save how the user wants to be notified (email, digest, SMS)."""
    user = signed_in_user(request)
    form = NotificationPreferenceForm(request.POST, instance=notification_preference_of(user=user))
    if form.is_valid():
        notification_preference_set(user=user, **form.cleaned_data)
        messages.success(request, _("Your notification settings were saved."))
    return redirect(reverse("profile") + "#notifications-heading")


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the user's own tokens; anyone else's is 404."""
    try:
        token = api_token_revoke(user=signed_in_user(request), token_id=pk)
    except ApiToken.DoesNotExist as exc:
        raise Http404(_("No such token among yours.")) from exc
    messages.success(
        request, _("Token %(prefix)s… was revoked: it no longer works.") % {"prefix": token.prefix}
    )
    return redirect("profile")


@login_required
@require_POST
def tokens_revoke_all_view(request: HttpRequest) -> HttpResponse:
    """Revoke every token of the user (signed-in pages are not affected)."""
    count = api_tokens_revoke_all(user=signed_in_user(request), reason="revoked by owner")
    messages.success(
        request,
        ngettext("%(count)d token was revoked.", "%(count)d tokens were revoked.", count)
        % {"count": count},
    )
    return redirect("profile")


# --- notifications inbox ------------------------------------------------------------------

#: Notifications per inbox page.
INBOX_PAGE_SIZE = 20


def own_notification(request: HttpRequest, pk: int) -> Notification:
    """Mark one of the caller's notifications read; anyone else's is 404."""
    try:
        return notification_mark_read(user=signed_in_user(request), notification_id=pk)
    except Notification.DoesNotExist as exc:
        raise Http404(_("No such notification among yours.")) from exc


def back_to_inbox(request: HttpRequest) -> HttpResponse:
    """Redirect to the inbox page the form was posted from."""
    page = request.POST.get("page", "")
    url = reverse("inbox")
    if page.isdigit() and page != "1":
        url += "?" + urlencode({"page": page})
    return redirect(url)


@login_required
@require_GET
def inbox_view(request: HttpRequest) -> HttpResponse:
    """The user's notifications, newest first, unread ones marked."""
    user = signed_in_user(request)
    page = Paginator(notifications_of(user=user), INBOX_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/inbox.html", {"page_obj": page})


@login_required
@require_GET
def notification_open_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read (to the inbox when it has none)."""
    notification = own_notification(request, pk)
    return redirect(notification.link or reverse("inbox"))


@login_required
@require_POST
def notification_read_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read: htmx gets the new row and the navbar's count."""
    notification = own_notification(request, pk)
    if getattr(request, "htmx", False):
        context = {
            "notification": notification,
            "page_number": request.POST.get("page", ""),
            "unread_count": unread_count(user=signed_in_user(request)),
        }
        return render(request, "accounts/includes/notification_read.html", context)
    return back_to_inbox(request)


@login_required
@require_POST
def notifications_read_all_view(request: HttpRequest) -> HttpResponse:
    """Mark all the user's notifications read."""
    count = notifications_mark_all_read(user=signed_in_user(request))
    messages.success(
        request,
        ngettext(
            "%(count)d notification marked read.", "%(count)d notifications marked read.", count
        )
        % {"count": count},
    )
    return back_to_inbox(request)


# --- home --------------------------------------------------------------------------------


@login_required
@require_GET
@planned_once()
def home(request: HttpRequest) -> HttpResponse:
    """What each role needs first, all within the user's jurisdiction.

    Queries are fixed per role whatever the data size (see ``test_home_query_count``).
    """
    user = signed_in_user(request)
    j = jurisdiction_for(user)
    # Read again through the selector, not taken from the session's user: the home page is
    # a dashboard that may read the replica (config/db_router.py), and the session's user
    # always comes from the primary (tests/test_scaleout.py shows the page on the replica).
    profile, memberships, roles = user_with_posts(user=user)
    context: dict[str, Any] = {
        "profile": profile,
        "memberships": memberships,
        "role_assignments": roles,
        "is_admin": user.is_staff or j.has_role(Role.ADMINISTRATOR),
        # Administrators need the admin first; for other staff (the office) it comes last.
        "admin_first": user.is_superuser or Role.ADMINISTRATOR in j.roles,
        "shows_overview": j.has_role(
            Role.CAMPAIGN_OFFICE,
            Role.OFFICIAL,
            Role.ASSESSMENT_OFFICE,
            Role.EVALUATOR,
            Role.ADMINISTRATOR,
        ),
        "read_only": j.is_read_only and not j.is_empty,
        # A superuser holds every role in name; they see groups only if they are in one.
        "is_supervisor": bool(j.supervised_roots)
        or (Role.SUPERVISOR in j.roles and not j.is_global),
        "supervisor_label": Role.SUPERVISOR.label,
    }
    if j.is_empty:
        return render(request, "home.html", context)

    context["campaigns"] = campaign_lines(user=user)
    context["ledger_lights"] = ledger_light_counts(user=user)
    if context["shows_overview"]:
        context["counts"] = counts = unit_counts(user=user)
        context["levels"] = [
            (label, counts[level]) for level, label in UnitLevel.choices if counts[level]
        ]
        context["totals"] = {
            "task_forces": sum(c.task_force_count for c in context["campaigns"]),
            "supervision_groups": sum(c.supervision_group_count for c in context["campaigns"]),
            "chains": sum(c.chain_count for c in context["campaigns"]),
        }
    if context["is_supervisor"]:
        context["groups"] = list(supervision_groups_of(user=user))
    if memberships:
        my_units = [m.unit for m in memberships]
        children = unit_children_chips(user=user, units=my_units, limit=HOME_LIST_LIMIT + 1)
        context["sub_units"] = children[:HOME_LIST_LIMIT]
        context["more_sub_units"] = len(children) > HOME_LIST_LIMIT
        # In any post: the user in person, or their units and the units under them.
        chains = chain_lines(user=user, units=my_units, limit=HOME_LIST_LIMIT + 1)
        context["my_chains"] = chains[:HOME_LIST_LIMIT]
        context["more_chains"] = len(chains) > HOME_LIST_LIMIT
    return render(request, "home.html", context)


# --- the organisation tree ---------------------------------------------------------------


@dataclass
class TreeNode:
    """One unit in the rendered tree with the visible units directly under it."""

    unit: Unit
    level: int = 0
    children: list[TreeNode] = field(default_factory=list)
    descendants: int = 0

    @property
    def open(self) -> bool:
        """Whether the node starts expanded."""
        return self.level < OPEN_LEVELS - 1


def build_tree(units: list[Unit]) -> list[TreeNode]:
    """Nest path-ordered units under their nearest listed ancestor (no queries).

    A jurisdiction may be several separate subtrees (a supervisor's assigned units): each
    becomes a root.
    """
    roots: list[TreeNode] = []
    stack: list[TreeNode] = []
    for unit in units:
        while stack and not unit.path.startswith(stack[-1].unit.path):
            stack.pop()
        node = TreeNode(unit=unit, level=len(stack))
        (stack[-1].children if stack else roots).append(node)
        for ancestor in stack:
            ancestor.descendants += 1
        stack.append(node)
    return roots


def ancestor_trail(unit: Unit, ancestors: dict[str, Unit]) -> list[Unit]:
    """The unit's ancestors from the top down, taken from a preloaded path map."""
    steps = range(Unit.steplen, len(unit.path), Unit.steplen)
    return [ancestors[unit.path[:end]] for end in steps if unit.path[:end] in ancestors]


@login_required
@require_GET
def unit_list_view(request: HttpRequest) -> HttpResponse:
    """The visible organisation tree, or the units matching a search with their paths.

    htmx requests from the search form get only the ``results`` partial.
    """
    user = signed_in_user(request)
    form = UnitSearchForm(request.GET)
    filters = form.filters()
    context: dict[str, Any] = {"form": form, "searching": any(filters.values())}
    if context["searching"]:
        # 1 query for the matches (one more row tells us the list was cut) + 1 for ancestors.
        matches = list(unit_list(user=user, **filters)[: SEARCH_LIMIT + 1])
        context["truncated"] = len(matches) > SEARCH_LIMIT
        matches = matches[:SEARCH_LIMIT]
        ancestors = unit_ancestors_of(units=matches)
        j = jurisdiction_for(user)
        context["matches"] = [
            (unit, [(a, j.can_view(a)) for a in ancestor_trail(unit, ancestors)])
            for unit in matches
        ]
    else:
        units = list(unit_list(user=user))
        context["tree"] = build_tree(units)
        context["unit_total"] = len(units)
    template = "accounts/unit_list.html"
    if wants_partial(request, "unit-results"):
        template += "#results"
    return render(request, template, context)


@login_required
@require_GET
def unit_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One unit: names, place in the tree, people, chains, sub-units and history."""
    user = signed_in_user(request)
    try:
        unit = unit_detail(user=user, pk=pk)
    except Unit.DoesNotExist as exc:
        raise Http404(_("No such unit in your jurisdiction.")) from exc
    j = jurisdiction_for(user)
    ancestors = unit_ancestors_of(units=[unit])
    context = {
        "unit": unit,
        "trail": [(a, j.can_view(a)) for a in ancestor_trail(unit, ancestors)],
        "members": MembershipTable(list(unit.memberships.all())),
        "member_count": len(unit.memberships.all()),
        "children": list(unit_children(user=user, units=[unit])),
        "chains": list(chains_for_unit(user=user, unit=unit)),
        "history": history_preview(
            unit_history_scope(unit),
            reader_id=user.pk,
            full_url=reverse("unit-history", args=[unit.pk]),
            items_url=unit_items_history_url(unit),
        ),
        "can_manage": j.can_manage(unit),
    }
    return render(request, "accounts/unit_detail.html", context)


# --- history -----------------------------------------------------------------------------

#: Lines on one page of a full history.
HISTORY_PER_PAGE = 25


def history_page(
    request: HttpRequest,
    *,
    scope: HistoryScope,
    heading: str,
    crumbs: list[tuple[str, str]],
    description: str = "",
    tabs: list[tuple[str, str, bool]] | None = None,
) -> HttpResponse:
    """The full history of one record (or set of records), paged, newest first.

    Bulk writes are one line each; ``?batch=&model=&action=`` (the line's "list them" link)
    lists that line's events one by one instead, within the same scope.
    """
    batch, model, action = (request.GET.get(k, "") for k in ("batch", "model", "action"))
    narrowed = bool(batch and model and action)
    if narrowed:
        scope = scope.narrowed(batch=batch, model=model, action=action)
    # The page as it is asked for (the unit or chain it is about), without a line or a page.
    kept = request.GET.copy()
    for key in ("batch", "model", "action", "page"):
        kept.pop(key, None)
    all_url = f"{request.path}?{kept.urlencode()}" if kept else request.path
    data = HistoryData(
        scope,
        grouped=not narrowed,
        reader_id=signed_in_user(request).pk,
        expand_base=all_url,
    )
    table = HistoryTable(data)
    RequestConfig(request, paginate={"per_page": HISTORY_PER_PAGE}).configure(table)
    context = {
        "heading": heading,
        "description": description,
        "crumbs": crumbs,
        "tabs": tabs or [],
        "table": table,
        "narrowed": narrowed,
        "all_url": all_url,
    }
    return render(request, "accounts/history.html", context)


def unit_history_scope(unit: Unit) -> HistoryScope:
    """A unit's own changes: the unit, its people's posts and the roles granted over it.
    Its items' changes are on their own page (:func:`unit_items_history_url`)."""
    return scope_of(unit, related=(Membership, RoleAssignment))


def unit_items_history_url(unit: Unit) -> str:
    """The changes of the ledger items of a unit and the units under it."""
    return f"{reverse('ledger:items-history')}?{urlencode({'unit': unit.pk})}"


def unit_history_tabs(unit: Unit, *, items: bool) -> list[tuple[str, str, bool]]:
    """The two histories of a unit: its own records, and its ledger items."""
    return [
        (_("The unit itself"), reverse("unit-history", args=[unit.pk]), not items),
        (_("Its ledger items"), unit_items_history_url(unit), items),
    ]


@login_required
@require_GET
def unit_history_view(request: HttpRequest, pk: int) -> HttpResponse:
    """All changes of a unit's own records (404 outside the jurisdiction)."""
    user = signed_in_user(request)
    try:
        unit = unit_detail(user=user, pk=pk)
    except Unit.DoesNotExist as exc:
        raise Http404(_("No such unit in your jurisdiction.")) from exc
    return history_page(
        request,
        scope=unit_history_scope(unit),
        heading=_("History of %(name)s") % {"name": unit.display_name},
        description=_("Changes to the unit, its people's posts and the roles granted over it."),
        crumbs=[
            (_("Organisation"), reverse("unit-list")),
            (unit.display_name, reverse("unit-detail", args=[unit.pk])),
        ],
        tabs=unit_history_tabs(unit, items=False),
    )
