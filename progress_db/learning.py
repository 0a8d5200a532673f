"""Where each resident is in each lesson, her answers and what the recogniser heard, and merging a resident
added twice. Every function opens its own connection (from the pool) and returns plain data."""

from __future__ import annotations

from datetime import datetime

from peewee import ModelSelect, fn

from progress_db.db import database
from progress_db.models import (
    Attempt,
    Attendance,
    CareLog,
    Learner,
    LessonProgress,
    Outcome,
    ReviewAnswer,
    ReviewItem,
    Utterance,
    new_uid,
    utcnow,
)
from progress_db.records import (
    AnswerInfo,
    ProgressInfo,
    UtteranceInfo,
)
from progress_db.sql import Params, as_datetime


def progress_for(learner_id: int) -> dict[str, ProgressInfo]:
    """The learner's progress in every lesson they opened, by lesson id."""
    with database.connection_context():
        rows = LessonProgress.select().where(LessonProgress.learner == learner_id)
        return {r.lesson_id: ProgressInfo(r.lesson_id, r.position, r.screens, r.completed_at is not None,
                                          r.updated_at, r.completed_at, r.retry) for r in rows}


def _upsert_progress(learner_id: int, lesson_id: str, position: int, screens: int, completed: bool,
                     new_run: bool = False, retry: int | None = None) -> None:
    # One INSERT ... ON CONFLICT statement: it takes SQLite's write lock at once (a read first would fail with
    # "database is locked" when another session writes in between) and works the same on PostgreSQL.
    # Every move sets ``retry``: only the lesson player's questions asked again keep a place there.
    now = utcnow()
    update: dict = {LessonProgress.position: position, LessonProgress.screens: screens, LessonProgress.updated_at: now,
                    LessonProgress.retry: retry}
    if completed:
        update[LessonProgress.completed_at] = fn.COALESCE(LessonProgress.completed_at, now)
    if new_run:
        update[LessonProgress.run] = LessonProgress.run + 1
        update[LessonProgress.started_at] = now
    (LessonProgress
     .insert(uid=new_uid(), learner=learner_id, lesson_id=lesson_id, position=position, screens=screens,
             started_at=now, updated_at=now, completed_at=now if completed else None, run=0, retry=retry)
     .on_conflict(conflict_target=[LessonProgress.learner, LessonProgress.lesson_id], update=update)
     .execute())


def _run(learner_id: int, lesson_id: str) -> ModelSelect[LessonProgress]:
    """A subquery: the learner's current run of the lesson."""
    return (LessonProgress.select(LessonProgress.run)
            .where((LessonProgress.learner == learner_id) & (LessonProgress.lesson_id == lesson_id)))


def save_position(learner_id: int, lesson_id: str, position: int, screens: int, completed: bool = False,
                  retry: int | None = None) -> None:
    """Remember the screen the learner is on (and, once, when the lesson was completed); ``retry``: which
    question asked again at the end she is on (then ``position`` is ``screens``)."""
    with database.connection_context(), database.atomic():
        _upsert_progress(learner_id, lesson_id, position, screens, completed, retry=retry)


def record_answer(learner_id: int, lesson_id: str, question_id: str, option_index: int, correct: bool,
                  mode: str, position: int, screens: int, transcript: str | None = None,
                  confidence: float | None = None, retry: int | None = None) -> None:
    """Store one answer and the learner's place, in one transaction: both are saved or neither. With ``retry``
    (her place among the questions asked again at the end) the answer is stored as a retry: the first answer to
    the question stays as it was given."""
    with database.connection_context(), database.atomic():
        # progress first: it holds the run the answer belongs to
        _upsert_progress(learner_id, lesson_id, position, screens, False, retry=retry)
        run = _run(learner_id, lesson_id).scalar()
        Attempt.create(learner=learner_id, lesson_id=lesson_id, question_id=question_id,
                       option_index=option_index, correct=correct, mode=mode, transcript=transcript,
                       confidence=confidence, run=run, retry=retry is not None)


def restart_lesson(learner_id: int, lesson_id: str, screens: int) -> None:
    """Start a lesson again from its first screen, as a new run; earlier answers and completion are kept."""
    with database.connection_context(), database.atomic():
        _upsert_progress(learner_id, lesson_id, 0, screens, False, new_run=True)


def latest_answers(learner_id: int, lesson_id: str) -> dict[str, AnswerInfo]:
    """The latest answer to each question in the learner's current run of a lesson, by question id."""
    return {a.question_id: a for a in run_answers(learner_id, lesson_id)}


def run_answers(learner_id: int, lesson_id: str) -> list[AnswerInfo]:
    """Every answer in the learner's current run of a lesson, oldest first (first answers and retries). Read on
    every tap of the lesson player, so written out: peewee building this query was half the database time of
    a step (its statement is made anew on every call)."""
    q = Params()
    sql = ("SELECT question_id, option_index, correct, mode, transcript, confidence, retry FROM attempt"
           f" WHERE learner_id = {q(learner_id)} AND lesson_id = {q(lesson_id)} AND run = COALESCE("
           f"(SELECT run FROM lesson_progress WHERE learner_id = {q(learner_id)} AND lesson_id = {q(lesson_id)}), 0)"
           " ORDER BY answered_at, id")
    with database.connection_context():
        rows = database.execute_sql(sql, q.values).fetchall()
    return [AnswerInfo(question, option, bool(correct), mode, transcript, confidence, bool(retry))
            for question, option, correct, mode, transcript, confidence, retry in rows]


