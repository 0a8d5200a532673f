"""Offline sync round trips between laptops and a server, on SQLite and on PostgreSQL: export, import twice, two
laptops with the same resident, and bundles that are damaged, truncated, unsigned or tampered with; and the
attacks of issue 14: bundles reaching other communes, forged fields, bombs, a long import under residents' taps,
an interrupted import, files others could read."""

from __future__ import annotations

import gzip
import hashlib
import json
from datetime import datetime
from pathlib import Path

import pytest

from learn import services
from learn.cli import cli
from learn.errors import LearnError, WrongPin
from learn.services import sync, sync_rules
from learn.services.sync import BundleRejected
from learn.strings_vi import STRINGS, t
from progress_db import community, group_sessions, learning, records
from progress_db import sync as store
from progress_db.db import database
from progress_db.models import Attempt, LessonProgress, Outcome
from tests.support.cli import runner
from tests.support.paths import CONTENT
from tests.support.places import Place

pytestmark = pytest.mark.both_engines

KEY = "khoa-bi-mat-cua-tinh"


@pytest.fixture
def places(db: Path, database_url: str, new_database):
    server = Place(database_url)
    server.handle = database.obj
    laptops = [Place(new_database()), Place(new_database())]
    yield server, laptops
    for laptop in laptops:
        laptop.close()
    database.initialize(server.handle)


def _record_a_morning(catalog, name: str, year: int, lesson_done: bool, answer: int) -> int:
    """A trainer's laptop in Thôn Một: one resident who answers, maybe finishes the lesson, and is ticked."""
    village = community.get_or_create_village(community.get_or_create_commune("Xã Thử"), "Thôn Một")
    person = services.add_learner(village, name, year, household="Nhà 3")
    lesson = catalog.get("test-unlock")
    questions = [i for i, s in enumerate(lesson.screens) if s.question is not None]
    services.go_to(person.id, lesson, questions[0])
    services.answer(person.id, lesson, questions[0], answer)
    if lesson_done:
        services.go_to(person.id, lesson, 99)  # past the last screen and any question asked again
    community.set_outcomes(person.id, {"smartphone"}, None)
    session = group_sessions.start(None, village, "test-unlock")  # type: ignore[arg-type]
    group_sessions.set_attendance(session.id, {person.id})
    learning.record_utterance(person.id, records.UtteranceInfo("test-unlock", "swipe", 1, "hai", 0.8, "answer", 1.2))
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
        first = sync.take_in(bundle.read_bytes(), KEY, catalog)
        assert not first.already and first.added["attempts"] == 1 and first.added["learners"] == 1
        assert store.counts() == on_laptop
        [village] = [v for v in community.list_villages() if v.name == "Thôn Một"]
        [mai] = community.list_learners(village.id)
        assert (mai.name, mai.birth_year, mai.household) == ("Bà Lò Thị Mai", 1956, "Nhà 3")
        assert learning.progress_for(mai.id)["test-unlock"].completed
        assert community.village_outcomes(village.id) == {mai.id: {"smartphone"}}
        assert [u.transcript for u in learning.utterances(mai.id)] == ["hai"]
        again = sync.take_in(bundle.read_bytes(), KEY, catalog)
        assert again.already and store.counts() == on_laptop
    with laptop.inside():  # the same records in a new bundle: still nothing new
        everything = sync.export(tmp_path / "all.hocso", KEY, everything=True)
    with server.inside():
        repeat = sync.take_in(everything.path.read_bytes(), KEY, catalog)
        assert not repeat.already and sum(repeat.added.values()) == 0 and store.counts() == on_laptop


