"""Counting tries at a secret (see ``learn.services.lockout`` for the policy). Each count is one statement,
``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``, atomic on SQLite (3.35+) and PostgreSQL alike: every try gets
its own number, however many arrive at once, so no two tries can both see "4 so far"."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from peewee import Case

from progress_db.db import database
from progress_db.models import LoginAttempt

#: the ``client`` of the row that counts every client's tries together
ALL_CLIENTS = "*"


@dataclass(frozen=True)
class Count:
    """A counter just after one more try: tries in its window (this one included), when the window began
    (it restarts at the try that reaches the limit, so the wait is counted from there), and when the client
    last got in with the right secret."""

    tries: int
    window_start: datetime
    trusted_at: datetime | None


def count_try(scope: str, subject: str, client: str, now: datetime, period: timedelta, limit: int) -> Count:
    """Add one try to a counter and return it; a window older than ``period`` starts again at this try."""
    row = LoginAttempt
    stale = row.window_start <= now - period
    query = (row.insert(scope=scope, subject=subject, client=client, tries=1, window_start=now)
             .on_conflict(conflict_target=[row.scope, row.subject, row.client],
                          update={row.tries: Case(None, [(stale, 1)], row.tries + 1),
                                  row.window_start: Case(None, [(stale, now), (row.tries + 1 == limit, now)],
                                                         row.window_start)})
             .returning(row.tries, row.window_start, row.trusted_at))
    with database.connection_context():
        tries, start, trusted = list(query.tuples().execute())[0]
    return Count(tries, start, trusted)


def trust(scope: str, subject: str, client: str, now: datetime) -> None:
    """The client got in: its count goes back to zero, and it is remembered as one that knows the secret."""
    row = LoginAttempt
    with database.connection_context():
        (row.insert(scope=scope, subject=subject, client=client, tries=0, window_start=now, trusted_at=now)
         .on_conflict(conflict_target=[row.scope, row.subject, row.client],
                      update={row.tries: 0, row.trusted_at: now})
         .execute())


def uncount(scope: str, subject: str, client: str) -> None:
    """Take back one counted try (it was the right secret, not a guess)."""
    row = LoginAttempt
    with database.connection_context():
        (row.update(tries=row.tries - 1)
         .where((row.scope == scope) & (row.subject == subject) & (row.client == client) & (row.tries > 0))
         .execute())


def forget(scope: str, subject: str) -> None:
    """Drop every count for ``subject`` (its secret was changed)."""
    with database.connection_context():
        LoginAttempt.delete().where((LoginAttempt.scope == scope) & (LoginAttempt.subject == subject)).execute()


def prune(scope: str, window_before: datetime, trusted_before: datetime) -> int:
    """Delete the counters whose window ended before ``window_before`` and that hold no trust newer than
    ``trusted_before`` (they no longer change anything); return how many."""
    row = LoginAttempt
    with database.connection_context():
        return (row.delete()
                .where((row.scope == scope) & (row.window_start < window_before)
                       & (row.trusted_at.is_null() | (row.trusted_at < trusted_before)))
                .execute())


def tries(scope: str, subject: str) -> dict[str, int]:
    """Tries stored for ``subject``, by client (``ALL_CLIENTS`` for all together); a window that has ended keeps
    its count until the next try or the next clean-up."""
    with database.connection_context():
        query = (LoginAttempt.select(LoginAttempt.client, LoginAttempt.tries)
                 .where((LoginAttempt.scope == scope) & (LoginAttempt.subject == subject)))
        return {row.client: row.tries for row in query}
