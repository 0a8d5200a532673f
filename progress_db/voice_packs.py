"""Voice packs' storage (issue 20): a commune's recordings as they travel to another laptop or the server, with
the names of who recorded and approved them and of their language; and taking a checked pack's recordings in,
all in one transaction (the newer recording of a text wins). Checking a pack is ``learn.services.voice_packs``'s
work; this trusts what it is given."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN, IntegrityError
from peewee import __exception_wrapper__ as driver_errors

from progress_db import languages
from progress_db.bulk import insert_rows
from progress_db.db import database
from progress_db.models import Account, NarrationLanguage, Recording, new_uid
from progress_db.recordings import text_hash


@dataclass(frozen=True)
class Packed:
    """One recording as a voice pack carries it: what it says, its language (``language_name`` and
    ``language_uid`` None for Vietnamese), its clip (``audio``, the MP3's sha-256), and who recorded and approved
    it, by username and name ("" when the account is gone)."""

    uid: str
    text: str
    speed: str
    language: str
    language_name: str | None
    language_uid: str | None
    lesson_id: str
    audio: str
    seconds: float
    size: int
    recorder_username: str
    recorder: str
    recorded_at: datetime
    approved_at: datetime | None
    approver_username: str
    approver: str


@dataclass(frozen=True)
class Counts:
    """What taking a pack in did: recordings new here, recordings that replaced an older one of the same text
    (or brought its approval), and recordings that were here already (or older than the one here)."""

    added: int = 0
    replaced: int = 0
    unchanged: int = 0


def of_commune(commune_id: int) -> list[Packed]:
    """Every recording of the commune, in every language, oldest first (one query)."""
    recorder, approver = Account.alias(), Account.alias()
    query = (Recording.select(Recording, recorder.username, recorder.display_name, approver.username,
                              approver.display_name, NarrationLanguage.name, NarrationLanguage.uid)
             .join(recorder, JOIN.LEFT_OUTER, on=(Recording.recorded_by == recorder.id), attr="recorder")
             .switch(Recording)
             .join(approver, JOIN.LEFT_OUTER, on=(Recording.approved_by == approver.id), attr="approver")
             .switch(Recording)
             .join(NarrationLanguage, JOIN.LEFT_OUTER,
                   on=((NarrationLanguage.commune == Recording.commune)
                       & (NarrationLanguage.code == Recording.language)), attr="narration_language")
             .where(Recording.commune == commune_id).order_by(Recording.id))
    with database.connection_context():
        rows = list(query)
    packed = []
    for row in rows:
        by, ok, spoken = (getattr(row, "recorder", None), getattr(row, "approver", None),
                          getattr(row, "narration_language", None))
        vietnamese = row.language == languages.VIETNAMESE
        packed.append(Packed(
            row.uid, row.text, row.speed, row.language,
            None if vietnamese else (spoken.name if spoken is not None and spoken.name else row.language),
            None if vietnamese or spoken is None else spoken.uid, row.lesson_id, row.audio, row.seconds, row.size,
            by.username if by is not None and by.username else "", by.display_name if by is not None and
            by.display_name else "", row.recorded_at, row.approved_at,
            ok.username if ok is not None and ok.username and row.approved_at else "",
            ok.display_name if ok is not None and ok.display_name and row.approved_at else ""))
    return packed


def _team(commune_id: int, usernames: set[str]) -> dict[str, int]:
    if not usernames:
        return {}
    return {a.username: a.id for a in Account.select(Account.id, Account.username)
            .where((Account.commune == commune_id) & Account.username.in_(sorted(usernames)))}


def take_in(commune_id: int, incoming: list[Packed]) -> Counts:
    """Take checked recordings into the commune (their clips are already in the audio cache), in one
    transaction: the languages they name are added to the commune, a recording new here is added, one recorded
    later than the commune's recording of the same text, speed and language replaces it, the same recording
    with an approval this one lacks brings the approval; anything else changes nothing. Who recorded and
    approved is kept when that account is of the commune here too (matched by username). The same pack taken in
    twice at once (two uploads, two commands): the second transaction waits for the first (SQLite: it takes the
    write lock at its start) or clashes with it and is tried again, and then finds the recordings there."""
    from progress_db.sql import is_postgres

    lock = {} if is_postgres() else {"lock_type": "IMMEDIATE"}
    for attempt in range(3):
        try:
            with database.atomic(**lock):
                return _take_in(commune_id, incoming)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _take_in(commune_id: int, incoming: list[Packed]) -> Counts:
    added = replaced = unchanged = 0
    for code, name, uid in sorted({(p.language, p.language_name or p.language, p.language_uid)
                                   for p in incoming if p.language != languages.VIETNAMESE}):
        # the language's uid travels with it, unless here it is another commune's (or another language's)
        taken = NarrationLanguage.get_or_none(NarrationLanguage.uid == uid) if uid else None
        fits = taken is None or (taken.commune_id == commune_id and taken.code == code)
        languages.ensure(commune_id, code, name, uid if fits else None)
    team = _team(commune_id, {p.recorder_username for p in incoming} | {p.approver_username for p in incoming})
    # the commune's recordings and the uids taken, read once; the new recordings written together (one query a
    # recording made a pack of 10,000 lines take minutes)
    here = {(r.text_hash, r.speed, r.language): r for r in Recording.select().where(Recording.commune == commune_id)}
    wanted = [p.uid for p in incoming]
    taken_uids = {r.uid for start in range(0, len(wanted), 900)
                  for r in Recording.select(Recording.uid).where(Recording.uid.in_(wanted[start:start + 900]))}
    new_rows = []
    for p in incoming:
        digest = text_hash(p.text)
        found = here.get((digest, p.speed, p.language))
        approved_by = team.get(p.approver_username) if p.approved_at else None
        if found is None:
            new_rows.append((p.uid if p.uid not in taken_uids else new_uid(), commune_id, p.text, digest, p.speed,
                             p.language, p.lesson_id, p.audio, p.seconds, p.size, team.get(p.recorder_username),
                             p.recorded_at, approved_by, p.approved_at))
            added += 1
            continue
        if p.recorded_at > found.recorded_at:
            replaced += 1
        elif (p.recorded_at == found.recorded_at and p.audio == found.audio and p.approved_at is not None
              and found.approved_at is None):
            found.approved_by_id, found.approved_at = approved_by, p.approved_at
            found.save()
            replaced += 1
            continue
        else:
            unchanged += 1
            continue
        found.lesson_id, found.audio, found.seconds, found.size = p.lesson_id, p.audio, p.seconds, p.size
        found.recorded_by_id, found.recorded_at = team.get(p.recorder_username), p.recorded_at
        found.approved_by_id, found.approved_at = approved_by, p.approved_at
        found.save()
    with driver_errors:  # as peewee's own (a clash with the same pack taken in at once is an IntegrityError)
        insert_rows("recording", ("uid", "commune_id", "text", "text_hash", "speed", "language", "lesson_id", "audio",
                                  "seconds", "size", "recorded_by_id", "recorded_at", "approved_by_id",
                                  "approved_at"), new_rows)
    return Counts(added, replaced, unchanged)
