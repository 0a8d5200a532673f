"""Use cases behind the pages: names, PINs, the lesson player and the lesson list."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from learn import secrets as hashing
from learn import services
from learn.errors import InvalidInput, NotFound, WrongPin
from learn.lessons.catalog import Catalog
from progress_db import learning, records

pytestmark = pytest.mark.both_engines


@pytest.mark.parametrize(("raw", "clean"), [
    ("  Bà   Lò Thị  Xuân ", "Bà Lò Thị Xuân"),
    ("O\u0302ng Ha\u0300", "Ông Hà"),  # typed with combining marks, stored as NFC
    ("Ông Vàng A Sử (bản trên)", "Ông Vàng A Sử (bản trên)"),
    ("H'Hen Niê", "H'Hen Niê"),
])
def test_names_are_tidied(raw: str, clean: str) -> None:
    assert services.clean_name(raw) == clean


@pytest.mark.parametrize(("raw", "key"), [
    ("", "learner.name_empty"),
    ("   ", "learner.name_empty"),
    ("<b>Bà Tư</b>", "learner.name_invalid"),
    ("<script>alert(1)</script>", "learner.name_invalid"),
    ("**Bà Tư**", "learner.name_invalid"),
    ("[Bà Tư](http://x)", "learner.name_invalid"),
    ("A" * 61, "learner.name_too_long"),
])
def test_bad_names_are_refused_with_a_reason(raw: str, key: str) -> None:
    with pytest.raises(InvalidInput) as exc:
        services.clean_name(raw)
    assert exc.value.key == key


def test_birth_year_and_pin_rules() -> None:
    today = date(2026, 11, 27)
    assert services.clean_birth_year(" 1956 ", today) == 1956
    assert services.clean_birth_year("", today) is None
    for bad in ("56", "1899", "2027", "năm"):
        with pytest.raises(InvalidInput) as exc:
            services.clean_birth_year(bad, today)
        assert exc.value.key == "learner.year_invalid" and exc.value.values == {"last": 2026}
    assert services.clean_pin(" 0427 ") == "0427" and services.clean_pin("") is None
    for bad in ("123", "12345", "12a4"):
        with pytest.raises(InvalidInput):
            services.clean_pin(bad)


def test_pins_are_hashed_with_a_salt() -> None:
    one, two = services.hash_pin("1234"), services.hash_pin("1234")
    assert one != two and "1234" not in one and one.startswith("scrypt$")
    assert services.pin_matches("1234", one) and not services.pin_matches("1235", one)
    assert not services.pin_matches("1234", "garbage")


def test_a_hash_names_its_cost_and_the_default_one_is_hard(monkeypatch: pytest.MonkeyPatch) -> None:
    # what a real server hashes at: 16 MB and tens of ms a guess (the suite hashes its own at a lower cost)
    assert hashing.DEFAULT_COST == hashing.Cost(ln=14, r=8, p=1) and hashing.DEFAULT_COST.memory == 16 * 2**20
    monkeypatch.setattr(hashing, "COST", hashing.DEFAULT_COST)
    strong = services.hash_pin("2468")
    # at the default cost, the shape every release wrote (a laptop not yet updated reads and syncs it)
    _, salt_hex, digest = strong.split("$")
    assert digest == hashlib.scrypt(b"2468", salt=bytes.fromhex(salt_hex), n=2**14, r=8, p=1).hex()
    assert services.pin_matches("2468", strong) and not services.pin_matches("2469", strong)
    # at another cost, the hash names it and is checked at it
    harder = hashlib.scrypt(b"2468", salt=bytes.fromhex(salt_hex), n=2**15, r=8, p=1, maxmem=2**26).hex()
    named = f"scrypt$ln=15,r=8,p=1${salt_hex}${harder}"
    assert services.pin_matches("2468", named) and not services.pin_matches("2468", named.replace("ln=15", "ln=14"))
    # a damaged or hostile row naming a huge, costly or odd cost never matches, and computes nothing
    for cost in ("ln=30,r=8,p=1", "ln=14,r=8,p=9", "ln=13,r=32,p=4", "ln=15,r=8,p=4", "ln=14,r=8",
                 "ln=14,r=8,p=1,x=2", "n=16384,r=8,p=1", "ln=a,r=8,p=1"):
        assert not services.pin_matches("2468", f"scrypt${cost}${salt_hex}${digest}"), cost


def test_add_learner_refuses_a_duplicate_but_not_a_namesake_of_another_year(village: int) -> None:
    services.add_learner(village, "Bà Lò Thị Xuân", "1956")
    with pytest.raises(InvalidInput) as exc:
        services.add_learner(village, "ba lo thi xuan", "1956")
    assert exc.value.key == "learner.duplicate"
    services.add_learner(village, "Bà Lò Thị Xuân", "1990")
    assert len(services.learners(village)) == 2


def test_add_learner_to_a_missing_village(db) -> None:
    with pytest.raises(NotFound):
        services.add_learner(12345, "Bà Tư")


def test_sign_in_with_and_without_pin(village: int) -> None:
    locked = services.add_learner(village, "Ông Hai", pin="2468")
    open_ = services.add_learner(village, "Bà Ba")
    assert services.sign_in_resident(open_.id).id == open_.id
    assert services.sign_in_resident(locked.id, "2468").id == locked.id
    for wrong in ("1111", "", None):
        with pytest.raises(WrongPin):
            services.sign_in_resident(locked.id, wrong)
    with pytest.raises(NotFound):
        services.sign_in_resident(99999)


def test_player_walks_a_lesson_and_resumes_where_it_was_left(village: int, catalog: Catalog) -> None:
    learner = services.add_learner(village, "Bà Một")
    lesson = services.lesson(catalog, "test-unlock")
    view = services.player_view(learner.id, lesson)
    assert (view.position, view.total, view.screen.question, view.can_go_on) == (0, 6, None, True)
    view = services.go_to(learner.id, lesson, 1)
    assert view.screen.question.id == "q1" and not view.can_go_on  # answer first
    view = services.answer(learner.id, lesson, 1, 1)  # wrong
    assert view.answer == records.AnswerInfo("q1", 1, False, "tap") and view.can_go_on
    again = services.answer(learner.id, lesson, 1, 0)  # a second tap changes nothing
    assert again.answer == view.answer and learning.answer_count(learner.id) == 1
    # a new session (another phone, next week) opens exactly here, with the feedback still shown
    resumed = services.player_view(learner.id, lesson)
    assert (resumed.position, resumed.answer) == (1, view.answer)
    services.go_to(learner.id, lesson, 3)
    stale = services.answer(learner.id, lesson, 1, 0)  # a click from an old screen
    assert stale.position == 3 and learning.answer_count(learner.id) == 1
    view = services.answer(learner.id, lesson, 3, 0, mode="voice")
    assert view.answer.correct and view.answer.mode == "voice"
    # past the last screen, the question answered wrong comes back, once
    again = services.go_to(learner.id, lesson, 6)
    assert (again.retry, again.screen.question.id, again.answer, again.can_go_on) == (0, "q1", None, False)
    assert not learning.progress_for(learner.id)["test-unlock"].completed
    again = services.answer(learner.id, lesson, 6, 0)
    assert again.answer.correct and again.answer.retry and again.can_go_on
    done = services.go_to(learner.id, lesson, 7)
    assert done.finished and (done.first_score, done.score, done.asked) == (1, 2, 3)
    assert learning.progress_for(learner.id)["test-unlock"].completed


def test_invalid_option_and_unknown_lesson(village: int, catalog: Catalog) -> None:
    learner = services.add_learner(village, "Bà Một")
    lesson = services.lesson(catalog, "test-unlock")
    services.go_to(learner.id, lesson, 1)
    with pytest.raises(InvalidInput):
        services.answer(learner.id, lesson, 1, 7)
    assert learning.answer_count(learner.id) == 0
    with pytest.raises(NotFound) as exc:
        services.lesson(catalog, "../../etc/passwd")
    assert exc.value.key == "lesson.not_found"


def test_a_lesson_that_lost_screens_resumes_on_its_last_screen(village: int, catalog: Catalog) -> None:
    learner = services.add_learner(village, "Bà Một")
    lesson = services.lesson(catalog, "test-unlock")
    learning.save_position(learner.id, lesson.id, len(lesson.screens), len(lesson.screens) + 3)
    view = services.player_view(learner.id, lesson)
    assert not view.finished and view.position == len(lesson.screens) - 1


def test_pin_lock_is_kept_per_learner_and_lifts_after_a_while(village: int) -> None:
    from datetime import timedelta

    from learn.errors import PinLocked
    from progress_db.models import utcnow

    person = services.add_learner(village, "Ông Hai", pin="2468")
    for _ in range(services.MAX_PIN_TRIES - 1):
        with pytest.raises(WrongPin):
            services.sign_in_resident(person.id, "0000")
    with pytest.raises(PinLocked) as exc:
        services.sign_in_resident(person.id, "0000")
    assert exc.value.values == {"minutes": 15}
    with pytest.raises(PinLocked):
        services.sign_in_resident(person.id, "2468")  # even the right PIN, for now
    later = utcnow() + timedelta(minutes=16)
    assert services.sign_in_resident(person.id, "2468", now=later).id == person.id
    with pytest.raises(WrongPin):  # the count started again
        services.sign_in_resident(person.id, "1111")


def test_positions_are_clamped(village: int, catalog: Catalog) -> None:
    learner = services.add_learner(village, "Bà Một")
    lesson = services.lesson(catalog, "test-unlock")
    assert services.go_to(learner.id, lesson, -3).position == 0
    assert services.go_to(learner.id, lesson, 99).finished


def test_lesson_cards_show_progress_by_topic(village: int, catalog: Catalog) -> None:
    learner = services.add_learner(village, "Bà Một")
    unlock, sms = services.lesson(catalog, "test-unlock"), services.lesson(catalog, "test-sms")

    def statuses() -> dict[str, tuple[str, int]]:
        return {c.lesson.id: (c.status, c.percent) for _, cards in services.lesson_cards(catalog, learner.id)
                for c in cards}

    assert [t for t, _ in services.lesson_cards(catalog, learner.id)] == ["smartphone", "scams"]
    assert statuses() == {"test-unlock": ("new", 0), "test-sms": ("new", 0)}
    services.go_to(learner.id, unlock, 3)
    assert statuses()["test-unlock"] == ("started", 50)
    services.go_to(learner.id, sms, len(sms.screens))
    assert statuses()["test-sms"] == ("done", 100)
    view = services.restart(learner.id, sms)
    assert view.position == 0 and view.answer is None
    assert statuses()["test-sms"] == ("done", 100)  # taking it again does not undo the first completion
