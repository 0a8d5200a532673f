"""Frozen dataclasses for a parsed lesson. Nothing here knows about files, the UI or the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

#: Topic ids in the order the learner sees them; the first four are the core topics.
TOPICS = ("smartphone", "payments", "scams", "vneid", "zalo", "selling-online", "public-services")
CORE_TOPICS = TOPICS[:4]

#: Question kinds. ``choice`` has 2 to 4 options; the others exactly two.
QUESTION_KINDS = ("choice", "yes-no", "true-false", "scam-or-real")


@dataclass(frozen=True)
class Option:
    """One answer a learner can tap or say."""

    text: str
    say: tuple[str, ...] = ()


@dataclass(frozen=True)
class Question:
    """A question asked after a step; ``answer`` is the 0-based index of the correct option."""

    id: str
    kind: str
    prompt: str
    options: tuple[Option, ...]
    answer: int
    right: str
    wrong: str
    narration: str | None = None
    line: int = 0

    @property
    def spoken(self) -> str:
        """What is read aloud for the question."""
        return self.narration or self.prompt


@dataclass(frozen=True)
class Picture:
    """A step's picture: path relative to the lesson file and a description read when it cannot be seen."""

    path: str
    alt: str


@dataclass(frozen=True)
class Step:
    """A short piece of teaching: a title, a few sentences, optionally a picture, then its questions."""

    title: str
    body: str
    picture: Picture | None = None
    narration: str | None = None
    questions: tuple[Question, ...] = ()
    line: int = 0

    @property
    def spoken(self) -> str:
        """What is read aloud for the step."""
        return self.narration or f"{self.title}. {self.body}"


@dataclass(frozen=True)
class Screen:
    """One screen of the lesson player: a step's text (``question`` None) or one of its questions."""

    index: int
    step_index: int
    step: Step
    question: Question | None


@dataclass(frozen=True)
class Lesson:
    """A whole lesson, as authored in one Markdown file."""

    id: str
    title: str
    topic: str
    minutes: int
    summary: str
    steps: tuple[Step, ...]
    prerequisites: tuple[str, ...] = ()
    source: Path | None = None
    #: 1-based line of each front matter key, for problems found after parsing
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def questions(self) -> tuple[Question, ...]:
        """All questions in the order they are asked."""
        return tuple(q for s in self.steps for q in s.questions)

    @property
    def screens(self) -> tuple[Screen, ...]:
        """The player's screens in order: each step, then each of its questions."""
        screens: list[Screen] = []
        for i, step in enumerate(self.steps):
            screens.append(Screen(len(screens), i, step, None))
            for q in step.questions:
                screens.append(Screen(len(screens), i, step, q))
        return tuple(screens)

    def question(self, question_id: str) -> Question | None:
        """The question with this id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)
