"""Offline sync round trips between laptops and a server, on SQLite and on PostgreSQL: export, import twice, two
laptops with the same resident, and bundles that are damaged, truncated, unsigned or tampered with."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from peewee import Database

from learn import services
from learn.cli import cli
from learn.services import sync
from learn.services.sync import BundleRejected
from learn.strings_vi import STRINGS
from progress_db import queries
from progress_db import sync as store
from progress_db.db import database, open_db
from progress_db.models import Attempt, LessonProgress, Outcome
from tests.test_cli import runner

KEY = "khoa-bi-mat-cua-tinh"


class Place:
    """A database the test can step into (a laptop or the server)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.handle: Database | None = None

    @contextmanager
    def inside(self) -> Iterator[None]:
        before = database.obj
        if self.handle is None:
            self.handle = open_db(self.url)
        database.initialize(self.handle)
        try:
            yield
        finally:
            database.initialize(before)


@pytest.fixture
def places(db: Path, database_url: str, new_database):
    server = Place(database_url)
    server.handle = database.obj
    laptops = [Place(new_database()), Place(new_database())]
    yield server, laptops
    for laptop in laptops:
        if laptop.handle is not None:
            laptop.handle.close_all() if hasattr(laptop.handle, "close_all") else laptop.handle.close()
    database.initialize(server.handle)


def _record_a_morning(catalog, name: str, year: int, lesson_done: bool, answer: int) -> int:
    """A trainer's laptop in Thôn Một: one resident who answers, maybe finishes the lesson, and is ticked."""
    village = queries.get_or_create_village(queries.get_or_create_commune("Xã Thử"), "Thôn Một")
    person = services.add_learner(village, name, year, household="Nhà 3")
    lesson = catalog.get("test-unlock")
    questions = [i for i, s in enumerate(lesson.screens) if s.question is not None]
    services.go_to(person.id, lesson, questions[0])
    services.answer(person.id, lesson, questions[0], answer)
    if lesson_done:
        services.go_to(person.id, lesson, len(lesson.screens))
    queries.set_outcomes(person.id, {"smartphone"}, None)
    session = queries.start_session(None, village, "test-unlock")  # type: ignore[arg-type]
    queries.set_attendance(session.id, {person.id})
    queries.record_utterance(person.id, queries.UtteranceInfo("test-unlock", "swipe", 1, "hai", 0.8, "answer", 1.2))
    return person.id


def test_a_bundle_goes_from_a_laptop_to_the_server_and_twice_changes_nothing(places, catalog, tmp_path) -> None:
    server, (laptop, _) = places
    bundle = tmp_path / "thon-mot.hocso"
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        made = sync.export(bundle, KEY)
        on_laptop = store.counts()
    assert made.counts["learners"] == 1 and made.counts["attempts"] == 1 and made.since is None
    with server.inside():
        first = sync.take_in(bundle.read_bytes(), KEY)
        assert not first.already and first.added["attempts"] == 1 and first.added["learners"] == 1
        assert store.counts() == on_laptop
        [village] = [v for v in queries.list_villages() if v.name == "Thôn Một"]
        [mai] = queries.list_learners(village.id)
        assert (mai.name, mai.birth_year, mai.household) == ("Bà Lò Thị Mai", 1956, "Nhà 3")
        assert queries.progress_for(mai.id)["test-unlock"].completed
        assert queries.village_outcomes(village.id) == {mai.id: {"smartphone"}}
        assert [u.transcript for u in queries.utterances(mai.id)] == ["hai"]
        again = sync.take_in(bundle.read_bytes(), KEY)
        assert again.already and store.counts() == on_laptop
    with laptop.inside():  # the same records in a new bundle: still nothing new
        everything = sync.export(tmp_path / "all.hocso", KEY, everything=True)
    with server.inside():
        repeat = sync.take_in(everything.path.read_bytes(), KEY)
        assert not repeat.already and sum(repeat.added.values()) == 0 and store.counts() == on_laptop


def _hours_ago(hours: int) -> None:
    """Move every time on this laptop back (as if recorded earlier in the day)."""
    from datetime import timedelta

    from progress_db.models import GroupSession, Learner, Utterance

    shift = timedelta(hours=hours)
    with database.connection_context():
        for model, fields in ((Attempt, ("answered_at",)), (LessonProgress, ("started_at", "updated_at")),
                              (Learner, ("created_at", "updated_at")), (Outcome, ("ticked_at",)),
                              (GroupSession, ("started_at",)), (Utterance, ("heard_at",))):
            for row in model.select():
                for f in fields:
                    setattr(row, f, getattr(row, f) - shift)
                row.save()


