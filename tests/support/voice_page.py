"""The lesson page with a recogniser (tests/test_app_voice.py, tests/test_audio_bombs.py); a pytest plugin:
tests/conftest.py lists it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from learn import services
from learn.lessons.catalog import Catalog
from learn.voice import asr
from progress_db.records import LearnerInfo
from tests.support.doubles import ScriptedRecognizer
from tests.support.paths import CONTENT


@pytest.fixture
def lesson_at(app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch,
              village: int) -> tuple[Callable[..., AppTest], LearnerInfo]:
    """``make(recognizer, position=0)``: Bà Một on screen ``position`` of the fixture lesson "test-unlock",
    answers by voice heard by ``recognizer`` (None: no speech model, so no microphone); and Bà Một."""
    person = services.add_learner(village, "Bà Một")

    def make(recognizer: ScriptedRecognizer | None, position: int = 0) -> AppTest:
        if recognizer is None:
            monkeypatch.setattr(asr, "load_recognizer", lambda folder: (_ for _ in ()).throw(
                asr.VoiceUnavailable("no model", key="voice.no_model")))
        else:
            monkeypatch.setattr(asr, "load_recognizer", lambda folder: recognizer)
        st.cache_resource.clear()  # the recogniser is made once per process: this one must be the one used
        services.go_to(person.id, services.lesson(Catalog.load(CONTENT), "test-unlock"), position)
        return app("lesson", {"lesson": "test-unlock"}, village_id=village, learner_id=person.id)

    return make, person
