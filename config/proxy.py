"""The client's address behind the trusted reverse proxies.

Each proxy in front of the app appends the address it received the request from to
``X-Forwarded-For``, and the last one is ``REMOTE_ADDR``. With ``TRUSTED_PROXY_COUNT``
proxies, the client is therefore the ``TRUSTED_PROXY_COUNT``-th entry from the right:
whatever a client writes into the header itself stays to the left of it and is never read.

django-ipware (axes's default resolver) is not used: its ``proxy_count`` counts the hops
listed in the header, one fewer than the proxies, and when the listed client is a private
address it prefers a routable ``REMOTE_ADDR`` — on an intranet that is the proxy's address,
which would put every user's failed logins on one address.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The address the outermost trusted proxy saw, or ``REMOTE_ADDR`` without proxies.

    A request that did not pass through all of them (too few entries, or an entry that is no
    address) is answered with ``REMOTE_ADDR``, the nearest peer.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in header.split(",") if hop.strip()]
    if len(hops) < count:
        return remote
    try:
        return str(ipaddress.ip_address(hops[-count]))
    except ValueError:
        return remote
