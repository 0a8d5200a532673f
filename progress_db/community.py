"""Communes, villages and their residents: names, households, PINs and join codes, the outcomes trainers
tick and the commune's targets. Every function opens its own connection (from the pool) and returns plain data."""

from __future__ import annotations

from datetime import datetime, timedelta

from peewee import JOIN, fn

from progress_db.db import database
from progress_db.models import (
    Commune,
    CommuneTarget,
    Learner,
    Outcome,
    Village,
    new_join_code,
    utcnow,
)
from progress_db.records import (
    JoinState,
    LearnerInfo,
    PinState,
    VillageInfo,
)

#: how long after a trainer cleared her PIN or picture password the resident may choose her own: long enough
#: to do it with the trainer beside her, too short for a stranger to wait for it and take her name
RESET_CLAIM = timedelta(minutes=30)


def _claim_open(reset_at: datetime | None) -> bool:
    return reset_at is not None and reset_at > utcnow() - RESET_CLAIM


def learner_info(row: Learner) -> LearnerInfo:
    """The record of one learner's row."""
    return LearnerInfo(row.id, row.village_id, row.display_name, row.birth_year, bool(row.pin_hash), row.uid,
                       row.household, row.left_reason if row.left_at is not None else None, row.picture,
                       bool(row.picture_password_hash), _claim_open(row.secret_reset_at))


def get_or_create_commune(name: str) -> int:
    """The id of the commune called ``name``, created if needed."""
    with database.connection_context():
        commune, _ = Commune.get_or_create(name=name)
        return commune.id


def get_or_create_village(commune_id: int, name: str) -> int:
    """The id of the village ``name`` in the commune, created if needed."""
    with database.connection_context():
        village, _ = Village.get_or_create(commune=commune_id, name=name)
        return village.id


def list_villages() -> list[VillageInfo]:
    """Every village with its commune and number of learners, ordered by commune then name (one query)."""
    with database.connection_context():
        rows = (Village.select(Village.id, Village.name, Village.picture, Commune.name.alias("commune_name"),
                               Commune.id.alias("cid"), fn.COUNT(Learner.id).alias("n"))
                .join(Commune).switch(Village)
                .join(Learner, JOIN.LEFT_OUTER, on=(Learner.village == Village.id) & Learner.left_at.is_null())
                .group_by(Village.id, Village.name, Village.picture, Commune.name, Commune.id)
                .order_by(Commune.name, Village.name))
        return [VillageInfo(r.id, r.name, r.commune_name, r.n, r.cid, r.picture) for r in rows.objects()]


def get_village(village_id: int) -> VillageInfo | None:
    """One village, or None (one query, however many villages there are)."""
    with database.connection_context():
        row = (Village.select(Village.id, Village.name, Village.picture, Commune.name.alias("commune_name"),
                              Commune.id.alias("cid"), fn.COUNT(Learner.id).alias("n"))
               .join(Commune).switch(Village)
               .join(Learner, JOIN.LEFT_OUTER, on=(Learner.village == Village.id) & Learner.left_at.is_null())
               .where(Village.id == village_id)
               .group_by(Village.id, Village.name, Village.picture, Commune.name, Commune.id).objects().first())
        return VillageInfo(row.id, row.name, row.commune_name, row.n, row.cid, row.picture) if row else None


def list_learners(village_id: int, *, moved: bool = False) -> list[LearnerInfo]:
    """The village's residents, by name (with ``moved``: those who moved away instead). Residents deleted on
    request are never listed."""
    with database.connection_context():
        left = (Learner.left_reason == "moved") if moved else Learner.left_at.is_null()
        rows = (Learner.select().where((Learner.village == village_id) & left)
                .order_by(Learner.name_key, Learner.id))
        return [learner_info(r) for r in rows]


def find_learner(village_id: int, name_key: str, birth_year: int | None) -> LearnerInfo | None:
    """A learner of the village with the same folded name and birth year, or None."""
    with database.connection_context():
        row = (Learner.select()
               .where((Learner.village == village_id) & (Learner.name_key == name_key)
                      & (Learner.birth_year.is_null() if birth_year is None else Learner.birth_year == birth_year))
               .first())
        return learner_info(row) if row else None


