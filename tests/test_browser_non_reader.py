"""A resident who never reads, on a 412x915 phone in real Chromium (issue 16's whole path): she finds her village
and then her name by their pictures and by what their speaker buttons say (the test checks the clip the phone
fetched, never the words on the screen), signs in with her three secret pictures, taps the big "Học tiếp" card,
answers, reloads the page and is still in her lesson; then the server is killed: the phone says, in Vietnamese,
that the connection is lost, and once the server is back she is on her screen again.

Her place in the roster is set up as a trainer would (picture, picture password, a lesson started at home
before); everything after that is done by tapping pictures and listening."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from learn import pictures, services
from learn.lessons.catalog import Catalog
from learn.strings_vi import t
from tests.support.browser import (
    BIRTH_YEAR,
    CHROMIUM,
    CHROMIUM_ARGS,
    LEARNER,
    PHONE,
    TIMEOUT_MS,
    VILLAGE,
    Page,
    expect,
    expect_screen,
    run_server,
    screenshot,
    sync_api,
)
from tests.support.server import CONTENT, Server

pytestmark = pytest.mark.browser

LESSON = "phone-unlock"
HER_PICTURE = "buffalo"
HER_SECRET = ("rice", "dog", "fish")
#: Chromium here reaches the app over loopback, which the app takes for the shared hall laptop: here it is her phone
PHONE_ENV = {"LEARN_SHARED_DEVICES": "none", "LEARN_TTS": "espeak"}


def add_her(server: Server) -> tuple[str, int, int, int]:
    """Her village's picture, her own id, and how many villages and neighbours there are to look through: a
    trainer added her with a picture and three secret pictures, and she started the first lesson at the hall last
    week (she stopped at its question)."""
    with server.data():
        [village] = [v for v in services.villages() if v.name == VILLAGE]
        her = services.add_learner(village.id, LEARNER, BIRTH_YEAR, picture=HER_PICTURE,
                                   picture_password=HER_SECRET)
        lesson = Catalog.load(CONTENT).get(LESSON)
        services.step_to(her.id, lesson, 1)
        villages = services.villages()
        [village] = [v for v in villages if v.id == village.id]  # with the picture it was given
        assert village.picture
        return village.picture, her.id, len(villages), len(services.learners(village.id))


class Ears:
    """What the phone is given to play: the screen's one narration player, as the words in its clip's record in
    the server's audio cache (what is said, not what is written on the screen)."""

    def __init__(self, page: Page, home: Path) -> None:
        self.page = page
        self.home = home

    def playing(self) -> str:
        return self.page.evaluate("() => document.querySelector('audio')?.src ?? ''")

    def said(self, url: str) -> str:
        stem = url.rsplit("/", 1)[1].removesuffix(".mp3")
        record = self.home / "audio" / stem[:2] / f"{stem}.json"
        return json.loads(record.read_text(encoding="utf-8"))["text"]

    def after(self, tap: Callable[[], object]) -> str:
        """Tap, then wait for the player to be given a new clip and to play it (a name lasts a second: it may
        have ended already); say what it says."""
        before = self.playing()
        tap()
        self.page.wait_for_function("before => { const a = document.querySelector('audio');"
                                    " return a && a.src !== before && (a.currentTime > 0 || !a.paused); }", arg=before)
        return self.said(self.playing())


def drawing_on(tile) -> str:  # type: ignore[no-untyped-def]
    """The drawing a tile shows, as the phone received it."""
    return tile.locator("img").first.evaluate("img => fetch(img.src).then(r => r.text())")


def _squeezed(svg: str) -> str:
    """An SVG without its layout (the server may re-space it on the way)."""
    return "".join(svg.split())


def find_by_picture_and_voice(page: Page, ears: Ears, tiles: str, count: int, picture: str, name: str) -> str:
    """The key of the tile showing ``picture`` whose speaker says ``name``: she looks over all ``count`` tiles
    for her picture, and listens to be sure, then taps it. Returns the tile's key (e.g. ``village-3``)."""
    expect(page.locator(tiles)).to_have_count(count)
    expect(page.locator(f"{tiles} img")).to_have_count(count)  # every drawing has arrived
    wanted = _squeezed(pictures.person_picture(picture).read_text(encoding="utf-8"))
    looked = []
    for tile in page.locator(tiles).all():
        if _squeezed(drawing_on(tile)) != wanted:
            continue
        key = next(c for c in (tile.get_attribute("class") or "").split() if c.startswith("st-key-face-"))
        key = key.removeprefix("st-key-face-")
        heard = ears.after(tile.locator(f".st-key-say-{key} button:visible").first.click)
        looked.append(heard)
        if heard == name:
            tile.locator(f".st-key-{key} button:visible").first.click()  # the tile itself: the picture is the button
            return key
    pytest.fail(f"no tile with the {picture} picture says {name!r} (heard {looked})")


