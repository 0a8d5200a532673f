"""The lesson player: where a learner is, moving between screens, answering. (The lesson list: ``home``.)"""

from __future__ import annotations

from dataclasses import dataclass

from learn.errors import InvalidInput, NotFound
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson, Screen
from learn.strings_vi import t
from progress_db import learning
from progress_db.records import AnswerInfo


@dataclass(frozen=True)
class PlayerView:
    """What the lesson player shows: the current screen (None once finished) and the answer given to it.

    ``position`` is the learner's place: the lesson's screens (0 to ``total`` - 1), then the questions she
    answered wrong, asked again once each (``total`` + k for the k-th of ``retries``), then the completion screen
    (``end``)."""

    lesson: Lesson
    position: int
    screen: Screen | None
    answer: AnswerInfo | None
    #: questions right in the end (a retry's answer counts), of ``asked``
    score: int
    asked: int
    #: questions right the first time they were answered
    first_score: int = 0
    #: ids of the questions answered wrong the first time, in lesson order: they are asked again at the end
    retries: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        """Number of screens in the lesson."""
        return len(self.lesson.screens)

    @property
    def end(self) -> int:
        """The completion screen's place: after the lesson's screens and the questions asked again."""
        return self.total + len(self.retries)

    @property
    def retry(self) -> int | None:
        """Which question asked again is on screen (0 for the first), or None."""
        return self.position - self.total if self.total <= self.position < self.end else None

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
    """The learner's current place in the lesson, exactly where they left it (also among the questions asked
    again at the end)."""
    answers = learning.run_answers(learner_id, lesson.id)
    return _view(lesson, answers, _place(learner_id, lesson, answers))


def _place(learner_id: int, lesson: Lesson, answers: list[AnswerInfo]) -> int:
    """Where the learner is in the lesson, as saved, given the answers of her current run."""
    progress = learning.progress_for(learner_id).get(lesson.id)
    total = len(lesson.screens)
    position = min(progress.position, total) if progress else 0
    if progress and position == total:
        retries = _retries(lesson, answers)
        if progress.retry is not None:
            position = total + min(progress.retry, len(retries))
        elif not progress.completed:
            position = total - 1  # the lesson lost screens since: finish it properly, from its last screen
        else:
            position = total + len(retries)
    return position


def _retries(lesson: Lesson, answers: list[AnswerInfo]) -> tuple[str, ...]:
    given = {a.question_id: a for a in answers if not a.retry}
    return tuple(q.id for q in lesson.questions if q.id in given and not given[q.id].correct)


def _view(lesson: Lesson, answers: list[AnswerInfo], position: int) -> PlayerView:
    """The player at ``position`` (already resolved: a screen, a question asked again, or the end), given the
    answers of the learner's current run, oldest first."""
    screens = lesson.screens
    total = len(screens)
    # the answer as given (a group session's, replaced by its trainer, is the latest one given there), the retry
    # of it, and the latest of either, by question
    given: dict[str, AnswerInfo] = {}
    retried: dict[str, AnswerInfo] = {}
    for a in answers:
        (retried if a.retry else given)[a.question_id] = a
    retries = tuple(q.id for q in lesson.questions if q.id in given and not given[q.id].correct)
    answer: AnswerInfo | None = None
    screen: Screen | None = None
    if position < total:
        screen = screens[position]
        answer = given.get(screen.question.id) if screen.question else None
    elif position < total + len(retries):
        asked_again = retries[position - total]
        screen = next(x for x in screens if x.question is not None and x.question.id == asked_again)
        answer = retried.get(asked_again)
    latest = {**given, **retried}
    return PlayerView(lesson, position, screen, answer,
                      sum(1 for q in lesson.questions if q.id in latest and latest[q.id].correct),
                      len(lesson.questions),
                      sum(1 for q in lesson.questions if q.id in given and given[q.id].correct), retries)


def step_to(learner_id: int, lesson: Lesson, position: int) -> PlayerView:
    """Move to a place (clamped) and save it: a screen of the lesson, a question asked again (past the last
    screen, while some were answered wrong) or the completion screen, which completes the lesson. Returns the
    screen she is now on (from what was read before the move: a move changes no answer)."""
    answers = learning.run_answers(learner_id, lesson.id)
    total = len(lesson.screens)
    end = total + len(_retries(lesson, answers))
    position = max(0, min(position, end))
    if position < total:
        learning.save_position(learner_id, lesson.id, position, total)
    elif position < end:
        learning.save_position(learner_id, lesson.id, total, total, retry=position - total)
    else:
        learning.save_position(learner_id, lesson.id, total, total, completed=True)
    return _view(lesson, answers, position)


def go_to(learner_id: int, lesson: Lesson, position: int) -> PlayerView:
    """``step_to``, then the screen the learner is now on."""
    return step_to(learner_id, lesson, position)


def restart(learner_id: int, lesson: Lesson) -> PlayerView:
    """Take the lesson again from the start."""
    learning.restart_lesson(learner_id, lesson.id, len(lesson.screens))
    return player_view(learner_id, lesson)


def answer(learner_id: int, lesson: Lesson, position: int, option_index: int, mode: str = "tap",
           transcript: str | None = None, confidence: float | None = None) -> PlayerView:
    """Record the learner's answer to the question at place ``position`` (a screen, or a question asked again);
    a second tap changes nothing, and a retry is stored beside the first answer, which stays as given."""
    answers = learning.run_answers(learner_id, lesson.id)
    current = _view(lesson, answers, _place(learner_id, lesson, answers))
    screen = current.screen
    if screen is None or screen.question is None or current.position != position:
        return current  # a stale click from an earlier screen
    if current.answer is not None:
        return current
    question = screen.question
    if not 0 <= option_index < len(question.options):
        raise InvalidInput(f"option {option_index}", key="lesson.option_invalid")
    learning.record_answer(learner_id, lesson.id, question.id, option_index, option_index == question.answer,
                          mode, min(position, current.total), current.total, transcript, confidence,
                          retry=current.retry)
    # the same place, with this answer added (what reading it all again would give)
    given = AnswerInfo(question.id, option_index, option_index == question.answer, mode, transcript, confidence,
                       current.retry is not None)
    return _view(lesson, [*answers, given], current.position)


def completion_speech(view: PlayerView) -> list[str]:
    """What the completion screen reads, as its lines: praise (a line the team can record), and how many were
    right the first time and after the retry (said by the engine, made ahead by ``learn narrate``: no recording
    can hold every score)."""
    parts = [t("speech.done")]
    if view.asked:
        parts.append(t("lesson.done_first", score=view.first_score, asked=view.asked))
        if view.retries:
            parts.append(t("lesson.done_retried", score=view.score, asked=view.asked))
    return parts
