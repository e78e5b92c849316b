"""The unit's assessment pages and the appeals, under /assessments/ (namespace
``assessments``): a unit's rounds and results, one round of a unit, a deduction and its
history, filing an appeal, the office's appeal queue and decision, and the office's
button computing a round's daily scores from the ledger."""

from __future__ import annotations

from django.urls import path

from . import unit_views as views

urlpatterns = [
    path("rounds/<int:pk>/daily/", views.round_daily_view, name="round-daily"),
    path("mine/", views.my_results_view, name="my-results"),
    path("mine/<int:round_pk>/", views.unit_round_view, name="unit-round"),
    path("deductions/<int:pk>/", views.deduction_detail_view, name="deduction-detail"),
    path("deductions/<int:pk>/history/", views.deduction_history_view, name="deduction-history"),
    path("deductions/<int:pk>/appeal/", views.appeal_create_view, name="appeal-create"),
    path("appeals/", views.appeal_queue_view, name="appeal-queue"),
    path("appeals/<int:pk>/", views.appeal_detail_view, name="appeal-detail"),
]
