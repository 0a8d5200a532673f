"""What a sync bundle may hold, checked whole before anything is written: how much (bytes once unpacked, records
of each kind, one level of records with no nesting), and every field, checked like the same input in the app.

A trainer's laptop can write anything into its own bundle, so nothing in it is trusted because it is signed:
names and years go through the app's own ``people.clean_name`` and ``clean_birth_year``; outcome kinds must be
``trainers.OUTCOMES``; lessons and questions must be in this server's catalog and options within the question;
PIN hashes must look like the app's; no time may be later than a few minutes from now (a time in 2099 would win
every later comparison). The search key of a name is computed here, never taken from the bundle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta

from learn.errors import BundleRejected, InvalidInput
from learn.lessons.catalog import Catalog
from learn.pictures import PEOPLE
from learn.services import languages, people
from learn.services.trainers import OUTCOMES
from learn.strings_vi import STRINGS, t
from learn.text import fold, squash
from progress_db.sync import KINDS

#: bytes of JSON once unpacked; a whole laptop's history for a thousand residents is about a fifth of this
MAX_UNPACKED = 64 * 1024 * 1024
#: records of each kind in one bundle (60,000 answers, a large laptop's year, make about 18 MB of JSON)
LIMITS = {"communes": 50, "villages": 2_000, "learners": 20_000, "progress": 200_000, "sessions": 20_000,
          "attendance": 200_000, "attempts": 200_000, "utterances": 100_000, "outcomes": 100_000,
          "reviews": 200_000, "languages": 500}
#: fields per record at most (the widest kind has 13)
MAX_FIELDS = 20
#: how far ahead of this server's clock a time may be (laptop clocks drift a little)
FUTURE = timedelta(minutes=5)
MAX_TEXT = 500  # a transcript of a spoken answer
_UID = re.compile(r"[0-9A-Za-z_-]{1,64}")  # (used with fullmatch: no newline after)
_PIN_HASH = re.compile(r"scrypt\$(?:ln=\d{1,2},r=\d{1,2},p=\d\$)?[0-9a-f]{32}\$[0-9a-f]{128}")
# The shape check works on a skeleton of the JSON: escapes dropped, then every byte but quotes, brackets, colons
# and commas (numbers, true, null, text, spaces are gone). What is left of a bundle's records must read
# {"kind":[{"field":"value","field":,...},...],...}. Possessive quantifiers: one pass, no backtracking.
_KEEP = b'[]{}":,'
_DROP = bytes(b for b in range(256) if b not in _KEEP)
_S = rb'"[^"]*+"'
_RECORD = rb"\{(?:" + _S + rb":(?:" + _S + rb")?+(?:," + _S + rb":(?:" + _S + rb")?+){0,%d}+)?+\}" % (MAX_FIELDS - 1)
_LIST = rb"\[(?:" + _RECORD + rb"(?:," + _RECORD + rb")*+)?+\]"
_TOP_PAIR = _S + rb":(?:" + _LIST + rb"|" + _S + rb")?+"
_SHAPE = re.compile(rb"\{(?:" + _TOP_PAIR + rb"(?:," + _TOP_PAIR + rb"){0,%d}+)?+\}" % (2 * len(KINDS)))
_UTTERED = ("answer", "repeat", "next")


def _number_vi(n: int) -> str:
    return f"{n:,}".replace(",", ".")  # 200.000: Vietnamese groups thousands with dots


class Shape:
    """The records' JSON, checked as it is unpacked: fed piece by piece, it keeps a skeleton of the JSON (escapes
    dropped, then every byte but quotes, brackets, colons and commas) and stops a bundle as soon as it holds more
    records than a bundle may (20 million empty records take gigabytes once parsed, and are refused here after
    the first few megabytes). ``check()`` then refuses anything but one object of lists of flat records (at most
    ``MAX_FIELDS`` fields each), before the JSON is parsed."""

    def __init__(self) -> None:
        self._skeleton: list[bytes] = []
        self._carry = b""
        self._records = -1  # the outer object's brace is no record

    def feed(self, piece: bytes) -> None:
        piece = self._carry + piece
        # an escape cut in two by the piece boundary is finished in the next piece
        odd = (len(piece) - len(piece.rstrip(b"\\"))) % 2
        piece, self._carry = (piece[:-1], b"\\") if odd else (piece, b"")
        skeleton = piece.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DROP)
        self._records += skeleton.count(b"{")  # braces inside text only make this larger
        if self._records > sum(LIMITS.values()):
            raise BundleRejected("bundle holds too many records", "sync.too_many", what=t("sync.record.records"),
                                 limit=_number_vi(sum(LIMITS.values())))
        self._skeleton.append(skeleton)

    def check(self) -> None:
        skeleton = b"".join(self._skeleton)
        self._skeleton.clear()
        if self._carry or not _SHAPE.fullmatch(skeleton):
            raise BundleRejected("bundle records are nested or not in the expected form", "sync.bad_records")


class _Field(Exception):
    def __init__(self, field: str, value: object) -> None:
        super().__init__(field)
        self.field, self.value = field, value


class _Future(_Field):
    """A time later than now: the laptop's clock is probably ahead (or the time was forged to win later)."""


