"""Named test doubles, for the one thing that cannot run here: the Vietnamese Vosk model (no internet to download
it). The engine itself runs in tests/test_vosk_engine.py and tests/test_browser_voice.py, with the registry's
Korean model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from learn.voice.asr import Transcript, Word


class ScriptedRecognizer:
    """TEST DOUBLE standing in for VoskRecognizer: answers with scripted transcripts instead of listening.

    ``grammar`` is returned in grammar mode, ``free`` in free-form mode, each with ``confidence`` per word.
    Every PCM it is given is kept in ``received`` (and written to ``record_dir`` if set), so a test can prove
    the real speech reached it through the real audio pipeline.
    """

    def __init__(self, grammar: str = "[unk]", free: str = "", confidence: float = 0.9,
                 record_dir: Path | None = None) -> None:
        self.grammar, self.free, self.confidence = grammar, free, confidence
        self.received: list[bytes] = []
        self.calls: list[str] = []
        self.record_dir = record_dir

    def transcribe(self, pcm: bytes, phrases: Sequence[str] | None = None) -> Transcript:
        self.received.append(pcm)
        if self.record_dir is not None:
            self.record_dir.mkdir(parents=True, exist_ok=True)
            (self.record_dir / f"received-{len(self.received)}.pcm").write_bytes(pcm)
        mode = "grammar" if phrases else "free"
        self.calls.append(mode)
        text = self.grammar if phrases else self.free
        return Transcript(text, tuple(Word(w, self.confidence) for w in text.split()), mode)
