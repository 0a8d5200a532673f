"""A resident stays signed in on her own phone (issue 16): a device token in a cookie, only its hash stored, found
again after a reload or a restart, renewed by use, and ended by signing out, a trainer's reset of her PIN or
picture password, her removal, a merge, or six months unused; a shared browser gets none and keeps the 30-minute
sign-out. The services run on both engines; the pages through AppTest, whose sessions cannot carry cookies, so
the one function that reads the browser's cookies is given the cookie a phone would send (the real cookie, in
a real browser across a reload and a restart of the server: tests/test_browser_device.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from streamlit.testing.v1 import AppTest

from learn import services
from learn.app import auth, resources
from learn.services import care, devices, trainers
from learn.settings import Settings, SettingsError
from learn.strings_vi import t
from progress_db.db import database
from progress_db.models import ResidentDevice, utcnow
from progress_db.records import AccountInfo, LearnerInfo
from tests.support.apptest import button, texts

pytestmark = pytest.mark.both_engines


def stored() -> list[ResidentDevice]:
    with database.connection_context():
        return list(ResidentDevice.select())


@pytest.fixture
def xuan(village: int) -> LearnerInfo:
    return services.add_learner(village, "Bà Lò Thị Xuân", 1956, "2468")


# --- the service ----------------------------------------------------------------------------------------------

def test_the_token_is_stored_only_hashed_and_finds_her(xuan: LearnerInfo) -> None:
    token = devices.remember(xuan)
    assert token is not None and devices.well_formed(token)
    [row] = stored()
    assert row.learner_id == xuan.id and token not in (row.token_hash, row.stamp)
    assert devices.resident(token) == xuan
    assert devices.resident(devices.remember(xuan)) == xuan  # a second phone of hers: both work
    assert devices.resident(token) == xuan


def test_use_renews_it_and_six_months_unused_end_it(xuan: LearnerInfo) -> None:
    now = utcnow()
    token = devices.remember(xuan, now)
    assert devices.resident(token, now + timedelta(days=170)) == xuan  # a use: 180 more days
    assert devices.resident(token, now + timedelta(days=340), touch=False) == xuan  # a look, not a use
    assert devices.resident(token, now + timedelta(days=351)) is None
    assert stored() == []  # forgotten on the way


def test_signing_out_on_the_phone_ends_it(xuan: LearnerInfo) -> None:
    token, other = devices.remember(xuan), devices.remember(xuan)
    devices.forget(token)
    assert devices.resident(token) is None
    assert devices.resident(other) == xuan  # her other phone is not signed out


@pytest.mark.parametrize("reset", [{"pin": "1357"}, {"pin": None}, {"pin": None, "picture_password": None},
                                   {"pin": None, "picture_password": ["trau", "chuoi", "lua"]}])
def test_a_trainers_reset_of_her_secret_ends_it(xuan: LearnerInfo, mai: AccountInfo, reset: dict) -> None:
    from learn.services import picture_passwords
    if reset.get("picture_password"):
        reset["picture_password"] = list(picture_passwords.grid()[:3])
    token = devices.remember(xuan)
    care.reset_pin(mai, xuan.id, **reset)
    assert devices.resident(token) is None
    assert stored() == []


def test_the_same_pin_set_again_still_ends_it(xuan: LearnerInfo, mai: AccountInfo) -> None:
    token = devices.remember(xuan)
    care.reset_pin(mai, xuan.id, "2468")  # a phone that was lost: the PIN is new even if it reads the same
    assert devices.resident(token) is None


def test_a_resident_without_a_secret_keeps_it_through_other_changes(village: int, mai: AccountInfo) -> None:
    person = services.add_learner(village, "Ông Vàng A Sử")
    token = devices.remember(person)
    care.change_details(mai, person.id, name="Ông Vàng A Sử", birth_year="1950")
    care.reset_pin(mai, person.id, None)  # nothing to protect: anyone may tap her name
    assert devices.resident(token) == services.learner(person.id)


@pytest.mark.parametrize("leave", ["removed", "moved"])
def test_removal_or_moving_away_ends_it(xuan: LearnerInfo, mai: AccountInfo, leave: str) -> None:
    token = devices.remember(xuan)
    if leave == "removed":
        care.delete_on_request(mai, xuan.id, xuan.name)
    else:
        care.move_away(mai, xuan.id)
    assert devices.resident(token) is None
    assert stored() == []


def test_a_merge_ends_the_duplicates_phone_and_keeps_the_kept_ones(village: int, xuan: LearnerInfo,
                                                                    mai: AccountInfo) -> None:
    twice = services.add_learner(village, "Bà Lò Thị Xuân", 1957)
    kept, dropped = devices.remember(xuan), devices.remember(twice)
    trainers.merge(mai, xuan.id, twice.id)
    assert devices.resident(dropped) is None
    assert devices.resident(kept) == services.learner(xuan.id)


@pytest.mark.parametrize("junk", [None, "", "x", "a" * 43 + "=", "a" * 44, "' OR 1=1 --" + "a" * 32, "ă" * 43,
                                  "\x00" * 43, "a" * 100_000, 12345, ["a" * 43]])
def test_any_other_cookie_value_signs_nobody_in(xuan: LearnerInfo, junk: object) -> None:
    devices.remember(xuan)
    assert devices.resident(junk) is None  # type: ignore[arg-type]
    devices.forget(junk)  # type: ignore[arg-type]
    assert len(stored()) == 1


def test_an_unknown_token_of_the_right_shape_signs_nobody_in(xuan: LearnerInfo) -> None:
    devices.remember(xuan)
    assert devices.resident("A" * 43) is None


@pytest.mark.parametrize(("mode", "client", "shared"), [
    ("local", None, True), ("local", "192.168.1.23", False), ("all", "192.168.1.23", True), ("all", None, True),
    ("none", None, False), ("none", "192.168.1.23", False)])
def test_which_browsers_are_shared(mode: devices.SharedDevices, client: str | None, shared: bool) -> None:
    assert devices.shared(mode, client) is shared


def test_the_hall_laptop_is_shared_whatever_address_it_opens_the_app_on() -> None:
    """The laptop running Học Số may open localhost, its LAN address (what `learn serve` prints and the QR cards
    carry) or, with ``--host ::``, an IPv4-mapped loopback: it is the shared laptop each time, never a phone."""
    from learn.tls import local_addresses

    for own in ["127.0.0.1", "::1", "::ffff:127.0.0.1", *local_addresses()]:
        assert devices.shared("local", own), own
    assert not devices.shared("local", "203.0.113.9") and not devices.shared("local", "not an address")


@pytest.mark.parametrize(("given", "read"), [("", "local"), ("ALL", "all"), (" none ", "none")])
def test_the_setting_is_read_in_any_case(given: str, read: str) -> None:
    assert Settings.from_env({"LEARN_SHARED_DEVICES": given}).shared_devices == read


def test_a_typo_in_the_setting_stops_the_server() -> None:
    with pytest.raises(SettingsError, match="LEARN_SHARED_DEVICES must be 'local', 'all' or 'none', not 'shared'"):
        Settings.from_env({"LEARN_SHARED_DEVICES": "shared"})


# --- the pages ------------------------------------------------------------------------------------------------

@pytest.fixture
def phone(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The cookies this phone sends when a session connects (put in by the test), on a server where browsers
    are nobody's but their owner's (in AppTest every browser is "on the server's own machine")."""
    monkeypatch.setenv("LEARN_SHARED_DEVICES", "none")
    cookies: dict[str, str] = {}
    monkeypatch.setattr(auth, "_browser_cookie", cookies.get)
    return cookies


