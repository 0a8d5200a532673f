"""The real curriculum (content/vi) against every rule `learn content check` enforces, the pronunciation check by
espeak-ng over every narrated text included (issue 17).

This module FAILS until the lesson writers have fixed what the rules found: it lands when they are done."""

from __future__ import annotations

import unicodedata

from learn.lessons.pronunciation import LEXICON_FILE, load_lexicon
from learn.lessons.validate import check_content
from learn.settings import DEFAULT_CONTENT_DIR


def test_the_lexicon_is_nfc_and_every_respelling_is_read_with_vietnamese_rules() -> None:
    text = (DEFAULT_CONTENT_DIR / LEXICON_FILE).read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", text)
    lexicon, problems = load_lexicon(DEFAULT_CONTENT_DIR)
    assert [str(p) for p in problems] == [] and lexicon.entries


def test_curriculum_passes_learn_content_check_with_the_authoring_rules() -> None:
    lessons, problems = check_content(DEFAULT_CONTENT_DIR)
    assert [str(p.path.relative_to(DEFAULT_CONTENT_DIR)) + f":{p.line}: {p.message}" for p in problems] == []
    assert len(lessons) >= 32
