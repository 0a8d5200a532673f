"""The address a village's QR card prints: one a resident's phone can open, never the laptop's own loopback.

A trainer using the laptop itself sees the app at http://localhost:8501 or http://127.0.0.1:8501; a phone
scanning that opens nothing. So the card takes LEARN_PUBLIC_URL when it is set, else the address the trainer's
browser used if another machine can reach it, else this laptop's address on its network, with the same scheme
and port. When only a loopback address is known there is no card to print, and the page says how to fix it.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

#: what the page's address is taken to be when the browser's is unknown (Streamlit's default)
DEFAULT_URL = "http://localhost:8501"
# Interfaces that phones on the Wi-Fi cannot reach: containers, virtual machines' bridges.
_VIRTUAL = ("lo", "docker", "br-", "veth", "virbr", "vboxnet", "vmnet")
_SIOCGIFADDR = 0x8915  # Linux: an interface's IPv4 address


@dataclass(frozen=True)
class CardAddress:
    """Where a join card's QR code points (``base_url``), and which rule chose it.

    ``source`` is "setting" (LEARN_PUBLIC_URL), "browser" (the address the trainer's browser used), "network"
    (this machine's address on its network) or "none" (only a loopback address is known: ``base_url`` is None).
    """

    base_url: str | None
    source: str

    @property
    def reachable(self) -> bool:
        """Whether a phone on the network could open the card."""
        return self.base_url is not None


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an IP address, brackets allowed) means "this machine" only."""
    host = host.strip().strip("[]").split("%")[0].rstrip(".").lower()
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback or ip.is_unspecified


def _usable(address: str) -> bool:
    """An IPv4 address another machine on the network may reach (not loopback, link-local or multicast)."""
    try:
        ip = ipaddress.IPv4Address(address.strip())
    except ValueError:
        return False
    return not (ip.is_loopback or ip.is_unspecified or ip.is_link_local or ip.is_multicast)


def card_address(public_url: str | None, seen_url: str | None, local_addresses: Sequence[str]) -> CardAddress:
    """The base address a join card prints, chosen from the LEARN_PUBLIC_URL setting, the address the trainer's
    browser used (``seen_url``, None if unknown) and this machine's addresses, in that order; never loopback."""
    if public_url and (host := urlsplit(public_url.strip()).hostname) and not is_loopback(host):
        return CardAddress(public_url.strip().rstrip("/"), "setting")
    seen = urlsplit(seen_url or DEFAULT_URL)
    scheme = seen.scheme or "http"
    try:
        port = seen.port
    except ValueError:  # not a port number: take the default rather than fail the page
        port = None
    suffix = f":{port}" if port else ""
    host = seen.hostname or ""
    if seen_url and host and not is_loopback(host):
        return CardAddress(f"{scheme}://{f'[{host}]' if ':' in host else host}{suffix}", "browser")
    network = [a.strip() for a in local_addresses if _usable(a)]
    if network:
        return CardAddress(f"{scheme}://{network[0]}{suffix}", "network")
    return CardAddress(None, "none")


def card_address_here(public_url: str | None, seen_url: str | None,
                      discover: Callable[[], list[str]] | None = None) -> CardAddress:
    """``card_address`` with this machine's addresses, looked up only when the first two rules do not decide."""
    decided = card_address(public_url, seen_url, [])
    if decided.reachable:
        return decided
    return card_address(public_url, seen_url, (discover or lan_addresses)())


def lan_addresses() -> list[str]:
    """This machine's IPv4 addresses that phones on its network could reach, best guess first (no loopback).

    Found without the internet and without sending anything: the address of the interface that has a route out
    (a UDP socket's connect only picks it), then every real interface's address (Wi-Fi first), and only when
    that finds nothing the addresses the host name resolves to.
    """
    found = _routed_address() + _interface_addresses()
    if not [a for a in found if _usable(a)]:
        found += _host_addresses()
    out: list[str] = []
    for address in found:
        if _usable(address) and address not in out:
            out.append(address)
    return out


def _routed_address() -> list[str]:
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))  # nothing is sent: connect on UDP only chooses the route
            return [probe.getsockname()[0]]
    except OSError:  # no route at all
        return []


def _interface_addresses() -> list[str]:
    try:
        import fcntl

        names = [name for _, name in socket.if_nameindex()]
    except (ImportError, OSError, AttributeError):  # not Linux, or no interfaces to list
        return []
    out = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        for name in sorted(names, key=lambda n: not n.startswith("wl")):
            if name.startswith(_VIRTUAL):
                continue
            try:
                answer = fcntl.ioctl(probe.fileno(), _SIOCGIFADDR, struct.pack("256s", name.encode()[:15]))
            except OSError:  # the interface is down or has no IPv4 address
                continue
            out.append(socket.inet_ntoa(answer[20:24]))
    return out


def _host_addresses() -> list[str]:
    try:
        return [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)]
    except OSError:
        return []
