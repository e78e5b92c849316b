"""Assessment pages that need no sign-in: the public satisfaction survey and the public
ranking of published rounds. Mounted at the top level by ``config.urls`` under the
``public`` namespace."""

from __future__ import annotations

from django.urls import include, path

from . import survey_views

app_name = "public"

urlpatterns: list = [
    path("ranking/", include("assessments.public_ranking_urls")),
    # The satisfaction survey (公众考核): the rounds open for answers, one round's form, thanks.
    path("survey/", survey_views.survey_list_view, name="survey"),
    path("survey/<int:round_pk>/", survey_views.survey_form_view, name="survey-round"),
    path("survey/<int:round_pk>/thanks/", survey_views.survey_thanks_view, name="survey-thanks"),
]
