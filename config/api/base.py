"""What every API view shares: authentication order, service errors, selector-backed objects.

Views stay thin (ARCHITECTURE.md): they parse input, call one selector or service and
render. Services speak Django (``ValidationError``, ``PermissionDenied``); this module turns
those into DRF exceptions so drf-standardized-errors renders them in the one JSON error
shape, field names kept as ``attr``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from rest_framework import exceptions, permissions, viewsets
from rest_framework.fields import get_error_detail
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.jurisdiction import jurisdiction_for

if TYPE_CHECKING:
    from accounts.models import User


def api_exception(exc: Exception) -> Exception:
    """Translate a Django exception raised by a service into its DRF equivalent.

    ``ValidationError.message_dict`` keys become field ``attr``s (``__all__`` becomes
    ``non_field_errors``); a ``PermissionDenied`` keeps the service's message.
    """
    if isinstance(exc, DjangoValidationError):
        detail = get_error_detail(exc)
        if isinstance(detail, dict) and "__all__" in detail:
            detail[api_settings.NON_FIELD_ERRORS_KEY] = detail.pop("__all__")
        return exceptions.ValidationError(detail=detail)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(detail=str(exc) or None)
    return exc


class ServiceErrorsMixin:
    """Render Django exceptions from services in the standard error shape."""

    request: Any  # set by the view it is mixed into

    @property
    def caller(self) -> User:
        """The signed-in user (permission classes have already refused anonymous callers).

        During schema generation this is an anonymous user, whom every selector scopes to
        nothing.
        """
        return cast("User", self.request.user)

    def handle_exception(self, exc: Exception) -> Any:
        """Convert, then let DRF and drf-standardized-errors render the response."""
        return super().handle_exception(api_exception(exc))  # type: ignore[misc]


class ChangesNeedManageRights(permissions.BasePermission):
    """Read-only users (officials, evaluators, supervisors) may read but never write.

    Refusing here, before the body is parsed, gives a read-only caller a plain 403 rather
    than validation errors about a change they may not make at all. Whether the caller may
    change *this* unit is still decided by the service (``can_manage``).
    """

    def has_permission(self, request: Request, view: APIView) -> bool:
        """Safe methods pass; writes need somewhere the caller may change records."""
        if request.method in permissions.SAFE_METHODS:
            return True
        return not jurisdiction_for(request.user).is_read_only


class ScopedReadOnlyViewSet(ServiceErrorsMixin, viewsets.ReadOnlyModelViewSet):
    """A read-only viewset whose querysets come from selectors scoped to the caller.

    Subclasses set ``list_selector`` (``user -> QuerySet``) and may set ``detail_selector``
    (``user, pk -> object``, raising ``DoesNotExist`` outside the jurisdiction); objects the
    caller may not see are 404, never 403, so their existence does not leak.
    """

    lookup_value_regex = r"\d+"
    list_serializer_class: type | None = None
    detail_serializer_class: type | None = None

    def selector_queryset(self) -> models.QuerySet[Any]:
        """The list selector's queryset for the caller."""
        raise NotImplementedError

    def detail_object(self, pk: int) -> models.Model:
        """The detail selector's object, or the list queryset's row by default."""
        return self.selector_queryset().get(pk=pk)

    def get_queryset(self) -> models.QuerySet[Any]:
        """Lists (and schema generation) use the scoped list selector."""
        return self.selector_queryset()

    def get_object(self) -> Any:
        """The object from the detail selector; 404 when it is outside the jurisdiction."""
        model = self.get_queryset().model
        try:
            obj = self.detail_object(int(self.kwargs[self.lookup_field]))
        except (model.DoesNotExist, ValueError) as exc:
            raise Http404 from exc
        self.check_object_permissions(self.request, obj)
        return obj

    def get_serializer_class(self) -> type:
        """The list serializer for lists, the detail serializer for everything else."""
        if self.action == "list" and self.list_serializer_class is not None:
            return self.list_serializer_class
        if self.detail_serializer_class is not None:
            return self.detail_serializer_class
        return super().get_serializer_class()
