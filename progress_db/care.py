"""Reads and writes for caring for a village's roster and seeing who has learned what: a resident's details,
PIN, moving away, deletion on request, switching a trainer's account off, the care log, and the coach's views of
progress (a resident's lessons and wrong answers, a village's lesson x resident grid, recent activity)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from peewee import JOIN, fn

from progress_db.db import database
from progress_db.models import (
    Account,
    AccountSession,
    Attempt,
    Attendance,
    CareLog,
    GroupSession,
    Learner,
    LessonProgress,
    Outcome,
    Utterance,
    utcnow,
)
from progress_db.records import ProgressInfo, UtteranceInfo


def _logged(account_id: int | None, action: str, learner_id: int | None, detail: str = "",
            target_account_id: int | None = None) -> None:
    CareLog.create(account=account_id, action=action, learner=learner_id, target_account=target_account_id,
                   detail=detail)


def update_learner(learner_id: int, account_id: int | None, action: str, detail: str, **fields: object) -> None:
    """Change a learner's own fields (name, name_key, birth_year, household) and log it, in one transaction."""
    with database.connection_context(), database.atomic():
        Learner.update(**fields, updated_at=utcnow()).where(Learner.id == learner_id).execute()
        _logged(account_id, action, learner_id, detail)


def set_pin(learner_id: int, pin_hash: str | None, account_id: int | None,
            picture_password_hash: str | None = None) -> None:
    """A trainer's reset: a new PIN or picture password (both None: neither, and she may choose her own when
    she next taps her name); the other one and the lock from wrong guesses are gone. Logged (who, when)."""
    now = utcnow()
    with database.connection_context(), database.atomic():
        Learner.update(pin_hash=pin_hash, picture_password_hash=picture_password_hash, updated_at=now,
                       secret_reset_at=None if pin_hash or picture_password_hash else now).where(
            Learner.id == learner_id).execute()
        _logged(account_id, "pin_reset", learner_id)


def set_left(learner_id: int, left: bool, account_id: int | None) -> None:
    """Mark a resident as moved away (history kept) or back in the village. Logged."""
    now = utcnow()
    with database.connection_context(), database.atomic():
        Learner.update(left_at=now if left else None, left_reason="moved" if left else None, updated_at=now).where(
            (Learner.id == learner_id) & ((Learner.left_reason != "removed") | Learner.left_reason.is_null())
        ).execute()
        _logged(account_id, "moved_away" if left else "came_back", learner_id)


def remove_learner(learner_id: int, account_id: int | None) -> None:
    """Delete a resident's person on request: name, birth year, household, PIN and what the recogniser heard
    from her are wiped, and the care log keeps no details of her; her anonymous answers and completed lessons
    stay for the commune's counts. One transaction."""
    now = utcnow()
    with database.connection_context(), database.atomic():
        Learner.update(display_name="", name_key="", birth_year=None, household=None, pin_hash=None,
                       picture_password_hash=None, secret_reset_at=None, picture=None,
                       left_at=now, left_reason="removed",
                       updated_at=now).where(Learner.id == learner_id).execute()
        Attempt.update(transcript=None).where(Attempt.learner == learner_id).execute()
        Utterance.update(transcript="").where(Utterance.learner == learner_id).execute()
        CareLog.update(detail="").where(CareLog.learner == learner_id).execute()
        _logged(account_id, "removed", learner_id)


def set_account_active(account_id: int, active: bool, by: int | None) -> None:
    """Switch an account off (it can no longer sign in, and every browser signed in with it is signed out) or
    back on. Logged."""
    with database.connection_context(), database.atomic():
        Account.update(deactivated_at=None if active else utcnow()).where(Account.id == account_id).execute()
        if not active:
            AccountSession.delete().where(AccountSession.account == account_id).execute()
        _logged(by, "account_on" if active else "account_off", None, target_account_id=account_id)


@dataclass(frozen=True)
class CareEntry:
    """One line of the care log: when, by whom (their display name; None if the account is gone), what."""

    at: datetime
    by: str | None
    action: str
    detail: str


def care_history(learner_id: int | None = None, account_id: int | None = None) -> list[CareEntry]:
    """What was done about a resident (or to an account), newest first."""
    with database.connection_context():
        query = (CareLog.select(CareLog, Account.display_name.alias("by_name"))
                 .join(Account, on=(CareLog.account == Account.id), join_type=JOIN.LEFT_OUTER))
        query = query.where(CareLog.learner == learner_id) if learner_id is not None else \
            query.where(CareLog.target_account == account_id)
        return [CareEntry(r.at, r.by_name, r.action, r.detail)
                for r in query.order_by(CareLog.at.desc(), CareLog.id.desc()).objects()]