def cookie_written(at: AppTest) -> str | None:
    """The device cookie the page's script writes, as ``value; Max-Age=N``; None if it writes none."""
    for element in at.get("iframe"):
        source = element.proto.srcdoc
        if auth.DEVICE_COOKIE + "=" in source:
            text = source.split(auth.DEVICE_COOKIE + "=", 1)[1]
            return text.split("; Path=/; ")[0] + "; " + text.split("; Path=/; ")[1].split(";")[0]
    return None


def sign_in(app: Callable[..., AppTest], village: int, person: LearnerInfo, pin: str | None = None) -> AppTest:
    at = app("learner", village_id=village)
    at.button(key=f"learner-{person.id}").click().run()
    if pin is not None:
        at.text_input(key="pin_value").input(pin)
        button(at, t("learner.pin_enter")).click().run()
    assert at.session_state["learner_id"] == person.id, texts(at)
    return at


def test_her_phone_brings_her_back_into_the_lesson_at_her_screen(app, village: int, xuan: LearnerInfo,
                                                                 phone: dict[str, str]) -> None:
    at = sign_in(app, village, xuan, "2468")
    token = at.session_state["learner_device"]
    [row] = stored()
    assert devices.resident(token) == xuan and row.learner_id == xuan.id
    learning_position = 2
    services.step_to(xuan.id, services.lesson(resources.catalog(), "test-unlock"), learning_position)

    phone[auth.DEVICE_COOKIE] = token  # the phone reloads the page: a new session, only the cookie
    again = app("lesson", query={"lesson": "test-unlock"})
    assert not again.exception
    assert t("lesson.sign_in_first") not in texts(again)
    assert again.session_state["learner_id"] == xuan.id and again.session_state["village_id"] == village
    assert again.button(key=f"next-{learning_position}")  # at the screen she left
    assert cookie_written(again) == f"{token}; Max-Age={int(devices.DEVICE_LIFETIME.total_seconds())}"  # renewed


