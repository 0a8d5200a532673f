"""Chị Mai, a trainer of the test village's commune (a pytest plugin: tests/conftest.py lists it)."""

from __future__ import annotations

import pytest

from learn.services import accounts
from progress_db.records import AccountInfo
from tests.support.apptest import PASSWORD


@pytest.fixture
def mai(village: int) -> AccountInfo:
    """Chị Mai (username "mai", password PASSWORD), a trainer of Xã Thử, the commune of the ``village``."""
    return accounts.create_account("mai", "Chị Mai", PASSWORD, "trainer", "Xã Thử")
