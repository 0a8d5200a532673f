"""Raw SQL that runs the same on SQLite and PostgreSQL: named parameters and the few spellings that differ."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from peewee import PostgresqlDatabase

from progress_db.db import database


def is_postgres() -> bool:
    """Whether the bound database is PostgreSQL."""
    return isinstance(database.obj, PostgresqlDatabase)


class Params:
    """Collects named parameters while a statement is written, so their order never matters:
    ``f"... WHERE v.commune_id = {q(7)}"``; then ``database.execute_sql(sql, q.values)``."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}
        self._postgres = is_postgres()

    def __call__(self, value: object) -> str:
        name = f"p{len(self.values)}"
        # SQLite keeps times as ISO text (what peewee writes); PostgreSQL casts the same text to a timestamp
        self.values[name] = value.isoformat(sep=" ") if isinstance(value, datetime) else value
        return f"%({name})s" if self._postgres else f":{name}"

    def many(self, values: Iterable[object]) -> str:
        """A list for ``IN (...)``; an empty list matches nothing."""
        names = [self(v) for v in values]
        return ", ".join(names) if names else "NULL"


def month_of(column: str, hours: int) -> str:
    """``YYYY-MM`` of a UTC time column, in a time zone ``hours`` east of UTC (Vietnam: 7)."""
    if is_postgres():
        return f"to_char({column} + interval '{int(hours)} hours', 'YYYY-MM')"
    return f"strftime('%Y-%m', {column}, '{int(hours):+d} hours')"


def as_datetime(value: object) -> datetime | None:
    """A time column's value as a datetime (SQLite gives text)."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))
