"""Text helpers shared by lessons, names and speech: one Unicode form for Vietnamese, folding for search, the
Vietnamese letters a name may hold."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")

# Built from ASCII and combining marks, so that no Vietnamese text is written outside the catalogs.
_VOWELS = ("a", "a\u0306", "a\u0302", "e", "e\u0302", "i", "o", "o\u0302", "o\u031b", "u", "u\u031b", "y")
_TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")  # level, grave, acute, hook, tilde, dot below


def _vietnamese_letters() -> frozenset[str]:
    lower = {unicodedata.normalize("NFC", vowel + tone) for vowel in _VOWELS for tone in _TONES}
    lower |= set("abcdefghijklmnopqrstuvwxyz") | {"\u0111"}  # d with stroke
    letters = lower | {ch.upper() for ch in lower}
    assert all(len(ch) == 1 for ch in letters)  # each one precomposed code point in NFC
    return frozenset(letters)


#: The letters of the Vietnamese alphabet in NFC, capital and small: the 26 Latin letters (f, j, w and z
#: are written in minority names, e.g. Y Jút Hwing, Ea Wer), đ/Đ, and the vowels a ă â e ê i o ô ơ u ư y, each
#: plain or with one of the five tone marks (à á ả ã ạ …): 186 code points in all.
VIETNAMESE_LETTERS = _vietnamese_letters()


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
