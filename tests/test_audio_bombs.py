"""Audio bombs (issue 14, item 5): recordings built to exhaust memory or crash the voice path.

Each attack is built here (a 64 KB FLAC of 10 hours of silence, WAV headers that lie about their rate, size or
channels, a steady hum, an empty file, random bytes, truncated files, a 200 MB upload) and given to ``hear()``,
which the app calls with the bytes of every upload from the recorder. Every one must end as a message the
learner can read (the question stays answerable by tapping), and none may use much memory: each runs in its own
process, whose peak memory (and ffmpeg's) is measured.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from learn.lessons.catalog import Catalog
from learn.lessons.model import Question
from learn.services.voice import hear
from learn.strings_vi import STRINGS, t
from learn.voice import audio, pipeline
from learn.voice.pipeline import MAX_RECORDING_SECONDS, RATE, prepare, prepare_or_problem
from progress_db import learning
from tests.conftest import ROOT, SHARED
from tests.support.doubles import ScriptedRecognizer

CLIPS = sorted((SHARED / "audio" / "vi-real").glob("*.wav")) + sorted((SHARED / "audio" / "vi-tts").glob("*.wav"))
needs_clips = pytest.mark.skipif(not CLIPS, reason="../shared/audio clips are not present")
#: The real speech inside the attacks that carry some (a man saying "kênh năm").
SPOKEN = SHARED / "audio" / "vi-real" / "fosd_008378.wav"
#: Generous bound on the memory of a process that hears one attack (its Python alone is about 60 MB).
PEAK_MB = 400


# --- building the attacks ----------------------------------------------------------------------------------

def wav_header(rate: int, frames: int, channels: int = 1, width: int = 2, riff_size: int | None = None) -> bytes:
    """A canonical 44-byte WAV header; the sizes it claims need not be true."""
    data_size = min(frames * channels * width, 0xFFFFFFFF)
    riff = min(36 + data_size, 0xFFFFFFFF) if riff_size is None else riff_size
    return (b"RIFF" + riff.to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little")
            + (1).to_bytes(2, "little") + channels.to_bytes(2, "little") + rate.to_bytes(4, "little")
            + (min(rate * channels * width, 0xFFFFFFFF)).to_bytes(4, "little")
            + (min(channels * width, 0xFFFF)).to_bytes(2, "little") + (width * 8).to_bytes(2, "little")
            + b"data" + data_size.to_bytes(4, "little"))


def wav(samples: np.ndarray, rate: int = RATE) -> bytes:
    """An honest mono 16-bit WAV."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.astype("<i2").tobytes())
    return buffer.getvalue()


def tone(seconds: float, frequency: float = 100.0, level: float = 0.3, rate: int = RATE) -> np.ndarray:
    """A steady sine wave (mains hum at 100 Hz by default)."""
    t = np.arange(int(seconds * rate)) / rate
    return level * 32767 * np.sin(2 * np.pi * frequency * t)


