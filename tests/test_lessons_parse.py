"""The lesson parser: what a valid file becomes, and every rule a broken one can break (with its line)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from learn.lessons.parse import parse_lesson
from tests.conftest import CONTENT

GOOD = (CONTENT / "smartphone" / "01-unlock.md").read_text(encoding="utf-8")
SOURCE = Path("lesson.md")


def problems(text: str) -> list[tuple[int, str]]:
    result = parse_lesson(text, SOURCE)
    assert result.lesson is None, "a lesson with problems must not be returned"
    return [(p.line, p.message) for p in result.problems]


def test_valid_lesson_becomes_steps_and_questions() -> None:
    result = parse_lesson(GOOD, SOURCE)
    assert result.problems == []
    lesson = result.lesson
    assert lesson is not None
    assert (lesson.id, lesson.topic, lesson.minutes, lesson.title) == ("test-unlock", "smartphone", 3, "Mở khóa máy")
    assert [s.title for s in lesson.steps] == ["Nút nguồn", "Mở khóa", "Tắt màn hình"]
    first = lesson.steps[0]
    assert first.body == "Giữ nút nguồn ba giây."
    assert first.picture is not None and first.picture.path == "pictures/power.svg"
    assert first.picture.alt == "Nút nguồn ở cạnh máy"
    assert first.spoken == "Bác giữ nút nguồn khoảng ba giây."
    assert lesson.steps[1].spoken == "Mở khóa. Vuốt màn hình từ dưới lên."
    q1, q2, _ = lesson.questions
    assert (q1.id, q1.kind, q1.answer) == ("q1", "choice", 0)
    assert [o.text for o in q1.options] == ["Nút nguồn", "Nút âm lượng"]
    assert q1.options[1].say == ("âm lượng", "tiếng")
    assert (q2.id, q2.kind, q2.answer, q2.options[0].say) == ("swipe", "yes-no", 0, ())
    # the player's order: step, its question, next step, its question
    assert [(s.step_index, s.question.id if s.question else None) for s in lesson.screens] == [
        (0, None), (0, "q1"), (1, None), (1, "swipe"), (2, None), (2, "screen-off")]


def test_text_is_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", GOOD)
    assert decomposed != GOOD
    lesson = parse_lesson(decomposed, SOURCE).lesson
    assert lesson is not None
    assert lesson.title == "Mở khóa máy" and unicodedata.is_normalized("NFC", lesson.questions[0].wrong)


def test_windows_line_endings_and_bom_are_accepted() -> None:
    assert parse_lesson("\ufeff" + GOOD.replace("\n", "\r\n"), SOURCE).lesson is not None


@pytest.mark.parametrize(
    ("old", "new", "line", "message"),
    [
        ("id: test-unlock", "id: Bài 1", 2, "id 'Bài 1' must be an ASCII slug"),
        ("topic: smartphone", "topic: farming", 4, "topic must be one of smartphone"),
        ("minutes: 3", "minutes: 30", 5, "minutes must be a whole number from 3 to 5 (got 30)"),
        ("minutes: 3", "minutes: ba", 5, "minutes must be a whole number"),
        ("summary: Bật máy và mở khóa.", "summary: ''", 6, "summary is empty"),
        ("summary: Bật máy và mở khóa.", "summary: Bật máy\ncolour: red", 7, "unknown key 'colour' in front matter"),
        ("title: Mở khóa máy\n", "", 1, "front matter is missing 'title'"),
        ("summary: Bật máy và mở khóa.", "summary: [oops", 6, "front matter is not valid YAML"),
        ("summary: Bật máy và mở khóa.", "summary: x\nprerequisites: Bài 2", 7, "prerequisites must be a list"),
        ("## Nút nguồn", "##", 9, "step heading has no title"),
        ("Vuốt màn hình từ dưới lên.", "", 32, "step 'Mở khóa' has no text"),
        ("kind: choice", "kind: essay", 20, "question kind must be one of choice"),
        ("prompt: Giữ nút nào để bật máy?", "prompt: ''", 21, "question prompt is empty"),
        ("answer: 1\nright: Đúng rồi. Nút", "answer: 3\nright: Đúng rồi. Nút", 27,
         "answer must be the number of the correct option, 1 to 2 (got 3)"),
        ("answer: 1\nright: Đúng rồi. Nút", "answer: không\nright: Đúng rồi. Nút", 27, "answer must be the number"),
        ("right: Đúng rồi. Nút nguồn bật máy.\n", "", 20, "feedback 'right' is missing"),
        ("wrong: Chưa đúng ạ. Bác giữ nút nguồn.", "wrong: ' '", 29, "feedback 'wrong' is empty"),
        ("options: [Có, Không]", "options: [Có, Không, Có lẽ]", 40,
         "a yes-no question needs exactly 2 options (has 3)"),
        ("options: [Có, Không]", "options: [Có, có]", 40, "options 1 and 2 sound the same when spoken: 'có'"),
        ("    say: [âm lượng, tiếng]", "    say: [nguồn]", 22, "options 1 and 2 sound the same when spoken: 'nguồn'"),
        ("    say: [âm lượng, tiếng]", "    say: 3", 25, "option 'say' must be a list"),
        ("id: swipe", "id: Vuốt lên", 37, "question id 'Vuốt lên' must be an ASCII slug"),
        ("id: swipe", "id: q1", 37, "question id 'q1' is used twice (first on line 20)"),
        ("kind: choice\nprompt", "kind: choice\nhint: x\nprompt", 21, "unknown key 'hint' in question"),
        ("prompt: Giữ nút nào để bật máy?", "prompt: [Giữ", 22, "question is not valid YAML"),
        ("![Nút nguồn ở cạnh máy](pictures/power.svg)", "![](pictures/power.svg)", 13, "picture needs a description"),
        ("Giữ nút nguồn ba giây.\n", "Giữ nút.\n![Hai](b.svg)\n", 14, "a step has at most one picture"),
        ("Bác giữ nút nguồn khoảng ba giây.\n", "", 15, "narration block is empty"),
        ("```narration", "```narration\nMột.\n```\n```narration", 18, "a step has at most one narration block"),
        ("```question\nid: swipe", "```question\n```\n```question\nid: swipe", 36,
         "question must be a set of 'key: value' lines"),
        ("answer: 1\nright: Đúng rồi. Nút", "answer: 1\nanswer: 2\nright: Đúng rồi. Nút", 28,
         "question is not valid YAML: key 'answer' is written twice"),
        ("title: Mở khóa máy", "title: Mở khóa máy\ntitle: Khác", 4, "key 'title' is written twice"),
        ("```question\nid: swipe", "```Question\nid: swipe", 36, "block '```Question' is not a lesson block: "
         "write ```question"),
        ("```narration", "```narrations", 15, "block '```narrations' is not a lesson block: write ```narration"),
        ("```question\nid: swipe", "```\nid: swipe", 36, "block '```' is not a lesson block: write ```question"),
        ("Giữ nút nguồn ba giây.", "Giữ nút ![nút](pictures/power.svg) ba giây.", 11,
         "a picture goes on a line of its own"),
        ("![Nút nguồn ở cạnh máy](pictures/power.svg)", '![Nút nguồn](pictures/power.svg "Nút") x', 13,
         "a picture goes on a line of its own"),
        ("![Nút nguồn ở cạnh máy](pictures/power.svg)", '![Nút nguồn](pictures/power.svg " ")', 13,
         "the picture's spoken description is empty"),
        ("kind: choice\nprompt", "kind: choice\ndecision: có\nprompt", 21, "decision must be true or false"),
        ("id: screen-off\nkind: true-false", "id: screen-off\nkind: true-false\ndecision: true", 53,
         "only a choice or yes-no question can be a decision (this is true-false)"),
        ("    say: [nguồn]", "    say: [nguồn]\n    spoken: Nút nguồn", 23, "unknown key 'spoken' in option"),
        ("Giữ nút nguồn ba giây.", "Xem [trang này](http://vnx.example).", 11, "no links or web addresses"),
        ("Giữ nút nguồn ba giây.", "Vào www.example.vn để xem.", 11, "no links or web addresses"),
    ],
)
def test_each_rule_names_its_line(old: str, new: str, line: int, message: str) -> None:
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    assert any(ln == line and message in msg for ln, msg in found), found


def test_options_that_differ_only_by_tone_are_distinct() -> None:
    text = GOOD.replace("options: [Có, Không]", "options: [Ba, Bà]")
    assert parse_lesson(text, SOURCE).problems == []


def test_front_matter_must_open_and_close() -> None:
    assert problems("## Step\n\ntext\n") == [(1, "the file must start with front matter: a line '---', "
                                                "the lesson's keys, then '---'")]
    assert problems("---\nid: x\n") == [(1, "front matter is not closed: add a line '---' after the lesson's keys")]


def test_unclosed_block_and_text_before_first_step() -> None:
    text = GOOD.replace("## Nút nguồn", "Lời chào.\n\n## Nút nguồn").rsplit("```", 1)[0]
    found = problems(text)
    assert (9, "text before the first step: start each step with a '## ' heading") in found
    assert any(msg.startswith("block '```question' is not closed") for _, msg in found)


def test_every_problem_is_reported_not_only_the_first() -> None:
    text = GOOD.replace("topic: smartphone", "topic: x").replace("minutes: 3", "minutes: 0").replace(
        "kind: yes-no", "kind: maybe")
    assert len(problems(text)) == 3


def test_no_steps_and_too_many_steps() -> None:
    head = GOOD.split("## Nút nguồn")[0]
    assert any("the lesson has no steps" in m for _, m in problems(head))
    many = head + "".join(f"## Bước {i}\n\nMột câu.\n\n" for i in range(8))
    assert any("a lesson has at most 7 steps (has 8)" in m for _, m in problems(many))


@pytest.mark.parametrize(("old", "new", "line", "message"), [
    ("Giữ nút nguồn ba giây.", "Giữ " + "nút " * 30 + "ba giây.", 9,
     "step 'Nút nguồn': a sentence of 33 words is too long to follow by ear (at most 25)"),
    ("right: Đúng rồi. Nút nguồn bật máy.", "right: Đúng rồi. " + "rất " * 30 + "tốt.", 28,
     "'right': a sentence of 31 words is too long"),
    ("  - text: Nút nguồn", "  - text: Nút nguồn ở cạnh phải của cái điện thoại nhà bác", 22,
     "option 1 is too long to hear and remember (11 words, at most 8)"),
    ("Bác giữ nút nguồn khoảng ba giây.", "Bác " + "giữ " * 30 + "nút.", 9,
     "narration of step 'Nút nguồn': a sentence of 32 words"),
])
def test_listening_rules(old: str, new: str, line: int, message: str) -> None:
    assert old in GOOD
    found = problems(GOOD.replace(old, new, 1))
    assert any(ln == line and message in msg for ln, msg in found), found


def test_a_lesson_needs_three_steps_and_three_questions() -> None:
    two_steps = GOOD[: GOOD.index("## Tắt màn hình")]
    assert sorted(m for _, m in problems(two_steps)) == ["a lesson asks at least 3 questions (has 2)",
                                                        "a lesson has at least 3 steps (has 2)"]


def test_a_scam_message_may_be_quoted_at_length_but_not_a_letter() -> None:
    sms = (CONTENT / "scams" / "01-sms.md").read_text(encoding="utf-8")
    quote = "Tài khoản của bạn bị khóa, bấm vào link để mở."
    long_quote = " ".join(["Tin nhắn: ông bà được nhận quà tặng lớn từ chương trình tri ân khách hàng."] * 4)
    assert parse_lesson(sms.replace(quote, long_quote[:300]), SOURCE).problems == []
    too_long = parse_lesson(sms.replace(quote, " ".join([long_quote] * 2)), SOURCE).problems
    assert [p.message for p in too_long] == ["question prompt is too long to follow by ear (130 words, at most 70)"]
