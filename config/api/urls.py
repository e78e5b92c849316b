"""API v1: every app registers its viewsets on one router.

Each app's ``api/urls.py`` lists ``routes`` (prefix, viewset, basename) and may add plain
``urlpatterns`` (views that are not viewsets). URL names live in the ``api`` namespace,
e.g. ``api:unit-list``, so they never collide with the pages' names.
"""

from __future__ import annotations

from rest_framework.routers import DefaultRouter

from accountability.api import urls as accountability_api
from accounts.api import urls as accounts_api
from assessments.api import urls as assessments_api
from campaign.api import urls as campaign_api
from tasks_ledger.api import urls as ledger_api

app_name = "api"

APPS = (accounts_api, campaign_api, ledger_api, accountability_api, assessments_api)

router = DefaultRouter()
for _api in APPS:
    for prefix, viewset, basename in _api.routes:
        router.register(prefix, viewset, basename=basename)

urlpatterns = [*(p for _api in APPS for p in _api.urlpatterns), *router.urls]
