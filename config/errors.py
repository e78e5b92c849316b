"""The site's error answers — 400, 403, 404, 429 and 500 — each in the form its caller reads.

- A path under ``/api/`` gets the API's one JSON error shape (drf-standardized-errors), its
  ``detail`` in the user's language; DRF views get the same through ``ApiExceptionHandler``.
- An htmx request gets a small alert (``includes/error_alert.html``) aimed by ``HX-Retarget``
  at the page's alert region (``#app-alerts`` in base.html); static/js/app.js swaps it in,
  which htmx does not do for 4xx/5xx answers on its own.
- Everything else gets the page in the site layout (``<status>.html``).

Each says why — the message our code gave a ``PermissionDenied`` or ``Http404`` (English
msgids, translated), else one sentence per status — and offers a way back. The 500 answers
read no database and run no context processor, so they still render when PostgreSQL is down.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.core.exceptions import (
    DisallowedHost,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import loader
from django.template.defaultfilters import filesizeformat
from django.urls import Resolver404, resolve, reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_htmx.http import push_url, reswap, retarget
from drf_standardized_errors.handler import ExceptionHandler
from drf_standardized_errors.settings import package_settings
from rest_framework import exceptions

ALERTS = "#app-alerts"  # the alert region in base.html


@dataclass(frozen=True)
class Kind:
    """What one status says: a heading, the reason when the code gave none, what to do."""

    title: Promise
    reason: Promise
    hint: Promise
    icon: str


KINDS = {
    400: Kind(
        gettext_lazy("The request could not be understood"),
        gettext_lazy("The page sent something the server cannot read."),
        gettext_lazy(
            "Reload the page and try again. If it happens again, tell your unit's "
            "administrator what you were doing."
        ),
        "exclamation-triangle",
    ),
    403: Kind(
        gettext_lazy("You may not do this"),
        gettext_lazy("Your account has no right to this page or action."),
        gettext_lazy(
            "If you think you should have this right, ask your unit's administrator or the "
            "campaign office."
        ),
        "slash-circle",
    ),
    404: Kind(
        gettext_lazy("Not found"),
        gettext_lazy("There is no such page, or it lies outside your jurisdiction."),
        gettext_lazy("Check the address, or start again from the home page."),
        "question-circle",
    ),
    429: Kind(
        gettext_lazy("Too many failed log-in attempts"),
        gettext_lazy("Too many failed sign-in attempts: this account is locked for now."),
        gettext_lazy(
            "If you have forgotten your password, ask your unit's administrator to reset it."
        ),
        "shield-lock",
    ),
    500: Kind(
        gettext_lazy("Something went wrong on our side"),
        gettext_lazy("Nothing you did caused this, and it has been logged."),
        gettext_lazy(
            "Wait a moment and try again; if it persists, tell your unit's administrator the "
            "time it happened."
        ),
        "cone-striped",
    ),
}
# The API's 500 detail stands alone, without the page's heading.
SERVER_ERROR_DETAIL = gettext_lazy(
    "Server error: nothing you did caused it, and it has been logged."
)
# A refused CSRF check is a 403 of its own: the page was drawn before the user's last log-in
# (which renews the token) or the cookie was lost. Django's reasons are for developers.
EXPIRED = Kind(
    gettext_lazy("This page has expired"),
    gettext_lazy(
        "It was opened before your last log-in or log-out, so what you sent was refused and "
        "nothing was saved."
    ),
    gettext_lazy("Reload the page, then do it again."),
    "clock-history",
)


# --- why -------------------------------------------------------------------------------------
def own_message(exception: BaseException | None) -> str:
    """The message our code gave an Http404 or PermissionDenied, or "" when it gave none.

    Django's resolver puts a dict in its Resolver404 and ``get_object_or_404`` an English
    "No X matches the given query."; neither is for users.
    """
    args = getattr(exception, "args", ()) or ()
    message = args[0] if args else ""
    if not isinstance(message, str | Promise):
        return ""
    text = str(message)
    return "" if "matches the given query" in text else text


def bad_request_reason(exception: BaseException | None) -> str:
    """A 400's reason in words, for the limits a user can run into."""
    if isinstance(exception, RequestDataTooBig):
        return _("What was sent is too large: at most %(size)s at once (files not counted).") % {
            "size": filesizeformat(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        }
    if isinstance(exception, TooManyFilesSent):
        return _("Too many files were sent at once: at most %(count)d.") % {
            "count": settings.DATA_UPLOAD_MAX_NUMBER_FILES
        }
    if isinstance(exception, TooManyFieldsSent):
        return _("The form sent too many fields at once.")
    return ""


# --- the three forms -------------------------------------------------------------------------
def is_api(request: HttpRequest) -> bool:
    """The API answers in JSON, whatever went wrong."""
    return request.path_info.startswith("/api/")


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request that swaps a fragment (a history restore wants the whole page)."""
    restore = request.headers.get("HX-History-Restore-Request") == "true"
    return request.headers.get("HX-Request") == "true" and not restore


def api_response(exc: exceptions.APIException) -> HttpResponse:
    """``exc`` in the API's error shape, rendered without a view (and so without a query)."""
    data = package_settings.EXCEPTION_FORMATTER_CLASS(exc, {}, exc).run()
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False),
        content_type="application/json",
        status=exc.status_code,
    )
    if getattr(exc, "wait", None):
        response["Retry-After"] = str(int(exc.wait))  # type: ignore[attr-defined]
    return response


