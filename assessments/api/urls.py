"""Routes of the assessments API, mounted under /api/v1/ by ``config.api.urls``.

Each part keeps its own module listing ``routes`` (prefix, viewset, basename) and
``urlpatterns``: schemes, rounds, scores, deductions, appeals and results in ``core``; the
ranking for dashboards in ``ranking``; score imports in ``imports``; honor rolls and
leaders' lists in ``honor``.
"""

from __future__ import annotations

from . import core, honor, imports, ranking

_PARTS = (core, ranking, imports, honor)

routes = [route for part in _PARTS for route in part.routes]

urlpatterns = [pattern for part in _PARTS for pattern in part.urlpatterns]
