"""Published rankings: a round's ranking page, its circular (A4 print view and .docx), its
results as Excel, the ranking dashboard, and the public ranking that needs no sign-in.

Views are thin: they find the round, ask :mod:`assessments.rules` whether the caller may
see it, read through :func:`assessments.selectors.round_ranking` (the one read that the
page, the export and the API share) and render. A round the caller may not see is a 404, so
its existence is not given away; each page runs a fixed number of queries whatever the
number of units.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from accounts.views import signed_in_user
from config.documents import CSS_FONTS
from tasks_ledger.excel_views import xlsx_response

from . import rules, selectors
from .circular import circular_context, circular_docx, circular_filename
from .exports import headline_text, write_results_workbook
from .models import Grade, Round, UnitCategory

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NOT_FOUND = gettext_lazy("There is no such ranking, or it lies outside your jurisdiction.")


def _round(pk: int) -> Round:
    try:
        return Round.objects.select_related("scheme__campaign__owner_unit").get(pk=pk)
    except Round.DoesNotExist as exc:
        raise Http404(str(NOT_FOUND)) from exc


def _ranking(request: HttpRequest, pk: int) -> selectors.Ranking:
    """The round's ranking as the caller may see it; 404 when they see none of it and do
    not run the round."""
    user = signed_in_user(request)
    round_ = _round(pk)
    ranking = selectors.round_ranking(user=user, round_=round_)
    if not ranking.visible and not rules.can_manage_round(user, round_):
        raise Http404(str(NOT_FOUND))
    return ranking


def _links(request: HttpRequest, ranking: selectors.Ranking) -> dict[str, bool]:
    user = signed_in_user(request)
    round_ = ranking.round
    manage = rules.can_manage_round(user, round_)
    # rules.can_view_circular, answered from the ranking at hand instead of another query:
    # a published round's circular is for its office and whoever sees one of its results.
    return {"circular": round_.frozen and (manage or ranking.visible > 0), "manage": manage}


@login_required
@require_GET
def round_ranking_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A round's ranking: per category the table (rank, unit, the four subtotals, total,
    points deducted, grade, tier, movement), the tier lists and the grade distribution,
    under the round's headline figures and the caller's own units' places.

    A province ranks thousands of units, so the screen shows each category's first rows
    (a category fitting one page whole) with the way to the rest, and ``?category=`` one
    category page by page (``page``, or ``unit``: the page holding that unit); the circular
    and the Excel export keep every row."""
    ranking = _ranking(request, pk)
    user = signed_in_user(request)
    category_id = _int(request.GET.get("category"))
    page = selectors.ranking_page(
        ranking,
        category_id,
        number=_int(request.GET.get("page")),
        unit_id=_int(request.GET.get("unit")),
    )
    context = {
        "ranking": ranking,
        "round": ranking.round,
        "headline": headline_text(ranking),
        "links": _links(request, ranking),
        "grades": Grade,
        "cache_seconds": selectors.RANKING_CACHE_SECONDS,
        "page": page,
        "categories": [page.category] if page else ranking.categories,
        "own": selectors.own_results(user=user, ranking=ranking),
    }
    return render(request, "assessments/ranking_round.html", context)


@login_required
@require_GET
def round_export_view(request: HttpRequest, pk: int) -> FileResponse:
    """The ranking page's results as an .xlsx download (the same rows and figures)."""
    ranking = _ranking(request, pk)
    stream = io.BytesIO()
    write_results_workbook(ranking, stream)
    stream.seek(0)
    round_ = ranking.round
    return xlsx_response(stream, f"{round_.title}考核结果.xlsx", f"results-{round_.pk}.xlsx")


def _circular_round(request: HttpRequest, pk: int) -> Round:
    round_ = _round(pk)
    if not rules.can_view_circular(signed_in_user(request), round_):
        raise Http404(
            _("The circular is issued when the round is published; there is none to show here.")
        )
    return round_


