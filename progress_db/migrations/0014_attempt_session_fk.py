"""An answer's group session becomes a real foreign key with an index (issue 15): every projector tap read the
session's answers by scanning the whole answers table. A session id that no longer exists becomes NULL (the
answer stays, given outside any session), and deleting a session later leaves its answers with no session."""

from __future__ import annotations

from peewee import (
    BooleanField,
    CharField,
    Database,
    DateTimeField,
    FloatField,
    ForeignKeyField,
    IntegerField,
    Model,
    SqliteDatabase,
    TextField,
)
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    db.execute_sql("UPDATE attempt SET session_id = NULL WHERE session_id IS NOT NULL AND NOT EXISTS"
                   " (SELECT 1 FROM group_session WHERE group_session.id = attempt.session_id)")
    if not isinstance(db, SqliteDatabase):
        migrator = SchemaMigrator.from_database(db)
        migrate(migrator.add_foreign_key_constraint("attempt", "session_id", "group_session", "id",
                                                    on_delete="SET NULL",
                                                    constraint_name="attempt_session_id_fkey"),  # as CREATE TABLE
                migrator.add_index("attempt", ("session_id",), False))
        return

    # SQLite cannot add a constraint to a table: build the table anew and copy the answers (the way SQLite's
    # documentation gives: progress_db.migrations runs this with foreign keys off, and checks them after).
    class Base(Model):
        class Meta:
            database = db

    class Learner(Base):
        class Meta:
            table_name = "learner"

    class GroupSession(Base):
        class Meta:
            table_name = "group_session"

    class Attempt(Base):
        uid = CharField(unique=True)
        learner = ForeignKeyField(Learner, on_delete="CASCADE")
        lesson_id = CharField()
        question_id = CharField()
        option_index = IntegerField()
        correct = BooleanField()
        mode = CharField()
        answered_at = DateTimeField()
        transcript = TextField(null=True)
        confidence = FloatField(null=True)
        run = IntegerField()
        session = ForeignKeyField(GroupSession, null=True, on_delete="SET NULL")
        assisted = BooleanField()

        class Meta:
            table_name = "attempt"
            indexes = ((("learner", "lesson_id", "question_id"), False),)

    columns = ", ".join(f'"{f.column_name}"' for f in Attempt._meta.sorted_fields)
    db.execute_sql('ALTER TABLE "attempt" RENAME TO "attempt_old"')
    # the old indexes keep their names (attempt_uid...) after the rename: drop them so the new ones can have them
    for (index,) in db.execute_sql("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'attempt_old'"
                                   " AND sql IS NOT NULL").fetchall():
        db.execute_sql(f'DROP INDEX "{index}"')
    Attempt._schema.create_table(safe=False)
    db.execute_sql(f'INSERT INTO "attempt" ({columns}) SELECT {columns} FROM "attempt_old"')
    db.execute_sql('DROP TABLE "attempt_old"')
    Attempt._schema.create_indexes(safe=False)  # after the copy: one sort per index instead of a million inserts
