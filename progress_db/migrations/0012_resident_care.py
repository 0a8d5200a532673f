"""Caring for the roster: residents who moved away or asked to be deleted (kept out of lists, their counts kept),
trainer accounts that staff switched off, and a log of who changed what about a person, and when."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, ForeignKeyField, Model, TextField
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db

    class Learner(Base):
        class Meta:
            table_name = "learner"

    class Account(Base):
        class Meta:
            table_name = "account"

    class CareLog(Base):
        at = DateTimeField(index=True)
        account = ForeignKeyField(Account, null=True, on_delete="SET NULL")
        learner = ForeignKeyField(Learner, null=True, on_delete="CASCADE")
        target_account = ForeignKeyField(Account, null=True, on_delete="CASCADE", column_name="target_account_id")
        action = CharField()
        detail = TextField(default="")

        class Meta:
            table_name = "care_log"

    db.create_tables([CareLog])
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column("learner", "left_at", DateTimeField(null=True)),
            migrator.add_column("learner", "left_reason", CharField(null=True)),
            migrator.add_column("account", "deactivated_at", DateTimeField(null=True)))
