"""The PIN box opens the phone's number keypad (issue 16): st.text_input cannot set ``inputmode``, so a small
script sets it on the PIN inputs; only a real browser runs it. The resident's PIN screen is reached by tapping her
picture tile (not its label), as someone who cannot read does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, Server, choose_village, expect, run_server, sync_api

pytestmark = pytest.mark.browser

from learn.strings_vi import t  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`learn serve` on the demo commune."""
    home = tmp_path_factory.mktemp("learn-home")
    with run_server(home) as running:
        yield running


def test_the_pin_box_opens_the_number_keypad(server: Server) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
            choose_village(page, server.url)
            page.locator(".st-key-add-learner button").or_(page.get_by_label(t("learner.name"))).first.wait_for()
            if page.locator(".st-key-add-learner button").count():
                page.locator(".st-key-add-learner button").click()
            page.get_by_label(t("learner.name")).fill("Ông Hai")
            page.get_by_text(t("learner.secret_pin")).click()
            box = page.locator(".st-key-new_pin input")
            expect(box).to_have_attribute("inputmode", "numeric")
            expect(box).to_have_attribute("pattern", "[0-9]*")
            box.fill("2468")
            page.locator(".st-key-add-save button").click()
            expect(page.get_by_text(t("lessons.heading", name="Ông Hai"))).to_be_visible()

            # another visitor taps his picture (anywhere on the tile) and gets the PIN box, with the keypad
            page = browser.new_context(viewport=PHONE, locale="vi-VN").new_page()
            choose_village(page, server.url)
            tile = page.locator('[class*="st-key-face-learner-"]').filter(has_text="Ông Hai")
            expect(tile).to_be_visible()
            tile.click(position={"x": 40, "y": 50})  # on the picture
            pin = page.locator(".st-key-pin_value input")
            expect(pin).to_have_attribute("inputmode", "numeric")
            pin.fill("1111")
            page.get_by_role("button", name=t("learner.pin_enter")).click()
            expect(page.get_by_text(t("learner.pin_wrong"))).to_be_visible()  # written (and spoken)
        finally:
            browser.close()
