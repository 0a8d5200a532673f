"""The database handle: one proxy, bound once per process by ``open_db`` and migrated to the current schema."""

from __future__ import annotations

from pathlib import Path

from peewee import Database, DatabaseProxy, OperationalError
from playhouse.db_url import connect as connect_url
from playhouse.db_url import parse as parse_url
from playhouse.pool import PooledPostgresqlDatabase, PooledSqliteDatabase

from progress_db import private

#: Bound by ``open_db``; models and queries use it without knowing which engine is behind it.
database = DatabaseProxy()

# WAL lets a reader and a writer work at once (Streamlit runs each session's reruns on threads);
# the busy timeout makes a second writer wait instead of failing with "database is locked".
# synchronous=full: an answer acknowledged on screen survives a power cut (the write rate is tiny).
SQLITE_PRAGMAS = {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 5000, "synchronous": "full"}


def sqlite_path(url: str) -> Path | None:
    """The file of a ``sqlite:///`` URL (``sqlite:////abs/path`` or ``sqlite:///relative``), else None."""
    prefix = "sqlite:///"
    return Path(url[len(prefix):].split("?", 1)[0]) if url.startswith(prefix) else None


def connect(url: str) -> Database:
    """A database object for ``url``; SQLite gets a small connection pool shared by Streamlit's threads."""
    path = sqlite_path(url)
    if url.startswith(("postgresql://", "postgres://")):
        # one pool per process: Streamlit runs each session's reruns on its own thread
        params = parse_url(url)
        params.pop("max_connections", None)
        return PooledPostgresqlDatabase(params.pop("database"), max_connections=32, stale_timeout=300, timeout=10,
                                        **params)
    if path is None:
        return connect_url(url)
    try:
        if str(path) != ":memory:":  # the file holds PIN and password hashes: 0600, in a new folder 0700
            if not path.parent.is_dir():
                private.folder(path.parent)
            private.touch(path)
            for extra in ("-wal", "-shm"):  # SQLite gives these the database's mode; older ones may be open
                private.close(path.with_name(path.name + extra))
    except OSError as exc:  # LEARN_HOME is a file, read-only, on a missing drive...
        raise OperationalError(f"cannot create the database {path}: {exc}") from exc
    # Pooled connections are reused across threads, so pragmas are applied once per connection, not per rerun.
    return PooledSqliteDatabase(str(path), pragmas=SQLITE_PRAGMAS, max_connections=16, stale_timeout=600,
                                timeout=10, check_same_thread=False)


def open_db(url: str) -> Database:
    """Connect to ``url``, bind the models to it and bring its schema up to date."""
    from progress_db.migrations import migrate

    db = connect(url)
    database.initialize(db)
    migrate(db)
    return db


# Re-exported so callers can catch storage failures (locked, disk full, server gone) without importing peewee.
from peewee import DatabaseError as DatabaseError  # noqa: E402
from playhouse.pool import MaxConnectionsExceeded as MaxConnectionsExceeded  # noqa: E402