def alert_response(
    request: HttpRequest, status: int, kind: Kind, reason: str, *, login: bool = False
) -> HttpResponse:
    """The small alert an htmx request gets, aimed at the page's alert region.

    Rendered from its template alone (no request context), so a 500 needs no database.
    """
    context = {
        "status": status,
        "kind": kind,
        "reason": reason or kind.reason,
        "reload_url": _same_site(request, request.headers.get("HX-Current-URL", ""), other=False),
        "login_url": _login_url(request) if login else "",
    }
    response = HttpResponse(
        loader.render_to_string("includes/error_alert.html", context), status=status
    )
    retarget(response, ALERTS)
    reswap(response, "innerHTML")
    push_url(response, False)  # a failed filter must not become the address
    return response


def page_context(request: HttpRequest, kind: Kind, reason: str, **extra: Any) -> dict[str, Any]:
    """What the error card (includes/error_card.html) shows."""
    return {
        "kind": kind,
        "reason": reason or kind.reason,
        "back_url": _same_site(request, request.META.get("HTTP_REFERER", "")),
        **extra,
    }


def _same_site(request: HttpRequest, url: str, *, other: bool = True) -> str:
    """``url`` when it is a page of this site (``other``: not the one that failed), else ""."""
    try:
        host = request.get_host()
    except DisallowedHost:
        return ""
    if not url or not url_has_allowed_host_and_scheme(
        url, allowed_hosts={host}, require_https=request.is_secure()
    ):
        return ""
    return "" if other and urlsplit(url).path == request.path else url


def _login_url(request: HttpRequest) -> str:
    """The log-in page, coming back to the page the user was on."""
    back = request.headers.get("HX-Current-URL") or request.META.get("HTTP_REFERER", "")
    parts = urlsplit(_same_site(request, back) or "/")
    next_url = f"{parts.path}?{parts.query}" if parts.query else parts.path
    return f"{reverse('login')}?{urlencode({'next': next_url})}"


