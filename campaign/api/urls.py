"""Routes of the campaign API, mounted under /api/v1/ by ``config.api.urls``."""

from __future__ import annotations

from .views import CampaignViewSet, ChainViewSet, SupervisionGroupViewSet, TaskForceViewSet

# (prefix, viewset, basename) registered on the one v1 router.
routes = [
    ("campaigns", CampaignViewSet, "campaign"),
    ("task-forces", TaskForceViewSet, "task-force"),
    ("supervision-groups", SupervisionGroupViewSet, "supervision-group"),
    ("chains", ChainViewSet, "chain"),
]

urlpatterns: list = []
