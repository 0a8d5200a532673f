"""Printable handouts: the lesson's steps, pictures and answers in one large-print page that Chromium prints."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from learn import services
from learn.cli import cli
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson, Step
from learn.strings_vi import t
from tests.conftest import CONTENT


def test_a_handout_holds_every_step_picture_and_answer(catalog: Catalog) -> None:
    lesson = catalog.get("test-unlock")
    page = services.handout(catalog, lesson)
    assert page.startswith("<!doctype html>") and '<html lang="vi">' in page
    for step in lesson.steps:
        assert f"<h2>{step.title}</h2>" in page
    for q in lesson.questions:
        assert q.prompt in page and t("handout.answer", answer=q.options[q.answer].text) in page
    assert page.count('<img src="data:image/svg+xml;base64,') == 1  # embedded: prints with no network
    assert "Nút nguồn ở cạnh máy" in page  # the picture's description is its caption


def test_nothing_in_a_lesson_becomes_html(catalog: Catalog) -> None:
    lesson = catalog.get("test-unlock")
    evil = Lesson(lesson.id, "<b>Tiêu đề</b>", lesson.topic, 3, "Tóm <i>tắt</i>",
                  (Step("Bước <script>", "Chữ **đậm** và <script>alert(1)</script> & <img src=x>"),),
                  source=lesson.source)
    page = services.handout(catalog, evil)
    assert "<script>alert" not in page and "<img src=x>" not in page and "<b>Tiêu" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x&gt;" in page
    assert "<strong>đậm</strong>" in page  # Markdown still works


def test_handout_cli(tmp_path: Path) -> None:
    env = {"LEARN_HOME": str(tmp_path), "LEARN_CONTENT_DIR": str(CONTENT)}
    one = CliRunner().invoke(cli, ["handout", "test-sms", "-o", str(tmp_path / "sms.html")], env=env)
    assert one.exit_code == 0 and "Tin nhắn lạ" in (tmp_path / "sms.html").read_text(encoding="utf-8")
    every = CliRunner().invoke(cli, ["handout", "--all", "-o", str(tmp_path / "all")], env=env)
    assert every.exit_code == 0 and sorted(p.name for p in (tmp_path / "all").iterdir()) == [
        "test-sms.html", "test-unlock.html"]
    assert CliRunner().invoke(cli, ["handout", "nope", "-o", str(tmp_path / "x.html")], env=env).exit_code == 2
    assert CliRunner().invoke(cli, ["handout", "-o", str(tmp_path / "x.html")], env=env).exit_code == 2


@pytest.mark.browser
@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian's Chromium to print")
def test_every_curriculum_handout_prints_to_pdf(tmp_path: Path) -> None:
    from learn.settings import DEFAULT_CONTENT_DIR

    curriculum = Catalog.load(DEFAULT_CONTENT_DIR)
    lesson = curriculum.get("phone-unlock")
    source = tmp_path / "phone-unlock.html"
    source.write_text(services.handout(curriculum, lesson), encoding="utf-8")
    pdf = tmp_path / "phone-unlock.pdf"
    subprocess.run(["/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
                    "--disable-background-networking", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    source.as_uri()], check=True, capture_output=True, timeout=120)
    data = pdf.read_bytes()
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert data.startswith(b"%PDF") and 1 <= pages <= 4  # a few A4 pages in large print, not one per line
