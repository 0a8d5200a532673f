"""Every screen a resident sees speaks (issue 16): opened as she reaches it, with the real espeak-ng voice, each
page has one narration player that starts by itself, and its clip was made. A resident page added without a
narration, or without a way to open it here, fails by name. (Trainer and staff pages are for readers.)"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from learn import services
from learn.app.navigation import PAGES
from tests.support.lessons import finish_lesson

#: the pages of the village tech team and the commune staff, who read
FOR_READERS = {"trainer", "group_session", "projector", "dashboard", "management", "coach", "resident", "recording"}

#: how a resident reaches each of her pages: the page, its address, and what her session holds by then
Opener = Callable[[int, int], tuple[str, dict[str, str], dict[str, object]]]


def _village(village: int, learner: int) -> tuple[str, dict[str, str], dict[str, object]]:
    return "village", {}, {}


def _names(village: int, learner: int) -> tuple[str, dict[str, str], dict[str, object]]:
    return "learner", {}, {"village_id": village}


def _home(village: int, learner: int) -> tuple[str, dict[str, str], dict[str, object]]:
    return "lessons", {}, {"village_id": village, "learner_id": learner}


def _lesson(village: int, learner: int) -> tuple[str, dict[str, str], dict[str, object]]:
    return "lesson", {"lesson": "test-unlock"}, {"village_id": village, "learner_id": learner}


def _review(village: int, learner: int) -> tuple[str, dict[str, str], dict[str, object]]:
    return "review", {}, {"village_id": village, "learner_id": learner}


OPENERS: dict[str, Opener] = {"village": _village, "learner": _names, "lessons": _home, "lesson": _lesson,
                              "review": _review}
RESIDENT_PAGES = sorted(set(PAGES) - FOR_READERS)


def _clips(audio: Path) -> set[Path]:
    return set(audio.rglob("*.mp3")) if audio.exists() else set()


def _narrated(at: AppTest) -> list[object]:
    """The page's narration players that start by themselves (the Listen control plays the same one again)."""
    assert not at.exception, at.exception
    return [a for a in at.get("audio") if a.proto.autoplay]


@pytest.fixture
def speaking(app: Callable[..., AppTest], monkeypatch: pytest.MonkeyPatch, db: Path,
             village: int) -> tuple[Callable[..., AppTest], int, Path]:
    monkeypatch.setenv("LEARN_TTS", "espeak")
    person = services.add_learner(village, "Bà Một")
    return app, person.id, db.parent / "audio"


@pytest.mark.parametrize("page", RESIDENT_PAGES)
def test_each_resident_screen_has_its_narration(speaking, village: int, page: str) -> None:
    app, learner, audio = speaking
    assert page in OPENERS, f"the resident page {page!r} is new: say here how she reaches it, and give it a narration"
    name, query, state = OPENERS[page](village, learner)
    before = _clips(audio)
    at = app(name, query, timeout=30, **state)
    players = _narrated(at)
    assert len(players) == 1, f"{page}: {len(players)} narration players (one per screen, in the same place)"
    assert _clips(audio) - before, f"{page}: no narration clip was made"
    assert at.button(key="listen")  # the one Listen control, in the bar at the bottom


def test_the_completion_screen_speaks_too(speaking, village: int, catalog) -> None:
    app, learner, audio = speaking
    finish_lesson(learner, catalog.get("test-unlock"))
    before = _clips(audio)
    at = app("lesson", {"lesson": "test-unlock"}, timeout=30, village_id=village, learner_id=learner)
    assert len(_narrated(at)) == 1 and _clips(audio) - before
    assert at.button(key="listen")


def test_the_check_knows_every_page() -> None:
    assert set(PAGES) == FOR_READERS | set(RESIDENT_PAGES)
    assert FOR_READERS <= set(PAGES), "a page named here no longer exists"
