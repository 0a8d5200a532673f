"""What residents said to the recogniser is kept LEARN_KEEP_VOICE_DAYS (default 30), then erased: it comes from
a person's voice. Only transcripts are stored (recordings never are); what came of each stays for the counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from learn import services
from learn.services.voice import VoiceTurn, forget_old_voices, remember
from learn.settings import Settings, SettingsError
from progress_db import learning
from progress_db.models import Utterance

pytestmark = pytest.mark.both_engines


def now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def said(learner: int, text: str) -> None:
    remember(learner, "test-unlock", 1, None, VoiceTurn("problem", None, text, 0.4, "voice.not_understood", 1.2))


def test_transcripts_older_than_the_setting_are_erased_and_their_counts_stay(village: int) -> None:
    person = services.add_learner(village, "Bà Lò Thị Xuân").id
    said(person, "nút nguồn à")
    said(person, "cái nút to")
    assert forget_old_voices(30, now=now() + timedelta(days=29)) == 0  # not yet 30 days old
    assert [u.transcript for u in learning.utterances(person)] == ["nút nguồn à", "cái nút to"]
    assert forget_old_voices(30, now=now() + timedelta(days=31)) == 2
    kept = learning.utterances(person)
    assert [(u.transcript, u.outcome, u.seconds) for u in kept] == [("", "voice.not_understood", 1.2)] * 2
    assert forget_old_voices(30, now=now() + timedelta(days=31)) == 0  # nothing left to erase


def test_a_shorter_setting_erases_sooner(village: int) -> None:
    person = services.add_learner(village, "Ông Hai").id
    said(person, "tiếp")
    assert forget_old_voices(1, now=now() + timedelta(days=2)) == 1
    assert learning.utterances(person)[0].transcript == ""


def test_the_app_erases_old_transcripts_at_its_first_request(app, village: int, monkeypatch) -> None:
    person = services.add_learner(village, "Bà Ba").id
    said(person, "cũ rồi")
    said(person, "mới")
    Utterance.update(heard_at=now() - timedelta(days=8)).where(Utterance.transcript == "cũ rồi").execute()
    monkeypatch.setenv("LEARN_KEEP_VOICE_DAYS", "7")
    assert [u.transcript for u in learning.utterances(person)] == ["cũ rồi", "mới"]
    at = app()
    assert not at.exception
    assert [u.transcript for u in learning.utterances(person)] == ["", "mới"]


@pytest.mark.parametrize("text", ["0", "-3", "một tháng", "2.5", "5000"])
def test_the_setting_must_be_a_number_of_days(text: str) -> None:
    with pytest.raises(SettingsError, match="LEARN_KEEP_VOICE_DAYS must be a whole number of days"):
        Settings.from_env({"LEARN_HOME": "/tmp/h", "LEARN_KEEP_VOICE_DAYS": text})
    assert Settings.from_env({"LEARN_HOME": "/tmp/h"}).keep_voice_days == 30
