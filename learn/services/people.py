"""Villages and learners: names, birth years, PINs, signing in, and the demo commune."""

from __future__ import annotations

import hmac
import re
import unicodedata
from datetime import date, datetime, timedelta
from math import ceil
from pathlib import Path

import yaml

from learn.errors import InvalidInput, JoinCodeNeeded, JoinLocked, NotFound, PinLocked, WrongJoinCode, WrongPin
from learn.secrets import hash_secret, secret_matches
from learn.text import fold, squash
from progress_db import queries
from progress_db.models import utcnow
from progress_db.queries import LearnerInfo, VillageInfo

MAX_NAME = 60
#: Wrong PINs in a row before the PIN is refused for a while: 4 digits are few, guessing must be slow.
MAX_PIN_TRIES = 5
PIN_LOCK = timedelta(minutes=15)
_NAME_PUNCTUATION = set(" .'-()")
_PIN = re.compile(r"^\d{4}$")
# 4 digits stay guessable whatever the hash, which is why PINs only keep neighbours apart (and lock after
# wrong guesses); trainers' accounts use passwords.


def clean_name(raw: str) -> str:
    """A display name as typed, tidied; InvalidInput (with a message key) when it cannot be a name."""
    name = squash(raw or "")
    if not name:
        raise InvalidInput("name is empty", key="learner.name_empty")
    if len(name) > MAX_NAME:
        raise InvalidInput("name is too long", key="learner.name_too_long", limit=MAX_NAME)
    for ch in name:
        if not (unicodedata.category(ch)[0] in "LMN" or ch in _NAME_PUNCTUATION):
            raise InvalidInput(f"character {ch!r} not allowed in a name", key="learner.name_invalid", char=ch)
    return name


def clean_birth_year(raw: str | int | None, today: date | None = None) -> int | None:
    """An optional year of birth (blank is None); InvalidInput when it is not a plausible year."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    this_year = (today or date.today()).year
    if not text.isdigit() or not 1900 <= int(text) <= this_year:
        raise InvalidInput("not a year of birth", key="learner.year_invalid", last=this_year)
    return int(text)


def clean_pin(raw: str | None) -> str | None:
    """An optional 4-digit PIN (blank is None); InvalidInput otherwise."""
    text = (raw or "").strip()
    if not text:
        return None
    if not _PIN.match(text):
        raise InvalidInput("PIN must be 4 digits", key="learner.pin_invalid")
    return text


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of the PIN."""
    return hash_secret(pin)


def pin_matches(pin: str, stored: str) -> bool:
    """Whether ``pin`` is the PIN behind ``stored``."""
    return secret_matches(pin, stored)


def villages() -> list[VillageInfo]:
    """Every village a learner can choose, in Vietnamese alphabetical order (Đông before Tây)."""
    return sorted(queries.list_villages(), key=lambda v: (fold(v.commune), fold(v.name), v.name))


def village(village_id: int) -> VillageInfo:
    """One village; NotFound if it is gone."""
    found = queries.get_village(village_id)
    if found is None:
        raise NotFound(f"village {village_id}", key="village.not_found")
    return found


def learners(village_id: int) -> list[LearnerInfo]:
    """The village's learners, by name."""
    return queries.list_learners(village_id)


def add_learner(village_id: int, name: str, birth_year: str | int | None = None, pin: str | None = None,
                household: str | None = None) -> LearnerInfo:
    """Add a resident to a village after checking every field; InvalidInput names the first bad one."""
    village(village_id)
    clean = clean_name(name)
    year = clean_birth_year(birth_year)
    code = clean_pin(pin)
    if queries.find_learner(village_id, fold(clean), year) is not None:
        raise InvalidInput("same name and year already in this village", key="learner.duplicate", name=clean)
    return queries.add_learner(village_id, clean, fold(clean), year, hash_pin(code) if code else None, household)


