"""Join codes: on a server reachable from the internet, a village's roster of names opens only with its code."""

from __future__ import annotations

import secrets

from peewee import CharField, Database, DateTimeField, IntegerField
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column("village", "join_code", CharField(null=True)),
            migrator.add_column("village", "join_failures", IntegerField(default=0)),
            migrator.add_column("village", "join_locked_until", DateTimeField(null=True)),
            migrator.add_column("village", "join_window_start", DateTimeField(null=True)))
    for (row_id,) in db.execute_sql("SELECT id FROM village").fetchall():
        code = f"{secrets.randbelow(1_000_000):06d}"
        db.execute_sql(f"UPDATE village SET join_code = {db.param} WHERE id = {db.param}", (code, row_id))
    migrate(migrator.add_not_null("village", "join_code"))
