"""Rules that span files (ids, prerequisites, pictures, encodings) and the repository's own lessons."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from learn.lessons.catalog import Catalog
from learn.lessons.model import CORE_TOPICS
from learn.lessons.validate import check_tree
from learn.settings import DEFAULT_CONTENT_DIR
from tests.conftest import CONTENT


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "vi"
    shutil.copytree(CONTENT, root)
    return root


def messages(root: Path) -> list[str]:
    return [f"{p.path.relative_to(root)}:{p.line}: {p.message}" for p in check_tree(root)[1]]


def test_fixture_tree_is_clean(tree: Path) -> None:
    lessons, problems = check_tree(tree)
    assert problems == []
    assert sorted(x.id for x in lessons) == ["test-sms", "test-unlock"]


def test_the_repository_lessons_are_valid_and_cover_every_core_topic() -> None:
    lessons, problems = check_tree(DEFAULT_CONTENT_DIR)
    assert [str(p) for p in problems] == []
    assert set(CORE_TOPICS) <= {x.topic for x in lessons}


def test_duplicate_ids_name_both_files(tree: Path) -> None:
    sms = tree / "scams" / "01-sms.md"
    sms.write_text(sms.read_text(encoding="utf-8").replace("id: test-sms", "id: test-unlock"), encoding="utf-8")
    found = messages(tree)
    assert found[0] == "scams/01-sms.md:7: a lesson cannot be its own prerequisite"
    assert found[1].startswith("smartphone/01-unlock.md:2: id 'test-unlock' is already used by ")
    assert found[1].endswith("scams/01-sms.md") and len(found) == 2


def test_unknown_and_circular_prerequisites(tree: Path) -> None:
    sms = tree / "scams" / "01-sms.md"
    sms.write_text(sms.read_text(encoding="utf-8").replace("[test-unlock]", "[no-such-lesson]"), encoding="utf-8")
    assert messages(tree) == ["scams/01-sms.md:7: prerequisite 'no-such-lesson' is not a lesson id"]
    sms.write_text(sms.read_text(encoding="utf-8").replace("[no-such-lesson]", "[test-unlock]"), encoding="utf-8")
    unlock = tree / "smartphone" / "01-unlock.md"
    unlock.write_text(unlock.read_text(encoding="utf-8").replace("summary: Bật máy và mở khóa.",
                      "summary: Bật máy.\nprerequisites: [test-sms]"), encoding="utf-8")
    assert messages(tree) == ["scams/01-sms.md:7: prerequisites go round in a circle back to this lesson",
                              "smartphone/01-unlock.md:7: prerequisites go round in a circle back to this lesson"]


def test_missing_picture_and_picture_outside_the_content_folder(tree: Path) -> None:
    (tree / "smartphone" / "pictures" / "power.svg").unlink()
    assert messages(tree) == ["smartphone/01-unlock.md:9: picture 'pictures/power.svg' does not exist"]
    unlock = tree / "smartphone" / "01-unlock.md"
    unlock.write_text(unlock.read_text(encoding="utf-8").replace("pictures/power.svg", "../../../etc/passwd"),
                      encoding="utf-8")
    assert messages(tree) == ["smartphone/01-unlock.md:9: picture '../../../etc/passwd' is outside the content folder"]


def test_file_that_is_not_utf8_names_the_line(tree: Path) -> None:
    bad = tree / "scams" / "02-latin1.md"
    bad.write_bytes(b"---\nid: x\ntitle: L\xe0m\n")
    assert messages(tree) == ["scams/02-latin1.md:3: file is not UTF-8 text: save it as UTF-8"]


def test_file_name_must_be_ascii(tree: Path) -> None:
    (tree / "smartphone" / "01-unlock.md").rename(tree / "smartphone" / "01-mở-khóa.md")
    assert messages(tree) == ["smartphone/01-mở-khóa.md:1: file name must be ASCII, e.g. 01-turn-on.md"]


def test_empty_folder_says_there_are_no_lessons(tmp_path: Path) -> None:
    assert [p.message for p in check_tree(tmp_path)[1]] == [
        "no lessons found: put lessons in topic folders, e.g. smartphone/01-x.md"]


def test_catalog_leaves_out_broken_lessons_but_keeps_the_rest(tree: Path) -> None:
    sms = tree / "scams" / "01-sms.md"
    sms.write_text(sms.read_text(encoding="utf-8").replace("kind: scam-or-real", "kind: riddle"), encoding="utf-8")
    catalog = Catalog.load(tree)
    assert list(catalog.lessons) == ["test-unlock"]
    assert len(catalog.problems) == 1 and catalog.get("test-sms") is None
    assert [topic for topic, _ in catalog.by_topic()] == ["smartphone"]
    lesson = catalog.get("test-unlock")
    assert lesson is not None
    assert catalog.picture_path(lesson, "pictures/power.svg") == (tree / "smartphone/pictures/power.svg").resolve()
    assert catalog.picture_path(lesson, "../../../../etc/hostname") is None


def test_an_option_that_cannot_be_said_is_reported(tree: Path) -> None:
    sms = tree / "scams" / "01-sms.md"
    text = sms.read_text(encoding="utf-8").replace("say: [hỏi con cháu, hỏi người nhà]", "say: [con cháu]")
    sms.write_text(text, encoding="utf-8")
    assert messages(tree) == ["scams/01-sms.md:50: saying 'con cháu' (option 1) is understood as nothing sure: "
                              "change the option's words or its spoken forms"]


def test_the_curriculum_has_at_least_three_lessons_in_each_core_topic() -> None:
    lessons, _ = check_tree(DEFAULT_CONTENT_DIR)
    by_topic = {topic: sum(x.topic == topic for x in lessons) for topic in CORE_TOPICS}
    assert len(lessons) >= 16 and min(by_topic.values()) >= 3, by_topic


def test_digits_and_abbreviations_read_aloud_need_a_narration(tree: Path) -> None:
    unlock = tree / "smartphone" / "01-unlock.md"
    text = unlock.read_text(encoding="utf-8")
    unlock.write_text(text.replace("Bác giữ nút nguồn khoảng ba giây.", "Giữ nút nguồn 3 giây.")
                      .replace("prompt: Giữ nút nào để bật máy?", "prompt: Giữ nút nào để mở VNeID?"), encoding="utf-8")
    assert messages(tree) == [
        "smartphone/01-unlock.md:9: step 'Nút nguồn' is read aloud with 3: spell it out as it is said, "
        "in a narration",
        "smartphone/01-unlock.md:20: question 'q1' is read aloud with VNeID: spell it out as it is said, "
        "in a narration",
    ]


def test_every_lesson_names_its_sources_with_a_date() -> None:
    sources = (DEFAULT_CONTENT_DIR / "SOURCES.md").read_text(encoding="utf-8")
    lessons, _ = check_tree(DEFAULT_CONTENT_DIR)
    sections = dict(re.findall(r"^## ([a-z0-9-]+) — .*?\n(.*?)(?=^## |\Z)", sources, re.M | re.S))
    assert {x.id for x in lessons} == set(sections)
    assert all("checked: 20" in body for body in sections.values())
