"""What the player reads aloud, and getting it said (or saying why not) without ever stopping a lesson."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from learn.errors import LearnError, VoiceUnavailable
from learn.lessons.model import Lesson, Picture, Question
from learn.services.practice import speech as practice_speech
from learn.strings_vi import t
from learn.text import nfc
from learn.voice import studio
from learn.voice.narrator import Clip, Narrator
from learn.voice.tts import speakable
from progress_db import recordings
from progress_db.db import DatabaseError, MaxConnectionsExceeded
from progress_db.languages import VIETNAMESE
from progress_db.recordings import RecordingInfo


def question_speech(question: Question) -> str:
    """What is read for a question: the prompt, then each option with its number ("Một: Nút nguồn."); each as
    the author wrote it to be said (``narration``), else as written."""
    numbers = t("speech.numbers").split("|")
    options = " ".join(t("speech.option", number=numbers[i], text=o.spoken) for i, o in enumerate(question.options))
    return f"{question.spoken} {options}"


def feedback_speech(question: Question, correct: bool) -> str:
    """What is read after an answer: the author's feedback, and the right option when the answer was wrong."""
    if correct:
        return question.right_spoken
    return f"{question.wrong_spoken} {t('lesson.correct_was', answer=question.options[question.answer].spoken)}"


def picture_speech(picture: Picture) -> str:
    """What is read for a step's picture when it cannot be seen: its description, as said."""
    return picture.spoken


def done_speech(lesson: Lesson) -> str:
    """What is read on the completion screen (the title is not read: it may hold words the voice cannot say)."""
    return t("speech.done")


def retry_speech(question: Question) -> list[str]:
    """What is read for a question that comes back at the end of the lesson, as its parts."""
    return [t("lesson.retry_speech"), question_speech(question)]


def lesson_speech(lesson: Lesson) -> list[str]:
    """Every text the player may read aloud in a lesson, in order, without repeats: each as one line a trainer
    can record (a screen made of several, such as the completion screen, is read as its lines one by one)."""
    texts: list[str] = []
    for screen in lesson.screens:
        if screen.practice is not None:  # the pretend phone's screens, hints and end (issue 18)
            texts += practice_speech(screen.practice)
        elif screen.question is None:
            texts.append(screen.step.spoken)
        else:
            q = screen.question
            texts += [question_speech(q), feedback_speech(q, True), feedback_speech(q, False)]
    if lesson.questions:
        texts.append(t("lesson.retry_speech"))
    texts += [done_speech(lesson), t("lesson.next_lesson_speech")]
    return list(dict.fromkeys(texts))


def narrated_texts(lesson: Lesson) -> list[str]:
    """What ``learn narrate`` makes for a lesson: every line it reads (``lesson_speech``, the lines a team can
    record), and every score its completion screen can say, which only the engine says."""
    return list(dict.fromkeys(lesson_speech(lesson) + score_speech(len(lesson.questions))))


def score_speech(asked: int) -> list[str]:
    """Every score the completion screen may say for a lesson of ``asked`` questions (right the first time, and
    after the retry): made ahead with the lesson, so her score is said in the voice that read the lesson, at
    once, on a laptop with no internet."""
    if not asked:
        return []
    return [t(line, score=score, asked=asked) for line in ("lesson.done_first", "lesson.done_retried")
            for score in range(asked + 1)]


@dataclass(frozen=True)
class Spoken:
    """A clip to play, or the key of the message saying why there is none (the text is still on screen)."""

    clip: Clip | None
    problem: str | None = None


@dataclass(frozen=True)
class Listener:
    """Who hears a screen, for the tech team's recordings (issue 20): the signed-in trainer or staff member
    (``account_id``), else the resident (``learner_id``) or her village; ``unreviewed`` is
    LEARN_UNREVIEWED_VOICES: "own" (a recording not yet approved is heard only by its recorder) or "use"."""

    account_id: int | None = None
    learner_id: int | None = None
    village_id: int | None = None
    unreviewed: Literal["use", "own"] = "own"
    #: the narration language she chose (issue 20): its recordings first, then the Vietnamese ones
    language: str = VIETNAMESE


