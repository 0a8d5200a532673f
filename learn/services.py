"""Use cases shared by the app and the CLI: villages, learners, PINs and the lesson player.

Pages call these and render what they return; nothing here imports Streamlit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import yaml

from learn.errors import InvalidInput, NotFound, VoiceUnavailable, WrongPin
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson, Question, Screen
from learn.strings_vi import t
from learn.text import fold, squash
from learn.voice.narrator import Clip, Narrator
from progress_db import queries
from progress_db.queries import AnswerInfo, LearnerInfo, ProgressInfo, VillageInfo

MAX_NAME = 60
_NAME_PUNCTUATION = set(" .'-()")
_PIN = re.compile(r"^\d{4}$")
# scrypt is memory-hard: a stolen database does not give away PINs cheaply (4 digits stay guessable,
# which is why PINs only keep neighbours apart; trainers' accounts use passwords).
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


# --- people -------------------------------------------------------------------------------------------

def clean_name(raw: str) -> str:
    """A display name as typed, tidied; InvalidInput (with a message key) when it cannot be a name."""
    name = squash(raw or "")
    if not name:
        raise InvalidInput("name is empty", key="learner.name_empty")
    if len(name) > MAX_NAME:
        raise InvalidInput("name is too long", key="learner.name_too_long", limit=MAX_NAME)
    for ch in name:
        if not (unicodedata.category(ch)[0] in "LMN" or ch in _NAME_PUNCTUATION):
            raise InvalidInput(f"character {ch!r} not allowed in a name", key="learner.name_invalid", char=ch)
    return name


def clean_birth_year(raw: str | int | None, today: date | None = None) -> int | None:
    """An optional year of birth (blank is None); InvalidInput when it is not a plausible year."""
    if raw is None or str(raw).strip() == "":
        return None
    text = str(raw).strip()
    this_year = (today or date.today()).year
    if not text.isdigit() or not 1900 <= int(text) <= this_year:
        raise InvalidInput("not a year of birth", key="learner.year_invalid", last=this_year)
    return int(text)


def clean_pin(raw: str | None) -> str | None:
    """An optional 4-digit PIN (blank is None); InvalidInput otherwise."""
    text = (raw or "").strip()
    if not text:
        return None
    if not _PIN.match(text):
        raise InvalidInput("PIN must be 4 digits", key="learner.pin_invalid")
    return text


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of the PIN, as ``scrypt$salt$hash`` in hex."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether ``pin`` is the PIN behind ``stored`` (compared in constant time)."""
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(pin.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)


def villages() -> list[VillageInfo]:
    """Every village a learner can choose, in Vietnamese alphabetical order (Đông before Tây)."""
    return sorted(queries.list_villages(), key=lambda v: (fold(v.commune), fold(v.name), v.name))


def village(village_id: int) -> VillageInfo:
    """One village; NotFound if it is gone."""
    found = queries.get_village(village_id)
    if found is None:
        raise NotFound(f"village {village_id}", key="village.not_found")
    return found


def learners(village_id: int) -> list[LearnerInfo]:
    """The village's learners, by name."""
    return queries.list_learners(village_id)


def add_learner(village_id: int, name: str, birth_year: str | int | None = None, pin: str | None = None) -> LearnerInfo:
    """Add a resident to a village after checking every field; InvalidInput names the first bad one."""
    village(village_id)
    clean = clean_name(name)
    year = clean_birth_year(birth_year)
    code = clean_pin(pin)
    if queries.find_learner(village_id, fold(clean), year) is not None:
        raise InvalidInput("same name and year already in this village", key="learner.duplicate", name=clean)
    return queries.add_learner(village_id, clean, fold(clean), year, hash_pin(code) if code else None)


def learner(learner_id: int) -> LearnerInfo:
    """One learner; NotFound if they are gone (e.g. merged away by a trainer)."""
    found = queries.get_learner(learner_id)
    if found is None:
        raise NotFound(f"learner {learner_id}", key="learner.not_found")
    return found


def sign_in(learner_id: int, pin: str | None = None) -> LearnerInfo:
    """The learner, if the PIN is right (or they have none); WrongPin or NotFound otherwise."""
    found = learner(learner_id)
    stored = queries.learner_pin_hash(learner_id)
    if stored and not pin_matches((pin or "").strip(), stored):
        raise WrongPin("wrong PIN")
    return found


def seed_demo(path: Path) -> int:
    """Create the demo commune and villages described in ``path`` (YAML) if missing; return the commune id."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    commune_id = queries.get_or_create_commune(squash(data["commune"]))
    for name in data["villages"]:
        queries.get_or_create_village(commune_id, squash(name))
    return commune_id


# --- lessons ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LessonCard:
    """A lesson in the learner's list, with how far they got."""

    lesson: Lesson
    status: str  # "new", "started" or "done"
    percent: int