def _answer(row: Attempt) -> AnswerInfo:
    return AnswerInfo(row.question_id, row.option_index, row.correct, row.mode, row.transcript, row.confidence,
                      row.retry)


def answer_count(learner_id: int) -> int:
    """How many answers the learner has given in all."""
    with database.connection_context():
        return Attempt.select().where(Attempt.learner == learner_id).count()


def record_utterance(learner_id: int, heard: UtteranceInfo) -> None:
    """Keep what the recogniser heard."""
    with database.connection_context():
        Utterance.create(learner=learner_id, lesson_id=heard.lesson_id, question_id=heard.question_id,
                         position=heard.position, transcript=heard.transcript, confidence=heard.confidence,
                         outcome=heard.outcome, seconds=heard.seconds)


def forget_heard_before(cutoff: datetime) -> int:
    """Erase the transcripts of what was heard before ``cutoff`` (UTC); the rows (question, outcome, length)
    stay for the trainers' counts. How many were erased."""
    with database.connection_context():
        return int(Utterance.update(transcript="")
                   .where((Utterance.heard_at < cutoff) & (Utterance.transcript != "")).execute())


def utterances(learner_id: int) -> list[UtteranceInfo]:
    """What a learner said, oldest first."""
    with database.connection_context():
        rows = Utterance.select().where(Utterance.learner == learner_id).order_by(Utterance.heard_at, Utterance.id)
        return [UtteranceInfo(r.lesson_id, r.question_id, r.position, r.transcript, r.confidence, r.outcome,
                              r.seconds) for r in rows]


def merge_learners(keep_id: int, drop_id: int) -> None:
    """Make ``drop_id`` part of ``keep_id`` (the same person added twice): every answer (lessons and review),
    progress, review item, outcome, attendance and care entry moves over, the furthest progress wins, her
    narration language is kept (else the duplicate's), then the duplicate is removed. One transaction."""
    with database.connection_context(), database.atomic():
        mine = {p.lesson_id: p for p in LessonProgress.select().where(LessonProgress.learner == keep_id)}
        for theirs in LessonProgress.select().where(LessonProgress.learner == drop_id):
            ours = mine.get(theirs.lesson_id)
            if ours is None:
                LessonProgress.update(learner=keep_id).where(LessonProgress.id == theirs.id).execute()
                continue
            fields = ("run", "screens", "position", "completed_at", "started_at", "updated_at")
            merged = merged_progress({f: getattr(ours, f) for f in fields}, {f: getattr(theirs, f) for f in fields})
            LessonProgress.update(**merged).where(LessonProgress.id == ours.id).execute()
            LessonProgress.delete().where(LessonProgress.id == theirs.id).execute()
        Attempt.update(learner=keep_id).where(Attempt.learner == drop_id).execute()
        Utterance.update(learner=keep_id).where(Utterance.learner == drop_id).execute()
        for kind in [o.kind for o in Outcome.select(Outcome.kind).where(Outcome.learner == drop_id)]:
            Outcome.insert(learner=keep_id, kind=kind, ticked_at=utcnow()).on_conflict_ignore().execute()
        came = Attendance.select(Attendance.session).where(Attendance.learner == drop_id)
        for session_id in [a.session_id for a in came]:
            Attendance.insert(session=session_id, learner=keep_id).on_conflict_ignore().execute()
        _merge_review(keep_id, drop_id)
        CareLog.update(learner=keep_id).where(CareLog.learner == drop_id).execute()
        keep, drop = Learner.get_by_id(keep_id), Learner.get_by_id(drop_id)
        if keep.listen_language is None and drop.listen_language is not None:
            Learner.update(listen_language=drop.listen_language, updated_at=utcnow()) \
                .where(Learner.id == keep_id).execute()
        Learner.delete().where(Learner.id == drop_id).execute()


def _merge_review(keep_id: int, drop_id: int) -> None:
    """The duplicate's review answers move over; of a question in both reviews, the one less far along is kept
    (still in the review before left it, then the lower box, then the sooner due): she practises it again."""
    ReviewAnswer.update(learner=keep_id).where(ReviewAnswer.learner == drop_id).execute()
    mine = {(r.lesson_id, r.question_id): r for r in ReviewItem.select().where(ReviewItem.learner == keep_id)}

    def behind(item: ReviewItem) -> tuple[bool, int, datetime]:
        return item.retired_at is not None, item.box, item.due_at

    for theirs in ReviewItem.select().where(ReviewItem.learner == drop_id):
        ours = mine.get((theirs.lesson_id, theirs.question_id))
        if ours is None:
            ReviewItem.update(learner=keep_id).where(ReviewItem.id == theirs.id).execute()
            continue
        if behind(theirs) < behind(ours):
            ReviewItem.update(reason=theirs.reason, box=theirs.box, due_at=theirs.due_at, since=theirs.since,
                              retired_at=theirs.retired_at, updated_at=utcnow()) \
                .where(ReviewItem.id == ours.id).execute()
        ReviewItem.delete().where(ReviewItem.id == theirs.id).execute()


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
