"""Online backup and restore: SQLite through its backup API (safe while the app writes), PostgreSQL through
pg_dump / pg_restore. A backup is checked before it is trusted, written atomically, and readable only by the
account that made it (0600)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from progress_db import inuse, private
from progress_db.db import connect, sqlite_path


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why, and nothing was changed."""


class AppRunning(BackupError):
    """A restore refused because the app is using the database (stop `learn serve` first)."""


def _check_sqlite(path: Path) -> int:
    """Raise BackupError unless ``path`` is a sound Học Số database; return its schema version."""
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if con.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{path} is damaged (integrity check failed)")
            version = con.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} is not a Học Số database: {exc}") from exc
    if version is None:
        raise BackupError(f"{path} is not a Học Số database: no schema version")
    return int(version)


def _libpq(url: str) -> tuple[list[str], dict[str, str]]:
    """Connection arguments for pg_dump/pg_restore without the password on the command line (where any local
    user could read it), and without our own URL options libpq does not know."""
    from urllib.parse import unquote, urlsplit

    parts = urlsplit(url)
    args = ["--dbname", unquote(parts.path.lstrip("/"))]
    if parts.hostname:
        args += ["--host", parts.hostname]
    if parts.port:
        args += ["--port", str(parts.port)]
    if parts.username:
        args += ["--username", unquote(parts.username)]
    env = {**os.environ}
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return args, env


def _postgres_tool(name: str) -> str:
    found = shutil.which(name) or next((str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                                                                 reverse=True)), None)
    if not found:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def backup(url: str, target: Path) -> Path:
    """Copy the database at ``url`` to ``target`` while it stays in use."""
    target = target.resolve()
    partial = target.with_name(f".{target.name}.partial")
    try:
        # a backup holds every PIN and password hash: readable by this account only, from the first byte
        partial.unlink(missing_ok=True)
        private.touch(partial)
        path = sqlite_path(url)
        if path is not None:
            if not path.is_file():
                raise BackupError(f"no database at {path}")
            source = sqlite3.connect(path, timeout=30)
            copy = sqlite3.connect(partial)
            try:
                with copy:
                    # one step: in WAL mode it does not block writers, and steps would restart on every write
                    source.backup(copy, pages=-1)
            finally:
                copy.close()
                source.close()
            _check_sqlite(partial)
        else:
            connection, env = _libpq(url)
            done = subprocess.run([_postgres_tool("pg_dump"), "--format=custom", "--no-owner", "-f", str(partial),
                                   *connection], capture_output=True, text=True, timeout=3600, env=env)
            if done.returncode:
                raise BackupError(f"pg_dump failed: {done.stderr.strip()}")
        with open(partial, "rb") as f:
            os.fsync(f.fileno())
        os.replace(partial, target)
        return target
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot write the backup {target}: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)


def restore(url: str, source: Path, home: Path | None = None) -> Path | None:
    """Replace the database at ``url`` with the backup ``source``. Refused (AppRunning) while the app serves it:
    ``learn serve`` on ``home`` (its LEARN_HOME), or, on PostgreSQL, any other connection to the database. For
    SQLite the current database is kept beside it first; returns that copy's path."""
    if not source.is_file():
        raise BackupError(f"no backup at {source}")
    with inuse.alone(home) if home is not None else nullcontext(True) as free:
        if not free:
            raise AppRunning(f"the app is serving {home}: stop `learn serve` first")
        return _restore(url, source)


def _restore(url: str, source: Path) -> Path | None:
    path = sqlite_path(url)
    if path is None:
        probe = connect(url)
        try:
            with probe.connection_context():
                others = inuse.other_connections(probe)
        finally:
            probe.close_all() if hasattr(probe, "close_all") else probe.close()
        if others:
            raise AppRunning(f"{others} other connection(s) use the database: stop every app process first")
        connection, env = _libpq(url)
        done = subprocess.run([_postgres_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
                               "--single-transaction", *connection, str(source)],
                              capture_output=True, text=True, timeout=3600, env=env)
        if done.returncode:
            raise BackupError(f"pg_restore failed, nothing changed: {done.stderr.strip()}")
        return None
    _check_sqlite(source)
    kept = None
    try:
        if path.exists():
            kept = path.with_name(f"{path.name}.before-restore-{datetime.now(UTC):%Y%m%d-%H%M%S}")
            backup(url, kept)
        incoming = sqlite3.connect(source)
        live = sqlite3.connect(path, timeout=30)
        try:
            with live:
                incoming.backup(live)
        finally:
            live.close()
            incoming.close()
    except (OSError, sqlite3.Error) as exc:
        raise BackupError(f"cannot restore into {path}: {exc}") from exc
    return kept
