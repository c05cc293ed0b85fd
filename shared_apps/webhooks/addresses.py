"""Where a webhook may be sent (the SSRF rules): https URLs whose host resolves only to public addresses.

Checked when an endpoint is registered and again at every delivery, since DNS can change between the two; the
delivery then connects to the address that was checked (transport.py), so a second lookup cannot swap it. With
WEBHOOK_ALLOW_PRIVATE (development and tests only) plain http and any address are allowed.
"""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import idna
from django.conf import settings


class Refused(Exception):
    """The URL or one of its addresses may not receive webhooks; the message says why, for the admin (it never
    shows the address a name resolved to: that would map the network behind us)."""

    code = "url_refused"


class Malformed(Refused):
    """The text is not a URL at all (a 400 `invalid`, like any other malformed field)."""

    code = "invalid"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str  # as in the URL: the TLS server name and the Host header
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # every address the host resolved to, each checked


def url_parts(url: str):
    """The URL split, if its text can be a webhook endpoint's. Raises Malformed, or Refused (a rule of ours)."""
    try:
        parts = urlsplit(url)
        port = parts.port  # raises ValueError on a port out of range
    except ValueError:
        raise Malformed("Enter a valid URL.") from None
    if not parts.hostname or port == 0:
        raise Malformed("Enter a valid URL.")
    schemes = ("https", "http") if settings.WEBHOOK_ALLOW_PRIVATE else ("https",)
    if parts.scheme not in schemes:
        raise Refused("Use an https:// URL.")
    if parts.username is not None or parts.password is not None:
        raise Refused("Leave user names and passwords out of the URL: deliveries are signed instead.")
    if parts.fragment:
        raise Refused("Leave the #fragment out of the URL.")
    return parts


def target_of(url: str) -> Target:
    """The URL's host resolved now, every address checked. Raises Refused."""
    parts = url_parts(url)
    port = parts.port or default_port(parts.scheme)
    host = ascii_host(parts.hostname)
    if host.endswith("."):  # checked after IDNA: "。" and "．" map to a dot
        raise Refused("Leave the trailing dot out of the host name.")
    addresses = resolve(host, port)
    public = all(is_public(ipaddress.ip_address(address)) for address in addresses)
    if not public and not settings.WEBHOOK_ALLOW_PRIVATE:
        raise Refused(f"{host} resolves to an address that is not public: webhooks go to the internet only.")
    path = parts.path or "/"
    return Target(
        scheme=parts.scheme,
        host=host,
        port=port,
        path=f"{path}?{parts.query}" if parts.query else path,
        addresses=tuple(addresses),
    )


def default_port(scheme: str) -> int:
    return 443 if scheme == "https" else 80


def ascii_host(host: str) -> str:
    """The host as DNS, TLS and the Host header take it: an internationalized name in its IDNA 2008 (xn--) form,
    mapped as browsers do (UTS 46: "straße" stays "xn--strae-oqa", not IDNA 2003's "strasse")."""
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        raise Malformed("Enter a valid host name.") from None


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (IPv4 and IPv6), in the resolver's order. Raises Refused if none."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise Refused(f"{host} does not resolve.") from exc
    addresses = list(dict.fromkeys(answer[4][0].split("%")[0] for answer in answers))
    if not addresses:
        raise Refused(f"{host} does not resolve.")
    return addresses


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routable unicast address. Refused: loopback, private, shared (CGNAT), link-local (with the cloud
    metadata address 169.254.169.254), multicast, reserved, unspecified, IPv6 site-local (fec0::/10, deprecated
    but still routed inside some networks) and IPv6 forms that carry one of those IPv4 addresses (IPv4-mapped,
    6to4, Teredo; NAT64's 64:ff9b::/96 is inside the reserved ::/8)."""
    if not address.is_global or address.is_multicast or address.is_reserved or address.is_unspecified:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        if address.is_site_local:
            return False
        embedded = [address.ipv4_mapped, address.sixtofour, *(address.teredo or ())]
        return all(is_public(inner) for inner in embedded if inner is not None)
    return True
