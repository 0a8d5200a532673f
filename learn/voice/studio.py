"""A take recorded by the tech team, made into a narration clip (issue 20): decoded (bounded, like every
upload), silence trimmed at both ends and loudness-normalised by ffmpeg (EBU R128 ``loudnorm``), then checked:
silent, over-long, huge or unreadable takes are refused with the reason, never stored."""

from __future__ import annotations

import array
import hashlib
import os
import subprocess
import tempfile
from pathlib import Path

from learn.errors import RecordingRefused, VoiceUnavailable
from learn.voice.audio import (
    NARRATION_RATE,
    decode_pcm,
    decode_upload,
    duration,
    encode_mp3,
    ffmpeg_path,
    rms,
    silence,
)

#: Larger uploads are refused unread (a minute of 48 kHz 16-bit WAV is under 6 MB).
MAX_TAKE_BYTES = 12_000_000
#: A narration line lasts seconds; a take of this length is a recorder left running.
MAX_TAKE_SECONDS = 60.0
#: Less than this after trimming is a click, not a line.
MIN_TAKE_SECONDS = 0.3
#: Quieter than this after normalising is no speech at all (about -50 dBFS).
MIN_TAKE_RMS = 0.003
#: ffmpeg gets this long for a minute of audio (it needs well under a second): more is a file built to stall it.
TAKE_TIMEOUT = 20.0
#: Silence at either end is trimmed below this level, keeping a little of it so words are not clipped.
_TRIM = "silenceremove=start_periods=1:start_threshold=-45dB:start_silence=0.15:detection=rms"
#: the take's average level is first brought to this, so that trimming is relative to the voice, not the mic
_LEVEL = 0.1


#: EBU R128 loudness for speech, in its own ffmpeg run, on the take padded to 4 s (cut again after): on a take
#: under about 3 s, loudnorm alone left some 20 LU too quiet (ffmpeg 5.1; measured on fosd_003005)
LOUDNORM = "apad=whole_dur=4,loudnorm=I=-18:TP=-2:LRA=11"


def trim_filter(level: float, peak: float) -> str:
    """ffmpeg's filter for a take of RMS ``level`` and ``peak`` (0..1): bring it to a speaking level without
    clipping, trim the start, reverse, trim the (former) end, and reverse back."""
    gain = min(100.0, _LEVEL / max(level, 1e-6), 0.7 / max(peak, 1e-6))
    return f"volume={gain:.4f},{_TRIM},areverse,{_TRIM},areverse"


def _filtered(pcm: bytes, chain: str) -> bytes:
    rate = str(NARRATION_RATE)
    try:
        done = subprocess.run([ffmpeg_path(), "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1",
                               "-f", "s16le", "-ac", "1", "-ar", rate, "-i", "pipe:0", "-af", chain,
                               "-f", "s16le", "-ac", "1", "-ar", rate, "-"],
                              input=pcm, capture_output=True, timeout=TAKE_TIMEOUT, check=False)
    except subprocess.TimeoutExpired as exc:
        raise RecordingRefused("ffmpeg took too long", key="recording.broken") from exc
    except VoiceUnavailable as exc:  # no ffmpeg on this machine
        raise RecordingRefused(str(exc), key="voice.no_ffmpeg") from exc
    if done.returncode != 0:
        raise RecordingRefused(f"ffmpeg failed: {done.stderr[-300:]!r}", key="recording.broken")
    return done.stdout


def _peak(pcm: bytes) -> float:
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    return max((abs(s) for s in samples), default=0) / 32768


def clean_take(data: bytes) -> bytes:
    """The take as trimmed, loudness-normalised mono 16-bit PCM at the narration rate; RecordingRefused (with
    the message key saying why) when it cannot be a narration clip."""
    if not data:
        raise RecordingRefused("empty take", key="recording.silent")
    if len(data) > MAX_TAKE_BYTES:
        raise RecordingRefused(f"take of {len(data)} bytes", key="recording.too_big")
    try:
        pcm = decode_upload(data, NARRATION_RATE, MAX_TAKE_SECONDS + 0.5, TAKE_TIMEOUT)
    except VoiceUnavailable as exc:
        raise RecordingRefused(f"not audio: {exc}", key="recording.broken") from exc
    if duration(pcm) > MAX_TAKE_SECONDS:
        raise RecordingRefused("take too long", key="recording.too_long", seconds=int(MAX_TAKE_SECONDS))
    level = rms(pcm)
    if level < MIN_TAKE_RMS / 4:
        raise RecordingRefused("silent take", key="recording.silent")
    trimmed = _filtered(pcm, trim_filter(level, _peak(pcm)))
    clean = _filtered(trimmed, LOUDNORM)[:len(trimmed)] if duration(trimmed) >= MIN_TAKE_SECONDS else trimmed
    if duration(clean) < MIN_TAKE_SECONDS or rms(clean) < MIN_TAKE_RMS:
        raise RecordingRefused("nothing but silence", key="recording.silent")
    return clean


#: a slow recording is the normal one at this tempo (pitch kept: ffmpeg's ``atempo``), as espeak-ng's slow
#: voice is 115 words a minute against 150
SLOW_TEMPO = 0.8


def slowed_name(audio: str) -> str:
    """The audio cache's name for the slow version of the recording clip ``audio``."""
    return hashlib.sha256(f"{audio}:atempo={SLOW_TEMPO}".encode()).hexdigest()


def slowed(source: Path, root: Path) -> Path:
    """The slow version of the recorded clip ``source`` in the audio cache ``root`` (made once, atomically, the
    first time a resident listening slowly needs it); VoiceUnavailable when ffmpeg cannot make it."""
    name = slowed_name(source.stem)
    target = root / name[:2] / f"{name}.mp3"
    if target.is_file():
        return target
    pcm = _filtered(decode_pcm(source), f"atempo={SLOW_TEMPO}") if source.is_file() else b""
    if not pcm:
        raise VoiceUnavailable(f"cannot slow {source}", key="voice.broken_audio")
    return _kept(pcm, target)


#: between the parts of a screen's narration joined from several clips (a recorded line, then the engine's)
JOIN_PAUSE = 0.3


def joined(parts: list[Path], root: Path) -> Path:
    """One clip of ``parts`` (clips of the audio cache ``root``) played one after the other, with a short pause:
    a screen whose narration is a recorded line and a sentence nobody recorded (her score, a number) plays
    both, the line in her team's voice. Made once (named by its parts), atomically; VoiceUnavailable when a
    part cannot be read."""
    name = hashlib.sha256("+".join(p.stem for p in parts).encode()).hexdigest()
    target = root / name[:2] / f"{name}.mp3"
    if target.is_file():
        return target
    gap = silence(JOIN_PAUSE)
    pcm = gap.join(decode_pcm(part) for part in parts)
    return _kept(pcm, target)


def _kept(pcm: bytes, target: Path) -> Path:
    """``pcm`` as an MP3 clip at ``target``, written to a temporary file and renamed into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, part = tempfile.mkstemp(dir=target.parent, prefix=".part-", suffix=".mp3")
    os.close(fd)
    try:
        encode_mp3(pcm, Path(part))
        os.replace(part, target)
    finally:
        Path(part).unlink(missing_ok=True)
    return target
