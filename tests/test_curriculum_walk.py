"""Every lesson of the curriculum, walked through in the app from its first screen to its completion screen."""

from __future__ import annotations

import pytest

from learn import services
from learn.lessons.catalog import Catalog
from learn.lessons.validate import lesson_files
from learn.services import practice
from learn.settings import DEFAULT_CONTENT_DIR
from learn.strings_vi import t
from progress_db import learning
from tests.support.apptest import texts

CURRICULUM = Catalog.load(DEFAULT_CONTENT_DIR)
#: every lesson file, so that one the catalog leaves out (it cannot be shown) fails here by name
FILES = [str(p.relative_to(DEFAULT_CONTENT_DIR)) for p in lesson_files(DEFAULT_CONTENT_DIR)]


def test_every_lesson_file_is_walked() -> None:
    assert len(FILES) == len(CURRICULUM.lessons) + len({p.path for p in CURRICULUM.problems}) and FILES


@pytest.mark.parametrize("file", FILES)
def test_each_lesson_can_be_taken_to_the_end(file: str, app, monkeypatch: pytest.MonkeyPatch,
                                              village: int) -> None:
    monkeypatch.delenv("LEARN_CONTENT_DIR")  # the app's default: the real curriculum
    found = [x for x in CURRICULUM.lessons.values() if x.source == DEFAULT_CONTENT_DIR / file]
    assert found, f"{file} is left out of the app: " + "; ".join(
        str(p) for p in CURRICULUM.problems if p.path == DEFAULT_CONTENT_DIR / file)
    lesson = found[0]
    lesson_id = lesson.id
    person = services.add_learner(village, "Bà Một")
    at = app("lesson", {"lesson": lesson_id}, village_id=village, learner_id=person.id)
    for screen in lesson.screens:
        assert not at.exception
        progress = t("lesson.progress", current=screen.index + 1, total=len(lesson.screens))
        assert progress in texts(at)
        if screen.question is not None:
            at.button(key=f"option-{screen.index}-{screen.question.answer}").click().run()
            assert [s.value for s in at.success], f"{lesson_id}: no feedback on {screen.question.id}"
        if screen.practice is not None:  # the pretend phone: each right place tapped, as the component reports
            assert at.button(key=f"next-{screen.index}").disabled, f"{lesson_id}: Next before the practice is done"
            for phone in screen.practice.path:
                done = practice.tap(person.id, lesson, screen.index, phone.id, phone.target, phone.type)
                assert done.kind == "right", f"{lesson_id}: {phone.id}"
            at.run()
        at.button(key=f"next-{screen.index}").click().run()
    assert t("lesson.done_heading") in [h.value.split(" ", 1)[-1] for h in at.header]
    assert learning.progress_for(person.id)[lesson_id].completed
    # each pretend screen done is stored beside the answers
    assert learning.answer_count(person.id) == len(lesson.questions) + sum(len(x.path) for x in lesson.practices)
