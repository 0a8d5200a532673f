"""Narration with the real espeak-ng and ffmpeg, and gTTS's own request code against a stubbed transport."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
import requests
import responses

from learn import services
from learn.errors import VoiceUnavailable
from learn.voice.audio import decode_pcm, duration, encode_mp3, rms
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import EspeakEngine, GttsEngine, speakable, split_sentences

GTTS_URL = "https://translate.google.com.vn/_/TranslateWebserverUi/data/batchexecute"
SENTENCE = "Bác giữ nút nguồn khoảng ba giây."


class Counting:
    """Wraps a real engine and counts how often it is asked to speak."""

    def __init__(self, engine) -> None:
        self.engine, self.calls = engine, 0
        self.name, self.voice = engine.name, engine.voice

    def available(self) -> bool:
        return self.engine.available()

    def synthesize(self, text: str, speed: str, out: Path) -> None:
        self.calls += 1
        self.engine.synthesize(text, speed, out)


class SilentEngine:
    """A broken engine (named test double): writes a valid WAV file of pure silence."""

    name, voice = "silent", "vi"

    def available(self) -> bool:
        return True

    def synthesize(self, text: str, speed: str, out: Path) -> None:
        import wave

        with wave.open(str(out), "wb") as w:
            w.setnchannels(1), w.setsampwidth(2), w.setframerate(22050)
            w.writeframes(b"\x00\x00" * 22050)


def espeak_pcm(text: str, speed: str = "normal", tmp: Path = Path("/tmp")) -> bytes:
    out = tmp / f"espeak-{abs(hash((text, speed)))}.wav"
    EspeakEngine().synthesize(text, speed, out)
    return decode_pcm(out)


# --- text -----------------------------------------------------------------------------------------------

def test_empty_and_symbol_only_text_are_refused_with_a_reason() -> None:
    for text, key in (("", "voice.empty"), ("   \n", "voice.empty"), ("!!! ... ???", "voice.nothing_to_say"),
                      ("🙂 -- **", "voice.nothing_to_say")):
        with pytest.raises(VoiceUnavailable) as exc:
            speakable(text)
        assert exc.value.key == key


def test_long_text_is_split_at_sentences_then_clauses_then_words() -> None:
    assert split_sentences("Một câu. Hai câu! Ba câu?") == ["Một câu.", "Hai câu!", "Ba câu?"]
    long = ", ".join(["bác bấm vào nút xanh"] * 20) + "."
    pieces = split_sentences(long, limit=60)
    assert all(len(p) <= 60 for p in pieces) and " ".join(pieces) == long
    assert split_sentences("x" * 130, limit=60) == ["x" * 60, "x" * 60, "x" * 10]
    assert split_sentences("Đây. ... Kia.") == ["Đây.", "Kia."]  # a lone "..." is not spoken


# --- espeak-ng, for real ---------------------------------------------------------------------------------

def test_espeak_speaks_vietnamese_audibly(tmp_path: Path) -> None:
    pcm = espeak_pcm(SENTENCE, tmp=tmp_path)
    assert 1.0 < duration(pcm) < 5.0
    assert rms(pcm) > 0.02
    # the Vietnamese voice pronounces tones: "ba" (level) and "bà" (falling) sound different
    assert espeak_pcm("ba", tmp=tmp_path) != espeak_pcm("bà", tmp=tmp_path)


def test_slow_speech_is_slower(tmp_path: Path) -> None:
    normal, slow = duration(espeak_pcm(SENTENCE, tmp=tmp_path)), duration(espeak_pcm(SENTENCE, "slow", tmp_path))
    assert slow > normal * 1.15


def test_missing_espeak_is_a_clear_message(tmp_path: Path) -> None:
    engine = EspeakEngine(binary="espeak-ng-not-installed")
    assert not engine.available()
    with pytest.raises(VoiceUnavailable) as exc:
        engine.synthesize(SENTENCE, "normal", tmp_path / "x.wav")
    assert exc.value.key == "voice.no_espeak" and "apt-get install espeak-ng" in str(exc.value)
    spoken = services.speak(Narrator(AudioCache(tmp_path), [engine]), SENTENCE)
    assert spoken == services.Spoken(None, "voice.unavailable")


# --- the narrator and its cache --------------------------------------------------------------------------

@pytest.fixture
def espeak(tmp_path: Path) -> tuple[Narrator, Counting]:
    engine = Counting(EspeakEngine())
    return Narrator(AudioCache(tmp_path / "audio"), [engine]), engine


def test_a_clip_is_small_mp3_and_records_its_engine(espeak) -> None:
    narrator, engine = espeak
    clip = narrator.clip(SENTENCE)
    assert clip.made and (clip.engine, clip.voice, clip.speed) == ("espeak", "vi", "normal")
    assert clip.path.read_bytes()[:2] in (b"\xff\xf3", b"\xff\xfb", b"\xff\xf2")  # an MP3 frame, no tags
    assert clip.size / clip.seconds <= 4100  # about 4 KB per second of speech, for village 3G
    decoded = decode_pcm(clip.path)
    assert abs(duration(decoded) - clip.seconds) < 0.15 and rms(decoded) > 0.02
    meta = json.loads(clip.path.with_suffix(".json").read_text(encoding="utf-8"))
    assert (meta["engine"], meta["text"], meta["speed"]) == ("espeak", SENTENCE, "normal")


def test_a_cached_clip_is_not_synthesised_again(espeak) -> None:
    narrator, engine = espeak
    first = narrator.clip(SENTENCE)
    again = narrator.clip("Bác giữ nút nguồn khoảng ba giây.")  # same text, decomposed or not: same clip
    assert (first.made, again.made, again.path, engine.calls) == (True, False, first.path, 1)
    narrator.clip(SENTENCE, "slow")
    assert engine.calls == 2  # each speed is its own clip


def test_concurrent_requests_for_one_sentence_synthesise_it_once(espeak) -> None:
    narrator, engine = espeak
    clips, start = [], threading.Barrier(6)

    def ask() -> None:
        start.wait()
        clips.append(narrator.clip(SENTENCE))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert engine.calls == 1 and len({c.path for c in clips}) == 1 and sum(c.made for c in clips) == 1


@pytest.mark.parametrize("damage", ["flip", "truncate", "empty", "meta"])
def test_a_damaged_cache_file_is_detected_and_remade(espeak, damage: str) -> None:
    narrator, engine = espeak
    clip = narrator.clip(SENTENCE)
    data = clip.path.read_bytes()
    if damage == "flip":
        clip.path.write_bytes(data[:500] + bytes([data[500] ^ 0xFF]) + data[501:])
    elif damage == "truncate":
        clip.path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        clip.path.write_bytes(b"")
    else:
        clip.path.with_suffix(".json").write_text("{not json", encoding="utf-8")
    again = narrator.clip(SENTENCE)
    assert again.made and engine.calls == 2 and again.path.read_bytes() == data


def test_very_long_text_is_spoken_sentence_by_sentence(espeak) -> None:
    narrator, engine = espeak
    text = " ".join(f"Đây là câu số {i}, bác nghe cho rõ nhé." for i in range(1, 13))
    clip = narrator.clip(text)
    assert engine.calls == 12 and clip.seconds > 12 * 1.0


def test_an_engine_that_produces_silence_falls_through_to_the_next(tmp_path: Path) -> None:
    engine = Counting(EspeakEngine())
    clip = Narrator(AudioCache(tmp_path), [SilentEngine(), engine]).clip(SENTENCE)
    assert clip.engine == "espeak" and engine.calls == 1
    with pytest.raises(VoiceUnavailable) as exc:
        Narrator(AudioCache(tmp_path / "b"), [SilentEngine()]).clip(SENTENCE)
    assert "silent: silent produced silence" in str(exc.value)


def test_a_second_prerender_synthesises_nothing(espeak, catalog) -> None:
    narrator, engine = espeak
    lessons = list(catalog.lessons.values())
    first = services.prerender(narrator, lessons, ("normal",))
    calls = engine.calls
    second = services.prerender(narrator, lessons, ("normal",))
    assert first.made == len({t for x in lessons for t in services.narrated_texts(x)})  # a shared sentence once
    assert second.reused == first.made + first.reused
    assert (second.made, second.failed, engine.calls) == (0, 0, calls)


def test_an_audio_folder_that_cannot_be_written_leaves_the_lesson_as_text(tmp_path: Path) -> None:
    (tmp_path / "audio").mkdir()
    (tmp_path / "audio" / "locks").write_text("a file where the lock folder should be")
    spoken = services.speak(Narrator(AudioCache(tmp_path / "audio"), [EspeakEngine()]), SENTENCE)
    assert spoken == services.Spoken(None, "voice.cache_write")


def test_a_full_disk_loses_nothing_and_says_so(tmp_path: Path) -> None:
    import subprocess

    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12k", "tmpfs", str(small)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tiny tmpfs here (needs root)")
    try:
        narrator = Narrator(AudioCache(small), [EspeakEngine()])
        with pytest.raises(VoiceUnavailable) as exc:
            narrator.clip(" ".join([SENTENCE] * 8))
        assert exc.value.key == "voice.cache_write" and "No space left on device" in str(exc.value)
        leftovers = [p.name for p in small.rglob("*") if p.is_file() and p.suffix in (".mp3", ".json")]
        assert [p for p in leftovers if p.startswith(".part-")] == []
        assert narrator.cached(" ".join([SENTENCE] * 8)) is None
    finally:
        subprocess.run(["umount", str(small)], check=False)


# --- gTTS: its own request code, against a stubbed HTTP transport -----------------------------------------

@pytest.fixture(scope="module")
def mp3_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Real MP3 speech (made with espeak-ng and ffmpeg) for the stubbed Google service to return."""
    folder = tmp_path_factory.mktemp("gtts")
    encode_mp3(espeak_pcm("Xin chào", tmp=folder), folder / "hello.mp3")
    return (folder / "hello.mp3").read_bytes()


