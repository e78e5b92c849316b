"""Assessment pages that need no sign-in: the public satisfaction survey and the public
ranking of published rounds. Mounted at the top level by ``config.urls`` under the
``public`` namespace."""

from __future__ import annotations

from django.urls import include, path

app_name = "public"

urlpatterns: list = [
    path("ranking/", include("assessments.public_ranking_urls")),
]
