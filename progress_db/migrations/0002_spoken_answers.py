"""Keep what the recogniser heard with each spoken answer: the transcript and its confidence."""

from __future__ import annotations

from peewee import Database, FloatField, TextField
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("attempt", "transcript", TextField(null=True)),
        migrator.add_column("attempt", "confidence", FloatField(null=True)),
    )
