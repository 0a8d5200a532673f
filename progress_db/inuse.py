"""Whether the app is serving a database, so that a restore never runs under it: answers given since the backup
would silently leave the live database. `learn serve` holds a shared lock on ``$LEARN_HOME/serving.lock`` for as
long as it runs (several processes may hold it together); a restore needs it free and holds it alone, so the app
cannot start half way through. On PostgreSQL, whose app processes may run on other machines, a restore also
needs no other connection to the database."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from peewee import Database

LOCK_NAME = "serving.lock"
_held: list[int] = []  # the serving process's lock, open until it exits


def hold(home: Path) -> None:
    """Mark ``home`` as served by this process (until it exits)."""
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_SH)
    _held.append(fd)


@contextmanager
def alone(home: Path) -> Iterator[bool]:
    """Hold ``home``'s lock alone, if no app is serving it: yields whether that was possible."""
    if not home.is_dir():
        yield True
        return
    fd = os.open(home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def other_connections(db: Database) -> int:
    """PostgreSQL: how many other sessions are connected to this database (app processes, a psql)."""
    cursor = db.execute_sql(
        "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
    return int(cursor.fetchone()[0])
