"""Project-wide middleware."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control


class PrivateNoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every response to a signed-in user.

    Pages, API answers, evidence files and Excel exports carry one jurisdiction's data: no
    shared cache (a gateway, a proxy) and no browser cache on a shared office computer may
    keep them. Static files are answered by WhiteNoise before this runs and keep their long
    cache lifetimes; pages to anonymous visitors (the login page) keep theirs.

    API callers signed in with a token count too: DRF puts its user on the Django request.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
