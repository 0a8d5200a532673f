"""Taking a lesson through the player's services, as the page's buttons do."""

from __future__ import annotations

from learn import services
from learn.lessons.model import Lesson
from learn.services.player import PlayerView


def finish_lesson(learner_id: int, lesson: Lesson, *, retry_right: bool = True) -> PlayerView:
    """Go past the lesson's last screen, then through the questions answered wrong that come back at the end
    (answering each right, or with ``retry_right=False`` wrong again), to the completion screen."""
    view = services.go_to(learner_id, lesson, len(lesson.screens))
    while not view.finished:
        question = view.screen.question if view.screen is not None else None
        if question is not None and view.answer is None:
            option = question.answer if retry_right else (question.answer + 1) % len(question.options)
            view = services.answer(learner_id, lesson, view.position, option)
        view = services.go_to(learner_id, lesson, view.position + 1)
    return view
