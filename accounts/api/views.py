"""API views for sign-in tokens, the current user and the organisation tree."""

from __future__ import annotations

import math
from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth.signals import user_logged_in
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, generics, mixins, viewsets
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import action
from rest_framework.exceptions import ErrorDetail
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.filtersets import UnitFilterSet
from accounts.jurisdiction import jurisdiction_for
from accounts.models import ApiToken, Notification, Unit, UnitQuerySet, User
from accounts.notifications import (
    notification_mark_read,
    notifications_mark_all_read,
    notifications_of,
)
from accounts.selectors import (
    api_tokens_of,
    jurisdiction_root_units,
    unit_ancestors_of,
    unit_detail,
    unit_list,
    units_with_parent,
    user_profile,
)
from accounts.services import api_token_create, api_token_revoke, api_tokens_revoke_all
from config.api.base import ScopedReadOnlyViewSet, ServiceErrorsMixin

from .serializers import (
    ApiTokenSerializer,
    LockedOutResponseSerializer,
    MeSerializer,
    NotificationSerializer,
    NotificationsReadSerializer,
    TokenSerializer,
    TokensRevokedSerializer,
    UnitDetailSerializer,
    UnitListSerializer,
)


class LockedOut(exceptions.Throttled):
    """Too many failed sign-ins for this username from this address (django-axes)."""

    default_detail = _("Too many failed sign-in attempts: this account is locked for now.")
    default_code = "locked_out"

    def __init__(self, wait: float | None = None, detail: Any = None, code: Any = None) -> None:
        """Say the wait in minutes, as the lockout page does, not in seconds."""
        super().__init__(wait=wait, detail=detail, code=code)
        if wait is not None and detail is None:
            minutes = max(1, math.ceil(wait / 60))
            self.detail = ErrorDetail(
                ngettext(
                    "Too many failed sign-in attempts: this account is locked for now. Try "
                    "again in %(minutes)d minute, or ask your unit's administrator to unlock it.",
                    "Too many failed sign-in attempts: this account is locked for now. Try "
                    "again in %(minutes)d minutes, or ask your unit's administrator to unlock it.",
                    minutes,
                )
                % {"minutes": minutes},
                code=self.default_code,
            )


