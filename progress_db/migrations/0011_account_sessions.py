"""Signed-in trainers and staff survive a page reload: a random token in a cookie, its hash kept here."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, ForeignKeyField, Model


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db

    class Account(Base):
        class Meta:
            table_name = "account"

    class AccountSession(Base):
        token_hash = CharField(unique=True)
        account = ForeignKeyField(Account, on_delete="CASCADE")
        created_at = DateTimeField()
        last_seen = DateTimeField()

        class Meta:
            table_name = "account_session"

    db.create_tables([AccountSession])