def test_her_picture_and_picture_password_travel_and_she_signs_in_with_them_on_the_server(places, catalog,
                                                                                          tmp_path) -> None:
    """Set on a trainer's laptop, her picture and her three secret pictures reach the server: there too only
    those pictures let her in (a bundle without them would leave her open to anyone tapping her name)."""
    server, (laptop, _) = places
    with laptop.inside():
        village = community.get_or_create_village(community.get_or_create_commune("Xã Thử"), "Thôn Một")
        her = services.add_learner(village, "Bà Lò Thị Mai", 1956, picture="buffalo",
                                   picture_password=("rice", "dog", "fish"))
        bundle = sync.export(tmp_path / "thon-mot.hocso", KEY).path
    with server.inside():
        sync.take_in(bundle.read_bytes(), KEY, catalog)
        [mai] = [x for v in community.list_villages() if v.name == "Thôn Một"
                 for x in community.list_learners(v.id)]
        assert mai.picture == "buffalo" and mai.uid == her.uid
        with pytest.raises(WrongPin):
            services.sign_in_resident(mai.id, None)
        with pytest.raises(WrongPin):
            services.sign_in_resident(mai.id, ("rice", "fish", "dog"))
        assert services.sign_in_resident(mai.id, ("rice", "dog", "fish")).id == mai.id


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
            sync.take_in(made.path.read_bytes(), None, catalog)
        before = store.counts()
        again = sync.take_in(third.path.read_bytes(), None, catalog)  # the overlap: already here, nothing added
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
        sync.take_in(a.path.read_bytes(), KEY, catalog)
        merged = sync.take_in(b.path.read_bytes(), KEY, catalog)
        assert merged.matched_learners == 1 and merged.added["learners"] == 0
        [village] = community.list_villages()
        [mai] = community.list_learners(village.id)
        with database.connection_context():
            answers = sorted(x.option_index for x in Attempt.select().where(Attempt.learner == mai.id))
            places_kept = LessonProgress.select().where(LessonProgress.learner == mai.id).count()
            ticks = Outcome.select().where(Outcome.learner == mai.id).count()
        assert answers == [0, 1] and places_kept == 1 and ticks == 1  # both answers, one place, one tick
        assert learning.progress_for(mai.id)["test-unlock"].completed  # the furthest progress wins
        assert len(community.list_villages()) == 1 and len(community.list_communes()) == 1


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
        "sync.bad_field": _tampered(good, lambda h, p: resign(h, dangling)),  # an answer of nobody in it
    }
    with server.inside():
        before = store.counts()
        for key, data in cases.items():
            with pytest.raises(BundleRejected) as caught:
                sync.take_in(data, KEY, catalog)
            assert caught.value.key == key, key
            assert store.counts() == before, key  # nothing at all was taken in
    assert all(key in STRINGS for key in cases)  # each has a Vietnamese message for the upload page
    with server.inside():
        sync.take_in(good, KEY, catalog)
        assert store.counts()["attempts"] == 1


def test_sync_commands(places, catalog, tmp_path, monkeypatch) -> None:
    server, (laptop, _) = places
    monkeypatch.setenv("LEARN_SYNC_KEY", KEY)
    bundle = tmp_path / "b.hocso"
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
    content = {"LEARN_CONTENT_DIR": str(CONTENT), "LEARN_HOME": str(tmp_path / "home")}
    made = runner().invoke(cli, ["sync", "export", "-o", str(bundle)], env={"LEARN_DATABASE_URL": laptop.url,
                                                                            **content})
    assert made.exit_code == 0 and "signed" in made.output and "1 attempts" in made.output, made.stderr
    env = {"LEARN_DATABASE_URL": server.url, **content}
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
    merged = learning.merged_progress(done, again)
    assert (merged["run"], merged["position"], merged["completed_at"], merged["started_at"]) == (
        1, 2, t("2026-10-01"), t("2026-09-30"))
    same_run = learning.merged_progress({**again, "position": 4, "updated_at": t("2026-10-02")}, again)
    assert same_run["position"] == 4 and same_run["updated_at"] == t("2026-10-06")


def test_staff_take_in_only_their_own_communes_bundles(places, catalog, tmp_path) -> None:
    from learn.services import accounts

    server, (laptop, _) = places
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        data = sync.export(tmp_path / "b.hocso", None).path.read_bytes()
    with server.inside():
        community.get_or_create_commune("Xã Thử")
        community.get_or_create_commune("Xã Xa")
        mine = accounts.create_account("canbo", "Cán bộ", "mat-khau-dai", "staff", "Xã Thử")
        other = accounts.create_account("canbo-xa", "Cán bộ xa", "mat-khau-dai", "staff", "Xã Xa")
        trainer = accounts.create_account("totruong", "Tổ trưởng", "mat-khau-dai", "trainer", "Xã Thử")
        with pytest.raises(accounts.Forbidden):
            sync.receive(trainer, data, None, catalog)
        with pytest.raises(BundleRejected) as caught:
            sync.receive(other, data, None, catalog)
        assert caught.value.key == "sync.other_commune" and store.counts()["attempts"] == 0
        assert sync.receive(mine, data, None, catalog).added["attempts"] == 1


