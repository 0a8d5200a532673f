"""Offline sync, the storage side: what a laptop recorded since a time, as plain records keyed by global ids,
and taking such records in without duplicates.

Records refer to each other by ``uid`` (never by local ids). Taking the same records in twice changes nothing:
answers, utterances and sessions are matched by uid; progress, outcomes and attendance by their natural keys;
a learner unknown by uid is matched by village, folded name and birth year (the same resident added on two
laptops), else created with the bundle's uid.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from peewee import JOIN, IntegrityError, fn

from progress_db.db import database
from progress_db.models import (
    Account,
    Attempt,
    Attendance,
    Commune,
    GroupSession,
    Learner,
    LessonProgress,
    LocalSetting,
    Outcome,
    SyncLog,
    Utterance,
    Village,
    new_uid,
    utcnow,
)
from progress_db.sql import as_datetime

KINDS = ("communes", "villages", "learners", "progress", "sessions", "attendance", "attempts", "utterances",
         "outcomes")


class SyncDataError(ValueError):
    """Records that cannot be taken in (a missing reference, a wrong type); nothing was changed."""


def device_id() -> str:
    """This database's own sync id, made on first use."""
    with database.connection_context(), database.atomic():
        row = LocalSetting.get_or_none(LocalSetting.key == "device")
        if row is None:
            row = LocalSetting.create(key="device", value=new_uid())
        return row.value


def last_export() -> datetime | None:
    """The end of the last export made here (the next one starts there)."""
    with database.connection_context():
        return (SyncLog.select(fn.MAX(SyncLog.until)).where(SyncLog.direction == "export").scalar())


def imported(bundle: str) -> bool:
    """Whether the bundle with this id was taken in here before."""
    with database.connection_context():
        return SyncLog.select().where((SyncLog.direction == "import") & (SyncLog.bundle == bundle)).exists()


def log(direction: str, bundle: str, origin: str, since: datetime | None, until: datetime,
        counts: dict[str, int]) -> None:
    with database.connection_context():
        SyncLog.create(direction=direction, bundle=bundle, origin=origin, since=since, until=until,
                       records=sum(counts.values()), summary=json.dumps(counts, sort_keys=True))


def _t(value: datetime | None) -> str | None:
    return value.isoformat(sep=" ") if value else None