def test_each_export_carries_what_is_new_with_an_hour_of_overlap(places, catalog, tmp_path) -> None:
    server, (laptop, _) = places
    with laptop.inside():
        person = _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=False, answer=0)
        _hours_ago(3)
        first = sync.export(tmp_path / "1.hocso", None)
        lesson = catalog.get("test-unlock")
        question = [i for i, s in enumerate(lesson.screens) if s.question is not None][1]
        services.go_to(person, lesson, question)
        services.answer(person, lesson, question, 1)
        second = sync.export(tmp_path / "2.hocso", None)
        third = sync.export(tmp_path / "3.hocso", None)
    assert first.counts["attempts"] == 1 and second.counts["attempts"] == 1  # only the new answer
    assert second.since == first.until - sync.OVERLAP
    assert second.counts["learners"] == 1  # the resident the new answer belongs to travels with it
    with server.inside():
        for made in (first, second):
            sync.take_in(made.path.read_bytes(), None)
        before = store.counts()
        again = sync.take_in(third.path.read_bytes(), None)  # the overlap: already here, nothing added
        assert sum(again.added.values()) == 0 and store.counts() == before and before["attempts"] == 2


def test_a_laptop_clock_put_back_sends_everything(places, catalog, tmp_path) -> None:
    from datetime import timedelta

    _, (laptop, _) = places
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=False, answer=0)
        store.log("export", "from-the-future", store.device_id(), None, store.utcnow() + timedelta(days=400), {})
        made = sync.export(tmp_path / "b.hocso", None)
    assert made.since is None and made.counts["attempts"] == 1  # not an empty bundle until next year


def test_two_laptops_with_the_same_resident_merge_without_duplicates(places, catalog, tmp_path) -> None:
    server, (one, two) = places
    with one.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=False, answer=0)
        a = sync.export(tmp_path / "a.hocso", KEY)
    with two.inside():  # the same resident, added again on another laptop, who finishes the lesson there
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        b = sync.export(tmp_path / "b.hocso", KEY)
    with server.inside():
        sync.take_in(a.path.read_bytes(), KEY)
        merged = sync.take_in(b.path.read_bytes(), KEY)
        assert merged.matched_learners == 1 and merged.added["learners"] == 0
        [village] = queries.list_villages()
        [mai] = queries.list_learners(village.id)
        with database.connection_context():
            answers = sorted(x.option_index for x in Attempt.select().where(Attempt.learner == mai.id))
            places_kept = LessonProgress.select().where(LessonProgress.learner == mai.id).count()
            ticks = Outcome.select().where(Outcome.learner == mai.id).count()
        assert answers == [0, 1] and places_kept == 1 and ticks == 1  # both answers, one place, one tick
        assert queries.progress_for(mai.id)["test-unlock"].completed  # the furthest progress wins
        assert len(queries.list_villages()) == 1 and len(queries.list_communes()) == 1


def _tampered(data: bytes, change) -> bytes:  # type: ignore[no-untyped-def]
    line, _, payload = data.partition(b"\n")
    header = json.loads(line)
    header, payload = change(header, payload)
    return json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def _rechecksum(header: dict, payload: bytes) -> tuple[dict, bytes]:
    header["payload_bytes"], header["payload_sha256"] = len(payload), hashlib.sha256(payload).hexdigest()
    return header, payload


