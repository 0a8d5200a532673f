"""Group sessions in the service layer: attendance, projector position, assisted answers, finishing, history."""

from __future__ import annotations

import pytest

from learn.errors import InvalidInput
from learn.services import accounts, group_sessions, trainers
from learn.strings_vi import t
from progress_db import community, learning
from progress_db import group_sessions as stored_sessions
from tests.support.apptest import button, texts

pytestmark = pytest.mark.both_engines


@pytest.fixture
def trainer(village: int):
    return accounts.create_account("mai", "Chị Mai", "mat-khau-tot", "trainer", "Xã Thử")


@pytest.fixture
def residents(trainer, village: int):
    added, _ = trainers.add_residents(trainer, village, "Bà Một\nÔng Hai\nChị Ba\nAnh Tư")
    return added


def test_a_whole_session(trainer, residents, village: int, catalog) -> None:
    lesson = catalog.get("test-unlock")
    session = group_sessions.start(trainer, catalog, village, lesson.id)
    one, two, three, absent = residents
    group_sessions.mark_attendance(trainer, session.id, {one.id, two.id, three.id})
    assert [p.name for p in group_sessions.attendees(trainer, session.id)] == ["Bà Một", "Chị Ba", "Ông Hai"]
    assert group_sessions.move(trainer, lesson, session.id, 1) == 1
    q1, q2, q3 = lesson.questions
    group_sessions.record_answers(trainer, lesson, session.id, q1.id, {one.id: 0, two.id: 1, three.id: None})
    group_sessions.record_answers(trainer, lesson, session.id, q1.id, {one.id: 0, two.id: 0, three.id: 1})  # corrected
    group_sessions.record_answers(trainer, lesson, session.id, q2.id, {one.id: 0, two.id: 0, three.id: 0})
    assert group_sessions.move(trainer, lesson, session.id, 99) == len(lesson.screens) - 1
    results = group_sessions.finish(trainer, lesson, session.id)
    assert [(r.question_id, r.answered, r.right) for r in results] == [("q1", 3, 2), ("swipe", 3, 3),
                                                                       ("screen-off", 0, 0)]
    for person in (one, two, three):
        assert learning.progress_for(person.id)[lesson.id].completed
    assert lesson.id not in learning.progress_for(absent.id)
    answer = learning.latest_answers(three.id, lesson.id)["q1"]
    assert (answer.option_index, answer.correct, answer.mode) == (1, False, "group")
    assert [s.id for s in group_sessions.history(trainer)] == [session.id]
    assert group_sessions.get(trainer, session.id).finished


def test_a_session_left_half_way_resumes(trainer, residents, village: int, catalog) -> None:
    lesson = catalog.get("test-unlock")
    session = group_sessions.start(trainer, catalog, village, lesson.id)
    group_sessions.mark_attendance(trainer, session.id, {residents[0].id})
    group_sessions.move(trainer, lesson, session.id, 3)
    again = group_sessions.get(trainer, session.id)  # the laptop was closed; the trainer opens it from the history
    assert (again.position, again.finished) == (3, False)
    assert [p.id for p in group_sessions.attendees(trainer, session.id)] == [residents[0].id]


def test_answers_only_from_attendees_and_only_real_options(trainer, residents, village: int, catalog) -> None:
    lesson = catalog.get("test-unlock")
    session = group_sessions.start(trainer, catalog, village, lesson.id)
    group_sessions.mark_attendance(trainer, session.id, {residents[0].id})
    with pytest.raises(InvalidInput):
        group_sessions.record_answers(trainer, lesson, session.id, "q1", {residents[1].id: 0})
    with pytest.raises(InvalidInput):
        group_sessions.record_answers(trainer, lesson, session.id, "q1", {residents[0].id: 5})
    with pytest.raises(InvalidInput):
        group_sessions.mark_attendance(trainer, session.id, {99999})


def test_another_communes_trainer_cannot_touch_the_session(trainer, residents, village: int, catalog) -> None:
    community.get_or_create_commune("Xã Khác")
    other = accounts.create_account("hung", "Hùng", "mat-khau-tot", "trainer", "Xã Khác")
    session = group_sessions.start(trainer, catalog, village, "test-unlock")
    with pytest.raises(accounts.Forbidden):
        group_sessions.get(other, session.id)
    with pytest.raises(accounts.Forbidden):
        group_sessions.start(other, catalog, village, "test-unlock")
    assert group_sessions.history(other) == []