def test_a_bundle_cannot_reach_into_another_commune(places, catalog, tmp_path) -> None:
    """Every laptop holds the sync key, so a signature proves little: what a bundle may touch is checked."""
    from learn.services import accounts
    from progress_db.models import Learner

    server, (laptop, _) = places
    with server.inside():
        far = community.get_or_create_village(community.get_or_create_commune("Xã Xa"), "Thôn Xa")
        victim = services.add_learner(far, "Bà Ở Xa")
        community.get_or_create_commune("Xã Thử")
        staff = accounts.create_account("canbo", "Cán bộ", "mat-khau-dai", "staff", "Xã Thử")
    with laptop.inside():
        person = _record_a_morning(catalog, "Kẻ Mạo Danh", 1970, lesson_done=False, answer=0)
        with database.connection_context():  # the forged record: another commune's resident, renamed
            Learner.update(uid=victim.uid, display_name="HACKED").where(Learner.id == person).execute()
        forged = sync.export(tmp_path / "forged.hocso", KEY).path.read_bytes()
    with server.inside():
        before = store.counts()
        with pytest.raises(BundleRejected) as caught:
            sync.receive(staff, forged, KEY, catalog)
        assert caught.value.key == "sync.bad_records" and store.counts() == before
        assert community.get_learner(victim.id).name == "Bà Ở Xa"  # type: ignore[union-attr]


def test_odd_headers_and_a_zip_bomb_are_refused_not_crashed_on(places, catalog, tmp_path, monkeypatch) -> None:
    server, (laptop, _) = places
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        good = sync.export(tmp_path / "good.hocso", KEY).path.read_bytes()
    bomb = gzip.compress(b" " * 3_000_000)
    monkeypatch.setattr(sync_rules, "MAX_UNPACKED", 1_000_000)
    cases = {
        "sync.bad_signature": _tampered(good, lambda h, p: ({**h, "signature": "é" * 64}, p)),
        "sync.not_a_bundle": _tampered(good, lambda h, p: ({**h, "created_at": "hôm qua"}, p)),
        "sync.too_large": _tampered(good, lambda h, p: _rechecksum(h, bomb)),
    }
    with server.inside():
        for key, data in cases.items():
            with pytest.raises(BundleRejected) as caught:
                sync.take_in(data, KEY if key == "sync.bad_signature" else None, catalog)
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
        sync.take_in(first.path.read_bytes(), KEY, catalog)
    with server.inside():
        sync.take_in(first.path.read_bytes(), KEY, catalog)
    with laptop.inside():
        records.remove_learner(mai, None)
        second = sync.export(tmp_path / "two.hocso", KEY, everything=True)
    with server.inside():
        sync.take_in(second.path.read_bytes(), KEY, catalog)
        [village] = [v for v in community.list_villages() if v.name == "Thôn Một"]
        assert community.list_learners(village.id) == []
        with database.connection_context():
            from progress_db.models import Learner
            [row] = list(Learner.select())
            assert (row.display_name, row.birth_year, row.household, row.left_reason) == ("", None, None, "removed")
        assert [u.transcript for u in learning.utterances(row.id)] == [""]
    with other.inside():  # a later edit of her name on the laptop that missed the deletion
        with database.connection_context():
            from progress_db.models import Learner
            Learner.update(display_name="Bà Mai", updated_at=store.utcnow()).execute()
        third = sync.export(tmp_path / "three.hocso", KEY, everything=True)
    with server.inside():
        sync.take_in(third.path.read_bytes(), KEY, catalog)
        with database.connection_context():
            from progress_db.models import Learner
            assert [r.display_name for r in Learner.select()] == [""]


# --- Issue 14: signed bundles reach other communes, bombs, imports in parts, file modes --------------------------

def _laptop_key(commune: str = "Xã Thử") -> str:
    return sync.commune_key(sync.SyncKey(KEY), commune)


def _records(data: bytes) -> dict:
    return json.loads(gzip.decompress(data.partition(b"\n")[2]))


def _signed(records: dict, key: str | None, *, commune: str | None, **header: object) -> bytes:
    """A bundle made by hand, as an attacker holding ``key`` (a laptop's LEARN_SYNC_KEY) would make it."""
    return _packed(gzip.compress(json.dumps(records, ensure_ascii=False).encode()), key, commune=commune, **header)