def _anonymous(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return user is None or not user.is_authenticated


# --- the handlers (config/urls.py, settings) -------------------------------------------------
def bad_request(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """handler400: input the server cannot read (SuspiciousOperation, BadRequest, limits)."""
    reason = bad_request_reason(exception)
    kind = KINDS[400]
    if is_api(request):
        return api_response(exceptions.ParseError(reason or None))
    if is_htmx(request):
        return alert_response(request, 400, kind, reason)
    return render(request, "400.html", page_context(request, kind, reason), status=400)


def permission_denied(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """handler403: the reason the code gave, and whom to ask."""
    reason = own_message(exception)
    kind = KINDS[403]
    if is_api(request):
        return api_response(exceptions.PermissionDenied(reason or None))
    login = _anonymous(request)
    if is_htmx(request):
        return alert_response(request, 403, kind, reason, login=login)
    context = page_context(request, kind, reason, login_url=_login_url(request) if login else "")
    return render(request, "403.html", context, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form or htmx action from a page drawn before the last log-in."""
    if is_api(request):
        return api_response(exceptions.PermissionDenied(str(EXPIRED.reason)))
    if is_htmx(request):
        return alert_response(request, 403, EXPIRED, "", login=_anonymous(request))
    # A page that needs no sign-in (the public survey) has nothing to log in again for.
    relogin = _anonymous(request) and not _public(request)
    context = page_context(request, EXPIRED, "", login_url=_login_url(request) if relogin else "")
    return render(request, "403.html", context, status=403)


def _public(request: HttpRequest) -> bool:
    """A page for anyone, without sign-in (``assessments.public_urls``)."""
    try:
        return resolve(request.path_info).namespace == "public"
    except Resolver404:
        return False


def page_not_found(request: HttpRequest, exception: BaseException | None = None) -> HttpResponse:
    """handler404: our own message when there is one ("No such item in your jurisdiction.")."""
    reason = own_message(exception) if isinstance(exception, Http404) else ""
    kind = KINDS[404]
    if is_api(request):
        return api_response(exceptions.NotFound(reason or None))
    if is_htmx(request):
        return alert_response(request, 404, kind, reason)
    return render(request, "404.html", page_context(request, kind, reason), status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: from templates alone — no database, no context processors, no user."""
    kind = KINDS[500]
    if is_api(request):
        return api_response(exceptions.APIException(str(SERVER_ERROR_DETAIL)))
    if is_htmx(request):
        return alert_response(request, 500, kind, "")
    html = loader.get_template("500.html").render(
        {"kind": kind, "reason": kind.reason, "back_url": ""}
    )
    return HttpResponse(html, status=500)


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: too many failed log-ins from this address (429).

    The page is django-axes' own template (AXES_LOCKOUT_TEMPLATE) with the same context axes
    gives it; the API and htmx get their forms of the same message.
    """
    from axes.helpers import get_cool_off, get_failure_limit

    from accounts.api.views import LockedOut

    cool_off = get_cool_off(request)
    kind = KINDS[429]
    if is_api(request):
        return api_response(LockedOut(wait=cool_off.total_seconds() if cool_off else None))
    if is_htmx(request):
        return alert_response(request, 429, kind, "")
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_timedelta": cool_off,
    }
    return render(request, settings.AXES_LOCKOUT_TEMPLATE, context, status=429)


class ApiExceptionHandler(ExceptionHandler):
    """drf-standardized-errors, keeping our reasons and saying a server error in words.

    The package turns a Django ``Http404``/``PermissionDenied`` into DRF's with the default
    detail (losing the message our code gave) and an unhandled error into the English
    "Server Error (500)".
    """

    def convert_known_exceptions(self, exc: Exception) -> Exception:
        """Django's 404 and 403 as DRF's, with the message our code gave them; a full disk
        (an upload's storage) as the 507 that says so (config/storage.py)."""
        from config.storage import DISK_FULL, InsufficientStorage, is_disk_full

        if is_disk_full(exc):
            return InsufficientStorage(str(DISK_FULL.reason))
        if isinstance(exc, Http404):
            return exceptions.NotFound(own_message(exc) or None)
        if isinstance(exc, DjangoPermissionDenied):
            return exceptions.PermissionDenied(own_message(exc) or None)
        return exc

    def convert_unhandled_exceptions(self, exc: Exception) -> exceptions.APIException:
        """Any other error: a 500 whose detail is a sentence in the user's language."""
        if isinstance(exc, exceptions.APIException):
            return exc
        return exceptions.APIException(str(SERVER_ERROR_DETAIL))
