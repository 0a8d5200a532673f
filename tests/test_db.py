"""The progress database on SQLite and PostgreSQL: schema, migrations and every query the app relies on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from peewee import Database, IntegrityError, SqliteDatabase

from progress_db import community, group_sessions, learning, records
from progress_db.db import connect, database, open_db, sqlite_path
from progress_db.migrations import applied, available, migrate
from progress_db.models import TABLES, Attempt, GroupSession
from tests.support import pg_cluster
from tests.support.old_schema import build_at

pytestmark = pytest.mark.both_engines


def schema(db: Database) -> dict[str, object]:
    """Each table's columns (name, type, nullable), indexes (columns, unique) and foreign keys, as the engine
    itself reports them."""
    with db.connection_context():
        return {t: ({(c.name, c.data_type, c.null) for c in db.get_columns(t)},
                    {(tuple(i.columns), i.unique) for i in db.get_indexes(t)},
                    {(f.column, f.dest_table, f.dest_column) for f in db.get_foreign_keys(t)})
                for t in db.get_tables()}


@pytest.fixture
def blank(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Database, str]]:
    """An empty database of the engine under test that nothing has touched, and its URL."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'blank.sqlite3'}"
        yield SqliteDatabase(str(tmp_path / "blank.sqlite3")), url
        return
    server = request.getfixturevalue("postgres_server")
    name = f"blank_{os.getpid()}_{id(request)}"
    pg_cluster.create_database(server, name)
    url = pg_cluster.with_database(server, name)
    handle = connect(url)
    yield handle, url
    handle.close_all()
    pg_cluster.drop_database(server, name)


def test_migrations_build_exactly_the_models_schema(db: Path, blank) -> None:
    fresh, _ = blank
    with fresh.bind_ctx(TABLES), fresh.connection_context():
        fresh.create_tables(TABLES)
    migrated = schema(database.obj)
    assert {t: c for t, c in migrated.items() if t != "schema_version"} == schema(fresh)


def test_migrate_is_idempotent_and_recorded(db: Path) -> None:
    assert applied(database.obj) == {m.version for m in available()} == set(range(1, len(available()) + 1))
    assert migrate(database.obj) == []


def test_a_database_of_the_first_release_upgrades_without_loss(blank) -> None:
    """Build the schema exactly as release 0.1 did (migration 0001 only), fill it, then migrate."""
    old, url = blank
    first = available()[0]
    with old.connection_context():
        first.module.up(old)
        old.execute_sql("CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR(255) NOT NULL,"
                        " applied_at TIMESTAMP NOT NULL)")
        old.execute_sql("INSERT INTO schema_version VALUES (1, 'initial', '2026-11-01 08:00:00')")
        old.execute_sql("INSERT INTO commune (name, created_at) VALUES ('Xã Cũ', '2026-11-01')")
        old.execute_sql("INSERT INTO village (commune_id, name, created_at) VALUES (1, 'Thôn Cũ', '2026-11-01')")
        old.execute_sql("INSERT INTO learner (uid, village_id, display_name, name_key, created_at)"
                        " VALUES ('u1', 1, 'Bà Cũ', 'ba cu', '2026-11-01')")
        old.execute_sql("INSERT INTO attempt (uid, learner_id, lesson_id, question_id, option_index, correct, mode,"
                        " answered_at) VALUES ('a1', 1, 'phone-unlock', 'q1', 0, TRUE, 'tap', '2026-11-02 09:00:00')")
    old.close_all() if hasattr(old, "close_all") else old.close()

    assert [m.name for m in migrate(connect(url))] == [m.name for m in available()[1:]]
    open_db(url)
    [learner] = community.list_learners(1)
    assert learner.name == "Bà Cũ"
    assert learning.latest_answers(learner.id, "phone-unlock") == {
        "q1": records.AnswerInfo("q1", 0, True, "tap", None, None)}
    learning.record_answer(learner.id, "phone-unlock", "q2", 1, True, "voice", 3, 8, "hai", 0.81)
    assert learning.latest_answers(learner.id, "phone-unlock")["q2"].transcript == "hai"
    database.obj.close_all()
    database.initialize(None)


