"""End-to-end: the real app (``learn serve``) driven in headless Chromium on a phone-sized screen.

A resident picks their village, adds their name, takes a whole lesson (one answer wrong on purpose), comes back
later to finish another lesson where they left it, and types a name the app must refuse. What the browser did is
then checked in the progress database itself. Screenshots go to ``test-artifacts/`` for people to look at.
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium)",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright (pip install -e '.[dev]')")

from playwright.sync_api import Browser, BrowserContext, Locator, Page, ViewportSize, expect  # noqa: E402

from learn.lessons.catalog import Catalog  # noqa: E402
from learn.lessons.model import Lesson  # noqa: E402
from learn.strings_vi import t  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONTENT = ROOT / "content" / "vi"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
PHONE: ViewportSize = {"width": 412, "height": 915}
TIMEOUT_MS = 30_000  # generous: CI machines are slower than a laptop, and a failure here costs a day
START_TIMEOUT_S = 60

VILLAGE = "Thôn Đông"
LEARNER = "Bà Lò Thị Xuân"
BIRTH_YEAR = 1956
FIRST_LESSON = "phone-unlock"  # "Bật máy và mở khóa"
SECOND_LESSON = "pay-electricity-bill"  # "Trả tiền điện trên điện thoại"

expect.set_options(timeout=TIMEOUT_MS)


# --- the server ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    """A running ``learn serve`` with its own data folder."""

    url: str
    home: Path
    pid: int = 0  # `learn serve` (the app runs in its process group)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (it runs in its own process group)."""
    if proc.poll() is not None:
        return
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`learn demo init` then `learn serve` on a free port of 127.0.0.1, in a fresh LEARN_HOME."""
    with run_server(tmp_path_factory.mktemp("learn-home")) as running:
        yield running


@contextmanager
def run_server(home: Path, extra_env: dict[str, str] | None = None, serve_args: tuple[str, ...] = (),
               host: str = "127.0.0.1", address: str = "127.0.0.1", scheme: str = "http") -> Iterator[Server]:
    """Start `learn serve` with its own data folder (and any extra environment or arguments) listening on
    ``host``; the tests reach it at ``scheme://address``. Stopped afterwards."""
    learn = Path(sys.executable).parent / "learn"
    assert learn.is_file(), f"no `learn` script next to {sys.executable}: run `pip install -e .` in this venv"
    # espeak-ng: the real offline voice, the same on every machine (gTTS cannot be reached from here)
    env = {**os.environ, "LEARN_HOME": str(home), "LEARN_CONTENT_DIR": str(CONTENT), "LEARN_TTS": "espeak",
           **(extra_env or {})}
    env.pop("LEARN_DATABASE_URL", None)  # the database must be the one in our LEARN_HOME

    init = subprocess.run([str(learn), "demo", "init"], env=env, capture_output=True, text=True, timeout=60)
    assert init.returncode == 0, f"`learn demo init` failed:\n{init.stdout}\n{init.stderr}"

    port = _free_port()
    url = f"{scheme}://{address}:{port}"
    log_path = home / "server.log"
    unverified = ssl._create_unverified_context()  # the laptop's own certificate is self-signed
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(learn), "serve", "--host", host, "--port", str(port), *serve_args], env=env,
                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if proc.poll() is not None:
                pytest.fail(f"`learn serve` exited with {proc.returncode}:\n{log_path.read_text(errors='replace')}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2, context=unverified) as response:
                    if response.read().strip() == b"ok":
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"`learn serve` did not answer on {url} within {START_TIMEOUT_S} s:\n"
                            f"{log_path.read_text(errors='replace')}")
            time.sleep(0.2)
        yield Server(url, home, proc.pid)
    finally:
        _stop(proc)


# --- the browser --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Callable[[], BrowserContext]]:
    """Open fresh browser contexts (each is a new visitor with a new Streamlit session); all closed afterwards."""
    opened: list[BrowserContext] = []

    def make() -> BrowserContext:
        context = browser.new_context(viewport=PHONE, locale="vi-VN")
        context.set_default_timeout(TIMEOUT_MS)
        opened.append(context)
        return context

    yield make
    for context in opened:
        try:
            context.close()
        except Exception:  # already closed by the test
            pass


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    """The same lessons the server reads, so answers and texts come from the lesson files, not from this test."""
    loaded = Catalog.load(CONTENT)
    assert loaded.get(FIRST_LESSON) is not None and loaded.get(SECOND_LESSON) is not None, loaded.problems
    return loaded


def _screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


# --- what a resident does -----------------------------------------------------------------------------

def choose_village(page: Page, base: str, village: str = VILLAGE) -> None:
    """Open the app and tap the village."""
    page.goto(f"{base}/")
    expect(page.get_by_text(t("village.heading"))).to_be_visible()
    page.get_by_role("button", name=village).click()
    expect(page.get_by_text(t("learner.heading"))).to_be_visible()