def lesson_cards(catalog: Catalog, learner_id: int) -> list[tuple[str, list[LessonCard]]]:
    """The catalog grouped by topic, each lesson with the learner's progress."""
    progress = queries.progress_for(learner_id)
    groups = []
    for topic, lessons in catalog.by_topic():
        cards = []
        for lesson in lessons:
            p: ProgressInfo | None = progress.get(lesson.id)
            total = len(lesson.screens)
            if p is None:
                cards.append(LessonCard(lesson, "new", 0))
            elif p.completed and (p.position >= total or p.position == 0):
                cards.append(LessonCard(lesson, "done", 100))
            else:
                cards.append(LessonCard(lesson, "started", min(99, round(100 * p.position / total))))
        groups.append((topic, cards))
    return groups


@dataclass(frozen=True)
class PlayerView:
    """What the lesson player shows: the current screen (None once finished) and the answer given to it."""

    lesson: Lesson
    position: int
    screen: Screen | None
    answer: AnswerInfo | None
    score: int
    asked: int

    @property
    def total(self) -> int:
        """Number of screens in the lesson."""
        return len(self.lesson.screens)

    @property
    def finished(self) -> bool:
        """True on the completion screen."""
        return self.screen is None

    @property
    def can_go_on(self) -> bool:
        """A question must be answered before moving on; a step can always be left."""
        return self.screen is not None and (self.screen.question is None or self.answer is not None)


def lesson(catalog: Catalog, lesson_id: str) -> Lesson:
    """The lesson with this id; NotFound (shown to the learner) for an unknown or broken id."""
    found = catalog.get(lesson_id)
    if found is None:
        raise NotFound(f"lesson {lesson_id!r}", key="lesson.not_found")
    return found


def player(learner_id: int, lesson: Lesson) -> PlayerView:
    """The learner's current place in the lesson, exactly where they left it."""
    progress = queries.progress_for(learner_id).get(lesson.id)
    screens = lesson.screens
    position = min(progress.position, len(screens)) if progress else 0
    answers = queries.latest_answers(learner_id, lesson.id)
    screen = screens[position] if position < len(screens) else None
    answer = answers.get(screen.question.id) if screen and screen.question else None
    score = sum(1 for q in lesson.questions if q.id in answers and answers[q.id].correct)
    return PlayerView(lesson, position, screen, answer, score, len(lesson.questions))


def go_to(learner_id: int, lesson: Lesson, position: int) -> PlayerView:
    """Move to a screen (clamped); moving past the last screen completes the lesson."""
    total = len(lesson.screens)
    position = max(0, min(position, total))
    queries.save_position(learner_id, lesson.id, position, total, completed=position >= total)
    return player(learner_id, lesson)


def restart(learner_id: int, lesson: Lesson) -> PlayerView:
    """Take the lesson again from the start."""
    queries.restart_lesson(learner_id, lesson.id, len(lesson.screens))
    return player(learner_id, lesson)


def answer(learner_id: int, lesson: Lesson, position: int, option_index: int, mode: str = "tap") -> PlayerView:
    """Record the learner's answer to the question on screen ``position``; a second tap changes nothing."""
    current = player(learner_id, lesson)
    screen = current.screen
    if screen is None or screen.question is None or screen.index != position:
        return current  # a stale click from an earlier screen
    if current.answer is not None:
        return current
    question = screen.question
    if not 0 <= option_index < len(question.options):
        raise InvalidInput(f"option {option_index}", key="lesson.option_invalid")
    queries.record_answer(learner_id, lesson.id, question.id, option_index, option_index == question.answer,
                          mode, position, len(lesson.screens))
    return player(learner_id, lesson)


# --- narration ----------------------------------------------------------------------------------------

def question_speech(question: Question) -> str:
    """What is read for a question: the prompt, then each option with its number ("Một: Nút nguồn.")."""
    numbers = t("speech.numbers").split("|")
    options = " ".join(t("speech.option", number=numbers[i], text=o.text) for i, o in enumerate(question.options))
    return f"{question.spoken} {options}"


def feedback_speech(question: Question, correct: bool) -> str:
    """What is read after an answer: the author's feedback, and the right option when the answer was wrong."""
    if correct:
        return question.right
    return f"{question.wrong} {t('lesson.correct_was', answer=question.options[question.answer].text)}"


def done_speech(lesson: Lesson) -> str:
    """What is read on the completion screen."""
    return t("speech.done", title=lesson.title)


def lesson_speech(lesson: Lesson) -> list[str]:
    """Every text the player may read aloud in a lesson, in order, without repeats."""
    texts: list[str] = []
    for screen in lesson.screens:
        if screen.question is None:
            texts.append(screen.step.spoken)
        else:
            q = screen.question
            texts += [question_speech(q), feedback_speech(q, True), feedback_speech(q, False)]
    texts.append(done_speech(lesson))
    return list(dict.fromkeys(texts))


@dataclass(frozen=True)
class Spoken:
    """A clip to play, or the key of the message saying why there is none (the text is still on screen)."""

    clip: Clip | None
    problem: str | None = None


def speak(narrator: Narrator | None, text: str, speed: str = "normal") -> Spoken:
    """The narration of ``text``, never raising: without audio the lesson simply goes on as text."""
    if narrator is None:
        return Spoken(None, "voice.unavailable")
    try:
        return Spoken(narrator.clip(text, speed))
    except VoiceUnavailable as exc:
        return Spoken(None, exc.key)


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
        for text in lesson_speech(lesson):
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
