"""End-to-end answer by voice: Chromium's fake microphone plays a real recording into the app's recorder.

The recording travels through the browser, the upload and the real audio pipeline; the recogniser at the end
is the named test double (no Vosk model can be installed here), which keeps what it received so the test can
show it is the speech that was played.
"""

from __future__ import annotations

import subprocess
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
    expect,
    expect_screen,
    lesson_button,
    run_server,
    sign_in,
    sync_api,
)

pytestmark = pytest.mark.browser
CLIP = SHARED / "audio" / "vi-tts" / "p08.wav"  # "câu một"
if not CLIP.exists():
    pytest.skip("../shared/audio clips are not present", allow_module_level=True)


@pytest.fixture(scope="module")
def voice_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("voice-home")
    hook = ROOT / "tests" / "support" / "recognizer_double"
    env = {"PYTHONPATH": f"{hook}:{ROOT}", "HOCSO_TEST_RECEIVED": str(home / "received"),
           "HOCSO_TEST_TRANSCRIPT": "câu một"}
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


def correlation(a: np.ndarray, b: np.ndarray) -> float:
    """Best normalised cross-correlation of ``b`` slid along ``a`` (the recording starts at an unknown time)."""
    a, b = a - a.mean(), b - b.mean()
    full = np.correlate(a, b, mode="valid") if len(a) >= len(b) else np.correlate(b, a, mode="valid")
    short = b if len(a) >= len(b) else a
    long = a if len(a) >= len(b) else b
    energy = np.sqrt(np.convolve(long * long, np.ones(len(short)), mode="valid")) * np.linalg.norm(short)
    return float(np.max(full / (energy + 1e-9)))


def record(page, start, stop) -> None:
    """Tap record, let the fake microphone play the clip, tap stop.

    Headless Chromium's fake capture device now and then ends a recording by itself within a second of its
    start (seen with and without narration playing, and with no message to the page): the recorder then goes back
    to "Record" and nothing is sent. A resident would tap again, and so does this test (at most four times).
    """
    for _ in range(4):
        start.click()
        try:  # a recording that ended by itself at once may show "Stop recording" too briefly to be seen
            stop.wait_for(state="visible", timeout=5_000)
        except sync_api.TimeoutError:
            continue
        # the narration stops, or the microphone would hear the phone itself
        assert page.evaluate("() => [...document.querySelectorAll('audio')].every(a => a.paused)")
        page.wait_for_timeout(3000)  # the clip starts one second in and lasts about 1.3 s
        if stop.is_visible():
            stop.click()
            return
    raise AssertionError("the recorder never kept a recording for 3 seconds in four tries")


def test_a_spoken_answer_travels_from_the_microphone_to_the_progress(voice_server: Server, microphone: Path) -> None:
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}%noloop"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            context = browser.new_context(viewport=PHONE, locale="vi-VN")
            context.set_default_timeout(TIMEOUT_MS)
            context.grant_permissions(["microphone"])
            page = context.new_page()
            sign_in(page, voice_server.url, name="Ông Sử", year=1950)
            lesson_button(page, "phone-unlock").click()
            page.locator(".st-key-next-0 button").click()

            from learn.lessons.catalog import Catalog
            lesson = Catalog.load(ROOT / "content" / "vi").get("phone-unlock")
            assert lesson is not None and lesson.screens[1].question is not None
            expect_screen(page, lesson, 1)  # the question is being read aloud when the learner taps record
            recorder = page.get_by_test_id("stAudioInput")
            expect(recorder).to_be_visible()
            start = recorder.get_by_role("button", name="Record")
            stop = recorder.get_by_role("button", name="Stop recording")
            page.wait_for_function("() => document.hocSoPausesNarration === true")  # the app's helper is ready
            record(page, start, stop)
            question = lesson.screens[1].question
            feedback = page.get_by_test_id("stAlert").filter(has_text=question.right)
            try:
                expect(feedback).to_be_visible(timeout=20_000)
            except AssertionError:
                page.screenshot(path=str(ROOT / "test-artifacts" / "voice-answer-failed.png"), full_page=True)
                raise
            expect(page.get_by_text("“câu một”")).to_be_visible()
            page.screenshot(path=str(ROOT / "test-artifacts" / "voice-answer.png"), full_page=True)
        finally:
            browser.close()

    # The server received the speech that was played (not silence, not something else) ...
    [received] = sorted((voice_server.home / "received").glob("received-*.pcm"))
    heard = np.frombuffer(received.read_bytes(), dtype="<i2").astype(np.float64)
    import wave
    with wave.open(str(CLIP)) as w:
        source = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    assert correlation(heard, source) > 0.8
    # ... and the answer is in the learner's progress, as spoken, with its transcript.
    from progress_db import community, learning
    from progress_db.db import open_db

    db = open_db(f"sqlite:///{voice_server.home}/progress.sqlite3")
    try:
        village = next(v for v in community.list_villages() if v.name == "Thôn Đông")
        person = next(p for p in community.list_learners(village.id) if p.name == "Ông Sử")
        answer = learning.latest_answers(person.id, "phone-unlock")[question.id]
        assert (answer.option_index, answer.correct, answer.mode, answer.transcript) == (0, True, "voice", "câu một")
    finally:
        db.close()