def test_answers_keep_their_group_session_through_the_foreign_key_migration(blank) -> None:
    """Migration 0014 (issue 15) made attempt.session_id a foreign key: answers given in a session keep it; an
    answer whose session no longer exists keeps everything but the session; deleting a session afterwards leaves
    its answers, with no session."""
    old, url = blank
    build_at(old, 13)
    with old.connection_context():
        for statement in (
                "INSERT INTO commune (uid, name, created_at) VALUES ('c1', 'Xã Cũ', '2026-11-01')",
                "INSERT INTO village (uid, commune_id, name, created_at, join_code, join_failures)"
                " VALUES ('v1', 1, 'Thôn Cũ', '2026-11-01', '123456', 0)",
                "INSERT INTO learner (uid, village_id, display_name, name_key, created_at, updated_at, pin_failures)"
                " VALUES ('u1', 1, 'Bà Cũ', 'ba cu', '2026-11-01', '2026-11-01', 0), "
                "('u2', 1, 'Ông Cũ', 'ong cu', '2026-11-01', '2026-11-01', 0)",
                "INSERT INTO group_session (uid, village_id, lesson_id, position, started_at)"
                " VALUES ('s1', 1, 'phone-unlock', 3, '2026-11-02 08:00:00'),"
                " ('s2', 1, 'phone-unlock', 3, '2026-11-03 08:00:00')",
                "INSERT INTO attempt (uid, learner_id, lesson_id, question_id, option_index, correct, mode,"
                " answered_at, run, session_id, assisted) VALUES"
                " ('a1', 1, 'phone-unlock', 'q1', 0, TRUE, 'group', '2026-11-02 08:10:00', 0, 1, TRUE),"
                " ('a2', 2, 'phone-unlock', 'q1', 1, FALSE, 'group', '2026-11-02 08:10:00', 0, 1, TRUE),"
                " ('a3', 1, 'phone-unlock', 'q2', 2, TRUE, 'group', '2026-11-03 08:10:00', 0, 2, FALSE),"
                " ('a4', 1, 'phone-unlock', 'q1', 0, TRUE, 'tap', '2026-11-04 19:00:00', 0, NULL, FALSE),"
                # a session deleted while nothing tied answers to it
                " ('a5', 2, 'phone-unlock', 'q2', 2, TRUE, 'group', '2026-11-01 08:10:00', 0, 77, TRUE)"):
            old.execute_sql(statement)
    old.close_all() if hasattr(old, "close_all") else old.close()

    assert 14 in {m.version for m in migrate(connect(url))}
    open_db(url)
    try:
        with database.connection_context():
            assert {a.uid: a.session_id for a in Attempt.select()} == {"a1": 1, "a2": 1, "a3": 2, "a4": None,
                                                                       "a5": None}
            assert Attempt.get(Attempt.uid == "a5").option_index == 2 and Attempt.get(Attempt.uid == "a5").assisted
        assert group_sessions.answers(1) == {"q1": {1: (0, True), 2: (1, False)}}
        assert group_sessions.answers(2) == {"q2": {1: (2, True)}}

        with database.connection_context():
            GroupSession.delete().where(GroupSession.id == 2).execute()
            assert Attempt.get(Attempt.uid == "a3").session_id is None
            assert Attempt.select().count() == 5
            with pytest.raises(IntegrityError), database.atomic():  # no answer can point at a missing session
                Attempt.create(learner=1, lesson_id="phone-unlock", question_id="q3", option_index=0,
                               correct=True, session_id=2)
        assert group_sessions.answers(2) == {}
        assert group_sessions.answers(1) == {"q1": {1: (0, True), 2: (1, False)}}
    finally:
        database.obj.close_all()
        database.initialize(None)


def test_two_sessions_saving_at_once_both_succeed(village: int) -> None:
    """Streamlit serves each learner on its own thread: simultaneous taps must wait, not fail."""
    import threading

    people = [community.add_learner(village, f"Người {i}", f"nguoi {i}", None, None) for i in range(6)]
    errors: list[Exception] = []
    start = threading.Barrier(len(people))

    def tap(learner_id: int) -> None:
        start.wait()
        try:
            for step in range(40):
                learning.save_position(learner_id, "lesson-a", step % 5, 5)
                if step % 10 == 9:
                    learning.record_answer(learner_id, "lesson-a", f"q{step}", 0, True, "tap", step % 5, 5)
            learning.restart_lesson(learner_id, "lesson-a", 5)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=tap, args=(p.id,)) for p in people]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert all(learning.answer_count(p.id) == 4 for p in people)


