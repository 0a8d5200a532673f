"""Pictures for people who cannot read names (issue 16): each resident and each village gets a drawing (residents
already there get one here, different from the others in their village where there are enough; villages, different
within their commune); a resident may sign in with a picture password (its salted hash) instead of a PIN; and a
trainer's reset of either can leave her to choose a new one herself (``secret_reset_at``)."""

from __future__ import annotations

from peewee import CharField, Database, DateTimeField, ForeignKeyField, Model
from playhouse.migrate import SchemaMigrator, migrate

#: the drawings of this release, in the order they are handed out (frozen here: a later release may add some)
PICTURES = (
    "buffalo", "pig", "chicken", "dog", "cat", "fish", "banana", "rice", "corn", "mango", "chili", "coconut",
    "bicycle", "motorbike", "boat", "house", "tree", "sun", "moon", "flower", "conical_hat", "umbrella",
    "teapot", "kite",
)


def up(db: Database) -> None:
    migrator = SchemaMigrator.from_database(db)
    migrate(migrator.add_column("learner", "picture", CharField(null=True)),
            migrator.add_column("learner", "picture_password_hash", CharField(null=True)),
            migrator.add_column("learner", "secret_reset_at", DateTimeField(null=True)),
            migrator.add_column("village", "picture", CharField(null=True)))

    class Base(Model):
        class Meta:
            database = db

    class Commune(Base):
        class Meta:
            table_name = "commune"

    class Village(Base):
        commune = ForeignKeyField(Commune)
        picture = CharField(null=True)

        class Meta:
            table_name = "village"

    class Learner(Base):
        village = ForeignKeyField(Village)
        picture = CharField(null=True)

        class Meta:
            table_name = "learner"

    def hand_out(rows: list[tuple[int, int]], model: type[Base]) -> None:
        """Give each row of each group (``(row id, group id)``, in id order) the next picture of the list."""
        given: dict[int, int] = {}
        by_picture: dict[str, list[int]] = {}
        for row_id, group in rows:
            n = given.get(group, 0)
            given[group] = n + 1
            by_picture.setdefault(PICTURES[n % len(PICTURES)], []).append(row_id)
        for picture, ids in by_picture.items():  # one statement per picture, whatever the number of rows
            for start in range(0, len(ids), 500):
                model.update(picture=picture).where(model.id.in_(ids[start:start + 500])).execute()

    villages: list[tuple[int, int]] = list(Village.select(Village.id, Village.commune).order_by(Village.id)
                                           .tuples())  # type: ignore[arg-type]
    learners: list[tuple[int, int]] = list(Learner.select(Learner.id, Learner.village).order_by(Learner.id)
                                           .tuples())  # type: ignore[arg-type]
    hand_out(villages, Village)
    hand_out(learners, Learner)
