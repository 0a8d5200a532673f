"""Numbered schema migrations. Each module ``NNNN_name.py`` has ``up(db)``; applied ones are recorded.

A migration must never import the live models: it freezes the schema of its own time, so an old database
upgrades the same way whatever the current code looks like.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType

from peewee import CharField, Database, DateTimeField, IntegerField, IntegrityError, Model, SqliteDatabase

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.py$")


class SchemaVersion(Model):
    """One row per migration applied (the migrations' own table: like every migration, this never uses the live
    models, so the models may depend on the database module and nothing here depends on them)."""

    version = IntegerField(primary_key=True)
    name = CharField()
    applied_at = DateTimeField(default=lambda: datetime.now(UTC).replace(tzinfo=None))

    class Meta:
        table_name = "schema_version"


@dataclass(frozen=True)
class Migration:
    """A migration file: its number, name and module."""

    version: int
    name: str
    module: ModuleType


def available() -> list[Migration]:
    """Every migration in this package, in order."""
    found = []
    for path in sorted(Path(__file__).parent.glob("[0-9]*.py")):
        match = _NAME.match(path.name)
        if match:
            module = importlib.import_module(f"{__name__}.{path.stem}")
            found.append(Migration(int(match[1]), match[2], module))
    return found


def applied(db: Database) -> set[int]:
    """Versions already applied to ``db``."""
    with db.bind_ctx([SchemaVersion]), db.connection_context():
        if not SchemaVersion.table_exists():
            return set()
        return {row.version for row in SchemaVersion.select(SchemaVersion.version)}


def migrate(db: Database) -> list[Migration]:
    """Apply every pending migration, each in its own transaction; return what was applied.

    On SQLite, foreign keys are off while migrating: changing a column rebuilds its table (copy, drop, rename),
    and dropping ``learner`` with foreign keys on would cascade and delete every answer. The keys are checked
    before they are turned back on.
    """
    done = applied(db)
    ran = []
    sqlite = isinstance(db, SqliteDatabase)
    with db.bind_ctx([SchemaVersion]), db.connection_context():
        if sqlite:
            db.execute_sql("PRAGMA foreign_keys = OFF")
        try:
            db.create_tables([SchemaVersion], safe=True)
            for migration in available():
                if migration.version in done:
                    continue
                with db.atomic():
                    migration.module.up(db)
                    if sqlite and db.execute_sql("PRAGMA foreign_key_check").fetchone() is not None:
                        raise IntegrityError(f"migration {migration.version:04d} broke a foreign key")
                    SchemaVersion.create(version=migration.version, name=migration.name)
                ran.append(migration)
        finally:
            if sqlite:
                db.execute_sql("PRAGMA foreign_keys = ON")
    return ran