def _crc8(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


def _crc16(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return crc


def flac_of_silence(seconds: int, rate: int = 8000) -> bytes:
    """A valid FLAC stream of ``seconds`` of silence: largest blocks, each one CONSTANT subframe (14 bytes)."""
    block, total = 65535, seconds * rate
    assert total // block < 0x10000  # frame numbers below fit in three UTF-8 bytes
    streaminfo = (block.to_bytes(2, "big") * 2 + bytes(6)
                  + ((rate << 44) | (0 << 41) | (15 << 36) | total).to_bytes(8, "big") + bytes(16))
    parts = [b"fLaC", bytes([0x80, 0, 0, len(streaminfo)]), streaminfo]
    for number, start in enumerate(range(0, total, block)):
        # sync, fixed blocking; 16-bit block size at the end; rate from STREAMINFO; mono; 16 bits per sample
        header = bytes([0xFF, 0xF8, 0x70, 0x08]) + chr(number).encode("utf-8") \
            + (min(block, total - start) - 1).to_bytes(2, "big")
        frame = header + bytes([_crc8(header)]) + bytes(3)  # subframe: CONSTANT, value 0
        parts.append(frame + _crc16(frame).to_bytes(2, "big"))
    return b"".join(parts)


def _noise(n: int, level: float = 3000.0) -> np.ndarray:
    return np.random.default_rng(5).normal(0, level, n)


def _burst() -> np.ndarray:
    """A second and a half of speech: a real spoken "kênh năm" (0.7 s of voice) between quiet stretches.

    Real speech, as the voice-activity detector takes neither tones nor noise for a voice."""
    with wave.open(str(SPOKEN)) as clip:
        voice = np.frombuffer(clip.readframes(clip.getnframes()), dtype="<i2").astype(np.float64)
    signal = np.concatenate([np.zeros(RATE // 4), voice, np.zeros(RATE // 4)])
    return signal + _noise(len(signal), 30)


def _lying_fmt_size() -> bytes:
    data = bytearray(wav(_burst()))
    data[16:20] = (24).to_bytes(4, "little")
    return bytes(data)


#: name: (how to build the upload, the message the learner gets)
ATTACKS: dict[str, tuple[Callable[[], bytes], str]] = {
    # 10 h of silence in 64 KB: was decoded whole, 1.15 GB of 16 kHz PCM and 5.5 GB in use (as in the issue)
    "flac-10h-silence": (lambda: flac_of_silence(36_000), "voice.nothing_heard"),
    # 3.9 MB at 100 Hz is 5.4 h: 312 M samples at 16 kHz (was 6 GB in use; the issue: "tried to allocate 4.65 GiB")
    # (what they hold is a rumble under 50 Hz: nobody speaking, for the voice-activity detector)
    "wav-100hz-3.9mb": (lambda: wav(_noise(1_950_000), rate=100), "voice.nothing_heard"),
    # headers claiming 4 GB of data in front of one second of speech
    "wav-claims-4gb": (lambda: wav_header(RATE, 0xFFFFFFFF, riff_size=0xFFFFFFFF) + _burst().astype("<i2").tobytes(),
                       "voice.not_understood"),
    "wav-claims-4gb-at-100hz": (lambda: wav_header(100, 0xFFFFFFFF) + _noise(300_000).astype("<i2").tobytes(),
                                "voice.nothing_heard"),
    # rates no recorder uses: refused by ffmpeg's allocation cap, or by ffmpeg itself
    "wav-rate-1hz": (lambda: wav_header(1, 1_000_000) + _noise(1_000_000).astype("<i2").tobytes(),
                     "recording.unreadable"),
    "wav-rate-4ghz": (lambda: wav_header(0xFFFFFFFF, 1_000_000) + _noise(1_000_000).astype("<i2").tobytes(),
                      "recording.unreadable"),
    # a 94-byte FLAC at 2 Hz: a block of 65,535 samples is 524 M samples at 16 kHz (ffmpeg alone took 5.2 GB)
    "flac-2hz": (lambda: flac_of_silence(98_304, rate=2), "recording.unreadable"),
    # a fmt chunk claiming 24 bytes where there are 16: Python's wave module raised RuntimeError out of hear()
    "wav-fmt-size-lies": (lambda: _lying_fmt_size(), "recording.unreadable"),
    "wav-rate-0": (lambda: wav_header(0, 16_000) + _burst().astype("<i2").tobytes(), "recording.unreadable"),
    "wav-65535-channels": (lambda: wav_header(RATE, 30, channels=65535) + _noise(65535 * 30).astype("<i2").tobytes(),
                           "recording.unreadable"),
    # a steady hum: nothing stands out from the room's noise (this raised IndexError in hear())
    "hum-2s-100hz": (lambda: wav(tone(2.0)), "voice.nothing_heard"),
    "empty": (lambda: b"", "voice.nothing_heard"),
    "random-1mb": (lambda: np.random.default_rng(7).bytes(1_000_000), "recording.unreadable"),
    "header-only": (lambda: wav_header(RATE, 10 * RATE), "voice.nothing_heard"),
    # what arrived is heard: the second of speech reaches the recogniser
    "truncated-wav": (lambda: wav_header(RATE, 10 * RATE) + _burst().astype("<i2").tobytes(), "voice.not_understood"),
    "truncated-flac": (lambda: flac_of_silence(36_000)[:30_000], "voice.nothing_heard"),
    # a 200 MB upload (Streamlit's default upload limit) is refused before any decoding
    "upload-200mb": (lambda: wav_header(RATE, 100_000_000) + bytes(200_000_000), "voice.too_long"),
}

_MEASURE = """
import json, os, resource, sys
# A regression fails with MemoryError here instead of taking the machine's memory from everyone else.
resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))
from learn.services.voice import hear
from tests.support.doubles import ScriptedRecognizer
from tests.test_audio_bombs import ATTACKS

def one(name):
    data = ATTACKS[name][0]()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    recognizer = ScriptedRecognizer(grammar="hai")
    turn = hear(recognizer, data)
    return {"action": turn.action, "problem": turn.problem, "heard": len(recognizer.received),
            "input_mb": len(data) / 2**20, "before_mb": before / 1024,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            # the largest child (ffmpeg); an upper bound, as it counts the Python process it was forked from
            "ffmpeg_peak_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}

for name in sys.argv[1:]:  # each attack in a process of its own, forked from one that has imported everything
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        try:
            result = one(name)
        except BaseException as exc:
            result = {"error": repr(exc)[:500]}
        with os.fdopen(write, "w") as out:
            out.write(json.dumps(result))
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as got:
        print(json.dumps({name: json.loads(got.read() or '{"error": "no result"}')}), flush=True)
    os.waitpid(pid, 0)
"""


@pytest.fixture(scope="module")
def measured() -> dict[str, dict[str, float | str | None]]:
    """Every attack heard in a fresh process: what the learner is told, and the peak memory (MB) of the process
    and of ffmpeg."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", _MEASURE, *ATTACKS], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    results: dict[str, dict[str, float | str | None]] = {}
    for line in done.stdout.splitlines():
        results.update(json.loads(line))
    return results


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_every_attack_is_a_message_in_little_memory(measured, name: str) -> None:
    result = measured[name]
    assert (result.get("action"), result.get("problem")) == ("problem", ATTACKS[name][1]), result
    assert result["peak_mb"] < PEAK_MB and result["ffmpeg_peak_mb"] < PEAK_MB, result  # type: ignore[operator]
    # only what holds speech reaches the recogniser (which then does not understand it)
    assert (result["heard"] > 0) is (ATTACKS[name][1] == "voice.not_understood"), result  # type: ignore[operator]
    if name == "upload-200mb":
        assert result["ffmpeg_peak_mb"] == 0  # refused before decoding


def test_every_message_is_in_the_catalog() -> None:
    assert {problem for _, problem in ATTACKS.values()} <= set(STRINGS)


@pytest.mark.parametrize("name", ["flac-10h-silence", "hum-2s-100hz", "random-1mb", "wav-fmt-size-lies"])
def test_on_the_lesson_page_it_is_a_message_and_tapping_still_answers(lesson_at, name: str) -> None:
    make, person = lesson_at
    recognizer = ScriptedRecognizer(grammar="nguồn")
    at = make(recognizer, position=1)
    at.audio_input(key="mic-test-unlock-1-0").set_value((f"{name}.wav", ATTACKS[name][0](), "audio/wav")).run()
    assert not at.exception
    assert [w.value for w in at.warning] == [t(ATTACKS[name][1])]
    assert recognizer.received == [] and learning.latest_answers(person.id, "test-unlock") == {}
    assert at.audio_input(key="mic-test-unlock-1-1")  # a fresh recorder for the next try
    at.button(key="option-1-0").click().run()
    assert learning.latest_answers(person.id, "test-unlock")["q1"].mode == "tap"


# --- what a learner notices, in this process -------------------------------------------------------------------

def question(catalog: Catalog) -> Question:
    """The fixture lesson's question: "Nút nguồn" (said "nguồn") or "Nút âm lượng"."""
    lesson = catalog.get("test-unlock")
    assert lesson is not None
    found = lesson.screens[1].question
    assert found is not None
    return found


@pytest.mark.parametrize(("name", "signal"), [
    ("hum-100hz", lambda: tone(2.0)),
    ("hum-50hz-quiet", lambda: tone(2.0, 50.0, 0.05)),
    ("whine-1khz-loud", lambda: tone(3.0, 1000.0, 0.9)),
    ("fan-hiss", lambda: _noise(2 * RATE, 8000.0)),
])
def test_a_steady_sound_is_nothing_heard_and_the_question_stays(catalog, name: str,
                                                                 signal: Callable[[], np.ndarray]) -> None:
    recognizer = ScriptedRecognizer(grammar="nguồn")
    turn = hear(recognizer, wav(signal()), question(catalog))
    assert (turn.action, turn.index, turn.problem) == ("problem", None, "voice.nothing_heard")
    assert recognizer.received == []


def test_what_trimming_leaves_one_frame_or_less_of_is_a_message(catalog) -> None:
    one_frame = np.zeros(RATE)
    one_frame[8000:8000 + RATE // 50] = tone(0.02, 440.0, 0.5)
    blip = np.zeros(RATE)
    blip[8000] = 20000  # a single loud sample
    shorter_than_a_frame = tone(0.01, 440.0, 0.5)
    # a blip is not a voice: the voice-activity detector finds no speech in it
    for signal, problem in [(one_frame, "voice.nothing_heard"), (blip, "voice.nothing_heard"),
                            (shorter_than_a_frame, "voice.nothing_heard")]:
        recognizer = ScriptedRecognizer(grammar="nguồn")
        turn = hear(recognizer, wav(signal), question(catalog))
        assert (turn.action, turn.problem, recognizer.received) == ("problem", problem, [])


@pytest.mark.parametrize("ext", ["wav", "48k.wav", "webm", "flac"])
def test_only_the_first_seconds_of_a_long_recording_are_decoded_and_its_answer_is_heard(
        tmp_path: Path, catalog, ext: str) -> None:
    # the learner says the answer, then forgets to stop the recorder for 40 s (3.8 MB at 48 kHz: under the cap)
    signal = np.concatenate([_burst(), _noise(40 * RATE, 30)])
    source = tmp_path / "long.wav"
    source.write_bytes(wav(signal))
    if ext != "wav":
        args = ["-ar", "48000"] if ext == "48k.wav" else []
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), *args, str(tmp_path / f"long.{ext}")],
                       check=True)
    data = (tmp_path / f"long.{ext}").read_bytes()
    prepared = prepare(data)
    assert abs(prepared.seconds - MAX_RECORDING_SECONDS) < 0.03
    assert prepared.ok and 0.5 < prepared.speech_seconds < 1.2
    recognizer = ScriptedRecognizer(grammar="nguồn")
    turn = hear(recognizer, data, question(catalog))
    assert (turn.action, turn.index) == ("answer", 0)
    assert len(recognizer.received[0]) / 2 / RATE < 1.7


def test_a_header_never_sizes_what_is_read() -> None:
    payload = _burst().astype("<i2").tobytes()
    for rate in (RATE, 8000):  # read by Python, and by ffmpeg
        claims_4gb = wav_header(rate, 0xFFFFFFFF, riff_size=0xFFFFFFFF) + payload
        decoded = pipeline._pcm16k(claims_4gb)
        assert len(decoded) == len(payload) * RATE // rate
    honest_but_long = wav(_noise(100 * RATE))  # 3.2 MB, under the byte cap
    assert len(pipeline._pcm16k(honest_but_long)) == MAX_RECORDING_SECONDS * RATE * 2


def test_a_decoder_that_takes_too_long_is_stopped_and_the_learner_told(monkeypatch: pytest.MonkeyPatch,
                                                                        catalog) -> None:
    monkeypatch.setattr(pipeline, "DECODE_TIMEOUT", 0.001)
    data = wav(_burst(), rate=8000)  # not 16 kHz: decoded by ffmpeg
    assert prepare_or_problem(data).problem == "recording.unreadable"
    turn = hear(ScriptedRecognizer(grammar="nguồn"), data, question(catalog))
    assert (turn.action, turn.problem) == ("problem", "recording.unreadable")


@pytest.mark.parametrize("name", ["playlist", "concat"])
def test_an_upload_cannot_make_ffmpeg_open_other_files(tmp_path: Path, name: str) -> None:
    secret = tmp_path / "secret.wav"
    secret.write_bytes(wav(_burst()))
    data = {"playlist": f"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile://{secret}\n#EXT-X-ENDLIST\n",
            "concat": f"ffconcat version 1.0\nfile {secret}\n"}[name].encode()
    assert prepare_or_problem(data).problem == "recording.unreadable"


def test_only_formats_a_browser_records_in_are_opened(tmp_path: Path) -> None:
    source = tmp_path / "answer.wav"
    source.write_bytes(wav(_burst(), rate=8000))
    for ext, opened in [("aiff", False), ("au", False), ("ogg", True), ("m4a", True)]:
        out = tmp_path / f"answer.{ext}"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), str(out)], check=True)
        assert prepare_or_problem(out.read_bytes()).ok is opened, ext


