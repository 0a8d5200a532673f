"""A tap on a lesson screen reruns that screen alone (a Streamlit fragment), not the page around it, against a
real `learn serve`: the tap still checks that she is signed in, and a problem inside the screen is told in her
language, not as Streamlit's traceback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from streamlit.testing.v1 import AppTest

from benchmarks.st_client import Session
from learn.strings_vi import t
from tests.support.server import Server, run_server

pytestmark = pytest.mark.server
LESSON = "phone-unlock"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with run_server(tmp_path_factory.mktemp("taps-home")) as running:
        yield running


def test_a_tap_reruns_the_screen_alone_and_still_checks_she_is_signed_in(server: Server) -> None:
    """Her name is merged into another (a trainer found her added twice) while she is in a lesson on the commune
    laptop: her next tap takes her to choosing her name, as a whole page run would, instead of saving her step
    for a resident who no longer exists."""
    from learn import services
    from progress_db import learning

    with server.data():
        village = services.villages()[0]
        her = services.add_learner(village.id, "Bà Thử Nhấn", 1951)
        twin = services.add_learner(village.id, "Bà Thử Nhấn", 1952)

    async def walk() -> None:
        session = Session(server.url)
        try:
            run = await session.open()
            run = await session.tap(run, f"village-{village.id}")
            run = await session.tap(run, f"learner-{her.id}")
            run = await session.tap(run, f"open-{LESSON}")
            run = await session.tap(run, "next-0")
            assert "next-1" in run.buttons
            assert run.fragments.get(run.buttons["next-1"]), "the screen is not a fragment: a tap reruns the page"
            with server.data():
                learning.merge_learners(twin.id, her.id)
            run = await session.tap(run, "next-1")  # the client raises if the page shows a traceback
            assert "next-2" not in run.buttons
            assert f"learner-{twin.id}" in run.buttons  # choosing her name again
        finally:
            await session.close()

    asyncio.run(asyncio.wait_for(walk(), timeout=120))


def _screen_that_fails() -> None:
    import streamlit as st

    from learn.app.ui import problems_said_plainly
    from progress_db.db import DatabaseError

    @st.fragment
    def screen() -> None:
        with problems_said_plainly():
            st.write("before")
            raise DatabaseError("database is locked")

    screen()


def test_a_storage_problem_inside_a_screen_is_said_in_her_language() -> None:
    """Streamlit draws its own English traceback for an error raised in a fragment, whatever is around it."""
    at = AppTest.from_function(_screen_that_fails).run(timeout=30)
    assert not at.exception
    assert [e.value for e in at.error] == [t("error.database")]
