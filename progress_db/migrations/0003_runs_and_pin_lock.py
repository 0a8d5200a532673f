"""Number each run through a lesson (answers belong to a run, not to a clock time), and lock a PIN after
repeated wrong guesses (kept per learner, so a new browser session does not reset it)."""

from __future__ import annotations

from peewee import Database, DateTimeField, IntegerField
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("lesson_progress", "run", IntegerField(default=0)),
        migrator.add_column("attempt", "run", IntegerField(default=0)),
        migrator.add_column("learner", "pin_failures", IntegerField(default=0)),
        migrator.add_column("learner", "pin_locked_until", DateTimeField(null=True)),
    )
