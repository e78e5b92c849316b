"""Routes of the accounts API, mounted under /api/v1/ by ``config.api.urls``."""

from __future__ import annotations

from django.urls import path

from .views import ApiTokenViewSet, MeView, NotificationViewSet, TokenObtainView, UnitViewSet

# (prefix, viewset, basename) registered on the one v1 router.
routes = [
    ("auth/tokens", ApiTokenViewSet, "auth-token"),
    ("units", UnitViewSet, "unit"),
    ("inbox", NotificationViewSet, "notification"),
]

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token"),
    path("me/", MeView.as_view(), name="me"),
]
