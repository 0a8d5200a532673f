"""The projector's own window of a group session (views/projector.py): only the screen the trainer is on, with
no names, no answers and no controls; it follows Next and Back, and ends with the session."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from learn.services import accounts, group_sessions, trainers
from learn.strings_vi import t
from progress_db import community
from tests.support.apptest import texts

NAMES = ["Bà Lò Thị Xuân", "Ông Vàng A Sử", "Chị Hà Thị Lan"]


@pytest.fixture
def trainer(village: int):
    return accounts.create_account("mai", "Chị Mai", "mat-khau-tot", "trainer", "Xã Thử")


@pytest.fixture
def running(trainer, village: int, catalog):
    """A session of the fixture lesson with three attendees, one of whom has answered the first question."""
    added, _ = trainers.add_residents(trainer, village, "\n".join(NAMES))
    lesson = catalog.get("test-unlock")
    session = group_sessions.start(trainer, catalog, village, lesson.id)
    group_sessions.mark_attendance(trainer, session.id, {p.id for p in added})
    group_sessions.record_answers(trainer, lesson, session.id, "q1", {added[0].id: 1})
    return session


def controls(at: AppTest) -> list[object]:
    """Every widget on the page (buttons, links, ticks, choices, inputs, recorders)."""
    kinds = ("button", "link_button", "checkbox", "radio", "selectbox", "multiselect", "text_input",
             "text_area", "number_input", "toggle", "audio_input", "slider", "select_slider")
    return [element for kind in kinds for element in at.get(kind)]


def test_the_projector_shows_the_step_and_follows_next_and_back(app, trainer, running, catalog) -> None:
    lesson = catalog.get("test-unlock")
    at = app("projector", {"session": str(running.id)}, account=trainer)
    assert not at.exception
    shown = texts(at)
    assert "Nút nguồn" in shown and "Giữ nút nguồn ba giây." in shown
    assert t("lesson.progress", current=1, total=len(lesson.screens)) in shown
    assert len(at.get("image")) == 1  # the step's picture
    assert "Giữ nút nào để bật máy" not in shown

    group_sessions.move(trainer, lesson, running.id, 1)  # the trainer taps Next on the laptop
    at.run()
    shown = texts(at)
    assert "Giữ nút nào để bật máy?" in shown
    assert "**1.** Nút nguồn" in shown and "**2.** Nút âm lượng" in shown
    assert "Giữ nút nguồn ba giây." not in shown and not at.get("image")

    group_sessions.move(trainer, lesson, running.id, 0)  # and Back
    at.run()
    assert "Giữ nút nguồn ba giây." in texts(at) and "Giữ nút nào để bật máy?" not in texts(at)


def test_the_projector_shows_no_names_no_answers_and_no_controls(app, trainer, running, catalog) -> None:
    lesson = catalog.get("test-unlock")
    group_sessions.move(trainer, lesson, running.id, 1)  # the question the first attendee has answered
    at = app("projector", {"session": str(running.id)}, account=trainer)
    shown = texts(at)
    assert "Giữ nút nào để bật máy?" in shown
    assert not [name for name in NAMES if name in shown]
    assert not at.success and "1/1" not in shown and t("session.answers") not in shown
    assert controls(at) == []
    # the trainer's own page, for the same session, has all of these: the projector left them out
    trainer_page = app("group_session", {"session": str(running.id)}, account=trainer)
    assert all(name in [c.label for c in trainer_page.radio] for name in NAMES) and controls(trainer_page)


def test_the_trainers_page_opens_the_projector_window(app, trainer, running) -> None:
    at = app("group_session", {"session": str(running.id)}, account=trainer)
    [link] = [b for b in at.get("link_button") if b.proto.label == t("projector.open")]
    assert link.proto.url == f"projector?session={running.id}"
    assert t("projector.open_help") in texts(at)


def test_the_projector_ends_with_the_session(app, trainer, running, catalog) -> None:
    lesson = catalog.get("test-unlock")
    at = app("projector", {"session": str(running.id)}, account=trainer)
    assert t("projector.finished") not in texts(at)
    group_sessions.finish(trainer, lesson, running.id)  # the trainer taps "Kết thúc buổi học"
    at.run()
    shown = texts(at)
    assert t("projector.finished") in shown and lesson.title in shown
    assert "Nút nguồn" not in shown and not [name for name in NAMES if name in shown]
    assert controls(at) == []


def test_another_communes_session_is_refused(app, trainer, catalog) -> None:
    community.get_or_create_commune("Xã Khác")
    far = community.get_or_create_village(community.find_commune("Xã Khác"), "Thôn Xa")
    other = accounts.create_account("hung", "Hùng", "mat-khau-tot", "trainer", "Xã Khác")
    session = group_sessions.start(other, catalog, far, "test-unlock")
    at = app("projector", {"session": str(session.id)}, account=trainer)
    assert [e.value for e in at.error] == [t("account.forbidden")]
    assert "Nút nguồn" not in texts(at)


@pytest.mark.parametrize("number", ["999999", "abc"])
def test_no_such_session(app, trainer, number: str) -> None:
    at = app("projector", {"session": number}, account=trainer)
    assert [e.value for e in at.error] == [t("session.not_found")]


def test_not_signed_in_goes_to_the_sign_in(app, running) -> None:
    at = app("projector", {"session": str(running.id)})
    assert t("trainer.login_heading") in texts(at)
    assert "Nút nguồn" not in texts(at)


def test_a_projector_left_open_does_not_keep_the_laptop_signed_in(trainer) -> None:
    """Its ticks look at the sign-in (``ui.still_signed_in``) without counting as a use: two hours after the last
    real use the sign-in ends, however long the projector has been looking."""
    from datetime import timedelta

    from progress_db.models import utcnow

    token = accounts.remember_browser(trainer)
    start = utcnow()
    for minutes in range(10, 120, 10):  # a projector's ticks over two hours
        assert accounts.browser_account(token, start + timedelta(minutes=minutes), touch=False) is not None
    assert accounts.browser_account(token, start + accounts.SESSION_IDLE + timedelta(minutes=1)) is None
    other = accounts.remember_browser(trainer)  # a real use in between does keep it
    assert accounts.browser_account(other, start + timedelta(minutes=100)) is not None
    assert accounts.browser_account(other, start + timedelta(minutes=130)) is not None