def check_records(records: dict[str, list[dict[str, object]]], catalog: Catalog, now: datetime) -> None:
    """Check every record (changing only what the app would compute itself: tidied names and households, the
    names' search keys); BundleRejected names the first record and field that is wrong."""
    for kind in KINDS:
        if len(records[kind]) > LIMITS[kind]:
            raise BundleRejected(f"{len(records[kind])} {kind}, at most {LIMITS[kind]}", "sync.too_many",
                                 what=t(f"sync.record.{kind}"), limit=_number_vi(LIMITS[kind]))
    context = _Context(catalog, now + FUTURE, {kind: set() for kind in KINDS})
    for kind in KINDS:
        check = _CHECKS[kind]
        for number, record in enumerate(records[kind], start=1):
            try:
                check(record, context)
            except _Future as bad:
                raise BundleRejected(f"{kind} #{number}: {bad.field} = {bad.value} is later than now",
                                     "sync.future", when=f"{bad.value:%Y-%m-%d %H:%M}") from None
            except _Field as bad:  # (the value is not shown to staff: it is the sender's text, not ours)
                raise BundleRejected(f"{kind} #{number}: {bad.field} = {repr(bad.value)[:80]}", "sync.bad_field",
                                     what=t(f"sync.record.{kind}"), number=number, field=bad.field) from None


class _Lesson:
    """What the checks need of a lesson: its number of screens, each answerable item's number of options (its
    questions, and its pretend-phone screens), and which of them are questions."""

    def __init__(self, screens: int, options: dict[str, int], questions: frozenset[str]) -> None:
        self.screens, self.options, self.questions = screens, options, questions


class _Context:
    def __init__(self, catalog: Catalog, latest: datetime, seen: dict[str, set[str]]) -> None:
        self.catalog, self.latest, self.seen = catalog, latest, seen
        self.lessons: dict[str, _Lesson | None] = {}

    def new_uid(self, record: dict[str, object], kind: str) -> None:
        """A record's own id: well formed and not twice in the bundle."""
        value = record.get("uid")
        if not isinstance(value, str) or not _UID.fullmatch(value) or value in self.seen[kind]:
            raise _Field("uid", value)
        self.seen[kind].add(value)

    def ref(self, record: dict[str, object], field: str, kind: str, *, optional: bool = False) -> None:
        """A reference to another record of the bundle."""
        value = record.get(field)
        if value is None and optional:
            return
        if not isinstance(value, str) or value not in self.seen[kind]:
            raise _Field(field, value)

    def time(self, record: dict[str, object], field: str, *, optional: bool = False) -> None:
        """A time as this app writes them (UTC, no zone), not in the future."""
        value = record.get(field)
        if value is None and optional:
            return
        try:
            when = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 40 else None
        except ValueError:
            when = None
        if when is None or when.tzinfo is not None:
            raise _Field(field, value)
        if when > self.latest:
            raise _Future(field, when)

    def lesson(self, record: dict[str, object]) -> _Lesson:
        """The lesson a record is about: one of this server's."""
        lesson_id = record.get("lesson_id")
        if not isinstance(lesson_id, str):
            raise _Field("lesson_id", lesson_id)
        if lesson_id not in self.lessons:
            found = self.catalog.get(lesson_id)
            self.lessons[lesson_id] = None if found is None else _Lesson(
                len(found.screens), {q.id: len(q.options) for q in found.questions}
                # a pretend-phone screen done is stored as an answer: the help it needed, 0 to 3 (issue 18)
                | {p.item_id(s): 4 for p in found.practices for s in p.screens},
                frozenset(q.id for q in found.questions))
        known = self.lessons[lesson_id]
        if known is None:
            raise _Field("lesson_id", lesson_id)
        return known


