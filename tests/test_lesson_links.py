"""A lesson can hand a resident no link (issue 14, item 8), and no lesson file can take the catalog down.

Every way Markdown makes a link is refused by `learn content check` with its file and line; should one get past
(content checked by an older release), neither the printed handout nor the app's Markdown makes a link of it.
A lesson whose YAML is deeply nested, huge or otherwise hostile is that lesson's own problem: the others load.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import markdown
import pytest

from learn import services
from learn.cli import cli
from learn.lessons import links, safe_yaml
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson, Step
from learn.lessons.validate import MAX_LESSON_BYTES
from learn.services.handouts import LinkFree
from tests.conftest import CONTENT
from tests.support.cli import runner
from tests.support.link_attacks import ATTACKS

LESSON = Path("scams") / "01-sms.md"  # nothing depends on it, so only its own problems are reported
FIRST_LINE = 12  # the line of its first step's text, which each attack replaces
TEXT = "Ngân hàng không gửi đường link bắt bấm vào."


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "vi"
    shutil.copytree(CONTENT, root)
    return root


def with_step_text(root: Path, text: str) -> Path:
    path = root / LESSON
    original = path.read_text(encoding="utf-8")
    assert TEXT in original
    path.write_text(original.replace(TEXT, text), encoding="utf-8")
    return path


def content_check(root: Path) -> tuple[int, list[str]]:
    result = runner().invoke(cli, ["content", "check", str(root)],
                             env={"LEARN_HOME": str(root.parent / "home"), "LEARN_CONTENT_DIR": str(root)})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr.strip().splitlines()


@pytest.mark.parametrize(("kind", "text", "expected"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_content_check_refuses_every_kind_of_link_with_its_line(tree: Path, kind: str, text: str,
                                                                expected: list[tuple[int, str]]) -> None:
    path = with_step_text(tree, text)
    code, lines = content_check(tree)
    assert code == 1 and lines[-1].startswith("Error: ")
    # the other fixture lesson keeps its own problems with the rules for authors (issue 17): only this file's count
    assert [line for line in lines if line.startswith(f"{path}:")] == [
        f"{path}:{FIRST_LINE + offset}: {message}" for offset, message in expected]
    assert Catalog.load(tree).get("test-sms") is None  # left out of the app


def test_text_with_no_link_passes_and_renders_unchanged(tree: Path) -> None:
    text = "Số tiền < một triệu thì sao? Đừng tin dấu $ hay @ lạ: **đừng** chuyển."
    untouched = content_check(tree)  # the fixture lessons break rules for authors (issue 17), and only those
    with_step_text(tree, text)
    assert content_check(tree) == untouched
    assert Catalog.load(tree).get("test-sms") is not None
    # what the app shows looks the same: an escaped '<' or '$' shows as itself, a zero-width space is invisible
    assert links.inert(text).replace("\\", "").replace("\u200b", "") == text


def _attack_lesson(catalog: Catalog) -> Lesson:
    """A lesson that got past the validator with every attack in its steps (as an older release might have let)."""
    base = catalog.get("test-unlock")
    assert base is not None and base.steps[0].picture is not None
    steps = tuple(Step(kind, text, base.steps[0].picture if i == 0 else None) for i, (kind, text, _) in
                  enumerate(ATTACKS))
    return Lesson(base.id, base.title, base.topic, base.minutes, base.summary, steps, source=base.source)


_LINK_HTML = re.compile(r"<a\b|<img\b|\bhref\s*=|\bsrc\s*=", re.I)


def test_the_handout_of_a_lesson_full_of_links_has_none(catalog: Catalog) -> None:
    page = services.handout(catalog, _attack_lesson(catalog))
    pictures = re.findall(r'<img src="data:image/svg\+xml;base64,[^"]+" alt="[^"]*">', page)
    assert len(pictures) == 1  # the step's own picture is still there, embedded
    assert _LINK_HTML.findall(page.replace(pictures[0], "")) == []
    assert "[vào đây][a]" in page and "[a]: //evil.example" in page  # shown as the text it is


def test_python_markdown_alone_would_have_made_those_links() -> None:
    """The handout test above can fail: plain Python-Markdown turns the same text into links and images."""
    made = [kind for kind, text, _ in ATTACKS if _LINK_HTML.search(markdown.markdown(text))]
    assert len(made) >= 10 and "full reference" in made and "reference image" in made


def test_the_handout_fence_also_drops_links_another_extension_makes() -> None:
    html = markdown.markdown("Xem[^1] nhé.\n\n[^1]: ghi chú", extensions=["footnotes", LinkFree()])
    assert "ghi chú" in html and _LINK_HTML.findall(html) == []


@pytest.mark.parametrize(("kind", "text"), [(a[0], a[1]) for a in ATTACKS], ids=[a[0] for a in ATTACKS])
def test_the_app_escapes_every_mark_a_link_is_made_of(kind: str, text: str) -> None:
    shown = links.inert(text)
    # no bracket, '<' or '$' is left unescaped (preceded by an even number of backslashes)
    assert re.search(r"(?<!\\)(?:\\\\)*[\[\]<$]", shown) is None, shown
    # nothing GitHub's Markdown links with no marks: a web or e-mail address
    assert re.search(r"https?:|www\.|[\w.+-]@[\w-]|mailto:", shown, re.I) is None, shown
    assert links.inert(shown).count("\\") == shown.count("\\")  # escaping twice changes nothing


def test_link_rules_take_linear_time_on_a_hostile_line() -> None:
    for line in ("a." * 100_000, "\\" * 200_000, "[" * 100_000, "x@" * 100_000, "<" * 100_000):
        start = time.perf_counter()
        links.link_problem(line)
        links.inert(line)
        assert time.perf_counter() - start < 1.0


# --- hostile YAML ---------------------------------------------------------------------------------------

SUMMARY = "summary: Nhận ra tin nhắn lừa đảo."
DEEP = "summary: " + "[" * 10_000 + "]" * 10_000
DEEP_BLOCK = "summary:\n" + "".join(" " * i + "-\n" for i in range(1, 700))  # 240 KB
ALIASES = "\n".join([SUMMARY, "a: &a [x, x, x, x, x, x, x, x, x]",
                     *(f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]" for i in range(8))])


@pytest.mark.parametrize(("kind", "front", "line", "message"), [
    ("10,000 brackets deep", DEEP, 6, f"front matter nests lists or mappings more than {safe_yaml.MAX_DEPTH} deep"),
    ("700 lists deep", DEEP_BLOCK, 6 + safe_yaml.MAX_DEPTH,
     f"front matter nests lists or mappings more than {safe_yaml.MAX_DEPTH} deep"),
    ("a billion values by aliases", ALIASES, 7,
     "front matter uses a YAML anchor or alias ('&name', '*name'): write each value out in full"),
    ("thousands of values", SUMMARY + "\nprerequisites: [" + ", ".join(["x"] * 1_000) + "]", 7,
     f"front matter has more than {safe_yaml.MAX_NODES} values: a lesson block needs a few dozen"),
    ("a 5,000-digit number", "minutes: " + "9" * 5_000 + "\n" + SUMMARY, 5,
     f"front matter has a value of 5000 characters (at most {safe_yaml.MAX_SCALAR})"),
    ("a date that does not exist", "summary: 2024-13-45", 6, "front matter is not valid YAML: month must be in 1..12"),
    ("a list as a key", SUMMARY + "\n? [a]\n: b", 7,
     "front matter is not valid YAML: a key must be a word, not a list or mapping"),
])
def test_hostile_yaml_is_that_lessons_problem_and_the_others_load(tree: Path, kind: str, front: str, line: int,
                                                                  message: str) -> None:
    path = tree / LESSON
    original = path.read_text(encoding="utf-8")
    if front.startswith("minutes:"):
        original = original.replace("minutes: 4\n", "")
    path.write_text(original.replace(SUMMARY, front), encoding="utf-8")

    catalog = Catalog.load(tree)
    assert sorted(catalog.lessons) == ["test-unlock"]
    assert [str(p) for p in catalog.problems] == [f"{path}:{line}: {message}"]
    code, lines = content_check(tree)
    assert code == 1 and [x for x in lines if x.startswith(f"{path}:")] == [f"{path}:{line}: {message}"]


def test_a_hostile_question_block_is_refused_on_its_line(tree: Path) -> None:
    path = tree / LESSON
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("kind: scam-or-real\n", "kind: scam-or-real\nhint: " + "{a: " * 10_000 + "\n", 1),
                    encoding="utf-8")
    catalog = Catalog.load(tree)
    assert sorted(catalog.lessons) == ["test-unlock"]
    assert [str(p) for p in catalog.problems] == [
        f"{path}:16: question nests lists or mappings more than {safe_yaml.MAX_DEPTH} deep"]


def test_a_lesson_file_too_big_to_be_a_lesson_is_not_read(tree: Path) -> None:
    path = tree / LESSON
    path.write_bytes(path.read_bytes() + b"a" * MAX_LESSON_BYTES)
    catalog = Catalog.load(tree)
    assert sorted(catalog.lessons) == ["test-unlock"]
    assert [str(p) for p in catalog.problems] == [
        f"{path}:1: file is too big for a lesson (more than {MAX_LESSON_BYTES // 1024} KB): a lesson of 3 to 5 "
        "minutes is a few KB, split it"]


def test_a_value_quoted_in_a_problem_is_cut_short(tree: Path) -> None:
    path = tree / LESSON
    path.write_text(path.read_text(encoding="utf-8").replace("topic: scams", "topic: " + "x" * 1_500),
                    encoding="utf-8")
    (problem,) = Catalog.load(tree).problems
    assert problem.line == 4 and problem.message.endswith(f"(got '{'x' * 56}…)")
