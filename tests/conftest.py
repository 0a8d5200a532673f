"""Shared fixtures: a real database per test (SQLite, or PostgreSQL too for tests marked ``both_engines``), the
fixture lessons, and ``app``, the one way to open the app's pages in AppTest. Shared data fixtures live in the
plugins of tests/support/ listed below; test modules import helpers from tests/support/, never from each other
(tests/test_structure.py checks)."""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from peewee import sort_models
from streamlit.testing.v1 import AppTest

from learn import secrets
from learn.lessons.catalog import Catalog
from learn.services import narration
from progress_db import community
from progress_db.db import database, open_db
from progress_db.models import TABLES
from tests.support import pg_cluster
from tests.support.apptest import clear_caches, open_page
from tests.support.paths import BROKEN, CONTENT, FIXTURES, ROOT, SHARED  # noqa: F401  (for test modules)

pytest_plugins = [
    "tests.support.commune",  # the hand-counted commune of the reports, its staff member, a late-night clock
    "tests.support.trainers",  # Chị Mai, a trainer of the test village's commune
    "tests.support.voice_page",  # the lesson page with a recogniser double
]

_NUMBERS = itertools.count()

# The suite's own accounts, PINs and picture passwords are hashed at scrypt's cheapest cost (each hash names its
# cost, so servers and commands started by the tests still check them): at the default cost, the ~1,100 hashes of
# `make test-fast` were a quarter of its time. tests/test_services.py checks the default cost itself.
secrets.COST = secrets.Cost(ln=4, r=8, p=1)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests marked ``both_engines`` (most modules do it with a module-level ``pytestmark``) that use the
    database run on SQLite and again on PostgreSQL (issue 8: the same database suite).

    Two kinds of them run on SQLite only: page flows (tests of the ``app`` fixture: their storage is the services'
    and queries' own, which their tests run on both engines), unless marked ``pages_on_both`` (group sessions:
    many sessions writing at once); and tests marked ``one_engine`` (what they check is decided before anything
    is stored: a refused pack)."""
    definition = metafunc.definition
    if "backend" not in metafunc.fixturenames or not definition.get_closest_marker("both_engines"):
        return
    if definition.get_closest_marker("one_engine") or (
            "app" in metafunc.fixturenames and not definition.get_closest_marker("pages_on_both")):
        return
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


@pytest.fixture(scope="session")
def sqlite_migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test that uses ``db`` (3 ms, where migrating took 90)."""
    path = tmp_path_factory.mktemp("migrated") / "progress.sqlite3"
    handle = open_db(f"sqlite:///{path}")
    handle.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the file itself, none in its WAL
    handle.close()
    database.initialize(None)
    return path


@pytest.fixture(scope="session")
def postgres_reused(postgres_server: str) -> Iterator[str]:
    """One migrated PostgreSQL database per test process, emptied before each test that uses ``db`` (creating
    and migrating a database took most of a PostgreSQL test's time: about 0.45 s against 1 ms to empty it). The
    migrations themselves run from empty, and from old schemas, in tests/test_db.py (``database_url`` alone is
    still a new, empty database)."""
    name = f"r_{os.getpid()}"
    pg_cluster.create_database(postgres_server, name)
    url = pg_cluster.with_database(postgres_server, name)
    _migrate(url)
    yield url
    pg_cluster.drop_database(postgres_server, name)


def _migrate(url: str) -> None:
    handle = open_db(url)
    handle.close_all() if hasattr(handle, "close_all") else handle.close()
    database.initialize(None)


#: every table of the schema, children before parents (the order rows can be deleted in)
_TABLES = [model._meta.table_name for model in reversed(sort_models(TABLES))]


def _emptied(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue("postgres_reused")
    try:
        pg_cluster.empty_tables(url, _TABLES)
    except Exception:  # a test changed its schema or left a lock: start that database again
        server: str = request.getfixturevalue("postgres_server")
        name = url.rsplit("/", 1)[1]
        pg_cluster.drop_database(server, name)
        pg_cluster.create_database(server, name)
        _migrate(url)
    return url


@pytest.fixture
def database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh database for one test: empty, or, for a test that uses ``db`` (which migrates it anyway), already
    migrated (a copy of ``sqlite_migrated``; on PostgreSQL the process's migrated one with no rows,
    ``postgres_reused``); for PostgreSQL, LEARN_DATABASE_URL
    points at it so the CLI and the app under test use it too."""
    if backend == "sqlite":
        if "db" in request.fixturenames:
            shutil.copyfile(request.getfixturevalue("sqlite_migrated"), tmp_path / "progress.sqlite3")
        yield f"sqlite:///{tmp_path / 'progress.sqlite3'}"
        return
    if "db" in request.fixturenames:
        # its own address each time: what a process keeps per database address (the app's pool, its daily
        # erasing of old transcripts) starts afresh, as it would for a new database
        url = f"{_emptied(request)}?application_name=test-{next(_NUMBERS)}"
        monkeypatch.setenv("LEARN_DATABASE_URL", url)
        yield url
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
    narration.forget_recordings()  # what this process read of another test's database
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
