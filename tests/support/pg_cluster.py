"""A throwaway PostgreSQL cluster on loopback for the tests (Debian's server binaries; fsync off, trust auth).

Root cannot run the server, so as root the cluster belongs to the ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


class Unavailable(Exception):
    """No PostgreSQL server binaries here, or the cluster would not start."""


@dataclass(frozen=True)
class Server:
    url: str
    folder: Path
    bin: Path
    user: str | None

    def stop(self) -> None:
        _run(self, [str(self.bin / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate", "stop"],
             check=False)
        shutil.rmtree(self.folder, ignore_errors=True)


def _binaries() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise Unavailable("no /usr/lib/postgresql/*/bin/initdb")
    return Path(found[-1]).parent


def _run(server: Server | None, args: list[str], *, user: str | None = None, check: bool = True) -> None:
    who = server.user if server else user
    command = ["runuser", "-u", who, "--", *args] if who else args
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if check and done.returncode:
        raise Unavailable(f"{' '.join(args[:1])} failed: {done.stderr.strip() or done.stdout.strip()}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start() -> Server:
    """Initialise and start a cluster in a new folder under /tmp (the server's user must reach it)."""
    binaries = _binaries()
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="hoc-so-pg-"))
    if user:
        shutil.chown(folder, user)
    port = _free_port()
    server = Server(f"postgresql://postgres@127.0.0.1:{port}/postgres", folder, binaries, user)
    _run(server, [str(binaries / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"])
    _run(server, [str(binaries / "pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-w",
                  "-o", f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                        "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200", "start"])
    return server


def _admin(url: str, statement: str) -> None:
    import psycopg2

    con = psycopg2.connect(url)
    try:
        con.autocommit = True
        with con.cursor() as cursor:
            cursor.execute(statement)
    finally:
        con.close()


def with_database(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(url: str, name: str) -> None:
    _admin(url, f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\'')


def empty_tables(url: str, tables: list[str]) -> None:
    """Make a used test database as a fresh, migrated one, in milliseconds (creating and migrating one takes
    half a second): end every other session on it (pools earlier tests left open, as dropping it with FORCE
    did), delete every row of ``tables`` (children first) and restart every sequence at 1. A lock held by a
    session that cannot be ended makes it fail within seconds."""
    import psycopg2

    statements = ["SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                  "WHERE datname = current_database() AND pid <> pg_backend_pid()",
                  "SET LOCAL lock_timeout = '5s'", *(f'DELETE FROM "{table}"' for table in tables),
                  "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c JOIN pg_namespace n "
                  "ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = 'public'"]
    con = psycopg2.connect(url)
    try:
        with con, con.cursor() as cursor:
            cursor.execute("; ".join(statements))
    finally:
        con.close()


def drop_database(url: str, name: str) -> None:
    _admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