def add_form(page: Page) -> Locator:
    """The 'add a new name' form, its expander opened if it was closed."""
    expander = page.get_by_test_id("stExpander").filter(has_text=t("learner.add"))
    expect(expander).to_be_visible()
    if expander.locator("details").get_attribute("open") is None:
        expander.locator("summary").click()
    name_box = page.get_by_label(t("learner.name"))
    expect(name_box).to_be_visible()
    return expander


def add_learner(page: Page, name: str, year: int | None) -> None:
    """Type a name (and year) into the add form and save it."""
    form = add_form(page)
    page.get_by_label(t("learner.name")).fill(name)
    if year is not None:
        page.get_by_label(t("learner.birth_year")).fill(str(year))
    form.get_by_role("button", name=t("learner.save")).click()


def sign_in(page: Page, base: str, name: str = LEARNER, year: int = BIRTH_YEAR) -> None:
    """Village, then the learner's own name (added first if the village does not have it yet); ends on lessons."""
    choose_village(page, base)
    expect(page.get_by_test_id("stExpander").filter(has_text=t("learner.add"))).to_be_visible()  # list is above it
    mine = page.get_by_role("button", name=name)
    if mine.count():
        mine.click()
    else:
        add_learner(page, name, year)
    expect(page.get_by_text(t("lessons.heading", name=name))).to_be_visible()


def lesson_button(page: Page, lesson_id: str) -> Locator:
    """The open/continue button on a lesson's card."""
    return page.locator(f".st-key-open-{lesson_id} button")


def expect_screen(page: Page, lesson: Lesson, index: int, narrated: bool = True) -> None:
    """Wait until the player shows screen ``index`` (0-based) of ``lesson``."""
    caption = t("lesson.progress", current=index + 1, total=len(lesson.screens))
    expect(page.get_by_test_id("stCaptionContainer").filter(has_text=caption)).to_be_visible()
    if narrated:
        expect_playing(page)


PLAYING = "() => { const a = [...document.querySelectorAll('audio')]; return a.length == 1 && !a[0].paused }"


def expect_playing(page: Page) -> float:
    """Wait until the screen's one narration player is playing on its own (autoplay); return its position."""
    page.wait_for_function(PLAYING, timeout=15_000)
    return float(page.evaluate("() => document.querySelector('audio').currentTime"))


def answer(page: Page, lesson: Lesson, index: int, option: int) -> bool:
    """Tap an option on the question screen ``index``; check the feedback shown; True if it was right."""
    question = lesson.screens[index].question
    assert question is not None
    button = page.locator(f".st-key-option-{index}-{option} button")
    expect(button).to_be_enabled()
    button.click()
    correct = option == question.answer
    feedback = page.get_by_test_id("stAlert").filter(has_text=question.right if correct else question.wrong)
    expect(feedback).to_be_visible()
    if not correct:
        expect(feedback).to_contain_text(t("lesson.correct_was", answer=question.options[question.answer].text))
    expect(button).to_be_disabled()  # a second tap changes nothing
    page.wait_for_function("() => { const a = document.querySelectorAll('audio');"
                           " return a.length == 1 && !a[0].paused && a[0].src.endsWith('.mp3') }", timeout=15_000)
    return correct


def next_screen(page: Page, lesson: Lesson, index: int) -> None:
    """Tap "Tiếp" (or "Xong" on the last screen) on screen ``index``."""
    last = index == len(lesson.screens) - 1
    button = page.locator(f".st-key-next-{index} button")
    expect(button).to_contain_text(t("lesson.finish") if last else t("lesson.next"))
    expect(button).to_be_enabled()
    button.click()


# --- the tests ----------------------------------------------------------------------------------------

