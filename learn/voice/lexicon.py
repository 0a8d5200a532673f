"""The pronunciation lexicon: written words the offline voice would read with another language's rules, and how
narration says them instead (a respelling it reads with Vietnamese rules).

The entries are content (``content/vi/lexicon.yaml``, read by ``learn.lessons.pronunciation``); this module only
applies them. They are applied for the offline voice (espeak-ng), whose Vietnamese voice switches to English on
words such as "link" or "wifi"; Google's voice reads those words as Vietnamese speakers say them, so its text is
left as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from learn.text import nfc, squash

#: Engines whose text goes through the lexicon.
OFFLINE_ENGINES = frozenset({"espeak"})
#: A written word: letters, possibly joined by hyphens or apostrophes ("Wi-Fi"); digits are not words here.
WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")


def word_key(text: str) -> str:
    """How a word or phrase is looked up: NFC, single spaces, case folded."""
    return squash(nfc(text)).casefold()


@dataclass(frozen=True)
class Lexicon:
    """Written word or phrase (case-insensitive, whole words) -> how narration says it."""

    entries: Mapping[str, str] = field(default_factory=dict)
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        entries = {word_key(k): squash(v) for k, v in self.entries.items()}
        object.__setattr__(self, "entries", entries)
        if entries:
            # longest first, so "CH Play" wins over "Play"; a word is whole when no letter, digit or hyphen touches it
            alternatives = "|".join(r"\s+".join(map(re.escape, k.split(" ")))
                                    for k in sorted(entries, key=len, reverse=True))
            object.__setattr__(self, "_pattern", re.compile(rf"(?<![\w'’-])(?:{alternatives})(?![\w'’-])", re.I))

    def covers(self, word: str) -> bool:
        """Whether ``word`` (or phrase) has an entry."""
        return word_key(word) in self.entries

    def apply(self, text: str) -> str:
        """``text`` with every word that has an entry replaced by its respelling."""
        text = nfc(text)
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: self.entries[word_key(m.group(0))], text)

    def for_engine(self, engine: str, text: str) -> str:
        """The text ``engine`` is given: respelled for the offline voice, as written for the others."""
        return self.apply(text) if engine in OFFLINE_ENGINES else text