def _packed(payload: bytes, key: str | None, *, commune: str | None, **header: object) -> bytes:
    from uuid import uuid4

    made: dict[str, object] = {
        "format": sync.FORMAT, "version": sync.VERSION, "bundle": uuid4().hex, "origin": "forger",
        "created_at": store.utcnow().isoformat(sep=" "), "since": None, "commune": commune,
        "payload_bytes": len(payload), "payload_sha256": hashlib.sha256(payload).hexdigest(), "signature": None,
        **header}
    parsed = sync.parse_key(key)
    if parsed is not None:
        made["signature"] = sync._signature(parsed.secret, made, payload)
    return json.dumps(made, sort_keys=True).encode() + b"\n" + payload


@pytest.fixture
def far_commune(places):
    """On the server: Xã Xa with a resident (PIN 1111), a trainer of Xã Xa and an admin; and Xã Thử."""
    from learn.services import accounts
    from learn.services.people import hash_pin

    server, _ = places
    with server.inside():
        far = community.get_or_create_village(community.get_or_create_commune("Xã Xa"), "Thôn Xa")
        victim = services.add_learner(far, "Bà Ở Xa", 1950, pin="1111")
        community.get_or_create_commune("Xã Thử")
        accounts.create_account("quantri", "Quản trị", "mat-khau-dai", "admin", None)
        accounts.create_account("toxa", "Tổ Xa", "mat-khau-dai", "trainer", "Xã Xa")
        accounts.create_account("tothu", "Tổ Thử", "mat-khau-dai", "trainer", "Xã Thử")
    assert hash_pin("1111") != victim.uid
    return victim


def _victim_unchanged(victim) -> None:
    from learn.services.people import pin_matches
    from progress_db.models import Learner

    with database.connection_context():
        row = Learner.get_by_id(victim.id)
        assert (row.display_name, row.birth_year, row.updated_at < store.utcnow()) == ("Bà Ở Xa", 1950, True)
        assert pin_matches("1111", row.pin_hash) and not Outcome.select().where(Outcome.learner == row.id).exists()


def test_a_laptop_key_signs_only_for_its_own_commune(places, catalog, tmp_path, far_commune) -> None:
    """The attack: every laptop held the one sync key, so a bundle naming another commune was taken in. Now a
    laptop's key is its commune's: it cannot sign for Xã Xa, nor slip Xã Xa's records into its own bundle."""
    server, (laptop, _) = places
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        own = sync.export(tmp_path / "own.hocso", _laptop_key())
    assert own.commune == "Xã Thử" and own.left_out == ()
    attack = _records(own.path.read_bytes())
    attack["communes"][0]["name"] = "Xã Xa"
    attack["villages"][0]["name"] = "Thôn Xa"
    attack["learners"][0].update(display_name="Bà Ở Xa", name_key="ba o xa", birth_year=1950)
    cases = {
        "sync.bad_signature": _signed(attack, _laptop_key(), commune="Xã Xa"),  # signed with Thử's key
        "sync.other_commune": _signed(attack, _laptop_key(), commune="Xã Thử"),  # Xa's records in Thử's bundle
        "sync.unsigned": _signed(attack, None, commune="Xã Xa"),
    }
    with server.inside():
        before = store.counts()
        for key, data in cases.items():
            with pytest.raises(BundleRejected) as caught:
                sync.take_in(data, KEY, catalog)
            assert caught.value.key == key, key
            assert store.counts() == before, key
        _victim_unchanged(far_commune)
        taken = sync.take_in(own.path.read_bytes(), KEY, catalog)  # its own commune's bundle goes in
        assert taken.added["attempts"] == 1 and taken.added["learners"] == 1
        [thu] = [v for v in community.list_villages() if v.name == "Thôn Một"]
        assert thu.commune == "Xã Thử"
    with laptop.inside():  # a laptop that also holds another commune's records leaves them out of its bundle
        far = community.get_or_create_village(community.get_or_create_commune("Xã Xa"), "Thôn Xa")
        services.add_learner(far, "Bà Ở Xa", 1950)
        mixed = sync.export(tmp_path / "mixed.hocso", _laptop_key(), everything=True)
    assert mixed.left_out == ("Xã Xa",) and {c["name"] for c in _records(mixed.path.read_bytes())["communes"]} == {
        "Xã Thử"}
    with server.inside():
        sync.take_in(mixed.path.read_bytes(), KEY, catalog)
        _victim_unchanged(far_commune)


