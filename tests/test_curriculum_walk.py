"""Every lesson of the curriculum, walked through in the app from its first screen to its completion screen."""

from __future__ import annotations

import pytest

from learn import services
from learn.lessons.catalog import Catalog
from learn.settings import DEFAULT_CONTENT_DIR
from learn.strings_vi import t
from progress_db import learning

CURRICULUM = Catalog.load(DEFAULT_CONTENT_DIR)


@pytest.mark.parametrize("lesson_id", sorted(CURRICULUM.lessons))
def test_each_lesson_can_be_taken_to_the_end(lesson_id: str, app, monkeypatch: pytest.MonkeyPatch,
                                              village: int) -> None:
    monkeypatch.delenv("LEARN_CONTENT_DIR")  # the app's default: the real curriculum
    lesson = CURRICULUM.lessons[lesson_id]
    person = services.add_learner(village, "Bà Một")
    at = app("lesson", {"lesson": lesson_id}, village_id=village, learner_id=person.id)
    for screen in lesson.screens:
        assert not at.exception
        progress = t("lesson.progress", current=screen.index + 1, total=len(lesson.screens))
        assert any(c.value.endswith(progress) for c in at.caption)
        if screen.question is not None:
            at.button(key=f"option-{screen.index}-{screen.question.answer}").click().run()
            assert [s.value for s in at.success], f"{lesson_id}: no feedback on {screen.question.id}"
        at.button(key=f"next-{screen.index}").click().run()
    assert t("lesson.done_heading") in [h.value.split(" ", 1)[-1] for h in at.header]
    assert learning.progress_for(person.id)[lesson_id].completed
    assert learning.answer_count(person.id) == len(lesson.questions)
