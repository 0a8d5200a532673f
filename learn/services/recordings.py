"""The tech team's recorded narration (issue 20): which lines of a lesson are read aloud (the same texts the
player speaks, from ``learn.services.narration``), which of them the commune has recorded, which are missing,
and which recordings went out of date when the lesson's text changed; keeping a take (trimmed and
loudness-normalised, stored as a 24 kbit/s mono MP3 in the audio cache) and approving someone else's."""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from learn.errors import Forbidden, InvalidInput, NotFound, RecordingRefused, VoiceUnavailable
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson
from learn.services.accounts import require
from learn.services.narration import forget_recordings, lesson_speech
from learn.text import nfc
from learn.voice.audio import duration, encode_mp3
from learn.voice.studio import clean_take
from learn.voice.tts import speakable
from progress_db import recordings as stored
from progress_db.recordings import RecordingInfo
from progress_db.records import AccountInfo, Role

#: who may record and approve: the commune's tech team and its staff
ROLES: tuple[Role, ...] = ("trainer", "staff")


def lesson_texts(lesson: Lesson) -> list[str]:
    """Every text the player reads aloud in ``lesson``, in order, each once: step, question with its options,
    both feedbacks, the pretend phone's lines, the completion line (exactly what the narrator is asked for)."""
    texts = []
    for text in lesson_speech(lesson):
        try:
            texts.append(speakable(nfc(text)))
        except VoiceUnavailable:  # nothing a voice could say: nothing to record either
            continue
    return list(dict.fromkeys(texts))


@dataclass(frozen=True)
class Line:
    """One line of a lesson to record: its text and the commune's recording of it (None: missing)."""

    text: str
    recording: RecordingInfo | None


@dataclass(frozen=True)
class LessonVoices:
    """A lesson's lines with their recordings, and the recordings made for it whose text is no longer in it."""

    lesson_id: str
    lines: list[Line]
    out_of_date: list[RecordingInfo]

    @property
    def recorded(self) -> int:
        """How many lines have a recording."""
        return sum(line.recording is not None for line in self.lines)

    @property
    def missing(self) -> int:
        """How many lines have none."""
        return len(self.lines) - self.recorded


def _commune(who: AccountInfo) -> int:
    require(who, *ROLES)
    if who.commune_id is None:
        raise Forbidden(f"{who.username} has no commune", key="recording.no_commune")
    return who.commune_id


def _voices(lesson: Lesson, kept: dict[tuple[str, str], RecordingInfo], speed: str) -> LessonVoices:
    texts = lesson_texts(lesson)
    here = set(texts)
    stale = [r for (text, s), r in kept.items() if s == speed and r.lesson_id == lesson.id and text not in here]
    return LessonVoices(lesson.id, [Line(text, kept.get((text, speed))) for text in texts], stale)


def lesson_voices(who: AccountInfo, lesson: Lesson, speed: str = "normal", language: str = "vi") -> LessonVoices:
    """The lesson's lines and the commune's recordings of them (one query)."""
    kept = {(r.text, r.speed): r for r in stored.of_commune(_commune(who), language)}
    return _voices(lesson, kept, speed)


def overview(who: AccountInfo, catalog: Catalog, speed: str = "normal", language: str = "vi") -> list[LessonVoices]:
    """Every lesson's counts of recorded, missing and out-of-date lines, in the catalog's order (one query)."""
    kept = {(r.text, r.speed): r for r in stored.of_commune(_commune(who), language)}
    return [_voices(lesson, kept, speed) for _, group in catalog.by_topic() for lesson in group]


def keep(who: AccountInfo, audio_dir: Path, lesson: Lesson, text: str, take: bytes, speed: str = "normal",
         language: str = "vi") -> RecordingInfo:
    """Keep ``take`` (what the browser recorded) as the commune's voice for ``text`` of ``lesson``: trimmed,
    loudness-normalised, stored as an MP3 named by its checksum in ``audio_dir``; it replaces an earlier
    recording of the text and waits for review. RecordingRefused (nothing stored) when it cannot be a clip."""
    commune = _commune(who)
    text = nfc(text)
    if text not in lesson_texts(lesson):
        raise InvalidInput(f"{text!r} is not read in {lesson.id}", key="recording.not_in_lesson")
    pcm = clean_take(take)
    try:
        audio_dir.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=audio_dir, prefix=".part-", suffix=".mp3")
        os.close(fd)
        tmp = Path(name)
        try:
            encode_mp3(pcm, tmp)
            data = tmp.read_bytes()
            key = hashlib.sha256(data).hexdigest()
            (audio_dir / key[:2]).mkdir(exist_ok=True)
            os.replace(tmp, audio_dir / key[:2] / f"{key}.mp3")
        finally:
            tmp.unlink(missing_ok=True)
    except OSError as exc:
        raise RecordingRefused(f"cannot write the recording: {exc}", key="voice.cache_write") from exc
    kept = stored.keep(commune, text, speed, language, lesson.id, key, round(duration(pcm), 3), len(data), who.id)
    forget_recordings(commune)  # her own recording is heard at once (other processes: RECORDINGS_FRESH)
    return kept


def approve(who: AccountInfo, recording_id: int) -> RecordingInfo:
    """Approve a recording of ``who``'s commune made by someone else: from now on every session hears it."""
    found = stored.get(recording_id)
    if found is None:
        raise NotFound(f"recording {recording_id}", key="recording.gone")
    require(who, *ROLES, commune_id=found.commune_id)
    if found.recorded_by == who.id:
        raise Forbidden("a recording is approved by someone else", key="recording.own")
    approved = stored.approve(recording_id, who.id)
    forget_recordings(found.commune_id)
    if approved is None:
        raise NotFound(f"recording {recording_id}", key="recording.gone")
    return approved