def _int(record: dict[str, object], field: str, low: int, high: int, *, optional: bool = False) -> None:
    value = record.get(field)
    if value is None and optional:
        return
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _Field(field, value)


def _number(record: dict[str, object], field: str, low: float, high: float, *, optional: bool = False) -> None:
    value = record.get(field)
    if value is None and optional:
        return
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
        raise _Field(field, value)


def _flag(record: dict[str, object], field: str) -> None:
    if not isinstance(record.get(field), bool):
        raise _Field(field, record.get(field))


def _text(record: dict[str, object], field: str, limit: int, *, optional: bool = False) -> None:
    value = record.get(field)
    if value is None and optional:
        return
    if not isinstance(value, str) or len(value) > limit:
        raise _Field(field, value)


def _clean_name(record: dict[str, object], field: str) -> None:
    value = record.get(field)
    try:
        clean = people.clean_name(value) if isinstance(value, str) else None
    except InvalidInput:
        clean = None
    if clean != value:  # the app stores names tidied: this one was not made by it
        raise _Field(field, value)


def _commune(c: dict[str, object], ctx: _Context) -> None:
    ctx.new_uid(c, "communes")
    _clean_name(c, "name")
    ctx.time(c, "created_at")


def _village(v: dict[str, object], ctx: _Context) -> None:
    ctx.new_uid(v, "villages")
    ctx.ref(v, "commune", "communes")
    _clean_name(v, "name")
    ctx.time(v, "created_at")


def _learner(x: dict[str, object], ctx: _Context) -> None:
    ctx.new_uid(x, "learners")
    ctx.ref(x, "village", "villages")
    if x.get("left_reason") not in (None, "moved", "removed"):
        raise _Field("left_reason", x.get("left_reason"))
    ctx.time(x, "created_at")
    ctx.time(x, "updated_at")
    ctx.time(x, "left_at", optional=True)
    if x["left_reason"] == "removed":  # deleted on request: nothing of hers travels
        x.update(display_name="", name_key="", birth_year=None, household=None, pin_hash=None,
                 picture_password_hash=None)
        return
    _clean_name(x, "display_name")
    x["name_key"] = fold(str(x["display_name"]))
    year = x.get("birth_year")
    try:
        if not (year is None or (isinstance(year, int) and not isinstance(year, bool))):
            raise InvalidInput("not a number")
        x["birth_year"] = people.clean_birth_year(year)
    except InvalidInput:
        raise _Field("birth_year", year) from None
    _text(x, "household", 4 * people.MAX_NAME, optional=True)
    house = squash(str(x["household"])) if x.get("household") is not None else ""
    if len(house) > people.MAX_NAME:
        raise _Field("household", x.get("household"))
    x["household"] = house or None
    for secret in ("pin_hash", "picture_password_hash"):  # (older bundles have no picture password)
        value = x.get(secret)
        if value is not None and not (isinstance(value, str) and _PIN_HASH.fullmatch(value)):
            raise _Field(secret, "…")  # (never shown: it is a secret's hash)
    if x.get("pin_hash") and x.get("picture_password_hash"):
        raise _Field("picture_password_hash", "…")  # a PIN or a picture password, never both
    if x.get("picture") is not None and x.get("picture") not in PEOPLE:
        raise _Field("picture", x.get("picture"))
    if x.get("listen_language") is not None:  # (older bundles have none: she keeps what she has)
        _language_code(x, "listen_language")


def _language_code(record: dict[str, object], field: str) -> None:
    value = record.get(field)
    try:
        clean = languages.clean_code(value) if isinstance(value, str) else None
    except InvalidInput:
        clean = None
    if clean != value:  # a code as the app stores them, never Vietnamese's own
        raise _Field(field, value)


def _language(x: dict[str, object], ctx: _Context) -> None:
    """A commune's narration language (issue 20): its code and name as the app's own form makes them."""
    ctx.new_uid(x, "languages")
    ctx.ref(x, "commune", "communes")
    _language_code(x, "code")
    value = x.get("name")
    try:
        clean = languages.clean_name(value) if isinstance(value, str) else None
    except InvalidInput:
        clean = None
    if clean != value:
        raise _Field("name", value)
    ctx.time(x, "created_at")


