"""Narration languages (issue 20): a commune's tech team and staff add the languages they record in besides
Vietnamese (Mường, Thái, Dao…), and a resident, or her trainer for her, chooses to hear one ("Nghe bằng tiếng
Mường"). She then hears the commune's recording of a line in that language where there is one, and the
Vietnamese narration elsewhere (``learn.services.narration.recorded``); the text on screen stays Vietnamese."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from learn.errors import InvalidInput, NotFound
from learn.services import people
from learn.services.accounts import require
from learn.services.care import resident
from learn.strings_vi import t
from learn.text import fold, squash
from progress_db import languages as stored
from progress_db.languages import VIETNAMESE, LanguageInfo
from progress_db.records import AccountInfo, Role

#: who may add a language or choose one for a resident: the commune's tech team and its staff
ROLES: tuple[Role, ...] = ("trainer", "staff")
#: a language's short code: what recordings and residents' choices name (e.g. ``mtq`` or ``muong``)
CODE = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,10}[a-z0-9])")
MAX_NAME = 40
_NAME_MARKS = frozenset(" '’-")
#: Vietnamese under another code or name: the tile has it first already
_VIETNAMESE_CODES = frozenset({VIETNAMESE, "vie"})
_VIETNAMESE_NAMES = frozenset({"viet", "viet nam", "kinh"})

__all__ = ["VIETNAMESE", "Choice", "LanguageInfo", "add", "choice_for", "clean_code", "clean_name", "heard_in",
           "of_commune", "of_resident", "set_for", "set_own"]


def clean_code(code: str) -> str:
    """A language code as stored: trimmed and lower-cased; InvalidInput unless 2 to 12 ASCII letters, digits or
    inner hyphens, and not ``vi`` (every lesson is written in Vietnamese already)."""
    clean = code.strip().lower()
    if clean in _VIETNAMESE_CODES or clean.startswith(f"{VIETNAMESE}-"):  # vi, vie, vi-vn: Vietnamese again
        raise InvalidInput("vi is Vietnamese, the lessons' own language", key="language.code_vi")
    if not CODE.fullmatch(clean):
        raise InvalidInput(f"bad language code {code!r}", key="language.bad_code")
    return clean


def clean_name(name: str) -> str:
    """A language's name as said after "tiếng" (NFC, spaces tidied, a leading "tiếng" dropped); InvalidInput
    unless 1 to 40 letters (spaces, hyphens and apostrophes inside, as in H'Mông)."""
    clean = squash(name)
    said_before = t("language.option", name="").strip().casefold()  # "tiếng": typed by habit, said by the app
    if clean.casefold() == said_before or clean.casefold().startswith(said_before + " "):
        clean = clean[len(said_before):].strip()
    if not clean:
        raise InvalidInput("a language needs a name", key="language.name_missing")
    if len(clean) > MAX_NAME:
        raise InvalidInput(f"language name longer than {MAX_NAME}", key="language.name_long", limit=MAX_NAME)
    if not (clean[0].isalpha() and all(_latin(ch) or ch in _NAME_MARKS for ch in clean)):
        raise InvalidInput(f"bad language name {name!r}", key="language.bad_name")
    if fold(clean) in _VIETNAMESE_NAMES:  # a second "Tiếng Việt" button beside the first
        raise InvalidInput(f"{clean!r} is Vietnamese", key="language.name_vi")
    return clean


def _latin(ch: str) -> bool:
    """A letter of the Latin alphabet (Vietnamese's, and the one its peoples' languages are written in here):
    never a look-alike from another script (Cyrillic М for M), nor an invisible mark."""
    return ch.isalpha() and unicodedata.name(ch, "").startswith("LATIN ")


def of_commune(who: AccountInfo, commune_id: int) -> list[LanguageInfo]:
    """The commune's narration languages (besides Vietnamese), in the order they were added, for its team."""
    require(who, *ROLES, commune_id=commune_id)
    return stored.of_commune(commune_id)


def add(who: AccountInfo, commune_id: int, code: str, name: str) -> LanguageInfo:
    """Add a narration language to the commune; InvalidInput (nothing added) for a bad code or name, or one the
    commune has already."""
    require(who, *ROLES, commune_id=commune_id)
    clean, called = clean_code(code), clean_name(name)
    if any(fold(x.name) == fold(called) for x in stored.of_commune(commune_id)):  # Muong is Mường
        raise InvalidInput(f"{called!r} is there already", key="language.name_taken", name=called)
    made, added = stored.ensure(commune_id, clean, called)
    if not added:
        raise InvalidInput(f"{clean!r} is there already", key="language.code_taken", code=clean,
                           name=made.name)
    return made


def of_resident(learner_id: int) -> list[LanguageInfo]:
    """The narration languages of the resident's commune (what she may choose besides Vietnamese)."""
    person = people.learner(learner_id)
    return stored.of_commune(people.village(person.village_id).commune_id)


def heard_in(learner_id: int) -> str:
    """The code of the language the resident hears (``vi`` when she chose none, or hers is no longer one of her
    commune's). One query."""
    found = stored.of_learner(learner_id)
    return VIETNAMESE if found is None else found.code


def _choose(learner_id: int, choices: list[LanguageInfo], code: str | None) -> LanguageInfo | None:
    if code in (None, "", VIETNAMESE):
        stored.choose(learner_id, None)
        return None
    found = next((x for x in choices if x.code == code), None)
    if found is None:
        raise NotFound(f"language {code!r} is not one of the commune's", key="language.not_here")
    stored.choose(learner_id, found.code)
    return found


def set_own(learner_id: int, code: str | None) -> LanguageInfo | None:
    """The signed-in resident's own choice (None or ``vi``: Vietnamese), among her commune's languages;
    returns the language she now hears (None: Vietnamese). NotFound for another commune's or an unknown one."""
    return _choose(learner_id, of_resident(learner_id), code)


@dataclass(frozen=True)
class Choice:
    """What a resident's trainer sees: the languages of her commune and the code of the one she hears."""

    languages: list[LanguageInfo]
    current: str


def choice_for(who: AccountInfo, learner_id: int) -> Choice:
    """A resident's languages and current choice, for a trainer or staff member of her commune."""
    person = resident(who, learner_id)
    return Choice(stored.of_commune(people.village(person.village_id).commune_id), heard_in(learner_id))


def set_for(who: AccountInfo, learner_id: int, code: str | None) -> LanguageInfo | None:
    """Choose for a resident (her trainer or the commune's staff): as :func:`set_own`, checked against ``who``."""
    choices = choice_for(who, learner_id).languages
    return _choose(learner_id, choices, code)