def collect(since: datetime | None, until: datetime) -> dict[str, list[dict[str, object]]]:
    """Everything recorded or changed in [since, until), with every learner, village, commune and session it
    refers to, so a bundle stands on its own."""
    def window(column):  # type: ignore[no-untyped-def]
        return (column < until) & (column >= since) if since else (column < until)

    with database.connection_context():
        progress: list[Any] = list(LessonProgress.select(LessonProgress, Learner.uid.alias("learner_uid")).join(Learner)
                        .where(window(LessonProgress.updated_at)).objects())
        attempts: list[Any] = list(Attempt.select(Attempt, Learner.uid.alias("learner_uid"),
                                       GroupSession.uid.alias("session_uid"))
                        .join(Learner).switch(Attempt)
                        .join(GroupSession, on=(GroupSession.id == Attempt.session_id), join_type=JOIN.LEFT_OUTER)
                        .where(window(Attempt.answered_at)).objects())
        utterances: list[Any] = list(Utterance.select(Utterance, Learner.uid.alias("learner_uid")).join(Learner)
                          .where(window(Utterance.heard_at)).objects())
        outcomes: list[Any] = list(Outcome.select(Outcome, Learner.uid.alias("learner_uid")).join(Learner)
                        .where(window(Outcome.ticked_at)).objects())
        sessions: list[Any] = list(GroupSession.select(GroupSession, Village.uid.alias("village_uid"),
                                            Account.username.alias("username"))
                        .join(Village).switch(GroupSession).join(Account, join_type=JOIN.LEFT_OUTER)
                        .where(window(GroupSession.started_at) | window(GroupSession.finished_at)).objects())
        session_ids = {s.id for s in sessions} | {a.session_id for a in attempts if a.session_id}
        if session_ids - {s.id for s in sessions}:
            sessions += list(GroupSession.select(GroupSession, Village.uid.alias("village_uid"),
                                                 Account.username.alias("username"))
                             .join(Village).switch(GroupSession).join(Account, join_type=JOIN.LEFT_OUTER)
                             .where(GroupSession.id.in_(list(session_ids - {s.id for s in sessions}))).objects())
        attendance: list[Any] = list(Attendance.select(GroupSession.uid.alias("session_uid"),
                                                       Learner.uid.alias("learner_uid"))
                          .join(GroupSession).switch(Attendance).join(Learner)
                          .where(Attendance.session.in_(list(session_ids) or [0])).dicts())
        learner_uids = ({r.learner_uid for r in progress + attempts + utterances + outcomes}
                        | {a["learner_uid"] for a in attendance})
        changed = Learner.uid.in_(list(learner_uids) or [""]) | window(Learner.updated_at) | window(Learner.created_at)
        learners: list[Any] = list(Learner.select(Learner, Village.uid.alias("village_uid")).join(Village)
                        .where(changed).objects())
        village_ids = {x.village_id for x in learners} | {s.village_id for s in sessions}
        villages: list[Any] = list(Village.select(Village, Commune.uid.alias("commune_uid")).join(Commune)
                        .where(Village.id.in_(list(village_ids) or [0])).objects())
        communes = list(Commune.select().where(Commune.id.in_(list({v.commune_id for v in villages}) or [0])))
    return {
        "communes": [{"uid": c.uid, "name": c.name, "created_at": _t(c.created_at)} for c in communes],
        "villages": [{"uid": v.uid, "commune": v.commune_uid, "name": v.name, "created_at": _t(v.created_at)}
                     for v in villages],
        "learners": [{"uid": x.uid, "village": x.village_uid, "display_name": x.display_name, "name_key": x.name_key,
                      "birth_year": x.birth_year, "household": x.household, "pin_hash": x.pin_hash,
                      "created_at": _t(x.created_at), "updated_at": _t(x.updated_at),
                      "left_at": _t(x.left_at), "left_reason": x.left_reason} for x in learners],
        "progress": [{"uid": p.uid, "learner": p.learner_uid, "lesson_id": p.lesson_id, "position": p.position,
                      "screens": p.screens, "run": p.run, "started_at": _t(p.started_at),
                      "updated_at": _t(p.updated_at), "completed_at": _t(p.completed_at)} for p in progress],
        "sessions": [{"uid": s.uid, "village": s.village_uid, "account": s.username, "lesson_id": s.lesson_id,
                      "position": s.position, "started_at": _t(s.started_at), "finished_at": _t(s.finished_at)}
                     for s in sessions],
        "attendance": [{"session": a["session_uid"], "learner": a["learner_uid"]} for a in attendance],
        "attempts": [{"uid": a.uid, "learner": a.learner_uid, "lesson_id": a.lesson_id, "question_id": a.question_id,
                      "option_index": a.option_index, "correct": bool(a.correct), "mode": a.mode,
                      "answered_at": _t(a.answered_at), "transcript": a.transcript, "confidence": a.confidence,
                      "run": a.run, "session": a.session_uid, "assisted": bool(a.assisted)} for a in attempts],
        "utterances": [{"uid": u.uid, "learner": u.learner_uid, "lesson_id": u.lesson_id,
                        "question_id": u.question_id, "position": u.position, "transcript": u.transcript,
                        "confidence": u.confidence, "outcome": u.outcome, "seconds": u.seconds,
                        "heard_at": _t(u.heard_at)} for u in utterances],
        "outcomes": [{"learner": o.learner_uid, "kind": o.kind, "ticked_at": _t(o.ticked_at)} for o in outcomes],
    }


def merged_progress(ours: dict[str, object], theirs: dict[str, object]) -> dict[str, object]:
    """One learner's place in one lesson, from two records of it: the later run's place (the furthest within
    one run), the first completion, the earliest start and the latest change."""
    def key(p: dict[str, object]) -> tuple[int, datetime]:
        return int(p["run"]), as_datetime(p["updated_at"]) or datetime.min  # type: ignore[call-overload]

    newer = ours if key(ours) >= key(theirs) else theirs
    same_run = ours["run"] == theirs["run"]
    done = [d for d in (as_datetime(ours["completed_at"]), as_datetime(theirs["completed_at"])) if d]
    starts = [d for d in (as_datetime(ours["started_at"]), as_datetime(theirs["started_at"])) if d]
    return {"run": newer["run"], "screens": newer["screens"],
            "position": max(int(ours["position"]), int(theirs["position"])) if same_run  # type: ignore[call-overload]
            else newer["position"],
            "completed_at": min(done) if done else None, "started_at": min(starts) if starts else None,
            "updated_at": max(key(ours)[1], key(theirs)[1])}


@dataclass
class Applied:
    """What taking records in changed, by kind (records already here are not counted)."""

    added: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    matched_learners: int = 0


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


