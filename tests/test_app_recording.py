"""The recording page (issue 20), driven with AppTest: from the trainer page, pick a lesson, step through its
lines, record a real take through st.audio_input, keep it or record again; the counts; a second trainer
approves."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from streamlit.testing.v1 import AppTest

from learn.app.ui import plain
from learn.services import accounts, recordings
from learn.strings_vi import t
from tests.support.apptest import PASSWORD, button, texts
from tests.support.paths import SHARED

CLIP = SHARED / "audio" / "vi-real" / "fosd_003005.wav"
STEP = "Bác giữ nút nguồn khoảng ba giây."


@pytest.fixture
def team(village: int):  # type: ignore[no-untyped-def]
    return (accounts.create_account("hung", "Anh Hùng", PASSWORD, "trainer", "Xã Thử"),
            accounts.create_account("mai", "Chị Mai", PASSWORD, "trainer", "Xã Thử"))


def lesson_voices(who, catalog):  # type: ignore[no-untyped-def]
    return recordings.lesson_voices(who, catalog.get("test-unlock"))


def open_recording(app: Callable[..., AppTest], who) -> AppTest:  # type: ignore[no-untyped-def]
    at = app("recording", account=who, timeout=30)
    assert not at.exception
    return at


def pick_unlock(at: AppTest) -> AppTest:
    at.selectbox(key="recording_lesson").set_value("test-unlock").run()
    return at


def test_record_a_line_keep_it_and_hear_it_as_the_current_clip(app, team, catalog, monkeypatch) -> None:
    monkeypatch.setenv("LEARN_TTS", "espeak")
    hung, _ = team
    at = pick_unlock(open_recording(app, hung))
    shown = texts(at)
    lines = len(lesson_voices(hung, catalog).lines)
    assert t("recording.counts", recorded=0, missing=lines, stale=0) in shown
    assert f"### {plain(STEP)}" in shown and t("recording.line", number=1, total=lines) in shown
    assert t("recording.current", source=t("recording.source_engine")) in shown
    # record, listen back, record again: nothing is kept
    at.audio_input(key="take-test-unlock-0-0").set_value((CLIP.name, CLIP.read_bytes(), "audio/wav")).run()
    assert t("recording.listen_back") in texts(at)
    button(at, t("recording.again")).click().run()
    assert at.audio_input(key="take-test-unlock-0-1").value is None
    assert lesson_voices(hung, catalog).recorded == 0
    # record again and keep it
    at.audio_input(key="take-test-unlock-0-1").set_value((CLIP.name, CLIP.read_bytes(), "audio/wav")).run()
    button(at, t("recording.keep")).click().run()
    assert not at.exception
    [kept] = [line.recording for line in lesson_voices(hung, catalog).lines if line.recording]
    assert kept.text == STEP and kept.recorded_by == hung.id
    shown = texts(at)
    assert t("recording.kept", seconds=f"{kept.seconds:.1f}") in shown
    assert t("recording.counts", recorded=1, missing=lines - 1, stale=0) in shown
    # what the recorder hears now is her own recording, waiting for review
    assert t("recording.current", source=t("recording.source_own", name="Anh Hùng")) in shown
    assert t("recording.waiting") in shown and not [b for b in at.button if b.label == t("recording.approve")]
    # the next line has none yet
    button(at, t("recording.next")).click().run()
    assert t("recording.line", number=2, total=lines) in texts(at)


def test_a_broken_take_says_why_and_keeps_nothing(app, team, catalog) -> None:
    hung, _ = team
    at = pick_unlock(open_recording(app, hung))
    at.audio_input(key="take-test-unlock-0-0").set_value(("x.wav", b"RIFF" + b"\x01" * 60, "audio/wav")).run()
    button(at, t("recording.keep")).click().run()
    assert t("recording.broken") in [e.value for e in at.error]
    assert lesson_voices(hung, catalog).recorded == 0


def test_a_second_trainer_approves(app, team, catalog, db) -> None:
    hung, mai = team
    kept = recordings.keep(hung, db.parent / "audio", catalog.get("test-unlock"), STEP, CLIP.read_bytes())
    at = pick_unlock(open_recording(app, mai))
    assert t("recording.waiting") in texts(at)
    button(at, t("recording.approve")).click().run()
    assert not at.exception
    assert t("recording.approved_done") in texts(at) and t("recording.approved") in texts(at)
    assert recordings.lesson_voices(mai, catalog.get("test-unlock")).lines[0].recording.approved_by == mai.id
    assert kept.id == recordings.lesson_voices(mai, catalog.get("test-unlock")).lines[0].recording.id


def test_the_trainer_page_leads_to_the_recording_page(app, team) -> None:
    at = app("trainer", account=team[0], timeout=30)
    button(at, t("recording.entry")).click().run()
    assert not at.exception and t("recording.heading") in texts(at)


def test_signed_out_the_page_leads_to_the_sign_in(app) -> None:
    at = app("recording")
    assert not at.exception
    assert at.text_input(key="login_user")


def test_the_line_comes_first_and_a_tap_goes_to_the_next_line_nobody_recorded(app, team, catalog) -> None:
    """On a phone the line to record is at the top (the lessons' table waits in an expander below it), and
    "Đến câu chưa thu" skips the lines already recorded."""
    from learn.settings import Settings

    hung, _ = team
    lesson = catalog.get("test-unlock")
    at = pick_unlock(open_recording(app, hung))
    second = lesson_voices(hung, catalog).lines[1].text
    recordings.keep(hung, Settings.from_env().audio_cache_dir, lesson, second, CLIP.read_bytes())
    at.run()
    assert t("recording.overview") in [e.label for e in at.expander] and len(at.dataframe) == 1
    button(at, t("recording.next_missing")).click().run()
    assert t("recording.line", number=3, total=len(lesson_voices(hung, catalog).lines)) in texts(at)


def test_a_resident_finishing_a_lesson_hears_the_recorded_completion_line(app, team, catalog, monkeypatch,
                                                                          village: int) -> None:
    """The completion screen's praise recorded by the team: she hears it in their voice, then her score in the
    engine's, as the screen's one clip (not espeak-ng's whole text)."""
    import hashlib
    import math

    from learn import services
    from learn.settings import Settings
    from learn.voice.audio import decode_pcm, duration
    from learn.voice.narrator import AudioCache, Narrator
    from learn.voice.tts import EspeakEngine
    from tests.support.lessons import finish_lesson

    monkeypatch.setenv("LEARN_TTS", "espeak")
    hung, mai = team
    lesson = catalog.get("test-unlock")
    audio = Settings.from_env().audio_cache_dir
    kept = recordings.keep(hung, audio, lesson, services.done_speech(lesson), CLIP.read_bytes())
    recordings.approve(mai, kept.id)
    person = services.add_learner(village, "Bà Một")
    view = finish_lesson(person.id, lesson)
    at = app("lesson", {"lesson": lesson.id}, village_id=village, learner_id=person.id, timeout=30)
    assert not at.exception
    [player] = [a for a in at.get("audio") if a.proto.autoplay]
    # the clip the page made: the recording, then the engine's clips of the other lines (which it made too)
    narrator = Narrator(AudioCache(audio), [EspeakEngine()])
    recorded_clip = audio / kept.audio[:2] / f"{kept.audio}.mp3"
    parts = services.player.completion_speech(view)
    assert parts[0] == services.done_speech(lesson)
    made = []
    for lines in (parts, [*parts, t("lesson.next_lesson_speech")]):
        others = [narrator.cached(line) for line in lines[1:]]
        if all(others):
            stems = [recorded_clip.stem, *(c.path.stem for c in others)]
            name = hashlib.sha256("+".join(stems).encode()).hexdigest()
            seconds = duration(decode_pcm(recorded_clip)) + sum(c.seconds for c in others) + 0.3 * len(others)
            made += [seconds] if (audio / name[:2] / f"{name}.mp3").is_file() else []
    assert len(made) == 1, "the completion screen played its lines joined, the first in the team's voice"
    assert abs(player.proto.end_time - (math.ceil(made[0]) + 1)) <= 1  # and that is the clip it plays
