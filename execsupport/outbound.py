"""Outbound HTTP to URLs that people configure (webhooks) cannot reach the inside.

One rule, checked when the URL is saved (``outbound_url_validate``, the model field's
validator, so the admin form, the API serializer and ``full_clean`` all run it) and again
before each request (``outbound_target``):

* HTTPS only; plain HTTP only when ``WEBHOOK_ALLOW_HTTP`` is set (local testing).
* The host is resolved and *every* address it resolves to must be public: private,
  loopback, link-local, shared (CGNAT), multicast, reserved, unspecified and the cloud
  metadata addresses are refused. ``WEBHOOK_ALLOWED_NETWORKS`` (CIDRs) lets a deployment
  reach a receiver inside its own network on purpose; metadata addresses stay refused.
* ``outbound_post`` connects to the address that was checked (no second DNS look-up, so a
  DNS answer that changes between check and connect cannot redirect it), sends the original
  host name as ``Host`` and as TLS SNI, verifies the certificate against that name, and
  follows no redirect.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import urllib3
from django.conf import settings
from django.core.exceptions import ValidationError

# Cloud metadata services (AWS/GCP/Azure/OpenStack, AWS ECS task metadata, AWS IPv6, Alibaba):
# never reachable, even inside an allowed network.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)


class OutboundRefused(ValueError):
    """The URL may not be called; the message says why, for the person who set it."""


@dataclass(frozen=True)
class OutboundTarget:
    """A checked URL: its scheme, host name, port, path (with query) and the public
    addresses the host resolved to (at least one; connect to these, never re-resolve)."""

    scheme: str
    host: str
    port: int
    path: str
    addresses: tuple[str, ...]


def _allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [
        ipaddress.ip_network(n, strict=False)
        for n in getattr(settings, "WEBHOOK_ALLOWED_NETWORKS", [])
    ]


def outbound_address_check(address: str) -> None:
    """``OutboundRefused`` unless ``address`` (an IP literal) is public or inside
    ``WEBHOOK_ALLOWED_NETWORKS``; metadata addresses are always refused."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip in METADATA_ADDRESSES:
        raise OutboundRefused(f"{ip} is a cloud metadata address.")
    if any(ip in network for network in _allowed_networks()):
        return
    if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
        raise OutboundRefused(
            f"{ip} is a private, loopback, link-local or reserved address: webhooks may only "
            "call public addresses."
        )


def outbound_resolve(*, host: str, port: int) -> list[str]:
    """The IP addresses ``host`` resolves to (an IP literal: itself). ``OutboundRefused``
    when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundRefused(f"The host {host!r} does not resolve ({exc}).") from exc
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def outbound_target(url: str) -> OutboundTarget:
    """Check ``url`` by the rule above and return where to connect. ``OutboundRefused``
    (its message for people) when it may not be called."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise OutboundRefused(f"Not a valid URL ({exc}).") from exc
    scheme = parts.scheme.lower()
    allow_http = getattr(settings, "WEBHOOK_ALLOW_HTTP", False)
    if scheme != "https" and not (scheme == "http" and allow_http):
        raise OutboundRefused(
            "Only https:// URLs are called"
            + ("." if scheme != "http" else " (plain http only with WEBHOOK_ALLOW_HTTP).")
        )
    host = parts.hostname
    if not host:
        raise OutboundRefused("The URL has no host.")
    if parts.username or parts.password:
        raise OutboundRefused("The URL may not carry a user name or password.")
    port = port or (443 if scheme == "https" else 80)
    addresses = outbound_resolve(host=host, port=port)
    if not addresses:
        raise OutboundRefused(f"The host {host!r} does not resolve.")
    for address in addresses:
        outbound_address_check(address)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return OutboundTarget(
        scheme=scheme, host=host, port=port, path=path, addresses=tuple(addresses)
    )


def outbound_url_validate(value: str) -> None:
    """Model/form/serializer validator: ``ValidationError`` with the reason when ``value``
    may not be called (see ``outbound_target``)."""
    try:
        outbound_target(value)
    except OutboundRefused as exc:
        raise ValidationError(str(exc), code="outbound_refused") from exc


@dataclass(frozen=True)
class OutboundResponse:
    """The receiver's status code and, for a redirect, where it pointed (not followed)."""

    status: int
    location: str = ""


def outbound_post(
    *, target: OutboundTarget, body: bytes, headers: dict[str, str], timeout: float
) -> OutboundResponse:
    """POST ``body`` to the first checked address of ``target``; no redirect followed, no
    retry (the caller retries). ``Host``, SNI and certificate check use the host name.
    Raises ``urllib3.exceptions.HTTPError`` (connection, TLS, timeout) or ``OSError``."""
    address = target.addresses[0]
    default_port = 443 if target.scheme == "https" else 80
    host_header = target.host if ":" not in target.host else f"[{target.host}]"
    if target.port != default_port:
        host_header += f":{target.port}"
    kwargs: dict = {"timeout": urllib3.Timeout(total=timeout), "retries": False, "maxsize": 1}
    if target.scheme == "https":
        pool: urllib3.HTTPConnectionPool = urllib3.HTTPSConnectionPool(
            address,
            target.port,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
            **kwargs,
        )
    else:
        pool = urllib3.HTTPConnectionPool(address, target.port, **kwargs)
    with pool:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers={**headers, "Host": host_header},
            redirect=False,
            retries=False,
            preload_content=True,
            assert_same_host=False,
        )
        return OutboundResponse(
            status=response.status, location=response.headers.get("Location", "")
        )