_FIELDS = {"riff size": (4, 4), "fmt size": (16, 4), "format": (20, 2), "channels": (22, 2), "rate": (24, 4),
           "byte rate": (28, 4), "block align": (32, 2), "bits": (34, 2), "data size": (40, 4)}


@pytest.mark.parametrize("field", sorted(_FIELDS))
def test_any_lie_in_a_wav_header_ends_as_a_turn(field: str) -> None:
    at, size = _FIELDS[field]
    honest = wav(_burst())
    for value in (0, 1, 3, 24, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF):
        if value >= 1 << (8 * size):
            continue
        data = bytearray(honest)
        data[at:at + size] = value.to_bytes(size, "little")
        turn = hear(ScriptedRecognizer(grammar="tiếp"), bytes(data))
        assert turn.action in ("next", "problem") and (turn.problem is None or turn.problem in STRINGS), (value, turn)


@needs_clips
@pytest.mark.parametrize("clip", CLIPS, ids=lambda p: p.name)
def test_real_answers_decode_to_their_own_samples(clip: Path) -> None:
    data = clip.read_bytes()
    with wave.open(str(clip)) as w:
        own = w.readframes(w.getnframes())
    assert len(own) < MAX_RECORDING_SECONDS * RATE * 2
    assert pipeline._pcm16k(data) == own  # read without ffmpeg
    assert audio.decode_upload(data, RATE, MAX_RECORDING_SECONDS, 10.0) == own  # and through ffmpeg, the same
    prepared = prepare(data)
    assert prepared.ok and prepared.pcm in own  # trimmed, not changed