def test_a_laptop_key_gives_no_other_key() -> None:
    thu, xa = sync.parse_key(_laptop_key("Xã Thử")), sync.parse_key(_laptop_key("Xã Xa"))
    assert thu is not None and xa is not None and (thu.commune, xa.commune) == ("Xã Thử", "Xã Xa")
    assert len({thu.secret, xa.secret, KEY}) == 3 and KEY not in _laptop_key()
    with pytest.raises(LearnError) as caught:  # a laptop cannot make keys
        sync.commune_key(thu, "Xã Xa")
    assert caught.value.key == "sync.key_master_needed"
    with pytest.raises(LearnError) as caught:
        sync.parse_key("commune:Xã Thử:not-a-key")
    assert caught.value.key == "sync.key_invalid"


def _attack(records: dict, change) -> dict:  # type: ignore[no-untyped-def]
    import copy

    changed = copy.deepcopy(records)
    change(changed)
    return changed


def test_each_field_of_the_attack_is_refused_like_the_same_input_in_the_app(places, catalog, tmp_path,
                                                                            far_commune) -> None:
    """Within its own commune too, a bundle carries only what the app itself could have recorded: the attack's
    PIN set with updated_at 2099, the invented outcome "hacked", the session credited to an admin, and the rest."""
    server, (laptop, _) = places
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        good = _records(sync.export(tmp_path / "own.hocso", _laptop_key()).path.read_bytes())
    person, answer, session = good["learners"][0], good["attempts"][0], good["sessions"][0]
    assert person["pin_hash"] is None and session["account"] is None
    def edit(kind: str, **values: object):  # type: ignore[no-untyped-def]
        return lambda r: r[kind][0].update(values)

    cases = [
        ("sync.future", edit("learners", pin_hash=hashlib.sha256(b"x").hexdigest(), updated_at="2099-01-01 00:00:00")),
        ("sync.future", edit("attempts", answered_at="2099-01-01 00:00:00")),
        ("sync.bad_field", lambda r: r["outcomes"].append({"learner": person["uid"], "kind": "hacked",
                                                           "ticked_at": person["created_at"]})),
        ("sync.bad_account", edit("sessions", account="quantri")),  # an admin
        ("sync.bad_account", edit("sessions", account="toxa")),  # a trainer of another commune
        ("sync.bad_field", edit("learners", pin_hash="1234")),  # a PIN in clear, not the app's hash
        ("sync.bad_field", edit("learners", picture_password_hash="rice|dog|fish")),  # pictures in clear
        ("sync.bad_field", edit("learners", picture="../../etc/passwd")),  # not one of the drawings
        ("sync.bad_field", edit("learners", display_name="<script>alert(1)</script>")),
        ("sync.bad_field", edit("learners", display_name="Bà " + "A" * 80)),
        ("sync.bad_field", edit("learners", birth_year=1800)),
        ("sync.bad_field", edit("learners", birth_year="1956")),
        ("sync.bad_field", edit("villages", name="")),
        ("sync.bad_field", edit("attempts", lesson_id="no-such-lesson")),
        ("sync.bad_field", edit("attempts", question_id="no-such-question")),
        ("sync.bad_field", edit("attempts", option_index=9)),
        ("sync.bad_field", edit("attempts", mode="telepathy")),
        ("sync.bad_field", edit("attempts", confidence=5.0)),
        ("sync.bad_field", edit("utterances", outcome="hacked")),
        ("sync.bad_field", edit("progress", position=-1)),
        ("sync.bad_records", edit("attempts", uid={"$ne": None})),  # nothing nested in a record
        ("sync.bad_field", edit("attempts", answered_at="2026-11-01T10:00:00+07:00")),
        ("sync.bad_field", lambda r: r["attempts"].append(dict(r["attempts"][0]))),  # the same answer twice
    ]
    with server.inside():
        before = store.counts()
        for number, (key, change) in enumerate(cases):
            with pytest.raises(BundleRejected) as caught:
                sync.take_in(_signed(_attack(good, change), _laptop_key(), commune="Xã Thử"), KEY, catalog)
            assert caught.value.key == key, (number, caught.value)
            assert store.counts() == before, number
            assert key in STRINGS and t(key, **caught.value.values)  # a whole Vietnamese message
        # a session run by a trainer of the commune is credited to her; the name's search key is the app's own
        fine = _attack(good, edit("sessions", account="tothu"))
        fine["learners"][0]["name_key"] = "ba o xa"
        done = sync.take_in(_signed(fine, _laptop_key(), commune="Xã Thử"), KEY, catalog)
        assert done.added["sessions"] == 1 and done.added["learners"] == 1
        [mai] = community.list_learners([v for v in community.list_villages() if v.name == "Thôn Một"][0].id)
        with database.connection_context():
            from progress_db.models import Account, GroupSession, Learner
            assert Learner.get_by_id(mai.id).name_key == "ba lo thi mai"
            assert GroupSession.get(GroupSession.uid == session["uid"]).account_id == Account.get(
                Account.username == "tothu").id
        _victim_unchanged(far_commune)
    assert answer["uid"]


