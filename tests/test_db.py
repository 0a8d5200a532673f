"""The progress database on SQLite and PostgreSQL: schema, migrations and every query the app relies on."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from peewee import Database, SqliteDatabase

from progress_db import queries
from progress_db.db import connect, database, open_db, sqlite_path
from progress_db.migrations import applied, available, migrate
from progress_db.models import TABLES
from tests.support import pg_cluster

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
    [learner] = queries.list_learners(1)
    assert learner.name == "Bà Cũ"
    assert queries.latest_answers(learner.id, "phone-unlock") == {
        "q1": queries.AnswerInfo("q1", 0, True, "tap", None, None)}
    queries.record_answer(learner.id, "phone-unlock", "q2", 1, True, "voice", 3, 8, "hai", 0.81)
    assert queries.latest_answers(learner.id, "phone-unlock")["q2"].transcript == "hai"
    database.obj.close_all()
    database.initialize(None)


def test_two_sessions_saving_at_once_both_succeed(village: int) -> None:
    """Streamlit serves each learner on its own thread: simultaneous taps must wait, not fail."""
    import threading

    people = [queries.add_learner(village, f"Người {i}", f"nguoi {i}", None, None) for i in range(6)]
    errors: list[Exception] = []
    start = threading.Barrier(len(people))

    def tap(learner_id: int) -> None:
        start.wait()
        try:
            for step in range(40):
                queries.save_position(learner_id, "lesson-a", step % 5, 5)
                if step % 10 == 9:
                    queries.record_answer(learner_id, "lesson-a", f"q{step}", 0, True, "tap", step % 5, 5)
            queries.restart_lesson(learner_id, "lesson-a", 5)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=tap, args=(p.id,)) for p in people]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert all(queries.answer_count(p.id) == 4 for p in people)


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
    other = queries.get_or_create_village(queries.get_or_create_commune("Xã Thử"), "Bản Hai")
    assert queries.get_or_create_village(queries.get_or_create_commune("Xã Thử"), "Bản Hai") == other
    queries.add_learner(village, "Bà Một", "ba mot", None, None)
    queries.add_learner(village, "Ông Hai", "ong hai", 1950, "hash")
    got = {v.name: v.learners for v in queries.list_villages()}
    assert got == {"Thôn Một": 2, "Bản Hai": 0}
    assert queries.get_village(other) is not None and queries.get_village(9999) is None


def test_learners_are_listed_by_name_and_pin_hash_stays_private(village: int) -> None:
    b = queries.add_learner(village, "Ông Bảy", "ong bay", 1948, "scrypt$aa$bb")
    a = queries.add_learner(village, "Bà Ánh", "ba anh", None, None)
    assert [x.name for x in queries.list_learners(village)] == ["Bà Ánh", "Ông Bảy"]
    assert (b.has_pin, a.has_pin, b.birth_year) == (True, False, 1948)
    assert not hasattr(b, "pin_hash")
    assert queries.pin_state(b.id) == queries.PinState("scrypt$aa$bb", None)
    assert queries.pin_state(a.id) == queries.PinState(None, None) and queries.pin_state(999) is None
    assert queries.find_learner(village, "ong bay", 1948) == b
    assert queries.find_learner(village, "ong bay", None) is None


def test_progress_is_saved_and_completed_once(village: int) -> None:
    learner = queries.add_learner(village, "Bà Một", "ba mot", None, None)
    queries.save_position(learner.id, "lesson-a", 2, 5)
    queries.save_position(learner.id, "lesson-a", 3, 5)
    p = queries.progress_for(learner.id)["lesson-a"]
    assert (p.position, p.screens, p.completed) == (3, 5, False)
    queries.save_position(learner.id, "lesson-a", 5, 5, completed=True)
    assert queries.progress_for(learner.id)["lesson-a"].completed


def test_an_answer_and_the_position_are_saved_together(village: int) -> None:
    learner = queries.add_learner(village, "Bà Một", "ba mot", None, None)
    queries.record_answer(learner.id, "lesson-a", "q1", 1, False, "tap", 1, 4)
    queries.record_answer(learner.id, "lesson-a", "q1", 0, True, "voice", 1, 4)
    assert queries.answer_count(learner.id) == 2
    latest = queries.latest_answers(learner.id, "lesson-a")
    assert latest == {"q1": queries.AnswerInfo("q1", 0, True, "voice")}
    assert queries.progress_for(learner.id)["lesson-a"].position == 1
    queries.record_answer(learner.id, "lesson-a", "q2", 1, True, "voice", 3, 4, "câu hai", 0.62)
    assert queries.latest_answers(learner.id, "lesson-a")["q2"] == queries.AnswerInfo("q2", 1, True, "voice",
                                                                                      "câu hai", 0.62)


def test_the_first_answer_of_a_lesson_counts_even_before_any_step_was_saved(village: int) -> None:
    learner = queries.add_learner(village, "Bà Một", "ba mot", None, None)
    queries.record_answer(learner.id, "quiz-first", "q1", 0, True, "tap", 0, 3)
    assert list(queries.latest_answers(learner.id, "quiz-first")) == ["q1"]


def test_restart_forgets_answers_of_the_earlier_run_but_keeps_them_stored(village: int) -> None:
    learner = queries.add_learner(village, "Bà Một", "ba mot", None, None)
    queries.record_answer(learner.id, "lesson-a", "q1", 1, True, "tap", 1, 4)
    queries.save_position(learner.id, "lesson-a", 4, 4, completed=True)
    queries.restart_lesson(learner.id, "lesson-a", 4)
    p = queries.progress_for(learner.id)["lesson-a"]
    assert (p.position, p.completed) == (0, True)
    assert queries.latest_answers(learner.id, "lesson-a") == {}
    assert queries.answer_count(learner.id) == 1