def _progress(p: dict[str, object], ctx: _Context) -> None:
    ctx.new_uid(p, "progress")
    ctx.ref(p, "learner", "learners")
    lesson = ctx.lesson(p)
    _int(p, "screens", 0, max(1000, lesson.screens))
    _int(p, "position", 0, int(p["screens"]))  # type: ignore[call-overload]
    _int(p, "run", 0, 100_000)
    ctx.time(p, "started_at")
    ctx.time(p, "updated_at")
    ctx.time(p, "completed_at", optional=True)


def _session(s: dict[str, object], ctx: _Context) -> None:
    ctx.new_uid(s, "sessions")
    ctx.ref(s, "village", "villages")
    _text(s, "account", 100, optional=True)
    lesson = ctx.lesson(s)
    _int(s, "position", 0, lesson.screens)
    ctx.time(s, "started_at")
    ctx.time(s, "finished_at", optional=True)


def _attendance(a: dict[str, object], ctx: _Context) -> None:
    ctx.ref(a, "session", "sessions")
    ctx.ref(a, "learner", "learners")


def _attempt(a: dict[str, object], ctx: _Context) -> None:
    ctx.new_uid(a, "attempts")
    ctx.ref(a, "learner", "learners")
    lesson = ctx.lesson(a)
    question = a.get("question_id")
    options = lesson.options.get(question) if isinstance(question, str) else None
    if options is None:
        raise _Field("question_id", question)
    _int(a, "option_index", 0, options - 1)
    _flag(a, "correct")
    if a.get("mode") not in ("tap", "voice"):
        raise _Field("mode", a.get("mode"))
    ctx.time(a, "answered_at")
    _text(a, "transcript", MAX_TEXT, optional=True)
    _number(a, "confidence", 0, 1, optional=True)
    _int(a, "run", 0, 100_000)
    ctx.ref(a, "session", "sessions", optional=True)
    _flag(a, "assisted")
    if "retry" in a:  # a question asked again at the end of the lesson (bundles before issue 16 have none)
        _flag(a, "retry")


def _utterance(u: dict[str, object], ctx: _Context) -> None:
    ctx.new_uid(u, "utterances")
    ctx.ref(u, "learner", "learners")
    lesson = ctx.lesson(u)
    question = u.get("question_id")
    if question is not None and not (isinstance(question, str) and question in lesson.options):
        raise _Field("question_id", question)
    _int(u, "position", 0, lesson.screens)
    _text(u, "transcript", MAX_TEXT)
    _number(u, "confidence", 0, 1, optional=True)
    outcome = u.get("outcome")
    if not (outcome in _UTTERED or (isinstance(outcome, str) and outcome.startswith("voice.") and outcome in STRINGS)):
        raise _Field("outcome", outcome)
    _number(u, "seconds", 0, 3600)
    ctx.time(u, "heard_at")


def _outcome(o: dict[str, object], ctx: _Context) -> None:
    ctx.ref(o, "learner", "learners")
    if o.get("kind") not in OUTCOMES:
        raise _Field("kind", o.get("kind"))
    ctx.time(o, "ticked_at")


def _review(r: dict[str, object], ctx: _Context) -> None:
    """An answer given in spaced review (issue 18): to a question of a lesson here, in a box of the schedule."""
    ctx.new_uid(r, "reviews")
    ctx.ref(r, "learner", "learners")
    lesson = ctx.lesson(r)
    question = r.get("question_id")
    options = lesson.options.get(question) if isinstance(question, str) and question in lesson.questions else None
    if options is None:  # (a review asks questions only, never a pretend-phone screen)
        raise _Field("question_id", question)
    _int(r, "option_index", 0, options - 1)
    _flag(r, "correct")
    if r.get("mode") not in ("tap", "voice"):
        raise _Field("mode", r.get("mode"))
    _int(r, "box", 0, 3)
    if not (isinstance(r.get("round"), str) and _UID.fullmatch(str(r["round"]))):
        raise _Field("round", r.get("round"))
    ctx.time(r, "answered_at")


_CHECKS: dict[str, Callable[[dict[str, object], _Context], None]] = {
    "communes": _commune, "villages": _village, "learners": _learner, "progress": _progress,
    "sessions": _session, "attendance": _attendance, "attempts": _attempt, "utterances": _utterance,
    "outcomes": _outcome, "reviews": _review, "languages": _language}
