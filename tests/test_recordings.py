"""The tech team's recorded narration (issue 20): keeping a take (trimmed and loudness-normalised by the real
ffmpeg, on real recorded speech), counts per lesson, out of date after a text change, heard before espeak-ng,
and unreviewed recordings heard only by their recorder."""

from __future__ import annotations

import array
import io
import shutil
import wave
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from learn import services
from learn.errors import Forbidden, InvalidInput, RecordingRefused
from learn.lessons.catalog import Catalog
from learn.services import accounts, narration, recordings
from learn.services.narration import Listener
from learn.strings_vi import t
from learn.voice import studio
from learn.voice.audio import decode_pcm, duration, rms
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import EspeakEngine
from progress_db import community
from progress_db import recordings as stored_recordings
from tests.support.apptest import PASSWORD
from tests.support.paths import CONTENT, SHARED

pytestmark = pytest.mark.both_engines
CLIP = SHARED / "audio" / "vi-real" / "fosd_003005.wav"
LOUD = SHARED / "audio" / "vi-real" / "fosd_012160.wav"
STEP = "Bác giữ nút nguồn khoảng ba giây."


def wav(pcm: bytes, rate: int = 16000) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(pcm)
    return out.getvalue()


def quiet_and_padded(clip: Path, scale: float = 0.05, pad: float = 1.0) -> bytes:
    """The clip much quieter, with a second of silence before and after: a take as a far-away phone makes it."""
    with wave.open(str(clip)) as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
    samples = array.array("h")
    samples.frombytes(frames)
    quiet = array.array("h", (int(s * scale) for s in samples)).tobytes()
    silence = b"\x00\x00" * int(rate * pad)
    return wav(silence + quiet + silence, rate)


@pytest.fixture
def team(village: int) -> tuple[object, object]:
    """Two trainers of the village's commune."""
    return (accounts.create_account("hung", "Anh Hùng", PASSWORD, "trainer", "Xã Thử"),
            accounts.create_account("mai", "Chị Mai", PASSWORD, "trainer", "Xã Thử"))


@pytest.fixture
def narrator(tmp_path: Path) -> Narrator:
    return Narrator(AudioCache(tmp_path / "audio"), [EspeakEngine()])


def test_a_take_is_trimmed_normalised_and_kept_as_a_small_mp3(team, catalog: Catalog, narrator: Narrator) -> None:
    hung, _ = team
    lesson = catalog.get("test-unlock")
    source = decode_pcm(CLIP)
    kept = recordings.keep(hung, narrator.cache.root, lesson, STEP, quiet_and_padded(CLIP))
    path = narrator.cache.root / kept.audio[:2] / f"{kept.audio}.mp3"
    stored = decode_pcm(path)
    # the two seconds of silence are gone (a little kept around the words), the speech is all there
    assert duration(source) - 0.1 < kept.seconds < duration(source) + 0.5
    assert abs(duration(stored) - kept.seconds) < 0.1
    # a take recorded twenty times too quiet comes out at a speaking level, like a clear one
    assert rms(source) * 0.05 < 0.01 and 0.07 < rms(stored) < 0.25
    loud = recordings.keep(hung, narrator.cache.root, lesson, "Đúng rồi. Nút nguồn bật máy.", LOUD.read_bytes())
    assert abs(rms(decode_pcm(narrator.cache.root / loud.audio[:2] / f"{loud.audio}.mp3")) - rms(stored)) < 0.06
    # 24 kbit/s: about 3 KB a second
    assert kept.size == path.stat().st_size < 4000 * (kept.seconds + 1)
    assert (kept.recorder, kept.recorded_by, kept.approved, kept.text) == ("Anh Hùng", hung.id, False, STEP)


