"""Routes of the ledger API, mounted under /api/v1/ by ``config.api.urls``."""

from __future__ import annotations

from .imports import ImportJobViewSet
from .views import (
    AreaViewSet,
    ExtensionRequestViewSet,
    LedgerItemViewSet,
    LedgerViewSet,
    MeetingViewSet,
    ProgressReportViewSet,
    SignOffRequestViewSet,
    StatusChangeRequestViewSet,
)

# (prefix, viewset, basename) registered on the one v1 router.
routes = [
    ("ledgers", LedgerViewSet, "ledger"),
    ("areas", AreaViewSet, "area"),
    ("items", LedgerItemViewSet, "ledger-item"),
    ("progress-reports", ProgressReportViewSet, "progress-report"),
    ("signoff-requests", SignOffRequestViewSet, "signoff-request"),
    ("extension-requests", ExtensionRequestViewSet, "extension-request"),
    ("status-requests", StatusChangeRequestViewSet, "status-request"),
    ("meetings", MeetingViewSet, "meeting"),
    ("imports", ImportJobViewSet, "import"),
]

urlpatterns: list = []
