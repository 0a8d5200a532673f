"""The lesson player: where a learner is, moving between screens, answering, the lesson list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from learn.errors import InvalidInput, NotFound
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson, Screen
from progress_db import learning
from progress_db.records import AnswerInfo, ProgressInfo

#: Where a learner is in a lesson, as her lesson list shows it (``lessons.<status>`` in the strings catalog).
CardStatus = Literal["new", "started", "done"]


@dataclass(frozen=True)
class LessonCard:
    """A lesson in the learner's list, with how far they got."""

    lesson: Lesson
    status: CardStatus
    percent: int


def lesson_cards(catalog: Catalog, learner_id: int) -> list[tuple[str, list[LessonCard]]]:
    """The catalog grouped by topic, each lesson with the learner's progress."""
    progress = learning.progress_for(learner_id)
    groups = []
    for topic, lessons in catalog.by_topic():
        cards = []
        for lesson in lessons:
            p: ProgressInfo | None = progress.get(lesson.id)
            total = len(lesson.screens)
            if p is None:
                cards.append(LessonCard(lesson, "new", 0))
            elif p.completed and (p.position >= total or p.position == 0):
                cards.append(LessonCard(lesson, "done", 100))
            else:
                cards.append(LessonCard(lesson, "started", min(99, round(100 * p.position / total))))
        groups.append((topic, cards))
    return groups


@dataclass(frozen=True)
class PlayerView:
    """What the lesson player shows: the current screen (None once finished) and the answer given to it."""

    lesson: Lesson
    position: int
    screen: Screen | None
    answer: AnswerInfo | None
    score: int
    asked: int

    @property
    def total(self) -> int:
        """Number of screens in the lesson."""
        return len(self.lesson.screens)

    @property
    def finished(self) -> bool:
        """True on the completion screen."""
        return self.screen is None

    @property
    def can_go_on(self) -> bool:
        """A question must be answered before moving on; a step can always be left."""
        return self.screen is not None and (self.screen.question is None or self.answer is not None)


def lesson(catalog: Catalog, lesson_id: str) -> Lesson:
    """The lesson with this id; NotFound (shown to the learner) for an unknown or broken id."""
    found = catalog.get(lesson_id)
    if found is None:
        raise NotFound(f"lesson {lesson_id!r}", key="lesson.not_found")
    return found


def player_view(learner_id: int, lesson: Lesson) -> PlayerView:
    """The learner's current place in the lesson, exactly where they left it."""
    progress = learning.progress_for(learner_id).get(lesson.id)
    screens = lesson.screens
    position = min(progress.position, len(screens)) if progress else 0
    if progress and position == len(screens) and not progress.completed:
        position = len(screens) - 1  # the lesson lost screens since: finish it properly, from its last screen
    answers = learning.latest_answers(learner_id, lesson.id)
    screen = screens[position] if position < len(screens) else None
    answer = answers.get(screen.question.id) if screen and screen.question else None
    score = sum(1 for q in lesson.questions if q.id in answers and answers[q.id].correct)
    return PlayerView(lesson, position, screen, answer, score, len(lesson.questions))


def step_to(learner_id: int, lesson: Lesson, position: int) -> None:
    """Move to a screen (clamped) and save it; moving past the last screen completes the lesson."""
    total = len(lesson.screens)
    position = max(0, min(position, total))
    learning.save_position(learner_id, lesson.id, position, total, completed=position >= total)


def go_to(learner_id: int, lesson: Lesson, position: int) -> PlayerView:
    """``step_to``, then the screen the learner is now on."""
    step_to(learner_id, lesson, position)
    return player_view(learner_id, lesson)


def restart(learner_id: int, lesson: Lesson) -> PlayerView:
    """Take the lesson again from the start."""
    learning.restart_lesson(learner_id, lesson.id, len(lesson.screens))
    return player_view(learner_id, lesson)


def answer(learner_id: int, lesson: Lesson, position: int, option_index: int, mode: str = "tap",
           transcript: str | None = None, confidence: float | None = None) -> PlayerView:
    """Record the learner's answer to the question on screen ``position``; a second tap changes nothing."""
    current = player_view(learner_id, lesson)
    screen = current.screen
    if screen is None or screen.question is None or screen.index != position:
        return current  # a stale click from an earlier screen
    if current.answer is not None:
        return current
    question = screen.question
    if not 0 <= option_index < len(question.options):
        raise InvalidInput(f"option {option_index}", key="lesson.option_invalid")
    learning.record_answer(learner_id, lesson.id, question.id, option_index, option_index == question.answer,
                          mode, position, len(lesson.screens), transcript, confidence)
    return player_view(learner_id, lesson)
