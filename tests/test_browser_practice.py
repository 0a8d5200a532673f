"""End-to-end, on a 412x915 phone: a resident does the electricity-bill practice by tapping places on the pretend
phone (issue 18). Her first tap is wrong on purpose: the hint for that button is shown on the pretend screen and
heard (the browser asks for its clip, and the clip is that hint); then she taps her way through, typing the
customer code on the pretend keypad, and the saved attempt in the database says which screens needed a hint."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator

import pytest

from tests.support.browser import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    TIMEOUT_MS,
    Server,
    answer,
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

from playwright.sync_api import Page  # noqa: E402

from learn.lessons.catalog import Catalog  # noqa: E402
from learn.strings_vi import t  # noqa: E402

LESSON = "pay-electricity-bill"
PRACTICE = "pay-bill-practice"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("learn-home")) as running:
        yield running


def tap_at(page: Page, selector: str) -> None:
    """Tap the middle of a part of the pretend screen, by its position on the page (as a finger would)."""
    part = page.locator(selector)
    expect(part).to_be_visible()
    # to the middle of the window, clear of the bar fixed at the bottom (a finger scrolls it there too)
    part.evaluate("node => node.scrollIntoView({block: 'center'})")
    box = part.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def test_resident_does_the_electricity_bill_practice(server: Server) -> None:
    catalog = Catalog.load(CONTENT)
    lesson = catalog.get(LESSON)
    assert lesson is not None
    position = next(s.index for s in lesson.screens if s.practice is not None and s.practice.id == PRACTICE)
    practice = lesson.screens[position].practice
    assert practice is not None
    clips: list[str] = []  # the narration clips the browser asked for
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, locale="vi-VN")
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.on("request", lambda r: clips.append(r.url.rsplit("/", 1)[-1]) if "/audio/" in r.url else None)
        sign_in(page, server.url)
        lesson_button(page, LESSON).click()
        for index in range(position):
            expect_screen(page, lesson, index)
            question = lesson.screens[index].question
            if question is not None:
                answer(page, lesson, index, question.answer)
            next_screen(page, lesson, index)
        expect_screen(page, lesson, position)
        phone = page.get_by_test_id("pretend-phone")
        expect(phone).to_contain_text(t("practice.badge"))
        expect(phone).to_contain_text(practice.screens[0].title)
        # the practice must be done before moving on
        expect(page.locator(f".st-key-next-{position} button")).to_be_disabled()
        screenshot(page, "practice-phone-home.png")

        # a wrong tap first: "Chuyển tiền" instead of "Thanh toán"
        seen = set(clips)
        with page.expect_request(lambda r: "/audio/" in r.url and r.url.rsplit("/", 1)[-1] not in seen) as asked:
            tap_at(page, '[data-part="transfer"]')
        hint = practice.screens[0].part("transfer").wrong  # type: ignore[union-attr]
        assert hint
        expect(page.locator(".hs-hint")).to_have_text(hint)
        expect_playing(page)
        screenshot(page, "practice-phone-hint.png")
        clip = asked.value.url.rsplit("/", 1)[-1].removesuffix(".mp3")
        said = json.loads(next((server.home / "audio").rglob(f"{clip}.json")).read_text(encoding="utf-8"))["text"]
        assert "Chuyển tiền" in said and "Thanh toán" in said, said

        # then the right places, one pretend screen after another
        tap_at(page, '[data-part="pay"]')
        expect(phone).to_contain_text("Tiền điện")
        tap_at(page, '[data-part="power"]')
        expect(page.locator(".hs-step")).to_have_text(t("practice.step", current=3, total=len(practice.path)))
        for digit in "04012345":
            tap_at(page, f'[data-key="{digit}"]')
        expect(page.locator(".hs-field")).to_contain_text("04012345")
        screenshot(page, "practice-phone-keypad.png")
        tap_at(page, '[data-key="ok"]')
        expect(phone).to_contain_text("LÒ THỊ MAI")
        tap_at(page, '[data-part="confirm"]')
        tap_at(page, '[data-part="look"]')
        tap_at(page, '[data-part="save"]')
        expect(phone).to_contain_text(practice.done)
        next_button = page.locator(f".st-key-next-{position} button")
        expect(next_button).to_be_enabled()
        screenshot(page, "practice-phone-done.png")
        next_button.click()
        expect_screen(page, lesson, position + 1)
        browser.close()

    with sqlite3.connect(server.home / "progress.sqlite3") as db:
        rows = db.execute("SELECT question_id, option_index, correct FROM attempt WHERE lesson_id = ? "
                          "AND question_id LIKE ? ORDER BY id", (LESSON, f"{PRACTICE}/%")).fetchall()
    assert rows == [(f"{PRACTICE}/home", 1, 0), (f"{PRACTICE}/bills", 0, 1), (f"{PRACTICE}/code", 0, 1),
                    (f"{PRACTICE}/check", 0, 1), (f"{PRACTICE}/face", 0, 1), (f"{PRACTICE}/receipt", 0, 1)]
