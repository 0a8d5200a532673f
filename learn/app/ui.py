"""Small helpers shared by the pages: escaping, messages for errors, page links and the large-print style."""

from __future__ import annotations

import re
from typing import Literal, NoReturn

import streamlit as st

from learn.app.strings_vi import t
from learn.errors import LearnError

PAGES = {
    "village": "views/village.py",
    "learner": "views/learner.py",
    "lessons": "views/lessons.py",
    "lesson": "views/lesson.py",
}

# Material icons ship with Streamlit's own font, so they show on old phones that lack newer emoji.
ICONS = {
    "smartphone": ":material/smartphone:", "payments": ":material/payments:", "scams": ":material/gpp_maybe:",
    "vneid": ":material/badge:", "zalo": ":material/chat:", "selling-online": ":material/storefront:",
    "public-services": ":material/account_balance:", "lesson": ":material/menu_book:",
    "village": ":material/holiday_village:", "learner": ":material/person:", "lock": ":material/lock:",
    "add": ":material/person_add:", "search": ":material/search:", "question": ":material/help:",
    "right": ":material/check_circle:", "wrong": ":material/cancel:", "next": ":material/arrow_forward:",
    "back": ":material/arrow_back:", "done": ":material/celebration:", "restart": ":material/replay:",
    "timer": ":material/schedule:", "app": ":material/school:",
}

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~$:])")

# Big touch targets and large type for a 5-inch phone and for eyes that need glasses.
STYLE = """
<style>
html, body, [data-testid="stAppViewContainer"] { font-size: 19px; }
.block-container { max-width: 720px; padding-top: 1.2rem; padding-bottom: 4rem; }
.stButton > button, .stFormSubmitButton > button {
  min-height: 3.6rem; font-size: 1.25rem; border-radius: 0.9rem; padding: 0.5rem 1rem; }
.stButton > button p, .stFormSubmitButton > button p { font-size: 1.25rem; }
[data-testid="stMarkdownContainer"] p { font-size: 1.3rem; line-height: 1.6; }
input { font-size: 1.3rem !important; }
/* After an answer the options stay readable: the right one green, the others plain (not greyed out). */
[class*="st-key-option-"] button:disabled { opacity: 1; color: inherit; cursor: default; }
[class*="st-key-option-"] button[kind="primary"]:disabled {
  background: #1b7f3b; border-color: #1b7f3b; color: #fff; }
</style>
"""


def plain(text: str) -> str:
    """Text shown literally inside Markdown (names in buttons and headings): no formatting, links or HTML."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def message(error: LearnError) -> str:
    """The Vietnamese message for a domain error."""
    return t(error.key, **error.values)


def go(page: str, **query: str) -> NoReturn:
    """Switch to one of the app's pages."""
    st.switch_page(PAGES[page], query_params=query or None)


ButtonKind = Literal["primary", "secondary", "tertiary"]


def apply_style() -> None:
    """Inject the app's large-print style (our own constant CSS, never user text)."""
    st.markdown(STYLE, unsafe_allow_html=True)
