"""Recorded narration (issue 20): the tech team's own voice for a lesson's lines, kept per commune, text, speed
and language, with who recorded and who approved it."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, FloatField, ForeignKeyField, IntegerField, Model, TextField


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db

    class Commune(Base):
        class Meta:
            table_name = "commune"

    class Account(Base):
        class Meta:
            table_name = "account"

    class Recording(Base):
        uid = CharField(unique=True)
        commune = ForeignKeyField(Commune, on_delete="CASCADE")
        text = TextField()
        text_hash = CharField()
        speed = CharField()
        language = CharField()
        lesson_id = CharField()
        audio = CharField()
        seconds = FloatField()
        size = IntegerField()
        recorded_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
        recorded_at = DateTimeField()
        approved_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
        approved_at = DateTimeField(null=True)

        class Meta:
            table_name = "recording"
            indexes = ((("commune", "text_hash", "speed", "language"), True),)

    db.create_tables([Recording])
