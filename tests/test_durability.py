"""Nothing a learner did is lost: many sessions at once, a killed server, backups and restores. Runs on SQLite
and on PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from learn.cli import cli
from progress_db import community, learning
from progress_db.backup import BackupError, backup, restore
from progress_db.db import database
from progress_db.models import Attempt
from tests.conftest import ROOT
from tests.support.cli import runner

pytestmark = pytest.mark.both_engines


def _answers() -> int:
    with database.connection_context():
        return Attempt.select().count()


def test_thirty_sessions_answering_at_once_lose_nothing(village: int) -> None:
    people = [community.add_learner(village, f"Người {i}", f"nguoi {i}", None, None) for i in range(30)]
    errors: list[Exception] = []
    start = threading.Barrier(len(people))

    def learner(person_id: int) -> None:
        start.wait()
        try:
            for step in range(20):
                learning.record_answer(person_id, "lesson-a", f"q{step}", step % 3, step % 3 == 0, "tap", step, 21)
                learning.save_position(person_id, "lesson-a", step + 1, 21, completed=step == 19)
        except Exception as exc:  # noqa: BLE001 - any failure is the finding
            errors.append(exc)

    threads = [threading.Thread(target=learner, args=(p.id,)) for p in people]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert _answers() == 30 * 20
    assert all(learning.progress_for(p.id)["lesson-a"].completed for p in people)


WRITER = """
import sys
from progress_db import community, learning
from progress_db.db import open_db
open_db(sys.argv[1])
village = community.get_or_create_village(community.get_or_create_commune("Xã Thử"), "Thôn Một")
person = community.add_learner(village, "Bà Bền", "ba ben", None, None)
for i in range(100000):
    learning.record_answer(person.id, "lesson-a", f"q{i}", 0, True, "tap", i, 100000)
    print(i, flush=True)  # acknowledged: the app would now show the next screen
