"""The village and name screens with pictures (issue 16), driven through AppTest: a resident adds herself with her
picture and a picture password, signs in by tapping 3 pictures, hears and reads why a wrong sequence failed, is
locked after 5; a trainer resets it from her page (recorded, shown), and she gets in by her name."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from learn import services
from learn.lessons.catalog import Catalog
from learn.pictures import PASSWORD_GRID, PEOPLE
from learn.services import care, lockout
from learn.strings_vi import t
from learn.voice.narrator import AudioCache, Narrator
from learn.voice.tts import EspeakEngine
from progress_db import community
from tests.conftest import CONTENT
from tests.support.apptest import button, texts

SECRET = ("buffalo", "banana", "rice")


@pytest.fixture
def app(app: Callable[..., AppTest], village: int) -> Callable[..., AppTest]:
    """The ``app`` of tests/conftest.py, in a database that has the test village."""
    return app


def tap_pictures(at: AppTest, sequence: tuple[str, ...], prefix: str = "pw-") -> AppTest:
    for picture in sequence:
        at.button(key=f"{prefix}{picture}").click().run()
    return at


def test_villages_and_names_are_picture_tiles_with_a_speaker_each(app, village: int, db: Path, monkeypatch) -> None:
    monkeypatch.setenv("LEARN_TTS", "espeak")
    one = services.add_learner(village, "Bà Một")
    two = services.add_learner(village, "Ông Hai")
    at = app(timeout=30)
    assert not at.exception
    [shown] = [v for v in services.villages() if v.id == village]
    assert shown.picture in PEOPLE
    assert at.button(key=f"say-village-{village}") is not None
    at.button(key=f"village-{village}").click().run()
    assert at.session_state["village_id"] == village and t("learner.heading") in texts(at)
    assert {one.picture, two.picture} <= set(PEOPLE) and one.picture != two.picture
    for person in (one, two):
        assert at.button(key=f"learner-{person.id}").label == person.name
        assert at.button(key=f"say-learner-{person.id}") is not None
    narrator = Narrator(AudioCache(db.parent / "audio"), [EspeakEngine()])
    assert narrator.cached(t("learner.voice")) is not None  # the screen says what it is and what to tap
    assert narrator.cached(two.name) is None
    at.button(key=f"say-learner-{two.id}").click().run()  # the speaker says her name through the screen's player
    assert narrator.cached(two.name) is not None


def test_adding_herself_with_a_picture_and_a_picture_password(app, village: int) -> None:
    services.add_learner(village, "Bà Một")
    at = app("learner", village_id=village)
    at.button(key="add-learner").click().run()
    suggested = at.session_state["new_picture"]
    assert suggested in PEOPLE and suggested != community.list_learners(village)[0].picture  # a free one first
    at.text_input(key="new_name").input("Bà Lò Thị Xuân")
    at.button(key="pick-kite").click().run()
    assert at.session_state["new_picture"] == "kite"
    at.radio(key="new_secret").set_value("pictures").run()
    assert [b.key for b in at.button if b.key and b.key.startswith("npw-")] == [f"npw-{p}" for p in PASSWORD_GRID]
    tap_pictures(at, ("buffalo", "dog"), prefix="npw-")
    at.button(key="undo-new").click().run()  # the dog was a slip
    tap_pictures(at, ("banana", "rice"), prefix="npw-")
    button(at, t("learner.save")).click().run()
    assert not at.exception
    added = next(p for p in community.list_learners(village) if p.name == "Bà Lò Thị Xuân")
    assert (added.picture, added.has_pictures, added.has_pin) == ("kite", True, False)
    assert at.session_state["learner_id"] == added.id
    assert services.sign_in_resident(added.id, SECRET).id == added.id


def test_too_few_pictures_are_explained_and_nothing_is_added(app, village: int) -> None:
    at = app("learner", village_id=village)
    at.text_input(key="new_name").input("Bà Lò Thị Xuân")
    at.radio(key="new_secret").set_value("pictures").run()
    tap_pictures(at, ("buffalo",), prefix="npw-")
    button(at, t("learner.save")).click().run()
    assert [e.value for e in at.error] == [t("pictures.invalid", count=3)]
    assert community.list_learners(village) == [] and at.text_input(key="new_name").value == "Bà Lò Thị Xuân"


def test_signing_in_with_pictures_a_wrong_sequence_is_said_and_counted(app, village: int, db: Path,
                                                                      monkeypatch) -> None:
    monkeypatch.setenv("LEARN_TTS", "espeak")
    person = services.add_learner(village, "Bà Xuân", picture_password=list(SECRET))
    at = app("learner", timeout=30, village_id=village)
    at.button(key=f"learner-{person.id}").click().run()
    assert t("learner.pictures_ask") in texts(at)
    assert [b.key for b in at.button if b.key and b.key.startswith("pw-")] == [f"pw-{p}" for p in PASSWORD_GRID]
    tap_pictures(at, ("buffalo", "banana", "dog"))
    assert [e.value for e in at.error] == [t("learner.pictures_wrong")]  # written
    narrator = Narrator(AudioCache(db.parent / "audio"), [EspeakEngine()])
    assert narrator.cached(t("learner.pictures_wrong")) is not None  # and spoken
    assert "learner_id" not in at.session_state
    assert lockout.tries(lockout.PINS, f"learner:{person.id}")["unknown"] == 1
    tap_pictures(at, SECRET)
    assert at.session_state["learner_id"] == person.id


def test_five_wrong_sequences_lock_even_the_right_one_for_now(app, village: int) -> None:
    person = services.add_learner(village, "Bà Xuân", picture_password=list(SECRET))
    at = app("learner", village_id=village)
    at.button(key=f"learner-{person.id}").click().run()
    for _ in range(lockout.PINS.per_client):
        tap_pictures(at, ("dog", "dog", "dog"))
    assert [e.value for e in at.error] == [t("learner.pin_locked", minutes=15)]
    tap_pictures(at, SECRET)
    assert [e.value for e in at.error] == [t("learner.pin_locked", minutes=15)]
    assert "learner_id" not in at.session_state


def test_a_trainer_resets_it_from_her_page_and_she_gets_in_by_her_name(app, mai, village: int) -> None:
    person = services.add_learner(village, "Bà Xuân", picture_password=list(SECRET))
    locked = app("learner", village_id=village)
    locked.button(key=f"learner-{person.id}").click().run()
    for _ in range(lockout.PINS.per_client):
        tap_pictures(locked, ("dog", "dog", "dog"))

    page = app("resident", {"learner": str(person.id)}, account=mai)
    assert t("resident.has_pictures") in texts(page)
    button(page, t("resident.pin_save")).click().run()  # no new PIN typed: cleared
    assert [s.value for s in page.success] == [t("resident.pin_done", name="Bà Xuân")]
    [entry] = care.report(mai, Catalog.load(CONTENT), person.id).history
    assert t("resident.reset_line", by=mai.name, when=_clock(entry.at)) in texts(page)

    she = app("learner", village_id=village)
    she.button(key=f"learner-{person.id}").click().run()
    assert t("learner.renew_heading", name="Bà Xuân") in texts(she)
    she.button(key="renew-skip").click().run()
    assert she.session_state["learner_id"] == person.id
    assert not community.get_learner(person.id).reset_pending  # type: ignore[union-attr]


def test_after_a_reset_she_chooses_new_pictures_herself(app, mai, village: int) -> None:
    person = services.add_learner(village, "Ông Hai", pin="2468")
    care.reset_pin(mai, person.id, None)
    at = app("learner", village_id=village)
    at.button(key=f"learner-{person.id}").click().run()
    assert at.button(key="renew-save").disabled
    tap_pictures(at, ("fish", "cat", "fish"), prefix="npw-")
    at.button(key="renew-save").click().run()
    assert at.session_state["learner_id"] == person.id
    assert services.sign_in_resident(person.id, ("fish", "cat", "fish")).id == person.id


def test_a_trainer_gives_her_a_picture_password_on_her_page(app, mai, village: int) -> None:
    person = services.add_learner(village, "Ông Hai")
    page = app("resident", {"learner": str(person.id)}, account=mai)
    assert page.button(key=f"rpw-save-{person.id}").disabled
    tap_pictures(page, ("pig", "corn", "pig"), prefix="rpw-")
    page.button(key=f"rpw-save-{person.id}").click().run()
    assert [s.value for s in page.success] == [t("resident.pictures_done", name="Ông Hai")]
    assert services.sign_in_resident(person.id, ("pig", "corn", "pig")).id == person.id


def _clock(at) -> str:
    from learn.services.reports import local_time
    return local_time(at).strftime("%H:%M %d/%m/%Y")
