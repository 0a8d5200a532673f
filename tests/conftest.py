"""Shared fixtures: a real SQLite file per test, the fixture lessons, and AppTest wiring."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from learn.lessons.catalog import Catalog
from progress_db import queries
from progress_db.db import database, open_db

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
CONTENT = FIXTURES / "content" / "vi"
BROKEN = FIXTURES / "broken"
SHARED = ROOT.parent / "shared"


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Path]:
    """A migrated SQLite database in a temporary file, bound for the test; yields its path."""
    path = tmp_path / "progress.sqlite3"
    handle = open_db(f"sqlite:///{path}")
    yield path
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
