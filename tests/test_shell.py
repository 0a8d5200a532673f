"""The app's shell (issue 16): Streamlit's page made Vietnamese and installable, and the help for putting the icon
on the home screen on the first screen and the QR card. (The same on a real server in a real browser:
tests/test_browser_shell.py.)"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser

from streamlit.testing.v1 import AppTest

from learn.app.static import STATIC
from learn.app.webapp import ADD_TO_HOME, MANIFEST_PATH, WORKER_PATH, manifest, offline_page, patch_page, worker_script
from learn.services import handouts
from learn.strings_vi import t


class _Head(HTMLParser):
    """The tags of a page, with their attributes, and the text of its <title> and <script>s."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.title = ""
        self.scripts: list[str] = []
        self._in = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in = tag

    def handle_endtag(self, tag: str) -> None:
        self._in = ""

    def handle_data(self, data: str) -> None:
        if self._in == "title":
            self.title += data
        elif self._in == "script":
            self.scripts.append(data)

    def first(self, tag: str, **attrs: str) -> dict[str, str | None]:
        return next(a for name, a in self.tags if name == tag and all(a.get(k) == v for k, v in attrs.items()))


def _parse(page: str) -> _Head:
    parsed = _Head()
    parsed.feed(page)
    return parsed


def test_streamlits_own_page_becomes_vietnamese_and_links_the_manifest() -> None:
    original = (STATIC / "index.html").read_text(encoding="utf-8")
    patched = patch_page(original)
    assert patched is not None
    page = _parse(patched)
    assert page.first("html")["lang"] == "vi"
    assert page.title == t("app.title")
    assert page.first("link", rel="manifest")["href"] == MANIFEST_PATH
    assert page.first("meta", name="theme-color")["content"] == manifest()["theme_color"]
    assert page.first("link", rel="apple-touch-icon")["href"] == "/icons/app-icon-192.png"
    # the lost-connection message is in our script, and the script registers the service worker
    ours = next(s for s in page.scripts if "data-test-connection-state" in s)
    assert json.dumps(t("shell.offline"), ensure_ascii=False) in ours and WORKER_PATH in ours
    # Streamlit's own scripts are all still there, and no English is left for a phone without scripts
    scripts = {a["src"] for name, a in _parse(original).tags if name == "script" and a.get("src")}
    assert scripts and scripts <= {a.get("src") for name, a in page.tags if name == "script"}
    assert "You need to enable JavaScript" not in patched and t("shell.no_script") in patched


def test_a_page_the_lines_cannot_be_placed_in_is_served_as_it_is() -> None:
    assert patch_page('{"not": "a page"}') is None


def test_the_manifest_names_the_app_in_vietnamese() -> None:
    found = manifest()
    assert (found["name"], found["short_name"], found["lang"], found["start_url"], found["display"]) == (
        "Học Số", "Học Số", "vi", "/", "standalone")
    icons = found["icons"]
    assert isinstance(icons, list)
    assert {(i["sizes"], i["purpose"]) for i in icons if i["type"] == "image/png"} == {
        ("192x192", "any"), ("192x192", "maskable"), ("512x512", "any"), ("512x512", "maskable")}


def test_the_service_worker_touches_page_loads_only_and_knows_the_offline_page() -> None:
    worker = worker_script()
    assert 'event.request.mode !== "navigate"' in worker  # scripts, clips, uploads: never through it
    assert "/offline.html" in worker
    # a changed offline page is a new cache name, so phones take the new one
    assert re.search(r'hocso-offline-[0-9a-f]{12}', worker)
    offline = _parse(offline_page())
    assert offline.first("html")["lang"] == "vi"
    assert t("shell.offline") in offline_page() and "/_stcore/health" in offline_page()


def test_the_first_screen_says_how_to_put_the_icon_on_the_home_screen(app: Callable[..., AppTest],
                                                                       village: int) -> None:
    at = app()
    assert not at.exception
    hint = [e for e in at.expander if e.label == t("shell.install_title")]
    assert len(hint) == 1
    shown = "\n".join(m.value for m in hint[0].markdown)
    assert t("shell.install_steps") in shown
    picture = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', shown)
    assert picture and base64.b64decode(picture[1]) == ADD_TO_HOME.read_bytes()


def test_the_qr_card_says_it_too_in_words_and_the_picture() -> None:
    card = handouts.join_card("Thôn Đông", "Xã Hòa Bình", "123456", "https://hocso.example.vn/?v=1")
    assert t("card.install") in card
    picture = re.search(r'src="data:image/svg\+xml;base64,([^"]+)"', card)
    assert picture and base64.b64decode(picture[1]) == ADD_TO_HOME.read_bytes()