class TokenObtainView(generics.GenericAPIView):
    """Exchange a username and password for a new API token.

    Every sign-in makes a new token (one per device or script), valid for
    ``API_TOKEN_TTL_DAYS``; only its hash is stored. DRF's serializer passes the request to
    ``authenticate``, so django-axes counts failures and locks out exactly as on the login
    page; a lockout is answered here in the standard error shape (429 with ``Retry-After``)
    instead of the HTML lockout page. A success is a login like any other:
    ``user_logged_in`` is sent, so it is logged and resets failures.
    """

    authentication_classes = ()
    permission_classes = ()
    # DRF's username-and-password check only: the authtoken app (and its plain-text Token
    # model) is not installed; tokens are knox's, stored hashed (``ApiToken``).
    serializer_class = AuthTokenSerializer
    filter_backends = ()
    pagination_class = None

    @extend_schema(
        request=AuthTokenSerializer,
        responses={200: TokenSerializer, 429: LockedOutResponseSerializer},
        examples=[
            OpenApiExample(
                "LockedOut",
                value={
                    "type": "client_error",
                    "errors": [
                        {
                            "code": "locked_out",
                            "detail": "Too many failed sign-in attempts: "
                            "this account is locked for now.",
                            "attr": None,
                        }
                    ],
                },
                status_codes=["429"],
                response_only=True,
            )
        ],
        summary="Obtain a new API token",
        tags=["auth"],
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Check the credentials (counted by axes) and return a new token with its expiry."""
        serializer = self.get_serializer(data=request.data)
        try:
            serializer.is_valid(raise_exception=True)
        except exceptions.ValidationError:
            # axes flags the request it was given (DRF's wrapper) when the attempt is refused
            # or when this failure reaches the limit.
            if getattr(request, "axes_locked_out", False):
                cool_off = get_cool_off(request)
                raise LockedOut(wait=cool_off.total_seconds() if cool_off else None) from None
            raise
        user = serializer.validated_data["user"]
        user_logged_in.send(sender=user.__class__, request=request, user=user)
        token, key = api_token_create(user=user, user_agent=request.headers.get("User-Agent", ""))
        return Response(
            TokenSerializer({"id": token.pk, "token": key, "expiry": token.expiry}).data
        )


@extend_schema(tags=["auth"])
class ApiTokenViewSet(
    ServiceErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's own API tokens: list them, revoke one (DELETE) or all of them.

    Another user's token is 404, as if it did not exist.
    """

    queryset = ApiToken.objects.none()  # for the schema's model; rows come from the selector
    serializer_class = ApiTokenSerializer
    filter_backends = ()
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[ApiToken]:
        """The caller's unexpired tokens."""
        return api_tokens_of(user=self.caller)

    @extend_schema(summary="Revoke one of my API tokens")
    def destroy(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Revoke the token: it stops working at once."""
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: ApiToken) -> None:
        """Revoke through the service (which checks it is the caller's own)."""
        api_token_revoke(user=self.caller, token_id=instance.pk)

    @extend_schema(
        summary="Revoke all my API tokens",
        request=None,
        responses={200: TokensRevokedSerializer},
    )
    @action(detail=False, methods=["post"], url_path="revoke-all")
    def revoke_all(self, request: Request) -> Response:
        """Revoke every token of the caller, the one in use included."""
        count = api_tokens_revoke_all(user=self.caller, reason="revoked by owner")
        return Response(TokensRevokedSerializer({"revoked": count}).data)


@extend_schema(tags=["accounts"])
class NotificationViewSet(ServiceErrorsMixin, viewsets.ReadOnlyModelViewSet):
    """The caller's own notifications (the inbox), newest first; mark them read.

    Another user's notification is 404, as if it did not exist.
    """

    queryset = Notification.objects.none()  # for the schema's model; rows come from the selector
    serializer_class = NotificationSerializer
    filter_backends = ()
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[Notification]:
        """The caller's notifications."""
        return notifications_of(user=self.caller)

    @extend_schema(summary="Mark one of my notifications read", request=None)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        """Mark the notification read (again is harmless); the notification."""
        try:
            notification = notification_mark_read(user=self.caller, notification_id=int(pk))
        except Notification.DoesNotExist as exc:
            raise exceptions.NotFound() from exc
        return Response(NotificationSerializer(notification).data)

    @extend_schema(
        summary="Mark all my notifications read",
        request=None,
        responses={200: NotificationsReadSerializer},
    )
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        """Mark every unread notification of the caller read; how many were."""
        count = notifications_mark_all_read(user=self.caller)
        return Response(NotificationsReadSerializer({"marked_read": count}).data)


class JurisdictionSummary:
    """The caller's jurisdiction as root units, for :class:`MeSerializer`."""

    def __init__(self, user: User) -> None:
        j = jurisdiction_for(user)
        roots = jurisdiction_root_units(user=user)
        self.is_global = j.is_global
        self.is_read_only = j.is_read_only
        self.view_roots = roots["view"]
        self.manage_roots = roots["manage"]
        self.supervised_roots = roots["supervised"]


class MeView(ServiceErrorsMixin, generics.RetrieveAPIView):
    """The signed-in user with posts, roles and jurisdiction."""

    serializer_class = MeSerializer
    filter_backends = ()
    pagination_class = None

    @extend_schema(summary="The current user", tags=["accounts"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The profile, posts, roles and jurisdiction of whoever is calling."""
        return super().get(request, *args, **kwargs)

    def get_object(self) -> User:
        """The caller's profile from the selector, with the jurisdiction summary attached."""
        profile = user_profile(user=self.caller)
        profile.jurisdiction = JurisdictionSummary(self.caller)  # type: ignore[attr-defined]
        return profile


@extend_schema(tags=["accounts"])
class UnitViewSet(ScopedReadOnlyViewSet):
    """Units the caller may see: filter by place in the tree, level, kind and text."""

    queryset = Unit.objects.none()  # for the schema's model; rows come from the selector
    list_serializer_class = UnitListSerializer
    detail_serializer_class = UnitDetailSerializer
    filterset_class = UnitFilterSet
    ordering_fields = ["path", "code", "name", "sort_order"]
    ordering = ["path"]

    def selector_queryset(self) -> UnitQuerySet:
        """Visible units in tree order, each with its parent's id."""
        return units_with_parent(unit_list(user=self.caller))

    def detail_object(self, pk: int) -> Unit:
        """The unit with its members (selector) and ancestors for a breadcrumb (one query)."""
        unit = unit_detail(user=self.caller, pk=pk)
        ancestors = unit_ancestors_of(units=[unit])
        unit.ancestors = [ancestors[path] for path in sorted(ancestors)]
        unit.parent_pk = unit.ancestors[-1].pk if unit.ancestors else None
        return unit
