"""Caring for a village's residents, and seeing who has learned what (the coach's view).

For trainers and staff of the resident's commune (every function checks, like ``trainers``): a resident's
lessons, wrong answers and outcomes; the village's lesson x resident grid and recent activity; renaming,
a new birth year or household, a PIN reset, moving away (kept out of lists and indicators, history kept),
deletion on request (the person's name and details wiped, anonymous counts kept); and, for staff, switching a
trainer's account off. Every change is written in the care log with who did it and when.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from learn.errors import Forbidden, InvalidInput, NotFound
from learn.lessons.catalog import Catalog
from learn.services import people, review
from learn.services import picture_passwords as pictures
from learn.services import practice as practices
from learn.services.accounts import require
from learn.services.trainers import OUTCOMES, village_for
from learn.strings_vi import t
from learn.text import fold, squash
from progress_db import care as records
from progress_db import community, learning, logins
from progress_db import review as review_records
from progress_db.care import Activity, CareEntry
from progress_db.records import AccountInfo, LearnerInfo

Standing = Literal["done", "going", "new"]


def resident(who: AccountInfo, learner_id: int) -> LearnerInfo:
    """A resident (or one who moved away) of a village of ``who``'s commune; a deleted one is not found."""
    found = community.get_learner(learner_id)
    if found is None or found.left == "removed":
        raise NotFound(f"learner {learner_id}", key="learner.not_found")
    village_for(who, found.village_id)
    return found


# --- who has learned what ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LessonLine:
    """A lesson as the coach sees it for one resident."""

    lesson_id: str
    title: str
    topic: str
    standing: Standing
    position: int  # screens seen, of ``screens``
    screens: int
    right: int  # right answers in the current run
    answered: int
    when: datetime | None  # last time she worked on it (completion time when done)


@dataclass(frozen=True)
class WrongLine:
    """A question the resident got wrong the last time she answered it."""

    lesson_title: str
    prompt: str
    chosen: str
    right: str
    when: datetime
    #: a pretend-phone screen of a practice (issue 18): the help it needed (1 or 2 hints, 3 shown the way)
    helped: int | None = None


@dataclass(frozen=True)
class ResidentReport:
    person: LearnerInfo
    lessons: list[LessonLine]  # lessons she opened, the latest first
    wrong: list[WrongLine]
    outcomes: set[str]
    history: list[CareEntry]

    @property
    def last_reset(self) -> CareEntry | None:
        """The latest reset of her PIN or picture password (who, when), if any."""
        return next((x for x in self.history if x.action == "pin_reset"), None)


def report(who: AccountInfo, catalog: Catalog, learner_id: int) -> ResidentReport:
    """Everything a trainer needs to know before visiting a resident."""
    person = resident(who, learner_id)
    progress = learning.progress_for(learner_id)
    given = records.current_answers(learner_id)
    lines, wrong = [], []
    for lesson_id, where in progress.items():
        lesson = catalog.get(lesson_id)
        if lesson is None:  # a lesson taken out of the catalog: its progress stays, but there is nothing to show
            continue
        answers = {k: a for k, a in given.get(lesson_id, {}).items() if "/" not in k}  # questions only
        standing: Standing = "done" if where.completed else "going"
        lines.append(LessonLine(lesson_id, lesson.title, lesson.topic, standing, min(where.position, where.screens),
                                where.screens, sum(a.correct for a in answers.values()), len(answers),
                                where.completed_at or where.updated_at))
        for question in lesson.questions:
            answer = answers.get(question.id)
            if answer is not None and not answer.correct and 0 <= answer.option_index < len(question.options):
                wrong.append(WrongLine(lesson.title, question.prompt, question.options[answer.option_index].text,
                                       question.options[question.answer].text, answer.at))
        for practice in lesson.practices:  # the pretend screens she needed help on, where to tap on each
            for screen in practice.path:
                done = given.get(lesson_id, {}).get(practice.item_id(screen))
                if done is not None and not done.correct:
                    target = screen.part(screen.tap) if screen.tap else None
                    wrong.append(WrongLine(lesson.title, practices.item_label(lesson, practice.item_id(screen)) or "",
                                           t(f"practice.helped.{min(max(done.option_index, 1), 3)}"),
                                           target.text if target else t("practice.typed_code", code=screen.type),
                                           done.at, done.option_index))
    lines.sort(key=lambda x: x.when or datetime.min, reverse=True)
    ticked = community.learner_outcomes(learner_id)
    return ResidentReport(person, lines, wrong, ticked, records.care_history(learner_id))


