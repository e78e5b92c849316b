"""Assessment pages, mounted at /assessments/ under the ``assessments`` namespace.

Each part keeps its own URL module, so they grow apart without stepping on each other:
the office's workspace (rounds, scoring, deductions, publishing) in ``office_urls``; the
unit's own results, deductions and appeals in ``unit_urls``; the score import in
``import_urls``; published rankings, the circular, the Excel export and the dashboard in
``publication_urls``; honor rolls and leaders' lists in ``honor_urls``; the office's side
of the public survey (opening it, public scores) in ``survey_urls``. The pages that need
no sign-in are in ``public_urls`` (the survey) and ``public_ranking_urls`` (the public
ranking), mounted at /public/ by ``config.urls``.
"""

from __future__ import annotations

from django.urls import include, path

app_name = "assessments"

urlpatterns = [
    path("", include("assessments.office_urls")),
    path("", include("assessments.unit_urls")),
    path("", include("assessments.import_urls")),
    path("", include("assessments.publication_urls")),
    path("", include("assessments.honor_urls")),
    path("", include("assessments.survey_urls")),
]