def test_a_resident_who_cannot_read_gets_to_her_lesson_and_back_after_a_restart(tmp_path: Path) -> None:
    lesson = Catalog.load(CONTENT).get(LESSON)
    assert lesson is not None and lesson.screens[1].question is not None
    question = lesson.screens[1].question
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                             args=[*CHROMIUM_ARGS, "--autoplay-policy=no-user-gesture-required"])
        try:
            context = browser.new_context(viewport=PHONE, locale="vi-VN")
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()
            with run_server(tmp_path, PHONE_ENV) as server:
                village_picture, her_id, villages, neighbours = add_her(server)
                ears = Ears(page, server.home)
                page.goto(f"{server.url}/")
                find_by_picture_and_voice(page, ears, '[class*="st-key-face-village-"]', villages, village_picture,
                                          VILLAGE)
                me = find_by_picture_and_voice(page, ears, '[class*="st-key-face-learner-"]', neighbours, HER_PICTURE,
                                               LEARNER)
                assert me == f"learner-{her_id}"

                for n, secret in enumerate(HER_SECRET):  # the three pictures she keeps in her head, on the pad
                    page.locator(f".st-key-pw-{secret} button:visible").first.click()
                    if n < len(HER_SECRET) - 1:  # she sees a dot fill its slot before the next tap
                        expect(page.locator(f".st-key-slot-on-signin-{n}")).to_be_visible()
                card = page.locator(f".st-key-open-{LESSON} button").first
                expect(card).to_be_visible()  # "Học tiếp", at the top of her lesson home, without scrolling
                box = card.bounding_box()
                assert box is not None and box["y"] + box["height"] <= PHONE["height"]
                screenshot(page, "non-reader-home-412x915.png")
                card.click()

                expect_screen(page, lesson, 1)  # where she stopped last week, and it speaks
                page.locator(f".st-key-option-1-{question.answer} button").click()
                expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible()
                page.reload()  # phones reload a tab left in the background
                expect_screen(page, lesson, 1, narrated=False)
                expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible()  # her answer is kept

                page.evaluate("window.hocsoBeforeTheCut = true")
                os.killpg(server.pid, signal.SIGKILL)  # a power cut at the hall
                offline = page.locator("#hocso-offline")
                expect(offline).to_be_visible()
                expect(offline).to_contain_text(t("shell.offline"))
                expect(page.get_by_text("Connection error")).not_to_be_visible()
                screenshot(page, "non-reader-offline-412x915.png")
                port = int(server.url.rsplit(":", 1)[1])

            with run_server(tmp_path, PHONE_ENV, port=port):
                expect(page.locator("#hocso-offline")).not_to_be_visible(timeout=60_000)
                # a new server process: the page loads itself again, for a session that knows her screen
                page.wait_for_function("() => !window.hocsoBeforeTheCut", timeout=TIMEOUT_MS)
                expect_screen(page, lesson, 1, narrated=False)  # her screen again, still signed in
                expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible()
                expect(page.get_by_text(t("lesson.sign_in_first"))).to_have_count(0)
                screenshot(page, "non-reader-back-412x915.png")

                # so her first tap after the restart is not lost (on the old page it only started a session):
                # the step before, with its tall picture, all of it above the bar beside its words, unscrolled
                assert lesson.screens[0].step.picture is not None
                page.locator(".st-key-back-1 button").click()
                expect_screen(page, lesson, 0)
                page.wait_for_function("() => [...document.querySelectorAll('[data-testid=stImage] img')]"
                                       ".some(i => i.complete && i.naturalHeight > 0)")
                shown = page.get_by_test_id("stImage").locator("img").bounding_box()
                bar = page.locator(".st-key-bottom-bar").bounding_box()
                assert shown is not None and bar is not None
                assert shown["y"] + shown["height"] <= bar["y"], f"the picture runs under the bar: {shown}, {bar}"
        finally:
            browser.close()
