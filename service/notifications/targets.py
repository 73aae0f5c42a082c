"""Where a webhook may go: the host resolved, every address it resolves to checked, the operator's allow-list.

A subscriber chooses the URL, so without these checks any Member State could make the service call into
its own network: the database, an admin page on loopback, the cloud metadata address that hands out
credentials. The same checks run at subscription (a clear 422) and again before every attempt, whose
connection then goes to the address that was checked (DNS may answer differently the second time).
"""

import socket
from collections.abc import Iterable
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

IP = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network

METADATA = (ip_address("169.254.169.254"), ip_address("fd00:ec2::254"))  # AWS, GCP, Azure; AWS over IPv6
IPV4_COMPATIBLE = ip_network("::/96")  # deprecated ::a.b.c.d
NAT64 = ip_network("64:ff9b::/96")  # the well-known prefix: a public IPv4 address behind it is fine
NAT64_LOCAL = ip_network("64:ff9b:1::/48")  # a site's own translator: never the public internet
TEREDO = ip_network("2001::/32")
ALLOW_HINT = (
    "webhooks go to public addresses only (the operator may allow a network with ROSTER_WEBHOOK_ALLOWED_NETWORKS)"
)


class Refused(Exception):
    """The target may not be called; the message says why in plain words."""


def resolve(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, as the system resolver answers (tests replace this function)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def networks(values: Iterable[str]) -> tuple[Network, ...]:
    """The allow-list setting as networks (a bare address is a network of one)."""
    return tuple(ip_network(value, strict=False) for value in values)


def embedded_ipv4(ip: IP) -> list[tuple[str, IPv4Address]]:
    """The IPv4 addresses an IPv6 address carries, each with the name of the scheme that carries it."""
    if not isinstance(ip, IPv6Address):
        return []
    found: list[tuple[str, IPv4Address]] = []
    low32 = IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.ipv4_mapped is not None:
        found.append(("IPv4-mapped", ip.ipv4_mapped))
    elif ip in IPV4_COMPATIBLE and int(ip) > 1:
        found.append(("IPv4-compatible", low32))
    elif ip in NAT64:
        found.append(("NAT64", low32))
    elif ip in NAT64_LOCAL:  # RFC 6052 for a /48 prefix: bits 48-63 and 72-87, skipping the u octet
        packed = ip.packed
        found.append(("local NAT64", IPv4Address(packed[6:8] + packed[9:11])))
    if ip.sixtofour is not None:
        found.append(("6to4", ip.sixtofour))
    if ip.teredo is not None:
        found.append(("Teredo server", ip.teredo[0]))
        found.append(("Teredo client", ip.teredo[1]))
    return found


def kind(ip: IP) -> str | None:
    """What makes ``ip`` unfit for a webhook (loopback, private, ...), or None for a public address."""
    if ip in METADATA:
        return "the cloud metadata address"
    checks = (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip in NAT64_LOCAL, "a local-use NAT64 address"),
        (ip in TEREDO, "a Teredo tunnel address"),
        (ip in IPV4_COMPATIBLE, "a deprecated IPv4-compatible address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    )
    return next((words for bad, words in checks if bad), None)


def why_not(ip: IP, allowed: tuple[Network, ...] = ()) -> str | None:
    """Why the service must not call ``ip``, or None when it may (public, or named by the allow-list).

    An IPv6 address that carries an IPv4 one is judged by both: ``::ffff:127.0.0.1`` is loopback.
    The translation prefixes (IPv4-mapped, NAT64's well-known prefix, 6to4) are judged by the IPv4
    address alone, since that is where the packets end up.
    """
    embedded = embedded_ipv4(ip)
    if any(candidate in network for candidate in (ip, *(v4 for _, v4 in embedded)) for network in allowed):
        return None
    for scheme, v4 in embedded:
        if words := kind(v4):
            return f"{ip}, which embeds {v4} ({scheme}), {words}"
    if isinstance(ip, IPv6Address) and (ip.ipv4_mapped is not None or ip in NAT64 or ip.sixtofour is not None):
        return None
    words = kind(ip)
    return f"{ip}, {words}" if words else None


def parse(address: str) -> IP:
    """An address as the resolver wrote it (an IPv6 scope such as ``%eth0`` dropped)."""
    return ip_address(address.split("%", 1)[0])


def literal(host: str) -> IP | None:
    """The address a URL's host is written as (``[::1]`` or ``10.0.0.1``), or None for a name."""
    try:
        return parse(host.strip("[]"))
    except ValueError:
        return None


def addresses(host: str, port: int) -> list[IP]:
    """The host itself when it is an address, else what it resolves to; Refused when it resolves to nothing."""
    if (ip := literal(host)) is not None:
        return [ip]
    try:
        found = [parse(a) for a in dict.fromkeys(resolve(host, port))]
    except (OSError, UnicodeError, ValueError) as exc:
        raise Refused(f"cannot resolve {host} ({getattr(exc, 'strerror', None) or exc})") from None
    if not found:
        raise Refused(f"cannot resolve {host} (no address)")
    return found


def check(host: str, port: int, allowed: tuple[Network, ...] = ()) -> list[IP]:
    """Every address ``host`` stands for, all of them fit to call; Refused names the first that is not."""
    found = addresses(host, port)
    for ip in found:
        if why := why_not(ip, allowed):
            raise Refused(why if literal(host) is not None else f"{host} resolves to {why}")
    return found
