"""Offline sync, taking records in without duplicates, part by part.

Taking the same records in twice changes nothing: answers, utterances and sessions are matched by uid; progress,
outcomes and attendance by their natural keys; a learner unknown by uid is matched by village, folded name and
birth year (the same resident added on two laptops), else created with the bundle's uid.

Why parts, and why that is still all or nothing in effect. SQLite has one write lock for the whole database: one
transaction for a 60,000-answer bundle held it for 20 s, and residents' answers meanwhile failed with "database
is locked". So the records are written ``PART`` at a time, each part its own transaction, with a pause after it
for the writers that waited. What keeps that safe:

- A bundle is refused before anything is written: its fields are checked whole by the caller
  (``learn.services.sync_rules``), and everything that depends on this database (rows found by uid sitting
  elsewhere, another commune's records, sessions credited to someone outside the commune) is checked here first,
  without writing.
- Parts are written in reference order (communes and villages, residents, sessions, then progress, attendance,
  answers, utterances, outcomes), so what is written at any moment refers only to rows already there, and each
  record is written whole in one transaction: a crash leaves fewer of the bundle's records, never a broken one.
- Writing is idempotent (matching above), and every part after the residents and sessions is logged as written
  (``sync_log`` rows "import-part", keyed by the bundle and a fingerprint of its content) in the transaction
  that writes it. The bundle is marked taken in ("import") only with its last part. An import that stopped
  half-way (a crash, a full disk) is finished by taking the same file in again: the parts written are skipped,
  communes, villages, residents and sessions are written again (finding themselves), and nothing is counted
  twice. ``unfinished()`` lists such bundles, and `learn sync import` says so.
- It is not rolled back instead, because a merge of progress or a renamed resident cannot be undone without
  keeping every old value, and because what a half import wrote is true: answers given on a laptop.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from peewee import DatabaseError, IntegrityError

from progress_db import languages as narration_languages
from progress_db.bulk import insert_rows
from progress_db.db import database
from progress_db.learning import merged_progress
from progress_db.models import (
    Account,
    Attempt,
    Attendance,
    Commune,
    GroupSession,
    Learner,
    LessonProgress,
    NarrationLanguage,
    Outcome,
    ReviewAnswer,
    SyncLog,
    Utterance,
    Village,
    utcnow,
)
from progress_db.records import Role
from progress_db.sql import as_datetime
from progress_db.sync import KINDS, SyncDataError


@dataclass
class Applied:
    """What taking records in changed, by kind (records already here are not counted)."""

    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    matched_learners: int = 0

    def merge(self, other: Applied) -> None:
        for kind, n in other.added.items():
            self.added[kind] += n
        self.matched_learners += other.matched_learners


@dataclass(frozen=True)
class Incoming:
    """The bundle whose records are taken in: its id, the laptop it came from, when it was made, and a fingerprint
    of its content (a part logged as written counts only for the same content)."""

    bundle: str
    origin: str
    created_at: datetime
    fingerprint: str


class Interrupted(Exception):
    """Taking a bundle in stopped after some of its parts were written (the database failed or was changed
    meanwhile): what was written is whole and consistent, and taking the same bundle in again finishes it."""


#: records written per transaction. SQLite has one write lock for the whole database: residents' answers wait
#: for one part (tens of milliseconds), never for the whole bundle. Residents and sessions are written one by one
#: (their new ids are needed), so their parts are smaller.
PART = 1_000
SMALL_PART = 200
#: kinds written in logged parts, skipped when an interrupted import is taken up again; communes, villages,
#: learners and sessions are written again every time (idempotent), since the later parts need their ids
BODY = ("progress", "attendance", "attempts", "utterances", "outcomes", "reviews")


def _need(mapping: dict[str, int], uid: object, what: str) -> int:
    if not isinstance(uid, str) or uid not in mapping:
        raise SyncDataError(f"a record refers to a {what} that is not in the bundle: {uid!r}")
    return mapping[uid]


def _when(record: dict[str, object], key: str, *, required: bool = True) -> datetime | None:
    value = record.get(key)
    if value is None and not required:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise SyncDataError(f"{key} is not a time: {value!r}") from exc


def apply(records: dict[str, list[dict[str, object]]], incoming: Incoming, only_commune: str | None = None, *,
          session_roles: tuple[Role, ...] = ("trainer", "staff")) -> Applied:
    """Take checked records in. Everything that depends on this database is checked first, without writing:
    SyncDataError if a record found here sits elsewhere than the bundle says, if ``only_commune`` is given and a
    record belongs to another commune, or if a group session names an account that is not a trainer or staff
    member (``session_roles``) of the session's commune. Then the records are written part by part (``PART``
    records per transaction, so others can write in between), the parts of answers and the like logged; the
    bundle is logged as taken in with its last part. Interrupted if the database fails mid-way: taking the same
    bundle in again writes only what is missing."""
    with database.connection_context():
        try:
            _check_places(records, only_commune, session_roles)
        except SyncDataError:
            raise
        except (KeyError, TypeError, ValueError) as exc:
            raise SyncDataError(f"a record is missing a field or has a wrong type: {exc}") from exc
        return _write_parts(records, incoming, only_commune)


def _write_parts(records: dict[str, list[dict[str, object]]], incoming: Incoming,
                 only_commune: str | None) -> Applied:
    from progress_db.sql import is_postgres

    done, maps = Applied(), _Maps()
    # SQLite: take the write lock at the start of each part, so a part never fails half-way on "database is
    # locked"; and leave a gap after each, as long as the part took, for the writers that waited
    lock, pause = ({}, False) if is_postgres() else ({"lock_type": "IMMEDIATE"}, True)
    written = _parts_written(incoming)
    steps: list[tuple[int | None, Callable[[Applied], None]]] = [
        (None, partial(_start, records, maps, incoming, only_commune))]
    steps += [(None, partial(_learners, part, maps)) for part in _parts(records["learners"], SMALL_PART)]
    steps += [(None, partial(_sessions, part, maps)) for part in _parts(records["sessions"], SMALL_PART)]
    count = 0
    for kind in BODY:
        for part in _parts(records.get(kind, [])):  # (older bundles have no review answers)
            count += 1
            if count not in written:
                steps.append((count, partial(_BODY[kind], part, maps)))
    steps.append((None, partial(_finish, incoming, done)))
    wrote = False
    for number, step in steps:
        try:
            got = _write(step, number, incoming, lock, pause)
        except (KeyError, TypeError, ValueError, DatabaseError) as exc:
            if wrote:
                raise Interrupted(f"stopped after some parts were written: {exc}") from exc
            if isinstance(exc, SyncDataError) or (isinstance(exc, DatabaseError)
                                                  and not isinstance(exc, IntegrityError)):
                raise
            raise SyncDataError(f"records that do not fit this database: {exc}") from exc
        wrote = True
        done.merge(got)
    return done


def _write(step: Callable[[Applied], None], number: int | None, incoming: Incoming, lock: dict[str, str],
           pause: bool) -> Applied:
    """One part in one transaction; tried again when it clashed with the same records written meanwhile (the
    same bundle taken in twice at once): the second time they are found."""
    for attempt in range(3):
        got = Applied()
        started = time.perf_counter()
        try:
            with database.atomic(**lock):
                step(got)
                if number is not None:
                    SyncLog.create(direction="import-part", bundle=incoming.bundle, origin=incoming.origin,
                                   until=incoming.created_at, records=sum(got.added.values()),
                                   summary=json.dumps({"part": number, "content": _content(incoming)}))
        except IntegrityError:
            if attempt == 2:
                raise
            continue
        if pause:
            time.sleep(min(0.5, max(0.005, time.perf_counter() - started)))
        return got
    raise AssertionError("unreachable")


def _parts(items: list[dict[str, object]], size: int | None = None) -> list[list[dict[str, object]]]:
    step = size or PART
    return [items[i:i + step] for i in range(0, len(items), step)]


def _content(incoming: Incoming) -> str:
    """What a logged part number means: this content, cut in parts of this size."""
    return f"{incoming.fingerprint}/{PART}"


def _parts_written(incoming: Incoming) -> set[int]:
    """The logged parts of this bundle (same content) written by an earlier, interrupted import."""
    rows = SyncLog.select(SyncLog.summary).where((SyncLog.direction == "import-part")
                                                 & (SyncLog.bundle == incoming.bundle))
    found = set()
    for row in rows:
        part = json.loads(row.summary)
        if part.get("content") == _content(incoming):
            found.add(int(part["part"]))
    return found


def unfinished() -> list[str]:
    """Bundles whose import was interrupted and not taken up again since (take the same file in again)."""
    with database.connection_context():
        done = SyncLog.select(SyncLog.bundle).where(SyncLog.direction == "import")
        rows = (SyncLog.select(SyncLog.bundle).distinct()
                .where((SyncLog.direction == "import-started") & SyncLog.bundle.not_in(done)))
        return sorted(r.bundle for r in rows)


@dataclass
class _Maps:
    """Bundle uids to this database's ids, filled as the parts are written."""

    communes: dict[str, int] = field(default_factory=dict)
    villages: dict[str, int] = field(default_factory=dict)
    learners: dict[str, int] = field(default_factory=dict)
    sessions: dict[str, int] = field(default_factory=dict)
    accounts: dict[str, int | None] = field(default_factory=dict)


