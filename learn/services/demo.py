"""A realistic synthetic commune (or province) for demos and benchmarks: ``learn demo seed``.

Villages are uneven (a few large, many small), residents have Vietnamese names and households, and they learn
over months: most start with the smartphone lessons, some stop early, some questions are much harder than others,
and trainers tick outcomes more often for those who learned more. The same seed gives the same data.
"""

from __future__ import annotations

import math
import random
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from learn.errors import InvalidInput
from learn.lessons.catalog import Catalog
from learn.services.trainers import OUTCOMES
from learn.text import fold, nfc
from progress_db import bulk, community
from progress_db.db import database
from progress_db.models import utcnow

#: Chance that a trainer has ticked an outcome, for a resident with no lessons and one with all of them.
OUTCOME_CHANCE = {"smartphone": (0.35, 0.95), "vneid_level2": (0.15, 0.85), "payment_account": (0.2, 0.85),
                  "cashless_bill": (0.05, 0.7)}


@dataclass(frozen=True)
class Seeded:
    """What ``seed`` made."""

    communes: int
    villages: int
    learners: int
    lessons: int
    answers: int
    sessions: int


class _Names:
    def __init__(self, path: Path, rng: random.Random) -> None:
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            self.family = [nfc(str(name)) for name, _ in data["family"]]
            self.family_weights = [float(w) for _, w in data["family"]]
            self.middle = {"f": data["middle_female"], "m": data["middle_male"]}
            self.given = {"f": data["given_female"], "m": data["given_male"]}
            self.kinds, self.villages = data["village_kinds"], data["village_names"]
            self.communes, self.household = data["communes"], data["household_prefix"]
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise InvalidInput(f"cannot read the demo names in {path}: {exc}") from exc
        self.rng = rng

    def person(self) -> str:
        sex = self.rng.choice("fm")
        family = self.rng.choices(self.family, self.family_weights)[0]
        return nfc(f"{family} {self.rng.choice(self.middle[sex])} {self.rng.choice(self.given[sex])}")

    def village(self, index: int) -> str:
        kind = self.kinds[index % len(self.kinds)]
        name = self.villages[index % len(self.villages)]
        lap = index // len(self.villages)
        return nfc(f"{kind} {name}" + (f" {lap + 1}" if lap else ""))

    def commune(self, index: int) -> str:
        lap = index // len(self.communes)
        return nfc(self.communes[index % len(self.communes)] + (f" {lap + 1}" if lap else ""))


