"""Text-to-speech engines: Google's voice through gTTS (online) and espeak-ng's Vietnamese voice (offline)."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
import unicodedata
from pathlib import Path
from typing import Literal, get_args

from learn.errors import VoiceUnavailable
from learn.text import squash

#: The narration engines a server may use (LEARN_TTS, `learn say --engine`): gTTS then espeak-ng, one, or none.
EngineChoice = Literal["auto", "gtts", "espeak", "off"]
ENGINE_CHOICES: tuple[EngineChoice, ...] = get_args(EngineChoice)

#: The longest piece of text sent to an engine at once; longer text is split at sentence boundaries.
MAX_CHUNK = 180
_SENTENCE_END = re.compile(r"(?<=[.!?…;:])\s+")
_CLAUSE_END = re.compile(r"(?<=[,])\s+")


def speakable(text: str) -> str:
    """The text to say, tidied; VoiceUnavailable when there is nothing a voice could say."""
    clean = squash(text)
    if not clean:
        raise VoiceUnavailable("empty text", key="voice.empty")
    if not any(unicodedata.category(ch)[0] in "LN" for ch in clean):
        raise VoiceUnavailable(f"nothing to say in {clean!r}", key="voice.nothing_to_say")
    return clean


def split_sentences(text: str, limit: int = MAX_CHUNK) -> list[str]:
    """Split text into pieces of at most ``limit`` characters, at sentences, then clauses, then words."""
    pieces: list[str] = []
    for sentence in _SENTENCE_END.split(speakable(text)):
        for part in _pack(_CLAUSE_END.split(sentence), limit) if len(sentence) > limit else [sentence]:
            pieces.extend(_pack(part.split(" "), limit) if len(part) > limit else [part])
    return [p for p in pieces if any(unicodedata.category(ch)[0] in "LN" for ch in p)]


def _pack(words: list[str], limit: int) -> list[str]:
    out: list[str] = []
    for word in words:
        if out and len(out[-1]) + 1 + len(word) <= limit:
            out[-1] += " " + word
        else:
            out.extend(word[i:i + limit] for i in range(0, len(word), limit))
    return out


class EspeakEngine:
    """espeak-ng's Vietnamese voice: robotic but always there, offline, in about a tenth of a second."""

    name = "espeak"
    #: words per minute for each speed; older learners follow 150 well, 115 when slow
    RATES = {"normal": 150, "slow": 115}

    def __init__(self, voice: str = "vi", binary: str = "espeak-ng") -> None:
        self.voice = voice
        self._binary = binary

    def available(self) -> bool:
        return shutil.which(self._binary) is not None

    def synthesize(self, text: str, speed: str, out: Path) -> None:
        binary = shutil.which(self._binary)
        if binary is None:
            raise VoiceUnavailable(f"{self._binary} is not installed (apt-get install espeak-ng)",
                                   key="voice.no_espeak")
        try:
            done = subprocess.run([binary, "-v", self.voice, "-s", str(self.RATES[speed]), "-w", str(out), "--stdin"],
                                  input=text.encode("utf-8"), capture_output=True, timeout=30, check=False)
        except subprocess.TimeoutExpired as exc:
            raise VoiceUnavailable("espeak-ng took too long") from exc
        if done.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
            raise VoiceUnavailable(f"espeak-ng failed: {done.stderr.decode('utf-8', 'replace').strip()}")


class GttsEngine:
    """Google's Vietnamese voice through gTTS: natural, needs the internet.

    Every request has a timeout (gTTS waits forever by default where packets are dropped), and after a
    failure the engine rests for ``retry_after`` seconds, so a village without internet pays the wait once.
    """

    name = "gtts"
    voice = "vi"

    def __init__(self, timeout: float = 4.0, retry_after: float = 120.0, tld: str = "com.vn") -> None:
        self.timeout = timeout
        self.retry_after = retry_after
        self.tld = tld
        self._down_until = 0.0
        self._lock = threading.Lock()

    def available(self) -> bool:
        try:
            import gtts  # noqa: F401
        except ImportError:
            return False
        with self._lock:
            return time.monotonic() >= self._down_until

    def synthesize(self, text: str, speed: str, out: Path) -> None:
        try:
            from gtts import gTTS, gTTSError
        except ImportError as exc:
            raise VoiceUnavailable("gTTS is not installed (pip install '.[tts]')") from exc
        try:
            speech = gTTS(text, lang="vi", tld=self.tld, slow=speed == "slow", lang_check=False,
                          timeout=self.timeout)
            with out.open("wb") as fp:
                speech.write_to_fp(fp)
        except (gTTSError, OSError, AssertionError) as exc:
            with self._lock:
                self._down_until = time.monotonic() + self.retry_after
            raise VoiceUnavailable(f"gTTS failed: {exc}", key="voice.offline") from exc
        if out.stat().st_size == 0:
            raise VoiceUnavailable("gTTS returned no audio", key="voice.offline")


def engines_for(choice: EngineChoice) -> list[EspeakEngine | GttsEngine]:
    """The engine chain for a setting: auto (gTTS, then espeak-ng), gtts, espeak, or off (none)."""
    chains: dict[EngineChoice, list[EspeakEngine | GttsEngine]] = {
        "auto": [GttsEngine(), EspeakEngine()], "gtts": [GttsEngine()], "espeak": [EspeakEngine()], "off": []}
    if choice not in chains:
        raise VoiceUnavailable(f"unknown narration engine {choice!r}: use auto, gtts, espeak or off")
    return chains[choice]
