"""Driving the app's pages with Streamlit's AppTest: the entry point, what a page says, its buttons, and the one
way to open a page (``open_page``, which the ``app`` fixture of tests/conftest.py hands to the tests).

An account is signed in the way a browser does it: the trainer page's sign-in form, username and password, then
on to the page asked for. (AppTest cannot send cookies: the cookie path is covered by the real-browser reload
test in tests/test_browser_https.py.)"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import streamlit as st
from streamlit.components.v2.component_manager import BidiComponentManager
from streamlit.testing.v1 import AppTest

from learn.app.navigation import PAGES
from learn.strings_vi import t
from progress_db.records import AccountInfo
from tests.support.paths import ROOT

MAIN = str(ROOT / "learn" / "app" / "main.py")
_components: BidiComponentManager | None = None


def _component_manager() -> BidiComponentManager:
    """The process's one registry of Streamlit's v2 components, as a server has one for all its sessions.
    AppTest makes its own for each new session, scanning every installed package's metadata (0.2–0.3 s, finding
    nothing: the app's pretend phone is an inline component that registers itself when its page runs)."""
    global _components
    if _components is None:
        _components = BidiComponentManager()
        _components.discover_and_register_components(start_file_watching=False)
    return _components
#: the password the tests give the accounts they make, unless a test says otherwise
PASSWORD = "mat-khau-tot"


def texts(at: AppTest) -> str:
    """Every text the page shows (Markdown, headings, messages, captions), one per line."""
    parts = [m.value for m in at.markdown] + [h.value for h in at.header] + [h.value for h in at.subheader]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [s.value for s in at.success]
    parts += [i.value for i in at.info] + [c.value for c in at.caption] + [x.value for x in at.title]
    parts += [p.proto.text for p in at.get("progress")]  # a lesson's place, over its progress bar
    return "\n".join(str(p) for p in parts)


def headings(at: AppTest) -> list[str]:
    """Every heading the page shows: its header elements, and the headings inside its Markdown (a lesson step's
    title is one element with its text)."""
    found = [h.value for h in at.header] + [h.value for h in at.subheader]
    for block in at.markdown:
        found += [line.lstrip("#").strip() for line in str(block.value).splitlines() if re.match(r"#{1,6} ", line)]
    return found


def button(at: AppTest, label: str) -> Any:
    """The first button (or form button) with this label; fails naming the buttons there are."""
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r} in {[b.label for b in at.button]}"
    return found[0]


def clear_caches() -> None:
    """Forget what Streamlit keeps between sessions (settings, catalog, narrator; cached numbers): it would
    survive from one AppTest, and one test, to the next."""
    st.cache_resource.clear()
    st.cache_data.clear()


def sign_in(at: AppTest, username: str, password: str) -> AppTest:
    """Sign in on the trainer page's form, as a person at a browser does; fails if the page refuses."""
    at.switch_page(PAGES["trainer"]).run()
    at.text_input(key="login_user").input(username)
    at.text_input(key="login_password").input(password)
    button(at, t("trainer.login")).click().run()
    assert "account_id" in at.session_state, \
        f"{username!r} could not sign in: {[e.value for e in at.error] or texts(at)}"
    return at


def open_page(page: str | None = None, query: Mapping[str, str] | None = None, *,
              account: AccountInfo | str | None = None, password: str = PASSWORD, timeout: float = 20,
              **state: object) -> AppTest:
    """A new browser session on the app, run once: on ``page`` (a key of ``navigation.PAGES``; None: the first
    page), with ``query`` in its address and ``state`` in its session state; signed in first as ``account``
    (an account or a username) with ``password`` when given. ``timeout`` is each run's limit in seconds."""
    at = AppTest.from_file(MAIN, default_timeout=timeout)
    if hasattr(at, "_bidi_component_manager"):  # Streamlit 1.5x and later; a release without it scans again
        at._bidi_component_manager = _component_manager()
    if account is not None:
        sign_in(at, account if isinstance(account, str) else account.username, password)
        page = page or "village"  # AppTest would otherwise stay on the trainer page
    for key, value in state.items():
        at.session_state[key] = value
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if page:
        at.switch_page(PAGES[page])
    return at.run()