def test_a_bundle_from_the_future_is_refused_whole(places, catalog, tmp_path) -> None:
    server, (laptop, _) = places
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
        records = _records(sync.export(tmp_path / "own.hocso", _laptop_key()).path.read_bytes())
    from datetime import timedelta

    soon = (store.utcnow() + timedelta(minutes=2)).isoformat(sep=" ")  # a laptop clock a little ahead is fine
    late = (store.utcnow() + timedelta(minutes=30)).isoformat(sep=" ")
    with server.inside():
        with pytest.raises(BundleRejected) as caught:
            sync.take_in(_signed(records, _laptop_key(), commune="Xã Thử", created_at=late), KEY, catalog)
        assert caught.value.key == "sync.future" and store.counts()["attempts"] == 0
        assert sync.take_in(_signed(records, _laptop_key(), commune="Xã Thử", created_at=soon), KEY,
                            catalog).added["attempts"] == 1


def test_sync_key_command_prints_a_key_a_laptop_signs_with(places, catalog, tmp_path) -> None:
    server, (laptop, _) = places
    with server.inside():
        community.get_or_create_commune("Xã Thử")
    content = {"LEARN_CONTENT_DIR": str(CONTENT), "LEARN_HOME": str(tmp_path / "home")}
    made = runner().invoke(cli, ["sync", "key", "--commune", "xã thử"],
                           env={"LEARN_DATABASE_URL": server.url, "LEARN_SYNC_KEY": KEY, **content})
    assert made.exit_code == 0, made.stderr
    key = made.stdout.strip()
    assert key == _laptop_key("Xã Thử") and "Xã Thử" in made.stderr
    with laptop.inside():
        _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
    bundle = tmp_path / "b.hocso"
    out = runner().invoke(cli, ["sync", "export", "-o", str(bundle)],
                          env={"LEARN_DATABASE_URL": laptop.url, "LEARN_SYNC_KEY": key, **content})
    assert out.exit_code == 0 and "signed for Xã Thử" in out.stdout, out.stderr
    taken = runner().invoke(cli, ["sync", "import", str(bundle)],
                            env={"LEARN_DATABASE_URL": server.url, "LEARN_SYNC_KEY": KEY, **content})
    assert taken.exit_code == 0 and "1 attempts" in taken.stdout, taken.stderr
    refused = runner().invoke(cli, ["sync", "key", "--commune", "Xã Thử"],  # a laptop cannot make keys
                              env={"LEARN_DATABASE_URL": laptop.url, "LEARN_SYNC_KEY": key, **content})
    assert refused.exit_code == 1 and t("sync.key_master_needed") in refused.stderr
    unknown = runner().invoke(cli, ["sync", "key", "--commune", "Xã Không Có"],
                              env={"LEARN_DATABASE_URL": server.url, "LEARN_SYNC_KEY": KEY, **content})
    assert unknown.exit_code == 1 and "Traceback" not in unknown.stderr


# Bombs: each import runs in its own process, which reports its peak memory.
_MEASURED = """
import resource, sys
from learn.cli import cli
from learn.errors import LearnError
try:
    cli(["sync", "import", sys.argv[1]], standalone_mode=False)
except Exception as exc:
    print("refused:", getattr(getattr(exc, "__cause__", None), "key", exc))
print("peak_mib:", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
"""


