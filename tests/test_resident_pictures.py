"""Pictures for people who cannot read (issue 16), kept in the database: each resident's and village's picture,
picture passwords (hashed like PINs, locked by the same policy), a trainer's reset (logged, and she may then choose
her own), and the migration that gives residents and villages of an older database their pictures."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from peewee import Database, SqliteDatabase

from learn import services
from learn.errors import Forbidden, InvalidInput, PinLocked, WrongPin
from learn.lessons.catalog import Catalog
from learn.pictures import PEOPLE, person_picture
from learn.services import accounts, care, lockout, people
from learn.services import picture_passwords as pictures
from progress_db import community, migrations
from progress_db.db import connect, database, open_db
from progress_db.models import Learner, utcnow
from progress_db.records import AccountInfo
from tests.conftest import CONTENT
from tests.support import pg_cluster
from tests.support.apptest import PASSWORD
from tests.support.old_schema import build_at

pytestmark = pytest.mark.both_engines

BUFFALO_BANANA_RICE = ("buffalo", "banana", "rice")


@pytest.fixture
def stranger_trainer(village: int) -> AccountInfo:
    """A trainer of another commune."""
    community.get_or_create_commune("Xã Khác")
    return accounts.create_account("hung", "Anh Hùng", PASSWORD, "trainer", "Xã Khác")


@pytest.fixture
def blank_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Database, str]]:
    """An empty database of the engine under test that nothing has touched, and its URL."""
    if backend == "sqlite":
        yield SqliteDatabase(str(tmp_path / "old.sqlite3")), f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"old_{os.getpid()}_{id(request)}"
    pg_cluster.create_database(server, name)
    url = pg_cluster.with_database(server, name)
    handle = connect(url)
    yield handle, url
    handle.close_all()
    pg_cluster.drop_database(server, name)


def test_a_picture_password_is_stored_hashed_and_signs_her_in(village: int) -> None:
    person = services.add_learner(village, "Bà Xuân", picture="kite", picture_password=list(BUFFALO_BANANA_RICE))
    assert (person.picture, person.has_pictures, person.has_pin) == ("kite", True, False)
    stored = community.pin_state(person.id).picture_password_hash  # type: ignore[union-attr]
    assert stored and stored.startswith("scrypt$") and not any(p in stored for p in BUFFALO_BANANA_RICE)
    again = services.add_learner(village, "Bà Xuân Khác", picture_password=list(BUFFALO_BANANA_RICE))
    assert community.pin_state(again.id).picture_password_hash != stored  # type: ignore[union-attr]  # salted
    assert services.sign_in_resident(person.id, BUFFALO_BANANA_RICE).id == person.id
    for wrong in (("banana", "buffalo", "rice"), ("buffalo", "banana"), "1234", None):
        with pytest.raises(WrongPin) as caught:
            services.sign_in_resident(person.id, wrong)
        assert caught.value.key == "learner.pictures_wrong"


@pytest.mark.parametrize(("pin", "chosen", "key"), [
    (None, ["buffalo", "banana"], "pictures.invalid"),
    (None, ["buffalo", "banana", "kite"], "pictures.invalid"),  # the kite is not on the password grid
    (None, [], "pictures.invalid"),
    ("1234", list(BUFFALO_BANANA_RICE), "pictures.not_both"),
])
def test_a_bad_picture_password_is_refused_and_nothing_is_added(village: int, pin, chosen, key) -> None:
    with pytest.raises(InvalidInput) as caught:
        services.add_learner(village, "Bà Xuân", pin=pin, picture_password=chosen)
    assert caught.value.key == key and community.list_learners(village) == []


def test_neighbours_get_different_pictures_and_a_chosen_one_is_kept(village: int) -> None:
    chosen = services.add_learner(village, "Bà Một", picture="teapot")
    others = [services.add_learner(village, f"Người {i}") for i in range(5)]
    assert chosen.picture == "teapot"
    assert len({p.picture for p in [chosen, *others]}) == 6 and all(p.picture in PEOPLE for p in others)
    with pytest.raises(InvalidInput):
        services.add_learner(village, "Bà Hai", picture="dragon")
    # residents added without one (an older release, a sync) are given one when the list is read, and keep it
    bare = community.add_learner(village, "Ông Cũ", "ong cu", None, None)
    assert bare.picture is None
    listed = {p.id: p.picture for p in services.learners(village)}
    assert listed[bare.id] in PEOPLE and listed[bare.id] not in {p.picture for p in [chosen, *others]}
    assert {p.id: p.picture for p in services.learners(village)} == listed
    found = community.get_learner(bare.id)
    assert found is not None and pictures.learner_picture(found) == person_picture(listed[bare.id])


def test_villages_of_a_commune_get_different_pictures(village: int) -> None:
    commune = community.get_or_create_commune("Xã Thử")
    for name in ("Thôn Hai", "Thôn Ba", "Bản Bốn"):
        community.get_or_create_village(commune, name)
    shown = [v for v in services.villages() if v.commune_id == commune]
    assert len(shown) == 4 and len({v.picture for v in shown}) == 4 and all(v.picture in PEOPLE for v in shown)
    assert [v.picture for v in services.villages() if v.commune_id == commune] == [v.picture for v in shown]


def test_a_patient_guesser_with_many_phones_stops_at_sixty_a_day(village: int, mai) -> None:
    """The 15-minute ceiling (20 from all phones) renews all day: 1,920 guesses, more than the 1,728 picture
    passwords. Phones she never got in from get 60 a day together; her own phone still gets in; her trainer's
    reset lifts it."""
    person = services.add_learner(village, "Bà Xuân", picture_password=list(BUFFALO_BANANA_RICE))
    assert services.sign_in_resident(person.id, BUFFALO_BANANA_RICE, client="10.0.0.2").id == person.id  # hers
    start, said = utcnow(), []
    for window in range(4):  # four quarter-hours, 15 guesses each from three phones of five tries
        when = start + window * (lockout.PINS.period + timedelta(seconds=1))
        for n in range(15):
            try:
                services.sign_in_resident(person.id, ("dog", "dog", "dog"), client=f"10.1.{window}.{n // 5}",
                                          now=when)
            except (WrongPin, PinLocked) as exc:
                said.append(exc.values.get("minutes"))
    assert len(said) == 60 and said[:59].count(15) == 11  # each phone told "15 minutes" at its 5th wrong try
    assert said[-1] > 60 * 23  # and the 60th of all: locked for most of a day
    with pytest.raises(PinLocked) as caught:  # a new phone, in a new quarter-hour: refused unchecked
        services.sign_in_resident(person.id, ("cat", "cat", "cat"), client="10.1.9.1",
                                  now=start + 4 * (lockout.PINS.period + timedelta(seconds=1)))
    assert caught.value.values["minutes"] > 60 * 22
    later = start + timedelta(hours=2)
    with pytest.raises(PinLocked):  # even the right pictures, from a phone she never used
        services.sign_in_resident(person.id, BUFFALO_BANANA_RICE, client="10.2.0.1", now=later)
    assert services.sign_in_resident(person.id, BUFFALO_BANANA_RICE, client="10.0.0.2", now=later).id == person.id
    assert services.sign_in_resident(person.id, BUFFALO_BANANA_RICE, client="10.2.0.1",
                                     now=start + timedelta(days=1, hours=2)).id == person.id  # a day later
    for n in range(60):
        lockout.begin(lockout.PINS, f"learner:{person.id}", f"10.3.{n // 5}.1", later)
    care.reset_pin(mai, person.id, None, list(BUFFALO_BANANA_RICE))
    assert services.sign_in_resident(person.id, BUFFALO_BANANA_RICE, client="10.2.0.1", now=later).id == person.id


def test_wrong_pictures_and_wrong_pins_count_as_one_lock(village: int) -> None:
    person = services.add_learner(village, "Bà Xuân", picture_password=list(BUFFALO_BANANA_RICE))
    for _ in range(lockout.PINS.per_client - 1):
        with pytest.raises(WrongPin):
            services.sign_in_resident(person.id, ("dog", "dog", "dog"), client="10.0.0.9")
    with pytest.raises(PinLocked) as caught:  # the 5th wrong try says how long
        services.sign_in_resident(person.id, "0000", client="10.0.0.9")
    assert caught.value.values == {"minutes": 15}
    with pytest.raises(PinLocked):  # even the right pictures, from that phone, for now
        services.sign_in_resident(person.id, BUFFALO_BANANA_RICE, client="10.0.0.9")
    assert lockout.tries(lockout.PINS, f"learner:{person.id}")["10.0.0.9"] == 6
    # another phone, and her own phone behind the same address (a shared hotspot), still get in
    assert services.sign_in_resident(person.id, BUFFALO_BANANA_RICE, client="10.0.0.7").id == person.id
    assert services.sign_in_resident(person.id, BUFFALO_BANANA_RICE, client="10.0.0.9", own_device=True).id \
        == person.id
    later = utcnow() + lockout.PINS.period + timedelta(seconds=1)  # and the lock is short
    assert services.sign_in_resident(person.id, BUFFALO_BANANA_RICE, client="10.0.0.9", now=later).id == person.id


def test_her_own_device_is_not_locked_by_guesses_made_elsewhere(village: int) -> None:
    person = services.add_learner(village, "Bà Xuân", pin="2468")
    assert services.sign_in_resident(person.id, "2468", own_device=True).id == person.id  # she got in there before
    for n in range(lockout.PINS.per_subject + 5):  # a flood from many addresses reaches the ceiling for her name
        with pytest.raises((WrongPin, PinLocked)):
            services.sign_in_resident(person.id, "0000", client=f"10.1.{n // 4}.{n % 4}")
    with pytest.raises(PinLocked):  # a new phone now waits
        services.sign_in_resident(person.id, "2468", client="10.9.9.9")
    assert services.sign_in_resident(person.id, "2468", client="10.1.0.0", own_device=True).id == person.id


def test_a_cleared_secret_can_be_claimed_only_soon_after_the_reset(mai, village: int) -> None:
    """A stranger who finds her name open days after a reset cannot put his own pictures on it and lock her out."""
    person = services.add_learner(village, "Bà Xuân", picture_password=list(BUFFALO_BANANA_RICE))
    care.reset_pin(mai, person.id, None)
    Learner.update(secret_reset_at=utcnow() - community.RESET_CLAIM - timedelta(minutes=1)).where(
        Learner.id == person.id).execute()
    assert not community.get_learner(person.id).reset_pending  # type: ignore[union-attr]
    with pytest.raises(InvalidInput) as caught:
        people.set_own_secret(person.id, picture_password=["dog", "dog", "dog"])
    assert caught.value.key == "pictures.no_reset"
    care.reset_pin(mai, person.id, None)  # her trainer clears it again, beside her: she may choose now
    people.set_own_secret(person.id, picture_password=["fish", "fish", "cat"])
    assert services.sign_in_resident(person.id, ("fish", "fish", "cat")).id == person.id


def test_a_trainer_resets_it_the_reset_is_logged_and_she_chooses_a_new_one(mai, stranger_trainer, village: int) -> None:
    person = services.add_learner(village, "Bà Xuân", picture_password=list(BUFFALO_BANANA_RICE))
    for _ in range(lockout.PINS.per_client):
        with pytest.raises((WrongPin, PinLocked)):
            services.sign_in_resident(person.id, ("dog", "dog", "dog"))
    with pytest.raises(Forbidden):  # another commune's trainer cannot
        care.reset_pin(stranger_trainer, person.id, None)
    before = utcnow()
    care.reset_pin(mai, person.id, None)
    after = community.get_learner(person.id)
    assert after is not None and (after.has_pin, after.has_pictures, after.reset_pending) == (False, False, True)
    assert services.sign_in_resident(person.id).id == person.id  # in by her name, lock gone
    last = care.report(mai, Catalog.load(CONTENT), person.id).last_reset
    assert last is not None and last.by == mai.name and before - timedelta(seconds=1) <= last.at <= utcnow()
    # she chooses new pictures herself, once: nobody can put a password on her name afterwards
    people.set_own_secret(person.id, picture_password=["fish", "fish", "cat"])
    assert services.sign_in_resident(person.id, ("fish", "fish", "cat")).id == person.id
    with pytest.raises(InvalidInput) as caught:
        people.set_own_secret(person.id, picture_password=["dog", "dog", "dog"])
    assert caught.value.key == "pictures.no_reset"
    # a trainer can also give her a new picture password (or PIN) directly: nothing is then pending
    care.reset_pin(mai, person.id, None, ["pig", "corn", "mango"])
    assert not community.get_learner(person.id).reset_pending  # type: ignore[union-attr]
    assert services.sign_in_resident(person.id, ("pig", "corn", "mango")).id == person.id
    assert [e.action for e in care.report(mai, Catalog.load(CONTENT), person.id).history] == ["pin_reset"] * 2


def test_skipping_a_new_password_after_a_reset_leaves_none_and_asks_no_more(mai, village: int) -> None:
    person = services.add_learner(village, "Ông Hai", pin="2468")
    care.reset_pin(mai, person.id, None)
    people.set_own_secret(person.id)
    found = community.get_learner(person.id)
    assert found is not None and (found.has_pin, found.has_pictures, found.reset_pending) == (False, False, False)


def test_an_older_database_gets_pictures_for_its_residents_and_villages(blank_database) -> None:
    old, url = blank_database
    build_at(old, 15)
    with old.connection_context():
        for statement in (
                "INSERT INTO commune (uid, name, created_at) VALUES ('c1', 'Xã Cũ', '2026-11-01'),"
                " ('c2', 'Xã Khác', '2026-11-01')",
                "INSERT INTO village (uid, commune_id, name, created_at, join_code, join_failures) VALUES"
                " ('v1', 1, 'Thôn Một', '2026-11-01', '123456', 0), ('v2', 1, 'Thôn Hai', '2026-11-01', '123457', 0),"
                " ('v3', 2, 'Thôn Ba', '2026-11-01', '123458', 0)",
                "INSERT INTO learner (uid, village_id, display_name, name_key, created_at, updated_at, pin_failures,"
                " pin_hash) VALUES ('u1', 1, 'Bà Một', 'ba mot', '2026-11-01', '2026-11-01', 0, NULL),"
                " ('u2', 1, 'Ông Hai', 'ong hai', '2026-11-01', '2026-11-01', 0, '" + people.hash_pin("1357") + "'),"
                " ('u3', 1, 'Chị Ba', 'chi ba', '2026-11-01', '2026-11-01', 0, NULL),"
                " ('u4', 2, 'Anh Bốn', 'anh bon', '2026-11-01', '2026-11-01', 0, NULL)"):
            old.execute_sql(statement)
    old.close_all() if hasattr(old, "close_all") else old.close()

    assert 16 in {m.version for m in migrations.migrate(connect(url))}
    open_db(url)
    try:
        one = community.list_learners(1)
        assert len({p.picture for p in one}) == 3 and all(p.picture in PEOPLE for p in one)
        assert community.list_learners(2)[0].picture in PEOPLE
        in_commune = [community.get_village(1), community.get_village(2)]
        assert in_commune[0].picture != in_commune[1].picture  # type: ignore[union-attr]
        assert community.get_village(3).picture in PEOPLE  # type: ignore[union-attr]
        two = next(p for p in one if p.name == "Ông Hai")
        assert (two.has_pin, two.has_pictures, two.reset_pending) == (True, False, False)
        assert services.sign_in_resident(two.id, "1357").id == two.id  # her PIN still works
        with database.connection_context():
            assert Learner.select().where(Learner.picture_password_hash.is_null(False)).count() == 0
    finally:
        database.obj.close_all() if hasattr(database.obj, "close_all") else database.obj.close()
        database.initialize(None)
