"""Accounts of the village tech teams (trainers) and commune staff: login with a password, one commune each."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, ForeignKeyField, IntegerField, Model


def up(db: Database) -> None:
    class Commune(Model):
        class Meta:
            database = db
            table_name = "commune"

    class Account(Model):
        username = CharField(unique=True)
        display_name = CharField()
        password_hash = CharField()
        role = CharField()
        commune = ForeignKeyField(Commune, null=True, on_delete="CASCADE")
        failed_logins = IntegerField(default=0)
        locked_until = DateTimeField(null=True)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "account"

    db.create_tables([Account])