def test_resident_takes_a_whole_lesson(server: Server, new_context: Callable[[], BrowserContext],
                                       catalog: Catalog) -> None:
    lesson = catalog.get(FIRST_LESSON)
    assert lesson is not None and lesson.questions, "the walk needs a lesson with questions"
    page = new_context().new_page()

    choose_village(page, server.url)
    add_learner(page, LEARNER, BIRTH_YEAR)
    expect(page.get_by_text(t("lessons.heading", name=LEARNER))).to_be_visible()

    start = lesson_button(page, lesson.id)
    expect(start).to_contain_text(t("lessons.new"))
    card = (page.get_by_test_id("stVerticalBlock").filter(has=page.locator(f".st-key-open-{lesson.id}"))
            .filter(has_text=lesson.title).last)  # the innermost block: the lesson's own card
    expect(card).to_be_visible()
    start.click()

    expect_screen(page, lesson, 0)
    page.wait_for_timeout(1500)
    playing_at = expect_playing(page)
    page.get_by_role("button", name=t("voice.listen")).click()  # "Nghe lại" starts the narration again
    page.wait_for_function(f"() => {{ const a = document.querySelector('audio'); return a && !a.paused"
                           f" && a.currentTime < {playing_at} }}", timeout=15_000)

    wrong_on_purpose = True
    for screen in lesson.screens:
        expect_screen(page, lesson, screen.index)
        if screen.question is None:
            expect(page.get_by_role("heading", name=screen.step.title)).to_be_visible()
        else:
            expect(page.get_by_text(screen.question.prompt)).to_be_visible()
            q = screen.question
            option = (q.answer + 1) % len(q.options) if wrong_on_purpose else q.answer
            assert answer(page, lesson, screen.index, option) is not wrong_on_purpose
            wrong_on_purpose = False
        next_screen(page, lesson, screen.index)

    asked = len(lesson.questions)
    expect(page.get_by_text(t("lesson.done_heading"))).to_be_visible()
    expect(page.get_by_test_id("stAlert").filter(
        has_text=t("lesson.done_score", score=asked - 1, asked=asked))).to_be_visible()
    _screenshot(page, "lesson-completed.png")

    page.locator(".st-key-done-more button").click()
    expect(page.get_by_text(t("lessons.heading", name=LEARNER))).to_be_visible()
    expect(lesson_button(page, lesson.id)).to_contain_text(t("lessons.done"))
    _screenshot(page, "lessons-page.png")

    # What the browser did is in the database.
    from progress_db import queries
    from progress_db.db import open_db

    db = open_db(f"sqlite:///{server.home}/progress.sqlite3")
    try:
        village = next(v for v in queries.list_villages() if v.name == VILLAGE)
        learner = next(p for p in queries.list_learners(village.id) if p.name == LEARNER)
        assert learner.birth_year == BIRTH_YEAR
        assert not learner.has_pin
        progress = queries.progress_for(learner.id)[lesson.id]
        assert progress.completed
        assert progress.position == len(lesson.screens)
        assert queries.answer_count(learner.id) == asked
        answers = queries.latest_answers(learner.id, lesson.id)
        assert set(answers) == {q.id for q in lesson.questions}
        assert [q.id for q in lesson.questions if not answers[q.id].correct] == [lesson.questions[0].id]
        assert all(a.mode == "tap" for a in answers.values())
    finally:
        db.close()


def test_resident_comes_back_where_they_left_off(server: Server, new_context: Callable[[], BrowserContext],
                                                 catalog: Catalog) -> None:
    lesson = catalog.get(SECOND_LESSON)
    assert lesson is not None and len(lesson.screens) > 3
    page = new_context().new_page()
    sign_in(page, server.url)

    start = lesson_button(page, lesson.id)
    expect(start).to_contain_text(t("lessons.new"))
    start.click()
    forward = 2
    for index in range(forward):
        expect_screen(page, lesson, index)
        question = lesson.screens[index].question
        if question is not None:
            assert answer(page, lesson, index, question.answer)
        next_screen(page, lesson, index)
    expect_screen(page, lesson, forward)  # saved before the screen changed
    page.context.close()

    # Later, on a fresh session: the card offers to continue, and continuing lands on the same screen.
    page = new_context().new_page()
    sign_in(page, server.url)
    percent = min(99, round(100 * forward / len(lesson.screens)))
    resume = lesson_button(page, lesson.id)
    expect(resume).to_contain_text(t("lessons.started", percent=percent))
    resume.click()
    expect_screen(page, lesson, forward)
    expect(page.get_by_role("heading", name=lesson.screens[forward].step.title)).to_be_visible()


def test_bad_name_and_unknown_lesson(server: Server, new_context: Callable[[], BrowserContext]) -> None:
    page = new_context().new_page()
    choose_village(page, server.url)

    typed = "<b>Bà Tư</b>"
    add_learner(page, typed, None)
    refused = page.get_by_test_id("stAlert").filter(has_text=t("learner.name_invalid", char="<"))
    try:
        expect(refused).to_be_visible(timeout=10_000)
    except AssertionError:
        # Seen twice in about thirty CI runs: the tap on "Lưu tên" right after the form opened never reached the
        # server (no rerun at all). A resident taps again; so does the test, once. Kept in the stop notes.
        page.get_by_role("button", name=t("learner.save")).click()
        expect(refused).to_be_visible()
    expect(page.get_by_label(t("learner.name"))).to_have_value(typed)
    expect(page.get_by_text(t("lessons.heading", name=typed))).to_have_count(0)

    sign_in(page, server.url)
    page.goto(f"{server.url}/lesson?lesson=no-such-lesson")
    not_found = page.get_by_text(t("lesson.not_found"))
    sign_in_first = page.get_by_text(t("lesson.sign_in_first"))
    expect(not_found.or_(sign_in_first)).to_be_visible()
    if sign_in_first.is_visible():
        # Opening an address reloads the page, which starts a new session: the app asks who is learning,
        # then opens the lesson that was asked for.
        # The page's one primary button leads back to the village list (its label is the app's to choose).
        page.get_by_test_id("stBaseButton-primary").click()
        expect(page.get_by_text(t("village.heading"))).to_be_visible()
        page.get_by_role("button", name=VILLAGE).click()
        expect(page.get_by_text(t("learner.heading"))).to_be_visible()
        page.get_by_role("button", name=LEARNER).click()
    expect(not_found).to_be_visible()
    page.get_by_role("button", name=t("nav.lessons")).click()
    expect(page.get_by_text(t("lessons.heading", name=LEARNER))).to_be_visible()
