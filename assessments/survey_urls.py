"""The office's side of the public survey: open or close it, the answers per unit, computing
public scores (the public pages are in ``public_urls``)."""

from __future__ import annotations

from django.urls import path

from . import survey_views

urlpatterns: list = [
    path("rounds/<int:pk>/survey/", survey_views.survey_manage_view, name="survey-manage"),
    path(
        "rounds/<int:pk>/survey/open/",
        survey_views.survey_switch_view,
        {"action": "open"},
        name="survey-open",
    ),
    path(
        "rounds/<int:pk>/survey/close/",
        survey_views.survey_switch_view,
        {"action": "close"},
        name="survey-close",
    ),
    path(
        "rounds/<int:pk>/survey/compute/",
        survey_views.survey_compute_view,
        name="survey-compute",
    ),
]
