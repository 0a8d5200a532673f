"""Shared fixtures: a real SQLite file per test, the fixture lessons, and AppTest wiring."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from learn.lessons.catalog import Catalog
from progress_db import queries
from progress_db.db import database, open_db
from tests.support import pg_cluster

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONTENT = FIXTURES / "content" / "vi"
BROKEN = FIXTURES / "broken"
SHARED = ROOT.parent / "shared"
_NUMBERS = itertools.count()


#: Test modules whose every test runs on SQLite and again on PostgreSQL (issue 8: the same database suite).
BOTH_DATABASES = {"test_db", "test_services", "test_care", "test_reports", "test_sessions", "test_trainers",
                  "test_sync", "test_durability", "test_lockout"}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "backend" in metafunc.fixturenames and metafunc.module.__name__.rsplit(".", 1)[-1] in BOTH_DATABASES:
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database engine under test: SQLite unless the module runs on both."""
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for the tests: LEARN_TEST_POSTGRES_URL if given (a database the tests may create
    databases on), else a throwaway cluster started here on loopback (what `make test` does)."""
    given = os.environ.get("LEARN_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    try:
        server = pg_cluster.start()
    except pg_cluster.Unavailable as exc:
        if os.environ.get("LEARN_TEST_REQUIRE_POSTGRES"):  # `make test`: PostgreSQL must run, never a silent skip
            pytest.fail(f"PostgreSQL did not start: {exc}")
        pytest.skip(f"no PostgreSQL: {exc} (run `make test`, which installs it, or set LEARN_TEST_POSTGRES_URL)")
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, empty database for one test; for PostgreSQL, LEARN_DATABASE_URL points at it so the CLI and
    the app under test use it too."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'progress.sqlite3'}"
        return
    server = request.getfixturevalue("postgres_server")
    name = f"t_{os.getpid()}_{next(_NUMBERS)}"
    pg_cluster.create_database(server, name)
    url = pg_cluster.with_database(server, name)
    monkeypatch.setenv("LEARN_DATABASE_URL", url)
    try:
        yield url
    finally:
        pg_cluster.drop_database(server, name)


@pytest.fixture
def new_database(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Callable[[], str]]:
    """Makes more fresh, empty databases of the same engine (other laptops, a server); none is bound."""
    made: list[tuple[str, str]] = []

    def make() -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'other-{next(_NUMBERS)}.sqlite3'}"
        server = request.getfixturevalue("postgres_server")
        name = f"o_{os.getpid()}_{next(_NUMBERS)}"
        pg_cluster.create_database(server, name)
        made.append((server, name))
        return pg_cluster.with_database(server, name)

    yield make
    for server, name in made:
        pg_cluster.drop_database(server, name)


@pytest.fixture
def db(tmp_path: Path, database_url: str) -> Iterator[Path]:
    """A migrated database (SQLite in a temporary file, or PostgreSQL), bound for the test; yields the folder
    file of LEARN_HOME's SQLite database (tests use its parent as LEARN_HOME)."""
    handle = open_db(database_url)
    yield tmp_path / "progress.sqlite3"
    handle.close_all() if hasattr(handle, "close_all") else handle.close()
    database.initialize(None)


@pytest.fixture
def catalog() -> Catalog:
    """The two fixture lessons."""
    return Catalog.load(CONTENT)


@pytest.fixture
def village(db: Path) -> int:
    """A village in a commune, in the test database."""
    commune = queries.get_or_create_commune("Xã Thử")
    return queries.get_or_create_village(commune, "Thôn Một")
