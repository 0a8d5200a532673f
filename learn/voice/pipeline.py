"""A spoken answer as it arrives from the browser, made ready for the recogniser.

Any format or rate the browser sends (WAV, WebM/Opus, OGG, 8-bit, stereo, 48 kHz) becomes 16 kHz mono
16-bit PCM; silence and noise before and after the speech are trimmed (by a voice-activity detector, see
``learn.voice.vad``); recordings with nothing usable in them get a
reason a learner can be told ("nothing heard", "too short", "too long").

Uploads are untrusted (anyone on the village Wi-Fi can send one): files over ``MAX_RECORDING_BYTES`` are
refused unread, and only the first ``MAX_RECORDING_SECONDS`` are ever decoded, so memory is bounded by that
duration whatever the file's header claims (a 64 KB FLAC holds 10 hours of silence).
"""

from __future__ import annotations

import io
import wave
from dataclasses import dataclass

import numpy as np

from learn.errors import VoiceUnavailable
from learn.voice import vad
from learn.voice.audio import decode_upload

RATE = 16000
FRAME = RATE // 50  # 20 ms
#: Quieter than this (about -40 dBFS) is not speech, however quiet the room.
MIN_SPEECH_RMS = 0.01
#: A one-syllable answer ("có") can last 0.15 s; anything shorter is a click or a tap on the phone.
MIN_SPEECH_SECONDS = 0.1
MAX_SPEECH_SECONDS = 8.0
#: Longer recordings are refused before decoding: a forgotten recorder, not an answer.
MAX_RECORDING_BYTES = 4_000_000
#: Only this much of a recording is decoded (a spoken answer takes a few seconds; a recorder left running
#: still has its first seconds heard): 480 KB of PCM at most.
MAX_RECORDING_SECONDS = 15.0
MAX_FRAMES = int(MAX_RECORDING_SECONDS * RATE)
#: ffmpeg decodes 15 s of any browser format in well under a second; more is a file built to stall it.
DECODE_TIMEOUT = 10.0
PAD_SECONDS = 0.25
#: How far (in loudness, about 8 dB) the speaker's voice must rise above the recording's quietest moments.
STAND_OUT = 2.5


@dataclass(frozen=True)
class Prepared:
    """A recording ready for recognition (``pcm``), or the message key saying why it is not (``problem``)."""

    pcm: bytes
    seconds: float
    speech_seconds: float
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """True when there is speech to recognise."""
        return self.problem is None


def frame_levels(samples: np.ndarray) -> np.ndarray:
    """RMS loudness (0..1) of each 20 ms frame."""
    usable = len(samples) - len(samples) % FRAME
    if usable == 0:
        return np.zeros(0)
    frames = samples[:usable].astype(np.float64).reshape(-1, FRAME) / 32768.0
    return np.sqrt((frames * frames).mean(axis=1))


def _pcm16k(data: bytes) -> bytes:
    """At most ``MAX_RECORDING_SECONDS`` of 16 kHz mono 16-bit PCM.

    What browsers usually send is already that, and is read without ffmpeg: only what is really in the file,
    never more than the cap, whatever length the header claims. Everything else goes through ffmpeg, which
    resamples and stops at the cap itself.
    """
    try:
        with wave.open(io.BytesIO(data)) as wav:
            if (wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getcomptype()) == (RATE, 1, 2, "NONE"):
                return wav.readframes(min(wav.getnframes(), MAX_FRAMES))
    except Exception:  # wave.Error, EOFError, even RuntimeError (a lying fmt size): ffmpeg reads or refuses it
        pass
    return decode_upload(data, RATE, MAX_RECORDING_SECONDS, DECODE_TIMEOUT)


def prepare(data: bytes) -> Prepared:
    """Decode, trim and check a recording; VoiceUnavailable (voice.broken_audio) when it is not audio at all."""
    if not data:
        return Prepared(b"", 0.0, 0.0, "voice.nothing_heard")
    if len(data) > MAX_RECORDING_BYTES:
        return Prepared(b"", 0.0, 0.0, "voice.too_long")
    pcm = _pcm16k(data)
    samples = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2")
    seconds = len(samples) / RATE
    levels = frame_levels(samples)
    if len(levels) == 0 or levels.max() < MIN_SPEECH_RMS:
        return Prepared(b"", seconds, 0.0, "voice.nothing_heard")
    found = _speech_span(samples, levels)
    if found is None:  # a steady hum, hiss or a room's murmur: sound, but nobody speaking
        return Prepared(b"", seconds, 0.0, "voice.nothing_heard")
    first, last = found
    speech_seconds = (last - first) / RATE
    if speech_seconds < MIN_SPEECH_SECONDS:
        return Prepared(b"", seconds, speech_seconds, "voice.too_short")
    if speech_seconds > MAX_SPEECH_SECONDS:
        return Prepared(b"", seconds, speech_seconds, "voice.too_long")
    pad = int(PAD_SECONDS * RATE)
    start, end = max(0, first - pad), min(len(samples), last + pad)
    return Prepared(samples[start:end].tobytes(), seconds, speech_seconds)


def _speech_span(samples: np.ndarray, levels: np.ndarray) -> tuple[int, int] | None:
    """First and last sample of the speech in ``samples`` (None when there is none).

    With the voice-activity detector (``learn.voice.vad``): its speech chunks that are also above the loudness
    floor. Without it: frames that stand out from the room's own noise (its quietest frames).
    """
    if vad.available():
        speech = vad.speech_chunks(samples)
        count = len(speech)
        chunks = samples[:count * vad.CHUNK].astype(np.float64).reshape(count, vad.CHUNK) / 32768.0
        chunk_levels = np.sqrt((chunks * chunks).mean(axis=1))
        found = np.flatnonzero(speech & (chunk_levels >= MIN_SPEECH_RMS))
        if not len(found):
            return None
        # The murmur of a full room is voices too, but nobody's voice rises out of it: the speaker's must,
        # above the recording's quietest moments (the murmur of 8 to 17 people measured 1.7 to 2.6; the shared
        # clips at 5 dB SNR in hum or babble, 3.1 or more)
        if np.percentile(chunk_levels[found], 95) < STAND_OUT * np.percentile(chunk_levels, 10):
            return None
        # the detector's window is 32 ms and it reacts a window late: one more each side (as Silero's own
        # speech_pad does), so a one-syllable "tiếp" keeps its start and its end
        first, last = max(0, int(found[0]) - 1), min(len(speech), int(found[-1]) + 2)
        return first * vad.CHUNK, min(len(samples), last * vad.CHUNK)
    noise = float(np.percentile(levels, 10))
    threshold = max(MIN_SPEECH_RMS, noise * 3.0, float(levels.max()) * 0.05)
    found = np.flatnonzero(levels >= threshold)
    return (int(found[0]) * FRAME, (int(found[-1]) + 1) * FRAME) if len(found) else None


def prepare_or_problem(data: bytes) -> Prepared:
    """Like ``prepare``, but a file that is not audio (or that ffmpeg cannot read in time) is a problem to tell
    the learner, not an exception."""
    try:
        return prepare(data)
    except VoiceUnavailable:
        return Prepared(b"", 0.0, 0.0, "recording.unreadable")
