"""Communes, as the operator sets them up from the `learn` command (the app has no page that makes one).

Names are cleaned and checked like village names (``people.clean_name``); two communes may not differ only in
upper and lower case.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from learn.errors import InvalidInput, NotFound
from learn.services import people
from learn.text import fold, squash
from progress_db import community


@dataclass(frozen=True)
class CommuneInfo:
    """A commune and how many villages it has."""

    id: int
    name: str
    villages: int


def communes() -> list[CommuneInfo]:
    """Every commune with its number of villages, in Vietnamese alphabetical order."""
    counts = Counter(v.commune_id for v in community.list_villages())
    found = [CommuneInfo(cid, name, counts[cid]) for cid, name in community.list_communes()]
    return sorted(found, key=lambda c: (fold(c.name), c.name))


def find(name: str) -> CommuneInfo:
    """The commune called ``name`` (exactly, or else the only one differing in case); NotFound otherwise."""
    wanted = squash(name or "")
    every = communes()
    exact = [c for c in every if c.name == wanted]
    loose = [c for c in every if c.name.casefold() == wanted.casefold()]
    if exact or len(loose) == 1:
        return (exact or loose)[0]
    raise NotFound(f"no commune named {wanted!r}", key="commune.unknown", name=wanted)


def add(name: str, villages: list[str] | tuple[str, ...] = ()) -> tuple[CommuneInfo, list[str]]:
    """A new commune and its villages' names as stored; every name is checked first, so a bad one creates
    nothing."""
    clean = people.clean_name(name)
    _not_taken(clean)
    village_names = [people.clean_name(v) for v in villages]
    seen: set[str] = set()
    for village in village_names:
        if village.casefold() in seen:
            raise InvalidInput(f"village {village!r} given twice", key="commune.village_twice", name=village)
        seen.add(village.casefold())
    made = community.add_commune(clean, village_names)
    if made is None:  # made by someone else meanwhile
        raise InvalidInput(f"commune {clean!r} exists", key="commune.exists", name=clean)
    return CommuneInfo(made, clean, len(village_names)), village_names


def rename(old: str, new: str) -> tuple[CommuneInfo, CommuneInfo]:
    """Give the commune ``old`` the name ``new`` (its villages, residents and accounts stay): (before, after)."""
    before = find(old)
    clean = people.clean_name(new)
    _not_taken(clean, but=before.id)
    if not community.rename_commune(before.id, clean):
        raise InvalidInput(f"commune {clean!r} exists", key="commune.exists", name=clean)
    return before, CommuneInfo(before.id, clean, before.villages)


def _not_taken(name: str, but: int | None = None) -> None:
    for other in communes():
        if other.id != but and other.name.casefold() == name.casefold():
            raise InvalidInput(f"commune {other.name!r} exists", key="commune.exists", name=other.name)
