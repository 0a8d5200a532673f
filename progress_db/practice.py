"""Practice on a pretend phone (issue 18): each pretend screen done is stored as an answer (``attempt``, under the
id ``practice/screen``, ``option_index`` the help needed: 0 first try, 1 or 2 hints, 3 shown the way), and the
wrong taps on the screen she is on are kept with her place, so a reload keeps the hints she heard. A group
session keeps the group's own place (the trainer taps for the group; nobody's answers are stored). Every
function opens its own connection and returns plain data."""

from __future__ import annotations

from typing import Any

from peewee import JOIN

from progress_db.db import database
from progress_db.learning import _run, _upsert_progress
from progress_db.models import Attempt, GroupSession, LessonProgress


def place(learner_id: int, lesson_id: str, practice_id: str) -> tuple[dict[str, int], str | None, int]:
    """The learner's place in a practice of her current run, read in one connection: the pretend screens done
    (item id to the help needed), the pretend screen she last tapped wrong on in this run (its item id) and its
    wrong taps."""
    # one statement: her place in the lesson, joined with the pretend screens she did in its current run
    done_here = ((Attempt.learner == LessonProgress.learner) & (Attempt.lesson_id == LessonProgress.lesson_id)
                 & (Attempt.run == LessonProgress.run) & ~Attempt.retry
                 & Attempt.question_id.startswith(f"{practice_id}/"))
    with database.connection_context():
        rows: list[tuple[Any, ...]] = list(LessonProgress  # type: ignore[arg-type]
                    .select(LessonProgress.run, LessonProgress.practice_at, LessonProgress.practice_misses,
                            Attempt.question_id, Attempt.option_index)
                    .join(Attempt, JOIN.LEFT_OUTER, on=done_here)
                    .where((LessonProgress.learner == learner_id) & (LessonProgress.lesson_id == lesson_id))
                    .order_by(Attempt.answered_at, Attempt.id).tuples())
    if not rows:
        return {}, None, 0
    run, at, misses = rows[0][:3]
    done = {item: helped for *_, item, helped in rows if item is not None}
    here = at if at and at.startswith(f"{run}:") else None
    return done, here.partition(":")[2] if here else None, int(misses or 0) if here else 0


def _place(learner_id: int, lesson_id: str, item_id: str) -> str:
    run = _run(learner_id, lesson_id).scalar() or 0
    return f"{run}:{item_id}"


def record_miss(learner_id: int, lesson_id: str, item_id: str, position: int, screens: int) -> int:
    """Count one wrong tap on this pretend screen (and keep the learner's place); the wrong taps so far."""
    with database.connection_context(), database.atomic():
        _upsert_progress(learner_id, lesson_id, position, screens, False)
        place = _place(learner_id, lesson_id, item_id)
        row = (LessonProgress.select(LessonProgress.id, LessonProgress.practice_at, LessonProgress.practice_misses)
               .where((LessonProgress.learner == learner_id) & (LessonProgress.lesson_id == lesson_id)).get())
        count = (int(row.practice_misses or 0) if row.practice_at == place else 0) + 1
        LessonProgress.update(practice_at=place, practice_misses=count).where(LessonProgress.id == row.id).execute()
        return count


def record_item(learner_id: int, lesson_id: str, item_id: str, helped: int, position: int, screens: int) -> None:
    """Store a pretend screen done (``helped``: 0 first try, 1 or 2 hints, 3 shown the way) and the learner's
    place, in one transaction; the wrong taps counted for it are cleared."""
    with database.connection_context(), database.atomic():
        _upsert_progress(learner_id, lesson_id, position, screens, False)
        run = _run(learner_id, lesson_id).scalar() or 0
        Attempt.create(learner=learner_id, lesson_id=lesson_id, question_id=item_id, option_index=helped,
                       correct=helped == 0, mode="tap", run=run)
        (LessonProgress.update(practice_at=None, practice_misses=0)
         .where((LessonProgress.learner == learner_id) & (LessonProgress.lesson_id == lesson_id)).execute())


def group_place(session_id: int) -> tuple[str | None, int]:
    """A group session's place in the practice on screen ("position:practice:step") and its wrong taps there."""
    with database.connection_context():
        row = (GroupSession.select(GroupSession.practice_at, GroupSession.practice_misses)
               .where(GroupSession.id == session_id).first())
        return (None, 0) if row is None else (row.practice_at, int(row.practice_misses or 0))


def set_group_place(session_id: int, place: str | None, wrong_taps: int) -> None:
    """Keep a group session's place in its practice."""
    with database.connection_context():
        (GroupSession.update(practice_at=place, practice_misses=wrong_taps)
         .where(GroupSession.id == session_id).execute())
