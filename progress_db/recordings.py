"""Recorded narration's storage (issue 20): one recording per commune, exact text, speed and language, with who
recorded it and who approved it. The clip itself is a file in the audio cache; this keeps its name. Every function
opens its own connection and returns plain data; who may hear or approve what is decided in
``learn.services.recordings`` and ``learn.services.narration``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peewee import JOIN, ModelSelect

from progress_db.db import database
from progress_db.models import Account, Learner, Recording, Village, utcnow


@dataclass(frozen=True)
class RecordingInfo:
    """A kept recording: what it says (NFC text), at which speed and in which language, its clip (``audio``: the
    clip's name in the audio cache), who recorded it and when, and who approved it (None: not reviewed yet)."""

    id: int
    commune_id: int
    text: str
    speed: str
    language: str
    lesson_id: str
    audio: str
    seconds: float
    size: int
    recorded_by: int | None
    recorder: str
    recorded_at: datetime
    approved_by: int | None = None
    approved_at: datetime | None = None

    @property
    def approved(self) -> bool:
        """Whether a second trainer or staff member has approved it."""
        return self.approved_at is not None


def text_hash(text: str) -> str:
    """The key a recording's text is found by (the text must already be NFC)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _select():  # type: ignore[no-untyped-def]
    return (Recording.select(Recording, Account.display_name)
            .join(Account, JOIN.LEFT_OUTER, on=(Recording.recorded_by == Account.id), attr="recorder"))


def _info(row: Recording) -> RecordingInfo:
    recorder = getattr(row, "recorder", None)
    return RecordingInfo(row.id, row.commune_id, row.text, row.speed, row.language, row.lesson_id, row.audio,
                         row.seconds, row.size, row.recorded_by_id,
                         recorder.display_name if recorder is not None else "", row.recorded_at,
                         row.approved_by_id, row.approved_at)


def keep(commune_id: int, text: str, speed: str, language: str, lesson_id: str, audio: str, seconds: float,
         size: int, account_id: int | None) -> RecordingInfo:
    """Keep a recording for ``text``: a new one replaces the commune's earlier one for the same text, speed and
    language, and is not reviewed yet."""
    now = utcnow()
    with database.atomic():
        found = Recording.get_or_none((Recording.commune == commune_id) & (Recording.text_hash == text_hash(text))
                                      & (Recording.speed == speed) & (Recording.language == language))
        if found is None:
            found = Recording(commune=commune_id, text=text, text_hash=text_hash(text), speed=speed,
                              language=language)
        found.lesson_id, found.audio, found.seconds, found.size = lesson_id, audio, seconds, size
        found.recorded_by_id, found.recorded_at, found.approved_by_id, found.approved_at = account_id, now, None, None
        found.save()
        return _info(_select().where(Recording.id == found.id).get())


def get(recording_id: int) -> RecordingInfo | None:
    """One recording, or None."""
    with database.connection_context():
        row = _select().where(Recording.id == recording_id).first()
        return None if row is None else _info(row)


def of_commune(commune_id: int, language: str = "vi") -> list[RecordingInfo]:
    """The commune's recordings in ``language``, oldest first."""
    with database.connection_context():
        rows = _select().where((Recording.commune == commune_id) & (Recording.language == language)) \
            .order_by(Recording.id)
        return [_info(r) for r in rows]


def approve(recording_id: int, account_id: int) -> RecordingInfo | None:
    """Mark a recording approved by ``account_id``; None when it no longer exists."""
    with database.atomic():
        Recording.update(approved_by=account_id, approved_at=utcnow()).where(Recording.id == recording_id).execute()
        row = _select().where(Recording.id == recording_id).first()
        return None if row is None else _info(row)


def commune_of(*, account_id: int | None = None, learner_id: int | None = None,
               village_id: int | None = None) -> int | None:
    """The commune of whoever listens: the signed-in account's, else the resident's (or her village's); None when
    none is known or found. One query."""
    query: ModelSelect[Any]
    if account_id is not None:
        query = Account.select(Account.commune).where(Account.id == account_id)
    elif learner_id is not None:
        query = Village.select(Village.commune).join(Learner).where(Learner.id == learner_id)
    elif village_id is not None:
        query = Village.select(Village.commune).where(Village.id == village_id)
    else:
        return None
    with database.connection_context():
        row = query.tuples().first()
    return None if row is None else row[0]


#: a commune's recordings by what finds them: (text hash, speed, language) -> newest approval first
Index = dict[tuple[str, str, str], tuple[RecordingInfo, ...]]


def index_of(commune_id: int) -> Index:
    """All of the commune's recordings, by text hash, speed and language, in the order ``candidates`` gives
    them (approved first, the latest approval first; then the oldest unreviewed). One query."""
    found: dict[tuple[str, str, str], list[RecordingInfo]] = {}
    with database.connection_context():
        rows = _select().where(Recording.commune == commune_id) \
            .order_by(Recording.approved_at.desc(nulls="LAST"), Recording.id)
        for row in rows:
            found.setdefault((row.text_hash, row.speed, row.language), []).append(_info(row))
    return {key: tuple(infos) for key, infos in found.items()}


def candidates(text: str, speed: str, language: str, *, account_id: int | None = None,
               learner_id: int | None = None, village_id: int | None = None) -> list[RecordingInfo]:
    """The recordings of ``text`` (NFC) at ``speed`` in ``language`` in the commune of whoever listens: the
    signed-in account's, else the resident's (or her village's); every commune's when none is known. One query."""
    where = ((Recording.text_hash == text_hash(text)) & (Recording.speed == speed)
             & (Recording.language == language))
    if account_id is not None:
        where &= Recording.commune.in_(Account.select(Account.commune).where(Account.id == account_id))
    elif learner_id is not None:
        where &= Recording.commune.in_(Village.select(Village.commune).join(Learner)
                                       .where(Learner.id == learner_id))
    elif village_id is not None:
        where &= Recording.commune.in_(Village.select(Village.commune).where(Village.id == village_id))
    with database.connection_context():
        return [_info(r) for r in _select().where(where).order_by(Recording.approved_at.desc(nulls="LAST"),
                                                                  Recording.id)]
