"""The lesson home (issue 16): where the learner goes on from, her topics as pictures with how much of each is
done, a topic's lessons with their pictures, and which lesson comes next after one. One query per page (and
the spaced review's own few, for its "Ôn lại" card)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from learn import pictures
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson
from learn.services import review
from progress_db import learning
from progress_db.records import ProgressInfo

#: Where a learner is in a lesson, as her lesson list shows it (``lessons.<status>`` in the strings catalog).
CardStatus = Literal["new", "started", "done"]

#: What the "Học tiếp" card offers: the lesson she left (``resume``), her very first lesson (``first``), the
#: next one she has not done (``next``), or only praise when every lesson is done (``all_done``).
GoOnKind = Literal["resume", "first", "next", "all_done"]


@dataclass(frozen=True)
class LessonCard:
    """A lesson in the learner's list, with how far she got: ``position`` is the screen she is on (0-based),
    ``completed`` whether she has ever finished it (a lesson taken again stays finished)."""

    lesson: Lesson
    status: CardStatus
    percent: int
    position: int = 0
    completed: bool = False
    updated_at: datetime | None = None

    @property
    def screens(self) -> int:
        """Number of screens in the lesson."""
        return len(self.lesson.screens)


@dataclass(frozen=True)
class TopicTile:
    """A topic on the home: its drawing (None until one is made) and its lessons with the learner's progress."""

    topic: str
    picture: Path | None
    cards: tuple[LessonCard, ...]

    @property
    def done(self) -> int:
        """How many of the topic's lessons she has finished."""
        return sum(1 for c in self.cards if c.completed)

    @property
    def total(self) -> int:
        """How many lessons the topic has."""
        return len(self.cards)


@dataclass(frozen=True)
class GoOn:
    """The "Học tiếp" card: what it offers and the lesson it opens (None when everything is done)."""

    kind: GoOnKind
    card: LessonCard | None


@dataclass(frozen=True)
class Home:
    """The learner's lesson home: the card to go on with, then her topics in teaching order."""

    go_on: GoOn
    topics: tuple[TopicTile, ...]
    #: how many questions wait for her in "Ôn lại" (spaced review, issue 18) now; 0: no card
    review: int = 0

    def topic(self, topic: str) -> TopicTile | None:
        """The tile of one topic, or None for a topic this server has no lessons in (an old or mistyped link)."""
        return next((tile for tile in self.topics if tile.topic == topic), None)


def _card(lesson: Lesson, progress: ProgressInfo | None) -> LessonCard:
    total = len(lesson.screens)
    if progress is None:
        return LessonCard(lesson, "new", 0)
    if progress.completed and (progress.position >= total or progress.position == 0):
        return LessonCard(lesson, "done", 100, progress.position, True, progress.updated_at)
    position = min(progress.position, max(total - 1, 0))
    return LessonCard(lesson, "started", min(99, round(100 * progress.position / total)), position,
                      progress.completed, progress.updated_at)


def lesson_card(learner_id: int, lesson: Lesson) -> LessonCard:
    """One lesson's card as her progress stands now (a tap on a tile drawn earlier decides by this)."""
    return _card(lesson, learning.progress_for(learner_id).get(lesson.id))


def lesson_cards(catalog: Catalog, learner_id: int) -> list[tuple[str, list[LessonCard]]]:
    """The catalog grouped by topic, each lesson with the learner's progress."""
    progress = learning.progress_for(learner_id)
    return [(topic, [_card(lesson, progress.get(lesson.id)) for lesson in lessons])
            for topic, lessons in catalog.by_topic()]


def go_on(cards: list[LessonCard]) -> GoOn:
    """What "Học tiếp" offers among ``cards`` (in teaching order): the lesson she touched last and has not
    finished, at the screen she left; else the first lesson she has not finished; else praise."""
    started = [c for c in cards if c.status == "started"]
    if started:
        return GoOn("resume", max(started, key=lambda c: (c.updated_at or datetime.min, -cards.index(c))))
    todo = next((c for c in cards if not c.completed), None)
    if todo is None:
        return GoOn("all_done", None)
    return GoOn("next" if any(c.status != "new" for c in cards) else "first", todo)


def home(catalog: Catalog, learner_id: int, now: datetime | None = None) -> Home:
    """The learner's lesson home, from one read of her progress, and how many review questions are due at
    ``now`` (default: the current time)."""
    groups = lesson_cards(catalog, learner_id)
    tiles = tuple(TopicTile(topic, pictures.topic_picture(topic), tuple(cards)) for topic, cards in groups)
    return Home(go_on([c for _, cards in groups for c in cards]), tiles, review.due_count(catalog, learner_id, now))


#: the drawing on the "Ôn lại" card: a calendar page with a turning arrow
REVIEW_PICTURE = pictures.HERE / "review.svg"


def lesson_picture(catalog: Catalog, lesson: Lesson) -> Path | None:
    """The picture that stands for a lesson: its first step picture that exists, else its topic's drawing."""
    for step in lesson.steps:
        if step.picture is not None:
            found = catalog.picture_path(lesson, step.picture.path)
            if found is not None:
                return found
    return pictures.topic_picture(lesson.topic)


def next_in_topic(catalog: Catalog, learner_id: int, lesson: Lesson) -> Lesson | None:
    """The lesson to offer after ``lesson`` ("Bài tiếp theo"): the next one in its topic she has not finished,
    else the next unfinished one in the topics that follow, else (going round) an unfinished one before it;
    None when she has finished every other lesson. ``lesson`` itself is never offered."""
    progress = learning.progress_for(learner_id)
    order = [x for _, lessons in catalog.by_topic() for x in lessons]
    at = next((i for i, x in enumerate(order) if x.id == lesson.id), -1)
    for candidate in order[at + 1:] + order[:max(at, 0)]:
        p = progress.get(candidate.id)
        if candidate.id != lesson.id and not (p is not None and p.completed):
            return candidate
    return None