# --- who has learned what ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GivenAnswer:
    """The latest answer to one question in a learner's current run of a lesson."""

    lesson_id: str
    question_id: str
    option_index: int
    correct: bool
    mode: str
    at: datetime


def current_answers(learner_id: int) -> dict[str, dict[str, GivenAnswer]]:
    """Every lesson's latest answers in the learner's current run, as given: lesson id -> question id -> answer (a
    question asked again at the end of the lesson keeps the answer she gave first). Two queries, whatever the
    number of lessons."""
    with database.connection_context():
        runs: dict[str, int] = {r.lesson_id: r.run for r in LessonProgress.select(
            LessonProgress.lesson_id, LessonProgress.run).where(LessonProgress.learner == learner_id)}
        rows = (Attempt.select(Attempt.lesson_id, Attempt.question_id, Attempt.option_index, Attempt.correct,
                               Attempt.mode, Attempt.answered_at, Attempt.run)
                .where((Attempt.learner == learner_id) & ~Attempt.retry).order_by(Attempt.answered_at, Attempt.id))
        found: dict[str, dict[str, GivenAnswer]] = {}
        for r in rows:
            if r.run == runs.get(r.lesson_id, 0) or r.lesson_id not in runs:
                found.setdefault(r.lesson_id, {})[r.question_id] = GivenAnswer(
                    r.lesson_id, r.question_id, r.option_index, r.correct, r.mode, r.answered_at)
        return found


def village_progress(village_id: int) -> dict[int, dict[str, ProgressInfo]]:
    """Each resident's progress in each lesson they opened: learner id -> lesson id -> progress. One query."""
    with database.connection_context():
        rows = (LessonProgress.select(LessonProgress, Learner.id.alias("who")).join(Learner)
                .where((Learner.village == village_id) & Learner.left_at.is_null()).objects())
        found: dict[int, dict[str, ProgressInfo]] = {}
        for r in rows:
            found.setdefault(r.who, {})[r.lesson_id] = ProgressInfo(
                r.lesson_id, r.position, r.screens, r.completed_at is not None, r.updated_at, r.completed_at)
        return found


@dataclass(frozen=True)
class Activity:
    """Something a resident of the village did: a lesson opened or finished, a session attended, an outcome."""

    at: datetime
    learner_id: int
    name: str
    kind: str  # "lesson_done", "lesson_going", "session", "outcome"
    subject: str  # a lesson id, or an outcome kind


def recent_activity(village_id: int, limit: int = 15) -> list[Activity]:
    """The village's latest activity, newest first (three queries, each limited)."""
    here = (Learner.village == village_id) & Learner.left_at.is_null()
    with database.connection_context():
        found = [Activity(r.updated_at, r.learner_id, r.name, "lesson_done" if r.completed_at else "lesson_going",
                          r.lesson_id)
                 for r in LessonProgress.select(LessonProgress, Learner.display_name.alias("name")).join(Learner)
                 .where(here).order_by(LessonProgress.updated_at.desc()).limit(limit).objects()]
        found += [Activity(r.ticked_at, r.learner_id, r.name, "outcome", r.kind)
                  for r in Outcome.select(Outcome, Learner.display_name.alias("name")).join(Learner)
                  .where(here).order_by(Outcome.ticked_at.desc()).limit(limit).objects()]
        found += [Activity(r.started_at, r.learner_id, r.name, "session", r.lesson_id)
                  for r in Attendance.select(Attendance.learner, GroupSession.started_at, GroupSession.lesson_id,
                                             Learner.display_name.alias("name"))
                  .join(GroupSession).switch(Attendance).join(Learner)
                  .where(here).order_by(GroupSession.started_at.desc()).limit(limit).objects()]
    return sorted(found, key=lambda a: a.at, reverse=True)[:limit]


def village_utterances(village_id: int, limit: int = 5000) -> list[UtteranceInfo]:
    """What the village's residents (still here) said to the recogniser, newest first (one query, limited)."""
    here = (Learner.village == village_id) & Learner.left_at.is_null()
    with database.connection_context():
        return [UtteranceInfo(r.lesson_id, r.question_id, r.position, r.transcript, r.confidence, r.outcome, r.seconds)
                for r in Utterance.select(Utterance).join(Learner).where(here)
                .order_by(Utterance.heard_at.desc(), Utterance.id.desc()).limit(limit)]


def village_sizes(village_id: int) -> tuple[int, int]:
    """(residents, residents who moved away) of a village."""
    with database.connection_context():
        here = Learner.select(fn.COUNT(Learner.id)).where((Learner.village == village_id)
                                                         & Learner.left_at.is_null()).scalar()
        moved = Learner.select(fn.COUNT(Learner.id)).where((Learner.village == village_id)
                                                          & (Learner.left_reason == "moved")).scalar()
        return int(here or 0), int(moved or 0)
