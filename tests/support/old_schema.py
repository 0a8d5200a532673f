"""A database as an older release left it: the schema of migrations 0001..N only, recorded as applied, so that
``progress_db.migrations.migrate`` afterwards runs just the newer ones (the upgrade tests, and the benchmark of
migration 0014 on a million answers)."""

from __future__ import annotations

from peewee import Database, SqliteDatabase

from progress_db.migrations import SchemaVersion, available


def build_at(db: Database, version: int) -> None:
    """Give the empty database ``db`` the schema of migrations 0001..``version``, recorded in schema_version."""
    sqlite = isinstance(db, SqliteDatabase)
    with db.bind_ctx([SchemaVersion]), db.connection_context():
        if sqlite:  # as progress_db.migrations.migrate runs them
            db.execute_sql("PRAGMA foreign_keys = OFF")
        try:
            db.create_tables([SchemaVersion])
            for migration in available():
                if migration.version <= version:
                    with db.atomic():
                        migration.module.up(db)
                        SchemaVersion.create(version=migration.version, name=migration.name)
        finally:
            if sqlite:
                db.execute_sql("PRAGMA foreign_keys = ON")
