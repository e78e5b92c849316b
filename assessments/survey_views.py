"""The public satisfaction survey's pages: for anyone, without sign-in (the rounds whose
survey is open, the form, the thanks), and the office's page for one round (open or close the
survey, the answers counted per unit, computing public scores).

The form is limited per client address by django-ratelimit (``SURVEY_RATE_LIMIT`` answers
per period, counted in Redis under the address :func:`config.proxy.client_ip` trusts); past
the limit it answers 429 with a page saying when to try again. A filled honeypot field gets
the same thanks as a person, and nothing is saved.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from accounts.views import signed_in_user
from tasks_ledger.views import error_text

from . import rules
from .models import FROZEN_STATUSES, CategoryMember, Round
from .survey import (
    RATINGS,
    accepts_answers,
    public_scores_compute,
    survey_close,
    survey_closed_message,
    survey_open,
    survey_respond,
    survey_unit_counts,
)
from .survey_forms import SCALE, SurveyForm

#: Units listed per page on the office's survey page.
UNITS_PER_PAGE = 100
#: How many units without a public score the office's message names before "and N more".
NAMED_UNITS = 10
#: The latest comments the office's page shows (the admin lists them all).
LATEST_COMMENTS = 20
RATE = re.compile(r"(\d+)/(\d*)([smhd]?)")
SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


# --- the public side ---------------------------------------------------------------------------
def survey_rate(group: str, request: HttpRequest) -> str:
    """django-ratelimit's rate, read per request so that it follows the setting."""
    return settings.SURVEY_RATE_LIMIT


