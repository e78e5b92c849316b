"""Uploads on a full disk: refused in words, and nothing half-saved.

:class:`UploadStorage` is Django's file system storage that removes the part of a file it
could not finish writing (Django's own leaves a truncated file behind). With the database
row's transaction rolled back by the same exception, nothing of the upload remains.

:class:`DiskFullMiddleware` answers the exception (``ENOSPC``, or ``EDQUOT`` over a quota)
with a 507 that says so, in the form the caller reads (config/errors.py): the page, an htmx
alert, or the API's error shape for a view outside DRF. Any other error stays a 500.
"""

from __future__ import annotations

import errno
import logging
import os
from collections.abc import Callable
from typing import Any

from django.core.files.storage import FileSystemStorage
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from rest_framework import exceptions

from config.errors import Kind, alert_response, api_response, is_api, is_htmx, page_context

logger = logging.getLogger(__name__)

#: The errors of a full disk (or of a full quota).
DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)

DISK_FULL = Kind(
    gettext_lazy("The server's storage is full"),
    gettext_lazy(
        "Your file could not be stored because the server's disk is full: nothing was saved."
    ),
    gettext_lazy("Try again later, and tell your unit's administrator so that space can be freed."),
    "hdd-fill",
)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk (or the quota) is full."""
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


class UploadStorage(FileSystemStorage):
    """Django's file system storage, but a file it could not finish is removed, not left
    truncated under its name."""

    def _save(self, name: str, content: Any) -> str:
        path = self.path(name)
        existed = os.path.lexists(path)
        try:
            return str(super()._save(name, content))  # type: ignore[misc]  # not in the stubs
        except OSError:
            # Saving opens the file with O_EXCL under this name, so when it did not exist
            # before, what is there now is our part-written file.
            if not existed and os.path.lexists(path):
                os.remove(path)
            raise


class InsufficientStorage(exceptions.APIException):
    """The API's form of the refusal."""

    status_code = 507
    default_code = "insufficient_storage"


class DiskFullMiddleware:
    """Turn a full disk met while handling a request into a 507 that says so."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_disk_full(exception):
            return None
        logger.error("disk full while handling %s", request.path, exc_info=exception)
        if is_api(request):
            return api_response(InsufficientStorage(str(DISK_FULL.reason)))
        if is_htmx(request):
            return alert_response(request, 507, DISK_FULL, "")
        return render(request, "507.html", page_context(request, DISK_FULL, ""), status=507)
