"""API views that belong to no app: the schema and its docs.

The API's answers to unknown paths and other errors outside its views are in config/errors.py.

The schema and the docs page name every route and field; in production they are for
signed-in users only (``API_DOCS_PUBLIC``, read on each request so tests can flip it).
The docs page is Swagger UI with its start-up script served as a file of its own, so the
Content-Security-Policy needs no inline script.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView


class ApiDocsAccess(permissions.BasePermission):
    """Anyone when ``API_DOCS_PUBLIC`` is on, otherwise signed-in users only."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        """Public docs, or a signed-in caller."""
        return bool(settings.API_DOCS_PUBLIC or request.user.is_authenticated)


class SchemaView(SpectacularAPIView):
    """The OpenAPI schema (401 to anonymous callers unless the docs are public)."""

    permission_classes = [ApiDocsAccess]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI: the page, and with ``?script`` its start-up script.

    An anonymous visitor is sent to the login page (and back) rather than shown a bare 401.
    """

    permission_classes = [ApiDocsAccess]
    template_name = "api/swagger_ui.html"

    def handle_exception(self, exc: Exception) -> Any:
        """Not signed in: to the login page, then back here."""
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
