"""Top-level URL map: pages, admin, API v1, schema and docs, and the error handlers."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from config.api.views import DocsView, SchemaView
from config.health import healthz
from config.metrics import metrics

urlpatterns = [
    path("", include("accounts.urls")),
    path("campaigns/", include("campaign.urls")),
    path("ledgers/", include("tasks_ledger.urls")),
    path("supervision/", include("accountability.urls")),
    path("assessments/", include("assessments.urls")),
    # No sign-in: the public satisfaction survey and the public ranking.
    path("public/", include("assessments.public_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    # Prometheus text format, for the bearer of METRICS_TOKEN or METRICS_ALLOWED_NETWORKS.
    path("metrics", metrics, name="metrics"),
    path("api/v1/", include("config.api.urls")),
    path("api/schema/", SchemaView.as_view(), name="api-schema"),
    path("api/docs/", DocsView.as_view(url_name="api-schema"), name="api-docs"),
]

# Chinese pages in the site layout, a fragment for htmx, the API's JSON under /api/.
handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