def test_a_damaged_truncated_or_tampered_bundle_is_refused_whole(places, catalog, tmp_path) -> None:
    server, (laptop, _) = places
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        good = sync.export(tmp_path / "good.hocso", KEY).path.read_bytes()
        unsigned = sync.export(tmp_path / "unsigned.hocso", None, everything=True).path.read_bytes()
    records = json.loads(gzip.decompress(good.partition(b"\n")[2]))
    records["attempts"][0]["learner"] = "no-such-resident"
    dangling = gzip.compress(json.dumps(records).encode())

    def resign(header: dict, payload: bytes) -> tuple[dict, bytes]:
        header, payload = _rechecksum(header, payload)
        header["signature"] = sync._signature(KEY, header, payload)
        return header, payload

    flipped = bytearray(good)
    flipped[-10] ^= 0xFF
    cases = {
        "sync.truncated": good[: len(good) - 40],
        "sync.damaged": bytes(flipped),
        "sync.bad_signature": _tampered(good, lambda h, p: _rechecksum(h, gzip.compress(
            gzip.decompress(p).replace(b"B\\u00e0 L\\u00f2", b"Ba Lo").replace("Bà Lò".encode(), b"Ba Lo")))),
        "sync.unsigned": unsigned,
        "sync.not_a_bundle": b"PK\x03\x04 this is a zip file, not a bundle",
        "sync.version": _tampered(good, lambda h, p: ({**h, "version": 99}, p)),
        "sync.bad_records": _tampered(good, lambda h, p: resign(h, dangling)),
    }
    with server.inside():
        before = store.counts()
        for key, data in cases.items():
            with pytest.raises(BundleRejected) as caught:
                sync.take_in(data, KEY)
            assert caught.value.key == key, key
            assert store.counts() == before, key  # nothing at all was taken in
    assert all(key in STRINGS for key in cases)  # each has a Vietnamese message for the upload page
    with server.inside():
        sync.take_in(good, KEY)
        assert store.counts()["attempts"] == 1


def test_sync_commands(places, catalog, tmp_path, monkeypatch) -> None:
    server, (laptop, _) = places
    monkeypatch.setenv("LEARN_SYNC_KEY", KEY)
    bundle = tmp_path / "b.hocso"
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
    made = runner().invoke(cli, ["sync", "export", "-o", str(bundle)], env={"LEARN_DATABASE_URL": laptop.url})
    assert made.exit_code == 0 and "signed" in made.output and "1 attempts" in made.output, made.stderr
    env = {"LEARN_DATABASE_URL": server.url}
    taken = runner().invoke(cli, ["sync", "import", str(bundle)], env=env)
    assert taken.exit_code == 0 and "added" in taken.output and "1 learners" in taken.output, taken.stderr
    again = runner().invoke(cli, ["sync", "import", str(bundle)], env=env)
    assert again.exit_code == 0 and "nothing changed" in again.output
    bundle.write_bytes(bundle.read_bytes()[:-5])
    broken = runner().invoke(cli, ["sync", "import", str(bundle)], env=env)
    assert broken.exit_code == 1 and STRINGS["sync.truncated"] in broken.stderr and "Traceback" not in broken.stderr


def test_merged_progress_keeps_the_later_run_and_the_first_completion() -> None:
    t = datetime.fromisoformat
    done = {"run": 0, "screens": 5, "position": 5, "completed_at": t("2026-10-01"), "started_at": t("2026-09-30"),
            "updated_at": t("2026-10-01")}
    again = {"run": 1, "screens": 5, "position": 2, "completed_at": None, "started_at": t("2026-10-05"),
             "updated_at": t("2026-10-06")}
    merged = store.merged_progress(done, again)
    assert (merged["run"], merged["position"], merged["completed_at"], merged["started_at"]) == (
        1, 2, t("2026-10-01"), t("2026-09-30"))
    same_run = store.merged_progress({**again, "position": 4, "updated_at": t("2026-10-02")}, again)
    assert same_run["position"] == 4 and same_run["updated_at"] == t("2026-10-06")


def test_staff_take_in_only_their_own_communes_bundles(places, catalog, tmp_path) -> None:
    from learn.services import accounts

    server, (laptop, _) = places
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        data = sync.export(tmp_path / "b.hocso", None).path.read_bytes()
    with server.inside():
        queries.get_or_create_commune("Xã Thử")
        queries.get_or_create_commune("Xã Xa")
        mine = accounts.create_account("canbo", "Cán bộ", "mat-khau-dai", "staff", "Xã Thử")
        other = accounts.create_account("canbo-xa", "Cán bộ xa", "mat-khau-dai", "staff", "Xã Xa")
        trainer = accounts.create_account("totruong", "Tổ trưởng", "mat-khau-dai", "trainer", "Xã Thử")
        with pytest.raises(accounts.Forbidden):
            sync.receive(trainer, data, None)
        with pytest.raises(BundleRejected) as caught:
            sync.receive(other, data, None)
        assert caught.value.key == "sync.other_commune" and store.counts()["attempts"] == 0
        assert sync.receive(mine, data, None).added["attempts"] == 1