def apply(records: dict[str, list[dict[str, object]]], only_commune: str | None = None) -> Applied:
    """Take records in, all or nothing (one transaction). SyncDataError if they do not hold together, or if
    ``only_commune`` is given and any record belongs elsewhere (what one commune's staff may import)."""
    from progress_db.sql import is_postgres

    done = Applied()
    # SQLite: take the write lock at the start, so the import never fails half-way on "database is locked"
    lock = {} if is_postgres() else {"lock_type": "IMMEDIATE"}
    try:
        with database.connection_context(), database.atomic(**lock):
            _apply(records, done, only_commune)
    except (KeyError, TypeError, ValueError) as exc:
        raise SyncDataError(f"a record is missing a field or has a wrong type: {exc}") from exc
    except IntegrityError as exc:
        raise SyncDataError(f"records that contradict each other or this database: {exc}") from exc
    return done


def _same(found: Any, column: str, expected: int, what: str) -> None:
    """A record found by its global id must sit where the bundle says (no moving rows between communes)."""
    if found is not None and getattr(found, column) != expected:
        raise SyncDataError(f"a {what} in the bundle belongs elsewhere in this database: {found.uid!r}")


def _apply(records: dict[str, list[dict[str, object]]], done: Applied, only_commune: str | None) -> None:
    communes: dict[str, int] = {}
    for c in records["communes"]:
        if only_commune is not None and c["name"] != only_commune:
            raise SyncDataError(f"the bundle holds records of another commune: {c['name']!r}")
        # names are unique: a commune is always matched by name, so a uid cannot point at another commune
        commune = Commune.get_or_none(Commune.name == c["name"])
        if commune is None:
            commune = Commune.create(uid=c["uid"], name=c["name"], created_at=_when(c, "created_at"))
            done.added["communes"] += 1
        communes[str(c["uid"])] = commune.id
    villages: dict[str, int] = {}
    for v in records["villages"]:
        commune_id = _need(communes, v["commune"], "commune")
        village = Village.get_or_none(Village.uid == v["uid"])
        _same(village, "commune_id", commune_id, "village")
        village = village or Village.get_or_none((Village.commune == commune_id) & (Village.name == v["name"]))
        if village is None:
            village = Village.create(uid=v["uid"], commune=commune_id, name=v["name"],
                                     created_at=_when(v, "created_at"))
            done.added["villages"] += 1
        villages[str(v["uid"])] = village.id
    learners: dict[str, int] = {}
    for x in records["learners"]:
        village_id = _need(villages, x["village"], "village")
        person: Any = Learner.get_or_none(Learner.uid == x["uid"])
        _same(person, "village_id", village_id, "resident")
        if person is None and x["name_key"]:  # (a resident deleted on request has no name to match by)
            year = x["birth_year"]
            person = (Learner.select().where((Learner.village == village_id) & (Learner.name_key == x["name_key"])
                                          & (Learner.birth_year.is_null() if year is None
                                             else Learner.birth_year == year)).first())
            done.matched_learners += person is not None
        if person is None:
            person = Learner.create(uid=x["uid"], village=village_id, display_name=x["display_name"],
                                 name_key=x["name_key"], birth_year=x["birth_year"], household=x["household"],
                                 pin_hash=x["pin_hash"], created_at=_when(x, "created_at"),
                                 updated_at=_when(x, "updated_at"), left_at=_when(x, "left_at", required=False),
                                 left_reason=x.get("left_reason") if x.get("left_reason") in ("moved", "removed")
                                 else None)
            done.added["learners"] += 1
        elif person.left_reason == "removed":
            pass  # deleted on request here: no bundle brings her name or details back
        elif x.get("left_reason") == "removed":  # deleted on request on the other laptop: wiped here too
            Learner.update(display_name="", name_key="", birth_year=None, household=None, pin_hash=None,
                           left_at=_when(x, "left_at", required=False) or utcnow(), left_reason="removed",
                           updated_at=_when(x, "updated_at")).where(Learner.id == person.id).execute()
            Attempt.update(transcript=None).where(Attempt.learner == person.id).execute()
            Utterance.update(transcript="").where(Utterance.learner == person.id).execute()
        elif (_when(x, "updated_at") or datetime.min) > person.updated_at:
            moved = x.get("left_reason") == "moved"
            Learner.update(display_name=x["display_name"], household=x["household"],
                           pin_hash=x["pin_hash"] or person.pin_hash, updated_at=_when(x, "updated_at"),
                           left_at=(_when(x, "left_at", required=False) or utcnow()) if moved else None,
                           left_reason="moved" if moved else None).where(Learner.id == person.id).execute()
        learners[str(x["uid"])] = person.id
    for p in records["progress"]:
        learner_id = _need(learners, p["learner"], "learner")
        theirs = {k: p[k] for k in ("run", "screens", "position", "completed_at", "started_at", "updated_at")}
        place = LessonProgress.get_or_none((LessonProgress.learner == learner_id)
                                         & (LessonProgress.lesson_id == p["lesson_id"]))
        if place is None:
            LessonProgress.create(uid=p["uid"], learner=learner_id, lesson_id=p["lesson_id"], position=p["position"],
                                  screens=p["screens"], run=p["run"], started_at=_when(p, "started_at"),
                                  updated_at=_when(p, "updated_at"),
                                  completed_at=_when(p, "completed_at", required=False))
            done.added["progress"] += 1
            continue
        ours: dict[str, object] = {"run": place.run, "screens": place.screens, "position": place.position,
                                   "completed_at": place.completed_at, "started_at": place.started_at,
                                   "updated_at": place.updated_at}
        LessonProgress.update(**merged_progress(ours, theirs)).where(LessonProgress.id == place.id).execute()
    sessions: dict[str, int] = {}
    for s in records["sessions"]:
        village_id = _need(villages, s["village"], "village")
        held = GroupSession.get_or_none(GroupSession.uid == s["uid"])
        _same(held, "village_id", village_id, "group session")
        account = Account.get_or_none(Account.username == s["account"]) if s["account"] else None
        if held is None:
            held = GroupSession.create(uid=s["uid"], village=village_id, account=account, lesson_id=s["lesson_id"],
                                      position=s["position"], started_at=_when(s, "started_at"),
                                      finished_at=_when(s, "finished_at", required=False))
            done.added["sessions"] += 1
        elif s["finished_at"] and held.finished_at is None:
            GroupSession.update(finished_at=_when(s, "finished_at"), position=s["position"]).where(
                GroupSession.id == held.id).execute()
        sessions[str(s["uid"])] = held.id
    for a in records["attendance"]:
        session_id, learner_id = _need(sessions, a["session"], "session"), _need(learners, a["learner"], "learner")
        if not Attendance.select().where((Attendance.session == session_id)
                                         & (Attendance.learner == learner_id)).exists():
            Attendance.create(session=session_id, learner=learner_id)
            done.added["attendance"] += 1
    known = _existing(Attempt, [a["uid"] for a in records["attempts"]])
    for a in records["attempts"]:
        if a["uid"] in known:
            continue
        Attempt.create(uid=a["uid"], learner=_need(learners, a["learner"], "learner"), lesson_id=a["lesson_id"],
                       question_id=a["question_id"], option_index=a["option_index"], correct=bool(a["correct"]),
                       mode=a["mode"], answered_at=_when(a, "answered_at"), transcript=a["transcript"],
                       confidence=a["confidence"], run=a["run"], assisted=bool(a["assisted"]),
                       session_id=_need(sessions, a["session"], "session") if a["session"] else None)
        known.add(str(a["uid"]))
        done.added["attempts"] += 1
    heard = _existing(Utterance, [u["uid"] for u in records["utterances"]])
    for u in records["utterances"]:
        if u["uid"] in heard:
            continue
        Utterance.create(uid=u["uid"], learner=_need(learners, u["learner"], "learner"), lesson_id=u["lesson_id"],
                         question_id=u["question_id"], position=u["position"], transcript=u["transcript"],
                         confidence=u["confidence"], outcome=u["outcome"], seconds=u["seconds"],
                         heard_at=_when(u, "heard_at"))
        heard.add(str(u["uid"]))
        done.added["utterances"] += 1
    for o in records["outcomes"]:
        learner_id = _need(learners, o["learner"], "learner")
        if not Outcome.select().where((Outcome.learner == learner_id) & (Outcome.kind == o["kind"])).exists():
            Outcome.create(learner=learner_id, kind=o["kind"], ticked_at=_when(o, "ticked_at"))
            done.added["outcomes"] += 1


def _existing(model, uids: Iterable[object]) -> set[str]:  # type: ignore[no-untyped-def]
    """Which of these uids the table has already (in chunks the engines accept)."""
    wanted = [u for u in uids if isinstance(u, str)]
    found: set[str] = set()
    for start in range(0, len(wanted), 900):
        found |= {r.uid for r in model.select(model.uid).where(model.uid.in_(wanted[start:start + 900]))}
    return found


def counts() -> dict[str, int]:
    """How many records of each kind this database holds (for tests and the import summary)."""
    tables = {"communes": Commune, "villages": Village, "learners": Learner, "progress": LessonProgress,
              "sessions": GroupSession, "attendance": Attendance, "attempts": Attempt, "utterances": Utterance,
              "outcomes": Outcome}
    with database.connection_context():
        return {k: m.select().count() for k, m in tables.items()}


__all__ = ["KINDS", "Applied", "SyncDataError", "apply", "collect", "counts", "device_id", "imported",
           "last_export", "log", "merged_progress", "utcnow"]
