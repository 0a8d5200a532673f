"""Villages and learners: names, birth years, PINs, signing in, and the demo commune."""

from __future__ import annotations

import hmac
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from learn.errors import InvalidInput, JoinCodeNeeded, JoinLocked, NotFound, PinLocked, WrongJoinCode, WrongPin
from learn.secrets import hash_secret, secret_matches
from learn.services import lockout
from learn.services import picture_passwords as pictures
from learn.text import VIETNAMESE_LETTERS, fold, squash
from progress_db import community
from progress_db.records import LearnerInfo, VillageInfo

MAX_NAME = 60
#: Wrong PINs before one phone waits (``lockout.PINS``): 4 digits are few, guessing must be slow.
MAX_PIN_TRIES = lockout.PINS.per_client
PIN_LOCK = lockout.PINS.period
_NAME_PUNCTUATION = set(" .'-()")
_PIN = re.compile(r"^\d{4}$")
# 4 digits stay guessable whatever the hash, which is why PINs only keep neighbours apart (and lock after
# wrong guesses); trainers' accounts use passwords.


#: Every character a name may hold, after NFC: see ``clean_name``.
_NAME_CHARS = VIETNAMESE_LETTERS | set("0123456789") | _NAME_PUNCTUATION
#: Apostrophes a phone types instead of "'" (iOS does so by default): H’Hen is H'Hen.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
#: Letters that draw nothing (Hangul fillers, the blank Braille pattern, Khmer's inherent vowels).
_BLANK = set("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5")


def _shown(ch: str) -> tuple[str, bool]:
    """A refused character as a message shows it, and whether it can be seen: itself when it is plain ASCII;
    with its code when it is another script's (a Cyrillic В looks like B); only its code when it draws nothing
    or sits on the character before it (a lone tone mark)."""
    code = f"U+{ord(ch):04X}"
    if ch.isascii() and ch.isprintable() and not ch.isspace():
        return ch, True
    if unicodedata.category(ch)[0] in "LNPS" and ch not in _BLANK:
        return f"{ch} ({code})", True
    return code, False


def clean_name(raw: str) -> str:
    """A display name as typed, tidied; InvalidInput (with a message key) when it cannot be a name.

    Residents', villages' and communes' names are written in the Vietnamese alphabet, as on an identity card.
    After NFC, runs of spaces squashed to one and curly apostrophes made straight, a name may hold only:

    - the Vietnamese letters (``learn.text.VIETNAMESE_LETTERS``): A-Z and a-z (f, j, w and z appear in
      minority names), Đ/đ, and the vowels a ă â e ê i o ô ơ u ư y, capital or small, plain or with one tone mark;
    - the digits 0-9 ("Thôn 5");
    - the space, and the marks - ' . ( ) ("H'Hen Niê", "Bản Nà Hẩu (cũ)").

    Everything else is refused, naming the character: letters of other scripts that look the same (Cyrillic
    В, Greek Α), fullwidth (Ｌａｎ) and mathematical (𝐋𝐚𝐧) letters, other Latin letters (ñ, ç, Icelandic Ð),
    a tone mark that does not sit on a Vietnamese vowel, invisible characters (zero-width spaces and joiners,
    direction marks, Hangul fillers such as U+3164). Two names that look the same are then the same name.
    """
    name = squash(raw or "").translate(_APOSTROPHES)
    if not name:
        raise InvalidInput("name is empty", key="learner.name_empty")
    if len(name) > MAX_NAME:
        raise InvalidInput("name is too long", key="learner.name_too_long", limit=MAX_NAME)
    for ch in name:
        if ch not in _NAME_CHARS:
            shown, visible = _shown(ch)
            raise InvalidInput(f"character {shown} not allowed in a name",
                               key="learner.name_invalid" if visible else "learner.name_hidden", char=shown)
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
    found = pictures.villages_with_pictures(community.list_villages())
    return sorted(found, key=lambda v: (fold(v.commune), fold(v.name), v.name))


def village(village_id: int) -> VillageInfo:
    """One village; NotFound if it is gone."""
    found = community.get_village(village_id)
    if found is None:
        raise NotFound(f"village {village_id}", key="village.not_found")
    return found


