"""Practice on a pretend phone (issue 18): a practice screen's outcome is stored as an answer (``attempt``, its id
``practice/screen``); what is new is the place inside a practice: the pretend screen last tapped wrong and its
wrong taps, for a resident (``lesson_progress``) and for a group session the trainer taps for (``group_session``)."""

from __future__ import annotations

from peewee import CharField, Database, IntegerField
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("lesson_progress", "practice_at", CharField(null=True)),
        migrator.add_column("lesson_progress", "practice_misses", IntegerField(null=True)),
        migrator.add_column("group_session", "practice_at", CharField(null=True)),
        migrator.add_column("group_session", "practice_misses", IntegerField(null=True)),
    )
