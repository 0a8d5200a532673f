"""Tables. Learners hold only a display name, an optional birth year and an optional PIN hash."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime

from peewee import BooleanField, CharField, DateTimeField, FloatField, ForeignKeyField, IntegerField, Model, TextField

from progress_db.db import database


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo (stored the same way in SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_join_code() -> str:
    """Six random digits a resident types (or scans) to open their village's list of names."""
    return f"{secrets.randbelow(1_000_000):06d}"


def new_uid() -> str:
    """A globally unique id, so records from different laptops can later be merged without clashes."""
    return uuid.uuid4().hex


class BaseModel(Model):
    class Meta:
        database = database
        legacy_table_names = False


class Commune(BaseModel):
    """A commune (xã/phường) running its own digital technology teams."""

    uid = CharField(unique=True, default=new_uid)
    name = CharField(unique=True)
    created_at = DateTimeField(default=utcnow)


class Village(BaseModel):
    """A village (thôn/bản/tổ dân phố) of a commune."""

    uid = CharField(unique=True, default=new_uid)
    commune = ForeignKeyField(Commune, backref="villages", on_delete="CASCADE")
    name = CharField()
    created_at = DateTimeField(default=utcnow)
    #: opens the roster when the server requires join codes (wrong ones: ``learn.services.lockout``)
    join_code = CharField(default=new_join_code)
    #: the drawing on the village's button (one of ``learn.pictures.PEOPLE``), different within its commune
    picture = CharField(null=True)

    class Meta:
        indexes = ((("commune", "name"), True),)


class Learner(BaseModel):
    """A resident who takes lessons; ``name_key`` is the name without diacritics, for search."""

    uid = CharField(unique=True, default=new_uid)
    village = ForeignKeyField(Village, backref="learners", on_delete="CASCADE")
    display_name = CharField()
    name_key = CharField(index=True)
    birth_year = IntegerField(null=True)
    #: A label the trainer gives (house number, head of household); empty means a household of one.
    household = CharField(null=True)
    pin_hash = CharField(null=True)
    created_at = DateTimeField(default=utcnow)
    #: the last change to the fields above (what sync compares)
    updated_at = DateTimeField(default=utcnow)
    #: when the resident stopped being one: moved away ("moved"; history kept, can come back) or deleted on
    #: request ("removed"; name and details wiped, anonymous counts kept). Kept out of lists and indicators.
    left_at = DateTimeField(null=True)
    left_reason = CharField(null=True)
    #: the drawing beside her name (one of ``learn.pictures.PEOPLE``), for someone who cannot read it
    picture = CharField(null=True)
    #: a picture password instead of a PIN: a salted hash of 3 pictures of the grid (never the pictures)
    picture_password_hash = CharField(null=True)
    #: when a trainer last cleared her PIN or picture password without giving a new one: she may set her own
    #: the next time she taps her name (None once she has, or chose not to)
    secret_reset_at = DateTimeField(null=True)
    #: the narration language she chose to hear (a ``NarrationLanguage.code`` of her commune); None: Vietnamese
    listen_language = CharField(null=True)


class LessonProgress(BaseModel):
    """Where a learner is in one lesson: the screen to resume at, and when it was completed."""

    uid = CharField(unique=True, default=new_uid)
    learner = ForeignKeyField(Learner, backref="progress", on_delete="CASCADE")
    lesson_id = CharField()
    position = IntegerField(default=0)
    screens = IntegerField(default=0)
    started_at = DateTimeField(default=utcnow)
    updated_at = DateTimeField(default=utcnow)
    completed_at = DateTimeField(null=True)
    #: 0 for the first time through the lesson, +1 each time the learner starts it again
    run = IntegerField(default=0)
    #: past the last screen (``position == screens``): which of the questions answered wrong, asked again at the
    #: end, the learner is on (0 for the first); None outside that part of the lesson
    retry = IntegerField(null=True)
    #: the pretend-phone screen of a practice she last tapped wrong on ("run:practice/screen"), and how many
    #: wrong taps it had: the hints she heard stay when she reloads (issue 18)
    practice_at = CharField(null=True)
    practice_misses = IntegerField(null=True)

    class Meta:
        indexes = ((("learner", "lesson_id"), True),)


class Utterance(BaseModel):
    """One thing a learner said to the recogniser, and what came of it ("answer", "repeat", "next", or the
    reason it was not understood), so trainers see what it hears and authors can add spoken forms."""

    uid = CharField(unique=True, default=new_uid)
    learner = ForeignKeyField(Learner, backref="utterances", on_delete="CASCADE")
    lesson_id = CharField()
    question_id = CharField(null=True)
    position = IntegerField()
    transcript = TextField()
    confidence = FloatField(null=True)
    outcome = CharField()
    seconds = FloatField()
    heard_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("lesson_id", "question_id"), False),)


