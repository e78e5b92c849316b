"""Honor roll (创先争优月榜) and leaders' list (正负面清单) pages, under /assessments/."""

from __future__ import annotations

from django.urls import path

from . import honor_views as views

urlpatterns = [
    path("honor/", views.honor_roll_list_view, name="honor-roll-list"),
    path("honor/submit/", views.honor_submit_view, name="honor-submit"),
    path("honor/<int:pk>/", views.honor_roll_detail_view, name="honor-roll-detail"),
    path("honor/<int:pk>/roll.xlsx", views.honor_roll_export_view, name="honor-roll-export"),
    path("honor/<int:pk>/publish/", views.honor_roll_publish_view, name="honor-roll-publish"),
    path("honor/<int:pk>/flags/", views.honor_flag_set_view, name="honor-flag-set"),
    path("honor/flags/<int:pk>/remove/", views.honor_flag_remove_view, name="honor-flag-remove"),
    path(
        "honor/highlights/<int:pk>/decide/",
        views.honor_submission_decide_view,
        name="honor-submission-decide",
    ),
    path("leaders/", views.leader_lists_view, name="leader-lists"),
    path("leaders/lists.xlsx", views.leader_lists_export_view, name="leader-lists-export"),
]
