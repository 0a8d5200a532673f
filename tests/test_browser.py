"""End-to-end: the real app (``learn serve``) driven in headless Chromium on a phone-sized screen.

A resident picks their village, adds their name, takes a whole lesson (one answer wrong on purpose), comes back
later to finish another lesson where they left it, and types a name the app must refuse. What the browser did is
then checked in the progress database itself. Screenshots go to ``test-artifacts/`` for people to look at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support.browser import (
    BIRTH_YEAR,
    CHROMIUM,
    CHROMIUM_ARGS,
    LEARNER,
    PHONE,
    TIMEOUT_MS,
    VILLAGE,
    Server,
    add_learner,
    answer,
    choose_village,
    expect,
    expect_playing,
    expect_screen,
    lesson_button,
    next_screen,
    run_server,
    screenshot,
    sign_in,
    sync_api,
)
from tests.support.server import CONTENT

pytestmark = pytest.mark.browser

from playwright.sync_api import Browser, BrowserContext  # noqa: E402

from learn.lessons.catalog import Catalog  # noqa: E402
from learn.strings_vi import t  # noqa: E402

FIRST_LESSON = "phone-unlock"  # "Bật máy và mở khóa"
MAIN = '[data-testid="stMain"]'
#: whether the element is wholly inside the window, as the page stands (nothing scrolled to it)
ON_SCREEN = """(selector) => { const r = document.querySelector(selector).getBoundingClientRect();
  return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= window.innerHeight
    && r.right <= window.innerWidth; }"""
SECOND_LESSON = "pay-electricity-bill"  # "Trả tiền điện trên điện thoại"


# --- the server ---------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`learn demo init` then `learn serve` on a free port of 127.0.0.1, in a fresh LEARN_HOME."""
    with run_server(tmp_path_factory.mktemp("learn-home")) as running:
        yield running


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


# --- the tests ----------------------------------------------------------------------------------------

def test_resident_takes_a_whole_lesson(server: Server, new_context: Callable[[], BrowserContext],
                                       catalog: Catalog) -> None:
    lesson = catalog.get(FIRST_LESSON)
    assert lesson is not None and lesson.questions, "the walk needs a lesson with questions"
    page = new_context().new_page()

    choose_village(page, server.url)
    add_learner(page, LEARNER, BIRTH_YEAR)
    expect(page.get_by_text(t("lessons.heading", name=LEARNER))).to_be_visible()

    start = lesson_button(page, lesson.id)  # a new resident: the "Học tiếp" card offers her first lesson
    expect(start).to_contain_text(t("home.go_on.first"))
    card = page.locator(".st-key-tile-go-on")
    expect(card).to_contain_text(lesson.title)
    expect(card).to_be_in_viewport()
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
            if screen.step.picture is not None:  # a tall picture: Listen, Back and Next still on screen
                expect(page.get_by_test_id("stImage")).to_be_visible()
                # taller than the screen (the page scrolls in Streamlit's main area), seen as on arrival: not scrolled
                assert page.evaluate(f"() => {{ const m = document.querySelector('{MAIN}'); m.scrollTo(0, 0);"
                                     " return m.scrollHeight > m.clientHeight; }")
                assert page.evaluate(ON_SCREEN, f".st-key-next-{screen.index} button")
                assert page.evaluate(ON_SCREEN, f".st-key-back-{screen.index} button")
                assert page.evaluate(ON_SCREEN, ".st-key-listen button")
        else:
            expect(page.get_by_text(screen.question.prompt)).to_be_visible()
            q = screen.question
            option = (q.answer + 1) % len(q.options) if wrong_on_purpose else q.answer
            assert answer(page, lesson, screen.index, option) is not wrong_on_purpose
            wrong_on_purpose = False
        next_screen(page, lesson, screen.index, last=False)  # the wrong answer comes back at the end

    # the question answered wrong is asked again, once; then the completion screen gives both scores
    again = len(lesson.screens)
    expect(page.get_by_text(t("lesson.retry_progress", current=1, total=1))).to_be_visible()
    assert answer(page, lesson, again, lesson.questions[0].answer, lesson.questions[0])
    next_screen(page, lesson, again, last=True)
    asked = len(lesson.questions)
    expect(page.get_by_text(t("lesson.done_heading"))).to_be_visible()
    expect(page.get_by_test_id("stAlert").filter(
        has_text=t("lesson.done_first", score=asked - 1, asked=asked))).to_contain_text(
        t("lesson.done_retried", score=asked, asked=asked))
    expect(page.locator(".st-key-next-lesson button")).to_contain_text(t("lesson.next_lesson"))
    assert page.evaluate(ON_SCREEN, ".st-key-next-lesson button")  # "Bài tiếp theo", in the bottom bar
    screenshot(page, "lesson-completed.png")

    page.locator(".st-key-done-more button").click()
    expect(page.get_by_text(t("lessons.heading", name=LEARNER))).to_be_visible()
    expect(page.locator(".st-key-tile-go-on")).to_contain_text(t("home.go_on.next"))  # the next lesson now
    in_topic = len(dict(catalog.by_topic())[lesson.topic])
    expect(page.locator(f".st-key-tile-topic-{lesson.topic}")).to_contain_text(
        t("home.topic_count", done=1, total=in_topic))
    screenshot(page, "lessons-page.png")
    expect(lesson_button(page, lesson.id)).to_contain_text(t("home.lesson.done"))  # in its topic's list
    screenshot(page, "lessons-topic.png")

    # What the browser did is in the database.
    from progress_db import community, learning
    from progress_db.db import open_db

    db = open_db(f"sqlite:///{server.home}/progress.sqlite3")
    try:
        village = next(v for v in community.list_villages() if v.name == VILLAGE)
        learner = next(p for p in community.list_learners(village.id) if p.name == LEARNER)
        assert learner.birth_year == BIRTH_YEAR
        assert not learner.has_pin
        progress = learning.progress_for(learner.id)[lesson.id]
        assert progress.completed
        assert progress.position == len(lesson.screens)
        assert learning.answer_count(learner.id) == asked + 1  # the first answer and its retry
        answers = learning.run_answers(learner.id, lesson.id)
        assert {a.question_id for a in answers} == {q.id for q in lesson.questions}
        assert [(a.question_id, a.correct) for a in answers if not a.correct or a.retry] == [
            (lesson.questions[0].id, False), (lesson.questions[0].id, True)]
        assert all(a.mode == "tap" for a in answers)
    finally:
        db.close()


def test_resident_comes_back_where_they_left_off(server: Server, new_context: Callable[[], BrowserContext],
                                                 catalog: Catalog) -> None:
    lesson = catalog.get(SECOND_LESSON)
    assert lesson is not None and len(lesson.screens) > 3
    page = new_context().new_page()
    sign_in(page, server.url)

    start = lesson_button(page, lesson.id)  # not her first lesson: in its topic's list
    expect(start).to_contain_text(t("home.lesson.new"))
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

    # Later, on a fresh session: the "Học tiếp" card offers it at that screen, and lands on the same screen.
    page = new_context().new_page()
    sign_in(page, server.url)
    resume = lesson_button(page, lesson.id)
    expect(resume).to_contain_text(t("home.go_on.resume"))
    expect(page.locator(".st-key-tile-go-on")).to_contain_text(
        t("home.screen", current=forward + 1, total=len(lesson.screens)))
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
