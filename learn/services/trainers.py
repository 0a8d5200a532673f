"""What a trainer of a village tech team does between sessions: the commune's villages and their rosters.

Every function takes the signed-in account and checks its role and commune first.
"""

from __future__ import annotations

from dataclasses import dataclass

from learn.errors import InvalidInput, LearnError
from learn.services import people
from learn.services.accounts import require
from progress_db import queries
from progress_db.queries import AccountInfo, LearnerInfo, VillageInfo

#: Outcomes a trainer can tick for a resident after helping them; they feed the commune's indicators.
OUTCOMES = ("smartphone", "vneid_level2", "payment_account", "cashless_bill")


def commune_villages(who: AccountInfo) -> list[VillageInfo]:
    """The villages of the trainer's commune (every village for an admin)."""
    require(who, "trainer", "staff")
    return [v for v in people.villages() if who.role == "admin" or v.commune_id == who.commune_id]


def village_for(who: AccountInfo, village_id: int) -> VillageInfo:
    """The village, if ``who`` is a trainer or staff of its commune (or an admin); Forbidden otherwise."""
    found = people.village(village_id)
    require(who, "trainer", "staff", commune_id=found.commune_id)
    return found


def roster(who: AccountInfo, village_id: int) -> list[LearnerInfo]:
    """The village's learners, for a trainer of its commune."""
    village_for(who, village_id)
    return people.learners(village_id)


@dataclass(frozen=True)
class LineProblem:
    """A line of a quick-add list that was not added, and why (a message key and its values)."""

    line: int
    text: str
    error: LearnError


def add_residents(who: AccountInfo, village_id: int, lines: str) -> tuple[list[LearnerInfo], list[LineProblem]]:
    """Add one resident per line ("Name" or "Name, year of birth"); lines that cannot be added are returned."""
    village_for(who, village_id)
    added, problems = [], []
    for number, raw in enumerate(lines.splitlines(), start=1):
        if not raw.strip():
            continue
        name, _, year = raw.rpartition(",") if "," in raw else (raw, "", "")
        try:
            added.append(people.add_learner(village_id, name, year.strip() or None))
        except InvalidInput as exc:
            problems.append(LineProblem(number, raw.strip(), exc))
    return added, problems


def outcomes(who: AccountInfo, village_id: int) -> dict[int, set[str]]:
    """The outcomes ticked for the village's residents, by learner id."""
    village_for(who, village_id)
    return queries.village_outcomes(village_id)


def save_outcomes(who: AccountInfo, learner_id: int, kinds: set[str]) -> None:
    """Tick exactly ``kinds`` for a resident of a village of the trainer's commune."""
    person = people.learner(learner_id)
    village_for(who, person.village_id)
    unknown = kinds - set(OUTCOMES)
    if unknown:
        raise InvalidInput(f"unknown outcome {sorted(unknown)[0]!r}")
    queries.set_outcomes(learner_id, kinds, who.id)


def merge(who: AccountInfo, keep_id: int, drop_id: int) -> LearnerInfo:
    """Merge a resident added twice into one (same village only); everything the duplicate did is kept."""
    keep, drop = people.learner(keep_id), people.learner(drop_id)
    if keep_id == drop_id or keep.village_id != drop.village_id:
        raise InvalidInput("merge two different residents of one village", key="trainer.merge_invalid")
    village_for(who, keep.village_id)
    queries.merge_learners(keep_id, drop_id)
    return people.learner(keep_id)
