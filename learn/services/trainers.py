"""What a trainer of a village tech team does between sessions: the commune's villages and their rosters.

Every function takes the signed-in account and checks its role and commune first.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from learn.errors import InvalidInput, LearnError
from learn.services import handouts, people
from learn.services.accounts import require
from learn.text import squash
from progress_db import community, learning, logins
from progress_db.records import AccountInfo, LearnerInfo, VillageInfo

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
    """Add one resident per line: "Name", "Name, year of birth", "Name, household" or "Name, year, household"
    (the household is a house number or the head's name); lines that cannot be added are returned."""
    village_for(who, village_id)
    added, problems = [], []
    for number, raw in enumerate(lines.splitlines(), start=1):
        if not raw.strip():
            continue
        name, *rest = (part.strip() for part in raw.split(","))
        year = next((x for x in rest if x.isdigit()), None)
        house = ", ".join(x for x in rest if x and not x.isdigit()) or None
        try:
            if house is not None and len(house) > people.MAX_NAME:
                raise InvalidInput("household label too long", key="learner.name_too_long", limit=people.MAX_NAME)
            added.append(people.add_learner(village_id, name, year, household=squash(house) if house else None))
        except InvalidInput as exc:
            problems.append(LineProblem(number, raw.strip(), exc))
    return added, problems


def outcomes(who: AccountInfo, village_id: int) -> dict[int, set[str]]:
    """The outcomes ticked for the village's residents, by learner id."""
    village_for(who, village_id)
    return community.village_outcomes(village_id)


def save_outcomes(who: AccountInfo, learner_id: int, kinds: set[str]) -> None:
    """Tick exactly ``kinds`` for a resident of a village of the trainer's commune."""
    _outcome_kinds(who, learner_id, kinds)
    community.set_outcomes(learner_id, kinds, who.id)


def change_outcomes(who: AccountInfo, learner_id: int, ticked: set[str], unticked: set[str]) -> None:
    """Tick and untick what the trainer changed on the form; ticks nobody touched stay as saved (a tick
    that came in by sync, or from another laptop, is not undone by a form drawn before it)."""
    _outcome_kinds(who, learner_id, ticked | unticked)
    community.change_outcomes(learner_id, ticked, unticked, who.id)


def _outcome_kinds(who: AccountInfo, learner_id: int, kinds: set[str]) -> None:
    person = people.learner(learner_id)
    village_for(who, person.village_id)
    unknown = kinds - set(OUTCOMES)
    if unknown:
        raise InvalidInput(f"unknown outcome {sorted(unknown)[0]!r}")


def merge(who: AccountInfo, keep_id: int, drop_id: int) -> LearnerInfo:
    """Merge a resident added twice into one (same village only); everything the duplicate did is kept."""
    keep, drop = people.learner(keep_id), people.learner(drop_id)
    if keep_id == drop_id or keep.village_id != drop.village_id:
        raise InvalidInput("merge two different residents of one village", key="trainer.merge_invalid")
    village_for(who, keep.village_id)
    learning.merge_learners(keep_id, drop_id)
    return people.learner(keep_id)


def set_household(who: AccountInfo, learner_id: int, household: str) -> None:
    """Put a resident in a household (a house number or the head's name); blank: a household of their own."""
    person = people.learner(learner_id)
    village_for(who, person.village_id)
    label = squash(household)
    if len(label) > people.MAX_NAME:
        raise InvalidInput("household label too long", key="learner.name_too_long", limit=people.MAX_NAME)
    community.set_household(learner_id, label or None)


def add_village(who: AccountInfo, commune_id: int, name: str) -> int:
    """A new village of the commune, for its staff (or an admin)."""
    require(who, "staff", commune_id=commune_id)
    clean = people.clean_name(name)
    made = community.add_village(commune_id, clean)
    if made is None:
        raise InvalidInput(f"village {clean!r} exists", key="dashboard.village_exists")
    return made


def rename_village(who: AccountInfo, village_id: int, name: str) -> str:
    """A village's new name (its residents and progress stay), for staff of its commune."""
    found = people.village(village_id)
    require(who, "staff", commune_id=found.commune_id)
    clean = people.clean_name(name)
    if not community.rename_village(village_id, clean):
        raise InvalidInput(f"village {clean!r} exists", key="dashboard.village_exists")
    return clean


def commune_accounts(who: AccountInfo, commune_id: int) -> list[AccountInfo]:
    """The commune's trainer and staff accounts, for its staff (or an admin)."""
    require(who, "staff", commune_id=commune_id)
    return logins.commune_accounts(commune_id)


def join_link(base_url: str, village_id: int, code: str) -> str:
    """The address a QR card opens: the app's first page, which opens the village with its code."""
    return f"{base_url.rstrip('/')}/?{urlencode({'village': village_id, 'code': code})}"


def join_card(who: AccountInfo, village_id: int, base_url: str) -> str:
    """The village's printable join card (code and QR), for a trainer of its commune."""
    found = village_for(who, village_id)
    state = community.join_state(village_id)
    assert state is not None
    return handouts.join_card(found.name, found.commune, state.code, join_link(base_url, village_id, state.code))


def join_code(who: AccountInfo, village_id: int) -> str:
    """The village's join code, for a trainer of its commune."""
    village_for(who, village_id)
    state = community.join_state(village_id)
    assert state is not None
    return state.code


def renew_join_code(who: AccountInfo, village_id: int) -> str:
    """A new join code (when a card was lost or the code got around); old cards stop working."""
    village_for(who, village_id)
    return community.renew_join_code(village_id)
