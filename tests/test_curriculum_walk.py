"""Every lesson of the curriculum, walked through in the app from its first screen to its completion screen."""

from __future__ import annotations

from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from learn import services
from learn.lessons.catalog import Catalog
from learn.settings import DEFAULT_CONTENT_DIR
from learn.strings_vi import t
from progress_db import queries
from tests.test_app import MAIN

CURRICULUM = Catalog.load(DEFAULT_CONTENT_DIR)


@pytest.mark.parametrize("lesson_id", sorted(CURRICULUM.lessons))
def test_each_lesson_can_be_taken_to_the_end(lesson_id: str, monkeypatch: pytest.MonkeyPatch, db: Path,
                                              village: int) -> None:
    monkeypatch.setenv("LEARN_HOME", str(db.parent))
    monkeypatch.delenv("LEARN_CONTENT_DIR", raising=False)
    monkeypatch.setenv("LEARN_TTS", "off")
    st.cache_resource.clear()
    lesson = CURRICULUM.lessons[lesson_id]
    person = services.add_learner(village, "Bà Một")
    at = AppTest.from_file(MAIN, default_timeout=20)
    at.session_state["village_id"], at.session_state["learner_id"] = village, person.id
    at.query_params["lesson"] = lesson_id
    at.switch_page("views/lesson.py")
    at.run()
    for screen in lesson.screens:
        assert not at.exception
        progress = t("lesson.progress", current=screen.index + 1, total=len(lesson.screens))
        assert any(c.value.endswith(progress) for c in at.caption)
        if screen.question is not None:
            at.button(key=f"option-{screen.index}-{screen.question.answer}").click().run()
            assert [s.value for s in at.success], f"{lesson_id}: no feedback on {screen.question.id}"
        at.button(key=f"next-{screen.index}").click().run()
    assert t("lesson.done_heading") in [h.value.split(" ", 1)[-1] for h in at.header]
    assert queries.progress_for(person.id)[lesson_id].completed
    assert queries.answer_count(person.id) == len(lesson.questions)
    st.cache_resource.clear()