# --- the pages ------------------------------------------------------------------------------------------------

def test_starting_a_session_from_the_trainer_page(app, trainer, residents, village: int) -> None:
    at = app("trainer", account=trainer)
    button(at, t("session.start")).click().run()
    [session] = stored_sessions.in_villages([village])
    assert session.lesson_id == "test-unlock" and not session.finished


def test_running_a_session_on_the_projector(app, trainer, residents, village: int, catalog) -> None:
    lesson = catalog.get("test-unlock")
    session = group_sessions.start(trainer, catalog, village, lesson.id)
    at = app("group_session", {"session": str(session.id)}, account=trainer)
    assert t("session.heading", lesson="Mở khóa máy") in texts(at)
    one, two, three, _ = residents
    for person in (one, two, three):
        at.checkbox(key=f"came-{session.id}-{person.id}").check()
    button(at, t("session.attendance_save")).click().run()
    assert {p.id for p in group_sessions.attendees(trainer, session.id)} == {one.id, two.id, three.id}
    at = app("group_session", {"session": str(session.id)}, account=trainer)
    at.button(key="snext-0").click().run()
    # a closed browser comes back on the same screen
    at = app("group_session", {"session": str(session.id)}, account=trainer)
    assert group_sessions.get(trainer, session.id).position == 1
    at.selectbox(key=f"group-{session.id}-q1").set_value("1. Nút nguồn")
    at.radio(key=f"ans-{session.id}-q1-{two.id}").set_value("2. Nút âm lượng")
    button(at, t("session.answers_save")).click().run()
    given = group_sessions.answers(trainer, session.id)["q1"]
    assert given == {one.id: (0, True), two.id: (1, False), three.id: (0, True)}  # "whole group" but Hai
    at.radio(key=f"ans-{session.id}-q1-{two.id}").set_value("1. Nút nguồn")  # corrected
    button(at, t("session.answers_save")).click().run()
    assert group_sessions.answers(trainer, session.id)["q1"][two.id] == (0, True)
    group_sessions.move(trainer, lesson, session.id, len(lesson.screens) - 1)
    at = app("group_session", {"session": str(session.id)}, account=trainer)
    at.button(key="sfinish").click().run()
    assert t("session.summary") in texts(at)
    assert all(learning.progress_for(p.id)["test-unlock"].completed for p in (one, two, three))


def test_a_session_of_another_commune_is_refused(app, trainer, catalog, village: int) -> None:
    community.get_or_create_commune("Xã Khác")
    far = community.get_or_create_village(community.find_commune("Xã Khác"), "Thôn Xa")
    other = accounts.create_account("hung", "Hùng", "mat-khau-tot", "trainer", "Xã Khác")
    session = group_sessions.start(other, catalog, far, "test-unlock")
    at = app("group_session", {"session": str(session.id)}, account=trainer)
    assert [e.value for e in at.error] == [t("account.forbidden")]


