"""Assessment pages that need no sign-in: the public satisfaction survey and the public
ranking of published rounds. Mounted at the top level by ``config.urls`` under the
``public`` namespace."""

from __future__ import annotations

app_name = "public"

urlpatterns: list = []