def _rate_minutes() -> int:
    """The limit's period in whole minutes (at least 1), for the refusal's wording."""
    match = RATE.match(settings.SURVEY_RATE_LIMIT)
    if match is None:
        return 1
    _count, multiple, unit = match.groups()
    seconds = int(multiple or 1) * SECONDS[unit or "s"]
    return max(1, -(-seconds // 60))


def _open_rounds() -> Any:
    return (
        Round.objects.filter(survey_open=True)
        .exclude(status__in=FROZEN_STATUSES)
        .select_related("scheme__campaign")
        .order_by("-period_start", "-pk")
    )


@require_GET
def survey_list_view(request: HttpRequest) -> HttpResponse:
    """The rounds whose survey is open, for anyone."""
    return render(request, "assessments/survey_list.html", {"rounds": list(_open_rounds())})


def _closed(request: HttpRequest, round_: Round, status: int = 200) -> HttpResponse:
    context = {"round": round_, "message": survey_closed_message()}
    return render(request, "assessments/survey_closed.html", context, status=status)


def _limited(request: HttpRequest, round_: Round) -> HttpResponse:
    minutes = _rate_minutes()
    response = render(
        request,
        "assessments/survey_limited.html",
        {"round": round_, "minutes": minutes},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def _members(round_: Round) -> list[CategoryMember]:
    return list(
        CategoryMember.objects.filter(scheme_id=round_.scheme_id)
        .select_related("unit", "category")
        .order_by("category__sort_order", "category_id", "unit__path")
    )


@require_http_methods(["GET", "POST"])
@ratelimit(group="assessments.survey", key="ip", rate=survey_rate, method="POST", block=False)
def survey_form_view(request: HttpRequest, round_pk: int) -> HttpResponse:
    """The survey of one round: the form, and the answer sent from it."""
    round_ = get_object_or_404(Round.objects.select_related("scheme__campaign"), pk=round_pk)
    if getattr(request, "limited", False):
        return _limited(request, round_)
    if not accepts_answers(round_):
        return _closed(request, round_, 200 if request.method == "GET" else 403)
    members = _members(round_)
    thanks = reverse("public:survey-thanks", args=[round_.pk])
    if request.method == "GET":
        form = SurveyForm(members=members)
    else:
        form = SurveyForm(request.POST, members=members)
        if form.is_bot:
            return redirect(thanks)
        if form.is_valid():
            data = form.cleaned_data
            units = {member.unit_id: member.unit for member in members}
            try:
                survey_respond(
                    round_=round_,
                    unit=units[data["unit"]],
                    phone=data["phone"],
                    comment=data["comment"],
                    **{name: data[name] for name in RATINGS},
                )
            except ValidationError as exc:
                if not hasattr(exc, "error_dict"):
                    return _closed(request, round_, 403)
                form.add_error(None, exc)
            else:
                return redirect(thanks)
    context = {"round": round_, "form": form, "scale": SCALE}
    return render(
        request,
        "assessments/survey_form.html",
        context,
        status=400 if form.is_bound and form.errors else 200,
    )


@require_GET
def survey_thanks_view(request: HttpRequest, round_pk: int) -> HttpResponse:
    """Thanks for answering (also what a bot that filled the honeypot is shown)."""
    round_ = get_object_or_404(Round, pk=round_pk)
    return render(request, "assessments/survey_thanks.html", {"round": round_})


# --- the office's side -----------------------------------------------------------------------
def _managed_round(request: HttpRequest, pk: int) -> Round:
    round_ = get_object_or_404(Round.objects.select_related("scheme__campaign__owner_unit"), pk=pk)
    if not rules.can_manage_survey(signed_in_user(request), round_):
        raise PermissionDenied(
            _("Only the assessment office over the campaign manages its public survey.")
        )
    return round_


def _unit_row(member: Any, minimum: int) -> dict[str, Any]:
    """A unit's line: its answers' mean rating, and whether they are too few for a score."""
    answers = member.answers
    return {
        "member": member,
        "mean": member.rating_total / (4 * answers) if answers else None,
        "too_few": answers < max(minimum, 1),
    }


@login_required
@require_GET
def survey_manage_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's survey for the office: open or closed, the link to share, the answers
    per unit with each unit's public score, the button that computes them, and the latest
    comments.

    Queries are fixed at any number of units (``test_manage_page_query_count_is_fixed``).
    """
    round_ = _managed_round(request, pk)
    minimum = settings.SURVEY_MIN_RESPONSES
    page = Paginator(survey_unit_counts(round_=round_), UNITS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [_unit_row(member, minimum) for member in page]
    context = {
        "round": round_,
        "page": page,
        "rows": rows,
        "minimum": minimum,
        "total_answers": round_.survey_responses.count(),
        "comments": list(
            round_.survey_responses.exclude(comment="")
            .select_related("unit")
            .order_by("-submitted_at", "-pk")[:LATEST_COMMENTS]
        ),
        "public_url": request.build_absolute_uri(reverse("public:survey-round", args=[round_.pk])),
        "accepts": accepts_answers(round_),
        "may_compute": rules.can_enter_scores(signed_in_user(request), round_),
    }
    return render(request, "assessments/survey_manage.html", context)


def _back(round_: Round) -> HttpResponse:
    return redirect("assessments:survey-manage", pk=round_.pk)


@login_required
@require_POST
def survey_switch_view(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Open or close the round's survey."""
    round_ = _managed_round(request, pk)
    service = survey_open if action == "open" else survey_close
    try:
        service(round_=round_, actor=signed_in_user(request))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
    else:
        messages.success(
            request,
            _("The public survey is open: share its link.")
            if action == "open"
            else _("The public survey is closed; its answers are kept."),
        )
    return _back(round_)


@login_required
@require_POST
def survey_compute_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Compute the public scores from the answers."""
    round_ = _managed_round(request, pk)
    try:
        outcome = public_scores_compute(round_=round_, actor=signed_in_user(request))
    except ValidationError as exc:
        messages.error(request, error_text(exc))
        return _back(round_)
    messages.success(
        request, _("Public scores computed: %(count)d scores written.") % {"count": outcome.written}
    )
    if outcome.too_few:
        named = "、".join(
            _("%(unit)s (%(count)d)") % {"unit": unit.name, "count": count}
            for unit, count in outcome.too_few[:NAMED_UNITS]
        )
        more = len(outcome.too_few) - NAMED_UNITS
        if more > 0:
            named += _(" and %(count)d more") % {"count": more}
        messages.warning(
            request,
            _(
                "No public score for %(count)d units with fewer than %(minimum)d answers: "
                "%(units)s. Keep the survey open longer, then compute again."
            )
            % {"count": len(outcome.too_few), "minimum": outcome.minimum, "units": named},
        )
    return _back(round_)
