"""Scores in from Excel: the upload form of a round being scored, and the job's page (the
mapping step, the progress bar, the preview with every problem, the apply).

Views are thin: they find the round or the job, and call :mod:`assessments.score_imports`
(as the API does), which asks :func:`assessments.rules.can_import_scores`. A job is reached
only by the person who uploaded it: anyone else gets a 404. Someone who sees the round but
may not import into it gets the 403 page saying why.
"""

from __future__ import annotations

import tempfile
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.views import signed_in_user
from tasks_ledger.excel_views import xlsx_response
from workbooks.forms import MappingForm, workbook_field
from workbooks.safety import ImportRefused
from workbooks.views import job_context, job_page

from . import rules, score_imports
from .models import Round, ScoreImportJob

RECENT_JOBS = 8


class ScoreUploadForm(forms.Form):
    """The workbook of scores."""

    file = workbook_field()


def _round(request: HttpRequest, pk: int) -> Round:
    """The round, if the user may import scores into it; 404 when it is not theirs to see,
    403 (saying why) when they see it but may not import."""
    user = signed_in_user(request)
    try:
        round_ = Round.objects.select_related("scheme__campaign__owner_unit").get(pk=pk)
    except Round.DoesNotExist as exc:
        raise Http404(_("No such round.")) from exc
    if rules.can_import_scores(user, round_):
        return round_
    if not rules.can_view_round(user, round_):
        raise Http404(_("No such round."))
    raise PermissionDenied(
        _(
            "Scores are imported into a round while it is being scored (%(round)s is "
            "%(status)s), by the assessment office or a third-party evaluator over it."
        )
        % {"round": round_.title, "status": round_.get_status_display()}
    )


@login_required
@require_GET
def score_import_rounds_view(request: HttpRequest) -> HttpResponse:
    """Where an evaluator (or the office) starts: the rounds being scored that they may
    import scores into, each with its upload page, and their own recent imports."""
    user = signed_in_user(request)
    rounds = (
        Round.objects.filter(rules.importable_rounds_q(user))
        .select_related("scheme__campaign")
        .order_by("-period_start", "pk")
    )
    context = {
        "rounds": rounds,
        "jobs": score_imports.score_import_jobs(user=user)[:RECENT_JOBS],
    }
    return render(request, "assessments/import_rounds.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def score_import_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Upload a workbook of scores for the round; a bad file is refused here with nothing
    stored."""
    round_ = _round(request, pk)
    user = signed_in_user(request)
    form = ScoreUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = score_imports.score_import_create(actor=user, round_=round_, upload=upload)
            except ImportRefused as refused:
                form.add_error(
                    "file",
                    _("%(name)s: %(message)s") % {"name": upload.name, "message": refused.message},
                )
            else:
                return redirect("assessments:score-import-job", pk=job.pk)
        status = 400
    sources = rules.importable_sources(user, round_)
    indicators = [
        i
        for i in round_.scheme.indicators.order_by("sort_order", "code")
        if i.source in sources and not i.metric
    ]
    context = {
        "round": round_,
        "round_url": (
            reverse("assessments:round-detail", args=[round_.pk])
            if rules.can_manage_round(user, round_)
            else ""
        ),
        "form": form,
        "indicators": indicators,
        "evaluator_only": tuple(sources) == ("third_party",),
        "jobs": score_imports.score_import_jobs(user=user).filter(round=round_)[:RECENT_JOBS],
        "max_mb": settings.LEDGER_IMPORT_MAX_BYTES // 2**20,
    }
    return render(request, "assessments/import_form.html", context, status=status)


@login_required
@require_GET
def score_import_template_view(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A sheet to fill in for the round: its assessed units, a column per indicator the user
    scores (it imports back as it is)."""
    round_ = _round(request, pk)
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    score_imports.write_template(stream, round_=round_, user=signed_in_user(request))
    stream.seek(0)
    return xlsx_response(
        stream, _("%(round)s scores.xlsx") % {"round": round_.title}, f"scores_{round_.pk}.xlsx"
    )


def _job_or_404(request: HttpRequest, pk: int) -> ScoreImportJob:
    user = signed_in_user(request)
    try:
        job = score_imports.score_import_jobs(user=user).get(pk=pk)
    except ScoreImportJob.DoesNotExist as exc:
        raise Http404(_("No such import for you.")) from exc
    job.created_by = user  # their own job: the rules read the roles already read for them
    return job


def _context(job: ScoreImportJob, form: MappingForm | None = None) -> dict[str, Any]:
    context = job_context(
        score_imports.SCORES,
        job,
        poll_url=reverse("assessments:score-import-job", args=[job.pk]),
        form=form or MappingForm(importer=score_imports.SCORES, job=job),
    )
    # The round's score grid is the office's page: linked for those who may enter there.
    if rules.can_enter_scores(job.created_by, job.round):
        context["scores_url"] = reverse("assessments:round-scores", args=[job.round_id])
    return context


@login_required
@require_http_methods(["GET", "POST"])
def score_import_job_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The job: mapping step, progress, preview and outcome (GET); the clerk's columns
    (POST ``action=remap``) or the apply (POST ``action=apply``)."""
    job = _job_or_404(request, pk)
    template = "assessments/import_job.html"
    if request.method == "GET":
        return job_page(request, template, _context(job))
    user = signed_in_user(request)
    action = request.POST.get("action")
    try:
        if action == "apply":
            score_imports.score_import_request_apply(job=job, actor=user)
        elif action == "remap":
            form = MappingForm(request.POST, importer=score_imports.SCORES, job=job)
            if not form.is_valid():
                return render(request, template, _context(job, form), status=400)
            score_imports.score_import_remap(job=job, actor=user, mapping=form.mapping())
        else:
            messages.error(request, _("Choose to check the columns again or to import."))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("assessments:score-import-job", pk=job.pk)