@dataclass(frozen=True)
class VillageGrid:
    """Lesson x resident: each resident's standing in each lesson, lessons in catalog order."""

    residents: list[LearnerInfo]
    lessons: list[tuple[str, str]]  # (lesson id, title)
    cells: dict[tuple[int, str], Standing]
    done: dict[int, int]  # lessons completed per resident

    def standing(self, learner_id: int, lesson_id: str) -> Standing:
        return self.cells.get((learner_id, lesson_id), "new")


def village_grid(who: AccountInfo, catalog: Catalog, village_id: int) -> VillageGrid:
    """The village's lesson x resident grid (three queries)."""
    village_for(who, village_id)
    everyone = people.learners(village_id)
    progress = records.village_progress(village_id)
    lessons = [(x.id, x.title) for _, group in catalog.by_topic() for x in group]
    cells: dict[tuple[int, str], Standing] = {}
    for learner_id, theirs in progress.items():
        for lesson_id, where in theirs.items():
            cells[(learner_id, lesson_id)] = "done" if where.completed else "going"
    finished = Counter(pid for (pid, _), standing in cells.items() if standing == "done")
    done = {p.id: finished[p.id] for p in everyone}
    return VillageGrid(everyone, lessons, cells, done)


def village_review(who: AccountInfo, catalog: Catalog, village_id: int) -> review.ScamReview:
    """Of the village's residents who met scam-spotting questions again in "Ôn lại", how many keep them right
    (issue 18; one query)."""
    village_for(who, village_id)
    return review.scam_review(catalog, review_records.village_answers(village_id))


@dataclass(frozen=True)
class ActivityLine:
    at: datetime
    learner_id: int
    name: str
    kind: str
    subject: str  # a lesson's title, or an outcome kind


def village_activity(who: AccountInfo, catalog: Catalog, village_id: int, limit: int = 15) -> list[ActivityLine]:
    """What the village's residents did last, newest first."""
    village_for(who, village_id)

    def subject(a: Activity) -> str:
        if a.kind == "outcome":
            return a.subject
        lesson = catalog.get(a.subject)
        return lesson.title if lesson is not None else a.subject

    return [ActivityLine(a.at, a.learner_id, a.name, a.kind, subject(a))
            for a in records.recent_activity(village_id, limit)]


@dataclass(frozen=True)
class HeardLine:
    """One question, as the recogniser heard the village's residents answer it: how many spoken turns, how many
    became an answer, and what was heard most often (text, times; erased transcripts are not shown)."""

    lesson_title: str
    prompt: str
    heard: int
    answered: int
    said: tuple[tuple[str, int], ...]


def village_heard(who: AccountInfo, catalog: Catalog, village_id: int, top: int = 3) -> list[HeardLine]:
    """Per question, what the village's residents said to the recogniser and how often it led to an answer;
    the questions heard most first (one query), for tuning spoken forms (``say:``) in the field."""
    village_for(who, village_id)
    turns: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for u in records.village_utterances(village_id):
        if u.question_id is not None:
            turns.setdefault((u.lesson_id, u.question_id), []).append((u.transcript, u.outcome))
    lines = []
    for (lesson_id, question_id), said in turns.items():
        lesson = catalog.get(lesson_id)
        question = lesson.question(question_id) if lesson is not None else None
        texts = Counter(text for text, _ in said if text.strip())
        lines.append(HeardLine(lesson.title if lesson is not None else lesson_id,
                               question.prompt if question is not None else question_id, len(said),
                               sum(outcome == "answer" for _, outcome in said), tuple(texts.most_common(top))))
    return sorted(lines, key=lambda x: (-x.heard, x.lesson_title, x.prompt))


def moved_away(who: AccountInfo, village_id: int) -> list[LearnerInfo]:
    """The village's residents who moved away (to bring one back)."""
    village_for(who, village_id)
    return community.list_learners(village_id, moved=True)