@pytest.mark.parametrize("take, key", [
    (b"", "recording.silent"),
    (wav(b"\x00\x00" * 32000), "recording.silent"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x01" * 40, "recording.broken"),
    (b"\x00" * 13_000_000, "recording.too_big"),
    (wav(b"\x10\x27\xf0\xd8" * 16000 * 31), "recording.too_long"),
])
def test_silent_broken_huge_or_endless_takes_are_refused_and_nothing_is_kept(team, catalog, narrator, take,
                                                                             key) -> None:
    hung, _ = team
    with pytest.raises(RecordingRefused) as refused:
        recordings.keep(hung, narrator.cache.root, catalog.get("test-unlock"), STEP, take)
    assert refused.value.key == key
    assert recordings.lesson_voices(hung, catalog.get("test-unlock")).recorded == 0


def test_only_the_lessons_own_lines_are_recorded(team, catalog, narrator) -> None:
    hung, _ = team
    with pytest.raises(InvalidInput):
        recordings.keep(hung, narrator.cache.root, catalog.get("test-unlock"), "Câu không có trong bài.",
                        CLIP.read_bytes())


def test_the_lines_are_what_the_player_reads(catalog) -> None:
    lesson = catalog.get("test-unlock")
    lines = recordings.lesson_texts(lesson)
    question = lesson.questions[0]
    assert lines[0] == STEP
    assert services.question_speech(question) in lines
    assert services.feedback_speech(question, True) in lines and services.feedback_speech(question, False) in lines
    # the completion screen's lines and the retry's "once more", each on its own (the score is not recordable)
    assert lines[-3:] == [t("lesson.retry_speech"), services.done_speech(lesson), t("lesson.next_lesson_speech")]


def test_counts_and_out_of_date_after_the_lesson_text_changes(team, catalog, narrator, tmp_path: Path) -> None:
    hung, _ = team
    lesson = catalog.get("test-unlock")
    recordings.keep(hung, narrator.cache.root, lesson, STEP, CLIP.read_bytes())
    voices = recordings.lesson_voices(hung, lesson)
    assert (voices.recorded, voices.missing, voices.out_of_date) == (1, len(voices.lines) - 1, [])
    # the author rewrites the step's narration
    content = tmp_path / "content"
    shutil.copytree(CONTENT, content)
    page = content / "smartphone" / "01-unlock.md"
    page.write_text(page.read_text(encoding="utf-8").replace(STEP, "Bác giữ nút nguồn ba giây cho máy sáng."),
                    encoding="utf-8")
    changed = Catalog.load(content).get("test-unlock")
    voices = recordings.lesson_voices(hung, changed)
    assert voices.recorded == 0 and [r.text for r in voices.out_of_date] == [STEP]
    [row] = [v for v in recordings.overview(hung, Catalog.load(content)) if v.lesson_id == "test-unlock"]
    assert (row.recorded, row.missing, len(row.out_of_date)) == (0, len(voices.lines), 1)
    # and the new text is no longer read with the old recording
    new_text = voices.lines[0].text
    assert services.speak(narrator, new_text, listener=Listener(hung.id)).clip.engine == "espeak"


def test_a_kept_recording_is_heard_before_espeak_by_its_recorder_only_until_approved(team, catalog, narrator,
                                                                                    village: int) -> None:
    hung, mai = team
    lesson = catalog.get("test-unlock")
    kept = recordings.keep(hung, narrator.cache.root, lesson, STEP, CLIP.read_bytes())
    stored = (narrator.cache.root / kept.audio[:2] / f"{kept.audio}.mp3").read_bytes()
    resident = services.add_learner(village, "Bà Một")
    heard = services.speak(narrator, STEP, listener=Listener(hung.id))
    assert heard.clip.engine == "recorded" and heard.clip.path.read_bytes() == stored
    # not yet reviewed: the other trainer and the residents hear espeak-ng
    for who in (Listener(mai.id), Listener(learner_id=resident.id), Listener(village_id=village)):
        assert services.speak(narrator, STEP, listener=who).clip.engine == "espeak"
    # unless the server allows unreviewed voices
    assert services.speak(narrator, STEP, listener=Listener(learner_id=resident.id, unreviewed="use")) \
        .clip.path.read_bytes() == stored
    # the recorder cannot approve her own; the second trainer can, and then everybody hears it
    with pytest.raises(Forbidden):
        recordings.approve(hung, kept.id)
    assert recordings.approve(mai, kept.id).approved_by == mai.id
    for who in (Listener(mai.id), Listener(learner_id=resident.id), Listener(village_id=village)):
        clip = services.speak(narrator, STEP, listener=who).clip
        assert clip.engine == "recorded" and clip.path.read_bytes() == stored
    # listening slowly, she hears the same voice slowed down (made once, then served from the cache), not
    # espeak-ng's slow voice; without a listener nothing recorded is looked up
    slow = services.speak(narrator, STEP, "slow", Listener(mai.id)).clip
    assert slow.engine == "recorded" and slow.speed == "slow" and slow.path != heard.clip.path
    assert duration(decode_pcm(slow.path)) == pytest.approx(duration(decode_pcm(heard.clip.path)) / 0.8, rel=0.1)
    made = slow.path.stat().st_mtime_ns
    assert services.speak(narrator, STEP, "slow", Listener(learner_id=resident.id)).clip.path == slow.path
    assert slow.path.stat().st_mtime_ns == made
    assert services.speak(narrator, STEP).clip.engine == "espeak"
    # recording the line again replaces it and it waits for review again
    again = recordings.keep(mai, narrator.cache.root, lesson, STEP, LOUD.read_bytes())
    assert again.id == kept.id and not again.approved
    assert services.speak(narrator, STEP, listener=Listener(learner_id=resident.id)).clip.engine == "espeak"


def test_an_approval_made_by_another_process_is_heard_here_within_the_freshness_time(
        team, catalog, narrator, village: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # each process of `learn serve --workers` keeps the commune's recordings as it last read them
    hung, mai = team
    kept = recordings.keep(hung, narrator.cache.root, catalog.get("test-unlock"), STEP, CLIP.read_bytes())
    resident = Listener(learner_id=services.add_learner(village, "Bà Một").id)
    clock = [1000.0]
    monkeypatch.setattr(narration, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    assert services.speak(narrator, STEP, listener=resident).clip.engine == "espeak"  # read now: unreviewed
    stored_recordings.approve(kept.id, mai.id)  # what another worker's approval leaves in the database
    clock[0] += narration.RECORDINGS_FRESH - 1
    assert services.speak(narrator, STEP, listener=resident).clip.engine == "espeak"
    clock[0] += 1
    assert services.speak(narrator, STEP, listener=resident).clip.engine == "recorded"
    # recorded again through this process: waits for review again at once, not after the freshness time
    recordings.keep(mai, narrator.cache.root, catalog.get("test-unlock"), STEP, LOUD.read_bytes())
    assert services.speak(narrator, STEP, listener=resident).clip.engine == "espeak"


def test_another_communes_trainer_neither_hears_nor_approves(team, catalog, narrator) -> None:
    hung, _ = team
    kept = recordings.keep(hung, narrator.cache.root, catalog.get("test-unlock"), STEP, CLIP.read_bytes())
    community.get_or_create_commune("Xã Khác")
    other = accounts.create_account("lan", "Chị Lan", PASSWORD, "trainer", "Xã Khác")
    with pytest.raises(Forbidden):
        recordings.approve(other, kept.id)
    assert services.speak(narrator, STEP, listener=Listener(other.id, unreviewed="use")).clip.engine == "espeak"


def test_a_screen_of_several_lines_plays_the_recorded_one_in_her_teams_voice(team, catalog, narrator,
                                                                             village: int) -> None:
    """The completion screen reads the completion line, then her score (which nobody can record for every
    score): with the line recorded, she hears it in her team's voice, then the score in espeak-ng's, as one
    clip; without, espeak-ng's clip of each line, joined the same way (each line one `learn narrate` made)."""
    hung, mai = team
    lesson = catalog.get("test-unlock")
    done, score = services.done_speech(lesson), "Bác đúng 2 câu trên 3 câu ngay lần đầu."
    assert done in recordings.lesson_texts(lesson)
    resident = Listener(learner_id=services.add_learner(village, "Bà Một").id)
    alone = services.speak(narrator, [done, score], listener=resident).clip
    each = [narrator.cached(done), narrator.cached(score)]
    assert alone.engine == "espeak" and all(each) and narrator.cached(f"{done} {score}") is None
    assert duration(decode_pcm(alone.path)) == pytest.approx(
        sum(duration(decode_pcm(c.path)) for c in each if c) + 0.3, abs=0.15)
    kept = recordings.keep(hung, narrator.cache.root, lesson, done, CLIP.read_bytes())
    recordings.approve(mai, kept.id)
    line = decode_pcm(narrator.cache.root / kept.audio[:2] / f"{kept.audio}.mp3")
    told = services.speak(narrator, score).clip
    both = services.speak(narrator, [done, score], listener=resident).clip
    assert both.engine == "recorded" and both.voice == "Anh Hùng"
    heard = decode_pcm(both.path)
    assert duration(heard) == pytest.approx(duration(line) + 0.3 + duration(decode_pcm(told.path)), abs=0.15)
    # it begins with the team's recording: the first second is the same sound
    first = min(len(line), 22050 * 2)
    assert _correlation(heard[:first], line[:first]) > 0.9
    assert services.speak(narrator, [done, score], listener=resident).clip.path == both.path  # made once


def _correlation(a: bytes, b: bytes) -> float:
    x, y = array.array("h"), array.array("h")
    x.frombytes(a[: len(a) // 2 * 2]), y.frombytes(b[: len(b) // 2 * 2])
    n = min(len(x), len(y))
    mx, my = sum(x[:n]) / n, sum(y[:n]) / n
    cov = sum((x[i] - mx) * (y[i] - my) for i in range(n))
    vx = sum((x[i] - mx) ** 2 for i in range(n)) ** 0.5
    vy = sum((y[i] - my) ** 2 for i in range(n)) ** 0.5
    return cov / (vx * vy) if vx and vy else 0.0


def test_a_damaged_clip_is_neither_played_nor_slowed_and_two_sessions_slow_it_once(team, catalog, narrator,
                                                                                   village: int) -> None:
    """A clip damaged in the cache (a full disk, a bad memory card) was served as it was, and slowed: its broken
    slow version then stayed in the cache even after the clip was mended."""
    hung, mai = team
    lesson = catalog.get("test-unlock")
    kept = recordings.keep(hung, narrator.cache.root, lesson, STEP, CLIP.read_bytes())
    recordings.approve(mai, kept.id)
    her = Listener(learner_id=services.add_learner(village, "Bà Một").id)
    path = narrator.cache.root / kept.audio[:2] / f"{kept.audio}.mp3"
    whole = path.read_bytes()
    path.write_bytes(whole[: len(whole) // 2] + bytes(len(whole) // 2))
    for speed in ("normal", "slow"):  # espeak-ng speaks instead, and nothing slowed is made of the damage
        assert services.speak(narrator, STEP, speed, her).clip.engine == "espeak"
    slowed_path = narrator.cache.root / studio.slowed_name(kept.audio)[:2] / f"{studio.slowed_name(kept.audio)}.mp3"
    assert not slowed_path.exists()
    path.write_bytes(whole)  # mended (a voice pack brings it again): her team's voice, slowed whole
    # two sessions asking at once both get the whole slow clip (made atomically, no partial file left)
    with ThreadPoolExecutor(2) as pool:
        clips = list(pool.map(lambda _: services.speak(narrator, STEP, "slow", her).clip, range(2)))
    assert {c.engine for c in clips} == {"recorded"} and {c.path for c in clips} == {slowed_path}
    assert duration(decode_pcm(slowed_path)) == pytest.approx(duration(decode_pcm(path)) / 0.8, rel=0.1)
    assert not [p for p in slowed_path.parent.iterdir() if p.name.startswith(".part-")]