def add_learner(village_id: int, name: str, name_key: str, birth_year: int | None, pin_hash: str | None,
                household: str | None = None, *, picture: str | None = None,
                picture_password_hash: str | None = None) -> LearnerInfo:
    """Create a learner in the village (with her picture, and a PIN or a picture password hash if any)."""
    with database.connection_context():
        row = Learner.create(village=village_id, display_name=name, name_key=name_key,
                             birth_year=birth_year, pin_hash=pin_hash, household=household, picture=picture,
                             picture_password_hash=picture_password_hash)
        return learner_info(row)


def pictures_taken(village_id: int) -> set[str]:
    """The pictures the village's residents have (those who left do not count)."""
    with database.connection_context():
        rows = Learner.select(Learner.picture).where((Learner.village == village_id) & Learner.left_at.is_null()
                                                     & Learner.picture.is_null(False))
        return {str(r.picture) for r in rows}


def village_pictures_taken(commune_id: int) -> set[str]:
    """The pictures the commune's villages have."""
    with database.connection_context():
        rows = Village.select(Village.picture).where((Village.commune == commune_id) & Village.picture.is_null(False))
        return {str(r.picture) for r in rows}


def give_picture(learner_id: int, picture: str) -> None:
    """Give a resident who has none her picture (one who has one keeps it: two screens may ask at once)."""
    with database.connection_context():
        Learner.update(picture=picture).where((Learner.id == learner_id) & Learner.picture.is_null()).execute()


def give_village_picture(village_id: int, picture: str) -> None:
    """Give a village that has none its picture."""
    with database.connection_context():
        Village.update(picture=picture).where((Village.id == village_id) & Village.picture.is_null()).execute()


def set_own_secret(learner_id: int, pin_hash: str | None, picture_password_hash: str | None) -> bool:
    """After a trainer's reset, the resident's own new PIN or picture password (or, both None, none at all);
    only within ``RESET_CLAIM`` of the reset and while she has neither (False otherwise: nothing changed)."""
    with database.connection_context():
        return bool(Learner.update(pin_hash=pin_hash, picture_password_hash=picture_password_hash,
                                   secret_reset_at=None, updated_at=utcnow())
                    .where((Learner.id == learner_id) & (Learner.secret_reset_at > utcnow() - RESET_CLAIM)
                           & Learner.pin_hash.is_null() & Learner.picture_password_hash.is_null())
                    .execute())


def set_household(learner_id: int, household: str | None) -> None:
    """Put a learner in a household (None: a household of their own)."""
    with database.connection_context():
        Learner.update(household=household, updated_at=utcnow()).where(Learner.id == learner_id).execute()


def add_village(commune_id: int, name: str) -> int | None:
    """A new village of the commune; None if the commune has one with that name already."""
    with database.connection_context():
        if Village.get_or_none((Village.commune == commune_id) & (Village.name == name)) is not None:
            return None
        return Village.create(commune=commune_id, name=name).id


def rename_village(village_id: int, name: str) -> bool:
    """Rename a village; False if another village of its commune already has the name."""
    with database.connection_context(), database.atomic():
        row = Village.get_by_id(village_id)
        if Village.get_or_none((Village.commune == row.commune_id) & (Village.name == name)
                               & (Village.id != village_id)) is not None:
            return False
        Village.update(name=name).where(Village.id == village_id).execute()
        return True


def get_learner(learner_id: int) -> LearnerInfo | None:
    """One learner, or None."""
    with database.connection_context():
        row = Learner.get_or_none(Learner.id == learner_id)
        return learner_info(row) if row else None


def pin_state(learner_id: int) -> PinState | None:
    """The PIN state of a learner, or None when there is no such learner."""
    with database.connection_context():
        row = (Learner.select(Learner.pin_hash, Learner.picture_password_hash)
               .where(Learner.id == learner_id).first())
        return PinState(row.pin_hash, row.picture_password_hash) if row else None


def join_state(village_id: int) -> JoinState | None:
    with database.connection_context():
        row = Village.get_or_none(Village.id == village_id)
        return JoinState(row.join_code) if row else None


def renew_join_code(village_id: int) -> str:
    """A new join code for the village (the old one stops working)."""
    with database.connection_context():
        old = Village.get_by_id(village_id).join_code
        code = new_join_code()
        while code == old:
            code = new_join_code()
        Village.update(join_code=code).where(Village.id == village_id).execute()
    return code


