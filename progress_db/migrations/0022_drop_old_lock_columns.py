"""The lock-out counters of the first edition, unused since one policy counts every secret's tries
(``learn.services.lockout``, in its own table since 0013): a village's join-code counters, a resident's PIN
counters and an account's password counters."""

from __future__ import annotations

from peewee import Database
from playhouse.migrate import SchemaMigrator, migrate

OLD = {"village": ("join_failures", "join_locked_until", "join_window_start"),
       "learner": ("pin_failures", "pin_locked_until"),
       "account": ("failed_logins", "locked_until")}


def up(db: Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    migrate(*(migrator.drop_column(table, column) for table, columns in OLD.items() for column in columns))
