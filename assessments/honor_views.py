"""Honor roll (创先争优月榜) and leaders' list (正负面清单) pages.

Views are thin: they read through :mod:`assessments.honor` and :mod:`assessments.
leader_lists` (scoped by :mod:`assessments.rules`), call one service per write and render.
What the caller may not see is a 404; what they see but may not do is a 403 (the rule's
reason). A service's refusal of the input comes back on the page with status 422, and
nothing is saved.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import date
from typing import IO, Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Unit, User
from accounts.views import signed_in_user
from campaign.models import Campaign
from campaign.selectors import campaign_list
from tasks_ledger.excel_views import xlsx_response

from . import honor, rules
from .honor_forms import (
    DecideForm,
    FlagForm,
    HonorSubmitForm,
    LeaderListFilterForm,
    PublishForm,
    add_service_errors,
)
from .leader_lists import leader_memberships, lists_for, write_leader_lists_workbook
from .models import HonorFlag, HonorRoll, HonorRollStatus, HonorSubmission

PER_PAGE = 20


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isascii() and value.isdigit() else None


def _campaign(request: HttpRequest, user: User) -> tuple[Campaign | None, list[Campaign]]:
    """The campaign chosen by ``?campaign=`` among those the user takes part in (the newest
    by default)."""
    campaigns = list(campaign_list(user=user))
    chosen = _int(request.GET.get("campaign") or request.POST.get("campaign"))
    if chosen is not None:
        for campaign in campaigns:
            if campaign.pk == chosen:
                return campaign, campaigns
        raise Http404(_("No such campaign among yours."))
    return (campaigns[0] if campaigns else None), campaigns


def _workbook(write: Callable[[IO[bytes]], object], name: str, ascii_name: str) -> Any:
    """A download of the workbook ``write`` writes into a temporary file."""
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write(stream)
    stream.seek(0)
    return xlsx_response(stream, name, ascii_name)


def _submit_units(user: User, campaign: Campaign) -> QuerySet[Unit]:
    return Unit.objects.filter(rules.honor_submit_units_q(user, campaign)).order_by("path")


# --- the list of months ---------------------------------------------------------------------------
@login_required
@require_GET
def honor_roll_list_view(request: HttpRequest) -> HttpResponse:
    """The campaign's months, newest first: each month's roll (published for everyone, the
    office's drafts too), and the highlights and flags of the caller's units."""
    user = signed_in_user(request)
    campaign, campaigns = _campaign(request, user)
    context: dict[str, Any] = {"campaign": campaign, "campaigns": campaigns, "months": []}
    if campaign is not None:
        today = timezone.localdate()
        rolls = {r.month: r for r in honor.honor_roll_list(user=user, campaign=campaign)}
        units = _submit_units(user, campaign)
        own: dict[date, list[HonorSubmission]] = {}
        for submission in (
            honor.honor_submission_list(user=user, campaign=campaign)
            .filter(unit__in=units)
            .order_by("-submitted_at", "-pk")
        ):
            own.setdefault(submission.roll.month, []).append(submission)
        flags: dict[date, list[HonorFlag]] = {}
        for flag in (
            HonorFlag.objects.filter(
                rules.viewable_honor_rolls_q(user, "roll"), roll__campaign=campaign, unit__in=units
            )
            .select_related("unit", "roll")
            .order_by("-colour", "unit__path")
        ):
            flags.setdefault(flag.roll.month, []).append(flag)
        months = honor.campaign_months(campaign, until=today)
        context.update(
            months=[
                (
                    honor.month_label(month),
                    rolls.get(month),
                    own.get(month, []),
                    flags.get(month, []),
                )
                for month in reversed(months)
                if month in rolls or month in own or month == honor.month_start(today)
            ],
            may_submit=units.exists() and bool(months),
            is_office=rules.can_manage_honor(user, campaign),
        )
    return render(request, "assessments/honor_list.html", context)


# --- submitting -----------------------------------------------------------------------------------
@login_required
@require_http_methods(["GET", "POST"])
def honor_submit_view(request: HttpRequest) -> HttpResponse:
    """A unit's side submits a highlight of a month with its evidence."""
    user = signed_in_user(request)
    campaign, _campaigns = _campaign(request, user)
    if campaign is None:
        raise Http404(_("You take part in no campaign."))
    units = _submit_units(user, campaign)
    if not units.exists():
        raise PermissionDenied(
            _("Only a unit's liaison or leaders submit its highlights for the honor roll.")
        )
    today = timezone.localdate()
    published = set(
        HonorRoll.objects.filter(campaign=campaign, status=HonorRollStatus.PUBLISHED).values_list(
            "month", flat=True
        )
    )
    months = [m for m in honor.campaign_months(campaign, until=today) if m not in published]
    unit_list = list(units[:2])
    initial = {
        "month": honor.month_start(today).isoformat(),
        "unit": unit_list[0].pk if len(unit_list) == 1 else None,
    }
    form = HonorSubmitForm(
        request.POST if request.method == "POST" else None,
        request.FILES if request.method == "POST" else None,
        units=units,
        months=months,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            honor.honor_submission_create(
                actor=user,
                campaign=campaign,
                unit=data["unit"],
                month=data["month"],
                title=data["title"],
                text=data["text"],
                files=data["evidence"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("Highlight submitted. The assessment office selects the roll of %(month)s.")
                % {"month": honor.month_label(data["month"])},
            )
            return redirect(f"{reverse('assessments:honor-roll-list')}?campaign={campaign.pk}")
    context = {"form": form, "campaign": campaign, "no_months": not months}
    status = 422 if request.method == "POST" else 200
    return render(request, "assessments/honor_submit.html", context, status=status)


# --- one roll -------------------------------------------------------------------------------------
def _visible_roll(user: User, pk: int) -> HonorRoll:
    try:
        return honor.honor_roll_list(user=user).get(pk=pk)
    except HonorRoll.DoesNotExist as exc:
        raise Http404(_("No such honor roll in your jurisdiction.")) from exc


def _flag_units(roll: HonorRoll) -> QuerySet[Unit]:
    owner = roll.campaign.owner_unit
    return Unit.objects.filter(path__startswith=owner.path).exclude(pk=owner.pk).order_by("path")


def _roll_page(
    request: HttpRequest,
    roll: HonorRoll,
    *,
    errors: list[str] | None = None,
    flag_form: FlagForm | None = None,
    publish_form: PublishForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = signed_in_user(request)
    submissions, flags = honor.honor_roll_board(user=user, roll=roll)
    may_decide = rules.can_decide_honor(user, roll)
    selected = [s for s in submissions if s.status == "selected"]
    flags_by_unit = {f.unit_id: f for f in flags}
    context = {
        "roll": roll,
        "month": honor.month_label(roll.month),
        "may_decide": may_decide,
        "selected": [(s, flags_by_unit.get(s.unit_id)) for s in selected],
        "others": [s for s in submissions if s.status != "selected"],
        "flags": flags,
        "errors": errors or [],
        "flag_form": flag_form or (FlagForm(units=_flag_units(roll)) if may_decide else None),
        "publish_form": publish_form or PublishForm(initial={"note": roll.note}),
        "decide_form": DecideForm(),
    }
    return render(request, "assessments/honor_detail.html", context, status=status)


@login_required
@require_GET
def honor_roll_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The roll with its places and flags; for the office while it is a draft, the selection
    board (each highlight with select, place or not select; flags; publish)."""
    return _roll_page(request, _visible_roll(signed_in_user(request), pk))


def _refused(exc: ValidationError) -> list[str]:
    return list(exc.messages)


@login_required
@require_POST
def honor_submission_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The office selects a highlight (with its place) or not."""
    user = signed_in_user(request)
    try:
        submission = honor.honor_submission_list(user=user).get(pk=pk)
    except HonorSubmission.DoesNotExist as exc:
        raise Http404(_("No such highlight in your jurisdiction.")) from exc
    roll = _visible_roll(user, submission.roll_id)
    form = DecideForm(request.POST)
    if not form.is_valid():
        errors = [str(e) for field_errors in form.errors.values() for e in field_errors]
        return _roll_page(request, roll, errors=errors, status=422)
    try:
        decided = honor.honor_submission_decide(
            submission=submission,
            actor=user,
            selected=form.cleaned_data["selected"],
            place=form.cleaned_data["place"],
            note=form.cleaned_data["note"],
        )
    except ValidationError as exc:
        return _roll_page(request, roll, errors=_refused(exc), status=422)
    messages.success(
        request,
        _("%(unit)s: selected, place %(place)d.") % {"unit": decided.unit, "place": decided.place}
        if decided.place
        else _("%(unit)s: not selected.") % {"unit": decided.unit},
    )
    return redirect("assessments:honor-roll-detail", pk=roll.pk)


@login_required
@require_POST
def honor_flag_set_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The office gives a unit a red or blue flag on the roll."""
    user = signed_in_user(request)
    roll = _visible_roll(user, pk)
    form = FlagForm(request.POST, units=_flag_units(roll))
    if form.is_valid():
        try:
            flag = honor.honor_flag_set(roll=roll, actor=user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(flag)s given to %(unit)s.")
                % {"flag": flag.get_colour_display(), "unit": flag.unit},
            )
            return redirect("assessments:honor-roll-detail", pk=roll.pk)
    return _roll_page(request, roll, flag_form=form, status=422)


@login_required
@require_POST
def honor_flag_remove_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The office takes a flag off a draft roll."""
    user = signed_in_user(request)
    try:
        flag = HonorFlag.objects.select_related("roll", "unit").get(
            rules.viewable_honor_rolls_q(user, "roll"), pk=pk
        )
    except HonorFlag.DoesNotExist as exc:
        raise Http404(_("No such flag in your jurisdiction.")) from exc
    try:
        honor.honor_flag_remove(flag=flag, actor=user)
    except ValidationError as exc:
        return _roll_page(
            request, _visible_roll(user, flag.roll_id), errors=_refused(exc), status=422
        )
    messages.success(request, _("Flag of %(unit)s removed.") % {"unit": flag.unit})
    return redirect("assessments:honor-roll-detail", pk=flag.roll_id)


@login_required
@require_POST
def honor_roll_publish_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The office publishes the roll, once it has ticked the confirmation."""
    user = signed_in_user(request)
    roll = _visible_roll(user, pk)
    if not rules.can_decide_honor(user, roll):
        raise PermissionDenied(
            _("Only the assessment office over the campaign publishes its honor rolls.")
            if roll.status == HonorRollStatus.DRAFT
            else _("The honor roll is published already.")
        )
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            honor.honor_roll_publish(roll=roll, actor=user, note=form.cleaned_data["note"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request,
                _("The honor roll of %(month)s is published; the units on it are told.")
                % {"month": honor.month_label(roll.month)},
            )
            return redirect("assessments:honor-roll-detail", pk=roll.pk)
    return _roll_page(request, roll, publish_form=form, status=422)


@login_required
@require_GET
def honor_roll_export_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The roll as 创先争优月榜 in the official sheet layout."""
    user = signed_in_user(request)
    roll = _visible_roll(user, pk)
    submissions, flags = honor.honor_roll_board(user=user, roll=roll)
    stamp = roll.month.strftime("%Y-%m")
    return _workbook(
        lambda stream: honor.write_roll_workbook(roll, submissions, flags, stream),
        _("honor_roll_%(month)s.xlsx") % {"month": stamp},
        f"honor_roll_{stamp}.xlsx",
    )


# --- leaders' lists -------------------------------------------------------------------------------
def _leader_filters(
    request: HttpRequest, user: User
) -> tuple[LeaderListFilterForm, Campaign | None, dict[str, Any]]:
    """The filter form and what it chose: the campaign, and the selector's arguments."""
    campaigns = campaign_list(user=user)
    form = LeaderListFilterForm(
        request.GET or None,
        campaigns=campaigns,
        units=Unit.objects.none(),
        leaders=User.objects.none(),
    )
    chosen = _int(request.GET.get("campaign"))
    campaign = campaigns.filter(pk=chosen).first() if chosen else campaigns.first()
    if chosen and campaign is None:
        raise Http404(_("No such campaign among yours."))
    if campaign is None:
        return form, None, {}
    everyone = leader_memberships(user=user, campaign=campaign)
    form.fields["unit"].queryset = Unit.objects.filter(  # type: ignore[attr-defined]
        pk__in=everyone.values("unit_id")
    ).order_by("path")
    form.fields["leader"].queryset = User.objects.filter(  # type: ignore[attr-defined]
        pk__in=everyone.values("user_id")
    ).order_by("name", "username")
    form.initial = {"campaign": campaign.pk, "year": campaign.year}
    if request.GET and not form.is_valid():
        return form, campaign, {}
    data = form.cleaned_data if request.GET else {}
    return (
        form,
        campaign,
        {
            "year": data.get("year") or campaign.year,
            "unit": data.get("unit"),
            "leader": data.get("leader"),
            "side": data.get("side") or "",
            "with_entries": bool(data.get("with_entries")),
        },
    )


def _chosen_leaders(user: User, campaign: Campaign, chosen: dict[str, Any]) -> Any:
    return leader_memberships(
        user=user,
        campaign=campaign,
        unit=chosen["unit"],
        leader=chosen["leader"],
        with_entries=(chosen["year"], chosen["side"]) if chosen["with_entries"] else None,
    )


@login_required
@require_GET
def leader_lists_view(request: HttpRequest) -> HttpResponse:
    """The leaders' positive and negative lists: the offices and officials see every leader
    in their jurisdiction, a leader their own."""
    user = signed_in_user(request)
    form, campaign, chosen = _leader_filters(request, user)
    context: dict[str, Any] = {"filter_form": form, "campaign": campaign, "page": None}
    if campaign is not None and chosen:
        memberships = _chosen_leaders(user, campaign, chosen)
        page = Paginator(memberships, PER_PAGE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        context.update(
            page=page,
            lists=lists_for(
                list(page.object_list), campaign=campaign, year=chosen["year"], side=chosen["side"]
            ),
            year=chosen["year"],
            side=chosen["side"],
            query=query.urlencode(),
        )
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "assessments/leader_lists.html", context, status=status)


@login_required
@require_GET
def leader_lists_export_view(request: HttpRequest) -> HttpResponseBase:
    """The lists chosen by the same filters, one row per entry (正负面清单)."""
    user = signed_in_user(request)
    form, campaign, chosen = _leader_filters(request, user)
    if campaign is None or not chosen:
        return HttpResponseBadRequest(
            _("The filters are not valid: %(errors)s")
            % {"errors": "; ".join(" ".join(str(x) for x in e) for e in form.errors.values())}
        )
    memberships = list(_chosen_leaders(user, campaign, chosen))
    lists = lists_for(memberships, campaign=campaign, year=chosen["year"], side=chosen["side"])
    year = chosen["year"]
    return _workbook(
        lambda stream: write_leader_lists_workbook(lists, stream, campaign=campaign, year=year),
        _("leader_lists_%(year)s.xlsx") % {"year": year},
        f"leader_lists_{year}.xlsx",
    )
