"""Trainers', staff members' and admins' accounts, their password hashes and the browsers they are signed in
on. Every function opens its own connection (from the pool) and returns plain data."""

from __future__ import annotations

from datetime import datetime, timedelta

from peewee import JOIN

from progress_db.db import database
from progress_db.models import (
    Account,
    AccountSession,
    Commune,
    utcnow,
)
from progress_db.records import (
    AccountInfo,
    Credentials,
    Role,
    as_role,
)


def _account_info(row: Account) -> AccountInfo:
    commune = Commune.get_or_none(Commune.id == row.commune_id) if row.commune_id else None
    return AccountInfo(row.id, row.username, row.display_name, as_role(row.role), row.commune_id,
                       commune.name if commune else None, row.deactivated_at is None)


def open_account_session(token_hash: str, account_id: int) -> None:
    with database.connection_context():
        AccountSession.create(token_hash=token_hash, account=account_id)


def account_session(token_hash: str, idle: timedelta, now: datetime | None = None, *,
                    touch: bool = True) -> int | None:
    """The account signed in with this token, if it was used within ``idle`` (its last use is then now, unless
    ``touch`` is False: a look that is not a use)."""
    now = now or utcnow()
    with database.connection_context():
        row = AccountSession.get_or_none(AccountSession.token_hash == token_hash)
        if row is None:
            return None
        if now - row.last_seen > idle:
            row.delete_instance()
            return None
        if touch:
            AccountSession.update(last_seen=now).where(AccountSession.id == row.id).execute()
        return row.account_id


def close_account_session(token_hash: str) -> None:
    with database.connection_context():
        AccountSession.delete().where(AccountSession.token_hash == token_hash).execute()


def set_password(account_id: int, password_hash: str) -> None:
    """A new password for an account; a lock from wrong tries is lifted."""
    with database.connection_context():
        Account.update(password_hash=password_hash).where(
            Account.id == account_id).execute()
        # a new password signs out every browser signed in with the old one
        AccountSession.delete().where(AccountSession.account == account_id).execute()


def commune_accounts(commune_id: int) -> list[AccountInfo]:
    """The trainer and staff accounts of a commune, by username."""
    with database.connection_context():
        rows = (Account.select(Account, Commune).join(Commune, JOIN.LEFT_OUTER)
                .where(Account.commune == commune_id).order_by(Account.username))
        return [_account_info(r) for r in rows]


def add_account(username: str, name: str, password_hash: str, role: Role, commune_id: int | None) -> AccountInfo:
    """Create an account (the username must be free)."""
    with database.connection_context():
        row = Account.create(username=username, display_name=name, password_hash=password_hash, role=role,
                             commune=commune_id)
        return _account_info(row)


def account_exists(username: str) -> bool:
    """Whether the username is taken."""
    with database.connection_context():
        return Account.select().where(Account.username == username).exists()


def credentials(username: str) -> Credentials | None:
    """The account and its password hash, for signing in."""
    with database.connection_context():
        row = Account.get_or_none(Account.username == username)
        return Credentials(_account_info(row), row.password_hash) if row else None


def get_account(account_id: int) -> AccountInfo | None:
    """One account, or None."""
    with database.connection_context():
        row = Account.get_or_none(Account.id == account_id)
        return _account_info(row) if row else None
