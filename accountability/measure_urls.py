"""Measure and exemption pages, under /supervision/."""

from __future__ import annotations

from django.urls import path

from . import measure_views as views

urlpatterns = [
    path("measures/", views.measure_list_view, name="measure-list"),
    path("measures/export.xlsx", views.measure_export_view, name="measure-export"),
    path("measures/new/", views.measure_new_view, name="measure-new"),
    path("measures/<int:pk>/", views.measure_detail_view, name="measure-detail"),
    path("measures/<int:pk>/history/", views.measure_history_view, name="measure-history"),
    path("exemptions/", views.exemption_list_view, name="exemption-list"),
    path("exemptions/new/", views.exemption_apply_view, name="exemption-apply"),
    path("exemptions/<int:pk>/", views.exemption_detail_view, name="exemption-detail"),
    path("exemptions/<int:pk>/history/", views.exemption_history_view, name="exemption-history"),
    path("exemptions/<int:pk>/approve/", views.exemption_approve_view, name="exemption-approve"),
    path("exemptions/<int:pk>/refuse/", views.exemption_refuse_view, name="exemption-refuse"),
]
