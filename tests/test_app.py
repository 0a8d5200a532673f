"""Every page of the learner's path, driven through Streamlit's AppTest against a real SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from learn import services
from learn.app.ui import plain
from learn.strings_vi import t
from progress_db import community, learning
from tests.support.apptest import MAIN, button, clear_caches, headings, texts


@pytest.fixture
def app(app: Callable[..., AppTest], village: int) -> Callable[..., AppTest]:
    """The ``app`` of tests/conftest.py, in a database that has the test village."""
    return app


def test_village_page_lists_villages_and_choosing_one_asks_who_you_are(app, village: int) -> None:
    at = app()
    assert not at.exception
    assert t("village.heading") in texts(at)
    at.button(key=f"village-{village}").click().run()
    assert at.session_state["village_id"] == village
    assert t("learner.heading") in texts(at)
    assert t("learner.none") in texts(at)  # an empty village invites the first learner


def test_village_page_without_villages_says_so(app, db: Path) -> None:
    from progress_db.db import database
    from progress_db.models import Commune
    with database.connection_context():
        Commune.delete().execute()
    at = app()
    assert t("village.none") in texts(at)


def test_adding_yourself_signs_you_in(app, village: int) -> None:
    at = app("learner", village_id=village)
    at.text_input(key="new_name").input("  Bà Lò Thị   Xuân ")
    at.text_input(key="new_year").input("1956")
    button(at, t("learner.save")).click().run()
    assert not at.exception
    [learner] = community.list_learners(village)
    assert (learner.name, learner.birth_year, learner.has_pin) == ("Bà Lò Thị Xuân", 1956, False)
    assert at.session_state["learner_id"] == learner.id
    assert t("lessons.heading", name="Bà Lò Thị Xuân") in texts(at)


@pytest.mark.parametrize(("name", "year", "pin", "key", "values"), [
    ("", "", "", "learner.name_empty", {}),
    ("<b>Bà Tư</b>", "", "", "learner.name_invalid", {"char": "<"}),
    ("Bà Tư", "56", "", "learner.year_invalid", {"last": __import__("datetime").date.today().year}),
    ("Bà Tư", "", "12", "learner.pin_invalid", {}),
])
def test_bad_input_is_explained_and_what_was_typed_is_kept(app, village: int, name, year, pin, key, values) -> None:
    at = app("learner", village_id=village)
    at.text_input(key="new_name").input(name)
    at.text_input(key="new_year").input(year)
    if pin:
        at.radio(key="new_secret").set_value("pin").run()
        at.text_input(key="new_pin").input(pin)
    button(at, t("learner.save")).click().run()
    assert [e.value for e in at.error] == [t(key, **values)]
    assert at.text_input(key="new_name").value == name and at.text_input(key="new_year").value == year
    assert community.list_learners(village) == [] and "learner_id" not in at.session_state


def test_a_database_that_cannot_write_says_so_and_keeps_what_was_typed(app, village: int, db: Path) -> None:
    """Another program holds the database's write lock longer than the 5-second busy timeout."""
    import sqlite3

    at = app("learner", village_id=village)
    holder = sqlite3.connect(db, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        at.text_input(key="new_name").input("Bà Lò Thị Xuân")
        button(at, t("learner.save")).click().run(timeout=30)
    finally:
        holder.rollback()
        holder.close()
    assert [e.value for e in at.error] == [t("error.database")]
    assert at.text_input(key="new_name").value == "Bà Lò Thị Xuân"
    button(at, t("learner.save")).click().run()  # once the lock is gone, the same tap works
    assert [p.name for p in community.list_learners(village)] == ["Bà Lò Thị Xuân"]


def test_a_tap_the_database_cannot_save_says_so_and_stays_on_the_step(app, village: int, db: Path) -> None:
    """Taps are handled in callbacks, before the page runs: a failure there is still a plain message."""
    import sqlite3

    person = services.add_learner(village, "Bà Lò Thị Xuân")
    at = app("lesson", query={"lesson": "test-unlock"}, village_id=village, learner_id=person.id,
             learner_uid=person.uid)
    holder = sqlite3.connect(db, timeout=0)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        button(at, t("lesson.next")).click().run(timeout=30)
    finally:
        holder.rollback()
        holder.close()
    assert [e.value for e in at.error] == [t("error.database")] and not at.exception
    assert learning.progress_for(person.id) == {}  # nothing claimed as saved
    button(at, t("lesson.next")).click().run()  # once the lock is gone, the same tap works
    assert learning.progress_for(person.id)["test-unlock"].position == 1


def test_an_html_name_is_never_rendered_as_html(app, village: int) -> None:
    community.add_learner(village, "Bà *Tư* [x](y) <i>", "ba tu", None, None)  # e.g. imported from elsewhere
    at = app("learner", village_id=village)
    [label] = [b.label for b in at.button if b.key and b.key.startswith("learner-")]
    assert label == r"Bà \*Tư\* \[x\]\(y\) \<i\>"


def test_a_learner_with_a_pin_must_type_it(app, village: int) -> None:
    person = services.add_learner(village, "Ông Hai", pin="2468")
    at = app("learner", village_id=village)
    at.button(key=f"learner-{person.id}").click().run()
    assert t("learner.pin_ask", name="Ông Hai") in texts(at)
    at.text_input(key="pin_value").input("1111")
    button(at, t("learner.pin_enter")).click().run()
    assert [e.value for e in at.error] == [t("learner.pin_wrong")]
    assert "learner_id" not in at.session_state
    at.text_input(key="pin_value").input("2468")
    button(at, t("learner.pin_enter")).click().run()
    assert at.session_state["learner_id"] == person.id
    assert t("lessons.heading", name="Ông Hai") in texts(at)


def test_too_many_wrong_pins_lock_the_learner_even_in_a_new_session(app, village: int) -> None:
    person = services.add_learner(village, "Ông Hai", pin="2468")
    at = app("learner", village_id=village)
    at.button(key=f"learner-{person.id}").click().run()
    for _ in range(services.MAX_PIN_TRIES):
        at.text_input(key="pin_value").input("0000")
        button(at, t("learner.pin_enter")).click().run()
    assert [e.value for e in at.error] == [t("learner.pin_locked", minutes=15)]
    # "Quay lại", a new browser session, even the right PIN: still locked for now
    again = app("learner", village_id=village)
    again.button(key=f"learner-{person.id}").click().run()
    again.text_input(key="pin_value").input("2468")
    button(again, t("learner.pin_enter")).click().run()
    assert [e.value for e in again.error] == [t("learner.pin_locked", minutes=15)]
    assert "learner_id" not in again.session_state


def test_a_stale_or_reused_learner_id_never_writes_into_someone_else(app, village: int) -> None:
    person = services.add_learner(village, "Bà Một")
    # the session remembers learner 1 of an earlier database; today learner 1 is somebody else
    at = app("lesson", query={"lesson": "test-unlock"}, village_id=village, learner_id=person.id,
             learner_uid="uid-of-someone-from-before")
    assert not at.exception
    assert t("learner.heading") in texts(at) and "learner_id" not in at.session_state
    assert learning.progress_for(person.id) == {}


def test_search_finds_names_without_diacritics(app, village: int) -> None:
    for i, name in enumerate(["Bà Lò Thị Xuân", "Ông Đào Văn An", "Chị Hà", "Anh Tú", "Bà Năm", "Ông Sáu",
                              "Chị Bảy", "Anh Tám"]):
        services.add_learner(village, name, str(1950 + i))
    at = app("learner", village_id=village)
    at.text_input(key="learner_search").input("dao van").run()
    shown = [b.label for b in at.button if b.key and b.key.startswith("learner-")]
    assert shown == [r"Ông Đào Văn An · " + t("learner.year_badge", year=1951)]


def test_lessons_page_shows_topics_and_opens_a_lesson_from_one(app, village: int, catalog) -> None:
    person = services.add_learner(village, "Bà Một")
    services.go_to(person.id, catalog.get("test-unlock"), 3)
    at = app("lessons", village_id=village, learner_id=person.id)
    assert not at.exception
    assert [b.label for b in at.button if b.key and b.key.startswith("topic-")] == [t("topic.smartphone"),
                                                                                   t("topic.scams")]
    assert at.button(key="open-test-unlock").label == f"{t('home.go_on.resume')}: Mở khóa máy"
    at.button(key="topic-scams").click().run()
    assert at.button(key="open-test-sms").label == f"Tin nhắn lạ · {t('home.lesson.new')}"
    at.button(key="open-test-sms").click().run()
    assert at.query_params["lesson"] == ["test-sms"] or at.query_params["lesson"] == "test-sms"
    assert "Tin nhắn có đường link" in texts(at)


def test_lesson_page_needs_a_learner(app) -> None:
    at = app("lesson", query={"lesson": "test-unlock"})
    assert [w.value for w in at.warning] == [t("lesson.sign_in_first")]
    assert at.session_state["pending_lesson"] == "test-unlock"


def test_a_lesson_link_opened_before_signing_in_opens_after_it(app, village: int) -> None:
    person = services.add_learner(village, "Bà Một")
    at = app("lesson", query={"lesson": "test-sms"})
    button(at, t("lesson.sign_in")).click().run()
    assert t("village.heading") in texts(at)
    # AppTest starts each run on the page it was pointed at, so follow the app's page switches by hand
    at.switch_page("views/village.py").run().button(key=f"village-{village}").click().run()
    assert t("learner.heading") in texts(at)
    at.switch_page("views/learner.py").run().button(key=f"learner-{person.id}").click().run()
    assert "Tin nhắn có đường link" in headings(at)


def test_unknown_lesson_id_in_the_url_is_explained(app, village: int) -> None:
    person = services.add_learner(village, "Bà Một")
    at = app("lesson", query={"lesson": "<script>x</script>"}, village_id=village, learner_id=person.id)
    assert [e.value for e in at.error] == [t("lesson.not_found")]


def test_taking_a_whole_lesson(app, village: int, catalog) -> None:
    person = services.add_learner(village, "Bà Một")
    lesson = catalog.get("test-unlock")
    at = app("lesson", query={"lesson": "test-unlock"}, village_id=village, learner_id=person.id)
    assert not at.exception
    assert "Nút nguồn" in headings(at)
    assert any("Giữ nút nguồn ba giây." in m.value for m in at.markdown)
    assert at.button(key="back-0").disabled
    at.button(key="next-0").click().run()
    # question: Next waits for an answer
    assert at.button(key="next-1").disabled
    at.button(key="option-1-1").click().run()  # wrong on purpose
    assert [e.value for e in at.error] == [
        f"{plain(lesson.questions[0].wrong)}\n\n{t('lesson.correct_was', answer='Nút nguồn')}"]
    assert at.button(key="option-1-0").disabled
    at.button(key="next-1").click().run()
    at.button(key="next-2").click().run()
    at.button(key="option-3-0").click().run()
    assert [s.value for s in at.success] == [plain(lesson.questions[1].right)]
    at.button(key="next-3").click().run()
    at.button(key="next-4").click().run()
    at.button(key="option-5-1").click().run()
    assert at.button(key="next-5").label == t("lesson.next")  # the wrong answer comes back first
    at.button(key="next-5").click().run()
    assert t("lesson.retry_progress", current=1, total=1) in texts(at)
    at.button(key="option-6-0").click().run()
    assert [s.value for s in at.success] == [plain(lesson.questions[0].right)]
    assert at.button(key="next-6").label == t("lesson.finish")
    at.button(key="next-6").click().run()
    assert t("lesson.done_heading") in texts(at)
    assert (f"{t('lesson.done_first', score=2, asked=3)}\n\n{t('lesson.done_retried', score=3, asked=3)}"
            in texts(at))
    [download] = at.get("download_button")  # the steps to take home
    assert download.proto.label == t("handout.download")
    progress = learning.progress_for(person.id)["test-unlock"]
    assert progress.completed and learning.answer_count(person.id) == 4


def test_back_goes_to_the_previous_screen_and_a_reload_resumes(app, village: int) -> None:
    person = services.add_learner(village, "Bà Một")
    state = {"village_id": village, "learner_id": person.id}
    at = app("lesson", query={"lesson": "test-unlock"}, **state)
    at.button(key="next-0").click().run()
    at.button(key="option-1-0").click().run()
    at.button(key="next-1").click().run()
    at.button(key="back-2").click().run()
    assert at.button(key="option-1-0").disabled  # the answer given is still shown
    # a new browser session (the phone was switched off) opens where she left off
    again = app("lesson", query={"lesson": "test-unlock"}, **state)
    assert [s.value for s in again.success] and again.button(key="next-1")


def test_main_script_runs_with_real_content(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LEARN_HOME", str(tmp_path))
    monkeypatch.delenv("LEARN_CONTENT_DIR", raising=False)
    clear_caches()
    at = AppTest.from_file(MAIN, default_timeout=20).run()  # not `app`: the app makes its own database here
    assert not at.exception and t("village.none") in texts(at)
    clear_caches()
