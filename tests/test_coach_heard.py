"""Tuning in the field (issue 19): on the coach page, per question of the village, what the recogniser heard
and how often it led to an answer; only the account's own commune sees it."""

from __future__ import annotations

import pytest

from learn.errors import Forbidden
from learn.services import accounts, care, trainers
from learn.services.voice import VoiceTurn, forget_old_voices, remember
from learn.strings_vi import t
from progress_db import community
from tests.support.apptest import PASSWORD, texts

pytestmark = pytest.mark.both_engines


def spoke(person: int, question, text: str, answered: bool) -> None:
    turn = VoiceTurn("answer", 0, text, 0.8) if answered else \
        VoiceTurn("problem", None, text, 0.3, "voice.not_understood")
    remember(person, "test-unlock", 1 if question.id == "q1" else 3, question, turn)


@pytest.fixture
def heard(mai, village: int, catalog):
    lesson = catalog.get("test-unlock")
    q1, swipe = lesson.question("q1"), lesson.question("swipe")
    added, _ = trainers.add_residents(mai, village, "Bà Một\nÔng Hai")
    one, two = (p.id for p in added)
    spoke(one, q1, "nút nguồn", True)
    spoke(two, q1, "nút nguồn", True)
    spoke(two, q1, "cái nút bên", False)
    spoke(one, q1, "nút nguồn", False)
    spoke(one, swipe, "có", True)
    other = community.get_or_create_village(community.get_or_create_commune("Xã Thử"), "Thôn Hai")
    elsewhere, _ = trainers.add_residents(mai, other, "Chị Ba")
    spoke(elsewhere[0].id, q1, "nút to", False)  # another village's: not in this one's lines
    return q1, swipe


def test_per_question_what_was_heard_and_how_often_it_became_an_answer(mai, village: int, catalog, heard) -> None:
    q1, swipe = heard
    lines = care.village_heard(mai, catalog, village)
    assert [(x.lesson_title, x.prompt, x.heard, x.answered, x.said) for x in lines] == [
        ("Mở khóa máy", q1.prompt, 4, 2, (("nút nguồn", 3), ("cái nút bên", 1))),
        ("Mở khóa máy", swipe.prompt, 1, 1, (("có", 1),)),
    ]


def test_erased_transcripts_still_count_but_are_not_shown(mai, village: int, catalog, heard) -> None:
    from datetime import UTC, datetime, timedelta

    forget_old_voices(1, now=datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2))
    first = care.village_heard(mai, catalog, village)[0]
    assert (first.heard, first.answered, first.said) == (4, 2, ())


def test_another_communes_trainer_is_refused(village: int, catalog, heard) -> None:
    community.get_or_create_commune("Xã Khác")
    stranger = accounts.create_account("hung", "Anh Hùng", PASSWORD, "trainer", "Xã Khác")
    with pytest.raises(Forbidden):
        care.village_heard(stranger, catalog, village)


def test_the_coach_page_shows_it(app, mai, village: int, heard) -> None:
    q1, _ = heard
    at = app("coach", {"village": str(village)}, account=mai)
    shown = texts(at)
    assert t("coach.heard_heading") in shown
    assert t("coach.heard_line", lesson="Mở khóa máy", prompt=q1.prompt, heard=4, answered=2) in shown
    assert t("coach.heard_said", said="«nút nguồn» ×3, «cái nút bên» ×1") in shown
    assert "nút to" not in shown


def test_a_village_nobody_spoke_in_says_so(app, mai, village: int) -> None:
    at = app("coach", {"village": str(village)}, account=mai)
    assert t("coach.heard_none") in texts(at)
