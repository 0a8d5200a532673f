"""Audio plumbing through ffmpeg: decode anything to PCM, join clips, encode small MP3 for a weak 3G link."""

from __future__ import annotations

import array
import math
import shutil
import subprocess
from pathlib import Path

from learn.errors import VoiceUnavailable

#: PCM used between steps: mono, 16-bit little-endian.
NARRATION_RATE = 22050
#: 24 kbit/s MP3 is about 3 KB per second of speech (headers included, under the 4 KB/s budget): a sentence
#: arrives in under a second over village 3G, and every phone and browser plays MP3.
MP3_BITRATE = "24k"
FFMPEG_TIMEOUT = 60
#: Demuxers an uploaded recording may use: what browsers record in (WAV, WebM/Matroska, Ogg, MP4, MP3, FLAC,
#: AAC). Playlists, concat lists and the hundreds of other formats ffmpeg knows are never opened for an upload.
UPLOAD_FORMATS = "wav,matroska,ogg,mov,mp3,flac,aac"
#: Largest single allocation ffmpeg may make while decoding an upload (its default is 2 GiB). Without it a
#: 94-byte FLAC at 2 Hz made ffmpeg itself take 5.2 GB: each block of 65,535 samples became 524 M samples at
#: 16 kHz before ``-t`` could stop it. Real recordings need well under 1 MiB per allocation.
MAX_ALLOC = 16 * 2**20


def ffmpeg_path() -> str:
    """The ffmpeg binary; VoiceUnavailable when it is not installed."""
    found = shutil.which("ffmpeg")
    if found is None:
        raise VoiceUnavailable("ffmpeg is not installed (apt-get install ffmpeg)", key="voice.no_ffmpeg")
    return found


def _run(args: list[str], data: bytes | None = None, timeout: float = FFMPEG_TIMEOUT) -> bytes:
    try:
        done = subprocess.run([ffmpeg_path(), "-nostdin", "-hide_banner", "-loglevel", "error", *args],
                              input=data, capture_output=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise VoiceUnavailable("ffmpeg took too long", key="voice.broken_audio") from exc
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise VoiceUnavailable(f"ffmpeg failed: {reason[-1] if reason else done.returncode}",
                               key="voice.broken_audio")
    return done.stdout


def decode_pcm(source: Path | bytes, rate: int = NARRATION_RATE) -> bytes:
    """Any audio file (path or bytes) as mono 16-bit PCM at ``rate``; VoiceUnavailable if it is not audio."""
    if isinstance(source, Path):
        return _run(["-i", str(source), "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"])
    return _run(["-i", "pipe:0", "-f", "s16le", "-ac", "1", "-ar", str(rate), "-"], source)


def decode_upload(data: bytes, rate: int, max_seconds: float, timeout: float) -> bytes:
    """At most ``max_seconds`` of an uploaded recording as mono 16-bit PCM at ``rate``.

    The upload is untrusted: ffmpeg itself stops after ``max_seconds`` of output (and ``-fs`` bytes), so what
    reaches memory is bounded by that duration, whatever rate, length or channels the file's header claims;
    only the containers a browser records in are read, one audio stream, on one thread, within ``timeout``.
    """
    limit = int(max_seconds * rate) * 2
    pcm = _run(["-max_alloc", str(MAX_ALLOC), "-threads", "1", "-format_whitelist", UPLOAD_FORMATS,
                "-i", "pipe:0", "-map", "0:a:0", "-t", f"{max_seconds:g}", "-f", "s16le", "-ac", "1",
                "-ar", str(rate), "-fs", str(limit), "-"], data, timeout)
    return pcm[:limit]


def encode_mp3(pcm: bytes, out: Path, rate: int = NARRATION_RATE) -> None:
    """Write mono PCM as a small MP3 (no tags) to ``out``."""
    _run(["-f", "s16le", "-ac", "1", "-ar", str(rate), "-i", "pipe:0", "-codec:a", "libmp3lame",
          "-b:a", MP3_BITRATE, "-map_metadata", "-1", "-id3v2_version", "0", "-f", "mp3", "-y", str(out)], pcm)


def silence(seconds: float, rate: int = NARRATION_RATE) -> bytes:
    """That many seconds of silent PCM."""
    return b"\x00\x00" * int(seconds * rate)


def duration(pcm: bytes, rate: int = NARRATION_RATE) -> float:
    """Length in seconds of mono 16-bit PCM."""
    return len(pcm) / 2 / rate


def rms(pcm: bytes) -> float:
    """Loudness of mono 16-bit PCM, 0 (silence) to 1 (full scale)."""
    samples = array.array("h")
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
