"""End to end (issue 20): a trainer records a lesson's first line with Chromium's fake microphone on the recording
page, keeps it, and a resident's session then plays that recording for the line, not espeak-ng: the clip her
phone is served is the stored recording, byte for byte, and its sound is the speech the microphone played."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from learn.lessons.catalog import Catalog
from learn.strings_vi import t
from learn.voice.audio import decode_pcm
from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TIMEOUT_MS,
    Server,
    expect,
    expect_playing,
    lesson_button,
    run_server,
    screenshot,
    sign_in,
    sync_api,
)
from tests.support.microphone import correlation, record
from tests.support.paths import SHARED
from tests.support.server import CONTENT

pytestmark = pytest.mark.browser
CLIP = SHARED / "audio" / "vi-real" / "fosd_003005.wav"
PASSWORD = "mat-khau-tot"
if not CLIP.exists():
    pytest.skip("../shared/audio clips are not present", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`learn serve` with a trainer; unreviewed recordings heard by everyone, so one trainer is enough here (the
    review itself is tested in tests/test_recordings.py)."""
    with run_server(tmp_path_factory.mktemp("recording-home"), {"LEARN_UNREVIEWED_VOICES": "use"}) as running:
        learn = Path(sys.executable).parent / "learn"
        env = {**os.environ, "LEARN_HOME": str(running.home), "LEARN_CONTENT_DIR": str(CONTENT)}
        env.pop("LEARN_DATABASE_URL", None)
        made = subprocess.run([str(learn), "users", "add", "mai", "--role", "trainer", "--commune", "Xã Hòa Bình",
                               "--name", "Chị Mai", "--password", PASSWORD], env=env, capture_output=True, text=True)
        assert made.returncode == 0, made.stderr
        yield running


@pytest.fixture(scope="module")
def microphone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The clip after a second of silence, with a long silence after it (see tests/test_browser_voice.py)."""
    padded = tmp_path_factory.mktemp("mic") / "clip_padded.wav"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(CLIP), "-af", "adelay=1000,apad=pad_dur=10",
                    str(padded)], check=True)
    return padded


def test_a_recorded_line_is_what_the_resident_hears(server: Server, microphone: Path) -> None:
    catalog = Catalog.load(CONTENT)
    lesson = next(x for _, group in catalog.by_topic() for x in group)  # the page's first lesson
    args = [*CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone}%noloop"]
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            trainer = browser.new_context(viewport=PHONE, locale="vi-VN")
            trainer.set_default_timeout(TIMEOUT_MS)
            trainer.grant_permissions(["microphone"])
            page = trainer.new_page()
            page.goto(server.url + "/trainer")
            page.get_by_label(t("trainer.username")).fill("mai")
            page.get_by_label(t("trainer.password")).fill(PASSWORD)
            page.get_by_role("button", name=t("trainer.login")).click()
            page.get_by_role("button", name=t("recording.entry")).click()
            expect(page.get_by_text(t("recording.line", number=1, total=len(_lines(lesson))))).to_be_visible()
            recorder = page.get_by_test_id("stAudioInput")
            record(page, recorder.get_by_role("button", name="Record"),
                   recorder.get_by_role("button", name="Stop recording"))
            page.get_by_role("button", name=t("recording.keep")).click()
            expect(page.get_by_test_id("stAlert").filter(has_text=t("recording.kept", seconds="")[:12])) \
                .to_be_visible()
            expect(page.get_by_text(t("recording.current", source=t("recording.source_own", name="Chị Mai")))) \
                .to_be_visible()
            screenshot(page, "recording-page-kept.png")
            trainer.close()

            resident = browser.new_context(viewport=PHONE, locale="vi-VN")
            resident.set_default_timeout(TIMEOUT_MS)
            page = resident.new_page()
            sign_in(page, server.url)
            lesson_button(page, lesson.id, lesson.topic).click()
            expect_playing(page)
            source = page.evaluate("() => document.querySelector('audio').src")
        finally:
            browser.close()

    [kept] = sorted(p for p in (server.home / "audio").glob("??/*.mp3") if not (p.with_suffix(".json")).exists())
    assert source.endswith(f"/audio/{kept.stem}.mp3")
    with urllib.request.urlopen(source, timeout=10) as response:
        served = response.read()
    assert served == kept.read_bytes()
    # the recording is the speech the microphone played (trimmed and normalised), not a synthetic voice: the
    # middle of the clip (its first and last quarter second may be trimmed) is found in it
    heard = np.frombuffer(decode_pcm(kept, 16000), dtype="<i2").astype(np.float64)
    played = np.frombuffer(decode_pcm(CLIP, 16000), dtype="<i2").astype(np.float64)
    assert correlation(heard, played[4000:-4000]) > 0.8


def _lines(lesson):  # type: ignore[no-untyped-def]
    from learn.services.recordings import lesson_texts

    return lesson_texts(lesson)
