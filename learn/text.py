"""Text helpers shared by lessons, names and (later) speech: one Unicode form for Vietnamese."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC, the single form every stored or compared string uses."""
    return unicodedata.normalize("NFC", text)


def squash(text: str) -> str:
    """NFC text with runs of whitespace collapsed to one space and the ends trimmed."""
    return _SPACES.sub(" ", nfc(text)).strip()


def fold(text: str) -> str:
    """A search key: lower case, no diacritics, đ as d ("Nguyễn Thị Đào" -> "nguyen thi dao")."""
    decomposed = unicodedata.normalize("NFD", squash(text).casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return stripped.replace("đ", "d")
