"""Campaign pages, mounted at /campaigns/."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "campaign"

urlpatterns = [
    path("", views.campaign_list_view, name="list"),
    path("<int:pk>/", views.campaign_detail_view, name="detail"),
    path("<int:pk>/history/", views.campaign_history_view, name="history"),
    path("chains/<int:pk>/", views.chain_detail_view, name="chain-detail"),
    path("chains/<int:pk>/history/", views.chain_history_view, name="chain-history"),
]