# --- caring for the roster ---------------------------------------------------------------------------------


def change_details(who: AccountInfo, learner_id: int, *, name: str | None = None, birth_year: str | None = None,
                   household: str | None = None) -> LearnerInfo:
    """Rename a resident, or give her birth year or household; only what differs is changed, each logged.
    Nothing is saved when any field is wrong."""
    person = resident(who, learner_id)
    changes: list[tuple[str, str, dict[str, object]]] = []
    if name is not None:
        clean = people.clean_name(name)
        if clean != person.name:
            changes.append(("renamed", f"{person.name} → {clean}", {"display_name": clean, "name_key": fold(clean)}))
    if birth_year is not None:
        year = people.clean_birth_year(birth_year.strip() or None)
        if year != person.birth_year:
            changes.append(("birth_year", f"{person.birth_year or '–'} → {year or '–'}", {"birth_year": year}))
    if household is not None:
        label = squash(household) or None
        if label is not None and len(label) > people.MAX_NAME:
            raise InvalidInput("household label too long", key="learner.name_too_long", limit=people.MAX_NAME)
        if label != person.household:
            changes.append(("household", f"{person.household or '–'} → {label or '–'}", {"household": label}))
    for action, detail, fields in changes:
        records.update_learner(learner_id, who.id, action, detail, **fields)
    return resident(who, learner_id)


def reset_pin(who: AccountInfo, learner_id: int, pin: str | None,
              picture_password: Sequence[str] | None = None) -> None:
    """A forgotten PIN or picture password: a new 4-digit PIN, or a new picture password, or neither (then she
    gets in by tapping her name, and may choose a new one herself); the old one and the lock from wrong guesses
    are gone. Logged with who did it and when."""
    resident(who, learner_id)
    code = people.clean_pin(pin)
    chosen = pictures.clean_pictures(picture_password)
    if code and chosen:
        raise InvalidInput("a PIN or a picture password, not both", key="pictures.not_both")
    records.set_pin(learner_id, people.hash_pin(code) if code else None, who.id,
                    pictures.hash_pictures(chosen) if chosen else None)
    people.forget_pin_tries(learner_id)


def move_away(who: AccountInfo, learner_id: int, *, back: bool = False) -> None:
    """Mark a resident as moved away (out of lists and indicators, history kept), or back in the village."""
    person = resident(who, learner_id)
    if (person.left == "moved") != back:
        return  # already so: nothing to log
    records.set_left(learner_id, not back, who.id)


def delete_on_request(who: AccountInfo, learner_id: int, confirm: str) -> None:
    """Delete a resident who asked for it: her name and details are wiped for good, her anonymous answers and
    lessons stay in the commune's counts. ``confirm`` must be her name as shown (a deliberate act)."""
    person = resident(who, learner_id)
    if fold(squash(confirm)) != fold(person.name):
        raise InvalidInput("confirmation does not match the name", key="care.delete_confirm")
    records.remove_learner(learner_id, who.id)


def set_trainer_active(who: AccountInfo, account_id: int, active: bool) -> AccountInfo:
    """Staff switch a trainer's account of their commune off (signed out everywhere; it cannot sign in) or back
    on. Not for staff or admin accounts, nor one's own."""
    target = logins.get_account(account_id)
    if target is None:
        raise NotFound(f"account {account_id}", key="account.not_found")
    require(who, "staff", commune_id=target.commune_id)
    if target.role != "trainer" or target.id == who.id:
        raise Forbidden(f"{who.username} cannot switch off {target.role} {target.username}")
    if target.active != active:
        records.set_account_active(account_id, active, who.id)
    found = logins.get_account(account_id)
    assert found is not None
    return found


def account_history(who: AccountInfo, account_id: int) -> list[CareEntry]:
    """What was done to an account (switched off, on), newest first; for staff of its commune."""
    target = logins.get_account(account_id)
    if target is None:
        raise NotFound(f"account {account_id}", key="account.not_found")
    require(who, "staff", commune_id=target.commune_id)
    return records.care_history(account_id=account_id)


__all__ = ["OUTCOMES", "ActivityLine", "LessonLine", "ResidentReport", "VillageGrid", "WrongLine"]