def google_reply(mp3: bytes) -> str:
    import base64

    payload = base64.b64encode(mp3).decode()
    compact = {"separators": (",", ":")}
    return ")]}'\n\n" + json.dumps([["wrb.fr", "jQ1olc", json.dumps([payload], **compact), None, None, None,
                                      "generic"]], **compact)


@responses.activate
def test_gtts_success_is_cached_as_google_voice(tmp_path: Path, mp3_bytes: bytes) -> None:
    responses.post(GTTS_URL, body=google_reply(mp3_bytes))
    narrator = Narrator(AudioCache(tmp_path), [GttsEngine(), EspeakEngine()])
    clip = narrator.clip("Xin chào bác")
    assert clip.engine == "gtts" and clip.seconds > 0.3
    [call] = responses.calls
    assert "Xin" in requests.utils.unquote(call.request.body)  # gTTS packed our text into its RPC
    assert narrator.clip("Xin chào bác").made is False and len(responses.calls) == 1


@responses.activate
def test_gtts_failure_falls_back_to_espeak_and_rests(tmp_path: Path) -> None:
    responses.post(GTTS_URL, status=500)
    google = GttsEngine(retry_after=60)
    narrator = Narrator(AudioCache(tmp_path), [google, EspeakEngine()])
    assert narrator.clip("Xin chào bác").engine == "espeak"
    assert not google.available()
    narrator.clip("Một câu khác")
    assert len(responses.calls) == 1  # the offline village pays for the failed attempt once


@responses.activate
def test_gtts_timeout_falls_back_quickly(tmp_path: Path) -> None:
    responses.post(GTTS_URL, body=requests.exceptions.ReadTimeout("read timed out"))
    started = time.monotonic()
    clip = Narrator(AudioCache(tmp_path), [GttsEngine(timeout=1), EspeakEngine()]).clip("Xin chào bác")
    assert clip.engine == "espeak" and time.monotonic() - started < 5


def test_gtts_really_times_out_when_packets_are_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy that accepts connections and never answers: without a timeout gTTS would hang forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    threading.Thread(target=accept, daemon=True).start()
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setenv("https_proxy", f"http://127.0.0.1:{server.getsockname()[1]}")
    try:
        started = time.monotonic()
        clip = Narrator(AudioCache(tmp_path), [GttsEngine(timeout=1.5), EspeakEngine()]).clip("Xin chào bác")
        assert clip.engine == "espeak" and time.monotonic() - started < 8
        assert held, "gTTS never reached the (dead) network"
    finally:
        stop.set()
        server.close()
        for conn in held:
            conn.close()