class Account(BaseModel):
    """A trainer (village tech team), commune staff member or admin, who signs in with a password."""

    username = CharField(unique=True)
    display_name = CharField()
    password_hash = CharField()
    role = CharField()  # "trainer", "staff" or "admin"
    commune = ForeignKeyField(Commune, null=True, backref="accounts", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    #: set when commune staff switch the account off (it can no longer sign in); None while it is in use
    deactivated_at = DateTimeField(null=True)


class AccountSession(BaseModel):
    """A browser where a trainer or staff member is signed in (the token itself is only in their cookie)."""

    token_hash = CharField(unique=True)
    account = ForeignKeyField(Account, backref="browser_sessions", on_delete="CASCADE")
    created_at = DateTimeField(default=utcnow)
    last_seen = DateTimeField(default=utcnow)

    class Meta:
        table_name = "account_session"


class ResidentDevice(BaseModel):
    """A resident's own phone where she stays signed in (the token itself is only in its cookie). ``stamp`` is a
    hash of her PIN and picture password hashes when the device was remembered: one set anew (by a trainer, or
    by sync) no longer matches it, and the device forgets her."""

    token_hash = CharField(unique=True)
    learner = ForeignKeyField(Learner, backref="devices", on_delete="CASCADE")
    stamp = CharField()
    created_at = DateTimeField(default=utcnow)
    last_seen = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "resident_device"


class Outcome(BaseModel):
    """A real-world outcome a trainer saw for a resident (see ``learn.services.trainers.OUTCOMES``)."""

    learner = ForeignKeyField(Learner, backref="outcomes", on_delete="CASCADE")
    kind = CharField()
    ticked_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
    ticked_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("learner", "kind"), True),)


class CommuneTarget(BaseModel):
    """A commune's target for one indicator, as a share of residents or households (0..1)."""

    commune = ForeignKeyField(Commune, backref="targets", on_delete="CASCADE")
    indicator = CharField()
    target = FloatField()
    updated_at = DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("commune", "indicator"), True),)


class GroupSession(BaseModel):
    """A lesson a trainer runs for a village on the projector; ``position`` is the screen shown."""

    uid = CharField(unique=True, default=new_uid)
    account = ForeignKeyField(Account, null=True, backref="sessions", on_delete="SET NULL")
    village = ForeignKeyField(Village, backref="sessions", on_delete="CASCADE")
    lesson_id = CharField()
    position = IntegerField(default=0)
    started_at = DateTimeField(default=utcnow)
    finished_at = DateTimeField(null=True)
    #: the group's place in the practice on screen ("position:practice:step", the trainer tapping for the
    #: group), and the wrong taps on that pretend screen (issue 18)
    practice_at = CharField(null=True)
    practice_misses = IntegerField(null=True)

    class Meta:
        table_name = "group_session"


class Attempt(BaseModel):
    """One answer to one question: which option, whether it was right, tapped or spoken, and when."""

    uid = CharField(unique=True, default=new_uid)
    learner = ForeignKeyField(Learner, backref="attempts", on_delete="CASCADE")
    lesson_id = CharField()
    question_id = CharField()
    option_index = IntegerField()
    correct = BooleanField()
    mode = CharField(default="tap")  # "tap" or "voice"
    answered_at = DateTimeField(default=utcnow)
    #: for spoken answers: what the recogniser heard, and its mean word confidence
    transcript = TextField(null=True)
    confidence = FloatField(null=True)
    #: the run of the lesson this answer belongs to (see LessonProgress.run)
    run = IntegerField(default=0)
    #: the trainer's group session the answer was given in (None outside one, or once the session is deleted),
    #: and whether a trainer helped to give it; column ``session_id``, indexed: every projector tap reads it
    session = ForeignKeyField(GroupSession, null=True, backref="attempts", on_delete="SET NULL")
    assisted = BooleanField(default=False)
    #: an answer to a question asked again at the end of the lesson because its first answer was wrong
    retry = BooleanField(default=False)

    class Meta:
        indexes = ((("learner", "lesson_id", "question_id"), False),)


class Attendance(BaseModel):
    """A resident who came to a group session."""

    session = ForeignKeyField(GroupSession, backref="attendance", on_delete="CASCADE")
    learner = ForeignKeyField(Learner, backref="attendance", on_delete="CASCADE")

    class Meta:
        indexes = ((("session", "learner"), True),)


class SyncLog(BaseModel):
    """A sync bundle made here or taken in here: what it covered and how many records."""

    direction = CharField()  # "export" or "import"
    bundle = CharField(index=True)
    origin = CharField()
    since = DateTimeField(null=True)
    until = DateTimeField()
    records = IntegerField()
    summary = TextField()
    at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "sync_log"


class LocalSetting(BaseModel):
    """Facts about this database itself (its own sync id)."""

    key = CharField(primary_key=True)
    value = TextField()

    class Meta:
        table_name = "local_setting"


class CareLog(BaseModel):
    """Who changed what about a resident (or a trainer's account), and when: renames, PIN resets, moves,
    deletions, accounts switched off. A deleted resident's entries keep the action, never the details."""

    at = DateTimeField(default=utcnow, index=True)
    account = ForeignKeyField(Account, null=True, backref="care_done", on_delete="SET NULL")
    learner = ForeignKeyField(Learner, null=True, backref="care_log", on_delete="CASCADE")
    target_account = ForeignKeyField(Account, null=True, backref="care_received", on_delete="CASCADE",
                                     column_name="target_account_id")
    action = CharField()
    detail = TextField(default="")


