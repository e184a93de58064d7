"""Where a destination may point: public addresses only (no SSRF into the operator's
network), unless the operator allows a network by HUSH_DESTINATION_ALLOW_NETWORKS.

Checked when a destination is added (`url_check`) and again at every connection
(`vetted_connection`): the name is resolved, every address it resolves to must pass,
and the socket is opened to an address that passed, so a name that later resolves
to a private address (DNS rebinding) is refused too. Loopback, link-local (cloud
metadata at 169.254.169.254), private, shared, multicast, reserved and unspecified
addresses are refused, IPv4-mapped IPv6 included; so are URLs carrying credentials.
"""

import http.client
import ipaddress
import socket
from urllib.parse import urlsplit

from django.conf import settings


class UnsafeDestination(ValueError):
    """A destination URL or address Hush will not connect to. `why` says so without
    naming the host or address (it goes into delivery errors and the audit trail)."""

    def __init__(self, message: str, why: str = "not allowed"):
        super().__init__(message)
        self.why = why


def address_refusal(address: str) -> str | None:
    """Why Hush will not connect to this IP address, or None if it may."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone names no address
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip.version == net.version and ip in net
           for net in settings.HUSH_DESTINATION_ALLOW_NETWORKS):
        return None
    for kind, refused in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                          ("multicast", ip.is_multicast), ("unspecified", ip.is_unspecified),
                          ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if refused:
            return kind
    return None if ip.is_global else "non-public"


def resolve_checked(host: str, port: int) -> list[str]:
    """Every address `host` resolves to, once each has passed; else UnsafeDestination.
    A name that does not resolve (now) is socket.gaierror, an OSError: retried later."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except UnicodeError:
        raise UnsafeDestination(f"{host!r} is not a host name") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    for address in addresses:
        kind = address_refusal(address)
        if kind:
            raise UnsafeDestination(
                f"{host} resolves to a {kind} address ({address}); destinations must be "
                "public unless HUSH_DESTINATION_ALLOW_NETWORKS allows the network",
                why=f"a {kind} address")
    return addresses


def url_check(url: str) -> None:
    """A webhook URL as it is added: http(s), no credentials, a host that resolves only
    to allowed addresses."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeDestination("not a valid URL") from None
    if parts.scheme not in ("http", "https"):
        raise UnsafeDestination("a webhook URL is http:// or https://")
    if "@" in parts.netloc:
        raise UnsafeDestination("a webhook URL may not carry credentials (user:password@)")
    if not parts.hostname:
        raise UnsafeDestination("a webhook URL names a host")
    try:
        resolve_checked(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    except socket.gaierror:
        raise UnsafeDestination(f"{parts.hostname} does not resolve") from None


def vetted_connection(address, timeout=socket._GLOBAL_DEFAULT_TIMEOUT, source_address=None):
    """`socket.create_connection`, to an address `resolve_checked` let through."""
    host, port = address
    error = None
    for ip in resolve_checked(host, port):
        try:
            return socket.create_connection((ip, port), timeout, source_address)
        except OSError as exc:
            error = exc
    raise error or OSError(f"no address to connect to for {host}")


class VettedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = vetted_connection  # http.client's own hook for this


class VettedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._create_connection = vetted_connection
