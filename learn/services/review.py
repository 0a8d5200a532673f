"""Spaced review, "Ôn lại" (issue 18): what a resident got wrong, and the scam-spotting questions of the lessons
she finished, come back on her lesson home after about 1, 3, 7 and 21 days, a few at a time.

A simple Leitner schedule: an item enters box 0, due a day after the wrong first answer (or the finished lesson)
that put it there; right in review moves it up a box (due 3, 7, then 21 days later), wrong puts it back in box 0
(due the next day); right in the last box, it leaves the review. A wrong first answer given later (the lesson
taken again) puts a question back in box 0.

Review answers are stored apart from lesson answers (``progress_db.review``): they never move lesson progress
nor the reports of first answers. Every function takes ``now`` (UTC, without tzinfo), so tests move the clock.

A review *round* is one sitting of at most ``ROUND_SIZE`` items, named by a random id the page keeps in its
address (a reload stays in the round): the items she answered in it, in order, then those due now."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from learn.errors import InvalidInput
from learn.lessons.catalog import Catalog
from learn.lessons.model import Lesson, Question
from learn.services.narration import feedback_speech, question_speech
from learn.strings_vi import t
from progress_db import review as records
from progress_db.models import utcnow
from progress_db.review import ReviewAnswerInfo, ReviewItemInfo

#: days until an item in box 0, 1, 2, 3 comes back; right in the last box, it leaves the review
INTERVALS = (1, 3, 7, 21)
#: at most this many items in one review round
ROUND_SIZE = 5
#: the question kind whose items of finished lessons all come back (scam or real?)
SCAM_KIND = "scam-or-real"

_ROUND = re.compile(r"[0-9a-f]{16}")


@dataclass(frozen=True)
class ReviewItem:
    """A question in review, with the lesson it comes from and its box (when asked)."""

    lesson: Lesson
    question: Question
    box: int

    @property
    def key(self) -> tuple[str, str]:
        return self.lesson.id, self.question.id


@dataclass(frozen=True)
class RoundView:
    """One review round as the review page shows it: its items (answered ones first), the place she is at,
    the answer given there (None until she answers) and how many were right."""

    round: str
    items: tuple[ReviewItem, ...]
    answers: tuple[ReviewAnswerInfo, ...]
    position: int

    @property
    def current(self) -> ReviewItem | None:
        """The item on screen; None on the summary."""
        return self.items[self.position] if self.position < len(self.items) else None

    @property
    def answer(self) -> ReviewAnswerInfo | None:
        """Her answer to the item on screen, once given."""
        return self.answers[self.position] if self.position < len(self.answers) else None

    @property
    def finished(self) -> bool:
        """True on the summary (also when nothing was due)."""
        return self.current is None

    @property
    def right(self) -> int:
        return sum(1 for a in self.answers if a.correct)


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


def _question(catalog: Catalog, lesson_id: str, question_id: str) -> tuple[Lesson, Question] | None:
    lesson = catalog.get(lesson_id)
    question = lesson.question(question_id) if lesson is not None else None
    return (lesson, question) if lesson is not None and question is not None else None


def refresh(catalog: Catalog, learner_id: int, now: datetime | None = None) -> list[ReviewItemInfo]:
    """Bring her review up to date with her lessons: each question she answered wrong the first time, and each
    scam-spotting question of a lesson she finished, is in it (from then on, on its schedule); return her items
    still in review. Questions no longer in the catalog are left out."""
    now = _now(now)
    found = records.sources(learner_id)
    have = {x.key: x for x in records.items(learner_id)}
    placed: dict[tuple[str, str], ReviewItemInfo] = {}
    for (lesson_id, question_id), at in found.wrong.items():
        if _question(catalog, lesson_id, question_id) is None:
            continue
        known = have.get((lesson_id, question_id))
        if known is None or at > known.since:
            placed[(lesson_id, question_id)] = ReviewItemInfo(lesson_id, question_id, "wrong", 0,
                                                              at + timedelta(days=INTERVALS[0]), at)
    for lesson_id, at in found.finished.items():
        lesson = catalog.get(lesson_id)
        for question in lesson.questions if lesson is not None else ():
            key = (lesson_id, question.id)
            if question.kind == SCAM_KIND and key not in have and key not in placed:
                placed[key] = ReviewItemInfo(lesson_id, question.id, "scam", 0, at + timedelta(days=INTERVALS[0]), at)
    if placed:
        records.put(learner_id, placed.values(), now)
        have.update(placed)
    return sorted((x for x in have.values() if x.retired_at is None and _question(catalog, *x.key) is not None),
                  key=lambda x: (x.due_at, x.key))


def due(catalog: Catalog, learner_id: int, now: datetime | None = None) -> list[ReviewItem]:
    """Her items due now, the longest waiting first."""
    now = _now(now)
    out = []
    for x in refresh(catalog, learner_id, now):
        if x.due_at <= now:
            found = _question(catalog, *x.key)
            assert found is not None  # refresh leaves out what the catalog lost
            out.append(ReviewItem(found[0], found[1], x.box))
    return out


def due_count(catalog: Catalog, learner_id: int, now: datetime | None = None) -> int:
    """How many questions wait for her in "Ôn lại" now (the home's card shows it; 0: no card)."""
    return len(due(catalog, learner_id, now))


def new_round() -> str:
    """A new review round's id (random: it is in the page's address)."""
    return secrets.token_hex(8)


def clean_round(value: str | None) -> str | None:
    """A round id from the page's address, or None when it is missing or not one of ours."""
    return value if value and _ROUND.fullmatch(value) else None


def round_view(catalog: Catalog, learner_id: int, round_id: str, position: int,
               now: datetime | None = None) -> RoundView:
    """The round ``round_id`` at ``position``: the items answered in it (in order), then those due now, at most
    ``ROUND_SIZE`` in all. She cannot skip: the place is never past the first item not answered yet."""
    given = []
    items = []
    for a in records.round_answers(learner_id, round_id):
        found = _question(catalog, a.lesson_id, a.question_id)
        if found is not None:
            given.append(a)
            items.append(ReviewItem(found[0], found[1], a.box))
    answered = {a.key for a in given}
    items += [x for x in due(catalog, learner_id, now) if x.key not in answered]
    items = items[:max(ROUND_SIZE, len(given))]
    return RoundView(round_id, tuple(items), tuple(given), max(0, min(position, len(given), len(items))))


def moved(item: ReviewItem, correct: bool, now: datetime) -> ReviewItemInfo:
    """Where an item goes after an answer in review: up a box (or out of the review after the last) when right,
    back to the first box when wrong; due again after its box's interval."""
    box = item.box + 1 if correct else 0
    if box >= len(INTERVALS):
        return ReviewItemInfo(item.lesson.id, item.question.id, "", len(INTERVALS) - 1, now, now, retired_at=now)
    return ReviewItemInfo(item.lesson.id, item.question.id, "", box, now + timedelta(days=INTERVALS[box]), now)


def answer(catalog: Catalog, learner_id: int, round_id: str, position: int, option_index: int,
           now: datetime | None = None) -> RoundView:
    """Record her answer to the item at ``position`` of the round and move it on its schedule; a second tap,
    or a tap from an earlier screen, changes nothing."""
    now = _now(now)
    view = round_view(catalog, learner_id, round_id, position, now)
    item = view.current
    if item is None or view.answer is not None or view.position != position:
        return view
    if not 0 <= option_index < len(item.question.options):
        raise InvalidInput(f"option {option_index}", key="lesson.option_invalid")
    correct = option_index == item.question.answer
    records.record(learner_id, ReviewAnswerInfo(learner_id, item.lesson.id, item.question.id, option_index,
                                                correct, item.box, round_id, now), moved(item, correct, now))
    return round_view(catalog, learner_id, round_id, position, now)


# --- what the review page says ---------------------------------------------------------------------------------


def item_speech(item: ReviewItem) -> str:
    """What an item's screen reads before she answers: that it is a review, the question and its options."""
    return f"{t('review.speech.ask')} {question_speech(item.question)}"


def answer_speech(item: ReviewItem, correct: bool) -> str:
    """What is read after her answer: the lesson's feedback with its explanation."""
    return feedback_speech(item.question, correct)


def summary_speech(view: RoundView) -> str:
    """What the end of a round says: how many were right, and the way back to the lessons."""
    if not view.answers:
        return t("review.speech.none")
    return f"{t('review.done_score', right=view.right, asked=len(view.answers))} {t('review.speech.done')}"


# --- for the village's trainers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScamReview:
    """Of a village's residents who reviewed scam-spotting questions, how many answered each of them right the
    last time it came back."""

    reviewed: int
    kept: int


def scam_review(catalog: Catalog, answers: list[ReviewAnswerInfo]) -> ScamReview:
    """From review answers (oldest first): who reviewed scam-spotting questions, and who keeps them right (her
    latest review answer to each of them right)."""
    scam = {(lesson.id, q.id) for _, group in catalog.by_topic() for lesson in group for q in lesson.questions
            if q.kind == SCAM_KIND}
    latest: dict[int, dict[tuple[str, str], bool]] = {}
    for a in answers:
        if a.key in scam:
            latest.setdefault(a.learner_id, {})[a.key] = a.correct
    return ScamReview(len(latest), sum(1 for seen in latest.values() if all(seen.values())))
