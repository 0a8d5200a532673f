"""Speech recognition behind a small interface, with Vosk as the real engine (offline, Vietnamese model).

The model is big (about 300 MB in memory for the Vietnamese one): ``load_recognizer`` is called once per process
by the app's resources; each ``transcribe`` call makes its own ``KaldiRecognizer``, which is cheap and not shared
between threads (the model is, as Vosk's maintainer confirms). A model folder is tried in a child process
before it is loaded (``learn.voice.probe``): a damaged one is refused instead of crashing the server.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from learn.errors import VoiceUnavailable
from learn.text import nfc
from learn.voice.answers import Interpretation, interpret, words
from learn.voice.probe import LOG_LEVEL, probe
from learn.voice.vocabulary_vi import COMMANDS, NUMBER_PREFIXES, NUMBERS, SHORT_ANSWERS

RATE = 16000
#: Below this mean word confidence a free-form transcript is a guess, not an answer.
MIN_CONFIDENCE = 0.45
#: Files an unpacked Vosk model must have (either graph layout).
MODEL_FILES = ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf")
GRAPHS = (("graph/HCLr.fst", "graph/Gr.fst"), ("graph/HCLG.fst",))


@dataclass(frozen=True)
class Word:
    """One recognised word, its confidence (0..1) and where it was heard (seconds)."""

    text: str
    confidence: float
    start: float = 0.0
    end: float = 0.0


@dataclass(frozen=True)
class Transcript:
    """What the recogniser heard; ``mode`` is "grammar" (limited to expected phrases) or "free"."""

    text: str
    words: tuple[Word, ...] = ()
    mode: str = "free"

    @property
    def confidence(self) -> float:
        """Mean confidence of the real words (0 when nothing but [unk] was heard)."""
        real = [w.confidence for w in self.words if w.text != "[unk]"]
        return sum(real) / len(real) if real else 0.0


class Recognizer(Protocol):
    """Turns 16 kHz mono 16-bit PCM into text; ``phrases`` limits it to those phrases when given."""

    def transcribe(self, pcm: bytes, phrases: Sequence[str] | None = None) -> Transcript:
        ...


def model_problems(model_dir: Path) -> list[str]:
    """What is missing from a Vosk model folder (empty when it looks complete)."""
    if not model_dir.is_dir():
        return [f"no folder {model_dir}"]
    missing = [name for name in MODEL_FILES if not (model_dir / name).is_file()]
    if not any(all((model_dir / g).is_file() for g in graph) for graph in GRAPHS):
        missing.append("graph/HCLr.fst + graph/Gr.fst (or graph/HCLG.fst)")
    return [f"missing {name}" for name in missing]


class VoskRecognizer:
    """Vosk with one model for the whole process."""

    def __init__(self, model_dir: Path) -> None:
        try:
            import vosk
        except ImportError as exc:
            raise VoiceUnavailable("Vosk is not installed: pip install '.[asr]'", key="voice.no_model") from exc
        problems = model_problems(model_dir)
        if problems:
            raise VoiceUnavailable(f"not a Vosk model at {model_dir}: {'; '.join(problems)}",
                                   key="voice.engine.damaged", folder=str(model_dir), detail="; ".join(problems))
        # A damaged model can crash the process instead of raising: it is tried in a child process first.
        self.probe_seconds = probe(model_dir)
        vosk.SetLogLevel(LOG_LEVEL)
        started = time.perf_counter()
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as exc:  # Vosk raises a bare Exception("Failed to create a model")
            raise VoiceUnavailable(f"Vosk could not load {model_dir}: {exc}", key="voice.engine.damaged",
                                   folder=str(model_dir), detail=str(exc)) from exc
        self.load_seconds = time.perf_counter() - started
        self._vosk = vosk
        self.model_dir = model_dir

    def transcribe(self, pcm: bytes, phrases: Sequence[str] | None = None) -> Transcript:
        grammar = [json.dumps([*dict.fromkeys(p.casefold() for p in phrases), "[unk]"], ensure_ascii=False)] \
            if phrases else []
        try:
            recognizer = self._vosk.KaldiRecognizer(self._model, RATE, *grammar)
            recognizer.SetWords(True)
            for start in range(0, len(pcm), 8000):
                recognizer.AcceptWaveform(pcm[start:start + 8000])
            result = json.loads(recognizer.FinalResult())
        except Exception as exc:  # a failing native call must not take the lesson down
            raise VoiceUnavailable(f"Vosk failed: {exc}", key="voice.not_understood") from exc
        found = tuple(Word(nfc(w["word"]), float(w.get("conf", 0.0)), float(w.get("start", 0.0)),
                           float(w.get("end", 0.0))) for w in result.get("result", []))
        return Transcript(nfc(result.get("text", "")), found, "grammar" if phrases else "free")


def load_recognizer(model_dir: Path | None) -> Recognizer:
    """The recogniser for a model folder; VoiceUnavailable (saying how to get a model) when there is none."""
    if model_dir is None or not model_dir.exists():
        raise VoiceUnavailable("no Vosk model: run `learn models download vi` or set LEARN_VOSK_MODEL",
                               key="voice.no_model")
    return VoskRecognizer(model_dir)


def expected_phrases(choices: Sequence[str], spoken_forms: Sequence[Sequence[str]] | None = None) -> list[str]:
    """What a learner is likely to say: the options and their spoken forms, numbers, yes/no words, commands."""
    phrases = [" ".join(words(c)) for c in choices]
    for forms in spoken_forms or []:
        phrases += [" ".join(words(f)) for f in forms]
    numbers = [n for n, v in NUMBERS.items() if v <= max(len(choices), 1) and n.isalpha()]
    phrases += numbers + [f"{prefix} {n}" for prefix in NUMBER_PREFIXES for n in numbers]
    phrases += [*SHORT_ANSWERS, *COMMANDS]
    return [p for p in dict.fromkeys(phrases) if p]


@dataclass(frozen=True)
class Heard:
    """A recognised utterance and what it means; every transcript tried is kept for trainers to see."""

    interpretation: Interpretation
    transcript: Transcript
    tried: tuple[Transcript, ...] = field(default=())


def understand(recognizer: Recognizer, pcm: bytes, choices: Sequence[str],
               spoken_forms: Sequence[Sequence[str]] | None = None) -> Heard:
    """Recognise with the expected phrases as a grammar first, then free-form when that is not clear.

    The small Vietnamese model often answers ``[unk]`` in grammar mode, and free-form text still carries the
    option's own words; a free-form guess with low confidence is not taken as an answer.
    """
    tried = []
    for phrases in (expected_phrases(choices, spoken_forms), None):
        transcript = recognizer.transcribe(pcm, phrases)
        tried.append(transcript)
        meaning = interpret(transcript.text, choices, spoken_forms)
        confident = transcript.mode == "grammar" or transcript.confidence >= MIN_CONFIDENCE
        if meaning.action != "unclear" and confident:
            return Heard(meaning, transcript, tuple(tried))
    best = max(tried, key=lambda x: (bool(x.text.replace("[unk]", "").strip()), x.confidence))
    return Heard(Interpretation("unclear"), best, tuple(tried))
