"""Frozen dataclasses for a parsed lesson. Nothing here knows about files, the UI or the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from learn.lessons.practice import Practice

#: Topic ids in the order the learner sees them; the first four are the core topics.
TOPICS = ("smartphone", "payments", "scams", "vneid", "zalo", "selling-online", "public-services")
CORE_TOPICS = TOPICS[:4]

#: Question kinds. ``choice`` has 2 to 4 options; the others exactly two.
QUESTION_KINDS = ("choice", "yes-no", "true-false", "scam-or-real")
#: Kinds that may be marked ``decision: true`` (a situation, then "bác làm gì?").
DECISION_KINDS = ("choice", "yes-no")


@dataclass(frozen=True)
class Option:
    """One answer a learner can tap or say."""

    text: str
    say: tuple[str, ...] = ()
    #: what the voice reads instead of ``text`` (numbers spelt out, a word said differently)
    narration: str | None = None

    @property
    def spoken(self) -> str:
        """What is read aloud for the option."""
        return self.narration or self.text


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
    #: a decision question: a situation, then "what do you do?" (``decision: true``)
    decision: bool = False
    #: what the voice reads instead of ``right`` and ``wrong``
    right_narration: str | None = None
    wrong_narration: str | None = None
    #: 1-based file line of each key of the question block, for problems found after parsing
    lines: dict[str, int] = field(default_factory=dict, compare=False, hash=False)

    @property
    def spoken(self) -> str:
        """What is read aloud for the question."""
        return self.narration or self.prompt

    @property
    def right_spoken(self) -> str:
        """What is read aloud after a right answer."""
        return self.right_narration or self.right

    @property
    def wrong_spoken(self) -> str:
        """What is read aloud after a wrong answer (before the right option is named)."""
        return self.wrong_narration or self.wrong

    def at(self, key: str) -> int:
        """The file line of ``key`` in the question block (the block's first line when the key is absent)."""
        return self.lines.get(key, self.line + 1)


@dataclass(frozen=True)
class Picture:
    """A step's picture: path relative to the lesson file and a description read when it cannot be seen."""

    path: str
    alt: str
    #: what the voice reads instead of ``alt``: the image's title, ``![alt](path "spoken")``
    narration: str | None = None
    line: int = 0

    @property
    def spoken(self) -> str:
        """What is read aloud for the picture when it cannot be seen."""
        return self.narration or self.alt


@dataclass(frozen=True)
class Step:
    """A short piece of teaching: a title, a few sentences, optionally a picture, then its questions."""

    title: str
    body: str
    picture: Picture | None = None
    narration: str | None = None
    questions: tuple[Question, ...] = ()
    line: int = 0
    #: a task on a pretend phone, played after the step's text and before its questions (issue 18)
    practice: Practice | None = None

    @property
    def spoken(self) -> str:
        """What is read aloud for the step."""
        return self.narration or f"{self.title}. {self.body}"


@dataclass(frozen=True)
class Screen:
    """One screen of the lesson player: a step's text (``question`` and ``practice`` None), its practice on a
    pretend phone, or one of its questions."""

    index: int
    step_index: int
    step: Step
    question: Question | None
    practice: Practice | None = None


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
    def practices(self) -> tuple[Practice, ...]:
        """All practices in lesson order."""
        return tuple(s.practice for s in self.steps if s.practice is not None)

    @property
    def screens(self) -> tuple[Screen, ...]:
        """The player's screens in order: each step, its practice, then each of its questions."""
        screens: list[Screen] = []
        for i, step in enumerate(self.steps):
            screens.append(Screen(len(screens), i, step, None))
            if step.practice is not None:
                screens.append(Screen(len(screens), i, step, None, step.practice))
            for q in step.questions:
                screens.append(Screen(len(screens), i, step, q))
        return tuple(screens)

    def question(self, question_id: str) -> Question | None:
        """The question with this id, or None."""
        return next((q for q in self.questions if q.id == question_id), None)