def test_sqlite_runs_in_wal_mode_with_foreign_keys(db: Path, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's own settings")
    with database.connection_context():
        assert database.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert database.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
        assert database.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 5000
        assert database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL: survives a power cut


def test_sqlite_url_forms() -> None:
    assert sqlite_path("sqlite:////var/lib/hoc-so/p.sqlite3") == Path("/var/lib/hoc-so/p.sqlite3")
    assert sqlite_path("sqlite:///data/p.sqlite3") == Path("data/p.sqlite3")
    assert sqlite_path("postgresql://u@h/db") is None


def test_villages_with_learner_counts(village: int) -> None:
    other = community.get_or_create_village(community.get_or_create_commune("Xã Thử"), "Bản Hai")
    assert community.get_or_create_village(community.get_or_create_commune("Xã Thử"), "Bản Hai") == other
    community.add_learner(village, "Bà Một", "ba mot", None, None)
    community.add_learner(village, "Ông Hai", "ong hai", 1950, "hash")
    got = {v.name: v.learners for v in community.list_villages()}
    assert got == {"Thôn Một": 2, "Bản Hai": 0}
    assert community.get_village(other) is not None and community.get_village(9999) is None


def test_learners_are_listed_by_name_and_pin_hash_stays_private(village: int) -> None:
    b = community.add_learner(village, "Ông Bảy", "ong bay", 1948, "scrypt$aa$bb")
    a = community.add_learner(village, "Bà Ánh", "ba anh", None, None)
    assert [x.name for x in community.list_learners(village)] == ["Bà Ánh", "Ông Bảy"]
    assert (b.has_pin, a.has_pin, b.birth_year) == (True, False, 1948)
    assert not hasattr(b, "pin_hash")
    assert community.pin_state(b.id) == records.PinState("scrypt$aa$bb", None)
    assert community.pin_state(a.id) == records.PinState(None, None) and community.pin_state(999) is None
    assert community.find_learner(village, "ong bay", 1948) == b
    assert community.find_learner(village, "ong bay", None) is None


def test_progress_is_saved_and_completed_once(village: int) -> None:
    learner = community.add_learner(village, "Bà Một", "ba mot", None, None)
    learning.save_position(learner.id, "lesson-a", 2, 5)
    learning.save_position(learner.id, "lesson-a", 3, 5)
    p = learning.progress_for(learner.id)["lesson-a"]
    assert (p.position, p.screens, p.completed) == (3, 5, False)
    learning.save_position(learner.id, "lesson-a", 5, 5, completed=True)
    assert learning.progress_for(learner.id)["lesson-a"].completed


def test_an_answer_and_the_position_are_saved_together(village: int) -> None:
    learner = community.add_learner(village, "Bà Một", "ba mot", None, None)
    learning.record_answer(learner.id, "lesson-a", "q1", 1, False, "tap", 1, 4)
    learning.record_answer(learner.id, "lesson-a", "q1", 0, True, "voice", 1, 4)
    assert learning.answer_count(learner.id) == 2
    latest = learning.latest_answers(learner.id, "lesson-a")
    assert latest == {"q1": records.AnswerInfo("q1", 0, True, "voice")}
    assert learning.progress_for(learner.id)["lesson-a"].position == 1
    learning.record_answer(learner.id, "lesson-a", "q2", 1, True, "voice", 3, 4, "câu hai", 0.62)
    assert learning.latest_answers(learner.id, "lesson-a")["q2"] == records.AnswerInfo("q2", 1, True, "voice",
                                                                                      "câu hai", 0.62)


def test_the_first_answer_of_a_lesson_counts_even_before_any_step_was_saved(village: int) -> None:
    learner = community.add_learner(village, "Bà Một", "ba mot", None, None)
    learning.record_answer(learner.id, "quiz-first", "q1", 0, True, "tap", 0, 3)
    assert list(learning.latest_answers(learner.id, "quiz-first")) == ["q1"]


def test_restart_forgets_answers_of_the_earlier_run_but_keeps_them_stored(village: int) -> None:
    learner = community.add_learner(village, "Bà Một", "ba mot", None, None)
    learning.record_answer(learner.id, "lesson-a", "q1", 1, True, "tap", 1, 4)
    learning.save_position(learner.id, "lesson-a", 4, 4, completed=True)
    learning.restart_lesson(learner.id, "lesson-a", 4)
    p = learning.progress_for(learner.id)["lesson-a"]
    assert (p.position, p.completed) == (0, True)
    assert learning.latest_answers(learner.id, "lesson-a") == {}
    assert learning.answer_count(learner.id) == 1
