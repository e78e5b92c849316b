"""The project's URLs plus one trivial signed-in page, for benchmarks only
(``ROOT_URLCONF`` is pointed here while ``bench/province_pages.py`` measures).

The trivial page is what every signed-in page costs before it reads anything of its own:
the session and its user, the jurisdiction, the layout with its menus and the unread
notifications badge, the session saved. Every page's time is compared with it. Two queries:
the session's user and the session saved; the jurisdiction and the badge's count are read
from Redis (``accounts.versioned_cache``), and computed (four queries more) only when a
change has dropped them or Redis is down.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import include, path
from django.views.decorators.http import require_GET


@login_required
@require_GET
def trivial_view(request: HttpRequest) -> HttpResponse:
    """The site's layout with nothing in it."""
    return render(request, "base.html")


urlpatterns = [
    path("bench/trivial/", trivial_view, name="bench-trivial"),
    path("", include("config.urls")),
]

handler400 = "config.errors.bad_request"
handler403 = "config.errors.permission_denied"
handler404 = "config.errors.page_not_found"
handler500 = "config.errors.server_error"
