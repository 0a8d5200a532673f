"""Tries at passwords counted per username and per client address, atomically, in their own table (issue 14):
the old count on the account row let concurrent guesses past the lock, and let anyone lock any trainer out."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, IntegerField, Model


def up(db: Database) -> None:
    class LoginAttempt(Model):
        scope = CharField()
        subject = CharField()
        client = CharField()
        tries = IntegerField(default=0)
        window_start = DateTimeField(index=True)
        trusted_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "login_attempt"
            indexes = ((("scope", "subject", "client"), True),)

    db.create_tables([LoginAttempt])