def test_the_village_screen_opens_her_lessons_and_signing_out_forgets_the_phone(
        app, village: int, xuan: LearnerInfo, phone: dict[str, str]) -> None:
    phone[auth.DEVICE_COOKIE] = token = devices.remember(xuan) or ""
    at = app()
    assert t("village.heading") not in texts(at)
    assert at.session_state["learner_id"] == xuan.id
    at.button(key="change-learner").click().run()
    assert "learner_id" not in at.session_state
    assert cookie_written(at) == "; Max-Age=0"  # cleared
    assert devices.resident(token) is None and stored() == []

    again = app()  # the phone still sends the old cookie (it was cleared in the browser): no one
    assert t("village.heading") in texts(again)
    assert "learner_id" not in again.session_state


@pytest.mark.parametrize("junk", ["", "x", "a" * 44, "A" * 43, "</script><script>alert(1)</script>"])
def test_a_junk_cookie_shows_the_village_screen_and_is_cleared(app, village: int, phone: dict[str, str],
                                                               junk: str) -> None:
    phone[auth.DEVICE_COOKIE] = junk
    at = app("lesson", query={"lesson": "test-unlock"})
    assert not at.exception
    assert [w.value for w in at.warning] == [t("lesson.sign_in_first")]
    at = app()
    assert not at.exception and t("village.heading") in texts(at)
    assert cookie_written(at) in (None, "; Max-Age=0")  # never the junk written back


def test_after_a_pin_reset_her_phone_shows_the_village_screen(app, village: int, xuan: LearnerInfo,
                                                              mai: AccountInfo, phone: dict[str, str]) -> None:
    phone[auth.DEVICE_COOKIE] = devices.remember(xuan) or ""
    care.reset_pin(mai, xuan.id, "1357")
    at = app("lessons")
    assert not at.exception
    assert "learner_id" not in at.session_state and t("village.heading") in texts(at)


def test_a_reset_ends_her_phone_s_open_page_too(app, village: int, xuan: LearnerInfo, mai: AccountInfo,
                                              phone: dict[str, str]) -> None:
    """A lost phone left open on her lessons: once her trainer sets her secret anew, its next tap is signed out."""
    phone[auth.DEVICE_COOKIE] = devices.remember(xuan) or ""
    at = app("lessons")
    assert at.session_state["learner_id"] == xuan.id
    care.reset_pin(mai, xuan.id, "1357")
    at.run()  # the same session, not a reload
    assert not at.exception
    assert "learner_id" not in at.session_state and t("learner.heading") in texts(at)  # her village's names


def test_her_phone_knows_her_and_only_her(app, village: int, xuan: LearnerInfo, phone: dict[str, str]) -> None:
    other = services.add_learner(village, "Ông Vàng A Sử")
    phone[auth.DEVICE_COOKIE] = devices.remember(xuan) or ""

    def page() -> None:
        import streamlit as st

        from learn.app import auth, resources
        resources.database()
        st.write(f"{auth.known_device(int(st.query_params['who']))}")

    for who, known in ((xuan, True), (other, False)):
        at = AppTest.from_function(page)
        at.query_params["who"] = str(who.id)
        at.run()
        assert not at.exception and [m.value for m in at.markdown] == [str(known)]


def test_on_a_shared_laptop_no_phone_is_remembered_and_the_idle_sign_out_stays(
        app, village: int, xuan: LearnerInfo, monkeypatch: pytest.MonkeyPatch) -> None:
    cookies = {auth.DEVICE_COOKIE: devices.remember(xuan) or ""}  # from before the laptop was marked shared
    monkeypatch.setattr(auth, "_browser_cookie", cookies.get)
    at = app()  # LEARN_SHARED_DEVICES is "local", and AppTest is the laptop's own browser
    assert t("village.heading") in texts(at) and "learner_id" not in at.session_state
    assert cookie_written(at) == "; Max-Age=0"

    at = sign_in(app, village, xuan, "2468")
    assert "learner_device" not in at.session_state and stored() == []  # none new, and the old one forgotten
    at.session_state["learner_seen"] = at.session_state["learner_seen"] - services.LEARNER_IDLE - timedelta(1)
    at.switch_page("views/lessons.py").run()
    assert "learner_id" not in at.session_state
    assert t("learner.expired") in texts(at)


def test_her_own_phone_has_no_idle_sign_out(app, village: int, xuan: LearnerInfo, phone: dict[str, str]) -> None:
    at = sign_in(app, village, xuan, "2468")
    at.session_state["learner_seen"] = datetime.now(UTC) - timedelta(hours=5)
    at.switch_page("views/lessons.py").run()
    assert at.session_state["learner_id"] == xuan.id
    assert t("learner.expired") not in texts(at)
