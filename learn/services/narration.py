"""What the player reads aloud, and getting it said (or saying why not) without ever stopping a lesson."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from learn.errors import VoiceUnavailable
from learn.lessons.model import Lesson, Question
from learn.strings_vi import t
from learn.voice.narrator import Clip, Narrator


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
    """What is read on the completion screen (the title is not read: it may hold words the voice cannot say)."""
    return t("speech.done")


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
