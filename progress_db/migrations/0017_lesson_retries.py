"""Wrong answers come back at the end of a lesson (issue 16): an answer given to a question asked again is marked
as a retry (the first answer stays as it was given, and reports of first answers leave retries out), and a
learner's place in a lesson remembers which of the questions asked again she is on."""

from __future__ import annotations

from peewee import BooleanField, Database, IntegerField
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("attempt", "retry", BooleanField(default=False)),
        migrator.add_column("lesson_progress", "retry", IntegerField(null=True)),
    )
