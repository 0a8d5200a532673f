"""Pictures for residents who cannot read (issue 16): the drawing beside each name and on each village's button,
handed out so that neighbours differ, and the picture password, 3 taps on a fixed grid of 12 drawings instead of
4 digits, kept like a PIN (a salted scrypt hash, never the pictures) and counted by the same lock-out policy
(``lockout.PINS``: see ``people.sign_in_resident``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from learn.errors import InvalidInput
from learn.pictures import PASSWORD_GRID, PASSWORD_LENGTH, PEOPLE, person_picture
from learn.secrets import hash_secret, secret_matches
from progress_db import community
from progress_db.records import LearnerInfo, VillageInfo

#: a picture password as kept before hashing: the pictures' ids in the order tapped
_JOIN = "|"


def clean_pictures(raw: Sequence[str] | None) -> tuple[str, ...] | None:
    """An optional picture password (None: none wanted); InvalidInput unless it is exactly 3 pictures of the
    grid (the same picture may come twice: "buffalo, buffalo, banana" is a password too)."""
    if raw is None:
        return None
    chosen = tuple(raw)
    if len(chosen) != PASSWORD_LENGTH or any(p not in PASSWORD_GRID for p in chosen):
        raise InvalidInput("a picture password is 3 pictures of the grid", key="pictures.invalid",
                           count=PASSWORD_LENGTH)
    return chosen


def hash_pictures(pictures: Sequence[str]) -> str:
    """A salted scrypt hash of a picture password (the same hash as a PIN's)."""
    return hash_secret(_JOIN.join(pictures))


def pictures_match(pictures: Sequence[str], stored: str) -> bool:
    """Whether ``pictures``, tapped in this order, are the picture password behind ``stored``."""
    return secret_matches(_JOIN.join(pictures), stored)


def clean_picture(raw: str | None, fallback: str) -> str:
    """A resident's picture as chosen (one of ``PEOPLE``), or ``fallback`` when none was."""
    if raw is None or raw == "":
        return fallback
    if raw not in PEOPLE:
        raise InvalidInput(f"no picture {raw!r}", key="pictures.unknown")
    return raw


def _first_free(taken: set[str], offset: int = 0) -> str:
    """The first picture nobody in ``taken`` has (from ``offset`` on), or, all 24 being taken, one by turn."""
    order = PEOPLE[offset % len(PEOPLE):] + PEOPLE[:offset % len(PEOPLE)]
    return next((p for p in order if p not in taken), order[0])


def suggested_picture(village_id: int) -> str:
    """The picture a new resident of the village is offered first: one no neighbour has yet, if any is left."""
    taken = community.pictures_taken(village_id)
    return _first_free(taken, len(taken))


def with_pictures(people: list[LearnerInfo]) -> list[LearnerInfo]:
    """``people`` of one village, each with a picture: those who have none (added by an older release, a sync or
    the demo) are given one now, different from their neighbours' while there are enough."""
    missing = [p for p in people if p.picture not in PEOPLE]
    if not missing:
        return people
    taken = {p.picture for p in people if p.picture in PEOPLE}
    for person in missing:
        picture = _first_free(taken, person.id)
        community.give_picture(person.id, picture)
        taken.add(picture)
    given = {p.id: community.get_learner(p.id) for p in missing}  # what is stored, if another screen was first
    return [found if (found := given.get(p.id)) is not None else p for p in people]


def villages_with_pictures(villages: list[VillageInfo]) -> list[VillageInfo]:
    """``villages``, each with a picture: one that has none is given one its commune's others do not have."""
    missing = [v for v in villages if v.picture not in PEOPLE]
    if not missing:
        return villages
    for v in missing:
        taken = community.village_pictures_taken(v.commune_id)
        community.give_village_picture(v.id, _first_free(taken, v.id))
    given = {v.id: community.get_village(v.id) for v in missing}
    return [found if (found := given.get(v.id)) is not None else v for v in villages]


def drawing(picture: str | None) -> Path | None:
    """The drawing of ``picture`` (one of ``PEOPLE``) if it is there to show; None otherwise."""
    if picture is None or picture not in PEOPLE:
        return None
    path = person_picture(picture)
    return path if path.exists() else None


def learner_picture(person: LearnerInfo) -> Path | None:
    """The drawing shown large beside a resident's name (her lessons' header too), if it can be shown."""
    return drawing(person.picture)


def grid() -> tuple[str, ...]:
    """The 12 pictures a picture password is tapped on, always in the same order (a hand remembers places)."""
    return PASSWORD_GRID


def choices() -> tuple[str, ...]:
    """The 24 pictures a resident chooses hers from."""
    return PEOPLE