def commune_name(commune_id: int) -> str | None:
    """The commune's name, or None."""
    with database.connection_context():
        row = Commune.get_or_none(Commune.id == commune_id)
        return row.name if row else None


def list_communes() -> list[tuple[int, str]]:
    """Every commune as (id, name)."""
    with database.connection_context():
        return [(row.id, row.name) for row in Commune.select(Commune.id, Commune.name).order_by(Commune.name)]


def find_commune(name: str) -> int | None:
    """The id of the commune with this name, or None."""
    with database.connection_context():
        row = Commune.get_or_none(Commune.name == name)
        return row.id if row else None


def add_commune(name: str, villages: list[str]) -> int | None:
    """A new commune with these villages, in one transaction; None if a commune has that name already."""
    with database.connection_context(), database.atomic():
        if Commune.get_or_none(Commune.name == name) is not None:
            return None
        commune = Commune.create(name=name)
        for village in villages:
            Village.create(commune=commune.id, name=village)
        return commune.id


def rename_commune(commune_id: int, name: str) -> bool:
    """Rename a commune (its villages, residents and accounts stay); False if another commune has the name."""
    with database.connection_context(), database.atomic():
        if Commune.get_or_none((Commune.name == name) & (Commune.id != commune_id)) is not None:
            return False
        Commune.update(name=name).where(Commune.id == commune_id).execute()
        return True


def learner_outcomes(learner_id: int) -> set[str]:
    """The outcomes ticked for one learner."""
    with database.connection_context():
        return {r.kind for r in Outcome.select(Outcome.kind).where(Outcome.learner == learner_id)}


def village_outcomes(village_id: int) -> dict[int, set[str]]:
    """The outcomes ticked for each learner of a village (learners with none are left out), in one query."""
    with database.connection_context():
        rows = (Outcome.select(Outcome.learner, Outcome.kind).join(Learner)
                .where(Learner.village == village_id).tuples())
        found: dict[int, set[str]] = {}
        pairs: list[tuple[int, str]] = list(rows)  # type: ignore[arg-type]  # .tuples() rows
        for learner, ticked in pairs:
            found.setdefault(learner, set()).add(ticked)
        return found


def set_outcomes(learner_id: int, kinds: set[str], account_id: int | None) -> None:
    """Make the learner's ticked outcomes exactly ``kinds`` (earlier ticks keep their date and author)."""
    with database.connection_context(), database.atomic():
        Outcome.delete().where((Outcome.learner == learner_id) & Outcome.kind.not_in(list(kinds) or [""])).execute()
        for kind in sorted(kinds):
            (Outcome.insert(learner=learner_id, kind=kind, ticked_by=account_id, ticked_at=utcnow())
             .on_conflict_ignore().execute())


def change_outcomes(learner_id: int, ticked: set[str], unticked: set[str], account_id: int | None) -> None:
    """Tick ``ticked`` and untick ``unticked`` for the learner; every other outcome stays as it is."""
    with database.connection_context(), database.atomic():
        Outcome.delete().where((Outcome.learner == learner_id) & Outcome.kind.in_(list(unticked) or [""])).execute()
        for kind in sorted(ticked - unticked):
            (Outcome.insert(learner=learner_id, kind=kind, ticked_by=account_id, ticked_at=utcnow())
             .on_conflict_ignore().execute())


def commune_targets(commune_id: int) -> dict[str, float]:
    """The targets a commune has set (indicators it has not set are left out)."""
    with database.connection_context():
        rows = CommuneTarget.select().where(CommuneTarget.commune == commune_id)
        return {row.indicator: row.target for row in rows}


def set_commune_targets(commune_id: int, targets: dict[str, float]) -> None:
    """Set the commune's targets for the given indicators (others keep theirs), in one transaction."""
    with database.connection_context(), database.atomic():
        for indicator, target in targets.items():
            (CommuneTarget.insert(commune=commune_id, indicator=indicator, target=target, updated_at=utcnow())
             .on_conflict(conflict_target=[CommuneTarget.commune, CommuneTarget.indicator],
                          update={CommuneTarget.target: target, CommuneTarget.updated_at: utcnow()})
             .execute())