def seed(catalog: Catalog, names_file: Path, villages: int, learners: int, *, communes: int = 1, seed: int = 1,
         months: int = 8, now: datetime | None = None) -> Seeded:
    """Add ``communes`` communes with ``villages`` villages and ``learners`` residents in all, and their
    progress over ``months`` months. Everything goes in one transaction: a failure leaves nothing behind."""
    if villages < communes or communes < 1 or learners < 0:
        raise InvalidInput("need at least one village per commune and one commune")
    rng = random.Random(seed)
    names = _Names(names_file, rng)
    now = now or utcnow()
    start = now - timedelta(days=30 * months)

    def uid() -> str:
        return uuid.UUID(int=rng.getrandbits(128), version=4).hex

    lessons = [x for _, group in catalog.by_topic() for x in group]
    # how hard each question is: most are easy, a few trip many people up
    hardness = {(x.id, q.id): min(0.85, rng.betavariate(1.2, 6)) for x in lessons for q in x.questions}

    with database.connection_context(), database.atomic():
        commune_ids = []
        for c in range(communes):
            name = names.commune(c)
            if community.find_commune(name) is not None:
                raise InvalidInput(f"commune {name!r} exists already: seed into a fresh database")
            commune_ids.append(community.get_or_create_commune(name))
        village_ids = [community.get_or_create_village(commune_ids[i % communes], names.village(i // communes))
                       for i in range(villages)]
        # uneven villages: sizes drawn from a log-normal spread
        weights = [rng.lognormvariate(0, 0.8) for _ in village_ids]
        homes = sorted(rng.choices(village_ids, weights, k=learners))
        people = []
        household, left_in_house, last_village = 0, 0, None
        for village_id in homes:
            if village_id != last_village or left_in_house == 0:
                household, left_in_house, last_village = household + 1, rng.choice((1, 2, 2, 3, 3, 4)), village_id
            left_in_house -= 1
            joined = start + timedelta(seconds=rng.random() ** 1.5 * (now - start).total_seconds())
            name = names.person()
            year = rng.randint(1940, 2006) if rng.random() < 0.9 else None
            house = f"{names.household} {household}" if rng.random() < 0.85 else None
            people.append((uid(), village_id, name, fold(name), year, house, joined))
        bulk.insert_rows("learner", ("uid", "village_id", "display_name", "name_key", "birth_year", "household",
                                     "created_at", "updated_at"), (p + (p[-1],) for p in people))
        ids = bulk.ids_by_uid("learner", [p[0] for p in people])

        progress: list[tuple[object, ...]] = []
        answers: list[tuple[object, ...]] = []
        ticks: list[tuple[object, ...]] = []
        for p_uid, _village, _name, _key, _year, _house, joined in people:
            learner_id = ids[p_uid]
            skill = rng.betavariate(5, 2)
            # how many lessons they start: many try a few, some go through everything
            started = min(len(lessons), int(rng.expovariate(1 / 5.5)))
            when = joined
            completed = 0
            for lesson in _order(lessons, rng)[:started]:
                when = when + timedelta(hours=rng.expovariate(1 / 96))
                if when >= now - timedelta(minutes=10):
                    break  # the rest is still ahead of them
                run = 1 if rng.random() < 0.08 else 0
                done = rng.random() < 0.55 + 0.4 * skill
                finished_at = min(now, when + timedelta(minutes=rng.uniform(3, 9)))
                asked = lesson.questions if done else lesson.questions[:rng.randint(0, len(lesson.questions))]
                for attempt_run in range(run + 1):
                    for q in asked:
                        correct = rng.random() > hardness[(lesson.id, q.id)] * (1.6 - skill)
                        option = q.answer if correct else rng.choice(
                            [i for i in range(len(q.options)) if i != q.answer] or [q.answer])
                        answers.append((uid(), learner_id, lesson.id, q.id, option, correct,
                                        "voice" if rng.random() < 0.12 else "tap", when, attempt_run, False, False))
                screens = len(lesson.screens)
                progress.append((uid(), learner_id, lesson.id, screens if done else rng.randint(1, screens - 1),
                                 screens, when, finished_at, finished_at if done else None, run))
                completed += done
            for kind in OUTCOMES:
                low, high = OUTCOME_CHANCE.get(kind, (0.1, 0.5))
                if rng.random() < low + (high - low) * completed / max(1, len(lessons)):
                    ticks.append((learner_id, kind, min(now, when + timedelta(days=rng.uniform(0, 20)))))
        bulk.insert_rows("lesson_progress", ("uid", "learner_id", "lesson_id", "position", "screens", "started_at",
                                             "updated_at", "completed_at", "run"), progress)
        bulk.insert_rows("attempt", ("uid", "learner_id", "lesson_id", "question_id", "option_index", "correct",
                                     "mode", "answered_at", "run", "assisted", "retry"), answers)
        bulk.insert_rows("outcome", ("learner_id", "kind", "ticked_at"), ticks)
        sessions = list(_sessions(village_ids, homes, lessons, rng, start, now, uid))
        bulk.insert_rows("group_session", ("uid", "village_id", "lesson_id", "position", "started_at",
                                           "finished_at"), sessions)
    return Seeded(communes, villages, learners, len(progress), len(answers), len(sessions))


def _order(lessons: list, rng: random.Random) -> list:
    """The order a resident takes lessons in: mostly the curriculum's, with some jumping ahead."""
    return sorted(lessons, key=lambda x: lessons.index(x) + rng.gauss(0, 3))


def _sessions(village_ids: list[int], homes: list[int], lessons: list, rng: random.Random, start: datetime,
              now: datetime, uid: Callable[[], str]) -> Iterator[tuple[object, ...]]:
    """Group sessions: about one a month per 15 residents of a village."""
    size = Counter(homes)
    months = max(1, round((now - start).days / 30))
    for village_id in village_ids:
        for _ in range(math.ceil(size.get(village_id, 0) / 15 * months / 4)):
            begun = start + timedelta(seconds=rng.random() * (now - start).total_seconds())
            lesson = rng.choice(lessons)
            yield (uid(), village_id, lesson.id, len(lesson.screens) - 1, begun, begun + timedelta(minutes=45))
