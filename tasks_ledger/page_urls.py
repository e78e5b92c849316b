"""Ledger pages, mounted at /ledgers/ in the ``ledger`` namespace (see ``urls.py``)."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns = [
    path("", views.ledger_list_view, name="ledger-list"),
    path("items/", views.item_list_view, name="item-list"),
    path("items/<int:pk>/", views.item_detail_view, name="item-detail"),
    path("items/<int:pk>/history/", views.item_history_view, name="item-history"),
    path("items/history/", views.items_history_view, name="items-history"),
    path("items/<int:pk>/progress/", views.item_progress_view, name="item-progress"),
    path("items/<int:pk>/signoff/", views.signoff_request_view, name="item-signoff"),
    path("items/<int:pk>/extension/", views.extension_request_view, name="item-extension"),
    path(
        "reports/<int:pk>/accept/",
        views.report_decide_view,
        {"action": "accept"},
        name="report-accept",
    ),
    path(
        "reports/<int:pk>/return/",
        views.report_decide_view,
        {"action": "return"},
        name="report-return",
    ),
    path(
        "signoffs/<int:pk>/approve/",
        views.signoff_decide_view,
        {"action": "approve"},
        name="signoff-approve",
    ),
    path(
        "signoffs/<int:pk>/return/",
        views.signoff_decide_view,
        {"action": "return"},
        name="signoff-return",
    ),
    path(
        "extensions/<int:pk>/approve/",
        views.extension_decide_view,
        {"action": "approve"},
        name="extension-approve",
    ),
    path(
        "extensions/<int:pk>/refuse/",
        views.extension_decide_view,
        {"action": "refuse"},
        name="extension-refuse",
    ),
    path(
        "items/<int:pk>/status-request/",
        views.status_change_request_view,
        name="item-status-request",
    ),
    path(
        "status-requests/<int:pk>/approve/",
        views.status_change_decide_view,
        {"action": "approve"},
        name="status-request-approve",
    ),
    path(
        "status-requests/<int:pk>/refuse/",
        views.status_change_decide_view,
        {"action": "refuse"},
        name="status-request-refuse",
    ),
    path("evidence/<int:pk>/", views.evidence_download_view, name="evidence"),
    path("map/", views.battle_map_view, name="map"),
    path("queues/", views.queues_view, name="queues"),
    path("queues/approve/", views.queue_bulk_view, name="queue-bulk"),
    path("meetings/", views.meeting_list_view, name="meeting-list"),
    path("meetings/new/", views.meeting_create_view, name="meeting-create"),
    path("meetings/<int:pk>/", views.meeting_detail_view, name="meeting-detail"),
    path("meetings/<int:pk>/history/", views.meeting_history_view, name="meeting-history"),
]
