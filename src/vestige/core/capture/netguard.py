"""The address guard: which hosts a capture may connect to.

A capture fetches whatever URL an investigator pastes and whatever that page links to, so an
attacker controlling a page could aim the server at its own network (cloud metadata, admin
interfaces, the database). The guard resolves the host once, refuses the whole host when any of
its addresses is not a public one, and hands back the checked addresses so the fetcher connects
to exactly those — no second DNS lookup, so a rebinding DNS server cannot swap the answer.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges refused on top of what the ipaddress flags catch (some are not "private" in Python 3.11).
EXTRA_REFUSED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8",  # "this network"
        "100.64.0.0/10",  # carrier-grade NAT (RFC 6598)
        "192.0.0.0/24",  # IETF protocol assignments
        "198.18.0.0/15",  # benchmarking
        "64:ff9b::/96",  # NAT64: embeds an IPv4 address, checked separately as well
        "64:ff9b:1::/48",  # local-use NAT64
        "fc00::/7",  # unique local
        "fec0::/10",  # site-local (deprecated)
    )
)


class AddressRefused(Exception):
    """The host resolves to an address that captures may not reach."""


class ResolutionFailed(Exception):
    """The host name does not resolve."""


@dataclass(frozen=True)
class GuardPolicy:
    """What the guard allows: public addresses always, the rest only when told."""

    allow_private: bool = False
    allowed_networks: tuple[str, ...] = ()

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [ipaddress.ip_network(net, strict=False) for net in self.allowed_networks]


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address hidden in an IPv6 one (mapped, 6to4, Teredo, NAT64), if any."""
    if not isinstance(ip, ipaddress.IPv6Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in ipaddress.ip_network("64:ff9b::/96"):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refusal_reason(ip: IPAddress) -> str:
    """Why this address is not public, or "" when it is."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        # A mapped address reaches exactly its IPv4 address: judge that one.
        inner = refusal_reason(ip.ipv4_mapped)
        return f"{inner} (as IPv6 address {ip})" if inner else ""
    embedded = _embedded_ipv4(ip)
    if embedded is not None:
        inner = refusal_reason(embedded)
        if inner:
            return f"{inner} (inside IPv6 address {ip})"
    checks = (
        ("loopback", ip.is_loopback),
        ("unspecified", ip.is_unspecified),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
    )
    for name, flagged in checks:
        if flagged:
            return f"{name} address {ip}"
    for net in EXTRA_REFUSED:
        if ip.version == net.version and ip in net:
            return f"non-public address {ip} ({net})"
    if not ip.is_global:
        return f"non-public address {ip}"
    return ""


def check_address(ip: IPAddress, policy: GuardPolicy) -> None:
    """Raise AddressRefused unless the policy lets a capture connect to ``ip``."""
    reason = refusal_reason(ip)
    if not reason or policy.allow_private:
        return
    if any(ip.version == net.version and ip in net for net in policy.networks()):
        return
    raise AddressRefused(
        f"refused to connect to {reason}: captures may only reach public addresses "
        "(VESTIGE_CAPTURE_ALLOW_PRIVATE_ADDRESSES is off)"
    )


def resolve(host: str, port: int) -> list[IPAddress]:
    """All addresses ``host`` resolves to, in the resolver's order, without duplicates."""
    host = host.strip("[]")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ResolutionFailed(f"the host name {host!r} does not resolve ({exc})") from exc
    seen: list[IPAddress] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        ip = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if ip not in seen:
            seen.append(ip)
    if not seen:
        raise ResolutionFailed(f"the host name {host!r} has no addresses")
    return seen


def checked_addresses(host: str, port: int, policy: GuardPolicy) -> list[IPAddress]:
    """Resolve ``host`` and check every address; all must pass or the host is refused."""
    addresses = resolve(host, port)
    for ip in addresses:
        check_address(ip, policy)
    return addresses


def connect(addresses: Iterable[IPAddress], port: int, timeout: float) -> socket.socket:
    """Open a TCP connection to the first checked address that answers."""
    last: OSError | None = None
    for ip in addresses:
        family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect((str(ip), port))
        except OSError as exc:
            sock.close()
            last = exc
            continue
        return sock
    raise last if last is not None else OSError("no address to connect to")
