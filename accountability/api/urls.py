"""Routes of the accountability API, mounted under /api/v1/ by ``config.api.urls``."""

from __future__ import annotations

from . import measures, notices, stats, sweeps

_PARTS = (notices, measures, stats, sweeps)

# (prefix, viewset, basename) registered on the one v1 router.
routes = [route for part in _PARTS for route in part.routes]

urlpatterns = [pattern for part in _PARTS for pattern in part.urlpatterns]
