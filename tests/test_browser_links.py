"""The app's second fence against links in lesson text, checked in the renderer residents use (issue 14, item 8).

Streamlit draws Markdown in the browser (GitHub-flavoured: it also links bare web and e-mail addresses), so
only a real browser can tell whether a step's text became a link. A tiny page shows every attack twice, as
written and through ``without_links`` (what the lesson, session and projector pages show): the first proves
the attack makes a link in Streamlit, the second must make none.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, TIMEOUT_MS, sync_api
from tests.support.link_attacks import ATTACKS

pytestmark = pytest.mark.browser

PAGE = '''
import json
import sys

import streamlit as st

from learn.app.ui import without_links

for i, text in enumerate(json.loads(open(sys.argv[1], encoding="utf-8").read())):
    with st.container(key=f"raw-{i}"):
        st.markdown(text)
    with st.container(key=f"fenced-{i}"):
        st.markdown(without_links(text))
st.markdown("end-of-page")
'''
#: Attacks Streamlit's own Markdown turns into a link or an image (the others need the lesson's other renderers)
LINKED_BY_STREAMLIT = {"full reference", "collapsed reference", "shortcut reference", "definition in a list",
                       "reference image", "inline link", "escaped backslash before a link", "autolink",
                       "mail autolink", "mailto autolink", "bare http", "bare www", "bare e-mail address",
                       "inside a code block"}


@pytest.fixture(scope="module")
def page_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("links-page")
    (folder / "page.py").write_text(PAGE, encoding="utf-8")
    (folder / "attacks.json").write_text(json.dumps([text for _, text, _ in ATTACKS]), encoding="utf-8")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    log = (folder / "streamlit.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(folder / "page.py"),
                             "--server.headless", "true", "--server.address", "127.0.0.1", "--server.port", str(port),
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", "--",
                             str(folder / "attacks.json")],
                            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, (folder / "streamlit.log").read_text(errors="replace")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().strip() == b"ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            assert time.monotonic() < deadline, (folder / "streamlit.log").read_text(errors="replace")
            time.sleep(0.2)
        yield url
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_no_lesson_text_becomes_a_link_in_the_app(page_url: str) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(page_url)
            page.get_by_text("end-of-page").wait_for()
            linked, leaked = set(), {}
            for i, (kind, _, _) in enumerate(ATTACKS):
                raw, fenced = page.locator(f".st-key-raw-{i}"), page.locator(f".st-key-fenced-{i}")
                if raw.locator("a[href], img").count():
                    linked.add(kind)
                made = fenced.locator("a, img")
                if made.count():
                    leaked[kind] = [made.nth(k).evaluate("e => e.outerHTML") for k in range(made.count())]
                assert fenced.inner_text().strip(), kind  # the text itself is still shown
        finally:
            browser.close()
    assert LINKED_BY_STREAMLIT <= linked  # the attacks are real: as written, Streamlit links them
    assert leaked == {}
