"""Group sessions a trainer runs in the cultural house: who came, where the projector is, answers given with help."""

from __future__ import annotations

from peewee import BooleanField, CharField, Database, DateTimeField, ForeignKeyField, IntegerField, Model
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db

    class Account(Base):
        class Meta:
            table_name = "account"

    class Village(Base):
        class Meta:
            table_name = "village"

    class Learner(Base):
        class Meta:
            table_name = "learner"

    class GroupSession(Base):
        uid = CharField(unique=True)
        account = ForeignKeyField(Account, null=True, on_delete="SET NULL")
        village = ForeignKeyField(Village, on_delete="CASCADE")
        lesson_id = CharField()
        position = IntegerField(default=0)
        started_at = DateTimeField()
        finished_at = DateTimeField(null=True)

        class Meta:
            table_name = "group_session"

    class Attendance(Base):
        session = ForeignKeyField(GroupSession, on_delete="CASCADE")
        learner = ForeignKeyField(Learner, on_delete="CASCADE")

        class Meta:
            table_name = "attendance"
            indexes = ((("session", "learner"), True),)

    db.create_tables([GroupSession, Attendance])
    migrator = SchemaMigrator.from_database(db)
    migrate(
        migrator.add_column("attempt", "session_id", IntegerField(null=True)),
        migrator.add_column("attempt", "assisted", BooleanField(default=False)),
    )
