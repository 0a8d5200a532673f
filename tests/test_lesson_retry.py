"""Wrong answers come back (issue 16): a question answered wrong is asked again once at the end of the lesson, with
its explanation after the retry's answer; the completion screen gives both scores and the next lesson; progress
counts the retry, the first answer stays stored as given, and reports of first answers leave retries out."""

from __future__ import annotations

from pathlib import Path

import pytest

from learn import services
from learn.app.ui import plain
from learn.services import accounts, group_sessions, reports, sync
from learn.strings_vi import t
from progress_db import learning
from progress_db.db import database, open_db
from tests.support.apptest import PASSWORD, headings, texts
from tests.support.lessons import finish_lesson

pytestmark = pytest.mark.both_engines

# test-unlock: 0 step, 1 question q1 (right: 0), 2 step, 3 question swipe (right: 0), 4 step, 5 question
# screen-off (right: 1); past screen 5 come the questions answered wrong, then the completion screen.
WRONG_TWICE = {1: 1, 3: 1, 5: 1}


def _take(person: int, lesson, options: dict[int, int]) -> None:
    """Go through the lesson's screens answering the question on screen ``i`` with ``options[i]``."""
    for position, screen in enumerate(lesson.screens):
        services.go_to(person, lesson, position)
        if screen.question is not None:
            services.answer(person, lesson, position, options[position])


def test_a_wrong_answer_comes_back_once_and_both_scores_are_shown(app, village: int, catalog) -> None:
    person = services.add_learner(village, "Bà Một")
    lesson = catalog.get("test-unlock")
    at = app("lesson", {"lesson": "test-unlock"}, village_id=village, learner_id=person.id)
    at.button(key="next-0").click().run()
    at.button(key="option-1-1").click().run()  # wrong
    for position, option in ((1, None), (2, None), (3, 0), (4, None), (5, 1)):
        if option is not None:
            at.button(key=f"option-{position}-{option}").click().run()
        if position < 5:
            at.button(key=f"next-{position}").click().run()
    assert at.button(key="next-5").label == t("lesson.next")  # not the end yet: one question comes back
    at.button(key="next-5").click().run()
    # the retry: the same question, said to be asked again, nothing chosen yet
    q1 = lesson.questions[0]
    assert t("lesson.retry_progress", current=1, total=1) in texts(at)
    assert t("lesson.retry_heading") in texts(at) and f"### {q1.prompt}" in [m.value for m in at.markdown]
    assert not at.button(key="option-6-0").disabled and at.button(key="next-6").disabled
    assert not learning.progress_for(person.id)["test-unlock"].completed
    at.button(key="option-6-1").click().run()  # wrong again: the explanation, and it is not asked a third time
    assert [e.value for e in at.error] == [f"{plain(q1.wrong)}\n\n{t('lesson.correct_was', answer='Nút nguồn')}"]
    assert at.button(key="next-6").label == t("lesson.finish")
    at.button(key="next-6").click().run()
    assert t("lesson.done_heading") in texts(at)
    assert [s.value for s in at.success] == [
        f"{t('lesson.done_first', score=2, asked=3)}\n\n{t('lesson.done_retried', score=2, asked=3)}"]
    assert learning.progress_for(person.id)["test-unlock"].completed
    # both answers are stored, the first as it was given
    assert [(a.question_id, a.option_index, a.correct, a.retry)
            for a in learning.run_answers(person.id, "test-unlock")] == [
        ("q1", 1, False, False), ("swipe", 0, True, False), ("screen-off", 1, True, False), ("q1", 1, False, True)]


def test_the_retry_counts_in_progress_and_the_completion_screen_offers_the_next_lesson(app, village: int,
                                                                                      catalog) -> None:
    person = services.add_learner(village, "Bà Một")
    lesson = catalog.get("test-unlock")
    _take(person.id, lesson, WRONG_TWICE)
    at = app("lesson", {"lesson": "test-unlock"}, village_id=village, learner_id=person.id)
    assert at.button(key="option-5-1").disabled and at.button(key="next-5").label == t("lesson.next")
    at.button(key="next-5").click().run()
    for place in (6, 7):  # q1, then swipe: in lesson order, each right this time
        assert t("lesson.retry_progress", current=place - 5, total=2) in texts(at)
        at.button(key=f"option-{place}-0").click().run()
        assert [s.value for s in at.success] == [plain(lesson.questions[place - 6].right)]  # its explanation
        at.button(key=f"next-{place}").click().run()
    assert [s.value for s in at.success] == [
        f"{t('lesson.done_first', score=1, asked=3)}\n\n{t('lesson.done_retried', score=3, asked=3)}"]
    progress = learning.progress_for(person.id)["test-unlock"]
    assert progress.completed and progress.retry is None
    # the next lesson, as a big button in the bottom bar; the other ways on stay
    assert t("lesson.next_lesson_is", title="Tin nhắn lạ") in texts(at)
    assert {"done-more", "restart"} <= {b.key for b in at.button}
    assert at.button(key="next-lesson").label == t("lesson.next_lesson")
    at.button(key="next-lesson").click().run()
    assert not at.exception
    assert at.query_params["lesson"] == "test-sms" and "Tin nhắn có đường link" in headings(at)