def test_a_bundle_cannot_reach_into_another_commune(places, catalog, tmp_path) -> None:
    """Every laptop holds the sync key, so a signature proves little: what a bundle may touch is checked."""
    from learn.services import accounts
    from progress_db.models import Learner

    server, (laptop, _) = places
    with server.inside():
        far = queries.get_or_create_village(queries.get_or_create_commune("Xã Xa"), "Thôn Xa")
        victim = services.add_learner(far, "Bà Ở Xa")
        queries.get_or_create_commune("Xã Thử")
        staff = accounts.create_account("canbo", "Cán bộ", "mat-khau-dai", "staff", "Xã Thử")
    with laptop.inside():
        person = _record_a_morning(catalog, "Kẻ Mạo Danh", 1970, lesson_done=False, answer=0)
        with database.connection_context():  # the forged record: another commune's resident, renamed
            Learner.update(uid=victim.uid, display_name="HACKED").where(Learner.id == person).execute()
        forged = sync.export(tmp_path / "forged.hocso", KEY).path.read_bytes()
    with server.inside():
        before = store.counts()
        with pytest.raises(BundleRejected) as caught:
            sync.receive(staff, forged, KEY)
        assert caught.value.key == "sync.bad_records" and store.counts() == before
        assert queries.get_learner(victim.id).name == "Bà Ở Xa"  # type: ignore[union-attr]


def test_odd_headers_and_a_zip_bomb_are_refused_not_crashed_on(places, catalog, tmp_path, monkeypatch) -> None:
    server, (laptop, _) = places
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        good = sync.export(tmp_path / "good.hocso", KEY).path.read_bytes()
    bomb = gzip.compress(b" " * 3_000_000)
    monkeypatch.setattr(sync, "MAX_RECORDS", 1_000_000)
    cases = {
        "sync.bad_signature": _tampered(good, lambda h, p: ({**h, "signature": "é" * 64}, p)),
        "sync.not_a_bundle": _tampered(good, lambda h, p: ({**h, "created_at": "hôm qua"}, p)),
        "sync.too_large": _tampered(good, lambda h, p: _rechecksum(h, bomb)),
    }
    with server.inside():
        for key, data in cases.items():
            with pytest.raises(BundleRejected) as caught:
                sync.take_in(data, KEY if key == "sync.bad_signature" else None)
            assert caught.value.key == key, key
        assert store.counts()["attempts"] == 0


def test_a_deletion_on_request_travels_and_no_bundle_brings_her_name_back(places, catalog, tmp_path) -> None:
    """Issue 13: a resident deleted on a laptop is deleted on the server too (and one moved away is moved), and an
    older laptop's bundle that still carries her name does not restore it."""
    from progress_db import care as records

    server, (laptop, other) = places
    with laptop.inside():
        mai = _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        first = sync.export(tmp_path / "one.hocso", KEY)
    with other.inside():  # the second laptop got her early, and still has her name
        sync.take_in(first.path.read_bytes(), KEY)
    with server.inside():
        sync.take_in(first.path.read_bytes(), KEY)
    with laptop.inside():
        records.remove_learner(mai, None)
        second = sync.export(tmp_path / "two.hocso", KEY, everything=True)
    with server.inside():
        sync.take_in(second.path.read_bytes(), KEY)
        [village] = [v for v in queries.list_villages() if v.name == "Thôn Một"]
        assert queries.list_learners(village.id) == []
        with database.connection_context():
            from progress_db.models import Learner
            [row] = list(Learner.select())
            assert (row.display_name, row.birth_year, row.household, row.left_reason) == ("", None, None, "removed")
        assert [u.transcript for u in queries.utterances(row.id)] == [""]
    with other.inside():  # a later edit of her name on the laptop that missed the deletion
        with database.connection_context():
            from progress_db.models import Learner
            Learner.update(display_name="Bà Mai", updated_at=datetime(2099, 1, 1)).execute()
        third = sync.export(tmp_path / "three.hocso", KEY, everything=True)
    with server.inside():
        sync.take_in(third.path.read_bytes(), KEY)
        with database.connection_context():
            from progress_db.models import Learner
            assert [r.display_name for r in Learner.select()] == [""]
