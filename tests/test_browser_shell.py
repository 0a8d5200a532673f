"""The app's shell on a real `learn serve` in Chromium at 412x915 (issue 16): installable (the manifest, its icons,
Chromium's own installability check), and a lost server shown in Vietnamese, not Streamlit's English dialog, until
the server is back and the phone is on the same screen again. One server, restarted once, on its port and home."""

from __future__ import annotations

import gzip
import json
import os
import signal
import struct
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from learn.app.webapp import ICONS
from learn.strings_vi import t
from tests.support.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TIMEOUT_MS,
    Server,
    expect,
    run_server,
    screenshot,
    sync_api,
)

pytestmark = pytest.mark.browser

#: what Streamlit's page says in English while the server is away (its dialog, its status widget)
ENGLISH = ("Connection error", "connected to the internet", "Connecting", "Is Streamlit still running")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("shell-home")) as running:
        yield running


def _get(url: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10) as response:
        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_the_server_serves_an_installable_app(server: Server) -> None:
    status, headers, body = _get(f"{server.url}/manifest.webmanifest")
    assert status == 200 and headers["content-type"] == "application/manifest+json"
    manifest = json.loads(body)
    assert {k: manifest[k] for k in ("name", "short_name", "lang", "start_url", "display")} == {
        "name": "Học Số", "short_name": "Học Số", "lang": "vi", "start_url": "/", "display": "standalone"}
    assert manifest["theme_color"].startswith("#") and manifest["background_color"].startswith("#")
    purposes: dict[str, set[str]] = {}
    for icon in manifest["icons"]:
        status, headers, data = _get(server.url + icon["src"])
        assert status == 200 and headers["content-type"] == icon["type"]
        if icon["type"] == "image/png":
            size = int(icon["sizes"].split("x")[0])
            assert _png_size(data) == (size, size)
            purposes.setdefault(icon["sizes"], set()).add(icon["purpose"])
        else:
            assert data.lstrip().startswith(b"<svg")
    assert purposes == {"192x192": {"any", "maskable"}, "512x512": {"any", "maskable"}}
    assert ICONS.keys() >= {i["src"] for i in manifest["icons"]}

    # every page of the app is Streamlit's page with our lines, compressed when the phone accepts it
    status, headers, body = _get(f"{server.url}/trainer", **{"Accept-Encoding": "gzip"})
    assert headers.get("content-encoding") == "gzip"
    page = gzip.decompress(body).decode()
    assert '<html lang="vi">' in page and 'rel="manifest"' in page and t("app.title") in page
    assert _get(f"{server.url}/_stcore/health")[2] == b"ok"  # Streamlit's own answers pass untouched


def test_the_phone_sees_the_manifest_and_chromium_finds_the_app_installable(server: Server, tmp_path: Path) -> None:
    with sync_api.sync_playwright() as playwright:
        # a profile of its own: Chromium never offers to install from an incognito window
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, viewport=PHONE)
        try:
            page = context.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{server.url}/")
            expect(page.get_by_text(t("village.heading"))).to_be_visible()
            assert page.evaluate("document.documentElement.lang") == "vi"
            head = page.evaluate("""() => ({
                manifest: document.querySelector('link[rel=manifest]')?.href,
                touch: document.querySelector('link[rel=apple-touch-icon]')?.href,
                colour: document.querySelector('meta[name=theme-color]')?.content})""")
            assert head["manifest"] == f"{server.url}/manifest.webmanifest"
            assert head["touch"] == f"{server.url}/icons/app-icon-192.png" and head["colour"]
            page.wait_for_function("navigator.serviceWorker.controller !== null")
            cdp = context.new_cdp_session(page)
            assert cdp.send("Page.getAppManifest")["errors"] == []
            assert cdp.send("Page.getInstallabilityErrors")["installabilityErrors"] == []

            # the help at the bottom of the first screen: words, a picture and the way Chrome names it
            page.get_by_text(t("shell.install_title")).click()
            picture = page.get_by_alt_text(t("shell.install_picture"))
            expect(picture).to_be_visible()
            assert page.evaluate("(img) => img.naturalWidth", picture.element_handle()) > 0
            page.get_by_test_id("stExpander").filter(has_text=t("shell.install_title")).evaluate(
                "(e) => e.scrollIntoView({block: 'start'})")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "shell-install-hint.png"))  # the screen as the phone shows it
        finally:
            context.close()


def test_a_lost_server_is_shown_in_vietnamese_and_the_phone_comes_back_to_its_screen(server: Server,
                                                                                  tmp_path: Path) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, viewport=PHONE)
        try:
            # one phone stays on its screen (Streamlit reconnects by itself); the other is reloaded meanwhile
            # (a phone reloads a tab it had in the background): the service worker's page answers for the server
            staying, reloaded = context.new_page(), context.new_page()
            for page in (staying, reloaded):
                page.set_default_timeout(TIMEOUT_MS)
                page.goto(f"{server.url}/trainer")
                expect(page.get_by_text(t("trainer.login_heading"))).to_be_visible()
            reloaded.wait_for_function("navigator.serviceWorker.controller !== null")

            os.killpg(server.pid, signal.SIGKILL)  # the laptop's server stops, as in a power cut
            expect(staying.get_by_text(t("shell.offline"))).to_be_visible()
            # Streamlit has tried its English dialog by now (after six failed tries): it is there, but not shown
            dialog = staying.get_by_test_id("stDialog")
            expect(dialog).to_be_attached()
            assert "Connection error" in (dialog.text_content() or "")
            shown = staying.evaluate("document.body.innerText")
            assert t("shell.offline") in shown and t("shell.offline_hint") in shown
            assert [e for e in ENGLISH if e in shown] == []
            screenshot(staying, "shell-disconnected.png")

            reloaded.reload()
            expect(reloaded.get_by_text(t("shell.offline"))).to_be_visible()
            assert [e for e in ENGLISH if e in reloaded.evaluate("document.body.innerText")] == []

            with run_server(server.home, port=port):
                for page in (staying, reloaded):
                    expect(page.get_by_text(t("trainer.login_heading"))).to_be_visible()
                    expect(page.get_by_text(t("shell.offline"))).not_to_be_visible()
                    assert page.url == f"{server.url}/trainer"
                screenshot(staying, "shell-reconnected.png")
        finally:
            context.close()
