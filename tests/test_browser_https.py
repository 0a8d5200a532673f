"""Phones on the laptop's Wi-Fi: `learn serve --https` makes the page a secure context on the LAN address, so the
browser offers the microphone; over plain HTTP on the same address it does not. Also the staff's bundle upload in
a real browser."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from learn.tls import ensure_certificate, local_addresses
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, expect, run_server, sync_api

pytestmark = pytest.mark.browser

LAN = next((a for a in local_addresses() if a != "127.0.0.1" and ":" not in a), None)


def _secure(url: str) -> tuple[bool, bool, str]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = chromium.new_context(ignore_https_errors=True)  # what "Proceed" on the phone does
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            expect(page.get_by_text("Học Số").first).to_be_visible()
            return (page.evaluate("window.isSecureContext"),
                    page.evaluate("!!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia)"),
                    page.url)
        finally:
            chromium.close()


@pytest.mark.skipif(LAN is None, reason="this machine has no address but loopback")
def test_https_on_the_lan_address_lets_phones_use_the_microphone(tmp_path: Path) -> None:
    assert LAN is not None
    with run_server(tmp_path / "secure", serve_args=("--https",), host="0.0.0.0", address=LAN,
                    scheme="https") as server:
        secure, microphone, url = _secure(server.url)
    assert url.startswith("https://") and secure and microphone
    assert (tmp_path / "secure" / "tls" / "cert.pem").is_file()
    with run_server(tmp_path / "plain", host="0.0.0.0", address=LAN) as server:
        secure, microphone, _ = _secure(server.url)
    assert not secure and not microphone  # why phones need --https


def test_the_certificate_names_every_address_and_is_kept(tmp_path: Path) -> None:
    cert, key = ensure_certificate(tmp_path, ["127.0.0.1", "192.168.1.20"])
    text = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-text"], capture_output=True,
                          text=True, check=True).stdout
    assert "IP Address:192.168.1.20" in text and "DNS:localhost" in text
    assert oct(key.stat().st_mode & 0o777) == "0o600"
    before = cert.read_bytes()
    assert ensure_certificate(tmp_path, ["127.0.0.1", "192.168.1.20"])[0].read_bytes() == before  # kept
    assert ensure_certificate(tmp_path, ["127.0.0.1", "10.0.0.7"])[0].read_bytes() != before  # new Wi-Fi


def test_serve_refuses_half_a_certificate(tmp_path: Path) -> None:
    learn = Path(sys.executable).parent / "learn"
    cert, _ = ensure_certificate(tmp_path / "tls", ["127.0.0.1"])
    done = subprocess.run([str(learn), "serve", "--cert", str(cert)], capture_output=True, text=True, timeout=60,
                          env={"LEARN_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 2 and "both --cert and --key" in done.stderr


def test_a_reload_keeps_a_trainer_signed_in_until_they_sign_out(tmp_path: Path) -> None:
    from learn.strings_vi import t

    learn = Path(sys.executable).parent / "learn"
    with run_server(tmp_path) as server:
        subprocess.run([str(learn), "users", "add", "mai", "--role", "trainer", "--commune", "Xã Hòa Bình"],
                       input="mat-khau-dai\nmat-khau-dai\n", text=True, check=True, capture_output=True,
                       env={"LEARN_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = chromium.new_page()
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(server.url + "/trainer")
                page.get_by_label(t("trainer.username")).fill("mai")
                page.get_by_label(t("trainer.password")).fill("mat-khau-dai")
                page.get_by_role("button", name=t("trainer.login")).click()
                expect(page.get_by_role("button", name=t("trainer.logout"))).to_be_visible()
                page.wait_for_timeout(500)  # the cookie is written by the page's own script
                page.reload()
                expect(page.get_by_role("button", name=t("trainer.logout"))).to_be_visible()
                page.get_by_role("button", name=t("trainer.logout")).click()
                expect(page.get_by_text(t("village.heading"))).to_be_visible()
                page.wait_for_timeout(500)
                page.goto(server.url + "/trainer")
                expect(page.get_by_text(t("trainer.login_heading"))).to_be_visible()
            finally:
                chromium.close()
