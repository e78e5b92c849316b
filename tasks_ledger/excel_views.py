"""Excel out and in: export a filtered list, download a template, import with a preview.

Views are thin: the export runs the list page's selector and FilterSet and hands the
queryset to :mod:`tasks_ledger.exports`; imports go through the services of
:mod:`tasks_ledger.imports` (create, remap, result, apply), as the API does. The job page
is the mapping step (a field for each column, what 序号 means, what to do with probable
duplicates) and the preview of every row. An import job is reached only by the person who
uploaded it; anyone else gets a 404; a read-only account gets the 403 page saying why.
Imports of more rows than ``LEDGER_IMPORT_ASYNC_ROWS`` are checked and applied by the
Celery worker while the page polls the job's progress.
"""

from __future__ import annotations

import tempfile
from datetime import date
from typing import Any
from urllib.parse import quote

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.jurisdiction import jurisdiction_for
from accounts.models import User
from accounts.views import signed_in_user
from campaign.selectors import campaign_list
from workbooks.forms import MappingForm as SharedMappingForm
from workbooks.forms import workbook_field
from workbooks.views import job_context, job_page

from . import exports, imports, selectors
from .filtersets import LedgerItemFilterSet
from .models import (
    ImportDuplicates,
    ImportJob,
    ImportNumbering,
    ItemStatus,
    Ledger,
    LedgerKind,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RECENT_JOBS = 8


def xlsx_response(stream: Any, filename: str, ascii_name: str) -> FileResponse:
    """Stream a workbook as a download named per RFC 6266/5987 (UTF-8 name, ASCII fallback)."""
    response = FileResponse(stream, content_type=XLSX)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


# --- export ----------------------------------------------------------------------------------
def filter_summary(filterset: LedgerItemFilterSet) -> str:
    """The chosen filters in words, for the sheet's subtitle."""
    parts = []
    for name, value in filterset.form.cleaned_data.items():
        if value in (None, "", [], ()) or name == "ordering":
            continue
        field = filterset.form.fields[name]
        if isinstance(value, list | tuple):
            choices = dict(getattr(field, "choices", ()))
            shown = "、".join(str(choices.get(v, v)) for v in value)
        elif isinstance(value, date):
            shown = value.isoformat()
        else:
            choices = dict(getattr(field, "choices", ())) if isinstance(value, str) else {}
            shown = str(choices.get(value, value))
        parts.append(f"{field.label}：{shown}")
    return "；".join(parts)


@login_required
@require_GET
def export_view(request: HttpRequest) -> HttpResponseBase:
    """The list page's items, filtered by the same query string, as an .xlsx download."""
    user = signed_in_user(request)
    filterset = LedgerItemFilterSet(
        request.GET, queryset=selectors.ledger_items(user=user), request=request
    )
    if not filterset.is_valid():
        errors = "; ".join(
            f"{filterset.form.fields[name].label}: {' '.join(messages)}"
            for name, messages in filterset.form.errors.items()
        )
        return HttpResponseBadRequest(
            _("The filters are not valid: %(errors)s") % {"errors": errors}
        )
    data = filterset.form.cleaned_data
    ledger: Ledger | None = data.get("ledger")
    kind = ledger.kind if ledger else (data.get("kind") or None)
    today = timezone.localdate()
    summary = filter_summary(filterset)
    if ledger is not None:
        title = ledger.title
    else:
        title = _("Work ledger")
        if kind:
            title = f"{LedgerKind(kind).label}{title}"
    subtitle = _("Exported on %(date)s") % {"date": today.isoformat()}
    if summary:
        subtitle = _("Filters: %(filters)s") % {"filters": summary} + "    " + subtitle
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    exports.write_items_workbook(
        filterset.qs,
        stream,
        title=title,
        kind=kind,
        subtitle=subtitle,
        ledger_column=ledger is None,
        today=today,
    )
    stream.seek(0)
    return xlsx_response(
        stream,
        _("ledger_%(date)s.xlsx") % {"date": today.isoformat()},
        f"ledger_{today.isoformat()}.xlsx",
    )


# --- template --------------------------------------------------------------------------------
def _example_row(kind: str, unit_name: str) -> dict[str, Any]:
    """A filled-in example row of ``kind`` (its 序号 says 示例 so the importer skips it)."""
    year = timezone.localdate().year
    row: dict[str, Any] = {
        "code": _("example"),
        "title": _("Finish the renovation of the old residential quarter"),
        "unit": unit_name,
        "start_date": date(year, 3, 1),
        "deadline": date(year, 6, 30),
        "status": str(ItemStatus.IN_PROGRESS.label),
        "progress": 40,
        "latest_report": _("Pipes of 3 of the 8 buildings replaced."),
        "measures": _("Replace the pipes; repaint the fronts; open the square."),
        "measure_list": "1. " + _("Settle the land question") + "\n2. " + _("Start building"),
        "symptom": _("Approvals for enterprises take too long."),
        "rectification": _("One window for all approvals."),
        "petition_source": _("12345 hotline"),
        "petitioner_demand": _("Repair the road in front of the school."),
        "handling_result": _("Repaired and accepted by the petitioner."),
        "planned_investment": 1200,
        "funds_in_place": 800,
        "investment_completed": 500,
        "planned_start": date(year, 3, 1),
        "actual_start": date(year, 3, 15),
        "planned_completion": date(year, 12, 31),
    }
    if kind == LedgerKind.KEY_PROJECT:
        row["title"] = _("Industrial park road network, phase 1")
    return row


@login_required
@require_GET
def import_template_view(request: HttpRequest) -> HttpResponseBase:
    """The import template of one kind: the header the importer reads, an example row and
    drop-downs for the status and the user's units."""
    kind = request.GET.get("kind") or LedgerKind.KEY_TASK
    if kind not in LedgerKind.values:
        raise Http404(_("No such kind of ledger."))
    j = jurisdiction_for(signed_in_user(request))
    unit_names = list(j.units(manage=True).values_list("name", flat=True)[:1000])
    required = "、".join(str(f.label) for f in imports.import_fields(kind) if f.required)
    notes = _(
        "Required columns: %(required)s. Dates may be written 2022-06-30, 2022/6/30, "
        "2022.6.30, 2022年6月30日, 6月30日, 6月底 or 年底; write 长期坚持 for a long-term item. "
        "Units by name, short name or code; without a start date the day of import is taken. "
        "A row whose number already exists in the ledger updates that item (never its "
        "deadline); rows without a number are added. The example row is skipped."
    ) % {"required": required}
    stream = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    label = LedgerKind(kind).label
    exports.write_template(
        stream,
        kind=kind,
        title=_("%(kind)s ledger — import template") % {"kind": label},
        notes=notes,
        example=_example_row(kind, unit_names[0] if unit_names else ""),
        unit_names=unit_names,
    )
    stream.seek(0)
    return xlsx_response(
        stream,
        _("%(kind)s import template.xlsx") % {"kind": label},
        f"template_{kind}.xlsx",
    )


# --- import ------------------------------------------------------------------------------------
class ImportForm(forms.Form):
    """Choose a ledger and a workbook."""

    ledger = forms.ModelChoiceField(
        queryset=Ledger.objects.none(),
        label=gettext_lazy("ledger"),
        empty_label=gettext_lazy("Choose a ledger"),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    file = workbook_field()

    def __init__(self, *args: Any, ledgers: QuerySet[Ledger], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ledger"].queryset = ledgers  # type: ignore[attr-defined]
        self.fields["ledger"].label_from_instance = (  # type: ignore[attr-defined]
            lambda ledger: f"{ledger.area.name} · {ledger.title}（{ledger.get_kind_display()}）"
        )


class MappingForm(SharedMappingForm):
    """The mapping step (:class:`workbooks.forms.MappingForm`), with what 序号 means and
    what to do with probable duplicates."""

    numbering = forms.ChoiceField(
        label=gettext_lazy("The 序号 column is"),
        choices=ImportNumbering.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        required=False,
    )
    duplicates = forms.ChoiceField(
        label=gettext_lazy("Rows that match an open item of this ledger (same title and unit)"),
        choices=ImportDuplicates.choices,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def __init__(self, *args: Any, job: ImportJob, **kwargs: Any) -> None:
        plan = job.plan or {}
        applied = (plan.get("numbering") or {}).get("applied") or ImportNumbering.ITEM
        kwargs.setdefault(
            "initial", {"numbering": job.numbering or applied, "duplicates": job.duplicates}
        )
        super().__init__(*args, importer=imports.LEDGER, job=job, **kwargs)
        if not any(c["field"] == "code" for c in self.columns):
            self.fields["numbering"].disabled = True


def importable_ledgers(user: User) -> QuerySet[Ledger]:
    """Ledgers of the campaigns the user takes part in (a unit adds its own items to any of
    them, so an empty ledger counts too); each row is then checked unit by unit."""
    return (
        Ledger.objects.filter(campaign__in=campaign_list(user=user).values("pk"))
        .select_related("area")
        .order_by("campaign", "area__sort_order", "sort_order", "title")
    )


def _my_jobs(request: HttpRequest) -> QuerySet[ImportJob]:
    return ImportJob.objects.filter(created_by=signed_in_user(request)).select_related("ledger")


@login_required
@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    """Upload a workbook for a ledger; a bad file is refused here with nothing stored. A
    read-only account gets the 403 page saying why."""
    user = signed_in_user(request)
    reason = imports.import_refusal(user)
    if reason:
        raise PermissionDenied(reason)
    ledgers = importable_ledgers(user)
    form = ImportForm(
        request.POST or None, request.FILES or None, ledgers=ledgers, initial=request.GET.dict()
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            ledger = form.cleaned_data["ledger"]
            try:
                job = imports.import_job_create(
                    actor=user, ledger=ledger, upload=form.cleaned_data["file"]
                )
            except imports.ImportRefused as refused:
                name = form.cleaned_data["file"].name
                form.add_error(
                    "file", _("%(name)s: %(message)s") % {"name": name, "message": refused.message}
                )
            else:
                return redirect("ledger:import-job", pk=job.pk)
        status = 400
    context = {
        "form": form,
        "kinds": LedgerKind.choices,
        "jobs": _my_jobs(request)[:RECENT_JOBS],
        "max_mb": settings.LEDGER_IMPORT_MAX_BYTES // 2**20,
    }
    return render(request, "tasks_ledger/excel/import_form.html", context, status=status)


def _job_or_404(request: HttpRequest, pk: int) -> ImportJob:
    try:
        return _my_jobs(request).select_related("ledger__area", "ledger__owner_unit").get(pk=pk)
    except ImportJob.DoesNotExist as exc:
        raise Http404(_("No such import for you.")) from exc


def _job_context(job: ImportJob, form: MappingForm | None = None) -> dict[str, Any]:
    return job_context(
        imports.LEDGER,
        job,
        poll_url=reverse("ledger:import-job", args=[job.pk]),
        form=form or MappingForm(job=job),
    )


@login_required
@require_GET
def import_job_view(request: HttpRequest, pk: int) -> HttpResponse:
    """The mapping step, the preview (problems, every row planned) or the result."""
    job = _job_or_404(request, pk)
    return job_page(request, "tasks_ledger/excel/import_job.html", _job_context(job))


@login_required
@require_POST
def import_mapping_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Take the clerk's columns, numbering and duplicates choice and check again."""
    job = _job_or_404(request, pk)
    form = MappingForm(request.POST, job=job)
    if form.is_valid():
        try:
            imports.import_job_remap(
                job=job,
                actor=signed_in_user(request),
                mapping=form.mapping(),
                numbering=form.cleaned_data.get("numbering") or None,
                duplicates=form.cleaned_data["duplicates"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        return redirect("ledger:import-job", pk=job.pk)
    return render(
        request, "tasks_ledger/excel/import_job.html", _job_context(job, form), status=400
    )


@login_required
@require_POST
def import_apply_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply a clean preview: in the request, or in the worker for long sheets."""
    job = _job_or_404(request, pk)
    try:
        imports.import_job_request_apply(job=job, actor=signed_in_user(request))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect("ledger:import-job", pk=job.pk)