def _same(found: Any, column: str, expected: int | None, what: str) -> None:
    """A record found by its global id must sit where the bundle says (no moving rows between communes)."""
    if found is not None and getattr(found, column) != expected:
        raise SyncDataError(f"a {what} in the bundle belongs elsewhere in this database: {found.uid!r}")


def _found_by_uid(model, uids: Iterable[object], column: str) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """uid -> ``column`` of the rows of ``model`` this database has for these uids."""
    wanted = [u for u in uids if isinstance(u, str)]
    found: dict[str, int] = {}
    for start in range(0, len(wanted), 900):
        query = model.select(model.uid, getattr(model, column)).where(model.uid.in_(wanted[start:start + 900]))
        found.update({r.uid: getattr(r, column) for r in query})
    return found


def _check_places(records: dict[str, list[dict[str, object]]], only_commune: str | None,
                  session_roles: tuple[Role, ...]) -> None:
    """Everything about the bundle that depends on this database, checked before anything is written."""
    communes: dict[str, int | None] = {}
    for c in records["communes"]:
        if only_commune is not None and c["name"] != only_commune:
            raise SyncDataError(f"the bundle holds records of another commune: {c['name']!r}", "other_commune")
        # names are unique: a commune is always matched by name, so a uid cannot point at another commune
        found = Commune.get_or_none(Commune.name == c["name"])
        communes[str(c["uid"])] = found.id if found else None
    villages: dict[str, int | None] = {}
    village_commune: dict[str, int | None] = {}
    for v in records["villages"]:
        commune_id = communes[str(v["commune"])]
        village: Any = Village.get_or_none(Village.uid == v["uid"])
        _same(village, "commune_id", commune_id, "village")
        if village is None and commune_id is not None:
            village = Village.get_or_none((Village.commune == commune_id) & (Village.name == v["name"]))
        villages[str(v["uid"])], village_commune[str(v["uid"])] = (village.id if village else None), commune_id
    placed_languages = _found_by_uid(NarrationLanguage, [x["uid"] for x in records.get("languages", [])],
                                     "commune_id")
    for x in records.get("languages", []):
        if x["uid"] in placed_languages and placed_languages[str(x["uid"])] != communes[str(x["commune"])]:
            raise SyncDataError(f"a language in the bundle belongs elsewhere in this database: {x['uid']!r}")
    for kind, model in (("learners", Learner), ("sessions", GroupSession)):
        placed = _found_by_uid(model, [r["uid"] for r in records[kind]], "village_id")
        for r in records[kind]:
            if r["uid"] in placed and placed[str(r["uid"])] != villages[str(r["village"])]:
                raise SyncDataError(f"a {kind[:-1]} in the bundle belongs elsewhere in this database: {r['uid']!r}")
    names = {str(s["account"]) for s in records["sessions"] if s["account"]}
    accounts = {a.username: a for a in Account.select().where(Account.username.in_(list(names) or [""]))}
    for s in records["sessions"]:
        account = accounts.get(str(s["account"])) if s["account"] else None
        if account is not None and (account.role not in session_roles
                                    or account.commune_id != village_commune[str(s["village"])]):
            raise SyncDataError(f"a group session is credited to {account.username!r}, who is not a trainer or "
                                "staff member of its commune", "account")


