"""The narrator: cached clips first, then each engine of the chain in turn, else a clear "no audio".

Clips live in ``LEARN_HOME/audio``, shared by every session and by ``learn narrate``, keyed by engine,
voice, speed and the NFC text, so each sentence is synthesised once per server. A clip is written to a
temporary file and renamed into place; its metadata (engine, checksum) is written last, so a clip without
valid metadata, or whose bytes no longer match, is treated as missing and made again.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from learn.errors import VoiceUnavailable
from learn.text import nfc
from learn.voice import Synthesizer
from learn.voice.audio import decode_pcm, duration, encode_mp3, rms, silence
from learn.voice.lexicon import Lexicon
from learn.voice.tts import speakable, split_sentences

#: Bump when the audio format changes, so old clips are not served as new ones.
FORMAT = "mp3-24k-22050-v1"
#: Below this loudness a "clip" is silence: an engine failure, not speech.
SILENT_RMS = 0.003
PAUSE_BETWEEN_SENTENCES = 0.3


@dataclass(frozen=True)
class Clip:
    """One narrated text: the MP3 file, which engine and voice made it, and how long it plays."""

    path: Path
    engine: str
    voice: str
    speed: str
    seconds: float
    size: int
    made: bool  # synthesised by this call (False: served from the cache)


class AudioCache:
    """Narration clips on disk, checked on every read."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # clips checked in this process, by path: (size, mtime) when checked, and the clip. A lesson step reads
        # its clip on every run; re-reading and hashing an unchanged file each time was wasted work.
        self._checked: dict[Path, tuple[tuple[int, int], Clip]] = {}

    @staticmethod
    def key(engine: str, voice: str, speed: str, text: str) -> str:
        """The cache key of a clip."""
        return hashlib.sha256("\n".join([FORMAT, engine, voice, speed, nfc(text)]).encode()).hexdigest()

    def _paths(self, key: str) -> tuple[Path, Path]:
        folder = self.root / key[:2]
        return folder / f"{key}.mp3", folder / f"{key}.json"

    def get(self, engine: str, voice: str, speed: str, text: str) -> Clip | None:
        """The cached clip, or None when it is missing or damaged (a damaged one is removed)."""
        audio, meta = self._paths(self.key(engine, voice, speed, text))
        try:
            stat = audio.stat()
            seen = self._checked.get(audio)
            if seen is not None and seen[0] == (stat.st_size, stat.st_mtime_ns):
                return seen[1]
            info = json.loads(meta.read_text(encoding="utf-8"))
            data = audio.read_bytes()
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            data, info = b"", {}
        if not isinstance(info, dict) or hashlib.sha256(data).hexdigest() != info.get("sha256"):
            for path in (meta, audio):
                path.unlink(missing_ok=True)
            return None
        clip = Clip(audio, engine, voice, speed, float(info["seconds"]), len(data), made=False)
        self._checked[audio] = ((stat.st_size, stat.st_mtime_ns), clip)
        return clip

    def put(self, engine: str, voice: str, speed: str, text: str, pcm: bytes) -> Clip:
        """Encode ``pcm`` and store it atomically; VoiceUnavailable when the disk refuses."""
        audio, meta = self._paths(self.key(engine, voice, speed, text))
        try:
            audio.parent.mkdir(parents=True, exist_ok=True)
            with _temporary(audio.parent, ".mp3") as tmp:
                encode_mp3(pcm, tmp)
                data = tmp.read_bytes()
                os.replace(tmp, audio)
            seconds = round(duration(pcm), 3)
            info = {"engine": engine, "voice": voice, "speed": speed, "text": nfc(text), "format": FORMAT,
                    "seconds": seconds, "bytes": len(data),
                    "sha256": hashlib.sha256(data).hexdigest()}
            with _temporary(audio.parent, ".json") as tmp:
                tmp.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
                os.replace(tmp, meta)
        except OSError as exc:  # disk full, read-only, permissions: the lesson goes on as text
            raise VoiceUnavailable(f"cannot write the audio cache: {exc}", key="voice.cache_write") from exc
        return Clip(audio, engine, voice, speed, seconds, len(data), made=True)

    @contextmanager
    def lock(self, key: str) -> Iterator[None]:
        """Hold the lock of one clip: across threads and processes (the app and `learn narrate`)."""
        folder = self.root / "locks"
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / f"{key[:16]}.lock").open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _temporary(folder: Path, suffix: str) -> Iterator[Path]:
    fd, name = tempfile.mkstemp(dir=folder, prefix=".part-", suffix=suffix)
    os.close(fd)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


class Narrator:
    """Turns text into a clip with the first engine that can, reusing any clip already made.

    The offline voice is given the text through the pronunciation lexicon; clips are keyed by the text the
    engine was given, so a new lexicon entry makes the words it changes again."""

    def __init__(self, cache: AudioCache, engines: Sequence[Synthesizer], lexicon: Lexicon | None = None) -> None:
        self.cache = cache
        self.engines = list(engines)
        self.lexicon = lexicon or Lexicon()

    def cached(self, text: str, speed: str = "normal") -> Clip | None:
        """A clip already made by any engine of the chain (the first engine's preferred), or None."""
        text = speakable(text)
        for engine in self.engines:
            hit = self.cache.get(engine.name, engine.voice, speed, self.lexicon.for_engine(engine.name, text))
            if hit is not None:
                return hit
        return None

    def clip(self, text: str, speed: str = "normal") -> Clip:
        """The clip for ``text``; VoiceUnavailable (with every engine's reason) when none can speak."""
        try:
            return self._clip(speakable(text), speed)
        except OSError as exc:  # a read-only or full audio folder (e.g. copied from another laptop)
            raise VoiceUnavailable(f"cannot use the audio cache {self.cache.root}: {exc}",
                                   key="voice.cache_write") from exc

    def _clip(self, text: str, speed: str) -> Clip:
        hit = self.cached(text, speed)
        if hit is not None:
            return hit
        reasons = []
        for engine in self.engines:
            if not engine.available():
                reasons.append(f"{engine.name}: not available")
                continue
            said = self.lexicon.for_engine(engine.name, text)
            with self.cache.lock(self.cache.key(engine.name, engine.voice, speed, said)):
                hit = self.cache.get(engine.name, engine.voice, speed, said)
                if hit is not None:  # made by another session while this one waited
                    return hit
                try:
                    pcm = self._render(engine, said, speed)
                except VoiceUnavailable as exc:
                    reasons.append(f"{engine.name}: {exc}")
                    continue
                return self.cache.put(engine.name, engine.voice, speed, said, pcm)
        raise VoiceUnavailable("no narration engine could speak: " + "; ".join(reasons or ["none configured"]),
                               key="voice.unavailable")

    def _render(self, engine: Synthesizer, text: str, speed: str) -> bytes:
        parts = []
        with tempfile.TemporaryDirectory(prefix="learn-tts-") as folder:
            for i, sentence in enumerate(split_sentences(text)):
                out = Path(folder) / f"{i}.audio"
                engine.synthesize(sentence, speed, out)
                parts.append(decode_pcm(out))
        pcm = silence(PAUSE_BETWEEN_SENTENCES).join(parts)
        if rms(pcm) < SILENT_RMS:
            raise VoiceUnavailable(f"{engine.name} produced silence", key="voice.broken_audio")
        return pcm
