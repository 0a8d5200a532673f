"""The rules for authors that `learn content check` enforces (issue 17), each broken on purpose in a copy of a
lesson that keeps them all (tests/fixtures/rules/vi), and the pronunciation lexicon used by the offline voice."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from learn import services
from learn.cli import cli
from learn.lessons import pronunciation, rules
from learn.lessons.catalog import Catalog
from learn.lessons.rules_vi import HOPELESS_PHRASES, JOKE_DISTRACTORS, WRONG_OPENINGS
from learn.lessons.validate import check_content, check_tree
from learn.strings_vi import t
from learn.voice.lexicon import Lexicon
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import EspeakEngine
from tests.support.cli import runner
from tests.support.paths import FIXTURES, ROOT

RULES = FIXTURES / "rules" / "vi"
LESSON = Path("scams") / "01-calls.md"
OPENINGS = ", ".join(f"“{o}”" for o in WRONG_OPENINGS)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "vi"
    shutil.copytree(RULES, root)
    return root


def edit(root: Path, old: str, new: str, path: Path = LESSON) -> None:
    file = root / path
    text = file.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    file.write_text(text.replace(old, new), encoding="utf-8")


def messages(root: Path) -> list[str]:
    return [f"{p.path.relative_to(root)}:{p.line}: {p.message}" for p in check_content(root)[1]]


def line_of(root: Path, text: str, path: Path = LESSON) -> int:
    lines = (root / path).read_text(encoding="utf-8").splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line)


def test_the_model_lesson_keeps_every_rule_and_the_command_says_so(tree: Path) -> None:
    lessons, problems = check_content(tree)
    assert problems == [] and [x.id for x in lessons] == ["rules-calls"]
    result = runner().invoke(cli, ["content", "check", str(tree)], env={"LEARN_HOME": str(tree.parent / "home")})
    assert (result.exit_code, result.stdout.strip()) == (0, "1 lessons OK")


@pytest.mark.parametrize("opening", ["Câu này đúng ạ.", "Đúng là lừa đảo đấy bác.", "Đây là lừa đảo đấy bác."])
def test_wrong_answer_feedback_must_say_not_right_first(tree: Path, opening: str) -> None:
    edit(tree, "wrong: Chưa đúng ạ. Đây là lừa đảo.", f"wrong: {opening} Đây là lừa đảo.")
    line = line_of(tree, f"wrong: {opening}")
    start = " ".join(f"{opening} Đây là lừa đảo.".split()[:4])
    assert messages(tree) == [f"{LESSON}:{line}: " + t("check.wrong_opening", what=t("check.what_wrong", id="ask-code"),
                                                          openings=OPENINGS, start=start)]


def test_the_spoken_wrong_feedback_is_held_to_the_same_rule(tree: Path) -> None:
    edit(tree, "wrong_narration: Chưa đúng ạ.", "wrong_narration: Đúng ra là.")
    line = line_of(tree, "wrong_narration:")
    assert messages(tree) == [f"{LESSON}:{line}: " + t(
        "check.wrong_opening", what=t("check.what_wrong", id="bank-counter"), openings=OPENINGS,
        start="Đúng ra là. Ở")]


def test_a_topic_of_scams_only_and_a_lesson_passed_by_always_saying_scam(tree: Path) -> None:
    # the real case of the lesson becomes a scam: 2 of 2 scam-or-real items are scams
    edit(tree, "answer: 2\nright: Đúng rồi, đây là việc thật", "answer: 1\nright: Đúng rồi, đây là việc thật")
    assert messages(tree) == [
        # "Lừa đảo" is the first option: a learner always tapping it gets 4 of 6
        f"{LESSON}:2: " + t("check.same_answer", strategy=t("check.strategy_position", number=1), score=4, asked=6),
        f"{LESSON}:4: " + t("check.topic_real_share", topic="scams", real=0, total=2, percent=0, least=40,
                            lessons="rules-calls"),
    ]


def test_real_cases_are_counted_across_the_whole_topic(tree: Path) -> None:
    second = tree / "scams" / "02-more.md"
    shutil.copy(tree / LESSON, second)
    edit(tree, "id: rules-calls", "id: rules-more", second.relative_to(tree))
    assert messages(tree) == []  # two lessons, each half real
    (tree / LESSON).unlink()
    assert messages(tree) == []


def test_a_lesson_passed_by_always_tapping_the_first_option(tree: Path) -> None:
    edit(tree, "answer: 3\n", "answer: 1\n")
    assert messages(tree) == [f"{LESSON}:2: " + t("check.same_answer", strategy=t("check.strategy_position", number=1),
                                                   score=4, asked=6)]


def test_the_pass_mark_is_more_than_half() -> None:
    assert rules.passed(4, 6) and not rules.passed(3, 6) and rules.passed(2, 3) and not rules.passed(1, 2)


def test_each_lesson_asks_two_decisions_that_tell_a_situation(tree: Path) -> None:
    edit(tree, "kind: yes-no\ndecision: true\n", "kind: yes-no\n")
    edit(tree, "prompt: Người lạ gọi, xưng là ngân hàng, xin bác đọc mã vừa nhận. Bác làm gì?",
         "prompt: Bác làm gì với người gọi?")
    line = line_of(tree, "prompt: Bác làm gì với người gọi?")
    assert messages(tree) == [
        f"{LESSON}:2: " + t("check.few_decisions", count=1, least=2),
        f"{LESSON}:{line}: " + t("check.decision_prompt", id="first-step", least=8, prompt="Bác làm gì với người gọi?"),
    ]


def test_a_joke_distractor_is_refused(tree: Path) -> None:
    edit(tree, "  - text: Bấm thêm lần nữa", "  - text: Lắc mạnh điện thoại")
    line = line_of(tree, "Lắc mạnh điện thoại")
    assert messages(tree) == [f"{LESSON}:{line}: " + t("check.joke_distractor", number=2, id="clicked-link",
                                                        text="Lắc mạnh điện thoại")]


def test_a_false_claim_is_not_read_aloud_as_a_statement(tree: Path) -> None:
    edit(tree, "prompt: Ngân hàng hay gọi điện xin mã của bác, đúng không?",
         "prompt: Ngân hàng hay gọi điện xin mã của bác.")
    line = line_of(tree, "prompt: Ngân hàng hay gọi điện xin mã của bác.")
    assert messages(tree) == [f"{LESSON}:{line}: " + t("check.false_statement", id="bank-asks")]
    # a true claim may be a statement
    edit(tree, "answer: 2\nright: Bác chọn đúng rồi.", "answer: 1\nright: Bác chọn đúng rồi.")
    assert not any("bank-asks" in m for m in messages(tree))


def test_a_long_step_and_a_hopeless_line(tree: Path) -> None:
    sentence = "Bác nhớ giữ điện thoại bên mình, và hỏi con cháu khi thấy điều gì lạ trên màn hình. "
    edit(tree, "Bác cúp máy, rồi gọi con cháu.\n", "Bác cúp máy, rồi gọi con cháu. " + sentence * 4 + "\n")
    edit(tree, "Đường link lạ có thể lấy tiền của bác.", "Đường link lạ có thể lấy tiền của bác. Chuyển rồi là mất.")
    step, link_step = line_of(tree, "## Bác làm gì"), line_of(tree, "## Đường link lạ")
    assert messages(tree) == [
        f"{LESSON}:{step}: " + t("check.long_step", title="Bác làm gì", words=86, most=70),
        f"{LESSON}:{link_step}: " + t("check.hopeless", what=t("check.what_step", title="Đường link lạ"),
                                      phrase="chuyển rồi là mất"),
    ]


def test_a_word_the_offline_voice_reads_as_english_needs_the_lexicon(tree: Path) -> None:
    edit(tree, "wifi: oai phai\n", "", Path("lexicon.yaml"))
    found = messages(tree)
    prompt, right, wrong = (line_of(tree, key) for key in
                            ("prompt: Cháu nhờ", "right: Đúng rồi. Bật wifi", "wrong: Chưa đúng ạ. Wifi"))
    said = {"wifi": "(en)w'aI7faI1(vi)_|", "Wifi": "(en)w'aI7faI1(vi)_|"}
    assert found == [
        f"{LESSON}:{line}: " + t("check.foreign_word", what=what, word=word, language="Anh", phonemes=said[word],
                                 lexicon="lexicon.yaml")
        for line, what, word in ((prompt, t("check.what_question", id="help-wifi"), "wifi"),
                                 (right, t("check.what_right", id="help-wifi"), "wifi"),
                                 (wrong, t("check.what_wrong", id="help-wifi"), "Wifi"))]


def test_picture_descriptions_and_options_are_checked_as_they_are_said(tree: Path) -> None:
    # the picture's description is said from its title, the option from its narration: both are checked
    edit(tree, '"Điện thoại có cuộc gọi lạ"', '"Điện thoại có video lạ"')
    edit(tree, "narration: Gọi con cháu giúp ngay", "narration: Gọi con cháu giúp qua video")
    picture = line_of(tree, "![Điện thoại")
    option = line_of(tree, "  - text: Gọi con cháu giúp")
    said = "(en)v'I7dI21;oU1(vi)_|"
    assert messages(tree) == [
        f"{LESSON}:{picture}: " + t("check.foreign_word", what=t("check.what_picture", title="Người gọi xin mã"),
                                    word="video", language="Anh", phonemes=said, lexicon="lexicon.yaml"),
        f"{LESSON}:{option}: " + t("check.foreign_word", what=t("check.what_option", number=3, id="clicked-link"),
                                   word="video", language="Anh", phonemes=said, lexicon="lexicon.yaml"),
    ]


def test_the_lexicon_file_is_checked_too(tree: Path) -> None:
    (tree / "lexicon.yaml").write_text("link: linh\nLink: lin\nwifi: oai phai\nvideo: wai đi ô\nweb: ''\n",
                                       encoding="utf-8")
    assert messages(tree) == [
        "lexicon.yaml:2: " + t("check.lexicon_twice", word="Link", line=1),
        "lexicon.yaml:4: " + t("check.lexicon_foreign", word="video", said="wai đi ô", part="wai",
                               phonemes="(en)w'aI7(vi)_|"),
        "lexicon.yaml:5: " + t("check.lexicon_entry", word="web"),
    ]


def test_without_espeak_the_check_says_so(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pronunciation, "_cache", {})
    monkeypatch.setenv("PATH", str(tree))  # no espeak-ng there
    assert messages(tree) == [".:1: " + t("check.no_espeak", reason="espeak-ng is not installed")]


def test_a_lesson_breaking_a_rule_still_plays(tree: Path) -> None:
    edit(tree, "wrong: Chưa đúng ạ. Đây là lừa đảo.", "wrong: Câu này đúng ạ.")
    assert check_tree(tree)[1] == [] and Catalog.load(tree).get("rules-calls") is not None


def test_the_lexicon_replaces_whole_words_whatever_their_case() -> None:
    lexicon = Lexicon({"link": "linh", "Wi-Fi": "oai phai", "CH Play": "chợ pờ lây", "Play": "pờ lây"})
    assert lexicon.apply("Bấm Link, bật wi-fi, mở CH  Play; Play. linkage, Wi-Fix") == (
        "Bấm linh, bật oai phai, mở chợ pờ lây; pờ lây. linkage, Wi-Fix")
    assert lexicon.for_engine("gtts", "link") == "link" and lexicon.for_engine("espeak", "link") == "linh"


def test_the_offline_voice_says_the_respelling_and_the_narration_uses_the_overrides(tmp_path: Path) -> None:
    lessons, _ = check_tree(RULES)
    question = next(q for q in lessons[0].questions if q.id == "clicked-link")
    assert services.question_speech(question).endswith("Ba: Gọi con cháu giúp ngay.")
    wrong = next(q for q in lessons[0].questions if q.id == "bank-counter")
    assert services.feedback_speech(wrong, False).startswith("Chưa đúng ạ. Ở quầy, ký giấy")
    assert services.picture_speech(lessons[0].steps[0].picture) == "Điện thoại có cuộc gọi lạ"  # type: ignore[arg-type]
    lexicon, problems = pronunciation.load_lexicon(RULES)
    assert problems == []
    narrator = Narrator(AudioCache(tmp_path), [EspeakEngine()], lexicon)
    clip = narrator.clip("Bác bật wifi nhé.")
    assert clip.engine == "espeak" and clip.path.with_suffix(".json").read_text(encoding="utf-8").count(
        '"text": "Bác bật oai phai nhé."') == 1
    assert narrator.cached("Bác bật wifi nhé.") == clip.__class__(**{**clip.__dict__, "made": False})


def test_the_guide_lists_every_phrase_the_rules_use() -> None:
    guide = (ROOT / "docs" / "lesson-format.md").read_text(encoding="utf-8")
    for phrase in (*WRONG_OPENINGS, *JOKE_DISTRACTORS, *HOPELESS_PHRASES):
        assert re.search(re.escape(phrase), guide, re.I), phrase
    for value in (rules.MIN_REAL_PERCENT, rules.MIN_DECISIONS, rules.MIN_DECISION_WORDS, rules.MAX_STEP_WORDS):
        assert str(value) in guide


def test_learn_say_gives_the_offline_voice_the_lexicons_respelling(tmp_path: Path) -> None:
    env = {"LEARN_HOME": str(tmp_path / "home"), "LEARN_CONTENT_DIR": str(RULES)}
    result = runner().invoke(cli, ["say", "Bác bật Wifi nhé.", "-o", str(tmp_path / "a.mp3"), "--engine", "espeak"],
                             env=env)
    assert result.exit_code == 0, result.stderr
    said = [p.read_text(encoding="utf-8") for p in (tmp_path / "home" / "audio").rglob("*.json")]
    assert len(said) == 1 and '"text": "Bác bật oai phai nhé."' in said[0] and '"engine": "espeak"' in said[0]