def learners(village_id: int) -> list[LearnerInfo]:
    """The village's learners, by name, each with her picture."""
    return pictures.with_pictures(community.list_learners(village_id))


def add_learner(village_id: int, name: str, birth_year: str | int | None = None, pin: str | None = None,
                household: str | None = None, *, picture: str | None = None,
                picture_password: Sequence[str] | None = None) -> LearnerInfo:
    """Add a resident to a village after checking every field; InvalidInput names the first bad one. Her
    picture is ``picture`` (else one no neighbour has); she signs in with a PIN or a picture password (not both)."""
    village(village_id)
    clean = clean_name(name)
    year = clean_birth_year(birth_year)
    code = clean_pin(pin)
    chosen = pictures.clean_pictures(picture_password)
    if code and chosen:
        raise InvalidInput("a PIN or a picture password, not both", key="pictures.not_both")
    drawing = pictures.clean_picture(picture, pictures.suggested_picture(village_id))
    if community.find_learner(village_id, fold(clean), year) is not None:
        raise InvalidInput("same name and year already in this village", key="learner.duplicate", name=clean)
    secret = pictures.hash_pictures(chosen) if chosen else None
    return community.add_learner(village_id, clean, fold(clean), year, hash_pin(code) if code else None, household,
                                 picture=drawing, picture_password_hash=secret)


def learner(learner_id: int, uid: str | None = None) -> LearnerInfo:
    """One learner; NotFound if they are gone (merged away, or the database was reset and the id reused)."""
    found = community.get_learner(learner_id)
    if found is None or found.left is not None or (uid is not None and found.uid != uid):
        raise NotFound(f"learner {learner_id}", key="learner.not_found")
    return found


#: the client her tries are counted as on a browser she signed in on before (``auth.known_device``): other phones
#: behind the same network address (a shared hotspot, a carrier's) then count apart and cannot lock it
OWN_DEVICE = "own-device"


def sign_in_resident(learner_id: int, pin: str | Sequence[str] | None = None, now: datetime | None = None,
                     client: str | None = None, *, own_device: bool = False) -> LearnerInfo:
    """The learner, if her PIN (a string) or picture password (the pictures tapped, in order) is right, or she
    has neither; WrongPin, PinLocked or NotFound otherwise. A wrong PIN and wrong pictures are one lock: tries at
    either are counted together, as tries at her secret.

    Tries are counted in the database before the secret is checked (``lockout.PINS``): 5 per phone (network
    address) per 15 minutes, 20 from all phones together, and her own phone, where she got in before, keeps its
    5 tries whatever others do. On a browser she signed in on before (``own_device``) tries count as that
    device's, not its network address's. So someone else's guesses cannot lock her out of her own phone for
    long: at most 15 minutes when they were made on her phone itself, or until a trainer resets her secret."""
    found = learner(learner_id)
    state = community.pin_state(learner_id)
    if state is None or not (state.pin_hash or state.picture_password_hash):
        return found
    subject = f"learner:{learner_id}"
    client = OWN_DEVICE if own_device else client
    turn = lockout.begin(lockout.PINS, subject, client, now)
    if not turn.allowed:
        raise PinLocked("PIN locked", minutes=turn.minutes)
    if state.picture_password_hash:
        tapped = tuple(pin) if pin is not None and not isinstance(pin, str) else ()
        right = pictures.pictures_match(tapped, state.picture_password_hash)  # the same work either way
    else:
        right = pin_matches(pin.strip() if isinstance(pin, str) else "", state.pin_hash or "")
    if right:
        lockout.succeeded(lockout.PINS, subject, client, now)
        return found
    if turn.last:
        raise PinLocked("PIN locked", minutes=turn.minutes)
    if state.picture_password_hash:
        raise WrongPin("wrong pictures", key="learner.pictures_wrong")
    raise WrongPin("wrong PIN")