def _import_measured(bundle: Path, url: str, home: Path) -> tuple[str, int]:
    import os
    import subprocess
    import sys

    env = {**os.environ, "LEARN_DATABASE_URL": url, "LEARN_HOME": str(home), "LEARN_CONTENT_DIR": str(CONTENT)}
    env.pop("LEARN_SYNC_KEY", None)
    done = subprocess.run([sys.executable, "-c", _MEASURED, str(bundle)], capture_output=True, text=True, env=env,
                          timeout=300)
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines() if ": " in line)
    return lines.get("refused", ""), int(lines["peak_mib"])


def test_bombs_are_refused_in_little_memory(db, database_url, tmp_path) -> None:
    """Issue 14: a 2 MB bundle used 4.15 GB on import, a 120 KB one of 40 million empty records 3.2 GB. Smaller
    bombs of each kind here (the size bomb unpacks to 1,000 times its size, the records bomb to just under the
    unpacked limit, the nesting bomb is 5 million brackets deep): each is refused with its message, nothing is
    written, and the import's memory stays within 100 MiB of an empty bundle's (before: 600 MiB and more for
    these). `python -m benchmarks.bench_sync` measures the issue's own bombs."""
    from benchmarks.bench_sync import records_bomb, size_bomb

    home = tmp_path / "home"
    before = store.counts()
    empty = tmp_path / "empty.hocso"
    empty.write_bytes(_signed({k: [] for k in store.KINDS}, None, commune=None))
    said, base = _import_measured(empty, database_url, home)
    assert said == ""
    nested = gzip.compress(b'{"attempts":' + b"[" * 5_000_000 + b"]" * 5_000_000 + b"}")
    bombs = {"sync.too_large": size_bomb(256 << 20),  # 250 KB
             "sync.too_many": records_bomb(20_000_000),  # 60 KB
             "sync.bad_records": _packed(nested, None, commune=None)}  # 30 KB
    for key, data in bombs.items():
        path = tmp_path / f"{key}.hocso"
        path.write_bytes(data)
        said, mib = _import_measured(path, database_url, home)
        assert said == key, (key, said)
        assert mib - base < 100, (key, mib, base)
    assert store.counts() == before


def _many_answers(catalog, answers: int) -> None:
    """A laptop's resident who answered ``answers`` times (a big day, as records)."""
    from progress_db.models import Learner

    _record_a_morning(catalog, "Bà Lò Thị Mai", 1956, lesson_done=True, answer=1)
    with database.connection_context():
        mai = Learner.get()
        first = Attempt.get()
        Attempt.insert_many([{**{f: getattr(first, f) for f in ("lesson_id", "question_id", "option_index", "correct",
                                                                 "mode", "answered_at", "run")},
                              "learner": mai.id, "uid": f"{i:032x}"} for i in range(answers - 1)]).execute()


def test_a_big_import_lets_others_write_between_its_parts(places, catalog, tmp_path, backend, monkeypatch) -> None:
    """Issue 14: a 60,000-answer import held SQLite's write lock for 20 s, and 71 residents' answers were not saved.
    Now each part of a bundle is its own transaction: after every part another connection can take the write
    lock at once (SQLite) and sees the part written (both engines)."""
    from progress_db import sync_in
    from progress_db.db import connect

    server, (laptop, _) = places
    with laptop.inside():
        _many_answers(catalog, 2_500)
        data = sync.export(tmp_path / "big.hocso", _laptop_key()).path.read_bytes()
    monkeypatch.setattr(sync_in, "PART", 500)
    other = connect(server.url)  # a resident's session: its own connection
    seen: list[int] = []
    real = sync_in._write

    def then_a_resident(*args, **kwargs):  # type: ignore[no-untyped-def]
        got = real(*args, **kwargs)
        if backend == "sqlite":
            other.execute_sql("PRAGMA busy_timeout = 0")  # no waiting: the lock must be free right now
            other.execute_sql("BEGIN IMMEDIATE")
            other.execute_sql("ROLLBACK")
        seen.append(other.execute_sql("SELECT COUNT(*) FROM attempt").fetchone()[0])
        return got

    monkeypatch.setattr(sync_in, "_write", then_a_resident)
    with server.inside():
        done = sync.take_in(data, KEY, catalog)
    other.close_all() if hasattr(other, "close_all") else other.close()
    assert done.added["attempts"] == 2_500
    answers_seen = sorted(set(seen))
    assert answers_seen[0] == 0 and answers_seen[-1] == 2_500 and len(answers_seen) == 6  # 500 at a time


