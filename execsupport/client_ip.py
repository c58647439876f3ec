"""The one answer to "which address did this request come from?".

Behind a reverse proxy every request arrives from the proxy's address (``REMOTE_ADDR``); the
client's address is in ``X-Forwarded-For``, which each proxy extends on the right with the
address it received the request from. Anything to the left of what our own proxies wrote was
sent by the client and may be made up, so the header is read **from the right**, skipping
exactly the ``TRUSTED_PROXY_COUNT`` entries our proxies appended:

    client -> proxy 1 -> proxy 2 -> app     X-Forwarded-For: <anything the client sent>, C, P1
    TRUSTED_PROXY_COUNT = 2                 REMOTE_ADDR: P2; the client is C (2nd from the right)

``TRUSTED_PROXY_COUNT = 0`` (the default) trusts no header: ``REMOTE_ADDR`` is the client.
The count must match the deployment, and the app must be reachable only through those proxies
(otherwise a client talking to it directly chooses its own address).

Used by django-axes (``AXES_CLIENT_IP_CALLABLE``: lockouts per username and address), by the
API's throttles (``get_ident``), by the rate limits of pages (``execsupport.ratelimit``) and by
the security log.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _clean(value: str) -> str | None:
    """An address as written by a proxy (``1.2.3.4``, ``1.2.3.4:5678``, ``[2001:db8::1]:443``,
    ``2001:db8::1``), normalised; ``None`` when it is not an address."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]  # IPv4 with a port
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as a normalised string (``"203.0.113.7"``, ``"2001:db8::1"``).

    With ``TRUSTED_PROXY_COUNT = N > 0``: the N-th entry of ``X-Forwarded-For`` from the right
    (or its leftmost entry when it holds fewer: every entry was then written by our proxies);
    ``REMOTE_ADDR`` when the header is absent or that entry is not an address. With 0:
    ``REMOTE_ADDR``. ``None`` only when even ``REMOTE_ADDR`` is missing or malformed (a request
    built by hand). Accepts a Django ``HttpRequest`` or a DRF ``Request`` (whose ``META`` is
    the same).
    """
    meta = request.META
    remote = _clean(meta.get("REMOTE_ADDR") or "")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if count <= 0:
        return remote
    hops = [hop for hop in (meta.get("HTTP_X_FORWARDED_FOR") or "").split(",") if hop.strip()]
    if not hops:
        return remote
    return _clean(hops[-min(count, len(hops))]) or remote
