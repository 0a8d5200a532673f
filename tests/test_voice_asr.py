"""The recogniser: Vosk's real loading code and its failures, the grammar-then-free strategy, and (with a
model, when LEARN_VOSK_MODEL is set) real recognition of real speech."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from learn.errors import VoiceUnavailable
from learn.voice.answers import match_answer
from learn.voice.asr import VoskRecognizer, expected_phrases, load_recognizer, model_problems, understand
from learn.voice.pipeline import prepare
from tests.conftest import SHARED
from tests.support.doubles import ScriptedRecognizer

MODEL = os.environ.get("LEARN_VOSK_MODEL")
needs_vosk_model = pytest.mark.skipif(
    not MODEL, reason="needs a Vosk model: set LEARN_VOSK_MODEL (see ../shared/models/README.md); "
                      "none can be downloaded on this machine")
BUTTONS = ["Nút nguồn", "Nút âm lượng"]


def test_no_model_says_how_to_get_one(tmp_path: Path) -> None:
    for folder in (None, tmp_path / "missing"):
        with pytest.raises(VoiceUnavailable) as exc:
            load_recognizer(folder)
        assert exc.value.key == "voice.no_model" and "learn models download vi" in str(exc.value)


def test_an_incomplete_model_folder_lists_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_text("x")
    assert model_problems(tmp_path) == ["missing conf/mfcc.conf", "missing conf/model.conf",
                                        "missing graph/HCLr.fst + graph/Gr.fst (or graph/HCLG.fst)"]
    with pytest.raises(VoiceUnavailable) as exc:
        VoskRecognizer(tmp_path)
    assert "not a Vosk model" in str(exc.value)


def test_a_damaged_model_is_refused_by_vosk_itself(tmp_path: Path) -> None:
    """The files are all there but are not a model: Vosk's own loader fails (in the child process that tries a
    model before the server loads it), and we say so, with what Vosk said."""
    for name in ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf", "graph/HCLr.fst", "graph/Gr.fst"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("damaged\n")
    with pytest.raises(VoiceUnavailable) as exc:
        VoskRecognizer(tmp_path)
    assert exc.value.key == "voice.engine.damaged" and "Vosk could not load" in str(exc.value)
    assert exc.value.values["folder"] == str(tmp_path) and "Vosk failed: ERROR" in exc.value.values["detail"]


def test_the_grammar_holds_options_numbers_answers_and_commands() -> None:
    phrases = expected_phrases(BUTTONS, [["nguồn"], ["âm lượng", "tiếng"]])
    assert phrases[:5] == ["nút nguồn", "nút âm lượng", "nguồn", "âm lượng", "tiếng"]
    assert {"một", "hai", "câu hai", "số một", "có", "không", "nghe lại", "tiếp"} <= set(phrases)
    assert "ba" not in phrases  # only as many numbers as there are options
    assert len(phrases) == len(set(phrases))


def test_grammar_first_then_free_form_when_grammar_hears_nothing() -> None:
    recognizer = ScriptedRecognizer(grammar="[unk]", free="chắc là âm lượng", confidence=0.8)
    heard = understand(recognizer, b"\0\0" * 1600, BUTTONS)
    assert recognizer.calls == ["grammar", "free"]
    assert (heard.interpretation.index, heard.transcript.mode, heard.transcript.text) == (1, "free", "chắc là âm lượng")
    assert [t.mode for t in heard.tried] == ["grammar", "free"]


def test_a_clear_grammar_result_needs_no_second_pass() -> None:
    recognizer = ScriptedRecognizer(grammar="câu hai")
    assert understand(recognizer, b"\0\0" * 1600, BUTTONS).interpretation.index == 1
    assert recognizer.calls == ["grammar"]


def test_a_low_confidence_free_form_guess_is_not_an_answer() -> None:
    recognizer = ScriptedRecognizer(grammar="[unk]", free="hai", confidence=0.2)
    heard = understand(recognizer, b"\0\0" * 1600, BUTTONS)
    assert heard.interpretation.action == "unclear" and heard.transcript.text == "hai"


# --- with a real model ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def vosk() -> VoskRecognizer:
    return VoskRecognizer(Path(MODEL or "."))


def clips(folder: str) -> list[tuple[Path, str]]:
    with (SHARED / "audio" / folder / "transcripts.tsv").open(encoding="utf-8") as f:
        return [(SHARED / "audio" / folder / row["path"], row["text"]) for row in csv.DictReader(f, delimiter="\t")]


@needs_vosk_model
def test_real_speech_is_transcribed(vosk: VoskRecognizer) -> None:
    overlaps = []
    for path, text in clips("vi-real"):
        transcript = vosk.transcribe(prepare(path.read_bytes()).pcm)
        assert transcript.mode == "free" and all(0 <= w.confidence <= 1 for w in transcript.words)
        overlaps.append(len(set(transcript.text.split()) & set(text.split())) / len(set(text.split())))
    assert sum(overlaps) / len(overlaps) > 0.5, overlaps


@needs_vosk_model
def test_spoken_numbers_choose_options(vosk: VoskRecognizer) -> None:
    four = ["Mã khách hàng", "Số điện thoại", "Tên ngân hàng", "Địa chỉ nhà"]
    right = 0
    for path, text in clips("vi-tts"):
        if text in ("một", "hai", "ba", "bốn"):
            heard = understand(vosk, prepare(path.read_bytes()).pcm, four)
            right += heard.interpretation.index == ["một", "hai", "ba", "bốn"].index(text)
    assert right >= 3


@needs_vosk_model
def test_grammar_and_free_form_compared_on_the_clips(vosk: VoskRecognizer) -> None:
    """Not a pass mark: prints how often each mode finds the answer, to guide the strategy."""
    choices = ["Có", "Không"]
    results = {"grammar": 0, "free": 0}
    for path, text in clips("vi-tts"):
        if text in ("có", "không", "có ạ", "không phải"):
            pcm = prepare(path.read_bytes()).pcm
            expected = match_answer(text, choices)
            grammar = vosk.transcribe(pcm, expected_phrases(choices)).text
            results["grammar"] += match_answer(grammar, choices) == expected
            results["free"] += match_answer(vosk.transcribe(pcm).text, choices) == expected
    print(f"answers found: {results}")
    assert sum(results.values()) > 0