@login_required
@require_GET
def round_circular_print_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The round's circular on A4 pages, for the browser's print."""
    round_ = _circular_round(request, pk)
    return render(
        request,
        "assessments/circular_print.html",
        {"round": round_, "doc": circular_context(round_), "fonts": CSS_FONTS},
    )


@login_required
@require_GET
def round_circular_view(request: HttpRequest, pk: int) -> FileResponse:
    """The round's circular as a .docx to open in WPS or Word, edit and stamp."""
    round_ = _circular_round(request, pk)
    filename, ascii_name = circular_filename(round_)
    response = xlsx_response(io.BytesIO(circular_docx(round_)), filename, ascii_name)
    response["Content-Type"] = DOCX
    return response


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@login_required
@require_GET
def ranking_dashboard_view(request: HttpRequest) -> HttpResponse:
    """排名看板: a round's ranking bars per category, its grade distribution and tiers, and the
    trend across the scheme's rounds (a unit's, or each category's average), drawn from the
    ranking API; the tables under the charts hold the same figures. A round or unit not
    understood, or not the caller's to see, falls back to the latest round and no unit."""
    user = signed_in_user(request)
    rounds = list(selectors.ranked_rounds(user=user)[:40])
    chosen = _int(request.GET.get("round"))
    round_ = next((r for r in rounds if r.pk == chosen), rounds[0] if rounds else None)
    context: dict[str, Any] = {"rounds": rounds, "round": round_}
    if round_ is not None:
        categories = list(UnitCategory.objects.filter(scheme_id=round_.scheme_id))
        category = next((c for c in categories if c.pk == _int(request.GET.get("category"))), None)
        ranking = selectors.round_ranking(user=user, round_=round_, category=category)
        unit = selectors.ranking_unit(ranking, category, _int(request.GET.get("unit")))
        trend = selectors.ranking_trend(user=user, scheme=round_.scheme, unit=unit)
        context.update(
            {
                "categories": categories,
                "category": category,
                "ranking": ranking,
                "headline": headline_text(ranking),
                # Read only when drawn: a published ranking seen whole keeps its list of
                # units (thousands in a province) in the template cache.
                "units": lambda: selectors.ranking_units(ranking, category),
                "unit": unit,
                "trend": trend,
                "trend_rounds": _trend_table(trend),
                "cache_seconds": selectors.RANKING_CACHE_SECONDS,
            }
        )
    return render(request, "assessments/ranking_dashboard.html", context)


def _trend_table(trend: list[selectors.TrendPoint]) -> dict[str, Any]:
    """The trend as a table: a row per round, a column per category."""
    names: dict[int, str] = {}
    rows: dict[int, dict[str, Any]] = {}
    for point in trend:
        names.setdefault(point.category_id, point.category_name)
        row = rows.setdefault(point.round_id, {"title": point.title, "values": {}})
        row["values"][point.category_id] = point
    columns = list(names)
    return {
        "columns": [names[c] for c in columns],
        "rows": [
            {"title": row["title"], "cells": [row["values"].get(c) for c in columns]}
            for row in rows.values()
        ],
    }


# --- the public ranking (no sign-in) -----------------------------------------------------------
PUBLIC_NOT_FOUND = gettext_lazy(
    "This ranking is not public: only published rounds the assessment office chose to show "
    "are listed here."
)


@require_GET
def public_ranking_list_view(request: HttpRequest) -> HttpResponse:
    """The published rounds the office chose to show, latest first (no sign-in)."""
    rounds = (
        Round.objects.filter(rules.PUBLIC_RANKING_Q)
        .select_related("scheme__campaign")
        .order_by("-period_start", "-pk")
    )
    return render(request, "assessments/public_ranking_list.html", {"rounds": list(rounds)})


@require_GET
def public_round_ranking_view(request: HttpRequest, pk: int) -> HttpResponse:
    """A public round's grades and tiers, category by category (no scores, no deductions,
    no sign-in); any other round is a 404 in Chinese."""
    round_ = Round.objects.filter(pk=pk).filter(rules.PUBLIC_RANKING_Q).first()
    if round_ is None:
        # The public's own 404, in the public layout, with the way back to the list (the
        # site's 404 would send them to a home page that needs signing in).
        return render(
            request,
            "assessments/public_ranking_missing.html",
            {"reason": PUBLIC_NOT_FOUND},
            status=404,
        )
    # A public round is published (frozen): its figures come from the cached snapshot and
    # the screen shows each category's first rows, or one category page by page.
    ranking = selectors.published_snapshot(round_).ranking(round_)
    page = selectors.ranking_page(
        ranking, _int(request.GET.get("category")), number=_int(request.GET.get("page"))
    )
    return render(
        request,
        "assessments/public_ranking_round.html",
        {
            "round": round_,
            "ranking": ranking,
            "page": page,
            "categories": [page.category] if page else ranking.categories,
            "grades": ranking.grades,
            "cache_seconds": selectors.RANKING_CACHE_SECONDS,
        },
    )
