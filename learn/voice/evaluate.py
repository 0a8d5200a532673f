"""Measuring the recogniser in the field: choice accuracy and word error rate over a folder of clips.

A commune that has the Vietnamese model runs ``learn listen --batch DIR --transcripts FILE`` on the shared real
clips, or on recordings of its own residents, and sees how often an answer would be chosen right and how many
words are heard wrong. The transcripts file is tab-separated with a header, as ``../shared/audio/vi-real/``'s:
a ``path`` column (relative to DIR) and a ``text`` column (what is said); other columns are ignored.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from learn.errors import LearnError
from learn.text import nfc
from learn.voice.answers import words
from learn.voice.asr import Recognizer, understand
from learn.voice.pipeline import prepare_or_problem


class TranscriptsError(LearnError):
    """A transcripts file that cannot be used."""

    key = "listen.bad_transcripts"


@dataclass(frozen=True)
class ClipResult:
    """One clip: what was said, what the free pass heard, its word errors, and the option chosen (if any)."""

    path: str
    said: str
    heard: str
    errors: int
    reference_words: int
    chosen: str | None
    correct: bool
    problem: str | None = None


@dataclass(frozen=True)
class Evaluation:
    """All clips, and the totals: ``accuracy`` (chosen right / clips), ``wer`` (word errors / words said)."""

    clips: tuple[ClipResult, ...]

    @property
    def accuracy(self) -> float:
        return sum(c.correct for c in self.clips) / len(self.clips) if self.clips else 0.0

    @property
    def wer(self) -> float:
        said = sum(c.reference_words for c in self.clips)
        return sum(c.errors for c in self.clips) / said if said else 0.0


def edit_distance(reference: Sequence[str], hypothesis: Sequence[str]) -> int:
    """Fewest word substitutions, deletions and insertions that turn ``hypothesis`` into ``reference``."""
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        current = [i]
        for j, hyp in enumerate(hypothesis, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp)))
        previous = current
    return previous[-1]


def word_error_rate(reference: str, hypothesis: str) -> float:
    """Word errors over the words of ``reference`` (case, punctuation and Unicode form ignored)."""
    said = words(reference)
    return edit_distance(said, words(hypothesis)) / len(said) if said else float(bool(words(hypothesis)))


def read_transcripts(file: Path) -> list[tuple[str, str]]:
    """(path, text) for each row of a tab-separated transcripts file with ``path`` and ``text`` columns."""
    try:
        with file.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t"))
    except (OSError, UnicodeDecodeError) as exc:
        raise TranscriptsError(f"cannot read {file}: {exc}") from exc
    if not rows or not {"path", "text"} <= set(rows[0]):
        raise TranscriptsError(f"{file}: needs a header with the tab-separated columns path and text")
    return [(row["path"], nfc(row["text"] or "")) for row in rows if row.get("path")]


def evaluate(recognizer: Recognizer, folder: Path, transcripts: Sequence[tuple[str, str]],
             choices: Sequence[str] | None = None) -> Evaluation:
    """Hear every clip as a resident's answer would be heard (the same pipeline and passes).

    The options are ``choices`` or, by default, every distinct text of the transcripts: a clip counts as right
    when the option chosen is its own text. The word error rate is of a free-form pass (no grammar).
    """
    options = list(choices) if choices else list(dict.fromkeys(text for _, text in transcripts))
    results = []
    for name, said in transcripts:
        path = folder / name
        data = path.read_bytes() if path.is_file() else b""
        prepared = prepare_or_problem(data) if data else None
        reference = words(said)
        if prepared is None or not prepared.ok:
            problem = "missing" if prepared is None else prepared.problem
            results.append(ClipResult(name, said, "", len(reference), len(reference), None, False, problem))
            continue
        heard = understand(recognizer, prepared.pcm, options)
        free = next((x for x in heard.tried if x.mode == "free"), None) or recognizer.transcribe(prepared.pcm)
        index = heard.interpretation.index if heard.interpretation.action == "answer" else None
        chosen = options[index] if index is not None else None
        results.append(ClipResult(name, said, free.text, edit_distance(reference, words(free.text)),
                                  len(reference), chosen, chosen is not None and words(chosen) == reference))
    return Evaluation(tuple(results))


def model_language(model_dir: Path) -> str | None:
    """What a model folder says about its language: "vi" for a Vietnamese model, else its README's first line
    (or the folder's name); None when it says nothing."""
    names = [part.casefold() for part in (model_dir.name, model_dir.parent.name)]
    readme = model_dir / "README"
    first = ""
    if readme.is_file():
        text = readme.read_text("utf-8", "replace")
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        if "vietnam" in text.casefold():
            return "vi"
    if any(tag in name.replace("_", "-").split("-") for name in names for tag in ("vn", "vi")):
        return "vi"
    return first or model_dir.name or None
