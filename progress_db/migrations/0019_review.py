"""Spaced review ("Ôn lại", issue 18): the questions that come back to each resident on a Leitner schedule
(``review_item``), and the answers given in review (``review_answer``), kept apart from lesson answers so that
lesson progress and the reports of first answers never count them."""

from __future__ import annotations

from peewee import BooleanField, CharField, Database, DateTimeField, ForeignKeyField, IntegerField, Model


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db

    class Learner(Base):
        class Meta:
            table_name = "learner"

    class ReviewItem(Base):
        uid = CharField(unique=True)
        learner = ForeignKeyField(Learner, on_delete="CASCADE")
        lesson_id = CharField()
        question_id = CharField()
        reason = CharField()
        box = IntegerField()
        due_at = DateTimeField(index=True)
        since = DateTimeField()
        updated_at = DateTimeField()
        retired_at = DateTimeField(null=True)

        class Meta:
            table_name = "review_item"
            indexes = ((("learner", "lesson_id", "question_id"), True),)

    class ReviewAnswer(Base):
        uid = CharField(unique=True)
        learner = ForeignKeyField(Learner, on_delete="CASCADE")
        lesson_id = CharField()
        question_id = CharField()
        option_index = IntegerField()
        correct = BooleanField()
        mode = CharField()
        box = IntegerField()
        round = CharField(index=True)
        answered_at = DateTimeField(index=True)

        class Meta:
            table_name = "review_answer"

    db.create_tables([ReviewItem, ReviewAnswer])
