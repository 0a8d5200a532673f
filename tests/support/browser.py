"""Shared parts of the real-browser tests: Debian's Chromium driven by Playwright (no browser download), on a
phone-sized screen, and what a resident does in it. Importing this module skips the importing test module when
Chromium or Playwright is missing. (The server they talk to: tests/support/server.py.)"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.support.paths import ROOT
from tests.support.server import Server, run_server

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright (pip install -e '.[dev]')")

from playwright.sync_api import Locator, Page, ViewportSize, expect  # noqa: E402

from learn.lessons.model import Lesson, Question  # noqa: E402
from learn.strings_vi import t  # noqa: E402

__all__ = ["ARTIFACTS", "BIRTH_YEAR", "CHROMIUM", "CHROMIUM_ARGS", "LEARNER", "PHONE", "PLAYING", "TIMEOUT_MS",
           "VILLAGE", "Server", "add_form", "add_learner", "answer", "choose_village", "expect", "expect_playing",
           "expect_screen", "lesson_button", "next_screen", "run_server", "screenshot", "sign_in", "sync_api"]

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE: ViewportSize = {"width": 412, "height": 915}
TIMEOUT_MS = 30_000  # generous: CI machines are slower than a laptop, and a failure here costs a day

#: the demo commune's village and the resident the walks add to it
VILLAGE = "Thôn Đông"
LEARNER = "Bà Lò Thị Xuân"
BIRTH_YEAR = 1956

expect.set_options(timeout=TIMEOUT_MS)


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


# --- what a resident does -----------------------------------------------------------------------------

def choose_village(page: Page, base: str, village: str = VILLAGE) -> None:
    """Open the app and tap the village."""
    page.goto(f"{base}/")
    # a server's first page may load its speech model too (553 MB for the registry's): on a busy 2-core CI
    # machine running the suite that took over 30 s once
    expect(page.get_by_text(t("village.heading"))).to_be_visible(timeout=3 * TIMEOUT_MS)
    page.get_by_role("button", name=village).click()
    expect(page.get_by_text(t("learner.heading"))).to_be_visible()


def names_or_add_form(page: Page) -> Locator:
    """Wait for the name screen: the list of names (with its "add a new name" button) or, in a village with
    nobody yet, the add form itself."""
    shown = page.locator(".st-key-add-learner button").or_(page.get_by_label(t("learner.name")))
    expect(shown.first).to_be_visible()
    return shown


def add_form(page: Page) -> Locator:
    """The 'add a new name' screen (opened from the list of names if need be); returns the page's main part."""
    names_or_add_form(page)
    adder = page.locator(".st-key-add-learner button")
    if adder.count():
        adder.click()
    expect(page.get_by_label(t("learner.name"))).to_be_visible()
    return page.locator("section.stMain, [data-testid='stAppViewContainer']").first


def add_learner(page: Page, name: str, year: int | None) -> None:
    """Type a name (and year) into the add form and save it ("Lưu tên" is in the bar at the bottom)."""
    add_form(page)
    page.get_by_label(t("learner.name")).fill(name)
    if year is not None:
        page.get_by_label(t("learner.birth_year")).fill(str(year))
    page.locator(".st-key-add-save button").click()


def sign_in(page: Page, base: str, name: str = LEARNER, year: int = BIRTH_YEAR) -> None:
    """Village, then the learner's own name (added first if the village does not have it yet); ends on lessons."""
    choose_village(page, base)
    names_or_add_form(page)
    mine = page.get_by_role("button", name=name)
    if mine.count():
        mine.click()
    else:
        add_learner(page, name, year)
    expect(page.get_by_text(t("lessons.heading", name=name))).to_be_visible()