def _start(records: dict[str, list[dict[str, object]]], maps: _Maps, incoming: Incoming, only_commune: str | None,
           done: Applied) -> None:
    """The first part: communes and villages (few), and the mark that this bundle's import has begun."""
    for c in records["communes"]:
        if only_commune is not None and c["name"] != only_commune:
            raise SyncDataError(f"the bundle holds records of another commune: {c['name']!r}", "other_commune")
        commune = Commune.get_or_none(Commune.name == c["name"])
        if commune is None:
            commune = Commune.create(uid=c["uid"], name=c["name"], created_at=_when(c, "created_at"))
            done.added["communes"] += 1
        maps.communes[str(c["uid"])] = commune.id
    for v in records["villages"]:
        commune_id = _need(maps.communes, v["commune"], "commune")
        village = Village.get_or_none(Village.uid == v["uid"])
        _same(village, "commune_id", commune_id, "village")
        village = village or Village.get_or_none((Village.commune == commune_id) & (Village.name == v["name"]))
        if village is None:
            village = Village.create(uid=v["uid"], commune=commune_id, name=v["name"],
                                     created_at=_when(v, "created_at"))
            done.added["villages"] += 1
        maps.villages[str(v["uid"])] = village.id
    for x in records.get("languages", []):  # (few; a language the commune has already keeps its name)
        _, added = narration_languages.ensure(_need(maps.communes, x["commune"], "commune"), str(x["code"]),
                                              str(x["name"]), str(x["uid"]))
        done.added["languages"] += added
    if not SyncLog.select().where((SyncLog.direction == "import-started")
                                  & (SyncLog.bundle == incoming.bundle)).exists():
        SyncLog.create(direction="import-started", bundle=incoming.bundle, origin=incoming.origin,
                       until=incoming.created_at, records=0, summary="{}")


