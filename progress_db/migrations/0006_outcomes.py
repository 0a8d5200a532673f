"""Real-world outcomes a trainer ticks for a resident (has a smartphone, VNeID level 2, a payment account, paid a
bill without cash): the commune's digital-society indicators count them."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, ForeignKeyField, Model


def up(db: Database) -> None:
    class Learner(Model):
        class Meta:
            database = db
            table_name = "learner"

    class Account(Model):
        class Meta:
            database = db
            table_name = "account"

    class Outcome(Model):
        learner = ForeignKeyField(Learner, on_delete="CASCADE")
        kind = CharField()
        ticked_by = ForeignKeyField(Account, null=True, on_delete="SET NULL")
        ticked_at = DateTimeField()

        class Meta:
            database = db
            table_name = "outcome"
            indexes = ((("learner", "kind"), True),)

    db.create_tables([Outcome])
