"""API v1: every app registers its viewsets on one router."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

router = DefaultRouter()

urlpatterns = [*router.urls]
