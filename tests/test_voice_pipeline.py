"""The spoken-answer audio pipeline on real recordings, and on every kind of bad recording."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from learn.errors import VoiceUnavailable
from learn.voice.pipeline import MAX_SPEECH_SECONDS, RATE, prepare, prepare_or_problem
from tests.conftest import SHARED

REAL = sorted((SHARED / "audio" / "vi-real").glob("*.wav"))
TTS = sorted((SHARED / "audio" / "vi-tts").glob("*.wav"))
needs_clips = pytest.mark.skipif(not REAL or not TTS, reason="../shared/audio clips are not present")


def samples(pcm: bytes) -> np.ndarray:
    return np.frombuffer(pcm, dtype="<i2").astype(np.float64)


def ffmpeg(source: Path, out: Path, *args: str) -> bytes:
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(source), *args, str(out)], check=True)
    return out.read_bytes()


def wav(pcm: np.ndarray, rate: int = RATE) -> bytes:
    import io

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(rate)
        w.writeframes(pcm.astype("<i2").tobytes())
    return buffer.getvalue()


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Peak normalised cross-correlation over small shifts (resamplers delay by a few samples, and the trim
    may start a detector window (512 samples) earlier or later)."""
    n = min(len(a), len(b))
    a, b = a[:n] - a[:n].mean(), b[:n] - b[:n].mean()
    best = 0.0
    for shift in range(-1100, 1101):
        x, y = (a[shift:], b[:n - shift]) if shift >= 0 else (a[:n + shift], b[-shift:])
        best = max(best, float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-9)))
    return best


@needs_clips
@pytest.mark.parametrize("clip", REAL + TTS, ids=lambda p: p.name)
def test_every_real_clip_is_kept_as_speech_and_trimmed(clip: Path) -> None:
    with wave.open(str(clip)) as w:
        original = w.getnframes() / w.getframerate()
    prepared = prepare(clip.read_bytes())
    assert prepared.ok, prepared.problem
    assert abs(prepared.seconds - original) < 0.01
    assert 0.1 <= prepared.speech_seconds <= original
    assert len(prepared.pcm) / 2 / RATE <= original  # trimmed, never padded
    assert np.abs(samples(prepared.pcm)).max() > 300  # the speech is still in it


@needs_clips
def test_silence_around_speech_is_trimmed(tmp_path: Path) -> None:
    clip = SHARED / "audio" / "vi-tts" / "d02.wav"
    padded = ffmpeg(clip, tmp_path / "padded.wav", "-af", "adelay=2000,apad=pad_dur=2")
    prepared = prepare(padded)
    assert prepared.ok and prepared.seconds > 5 and len(prepared.pcm) / 2 / RATE < 1.6


@needs_clips
@pytest.mark.parametrize(("name", "args"), [
    ("48k-stereo.wav", ["-ar", "48000", "-ac", "2"]),
    ("8bit.wav", ["-acodec", "pcm_u8"]),
    ("8k.wav", ["-ar", "8000"]),
    ("float.wav", ["-acodec", "pcm_f32le", "-ar", "44100"]),
    ("browser.webm", ["-c:a", "libopus", "-b:a", "32k"]),
    ("phone.ogg", ["-c:a", "libvorbis"]),
    ("phone.mp3", ["-c:a", "libmp3lame", "-b:a", "32k"]),
])
def test_any_format_the_browser_sends_becomes_16k_mono(tmp_path: Path, name: str, args: list[str]) -> None:
    clip = SHARED / "audio" / "vi-real" / "fosd_002749.wav"
    reference = prepare(clip.read_bytes())
    converted = prepare(ffmpeg(clip, tmp_path / name, *args))
    assert converted.ok
    assert abs(converted.seconds - reference.seconds) < 0.08
    assert similarity(samples(converted.pcm), samples(reference.pcm)) > (0.6 if name == "8k.wav" else 0.85)


def test_nothing_heard_in_silence_or_a_quiet_room() -> None:
    rng = np.random.default_rng(1)
    assert prepare(wav(np.zeros(RATE * 2))).problem == "voice.nothing_heard"
    assert prepare(wav(rng.normal(0, 40, RATE * 2))).problem == "voice.nothing_heard"  # about -58 dBFS hiss
    assert prepare(b"").problem == "voice.nothing_heard"


def test_a_click_is_not_speech() -> None:
    click = np.zeros(RATE)
    click[8000:8480] = 12000 * np.sin(np.arange(480) / 3)  # 30 ms, loud
    assert prepare(wav(click)).problem == "voice.nothing_heard"


@needs_clips
def test_a_long_speech_is_too_long() -> None:
    speech = samples(prepare((SHARED / "audio" / "vi-real" / "fosd_001642.wav").read_bytes()).pcm)
    long = np.concatenate([speech] * 2)
    assert len(long) / RATE > MAX_SPEECH_SECONDS
    assert prepare(wav(long)).problem == "voice.too_long"
    assert prepare(b"\x00" * 5_000_000).problem == "voice.too_long"  # a recorder left running


@pytest.mark.parametrize("data", [b"this is not audio at all", b"RIFF\x10\x00\x00\x00WAVEfmt ", bytes(range(256)) * 40])
def test_a_file_that_is_not_audio_is_a_clear_problem(data: bytes) -> None:
    with pytest.raises(VoiceUnavailable):
        prepare(data)
    assert prepare_or_problem(data).problem == "recording.unreadable"


@needs_clips
def test_a_truncated_recording_keeps_what_arrived() -> None:
    data = (SHARED / "audio" / "vi-real" / "fosd_010149.wav").read_bytes()
    prepared = prepare_or_problem(data[: len(data) // 2])
    assert prepared.ok and 1.0 < prepared.seconds < 2.0
