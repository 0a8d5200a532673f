"""Everything the recogniser heard, understood or not, so trainers and content authors can see it."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, FloatField, ForeignKeyField, IntegerField, Model, TextField


def up(db: Database) -> None:
    class Learner(Model):
        class Meta:
            database = db
            table_name = "learner"

    class Utterance(Model):
        learner = ForeignKeyField(Learner, on_delete="CASCADE")
        lesson_id = CharField()
        question_id = CharField(null=True)
        position = IntegerField()
        transcript = TextField()
        confidence = FloatField(null=True)
        outcome = CharField()
        seconds = FloatField()
        heard_at = DateTimeField()

        class Meta:
            database = db
            table_name = "utterance"
            indexes = ((("lesson_id", "question_id"), False),)

    db.create_tables([Utterance])
