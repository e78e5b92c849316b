"""Notice pages: the official document's A4 print view and its .docx download.

A notice the caller may not see is a 404 (:func:`accountability.rules.can_view_notice`), so
its existence is not given away.
"""

from __future__ import annotations

import io

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tasks_ledger.excel_views import xlsx_response

from . import rules
from .documents import (
    CSS_BODY,
    CSS_HEADING,
    CSS_TITLE,
    SEAL_NOTE,
    notice_context,
    notice_docx,
    notice_filename,
)
from .models import Notice

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _visible_notice(request: HttpRequest, pk: int) -> Notice:
    notice = (
        Notice.objects.select_related("issuing_unit", "target_unit", "group", "campaign")
        .filter(pk=pk)
        .first()
    )
    if notice is None or not rules.can_view_notice(request.user, notice):  # type: ignore[arg-type]
        raise Http404(_("No such notice in your jurisdiction."))
    return notice


@login_required
@require_GET
def notice_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The notice on an A4 page, for the browser's print."""
    notice = _visible_notice(request, pk)
    return render(
        request,
        "accountability/notice_print.html",
        {
            "notice": notice,
            "doc": notice_context(notice),
            "seal_note": SEAL_NOTE,
            "fonts": {"body": CSS_BODY, "title": CSS_TITLE, "heading": CSS_HEADING},
        },
    )


@login_required
@require_GET
def notice_document(request: HttpRequest, pk: int) -> FileResponse:
    """The notice as a .docx to open in WPS or Word, edit and stamp."""
    notice = _visible_notice(request, pk)
    filename, ascii_name = notice_filename(notice)
    response = xlsx_response(io.BytesIO(notice_docx(notice)), filename, ascii_name)
    response["Content-Type"] = DOCX
    return response
