"""A group session's answers among a million (issue 15): every projector tap reads the session's answers
(``group_sessions.answers``) and replaces the tapped question's (``record_group_answers``). Both are timed
on a database built as migration 0013 left it (``attempt.session_id`` a plain column), then again after the newer
migrations (0014: a foreign key with an index), on SQLite and PostgreSQL, with each statement's plan and how long
the migration took.

    python -m benchmarks.bench_session_answers [--answers N]

Writes benchmarks/results-session-answers.txt.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path

from peewee import Database, SqliteDatabase

from progress_db import bulk, group_sessions
from progress_db.db import connect, database
from progress_db.migrations import applied, migrate
from tests.support import pg_cluster
from tests.support.old_schema import build_at

HERE = Path(__file__).resolve().parent
BEFORE = 13  # the last migration with attempt.session_id as a plain column
VILLAGES, PER_SESSION, QUESTIONS = 50, 25, 10  # 25 residents come to a session of a 10-question lesson
START = datetime(2026, 3, 1, 8)


def _fill(answers: int) -> tuple[int, list[int]]:
    """A commune of 50 villages whose residents answered ``answers`` times (100 answers each), a tenth of them in
    group sessions of 25 residents; returns a session in the middle and the residents who came to it."""
    learners = answers // 100
    per_village = learners // VILLAGES
    sessions = VILLAGES * (per_village // PER_SESSION)
    if not sessions:
        raise SystemExit(f"--answers {answers}: too few for a group session of {PER_SESSION} in each village")
    with database.atomic():
        database.execute_sql("INSERT INTO commune (uid, name, created_at) VALUES ('c', 'Xã Thử', '2026-03-01')")
        bulk.insert_rows("village", ("uid", "commune_id", "name", "created_at", "join_code", "join_failures"),
                         ((f"v{v}", 1, f"Thôn {v}", START, "000000", 0) for v in range(VILLAGES)))
        bulk.insert_rows("learner", ("uid", "village_id", "display_name", "name_key", "created_at", "updated_at",
                                     "pin_failures"),
                         ((f"l{i}", 1 + i % VILLAGES, f"Người {i}", f"nguoi {i}", START, START, 0)
                          for i in range(learners)))
        # session s is held in village s % 50; its residents are the village's (s // 50)-th group of 25
        bulk.insert_rows("group_session", ("uid", "village_id", "lesson_id", "position", "started_at",
                                           "finished_at"),
                         ((f"s{s}", 1 + s % VILLAGES, f"lesson-{s % 10}", 5, START + timedelta(days=s),
                           START + timedelta(days=s, minutes=45)) for s in range(sessions)))

        def rows() -> Iterator[tuple[object, ...]]:
            for i in range(learners):
                village, group = i % VILLAGES, (i // VILLAGES) // PER_SESSION
                session = group * VILLAGES + village + 1 if group * VILLAGES + village < sessions else None
                for n in range(100):
                    in_session = session is not None and n < QUESTIONS
                    lesson = f"lesson-{(session - 1) % 10}" if in_session else f"lesson-{n // 10 + 10}"
                    yield (f"{i:08x}{n:024x}", i + 1, lesson, f"q{n % 10 + 1}", n % 3, n % 3 == 0,
                           "group" if in_session else "tap", START + timedelta(minutes=i + n), 0,
                           in_session, session if in_session else None, False)

        bulk.insert_rows("attempt", ("uid", "learner_id", "lesson_id", "question_id", "option_index", "correct",
                                     "mode", "answered_at", "run", "assisted", "session_id", "retry"), rows())
    middle = sessions // 2 + 1
    came = [i + 1 for i in range(learners) if i % VILLAGES + (i // VILLAGES) // PER_SESSION * VILLAGES == middle - 1]
    return middle, came


def _median(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _plans(call: Callable[[], object]) -> list[str]:
    """The plan of each statement ``call`` runs on the attempt table."""
    real = database.obj.execute_sql
    seen: list[tuple[str, object]] = []

    def spy(sql, params=None, *args, **kwargs):
        seen.append((sql, params))
        return real(sql, params, *args, **kwargs)

    database.obj.execute_sql = spy
    try:
        call()
    finally:
        database.obj.execute_sql = real
    sqlite = isinstance(database.obj, SqliteDatabase)
    plans = []
    for sql, params in seen:
        if '"attempt"' not in sql or sql.startswith("INSERT"):
            continue
        rows = real(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + sql, params).fetchall()
        plans.append(f"{sql.split(' ', 1)[0]}: " + " | ".join(r[3] if sqlite else r[0] for r in rows))
    return plans


def _measure(label: str, session: int, came: list[int], out: dict[str, object]) -> None:
    got = group_sessions.answers(session)
    assert len(got) == QUESTIONS and all(len(v) == PER_SESSION for v in got.values()), got
    out[f"{label}_session_answers_ms"] = round(1000 * _median(lambda: group_sessions.answers(session), 15), 1)

    def tap() -> None:
        group_sessions.record_answers(session, f"lesson-{(session - 1) % 10}", "q1",
                                            dict.fromkeys(came, (0, True)), set(came), 1, 5)

    out[f"{label}_record_group_answers_ms"] = round(1000 * _median(tap, 5), 1)
    out[f"{label}_plans"] = _plans(lambda: (group_sessions.answers(session), tap()))


def _one_engine(engine: str, db: Database, answers: int) -> dict[str, object]:
    out: dict[str, object] = {}
    build_at(db, BEFORE)
    database.initialize(db)
    start = time.perf_counter()
    session, came = _fill(answers)
    out[f"{engine}_answers"] = database.execute_sql("SELECT COUNT(*) FROM attempt").fetchone()[0]
    out[f"{engine}_fill_s"] = round(time.perf_counter() - start, 1)
    if not isinstance(db, SqliteDatabase):
        db.execute_sql("ANALYZE")  # what autovacuum does after a big load
    _measure(f"{engine}_0013", session, came, out)
    start = time.perf_counter()
    ran = migrate(db)
    out[f"{engine}_migrations_run"] = [f"{m.version:04d}_{m.name}" for m in ran]
    out[f"{engine}_migrate_s"] = round(time.perf_counter() - start, 1)
    assert applied(db) >= {m.version for m in ran}
    _measure(f"{engine}_head", session, came, out)
    db.close_all() if hasattr(db, "close_all") else db.close()
    database.initialize(None)
    return out


def run(answers: int = 1_000_000) -> dict[str, object]:
    out: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out.update(_one_engine("sqlite", connect(f"sqlite:///{Path(tmp) / 'progress.sqlite3'}"), answers))
    try:
        cluster = pg_cluster.start()
    except pg_cluster.Unavailable as exc:
        out["postgresql"] = f"skipped: {exc}"
        return out
    try:
        pg_cluster.create_database(cluster.url, "bench_sessions")
        out.update(_one_engine("pg", connect(pg_cluster.with_database(cluster.url, "bench_sessions")), answers))
    finally:
        cluster.stop()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000)
    results = run(parser.parse_args().answers)
    lines = [f"Measured {time.strftime('%Y-%m-%d %H:%M')} with python -m benchmarks.bench_session_answers", ""]
    for key, value in results.items():
        if isinstance(value, list) and key.endswith("_plans"):
            lines += [f"{key}:", *(f"  {p}" for p in value)]
        else:
            lines.append(f"{key}: {value}")
    (HERE / "results-session-answers.txt").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