def test_a_reload_in_the_retry_part_comes_back_to_the_same_question(app, village: int, catalog) -> None:
    person = services.add_learner(village, "Bà Một")
    lesson = catalog.get("test-unlock")
    _take(person.id, lesson, WRONG_TWICE)
    state = {"village_id": village, "learner_id": person.id}
    at = app("lesson", {"lesson": "test-unlock"}, **state)
    at.button(key="next-5").click().run()
    assert at.button(key="next-6").disabled  # on the first retry question, not answered yet
    again = app("lesson", {"lesson": "test-unlock"}, **state)  # the phone reloaded the page
    assert t("lesson.retry_progress", current=1, total=2) in texts(again)
    assert not again.button(key="option-6-0").disabled
    again.button(key="option-6-0").click().run()
    again.button(key="next-6").click().run()
    third = app("lesson", {"lesson": "test-unlock"}, **state)
    assert t("lesson.retry_progress", current=2, total=2) in texts(third)
    third.button(key="back-7").click().run()  # Back shows the first retry with its answer, kept
    assert third.button(key="option-6-0").disabled and [s.value for s in third.success]


def test_the_hardest_questions_count_first_answers_not_retries(village: int, catalog) -> None:
    lesson = catalog.get("test-unlock")
    for n in range(reports.HARDEST_MIN_ANSWERS):
        person = services.add_learner(village, f"Người Số {n + 1}")
        _take(person.id, lesson, WRONG_TWICE)
        finish_lesson(person.id, lesson)  # every retry right
        assert learning.progress_for(person.id)["test-unlock"].completed
    staff = accounts.create_account("lan", "Chị Lan", PASSWORD, "staff", "Xã Thử")
    dash = reports.dashboard(staff, catalog, staff.commune_id)  # type: ignore[arg-type]
    counted = {h.row.question_id: (h.row.answers, h.row.wrong) for h in dash.hardest}
    assert counted == {"q1": (5, 5), "swipe": (5, 5)}  # not (10, 5): five answered, all wrong the first time


def test_a_group_session_asks_nothing_again(village: int, catalog) -> None:
    """Retries are the resident's own lesson: a group session's wrong answers do not come back for her."""
    lesson = catalog.get("test-unlock")
    person = services.add_learner(village, "Bà Một")
    trainer = accounts.create_account("mai", "Chị Mai", PASSWORD, "trainer", "Xã Thử")
    session = group_sessions.start(trainer, catalog, village, lesson.id)
    group_sessions.mark_attendance(trainer, session.id, {person.id})
    for question in lesson.questions:
        group_sessions.record_answers(trainer, lesson, session.id, question.id,
                                      {person.id: (question.answer + 1) % len(question.options)})
    group_sessions.finish(trainer, lesson, session.id)
    view = services.player_view(person.id, lesson)
    assert view.finished and (view.first_score, view.score) == (0, 0)


def test_restarting_a_lesson_leaves_the_retry_part(village: int, catalog) -> None:
    person = services.add_learner(village, "Bà Một")
    lesson = catalog.get("test-unlock")
    _take(person.id, lesson, WRONG_TWICE)
    assert services.go_to(person.id, lesson, len(lesson.screens)).retry == 0
    view = services.restart(person.id, lesson)
    assert (view.position, view.retry, view.retries) == (0, None, ())
    assert learning.progress_for(person.id)["test-unlock"].retry is None


def test_a_retry_travels_in_a_sync_bundle_as_a_retry(village: int, catalog, tmp_path: Path, new_database) -> None:
    person = services.add_learner(village, "Bà Một")
    lesson = catalog.get("test-unlock")
    _take(person.id, lesson, WRONG_TWICE)
    finish_lesson(person.id, lesson)
    bundle = sync.export(tmp_path / "laptop.hocso", None)
    laptop = database.obj
    server = open_db(new_database())
    try:
        database.initialize(server)
        sync.take_in(bundle.path.read_bytes(), None, catalog)
        [mot] = services.learners(services.villages()[0].id)
        answers = learning.run_answers(mot.id, "test-unlock")
        assert [(a.question_id, a.correct, a.retry) for a in answers if a.question_id == "q1"] == [
            ("q1", False, False), ("q1", True, True)]
        assert services.player_view(mot.id, lesson).finished
    finally:
        database.initialize(laptop)
        server.close_all() if hasattr(server, "close_all") else server.close()