def recorded(narrator: Narrator, text: str, speed: str, listener: Listener) -> Clip | None:
    """The commune's kept recording of exactly ``text`` at ``speed`` that ``listener`` may hear, as a clip of the
    audio cache: in the language she chose (``listener.language``) where there is one, else the Vietnamese one;
    None when there is neither (or its file is gone): the engines speak Vietnamese then."""
    said = speakable(nfc(text))
    for language in dict.fromkeys((listener.language, VIETNAMESE)):
        clip = _recorded_in(narrator, said, speed, language, listener)
        if clip is not None:
            return clip
    return None


def _whole(path: Path, audio: str) -> bool:
    """Whether the recording's clip is in the audio cache as it was kept (its name is its SHA-256)."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest() == audio
    except OSError:
        return False


#: how long a process trusts what it read of a commune's recordings, and of which commune a listener is in: a
#: recording kept, approved or imported through another process (another worker of `learn serve --workers`) is
#: heard here at most this much later; one kept through this process, at once (``forget_recordings``)
RECORDINGS_FRESH = 30.0
_MAX_LISTENERS = 20_000  # whose commune is known: forgotten all at once beyond this many


class _Recorded:
    """The communes' recordings as this process last read them (one query a commune every RECORDINGS_FRESH
    seconds, where every narrated screen took one to four), shared by its sessions."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._indexes: dict[int, tuple[float, recordings.Index]] = {}
        self._communes: dict[tuple[int | None, int | None, int | None], tuple[float, int | None]] = {}
        #: counts the forgets: an index read while one happened is not kept (it may predate the change)
        self._generation = 0

    def commune(self, listener: Listener) -> int | None:
        who = (listener.account_id, listener.learner_id, listener.village_id)
        now = time.monotonic()
        with self._lock:
            known = self._communes.get(who)
        if known is not None and now - known[0] < RECORDINGS_FRESH:
            return known[1]
        commune = recordings.commune_of(account_id=who[0], learner_id=who[1], village_id=who[2])
        with self._lock:
            if len(self._communes) >= _MAX_LISTENERS:
                self._communes.clear()
            self._communes[who] = (now, commune)
        return commune

    def found(self, commune: int, said: str, speed: str, language: str) -> tuple[RecordingInfo, ...]:
        now = time.monotonic()
        with self._lock:
            kept, generation = self._indexes.get(commune), self._generation
        if kept is None or now - kept[0] >= RECORDINGS_FRESH:
            kept = (now, recordings.index_of(commune))
            with self._lock:
                if self._generation == generation:
                    self._indexes[commune] = kept
        return kept[1].get((recordings.text_hash(said), speed, language), ())

    def forget(self, commune: int | None) -> None:
        with self._lock:
            self._generation += 1
            if commune is None:
                self._indexes.clear()
                self._communes.clear()
            else:
                self._indexes.pop(commune, None)


_recorded = _Recorded()


def forget_recordings(commune_id: int | None = None) -> None:
    """Have this process read the commune's recordings again (every commune's, and whose commune each listener
    is in, with None): called when one is kept, approved or imported, so that it is heard at once."""
    _recorded.forget(commune_id)


def _candidates(said: str, speed: str, language: str, listener: Listener) -> tuple[RecordingInfo, ...]:
    commune = _recorded.commune(listener)
    if commune is None:  # nobody known: any commune's, as a plain query (an account of no commune: none)
        return tuple(recordings.candidates(said, speed, language, account_id=listener.account_id,
                                           learner_id=listener.learner_id, village_id=listener.village_id))
    return _recorded.found(commune, said, speed, language)