def _learners(part: list[dict[str, object]], maps: _Maps, done: Applied) -> None:
    by_uid = {r.uid: r for r in Learner.select().where(Learner.uid.in_([x["uid"] for x in part]))}
    # residents a record may be matched with: same village, name and year (the first added, as a query would)
    wanted = {(_need(maps.villages, x["village"], "village"), x["name_key"]) for x in part if x["name_key"]}
    by_name: dict[tuple[int, object, object], Any] = {}
    for r in (Learner.select().where(Learner.name_key.in_(list({k for _, k in wanted}) or [""])
                                     & Learner.village.in_(list({v for v, _ in wanted}) or [0]))
              .order_by(Learner.id)):
        by_name.setdefault((r.village_id, r.name_key, r.birth_year), r)
    for x in part:
        village_id = _need(maps.villages, x["village"], "village")
        person: Any = by_uid.get(str(x["uid"]))
        _same(person, "village_id", village_id, "resident")
        if person is None and x["name_key"]:  # (a resident deleted on request has no name to match by)
            person = by_name.get((village_id, x["name_key"], x["birth_year"]))
            done.matched_learners += person is not None
        if person is None:
            person = Learner.create(uid=x["uid"], village=village_id, display_name=x["display_name"],
                                 name_key=x["name_key"], birth_year=x["birth_year"], household=x["household"],
                                 pin_hash=x["pin_hash"], picture=x.get("picture"),
                                 picture_password_hash=x.get("picture_password_hash"),
                                 listen_language=x.get("listen_language"),
                                 created_at=_when(x, "created_at"),
                                 updated_at=_when(x, "updated_at"), left_at=_when(x, "left_at", required=False),
                                 left_reason=x.get("left_reason") if x.get("left_reason") in ("moved", "removed")
                                 else None)
            done.added["learners"] += 1
            if x["name_key"]:
                by_name.setdefault((village_id, x["name_key"], x["birth_year"]), person)
        elif person.left_reason == "removed":
            pass  # deleted on request here: no bundle brings her name or details back
        elif x.get("left_reason") == "removed":  # deleted on request on the other laptop: wiped here too
            Learner.update(display_name="", name_key="", birth_year=None, household=None, pin_hash=None,
                           picture_password_hash=None, left_at=_when(x, "left_at", required=False) or utcnow(),
                           left_reason="removed",
                           updated_at=_when(x, "updated_at")).where(Learner.id == person.id).execute()
            Attempt.update(transcript=None).where(Attempt.learner == person.id).execute()
            Utterance.update(transcript="").where(Utterance.learner == person.id).execute()
        elif (_when(x, "updated_at") or datetime.min) > person.updated_at:
            moved = x.get("left_reason") == "moved"
            # her secret travels whole: a PIN or a picture password (never both), as the newer record has it
            newer_secret = bool(x["pin_hash"] or x.get("picture_password_hash"))
            Learner.update(display_name=x["display_name"], household=x["household"],
                           pin_hash=x["pin_hash"] if newer_secret else person.pin_hash,
                           picture_password_hash=x.get("picture_password_hash") if newer_secret
                           else person.picture_password_hash,
                           picture=x.get("picture") or person.picture, updated_at=_when(x, "updated_at"),
                           # the language she hears, as the newer record has it (older bundles do not say)
                           listen_language=x["listen_language"] if "listen_language" in x
                           else person.listen_language,
                           left_at=(_when(x, "left_at", required=False) or utcnow()) if moved else None,
                           left_reason="moved" if moved else None).where(Learner.id == person.id).execute()
        maps.learners[str(x["uid"])] = person.id


