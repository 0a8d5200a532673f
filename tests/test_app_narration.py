"""Narration in the lesson player, with the real espeak-ng voice (AppTest cannot play audio: check the clips)."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from learn import services
from learn.lessons.model import Lesson
from learn.strings_vi import t
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import EspeakEngine


@pytest.fixture
def player(app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch, db: Path, village: int,
           catalog) -> tuple[Callable[[], AppTest], Narrator, Lesson]:
    """``open()``, which opens the fixture lesson for Bà Một, narrated by espeak-ng; a narrator on the same audio
    cache, to see which clips the page made; and the lesson."""
    monkeypatch.setenv("LEARN_TTS", "espeak")
    person = services.add_learner(village, "Bà Một")

    def open_lesson() -> AppTest:
        return app("lesson", {"lesson": "test-unlock"}, timeout=30, village_id=village, learner_id=person.id)

    narrator = Narrator(AudioCache(db.parent / "audio"), [EspeakEngine()])
    return open_lesson, narrator, catalog.get("test-unlock")


def test_each_screen_is_narrated_with_a_listen_again_button(player) -> None:
    open_lesson, narrator, lesson = player
    at = open_lesson()
    assert not at.exception
    step = lesson.steps[0]
    assert narrator.cached(step.spoken) is not None  # the narration override, not the written text
    assert narrator.cached(f"{step.title}. {step.body}") is None
    # the one Listen control, in the bottom bar before Back and Next, reads the screen again
    listen = at.button(key="listen")
    assert listen.label == t("voice.listen") and len([b for b in at.button if b.key == "listen"]) == 1
    listen.click().run()
    assert at.session_state["replay-test-unlock-0"] == 1
    at.button(key="next-0").click().run()
    question = lesson.questions[0]
    assert narrator.cached(services.question_speech(question)) is not None
    assert services.question_speech(question) == "Giữ nút nào để bật máy? Một: Nút nguồn. Hai: Nút âm lượng."
    at.button(key="option-1-1").click().run()
    assert narrator.cached(services.feedback_speech(question, False)) is not None
    at.button(key="listen").click().run()  # after an answer, Listen reads the feedback again
    assert at.session_state["replay-test-unlock-1-feedback"] == 1
    for position in (1, 2, 3):
        at.button(key=f"next-{position}").click().run()
        if position == 2:
            at.button(key="option-3-0").click().run()
    at.button(key="next-4").click().run()
    at.button(key="option-5-1").click().run()
    at.button(key="next-5").click().run()
    # the question answered wrong comes back, announced as such: its two lines, each a clip made ahead, joined
    retry = [t("lesson.retry_speech"), services.question_speech(question)]
    assert joined_and_playing(at, narrator, retry)
    assert narrator.cached(" ".join(retry)) is None, "no engine said the whole screen again"
    at.button(key="option-6-0").click().run()
    at.button(key="next-6").click().run()
    # the completion screen says her scores the same way: praise, first-time score, score after the retry
    done = [t("speech.done"), t("lesson.done_first", score=2, asked=3), t("lesson.done_retried", score=3, asked=3)]
    assert any(joined_and_playing(at, narrator, lines) for lines in (done, [*done, t("lesson.next_lesson_speech")]))
    assert at.button(key="listen")


def joined_and_playing(at: AppTest, narrator: Narrator, lines: list[str]) -> bool:
    """Whether the screen plays ``lines`` as one clip joined from each line's own clip (see studio.joined)."""
    clips = [narrator.cached(line) for line in lines]
    if not all(clips):
        return False
    name = hashlib.sha256("+".join(c.path.stem for c in clips if c).encode()).hexdigest()
    joined = narrator.cache.root / name[:2] / f"{name}.mp3"
    seconds = sum(c.seconds for c in clips if c) + 0.3 * (len(clips) - 1)
    [player] = [a for a in at.get("audio") if a.proto.autoplay]
    return joined.is_file() and abs(player.proto.end_time - (math.ceil(seconds) + 1)) <= 1


def test_learn_narrate_makes_every_score_a_lesson_can_say(tmp_path: Path, catalog) -> None:
    """The completion screen's score lines are made with the lesson, so a laptop with no internet says them in
    the lesson's voice; they are shared by every lesson with as many questions."""
    lesson = catalog.get("test-unlock")
    narrator = Narrator(AudioCache(tmp_path / "audio"), [EspeakEngine()])
    summary = services.prerender(narrator, [lesson], ("normal",))
    assert summary.failed == 0
    for score in range(len(lesson.questions) + 1):
        for line in ("lesson.done_first", "lesson.done_retried"):
            assert narrator.cached(t(line, score=score, asked=len(lesson.questions))) is not None
    again = services.prerender(narrator, [lesson], ("normal",))
    assert (again.made, again.reused) == (0, summary.made)


def test_slow_reading_uses_slow_clips(player) -> None:
    open_lesson, narrator, lesson = player
    at = open_lesson()
    at.toggle[0].set_value(True).run()
    assert narrator.cached(lesson.steps[0].spoken, "slow") is not None
    at.button(key="next-0").click().run()
    assert narrator.cached(services.question_speech(lesson.questions[0]), "slow") is not None
    assert at.toggle[0].value is True  # the choice stays for the next screens


def test_without_any_voice_the_lesson_goes_on_as_text(player, monkeypatch: pytest.MonkeyPatch) -> None:
    open_lesson, narrator, lesson = player
    monkeypatch.setenv("PATH", "/nonexistent")  # neither espeak-ng nor ffmpeg can be found
    at = open_lesson()
    assert not at.exception
    assert t("voice.unavailable") in [c.value for c in at.caption]
    at.button(key="next-0").click().run()
    at.button(key="option-1-0").click().run()
    assert [s.value for s in at.success]  # feedback in words and colour, just no sound