def _recorded_in(narrator: Narrator, said: str, speed: str, language: str, listener: Listener) -> Clip | None:
    """The recording at ``speed``; for a slow one the team did not record, its normal one slowed down (a
    familiar voice, slower, is better heard than a synthetic one), or as it is when it cannot be slowed."""
    for recorded_at in dict.fromkeys((speed, "normal")):
        try:
            found_all = _candidates(said, recorded_at, language, listener)
        except (DatabaseError, MaxConnectionsExceeded):  # storage busy for a moment: the engines speak instead
            return None
        for found in found_all:
            if not (found.approved or listener.unreviewed == "use"
                    or (listener.account_id is not None and found.recorded_by == listener.account_id)):
                continue
            path = narrator.cache.root / found.audio[:2] / f"{found.audio}.mp3"
            if not _whole(path, found.audio):  # gone, or damaged (a full disk, a bad card): never played nor slowed
                continue
            if recorded_at == speed:
                return Clip(path, "recorded", found.recorder, speed, found.seconds, found.size, made=False)
            try:
                slow = studio.slowed(path, narrator.cache.root)
            except (LearnError, OSError):  # no ffmpeg, a full disk: her team's voice at its own pace
                return Clip(path, "recorded", found.recorder, "normal", found.seconds, found.size, made=False)
            return Clip(slow, "recorded", found.recorder, speed, round(found.seconds / studio.SLOW_TEMPO, 3),
                        slow.stat().st_size, made=False)
    return None


def speak(narrator: Narrator | None, text: str | Sequence[str], speed: str = "normal",
          listener: Listener | None = None) -> Spoken:
    """The narration of ``text``, never raising: a recording the listener may hear first (with ``listener``),
    else the engines; without audio the lesson simply goes on as text.

    ``text`` may be a screen's parts (the completion line, then her score; the retry's "once more", then the
    question): the clip is then the parts' clips one after the other, each in her team's voice where recorded
    and the engine's elsewhere. Each part is a line ``learn narrate`` made ahead (see ``lesson_speech``), so a
    screen of parts is said in the lesson's voice with no engine running, only the joining, once."""
    if narrator is None:
        return Spoken(None, "voice.unavailable")
    parts = [text] if isinstance(text, str) else [p for p in text if p.strip()]
    try:
        found = [recorded(narrator, part, speed, listener) if listener is not None else None for part in parts]
        if len(parts) > 1:
            return Spoken(_joined(narrator, parts, found, speed))
        return Spoken(found[0] if found and found[0] else narrator.clip(" ".join(parts), speed))
    except VoiceUnavailable as exc:
        return Spoken(None, exc.key)


def _joined(narrator: Narrator, parts: list[str], found: list[Clip | None], speed: str) -> Clip:
    clips = [clip or narrator.clip(part, speed) for part, clip in zip(parts, found, strict=True)]
    # named by her team's voice where one part is theirs, else by the engine that said the first part
    named = next((c for c in clips if c.engine == "recorded"), clips[0])
    try:
        path = studio.joined([c.path for c in clips], narrator.cache.root)
    except OSError as exc:
        raise VoiceUnavailable(f"cannot join narration clips: {exc}", key="voice.cache_write") from exc
    seconds = sum(c.seconds for c in clips) + studio.JOIN_PAUSE * (len(clips) - 1)
    return Clip(path, named.engine, named.voice, speed, round(seconds, 3), path.stat().st_size, made=False)


@dataclass
class NarrationSummary:
    """What a pre-render did."""

    made: int = 0
    reused: int = 0
    failed: int = 0
    seconds: float = 0.0
    bytes: int = 0
    errors: list[str] | None = None


def prerender(narrator: Narrator, lessons: list[Lesson], speeds: tuple[str, ...],
              progress: Callable[[str], None] | None = None) -> NarrationSummary:
    """Make every clip the lessons need at each speed, reusing what exists; report made, reused, failed."""
    summary = NarrationSummary(errors=[])
    for lesson in lessons:
        for text in narrated_texts(lesson):
            for speed in speeds:
                try:
                    clip = narrator.clip(text, speed)
                except VoiceUnavailable as exc:
                    summary.failed += 1
                    summary.errors.append(f"{lesson.id}: {exc}")  # type: ignore[union-attr]
                else:
                    summary.made += clip.made
                    summary.reused += not clip.made
                    summary.seconds += clip.seconds
                    summary.bytes += clip.size
                if progress:
                    progress(lesson.id)
    return summary