def _sessions(part: list[dict[str, object]], maps: _Maps, done: Applied) -> None:
    for s in part:
        village_id = _need(maps.villages, s["village"], "village")
        held = GroupSession.get_or_none(GroupSession.uid == s["uid"])
        _same(held, "village_id", village_id, "group session")
        name = str(s["account"]) if s["account"] else None
        if name is not None and name not in maps.accounts:
            maps.accounts[name] = Account.select(Account.id).where(Account.username == name).scalar()
        account = maps.accounts[name] if name is not None else None
        if held is None:
            held = GroupSession.create(uid=s["uid"], village=village_id, account=account, lesson_id=s["lesson_id"],
                                      position=s["position"], started_at=_when(s, "started_at"),
                                      finished_at=_when(s, "finished_at", required=False))
            done.added["sessions"] += 1
        elif s["finished_at"] and held.finished_at is None:
            GroupSession.update(finished_at=_when(s, "finished_at"), position=s["position"]).where(
                GroupSession.id == held.id).execute()
        maps.sessions[str(s["uid"])] = held.id


_PLACE = ("run", "screens", "position", "completed_at", "started_at", "updated_at")


def _progress(part: list[dict[str, object]], maps: _Maps, done: Applied) -> None:
    keyed = [((_need(maps.learners, p["learner"], "learner"), str(p["lesson_id"])), p) for p in part]
    rows = (LessonProgress.select().where(LessonProgress.learner.in_(list({x for (x, _), _ in keyed}) or [0])))
    here: dict[tuple[int, str], Any] = {(r.learner_id, r.lesson_id): r for r in rows}
    state: dict[tuple[int, str], dict[str, object]] = {}  # each place as merged so far
    for key, p in keyed:
        theirs = {k: p[k] for k in _PLACE}
        if key not in state:
            if key not in here:
                state[key] = {**theirs, "uid": p["uid"]}
                continue
            state[key] = {k: getattr(here[key], k) for k in _PLACE}
        state[key].update(merged_progress(state[key], theirs))
    new = []
    for key, place in state.items():
        times = {k: as_datetime(place[k]) for k in ("completed_at", "started_at", "updated_at")}
        if key in here:
            if any(place[k] != getattr(here[key], k) for k in ("run", "screens", "position")) or any(
                    times[k] != getattr(here[key], k) for k in times):
                LessonProgress.update(run=place["run"], screens=place["screens"], position=place["position"],
                                      **times).where(LessonProgress.id == here[key].id).execute()
        else:
            new.append({"uid": place["uid"], "learner": key[0], "lesson_id": key[1], "run": place["run"],
                        "screens": place["screens"], "position": place["position"], **times})
    _insert(LessonProgress, new)
    done.added["progress"] += len(new)


def _attendance(part: list[dict[str, object]], maps: _Maps, done: Applied) -> None:
    pairs = {(_need(maps.sessions, a["session"], "session"), _need(maps.learners, a["learner"], "learner"))
             for a in part}
    here = {(r.session_id, r.learner_id) for r in Attendance.select(Attendance.session, Attendance.learner)
            .where(Attendance.session.in_(list({s for s, _ in pairs}) or [0]))}
    new = sorted(pairs - here)
    _insert(Attendance, [{"session": session, "learner": learner} for session, learner in new])
    done.added["attendance"] += len(new)


def _insert(model, rows: list[dict[str, object]]) -> None:  # type: ignore[no-untyped-def]
    """Insert rows given by field name, many per statement (peewee's own insert_many spends seconds building the
    SQL of 60,000 answers)."""
    if rows:
        names = list(rows[0])
        columns = [model._meta.fields[n].column_name for n in names]
        insert_rows(model._meta.table_name, columns, ([r[n] for n in names] for r in rows))


