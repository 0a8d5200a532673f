"""Offline sync, the storage side: what a laptop recorded since a time, as plain records keyed by global ids, and
the sync log (``progress_db.sync_in`` takes such records in).

Records refer to each other by ``uid`` (never by local ids).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from peewee import JOIN, fn

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
    NarrationLanguage,
    Outcome,
    ReviewAnswer,
    SyncLog,
    Utterance,
    Village,
    new_uid,
    utcnow,
)

KINDS = ("communes", "villages", "learners", "progress", "sessions", "attendance", "attempts", "utterances",
         "outcomes", "reviews", "languages")
#: kinds that bundles made before them do not have (taken as empty): answers given in spaced review (issue 18),
#: the communes' narration languages (issue 20)
OPTIONAL_KINDS = ("reviews", "languages")


class SyncDataError(ValueError):
    """Records that cannot be taken in (a missing reference, a wrong type); nothing was changed. ``reason``
    says which kind, for the message: "records" (they do not hold together), "other_commune" (they reach into
    another commune) or "account" (a session credited to someone who is not of the commune's team)."""

    def __init__(self, message: str, reason: str = "records") -> None:
        super().__init__(message)
        self.reason = reason


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
        reviews: list[Any] = list(ReviewAnswer.select(ReviewAnswer, Learner.uid.alias("learner_uid")).join(Learner)
                       .where(window(ReviewAnswer.answered_at)).objects())
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
        learner_uids = ({r.learner_uid for r in progress + attempts + utterances + outcomes + reviews}
                        | {a["learner_uid"] for a in attendance})
        changed = Learner.uid.in_(list(learner_uids) or [""]) | window(Learner.updated_at) | window(Learner.created_at)
        learners: list[Any] = list(Learner.select(Learner, Village.uid.alias("village_uid")).join(Village)
                        .where(changed).objects())
        village_ids = {x.village_id for x in learners} | {s.village_id for s in sessions}
        villages: list[Any] = list(Village.select(Village, Commune.uid.alias("commune_uid")).join(Commune)
                        .where(Village.id.in_(list(village_ids) or [0])).objects())
        # the narration languages (issue 20): every one of the bundle's communes (a few rows), and those added
        # meanwhile (with their commune)
        commune_ids = {v.commune_id for v in villages}
        languages: list[Any] = list(NarrationLanguage.select(NarrationLanguage, Commune.uid.alias("commune_uid"))
                                    .join(Commune)
                                    .where(NarrationLanguage.commune.in_(list(commune_ids) or [0])
                                           | window(NarrationLanguage.created_at))
                                    .order_by(NarrationLanguage.id).objects())
        commune_ids |= {x.commune_id for x in languages}
        communes = list(Commune.select().where(Commune.id.in_(list(commune_ids) or [0])))
    return {
        "communes": [{"uid": c.uid, "name": c.name, "created_at": _t(c.created_at)} for c in communes],
        "villages": [{"uid": v.uid, "commune": v.commune_uid, "name": v.name, "created_at": _t(v.created_at)}
                     for v in villages],
        "learners": [{"uid": x.uid, "village": x.village_uid, "display_name": x.display_name, "name_key": x.name_key,
                      "birth_year": x.birth_year, "household": x.household, "pin_hash": x.pin_hash,
                      "picture": x.picture, "picture_password_hash": x.picture_password_hash,
                      "created_at": _t(x.created_at), "updated_at": _t(x.updated_at),
                      "left_at": _t(x.left_at), "left_reason": x.left_reason,
                      "listen_language": x.listen_language} for x in learners],
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
                      "run": a.run, "session": a.session_uid, "assisted": bool(a.assisted),
                      "retry": bool(a.retry)} for a in attempts],
        "utterances": [{"uid": u.uid, "learner": u.learner_uid, "lesson_id": u.lesson_id,
                        "question_id": u.question_id, "position": u.position, "transcript": u.transcript,
                        "confidence": u.confidence, "outcome": u.outcome, "seconds": u.seconds,
                        "heard_at": _t(u.heard_at)} for u in utterances],
        "outcomes": [{"learner": o.learner_uid, "kind": o.kind, "ticked_at": _t(o.ticked_at)} for o in outcomes],
        # answers given in spaced review (the commune counts scam spotting kept on review); the review's schedule
        # itself stays on the laptop where she reviews
        "reviews": [{"uid": r.uid, "learner": r.learner_uid, "lesson_id": r.lesson_id, "question_id": r.question_id,
                     "option_index": r.option_index, "correct": bool(r.correct), "mode": r.mode, "box": r.box,
                     "round": r.round, "answered_at": _t(r.answered_at)} for r in reviews],
        "languages": [{"uid": x.uid, "commune": x.commune_uid, "code": x.code, "name": x.name,
                       "created_at": _t(x.created_at)} for x in languages],
    }


def only_commune(records: dict[str, list[dict[str, object]]], name: str) -> tuple[dict[str, list[dict[str, object]]],
                                                                                 list[str]]:
    """The records of the commune called ``name`` (what a laptop with that commune's key may send), and the
    names of the other communes whose records were left out."""
    communes = {c["uid"] for c in records["communes"] if c["name"] == name}
    others = sorted(str(c["name"]) for c in records["communes"] if c["name"] != name)
    villages = {v["uid"] for v in records["villages"] if v["commune"] in communes}
    learners = {x["uid"] for x in records["learners"] if x["village"] in villages}
    sessions = {s["uid"] for s in records["sessions"] if s["village"] in villages}
    return {
        "communes": [c for c in records["communes"] if c["uid"] in communes],
        "villages": [v for v in records["villages"] if v["uid"] in villages],
        "learners": [x for x in records["learners"] if x["uid"] in learners],
        "progress": [p for p in records["progress"] if p["learner"] in learners],
        "sessions": [s for s in records["sessions"] if s["uid"] in sessions],
        "attendance": [a for a in records["attendance"] if a["session"] in sessions and a["learner"] in learners],
        "attempts": [a for a in records["attempts"] if a["learner"] in learners
                     and (a["session"] is None or a["session"] in sessions)],
        "utterances": [u for u in records["utterances"] if u["learner"] in learners],
        "outcomes": [o for o in records["outcomes"] if o["learner"] in learners],
        "reviews": [r for r in records.get("reviews", []) if r["learner"] in learners],
        "languages": [x for x in records.get("languages", []) if x["commune"] in communes],
    }, others


def counts() -> dict[str, int]:
    """How many records of each kind this database holds (for tests and the import summary)."""
    tables = {"communes": Commune, "villages": Village, "learners": Learner, "progress": LessonProgress,
              "sessions": GroupSession, "attendance": Attendance, "attempts": Attempt, "utterances": Utterance,
              "outcomes": Outcome, "reviews": ReviewAnswer, "languages": NarrationLanguage}
    with database.connection_context():
        return {k: m.select().count() for k, m in tables.items()}


__all__ = ["KINDS", "OPTIONAL_KINDS", "SyncDataError", "collect", "counts", "device_id", "imported", "last_export",
           "log", "only_commune", "utcnow"]