class LoginAttempt(BaseModel):
    """Tries at a secret (trainers' passwords; later PINs and join codes), counted in the database so that
    concurrent tries cannot slip past the limit: one row per (scope, subject, client), and one per (scope,
    subject) for all clients together (client "*"). See ``learn.services.lockout`` for the policy."""

    scope = CharField()  # what kind of secret: "password"
    #: SHA-256 of what the secret was tried for (the username as typed, normalised): never kept in clear, so a
    #: password typed into the username box does not stay in the database
    subject = CharField()
    client = CharField()  # the client's network address, "unknown", or "*" for all clients together
    tries = IntegerField(default=0)  # tries counted since window_start
    window_start = DateTimeField(index=True)
    #: when this client last got in with the right secret (it then keeps its own tries under a flood)
    trusted_at = DateTimeField(null=True)

    class Meta:
        table_name = "login_attempt"
        indexes = ((("scope", "subject", "client"), True),)


class ReviewItem(BaseModel):
    """A question that comes back in a resident's spaced review ("Ôn lại", issue 18): one she answered wrong the
    first time, or a scam-spotting question of a lesson she finished. ``box`` is its Leitner box (0 to 3: due
    about 1, 3, 7 and 21 days after the last time); ``since`` is when the answer or completion that put it
    here happened; ``retired_at`` is set once it left the review (right in the last box)."""

    uid = CharField(unique=True, default=new_uid)
    learner = ForeignKeyField(Learner, backref="review_items", on_delete="CASCADE")
    lesson_id = CharField()
    question_id = CharField()
    reason = CharField()  # "wrong" or "scam"
    box = IntegerField(default=0)
    due_at = DateTimeField(index=True)
    since = DateTimeField()
    updated_at = DateTimeField(default=utcnow)
    retired_at = DateTimeField(null=True)

    class Meta:
        table_name = "review_item"
        indexes = ((("learner", "lesson_id", "question_id"), True),)


class ReviewAnswer(BaseModel):
    """One answer given in the spaced review: kept apart from ``Attempt`` (lesson answers), so it never moves
    lesson progress nor the reports of first answers. ``round`` is the review sitting it was given in, ``box``
    the item's box when it was asked."""

    uid = CharField(unique=True, default=new_uid)
    learner = ForeignKeyField(Learner, backref="review_answers", on_delete="CASCADE")
    lesson_id = CharField()
    question_id = CharField()
    option_index = IntegerField()
    correct = BooleanField()
    mode = CharField(default="tap")
    box = IntegerField()
    round = CharField(index=True)
    answered_at = DateTimeField(default=utcnow, index=True)

    class Meta:
        table_name = "review_answer"


class Recording(BaseModel):
    """A narration line recorded by the commune's tech team (issue 20): the exact NFC ``text`` it says (found by
    ``text_hash``), at ``speed``, in ``language``; ``audio`` is the clip's name in the audio cache (the sha-256 of
    its 24 kbit/s MP3). One per commune, text, speed and language: recording again replaces it (and its review).
    Until ``approved_at`` only its recorder hears it (unless LEARN_UNREVIEWED_VOICES=use)."""

    uid = CharField(unique=True, default=new_uid)
    commune = ForeignKeyField(Commune, backref="recordings", on_delete="CASCADE")
    text = TextField()
    text_hash = CharField()
    speed = CharField(default="normal")
    language = CharField(default="vi")
    lesson_id = CharField()  # the lesson it was recorded for (where it goes out of date)
    audio = CharField()
    seconds = FloatField()
    size = IntegerField()
    recorded_by = ForeignKeyField(Account, null=True, backref="recordings", on_delete="SET NULL")
    recorded_at = DateTimeField(default=utcnow)
    approved_by = ForeignKeyField(Account, null=True, backref="approved_recordings", on_delete="SET NULL")
    approved_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("commune", "text_hash", "speed", "language"), True),)


class NarrationLanguage(BaseModel):
    """A language the commune's tech team records narration in (issue 20), besides Vietnamese: its ``code``
    (short, lower-case, e.g. ``mtq`` for Mường; what recordings and residents' choices name) and its ``name`` as
    said after "Nghe bằng tiếng" (e.g. "Mường")."""

    uid = CharField(unique=True, default=new_uid)
    commune = ForeignKeyField(Commune, backref="narration_languages", on_delete="CASCADE")
    code = CharField()
    name = CharField()
    created_at = DateTimeField(default=utcnow)

    class Meta:
        table_name = "narration_language"
        indexes = ((("commune", "code"), True),)


TABLES = [Commune, Village, Learner, LessonProgress, Attempt, Utterance, Account, Outcome, CommuneTarget, GroupSession,
          Attendance, SyncLog, LocalSetting, AccountSession, CareLog, LoginAttempt, ResidentDevice,
          ReviewItem, ReviewAnswer, Recording, NarrationLanguage]
