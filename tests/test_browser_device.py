"""Her own phone keeps a resident signed in, in real Chromium on a phone-sized screen (issue 16): she signs in,
opens a lesson and moves on a screen; a reload, then a restart of the server on the same data and port, and a
reload again, each land back in the lesson at that screen; after "Đổi người học" a reload shows the village
screen. (The service and the pages in detail: tests/test_resident_device.py.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from learn import services
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
    expect,
    expect_screen,
    run_server,
    screenshot,
    sync_api,
)
from tests.support.server import CONTENT, Server

pytestmark = pytest.mark.browser

LESSON = "phone-unlock"
#: Chromium on this machine is "the laptop itself" to the app (loopback), shared by default: here it is a phone
PHONE_ENV = {"LEARN_SHARED_DEVICES": "none"}


def add_resident(server: Server) -> tuple[int, int]:
    """Her village's id and her own, added to the roster as a trainer would (the name screen is not tested here)."""
    with server.data():
        [village] = [v for v in services.villages() if v.name == VILLAGE]
        return village.id, services.add_learner(village.id, LEARNER, BIRTH_YEAR).id


def test_a_reload_and_a_restart_keep_her_in_the_lesson_until_she_signs_out(tmp_path: Path) -> None:
    lesson = Catalog.load(CONTENT).get(LESSON)
    assert lesson is not None and lesson.screens[0].step is not None
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=PHONE, locale="vi-VN")
            context.set_default_timeout(TIMEOUT_MS)
            page = context.new_page()

            def device_cookie() -> dict | None:
                return next((c for c in context.cookies() if c["name"] == "hocso_device"), None)

            with run_server(tmp_path, PHONE_ENV) as server:
                village_id, learner_id = add_resident(server)
                page.goto(f"{server.url}/")
                page.locator(f".st-key-village-{village_id} button").click()
                page.locator(f".st-key-learner-{learner_id} button").click()
                expect(page.locator(".st-key-change-learner button")).to_be_visible()  # her lesson home
                page.wait_for_function("() => document.cookie.includes('hocso_device=')")
                cookie = device_cookie()
                assert cookie is not None and cookie["sameSite"] == "Strict"
                assert cookie["expires"] > time.time() + 170 * 86400  # about six months

                page.goto(f"{server.url}/lesson?lesson={LESSON}")  # a new page: only the cookie says who she is
                expect_screen(page, lesson, 0, narrated=False)
                page.locator(".st-key-next-0 button").click()
                expect_screen(page, lesson, 1, narrated=False)
                page.reload()
                expect_screen(page, lesson, 1, narrated=False)
                port = int(server.url.rsplit(":", 1)[1])

            # the server was stopped (a power cut, an update); it starts again on the same data and port
            with run_server(tmp_path, PHONE_ENV, port=port) as server:
                page.reload()
                expect_screen(page, lesson, 1, narrated=False)
                expect(page.get_by_text(t("lesson.sign_in_first"))).to_have_count(0)
                screenshot(page, "device-after-restart-412x915.png")

                page.goto(f"{server.url}/")  # the village screen opens her lessons: she need not find her name
                change = page.locator(".st-key-change-learner button")
                expect(change).to_be_visible()
                change.click()
                expect(page.get_by_text(t("learner.heading"))).to_be_visible()
                page.wait_for_function("() => !document.cookie.includes('hocso_device=')")
                assert device_cookie() is None
                page.goto(f"{server.url}/lesson?lesson={LESSON}")
                expect(page.get_by_text(t("lesson.sign_in_first"))).to_be_visible()
                page.goto(f"{server.url}/")
                expect(page.get_by_text(t("village.heading"))).to_be_visible()
        finally:
            browser.close()
