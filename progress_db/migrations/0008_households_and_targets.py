"""Households (for "each household has a digitally skilled member") and each commune's target values."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, FloatField, ForeignKeyField, Model
from playhouse.migrate import SchemaMigrator, migrate


def up(db: Database) -> None:
    class Base(Model):
        class Meta:
            database = db

    class Commune(Base):
        class Meta:
            table_name = "commune"

    class CommuneTarget(Base):
        commune = ForeignKeyField(Commune, on_delete="CASCADE")
        indicator = CharField()
        target = FloatField()
        updated_at = DateTimeField()

        class Meta:
            table_name = "commune_target"
            indexes = ((("commune", "indicator"), True),)

    db.create_tables([CommuneTarget])
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column("learner", "household", CharField(null=True)))
