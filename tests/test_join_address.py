"""The address a village's QR card prints: one a phone on the network can open, never the laptop's loopback."""

from __future__ import annotations

import ipaddress
import re
import shutil
import subprocess

import pytest

from learn.services import addresses
from learn.services.addresses import CardAddress, card_address, is_loopback
from learn.strings_vi import t
from tests.support.apptest import texts

LAN = ["127.0.0.1", "192.168.1.20", "10.42.0.1"]


@pytest.mark.parametrize(("public_url", "seen", "local", "expected"), [
    # the setting wins, whatever the browser used
    ("https://hocso.example.vn", "http://localhost:8501/trainer", LAN,
     CardAddress("https://hocso.example.vn", "setting")),
    ("https://hocso.example.vn/", None, [], CardAddress("https://hocso.example.vn", "setting")),
    # a browser on another machine (or the laptop's own LAN address) used an address phones can reach
    (None, "https://192.168.1.20:8501/trainer?x=1", ["127.0.0.1"], CardAddress("https://192.168.1.20:8501", "browser")),
    (None, "http://hocso.local:8600/trainer", [], CardAddress("http://hocso.local:8600", "browser")),
    (None, "http://[fd00::5]:8501/", [], CardAddress("http://[fd00::5]:8501", "browser")),
    # the trainer uses the laptop itself: its network address, with the browser's scheme and port
    (None, "http://localhost:8501/trainer", LAN, CardAddress("http://192.168.1.20:8501", "network")),
    (None, "https://127.0.0.1:8600/trainer", ["127.0.0.1", "10.42.0.1"],
     CardAddress("https://10.42.0.1:8600", "network")),
    (None, "http://[::1]:8501/", ["::1", "fe80::1", "169.254.3.4", "172.17.0.1"],
     CardAddress("http://172.17.0.1:8501", "network")),
    (None, "http://localhost/", ["192.168.1.20"], CardAddress("http://192.168.1.20", "network")),
    (None, None, ["192.168.1.20"], CardAddress("http://192.168.1.20:8501", "network")),  # Streamlit's default
    # a loopback setting is a mistake: it is not printed either
    ("http://127.0.0.1:8501", "http://localhost:8501/", ["192.168.1.20"], CardAddress("http://192.168.1.20:8501",
                                                                                      "network")),
    # only loopback known: no address at all
    (None, "http://localhost:8501/", ["127.0.0.1", "127.0.1.1", "::1", "0.0.0.0"], CardAddress(None, "none")),
    (None, "http://0.0.0.0:8501/", [], CardAddress(None, "none")),
    ("http://localhost:8501", None, [], CardAddress(None, "none")),
])
def test_the_card_prints_the_setting_then_the_browsers_address_then_the_network_address(
        public_url: str | None, seen: str | None, local: list[str], expected: CardAddress) -> None:
    chosen = card_address(public_url, seen, local)
    assert chosen == expected
    assert chosen.reachable == (expected.base_url is not None)


@pytest.mark.parametrize(("host", "loopback"), [
    ("localhost", True), ("LOCALHOST.", True), ("app.localhost", True), ("127.0.0.1", True), ("127.0.1.1", True),
    ("[::1]", True), ("::ffff:127.0.0.1", True), ("0.0.0.0", True), ("", True),
    ("192.168.1.20", False), ("hocso.example.vn", False), ("fd00::5", False), ("localhost.example.vn", False),
])
def test_what_counts_as_this_machine_only(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_the_address_is_looked_up_only_when_the_browser_one_does_not_do() -> None:
    asked: list[bool] = []

    def discover() -> list[str]:
        asked.append(True)
        return ["192.168.1.20"]

    assert addresses.card_address_here(None, "http://192.168.1.5:8501/", discover).source == "browser"
    assert addresses.card_address_here("https://hocso.example.vn", None, discover).source == "setting"
    assert asked == []
    assert addresses.card_address_here(None, "http://localhost:8501/", discover).base_url == "http://192.168.1.20:8501"
    assert asked == [True]


@pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2's `ip` to compare with")
def test_this_machines_network_addresses_are_its_real_ipv4_interfaces() -> None:
    listed = subprocess.run(["ip", "-o", "-4", "addr", "show", "up"], capture_output=True, text=True,
                            check=True).stdout
    first: dict[str, str] = {}  # each interface's primary address (the one the kernel reports first)
    for name, address in re.findall(r"^\d+:\s+(\S+)\s+inet\s+([\d.]+)/", listed, re.M):
        first.setdefault(name, address)
    real = {address for name, address in first.items() if not name.startswith(("lo", "docker", "br-", "veth"))
            and not ipaddress.IPv4Address(address).is_link_local}
    found = addresses.lan_addresses()
    assert len(found) == len(set(found)) and not [a for a in found if is_loopback(a)]
    assert real <= set(found)
    assert set(found) <= set(re.findall(r"inet ([\d.]+)/", listed))  # nothing made up


def test_the_join_expander_warns_when_only_loopback_is_known(app, mai, village: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addresses, "lan_addresses", lambda: ["127.0.0.1", "127.0.1.1"])
    at = app("trainer", account=mai)
    assert not at.exception
    assert t("join_address.none") in [w.value for w in at.warning]
    card = [b for b in at.get("download_button") if b.proto.label == t("trainer.join_card")]
    assert len(card) == 1 and card[0].proto.disabled  # no card that a phone cannot open


def test_the_join_expander_names_the_laptops_network_address(app, mai, village: int,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addresses, "lan_addresses", lambda: ["192.168.1.20"])
    at = app("trainer", account=mai)
    assert not at.exception
    assert t("join_address.none") not in [w.value for w in at.warning]
    assert t("join_address.shown", url="http://192.168.1.20:8501") in texts(at)
    card = [b for b in at.get("download_button") if b.proto.label == t("trainer.join_card")]
    assert len(card) == 1 and not card[0].proto.disabled


def test_the_join_expander_prints_the_public_url_when_it_is_set(app, mai, village: int,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(addresses, "lan_addresses", lambda: [])
    monkeypatch.setenv("LEARN_PUBLIC_URL", "https://hocso.example.vn/")
    at = app("trainer", account=mai)
    assert not at.exception and not at.warning
    assert t("join_address.public", url="https://hocso.example.vn") in texts(at)
