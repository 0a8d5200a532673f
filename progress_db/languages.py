"""Narration languages' storage (issue 20): the languages a commune's tech team records in, besides Vietnamese,
and which one a resident chose to hear. Every function opens its own connection and returns plain data; who may
add a language or choose for a resident is decided in the services."""

from __future__ import annotations

from dataclasses import dataclass

from peewee import IntegrityError

from progress_db.db import database
from progress_db.models import Learner, NarrationLanguage, Village, utcnow

#: the language every lesson is written in: never stored as a commune's narration language
VIETNAMESE = "vi"


@dataclass(frozen=True)
class LanguageInfo:
    """A commune's narration language: ``code`` (what recordings name) and ``name`` (said after "tiếng")."""

    id: int
    uid: str
    commune_id: int
    code: str
    name: str


def _info(row: NarrationLanguage) -> LanguageInfo:
    return LanguageInfo(row.id, row.uid, row.commune_id, row.code, row.name)


def of_commune(commune_id: int) -> list[LanguageInfo]:
    """The commune's narration languages, in the order they were added."""
    with database.connection_context():
        rows = NarrationLanguage.select().where(NarrationLanguage.commune == commune_id) \
            .order_by(NarrationLanguage.id)
        return [_info(r) for r in rows]


def ensure(commune_id: int, code: str, name: str, uid: str | None = None) -> tuple[LanguageInfo, bool]:
    """The commune's language ``code``, added with ``name`` (and ``uid``, when it comes from elsewhere) if it is
    not there yet; with whether it was added. An existing language keeps its name."""
    with database.atomic():
        found = NarrationLanguage.get_or_none((NarrationLanguage.commune == commune_id)
                                              & (NarrationLanguage.code == code))
        if found is not None:
            return _info(found), False
        try:
            with database.atomic():
                extra = {"uid": uid} if uid else {}
                row = NarrationLanguage.create(commune=commune_id, code=code, name=name, created_at=utcnow(),
                                               **extra)
        except IntegrityError:  # added at the same moment elsewhere, or the uid is another commune's
            found = NarrationLanguage.get_or_none((NarrationLanguage.commune == commune_id)
                                                  & (NarrationLanguage.code == code))
            if found is None:
                raise
            return _info(found), False
        return _info(row), True


def rename(language_id: int, name: str) -> None:
    """Give a language another name."""
    with database.atomic():
        NarrationLanguage.update(name=name).where(NarrationLanguage.id == language_id).execute()


def of_learner(learner_id: int) -> LanguageInfo | None:
    """The narration language the resident chose, when it is still one of her commune's (None: Vietnamese)."""
    with database.connection_context():
        row = (NarrationLanguage.select(NarrationLanguage)
               .join(Village, on=(NarrationLanguage.commune == Village.commune))
               .join(Learner, on=(Learner.village == Village.id))
               .where((Learner.id == learner_id) & (NarrationLanguage.code == Learner.listen_language))
               .first())
        return None if row is None else _info(row)


def choose(learner_id: int, code: str | None) -> None:
    """Record the resident's choice (None: Vietnamese); a change sync carries (``updated_at``)."""
    with database.atomic():
        Learner.update(listen_language=code, updated_at=utcnow()).where(Learner.id == learner_id).execute()
