"""Shared fixtures: a real database per test (SQLite, or PostgreSQL too for tests marked ``both_engines``), the
fixture lessons, and ``app``, the one way to open the app's pages in AppTest. Shared data fixtures live in the
plugins of tests/support/ listed below; test modules import helpers from tests/support/, never from each other
(tests/test_structure.py checks)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from learn.lessons.catalog import Catalog
from progress_db import community
from progress_db.db import database, open_db
from tests.support import pg_cluster
from tests.support.apptest import clear_caches, open_page
from tests.support.paths import BROKEN, CONTENT, FIXTURES, ROOT, SHARED  # noqa: F401  (for test modules)

pytest_plugins = [
    "tests.support.commune",  # the hand-counted commune of the reports, its staff member, a late-night clock
    "tests.support.trainers",  # Chị Mai, a trainer of the test village's commune
    "tests.support.voice_page",  # the lesson page with a recogniser double
]

_NUMBERS = itertools.count()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_engines`` (most modules do it with a module-level ``pytestmark``) that use the
    database run on SQLite and again on PostgreSQL (issue 8: the same database suite)."""
    if "backend" in metafunc.fixturenames and metafunc.definition.get_closest_marker("both_engines"):
        metafunc.parametrize("backend", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    """The database engine under test: SQLite unless the test is marked ``both_engines``."""
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
    commune = community.get_or_create_commune("Xã Thử")
    return community.get_or_create_village(commune, "Thôn Một")


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch, db: Path, database_url: str) -> Iterator[Callable[..., AppTest]]:
    """Opens the app's pages in AppTest: ``app(page=None, query=None, *, account=None, password=PASSWORD,
    timeout=20, **state)`` (see ``tests.support.apptest.open_page``). The app uses the test database and the
    fixture lessons, narration off (tests/test_app_narration.py turns it on); Streamlit's caches are cleared
    before and after. A test that needs other settings sets them with ``monkeypatch`` before calling ``app``."""
    monkeypatch.setenv("LEARN_HOME", str(db.parent))
    monkeypatch.setenv("LEARN_DATABASE_URL", database_url)
    monkeypatch.setenv("LEARN_CONTENT_DIR", str(CONTENT))
    monkeypatch.setenv("LEARN_TTS", "off")
    clear_caches()
    yield open_page
    clear_caches()