def _attempts(part: list[dict[str, object]], maps: _Maps, done: Applied) -> None:
    known = _existing(Attempt, [a["uid"] for a in part])
    rows = [{"uid": a["uid"], "learner": _need(maps.learners, a["learner"], "learner"), "lesson_id": a["lesson_id"],
             "question_id": a["question_id"], "option_index": a["option_index"], "correct": bool(a["correct"]),
             "mode": a["mode"], "answered_at": _when(a, "answered_at"), "transcript": a["transcript"],
             "confidence": a["confidence"], "run": a["run"], "assisted": bool(a["assisted"]),
             "retry": bool(a.get("retry", False)),  # bundles made before retries (issue 16) have none
             "session": _need(maps.sessions, a["session"], "session") if a["session"] else None}
            for a in part if a["uid"] not in known]
    _insert(Attempt, rows)
    done.added["attempts"] += len(rows)


def _utterances(part: list[dict[str, object]], maps: _Maps, done: Applied) -> None:
    heard = _existing(Utterance, [u["uid"] for u in part])
    rows = [{"uid": u["uid"], "learner": _need(maps.learners, u["learner"], "learner"), "lesson_id": u["lesson_id"],
             "question_id": u["question_id"], "position": u["position"], "transcript": u["transcript"],
             "confidence": u["confidence"], "outcome": u["outcome"], "seconds": u["seconds"],
             "heard_at": _when(u, "heard_at")} for u in part if u["uid"] not in heard]
    _insert(Utterance, rows)
    done.added["utterances"] += len(rows)


def _outcomes(part: list[dict[str, object]], maps: _Maps, done: Applied) -> None:
    wanted: dict[tuple[int, str], datetime | None] = {}
    for o in part:
        wanted.setdefault((_need(maps.learners, o["learner"], "learner"), str(o["kind"])), _when(o, "ticked_at"))
    here = {(r.learner_id, r.kind) for r in Outcome.select(Outcome.learner, Outcome.kind)
            .where(Outcome.learner.in_(list({x for x, _ in wanted}) or [0]))}
    new: list[dict[str, object]] = [{"learner": x, "kind": kind, "ticked_at": at}
                                    for (x, kind), at in wanted.items() if (x, kind) not in here]
    _insert(Outcome, new)
    done.added["outcomes"] += len(new)


def _reviews(part: list[dict[str, object]], maps: _Maps, done: Applied) -> None:
    known = _existing(ReviewAnswer, [r["uid"] for r in part])
    rows = [{"uid": r["uid"], "learner": _need(maps.learners, r["learner"], "learner"), "lesson_id": r["lesson_id"],
             "question_id": r["question_id"], "option_index": r["option_index"], "correct": bool(r["correct"]),
             "mode": r["mode"], "box": r["box"], "round": r["round"], "answered_at": _when(r, "answered_at")}
            for r in part if r["uid"] not in known]
    _insert(ReviewAnswer, rows)
    done.added["reviews"] += len(rows)


_BODY: dict[str, Callable[[list[dict[str, object]], _Maps, Applied], None]] = {
    "progress": _progress, "attendance": _attendance, "attempts": _attempts, "utterances": _utterances,
    "outcomes": _outcomes, "reviews": _reviews}


def _finish(incoming: Incoming, done: Applied, got: Applied) -> None:
    """The last part: the bundle is logged as taken in (with everything this import added), its parts' log goes."""
    total = Applied()
    total.merge(done)
    total.merge(got)
    SyncLog.create(direction="import", bundle=incoming.bundle, origin=incoming.origin, since=None,
                   until=incoming.created_at, records=sum(total.added.values()),
                   summary=json.dumps(total.added, sort_keys=True))
    SyncLog.delete().where((SyncLog.bundle == incoming.bundle)
                           & SyncLog.direction.in_(["import-part", "import-started"])).execute()


def _existing(model, uids: Iterable[object]) -> set[str]:  # type: ignore[no-untyped-def]
    """Which of these uids the table has already (in chunks the engines accept)."""
    return set(_found_by_uid(model, uids, "id"))


__all__ = ["PART", "Applied", "Incoming", "Interrupted", "apply", "unfinished"]
