"""Fast inserts of many rows at once (synthetic communes for demos and benchmarks), on SQLite or PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice

from progress_db.db import database


def insert_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[object]], batch: int = 5000) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` inside the caller's transaction; returns how
    many. Times go in as the ISO text peewee itself writes."""
    from progress_db.sql import is_postgres

    postgres = is_postgres()
    marks = "%s" if postgres else f"({', '.join([database.param] * len(columns))})"
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {marks}"
    count = 0
    it = iter(rows)
    while chunk := [tuple(v.isoformat(sep=" ") if isinstance(v, datetime) else v for v in row)
                    for row in islice(it, batch)]:
        cursor = database.cursor()
        if postgres:  # many rows per statement: executemany would send them one by one
            from psycopg2.extras import execute_values

            execute_values(cursor, sql, chunk, page_size=1000)
        else:
            cursor.executemany(sql, chunk)
        count += len(chunk)
    return count


def ids_by_uid(table: str, uids: Sequence[str]) -> dict[str, int]:
    """The ids the database gave to rows with these uids."""
    found: dict[str, int] = {}
    for start in range(0, len(uids), 900):
        part = uids[start:start + 900]
        marks = ", ".join([database.param] * len(part))
        found.update(database.execute_sql(f"SELECT uid, id FROM {table} WHERE uid IN ({marks})", part).fetchall())
    return found
