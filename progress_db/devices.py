"""Residents' own phones, where they stay signed in: the hash of each phone's token (the token itself is only in
the phone's cookie), whose phone it is, and when it was last used. Every function opens its own connection."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from progress_db.community import learner_info
from progress_db.db import database
from progress_db.models import Learner, ResidentDevice, utcnow
from progress_db.records import LearnerInfo

#: the columns that let a resident in: a device remembered with their old values no longer works once any of
#: them changes (a trainer's reset of a forgotten PIN or picture password, or a new one that came by sync; the
#: hashes are salted, so even the same PIN set again changes them). A resident with neither has nothing to
#: protect: anyone may tap her name.
SECRETS = (Learner.pin_hash, Learner.picture_password_hash)


def _stamp(learner_id: int) -> str | None:
    """A hash of the learner's secrets as they are now; None when there is no such learner."""
    row = Learner.select(*SECRETS).where(Learner.id == learner_id).tuples().first()
    return None if row is None else _stamp_of(row)


def _stamp_of(secrets: tuple[str | None, ...]) -> str:
    return hashlib.sha256("\x1f".join(value or "" for value in secrets).encode()).hexdigest()


def open_device(token_hash: str, learner_id: int, lifetime: timedelta, now: datetime | None = None) -> bool:
    """Remember a phone for a learner (False: no such learner). Phones unused for longer than ``lifetime`` are
    forgotten on the way, so that lost phones do not pile up."""
    now = now or utcnow()
    with database.connection_context(), database.atomic():
        stamp = _stamp(learner_id)
        if stamp is None:
            return False
        ResidentDevice.delete().where(ResidentDevice.last_seen < now - lifetime).execute()
        ResidentDevice.create(token_hash=token_hash, learner=learner_id, stamp=stamp, created_at=now, last_seen=now)
        return True


def device_learner(token_hash: str, lifetime: timedelta, now: datetime | None = None, *,
                   touch: bool = True) -> LearnerInfo | None:
    """The learner whose phone this is, if it was used within ``lifetime`` and her secrets have not changed
    since (its last use is then now, unless ``touch`` is False); a stale one is forgotten. One query: every run
    of a resident's page asks it."""
    now = now or utcnow()
    with database.connection_context():
        row = (ResidentDevice.select(ResidentDevice, Learner).join(Learner)
               .where(ResidentDevice.token_hash == token_hash).first())
        if row is None:  # forgotten, or her row is gone (its phones go with it)
            return None
        learner = row.learner
        if now - row.last_seen > lifetime or _stamp_of(tuple(getattr(learner, f.name) for f in SECRETS)) != row.stamp:
            row.delete_instance()
            return None
        if touch:
            ResidentDevice.update(last_seen=now).where(ResidentDevice.id == row.id).execute()
        return learner_info(learner)


def close_device(token_hash: str) -> None:
    """Forget one phone (its resident signed out on it)."""
    with database.connection_context():
        ResidentDevice.delete().where(ResidentDevice.token_hash == token_hash).execute()