"""


def test_a_killed_server_loses_no_acknowledged_answer(db: Path, database_url: str) -> None:
    writer = subprocess.Popen([sys.executable, "-c", WRITER, database_url], stdout=subprocess.PIPE, text=True,
                              cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert writer.stdout is not None
    acknowledged = -1
    for line in writer.stdout:
        acknowledged = int(line)
        if acknowledged >= 60:
            break
    writer.send_signal(signal.SIGKILL)  # no clean shutdown: like a power cut of the process
    writer.wait(timeout=30)
    with database.connection_context():
        saved = {a.question_id for a in Attempt.select(Attempt.question_id)}
    assert {f"q{i}" for i in range(acknowledged + 1)} <= saved


def test_an_online_backup_while_answers_arrive_and_a_restore(village: int, database_url: str,
                                                             tmp_path: Path) -> None:
    person = community.add_learner(village, "Bà Một", "ba mot", None, None)
    for i in range(50):
        learning.record_answer(person.id, "lesson-a", f"q{i}", 0, True, "tap", i, 100)
    stop = threading.Event()

    def keep_answering() -> None:
        i = 50
        while not stop.is_set():
            learning.record_answer(person.id, "lesson-a", f"q{i}", 0, True, "tap", i % 100, 100)
            i += 1

    writer = threading.Thread(target=keep_answering)
    writer.start()
    try:
        saved = backup(database_url, tmp_path / "backup.db")
    finally:
        stop.set()
        writer.join()
    at_end = _answers()
    assert saved.is_file() and at_end > 50
    database.obj.close_all()  # the app is stopped for a restore (its connections too, on PostgreSQL)
    kept = restore(database_url, saved)
    restored = _answers()
    assert 50 <= restored <= at_end  # everything answered before the backup began, nothing invented
    if kept is not None:
        assert kept.is_file()
        import sqlite3
        assert sqlite3.connect(kept).execute("SELECT COUNT(*) FROM attempt").fetchone()[0] == at_end


def test_a_damaged_backup_is_refused_and_nothing_changes(village: int, database_url: str, tmp_path: Path) -> None:
    person = community.add_learner(village, "Bà Một", "ba mot", None, None)
    learning.record_answer(person.id, "lesson-a", "q1", 0, True, "tap", 1, 4)
    good = backup(database_url, tmp_path / "good.db")
    truncated = tmp_path / "truncated.db"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 3])
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a backup at all" * 100)
    for bad in (truncated, garbage):
        with pytest.raises(BackupError):
            restore(database_url, bad)
        assert _answers() == 1 and community.list_learners(village)[0].name == "Bà Một"


def test_a_backup_to_a_full_disk_says_so_and_leaves_nothing(village: int, database_url: str,
                                                           tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the same code path writes the file for both engines; the SQLite one is tested")
    for i in range(300):
        community.add_learner(village, f"Người {i}", f"nguoi {i}", None, None)
    small = tmp_path / "small"
    small.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(small)],
                      capture_output=True).returncode:
        pytest.skip("cannot mount a tiny tmpfs here (needs root)")
    try:
        with pytest.raises(BackupError, match="cannot write the backup"):
            backup(database_url, small / "backup.db")
        assert list(small.iterdir()) == []
    finally:
        subprocess.run(["umount", str(small)], check=False)


def test_backup_and_restore_commands(village: int, db: Path, tmp_path: Path) -> None:
    env = {"LEARN_HOME": str(db.parent)}
    community.add_learner(village, "Bà Một", "ba mot", None, None)
    made = runner().invoke(cli, ["db", "backup", str(tmp_path / "b.db")], env=env)
    assert made.exit_code == 0 and "backup written" in made.output
    community.add_learner(village, "Ông Hai", "ong hai", None, None)
    database.obj.close_all()  # the app is stopped
    done = runner().invoke(cli, ["db", "restore", "--yes", str(tmp_path / "b.db")], env=env)
    assert done.exit_code == 0, done.stderr
    assert [p.name for p in community.list_learners(village)] == ["Bà Một"]
    (tmp_path / "junk.db").write_text("junk")
    refused = runner().invoke(cli, ["db", "restore", "--yes", str(tmp_path / "junk.db")], env=env)
    assert refused.exit_code == 1 and "Traceback" not in refused.stderr
    assert [p.name for p in community.list_learners(village)] == ["Bà Một"]


def test_a_restore_waits_until_the_app_has_stopped(village: int, db: Path, tmp_path: Path, backend: str) -> None:
    """Issue 14, item 10: a restore while the app wrote lost every answer given since the backup. Now it is
    refused with the reason, and nothing changes, while `learn serve` holds the data folder (SQLite) or any
    other connection uses the database (PostgreSQL)."""
    import sys

    env = {"LEARN_HOME": str(db.parent)}
    community.add_learner(village, "Bà Một", "ba mot", None, None)
    assert runner().invoke(cli, ["db", "backup", str(tmp_path / "b.db")], env=env).exit_code == 0
    community.add_learner(village, "Ông Hai", "ong hai", None, None)  # answered after the backup
    if backend == "sqlite":
        database.obj.close_all()
        serving = subprocess.Popen([sys.executable, "-c", "import sys, time; from pathlib import Path; "
                                    "from progress_db import inuse; inuse.hold(Path(sys.argv[1])); "
                                    "print('held', flush=True); time.sleep(60)", str(db.parent)],
                                   stdout=subprocess.PIPE, text=True)
        assert serving.stdout is not None and serving.stdout.readline().strip() == "held"
    try:
        refused = runner().invoke(cli, ["db", "restore", "--yes", str(tmp_path / "b.db")], env=env)
        assert refused.exit_code == 1 and "Traceback" not in refused.stderr
        assert refused.stderr.startswith("Lỗi: Ứng dụng đang chạy")
        assert [p.name for p in community.list_learners(village)] == ["Bà Một", "Ông Hai"]
    finally:
        if backend == "sqlite":
            serving.kill()
            serving.wait()
    database.obj.close_all()  # now the app is stopped
    done = runner().invoke(cli, ["db", "restore", "--yes", str(tmp_path / "b.db")], env=env)
    assert done.exit_code == 0, done.stderr
    assert [p.name for p in community.list_learners(village)] == ["Bà Một"]
