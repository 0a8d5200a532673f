"""The spaced review's storage ("Ôn lại", issue 18): each resident's review items on their Leitner schedule,
the answers she gave in review, and what puts an item there (her wrong first answers, her finished lessons).
Every function opens its own connection and returns plain data; the schedule itself is decided in
``learn.services.review``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from peewee import fn

from progress_db.db import database
from progress_db.models import Attempt, Learner, LessonProgress, ReviewAnswer, ReviewItem, new_uid
from progress_db.sql import as_datetime


@dataclass(frozen=True)
class ReviewItemInfo:
    """A question in a resident's review: its Leitner box, when it is due, why it is there, and since when."""

    lesson_id: str
    question_id: str
    reason: str  # "wrong" or "scam"
    box: int
    due_at: datetime
    since: datetime
    retired_at: datetime | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.lesson_id, self.question_id


@dataclass(frozen=True)
class ReviewAnswerInfo:
    """An answer given in review, in review round ``round``, to an item then in ``box``."""

    learner_id: int
    lesson_id: str
    question_id: str
    option_index: int
    correct: bool
    box: int
    round: str
    answered_at: datetime

    @property
    def key(self) -> tuple[str, str]:
        return self.lesson_id, self.question_id


@dataclass(frozen=True)
class Sources:
    """What can put questions in a resident's review: the latest time each question's first answer (not a
    retry) was wrong, and when each lesson she finished was first finished."""

    wrong: dict[tuple[str, str], datetime]
    finished: dict[str, datetime]


def sources(learner_id: int) -> Sources:
    """Her wrong first answers and her finished lessons (two queries)."""
    with database.connection_context():
        rows: list[Any] = list(
            Attempt.select(Attempt.lesson_id, Attempt.question_id, fn.MAX(Attempt.answered_at).alias("at"))
            .where((Attempt.learner == learner_id) & ~Attempt.retry & ~Attempt.correct)
            .group_by(Attempt.lesson_id, Attempt.question_id).objects())
        wrong = {(r.lesson_id, r.question_id): as_datetime(r.at) for r in rows}
        done = (LessonProgress.select(LessonProgress.lesson_id, LessonProgress.completed_at)
                .where((LessonProgress.learner == learner_id) & LessonProgress.completed_at.is_null(False)))
        return Sources({k: v for k, v in wrong.items() if v is not None},
                       {r.lesson_id: r.completed_at for r in done if r.completed_at is not None})


def _item(row: ReviewItem) -> ReviewItemInfo:
    return ReviewItemInfo(row.lesson_id, row.question_id, row.reason, row.box, row.due_at, row.since, row.retired_at)


def items(learner_id: int) -> list[ReviewItemInfo]:
    """Every item of her review, also those that left it, the soonest due first."""
    with database.connection_context():
        rows = ReviewItem.select().where(ReviewItem.learner == learner_id).order_by(ReviewItem.due_at, ReviewItem.id)
        return [_item(r) for r in rows]


def put(learner_id: int, placed: Iterable[ReviewItemInfo], now: datetime) -> None:
    """Put items in her review (or back at the box, due time and reason given, when already there), in one
    transaction."""
    with database.connection_context(), database.atomic():
        for x in placed:
            fields = {"reason": x.reason, "box": x.box, "due_at": x.due_at, "since": x.since, "updated_at": now,
                      "retired_at": x.retired_at}
            (ReviewItem.insert(uid=new_uid(), learner=learner_id, lesson_id=x.lesson_id, question_id=x.question_id,
                               **fields)
             .on_conflict(conflict_target=[ReviewItem.learner, ReviewItem.lesson_id, ReviewItem.question_id],
                          update={getattr(ReviewItem, k): v for k, v in fields.items()})
             .execute())


def record(learner_id: int, answer: ReviewAnswerInfo, moved: ReviewItemInfo, mode: str = "tap") -> None:
    """Store one review answer and move its item to its new box and due time (or out of the review), in one
    transaction: both are saved or neither."""
    with database.connection_context(), database.atomic():
        ReviewAnswer.create(learner=learner_id, lesson_id=answer.lesson_id, question_id=answer.question_id,
                            option_index=answer.option_index, correct=answer.correct, mode=mode, box=answer.box,
                            round=answer.round, answered_at=answer.answered_at)
        (ReviewItem.update(box=moved.box, due_at=moved.due_at, retired_at=moved.retired_at,
                           updated_at=answer.answered_at)
         .where((ReviewItem.learner == learner_id) & (ReviewItem.lesson_id == moved.lesson_id)
                & (ReviewItem.question_id == moved.question_id))
         .execute())


def _answer(row: ReviewAnswer) -> ReviewAnswerInfo:
    return ReviewAnswerInfo(row.learner_id, row.lesson_id, row.question_id, row.option_index, row.correct, row.box,
                            row.round, row.answered_at)


def round_answers(learner_id: int, round_id: str) -> list[ReviewAnswerInfo]:
    """Her answers in one review round, in the order given."""
    with database.connection_context():
        rows = (ReviewAnswer.select()
                .where((ReviewAnswer.learner == learner_id) & (ReviewAnswer.round == round_id))
                .order_by(ReviewAnswer.answered_at, ReviewAnswer.id))
        return [_answer(r) for r in rows]


def answers(learner_id: int) -> list[ReviewAnswerInfo]:
    """Every answer she gave in review, oldest first."""
    with database.connection_context():
        rows = (ReviewAnswer.select().where(ReviewAnswer.learner == learner_id)
                .order_by(ReviewAnswer.answered_at, ReviewAnswer.id))
        return [_answer(r) for r in rows]


def village_answers(village_id: int) -> list[ReviewAnswerInfo]:
    """Every review answer of the village's residents (those still living there), oldest first (one query)."""
    with database.connection_context():
        rows = (ReviewAnswer.select().join(Learner)
                .where((Learner.village == village_id) & Learner.left_at.is_null())
                .order_by(ReviewAnswer.answered_at, ReviewAnswer.id))
        return [_answer(r) for r in rows]