def lesson_button(page: Page, lesson_id: str, topic: str | None = None) -> Locator:
    """The button that opens a lesson from the lesson home (``open-<lesson id>``): on the "Học tiếp" card when
    the card offers it, else in its topic's list, whose tile this taps first (``topic``: the lesson's topic;
    looked up in the repository's lessons when not given)."""
    expect(page.locator(".st-key-tile-go-on, .st-key-home-head").first).to_be_visible()
    card = page.locator(".st-key-tile-go-on")
    if card.count():  # the card is drawn before its button: look at what it offers once that is there too
        expect(card.locator("button").first).to_be_attached()
    button = page.locator(f".st-key-open-{lesson_id} button").locator("visible=true")
    if not button.count() and page.locator(".st-key-tile-go-on").count():
        page.locator(f".st-key-topic-{topic or _topic_of(lesson_id)} button").click()
        expect(page.locator(".st-key-home-head")).to_be_visible()
    return button


@functools.cache
def _topic_of(lesson_id: str) -> str:
    from learn.lessons.catalog import Catalog

    found = Catalog.load(ROOT / "content" / "vi").get(lesson_id)
    assert found is not None, f"no lesson {lesson_id!r} in content/vi: pass its topic"
    return found.topic


def expect_screen(page: Page, lesson: Lesson, index: int, narrated: bool = True) -> None:
    """Wait until the player shows screen ``index`` (0-based) of ``lesson``."""
    place = t("lesson.progress", current=index + 1, total=len(lesson.screens))
    expect(page.get_by_test_id("stProgress").filter(has_text=place)).to_be_visible()  # the label over the bar
    if narrated:
        expect_playing(page)


#: the screen's one narration player is playing on its own, or has played (a short clip on a busy machine may have
#: ended before the check looks)
PLAYING = ("() => { const a = [...document.querySelectorAll('audio')];"
           " return a.length == 1 && (!a[0].paused || a[0].currentTime > 0) }")


def expect_playing(page: Page) -> float:
    """Wait until the screen's one narration player is playing on its own (autoplay); return its position (read
    in the same look: the page may redraw its player just after)."""
    page.wait_for_function(PLAYING, timeout=15_000)
    position = page.evaluate("() => document.querySelector('audio')?.currentTime")
    return float(position or 0.0)


def answer(page: Page, lesson: Lesson, index: int, option: int, question: Question | None = None) -> bool:
    """Tap an option on the question screen ``index`` (past the last screen: the ``question`` asked again there);
    check the feedback shown; True if it was right."""
    question = question or lesson.screens[index].question
    assert question is not None
    button = page.locator(f".st-key-option-{index}-{option} button")
    expect(button).to_be_enabled()
    before = page.evaluate("() => document.querySelector('audio')?.src ?? ''")
    button.click()
    correct = option == question.answer
    feedback = page.get_by_test_id("stAlert").filter(has_text=question.right if correct else question.wrong)
    expect(feedback).to_be_visible()
    if not correct:
        expect(feedback).to_contain_text(t("lesson.correct_was", answer=question.options[question.answer].text))
    expect(button).to_be_disabled()  # a second tap changes nothing
    # the feedback is read aloud: a new clip in the screen's one player, playing (or, if short, played already)
    page.wait_for_function("before => { const a = document.querySelectorAll('audio');"
                           " return a.length == 1 && a[0].src.endsWith('.mp3') && a[0].src !== before"
                           " && (!a[0].paused || a[0].currentTime > 0) }", arg=before, timeout=15_000)
    return correct


def next_screen(page: Page, lesson: Lesson, index: int, last: bool | None = None) -> None:
    """Tap "Tiếp" (or "Xong" on the ``last`` screen: by default the lesson's last one, when no answer was wrong)
    on screen ``index`` (past the last screen: the questions asked again)."""
    last = index == len(lesson.screens) - 1 if last is None else last
    button = page.locator(f".st-key-next-{index} button")
    expect(button).to_contain_text(t("lesson.finish") if last else t("lesson.next"))
    expect(button).to_be_enabled()
    button.click()