def test_an_interrupted_import_is_finished_by_taking_the_same_file_in_again(places, catalog, tmp_path,
                                                                             monkeypatch) -> None:
    """A crash or a full disk mid-way: what was written stays whole (answers only of residents already there),
    the bundle is not marked taken in, and importing the same file again writes the rest, nothing twice."""
    from progress_db import sync_in
    from progress_db.db import OperationalError

    server, (laptop, _) = places
    with laptop.inside():
        _many_answers(catalog, 1_200)
        data = sync.export(tmp_path / "big.hocso", _laptop_key()).path.read_bytes()
        on_laptop = store.counts()
    monkeypatch.setattr(sync_in, "PART", 500)
    real, calls = sync_in._write, []

    def failing(step, number, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(number)
        if number == 4:  # logged parts: progress 1, attendance 2, answers 3 to 5: the second of the answers
            raise OperationalError("disk I/O error")
        return real(step, number, *args, **kwargs)

    monkeypatch.setattr(sync_in, "_write", failing)
    with server.inside():
        with pytest.raises(BundleRejected) as caught:
            sync.take_in(data, KEY, catalog)
        assert caught.value.key == "sync.interrupted" and isinstance(caught.value, sync.ImportInterrupted)
        half = store.counts()
        assert half["learners"] == 1 and half["attempts"] == 500 and half["outcomes"] == 0
        assert sync_in.unfinished() and not store.imported(json.loads(data.partition(b"\n")[0])["bundle"])
        monkeypatch.setattr(sync_in, "_write", real)
        again = sync.take_in(data, KEY, catalog)
        assert not again.already and again.added["attempts"] == 700 and again.added["learners"] == 0
        assert store.counts() == on_laptop and sync_in.unfinished() == [] and again.unfinished == ()
        assert sync.take_in(data, KEY, catalog).already


def test_the_database_backups_and_bundles_are_private(places, catalog, tmp_path, database_url, backend) -> None:
    """Issue 14: the database, backups and bundles were 0644 though they hold PIN and password hashes."""
    import os
    import stat

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    old = os.umask(0o022)
    try:
        home = tmp_path / "new-home"
        env = {"LEARN_HOME": str(home), "LEARN_CONTENT_DIR": str(CONTENT)}
        if backend == "sqlite":  # a new LEARN_HOME with its database, and an old one left open by an older version
            env["LEARN_DATABASE_URL"] = f"sqlite:///{home / 'progress.sqlite3'}"
            made = runner().invoke(cli, ["db", "migrate"], env=env)
            assert made.exit_code == 0, made.stderr
            files = [p for p in home.iterdir() if p.name.startswith("progress.sqlite3")]
            assert mode(home) == 0o700 and files and {mode(p) for p in files} == {0o600}
            for p in files:
                p.chmod(0o644)
            home.chmod(0o755)
            assert runner().invoke(cli, ["db", "status"], env=env).exit_code == 0
            assert mode(home) == 0o700 and {mode(p) for p in files} == {0o600}
        else:
            env["LEARN_DATABASE_URL"] = database_url
            home.mkdir(mode=0o755)
            assert runner().invoke(cli, ["db", "status"], env=env).exit_code == 0
            assert mode(home) == 0o700
        backup = runner().invoke(cli, ["db", "backup", str(tmp_path / "backup.db")], env=env)
        assert backup.exit_code == 0 and mode(tmp_path / "backup.db") == 0o600, backup.stderr
        bundle = runner().invoke(cli, ["sync", "export", "-o", str(tmp_path / "b.hocso")], env=env)
        assert bundle.exit_code == 0 and mode(tmp_path / "b.hocso") == 0o600, bundle.stderr
    finally:
        os.umask(old)


def test_each_kind_has_its_limit(places, catalog, tmp_path, monkeypatch) -> None:
    server, (laptop, _) = places
    with laptop.inside():
        _many_answers(catalog, 3)
        data = sync.export(tmp_path / "b.hocso", _laptop_key()).path.read_bytes()
    monkeypatch.setitem(sync_rules.LIMITS, "attempts", 2)
    with server.inside():
        with pytest.raises(BundleRejected) as caught:
            sync.take_in(data, KEY, catalog)
        assert caught.value.key == "sync.too_many" and store.counts()["attempts"] == 0
        assert t("sync.too_many", **caught.value.values) == t("sync.too_many", what=t("sync.record.attempts"),
                                                              limit="2")
