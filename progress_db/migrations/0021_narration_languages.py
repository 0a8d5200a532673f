"""Narration languages (issue 20): a commune adds the languages its tech team records in (Mường, Thái, Dao…),
and a resident may choose to hear one (``learner.listen_language``, a code of her commune's languages; none:
Vietnamese)."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, ForeignKeyField, Model
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db

    class Commune(Base):
        class Meta:
            table_name = "commune"

    class NarrationLanguage(Base):
        uid = CharField(unique=True)
        commune = ForeignKeyField(Commune, on_delete="CASCADE")
        code = CharField()
        name = CharField()
        created_at = DateTimeField()

        class Meta:
            table_name = "narration_language"
            indexes = ((("commune", "code"), True),)

    db.create_tables([NarrationLanguage])
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column("learner", "listen_language", CharField(null=True)))