def set_own_secret(learner_id: int, pin: str | None = None, picture_password: Sequence[str] | None = None) -> None:
    """After a trainer cleared her PIN or picture password, the resident sets her own (or, neither given, goes on
    without one); refused (InvalidInput) unless such a reset is pending and she has neither now, so nobody can
    put a secret on someone else's name."""
    found = learner(learner_id)
    code = clean_pin(pin)
    chosen = pictures.clean_pictures(picture_password)
    if code and chosen:
        raise InvalidInput("a PIN or a picture password, not both", key="pictures.not_both")
    if not found.reset_pending or not community.set_own_secret(
            learner_id, hash_pin(code) if code else None, pictures.hash_pictures(chosen) if chosen else None):
        raise InvalidInput("no reset pending", key="pictures.no_reset")
    forget_pin_tries(learner_id)


def forget_pin_tries(learner_id: int) -> None:
    """A trainer set a new PIN: every count and lock on the old one goes."""
    lockout.forget(lockout.PINS, f"learner:{learner_id}")


#: on a shared laptop a resident is signed out after this long without a tap (their progress is kept)
LEARNER_IDLE = timedelta(minutes=30)

#: wrong join codes one phone may try per 10 minutes, and all phones together (``lockout.JOIN_CODES``): a code
#: has a million values, so guessing one takes about a year, and a resident who mistypes is not shut out
JOIN_TRIES = lockout.JOIN_CODES.per_client
JOIN_LOCK = lockout.JOIN_CODES.period


def open_village(village_id: int, code: str | None, *, required: bool, now: datetime | None = None,
                 count: bool = True, client: str | None = None) -> VillageInfo:
    """The village, when the server does not require join codes or ``code`` is its code; JoinCodeNeeded,
    WrongJoinCode or JoinLocked otherwise. Tries are counted before the code is checked (``lockout.JOIN_CODES``:
    per phone, and per village from all phones; a phone that opened the village before keeps its own tries), so
    one visitor cannot shut a whole village out. ``count`` False: a code this browser had already opened the
    village with, before a trainer renewed it, is no guess."""
    found = village(village_id)
    if not required:
        return found
    if not (code or "").strip():
        raise JoinCodeNeeded("join code needed")
    state = community.join_state(village_id)
    if state is None:
        raise NotFound(f"village {village_id}", key="village.not_found")
    subject = f"village:{village_id}"
    turn = lockout.begin(lockout.JOIN_CODES, subject, client, now) if count else lockout.Turn(True)
    if not turn.allowed:
        raise JoinLocked("join codes locked", minutes=turn.minutes)
    if hmac.compare_digest((code or "").strip().encode(), state.code.encode()):
        if count:
            lockout.succeeded(lockout.JOIN_CODES, subject, client, now)
        return found
    if turn.last:
        raise JoinLocked("join codes locked", minutes=turn.minutes)
    raise WrongJoinCode("wrong join code")


def residents(village_id: int, code: str | None, *, required: bool) -> list[LearnerInfo]:
    """The names a resident picks from: only with the village's join code when the server requires one."""
    open_village(village_id, code, required=required, count=False)
    return learners(village_id)


def join(village_id: int, code: str | None, name: str, birth_year: str | None, pin: str | None, *,
         required: bool, picture: str | None = None, picture_password: Sequence[str] | None = None) -> LearnerInfo:
    """A resident adds themselves to a village they have opened, with her picture and secret if chosen."""
    open_village(village_id, code, required=required, count=False)
    return add_learner(village_id, name, birth_year, pin, picture=picture, picture_password=picture_password)


def seed_demo(path: Path) -> int:
    """Create the demo commune and villages described in ``path`` (YAML) if missing; return the commune id."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"cannot read {path}: {exc}") from exc
    if not (isinstance(data, dict) and isinstance(data.get("commune"), str) and isinstance(data.get("villages"), list)
            and all(isinstance(v, str) and v.strip() for v in data["villages"])):
        raise InvalidInput(f"{path.name} needs 'commune' (a name) and 'villages' (a list of names)")
    commune_id = community.get_or_create_commune(squash(data["commune"]))
    for name in data["villages"]:
        community.get_or_create_village(commune_id, squash(name))
    return commune_id
