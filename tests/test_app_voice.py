"""Answering by voice in the lesson player (AppTest feeds real recordings; the recogniser is a named double
because no Vosk model can be installed here: see tests/test_voice_asr.py for the real one). The page and its
recogniser come from the ``lesson_at`` fixture of tests/support/voice_page.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from learn.strings_vi import t
from progress_db import learning
from tests.conftest import SHARED
from tests.support.doubles import ScriptedRecognizer

HAI = SHARED / "audio" / "vi-tts" / "d02.wav"
pytestmark = pytest.mark.skipif(not HAI.exists(), reason="../shared/audio clips are not present")


def say(at: AppTest, clip: Path, key: str) -> AppTest:
    at.audio_input(key=key).set_value((clip.name, clip.read_bytes(), "audio/wav"))
    return at.run()


def test_saying_hai_answers_option_two_and_keeps_what_was_heard(lesson_at) -> None:
    make, person = lesson_at
    recognizer = ScriptedRecognizer(grammar="hai")
    at = make(recognizer, position=1)
    assert at.audio_input(key="mic-test-unlock-1-0").label == t("voice.record_answer")
    say(at, HAI, "mic-test-unlock-1-0")
    assert not at.exception
    answer = learning.latest_answers(person.id, "test-unlock")["q1"]
    assert (answer.option_index, answer.mode, answer.transcript, answer.correct) == (1, "voice", "hai", False)
    assert [e.value for e in at.error]  # the same feedback as a tap, in words and colour
    assert t("voice.heard", text="hai") in [c.value for c in at.caption]
    # the real recording went through the real pipeline: 16 kHz speech, trimmed, not silence
    [pcm] = recognizer.received
    assert 0.2 < len(pcm) / 2 / 16000 < 1.2
    [heard] = learning.utterances(person.id)
    assert (heard.question_id, heard.transcript, heard.outcome) == ("q1", "hai", "answer")


def test_not_understood_asks_to_tap_and_is_kept_for_authors(lesson_at) -> None:
    make, person = lesson_at
    at = make(ScriptedRecognizer(grammar="[unk]", free="hôm nay trời đẹp", confidence=0.9), position=1)
    say(at, HAI, "mic-test-unlock-1-0")
    assert [w.value for w in at.warning] == [t("voice.not_understood")]
    assert learning.latest_answers(person.id, "test-unlock") == {}
    assert [(u.transcript, u.outcome) for u in learning.utterances(person.id)] == [
        ("hôm nay trời đẹp", "voice.not_understood")]
    assert at.audio_input(key="mic-test-unlock-1-1")  # a fresh recorder for the next try
    assert not at.button(key="option-1-0").disabled  # tapping still works


def test_silence_is_nothing_heard(lesson_at, tmp_path: Path) -> None:
    import wave

    make, person = lesson_at
    silent = tmp_path / "silent.wav"
    with wave.open(str(silent), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\0\0" * 32000)
    recognizer = ScriptedRecognizer(grammar="hai")
    at = make(recognizer, position=1)
    say(at, silent, "mic-test-unlock-1-0")
    assert [w.value for w in at.warning] == [t("voice.nothing_heard")]
    assert recognizer.received == [] and learning.utterances(person.id) == []


def test_tiep_moves_on_and_nghe_lai_plays_again(lesson_at) -> None:
    make, person = lesson_at
    at = make(ScriptedRecognizer(grammar="nghe lại"))
    assert at.audio_input(key="mic-test-unlock-0-0").label == t("voice.record_command")
    say(at, HAI, "mic-test-unlock-0-0")
    assert at.session_state["replay-test-unlock-0"] == 1
    make_next = make(ScriptedRecognizer(grammar="tiếp"))
    say(make_next, HAI, "mic-test-unlock-0-0")
    assert learning.progress_for(person.id)["test-unlock"].position == 1


def test_tiep_on_an_unanswered_question_asks_for_the_answer(lesson_at) -> None:
    make, person = lesson_at
    at = make(ScriptedRecognizer(grammar="tiếp"), position=1)
    say(at, HAI, "mic-test-unlock-1-0")
    assert [w.value for w in at.warning] == [t("voice.answer_first")]
    assert learning.progress_for(person.id)["test-unlock"].position == 1


def test_without_a_model_there_is_no_microphone_and_tapping_works(lesson_at) -> None:
    make, person = lesson_at
    at = make(None, position=1)
    assert not at.exception and len(at.audio_input) == 0
    at.button(key="option-1-0").click().run()
    assert learning.latest_answers(person.id, "test-unlock")["q1"].mode == "tap"