def learner(learner_id: int, uid: str | None = None) -> LearnerInfo:
    """One learner; NotFound if they are gone (merged away, or the database was reset and the id reused)."""
    found = queries.get_learner(learner_id)
    if found is None or found.left is not None or (uid is not None and found.uid != uid):
        raise NotFound(f"learner {learner_id}", key="learner.not_found")
    return found


def sign_in(learner_id: int, pin: str | None = None, now: datetime | None = None) -> LearnerInfo:
    """The learner, if the PIN is right (or they have none); WrongPin, PinLocked or NotFound otherwise.

    Wrong guesses are counted per learner in the database, so a new browser session does not reset them.
    """
    found = learner(learner_id)
    state = queries.pin_state(learner_id)
    if state is None or not state.pin_hash:
        return found
    now = now or utcnow()
    if state.locked_until is not None and state.locked_until > now:
        raise PinLocked("PIN locked", minutes=max(1, ceil((state.locked_until - now).total_seconds() / 60)))
    if pin_matches((pin or "").strip(), state.pin_hash):
        queries.reset_pin_failures(learner_id)
        return found
    until = queries.record_pin_failure(learner_id, MAX_PIN_TRIES, PIN_LOCK)
    if until is not None:
        raise PinLocked("PIN locked", minutes=ceil(PIN_LOCK.total_seconds() / 60))
    raise WrongPin("wrong PIN")


#: on a shared laptop a resident is signed out after this long without a tap (their progress is kept)
LEARNER_IDLE = timedelta(minutes=30)

#: wrong join codes a village takes per 10 minutes before it refuses codes until the 10 minutes are up: a code has
#: a million values, so guessing one takes about a year, and a resident who mistypes is not shut out
JOIN_TRIES = 20
JOIN_LOCK = timedelta(minutes=10)


def open_village(village_id: int, code: str | None, *, required: bool, now: datetime | None = None,
                 count: bool = True) -> VillageInfo:
    """The village, when the server does not require join codes or ``code`` is its code; JoinCodeNeeded,
    WrongJoinCode or JoinLocked otherwise. Wrong codes are counted per village, in the database (``count``
    False: a code this browser had already opened the village with, before a trainer renewed it, is no guess)."""
    found = village(village_id)
    if not required:
        return found
    if not (code or "").strip():
        raise JoinCodeNeeded("join code needed")
    state = queries.join_state(village_id)
    if state is None:
        raise NotFound(f"village {village_id}", key="village.not_found")
    now = now or utcnow()
    if state.locked_until is not None and state.locked_until > now:
        raise JoinLocked("join codes locked", minutes=max(1, ceil((state.locked_until - now).total_seconds() / 60)))
    if hmac.compare_digest((code or "").strip().encode(), state.code.encode()):
        return found
    if count and queries.record_join_failure(village_id, JOIN_TRIES, JOIN_LOCK, now) is not None:
        raise JoinLocked("join codes locked", minutes=ceil(JOIN_LOCK.total_seconds() / 60))
    raise WrongJoinCode("wrong join code")


def residents(village_id: int, code: str | None, *, required: bool) -> list[LearnerInfo]:
    """The names a resident picks from: only with the village's join code when the server requires one."""
    open_village(village_id, code, required=required, count=False)
    return learners(village_id)


def join(village_id: int, code: str | None, name: str, birth_year: str | None, pin: str | None, *,
         required: bool) -> LearnerInfo:
    """A resident adds themselves to a village they have opened."""
    open_village(village_id, code, required=required, count=False)
    return add_learner(village_id, name, birth_year, pin)


def seed_demo(path: Path) -> int:
    """Create the demo commune and villages described in ``path`` (YAML) if missing; return the commune id."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from exc
    if not (isinstance(data, dict) and isinstance(data.get("commune"), str) and isinstance(data.get("villages"), list)
            and all(isinstance(v, str) and v.strip() for v in data["villages"])):
        raise InvalidInput(f"{path.name} needs 'commune' (a name) and 'villages' (a list of names)")
    commune_id = queries.get_or_create_commune(squash(data["commune"]))
    for name in data["villages"]:
        queries.get_or_create_village(commune_id, squash(name))
    return commune_id
