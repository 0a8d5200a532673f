"""A resident stays signed in on her own phone across reloads and restarts of the server (issue 16): a random
token in the phone's cookie, its hash kept here with the resident and a stamp of her PIN (a new PIN ends it)."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, ForeignKeyField, Model


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db

    class Learner(Base):
        class Meta:
            table_name = "learner"

    class ResidentDevice(Base):
        token_hash = CharField(unique=True)
        learner = ForeignKeyField(Learner, on_delete="CASCADE")
        stamp = CharField()
        created_at = DateTimeField()
        last_seen = DateTimeField(index=True)

        class Meta:
            table_name = "resident_device"

    db.create_tables([ResidentDevice])
