"""Offline sync: global ids for communes, villages and utterances, a learner's last change, the sync log and this
database's own id."""

from __future__ import annotations

import uuid

from peewee import CharField, Database, DateTimeField, IntegerField, Model, TextField
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db

    class SyncLog(Base):
        direction = CharField()  # "export" or "import"
        bundle = CharField(index=True)
        origin = CharField()
        since = DateTimeField(null=True)
        until = DateTimeField()
        records = IntegerField()
        summary = TextField()
        at = DateTimeField()

        class Meta:
            table_name = "sync_log"

    class LocalSetting(Base):
        key = CharField(primary_key=True)
        value = TextField()

        class Meta:
            table_name = "local_setting"

    db.create_tables([SyncLog, LocalSetting])
    migrator = SchemaMigrator.from_database(db)
    for table in ("commune", "village", "utterance"):
        migrate(migrator.add_column(table, "uid", CharField(null=True)))
        for (row_id,) in db.execute_sql(f"SELECT id FROM {table}").fetchall():
            db.execute_sql(f"UPDATE {table} SET uid = {db.param} WHERE id = {db.param}", (uuid.uuid4().hex, row_id))
        migrate(migrator.add_not_null(table, "uid"), migrator.add_index(table, ("uid",), True))
    migrate(migrator.add_column("learner", "updated_at", DateTimeField(null=True)))
    db.execute_sql("UPDATE learner SET updated_at = created_at")
    migrate(migrator.add_not_null("learner", "updated_at"))
