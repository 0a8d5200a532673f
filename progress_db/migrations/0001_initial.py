"""Communes, villages, learners, lesson progress and answers."""

from __future__ import annotations

from peewee import BooleanField, CharField, Database, DateTimeField, ForeignKeyField, IntegerField, Model


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Commune(Base):
        name = CharField(unique=True)
        created_at = DateTimeField()

    class Village(Base):
        commune = ForeignKeyField(Commune, on_delete="CASCADE")
        name = CharField()
        created_at = DateTimeField()

        class Meta:
            indexes = ((("commune", "name"), True),)

    class Learner(Base):
        uid = CharField(unique=True)
        village = ForeignKeyField(Village, on_delete="CASCADE")
        display_name = CharField()
        name_key = CharField(index=True)
        birth_year = IntegerField(null=True)
        pin_hash = CharField(null=True)
        created_at = DateTimeField()

    class LessonProgress(Base):
        uid = CharField(unique=True)
        learner = ForeignKeyField(Learner, on_delete="CASCADE")
        lesson_id = CharField()
        position = IntegerField()
        screens = IntegerField()
        started_at = DateTimeField()
        updated_at = DateTimeField()
        completed_at = DateTimeField(null=True)

        class Meta:
            indexes = ((("learner", "lesson_id"), True),)

    class Attempt(Base):
        uid = CharField(unique=True)
        learner = ForeignKeyField(Learner, on_delete="CASCADE")
        lesson_id = CharField()
        question_id = CharField()
        option_index = IntegerField()
        correct = BooleanField()
        mode = CharField()
        answered_at = DateTimeField()

        class Meta:
            indexes = ((("learner", "lesson_id", "question_id"), False),)

    db.create_tables([Commune, Village, Learner, LessonProgress, Attempt])