def test_an_attendee_answers_by_voice_at_the_laptop(app, trainer, residents, village: int, catalog,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from learn.voice import asr
    from tests.support.doubles import ScriptedRecognizer
    from tests.support.paths import SHARED

    clip = SHARED / "audio" / "vi-tts" / "d02.wav"
    if not clip.exists():
        pytest.skip("../shared/audio clips are not present")
    monkeypatch.setattr(asr, "load_recognizer", lambda folder: ScriptedRecognizer(grammar="hai"))
    lesson = catalog.get("test-unlock")
    session = group_sessions.start(trainer, catalog, village, lesson.id)
    one, two = residents[:2]
    group_sessions.mark_attendance(trainer, session.id, {one.id, two.id})
    group_sessions.move(trainer, lesson, session.id, 1)
    at = app("group_session", {"session": str(session.id)}, account=trainer)
    at.selectbox(key="speaker-q1").set_value(next(p for p in group_sessions.attendees(trainer, session.id)
                                                  if p.id == two.id))
    at.audio_input(key="smic-q1-0").set_value((clip.name, clip.read_bytes(), "audio/wav")).run()
    assert not at.exception
    answer = learning.latest_answers(two.id, lesson.id)["q1"]
    assert (answer.option_index, answer.mode, answer.transcript) == (1, "voice", "hai")
    assert at.radio(key=f"ans-{session.id}-q1-{two.id}").value == "2. Nút âm lượng"  # the grid shows it
    button(at, t("session.answers_save")).click().run()  # saving the grid keeps the spoken answer
    assert group_sessions.answers(trainer, session.id)["q1"] == {two.id: (1, False)}
    assert learning.latest_answers(two.id, lesson.id)["q1"].mode == "voice"


@pytest.mark.pages_on_both  # the group session's lost answers (issue 1)
def test_saving_the_grid_again_never_loses_answers_saved_before(app, trainer, residents, village: int,
                                                                catalog) -> None:
    """The run-through's data loss (issue 13): a group answer, then one attendee's own answer, then Next and
    Back. The grid must show what is saved on every row, and a save changes only the rows the trainer changed."""
    lesson = catalog.get("test-unlock")
    session = group_sessions.start(trainer, catalog, village, lesson.id)
    one, two, three, _ = residents
    group_sessions.mark_attendance(trainer, session.id, {one.id, two.id, three.id})
    group_sessions.move(trainer, lesson, session.id, 1)
    at = app("group_session", {"session": str(session.id)}, account=trainer)
    at.selectbox(key=f"group-{session.id}-q1").set_value("1. Nút nguồn")
    button(at, t("session.answers_save")).click().run()
    assert group_sessions.answers(trainer, session.id)["q1"] == {p.id: (0, True) for p in (one, two, three)}
    # the grid shows the group answer on every row, and the group box is ready for the next question
    assert {p.id: at.radio(key=f"ans-{session.id}-q1-{p.id}").value for p in (one, two, three)} == \
        {p.id: "1. Nút nguồn" for p in (one, two, three)}
    assert at.selectbox(key=f"group-{session.id}-q1").value == t("session.no_answer")
    # one attendee is corrected: nobody else's answer moves
    at.radio(key=f"ans-{session.id}-q1-{two.id}").set_value("2. Nút âm lượng")
    button(at, t("session.answers_save")).click().run()
    assert group_sessions.answers(trainer, session.id)["q1"] == {one.id: (0, True), two.id: (1, False),
                                                           three.id: (0, True)}
    assert t("session.result", prompt="Nút nguồn", right=2, answered=3) in [s.value for s in at.success]
    at.button(key="snext-1").click().run()
    at.button(key="sback-2").click().run()
    assert {p.id: at.radio(key=f"ans-{session.id}-q1-{p.id}").value for p in (one, two, three)} == \
        {one.id: "1. Nút nguồn", two.id: "2. Nút âm lượng", three.id: "1. Nút nguồn"}
    # a save with nothing changed changes nothing
    button(at, t("session.answers_save")).click().run()
    assert group_sessions.answers(trainer, session.id)["q1"] == {one.id: (0, True), two.id: (1, False),
                                                           three.id: (0, True)}


@pytest.mark.pages_on_both  # the group session's lost answers (issue 1)
def test_attendance_saved_on_another_laptop_is_kept(app, trainer, residents, village: int, catalog) -> None:
    """Attendance is a grid too: a tick saved elsewhere after this page was drawn shows and stays."""
    session = group_sessions.start(trainer, catalog, village, "test-unlock")
    one, two, three, _ = residents
    at = app("group_session", {"session": str(session.id)}, account=trainer)
    group_sessions.mark_attendance(trainer, session.id, {two.id})  # the second laptop
    at.checkbox(key=f"came-{session.id}-{one.id}").check()
    button(at, t("session.attendance_save")).click().run()
    assert {p.id for p in group_sessions.attendees(trainer, session.id)} == {one.id, two.id}
    assert at.checkbox(key=f"came-{session.id}-{two.id}").value is True
    at.checkbox(key=f"came-{session.id}-{one.id}").uncheck()
    button(at, t("session.attendance_save")).click().run()
    assert {p.id for p in group_sessions.attendees(trainer, session.id)} == {two.id}


def test_the_session_page_closes_when_the_password_is_reset(app, trainer, residents, village: int,
                                                            catalog) -> None:
    """Issue 14, item 6: the projector page re-checks the sign-in on every run, like the trainer page."""
    staff = accounts.create_account("lan", "Chị Lan", "mat-khau-tot", "staff", "Xã Thử")
    session = group_sessions.start(trainer, catalog, village, "test-unlock")
    at = app("group_session", {"session": str(session.id)}, account=trainer)
    assert t("session.heading", lesson="Mở khóa máy") in texts(at)
    accounts.reset_password(staff, trainer.id, "mat-khau-moi-hon")
    at.run()
    assert t("trainer.login_heading") in texts(at)
    assert t("session.heading", lesson="Mở khóa máy") not in texts(at)
