"""Accounts of trainers and commune staff: creating them, signing in, and what each role may do.

Roles are enforced here, in the service layer, not only by hiding pages: every trainer or staff use case
takes the signed-in account and calls ``require``.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from learn import secrets as hashing
from learn.errors import Forbidden, InvalidInput, LoginFailed, NotFound
from learn.secrets import hash_secret, secret_matches
from learn.services import lockout
from learn.text import nfc, squash
from progress_db import community, logins
from progress_db.models import utcnow
from progress_db.records import ROLES, AccountInfo, Role, as_role

MIN_PASSWORD = 8
MAX_LOGIN_TRIES = lockout.PASSWORDS.per_client  # from one client address, for one username
LOGIN_LOCK = lockout.PASSWORDS.period
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,31}$")


#: a signed-in trainer or staff member is signed out after this long without using the app
SESSION_IDLE = timedelta(hours=2)


def check_new_account(username: str, role: str, commune: str | None) -> tuple[str, int | None]:
    """The cleaned username and the commune's id for a new account; InvalidInput (English text, a message key)
    says what is wrong. The CLI calls it before asking for the password."""
    username = username.strip().lower()
    if not _USERNAME.match(username):
        raise InvalidInput("username: 3 to 32 characters, lowercase letters, digits, '.', '_' or '-'",
                           key="account.username_invalid")
    if logins.account_exists(username):
        raise InvalidInput(f"username {username!r} is already taken", key="account.username_taken")
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", key="account.role_invalid")
    if role == "admin":
        return username, None
    if not commune:
        raise InvalidInput(f"a {role} works for one commune: give --commune", key="account.commune_needed")
    commune_id = community.find_commune(squash(commune))
    if commune_id is None:
        raise InvalidInput(f"no commune named {commune!r}", key="account.commune_unknown", commune=squash(commune))
    return username, commune_id


def check_password(password: str) -> None:
    """InvalidInput unless ``password`` is long enough for an account."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password: at least {MIN_PASSWORD} characters", key="account.password_short",
                           minimum=MIN_PASSWORD)


def create_account(username: str, name: str, password: str, role: str, commune: str | None) -> AccountInfo:
    """Create a trainer, staff or admin account; InvalidInput says what is wrong (English, for the CLI)."""
    username, commune_id = check_new_account(username, role, commune)
    check_password(password)
    return logins.add_account(username, squash(name) or username, hash_secret(password), as_role(role), commune_id)


def create_trainer(who: AccountInfo, username: str, name: str, password: str,
                   commune_id: int | None = None) -> AccountInfo:
    """Commune staff add a trainer account for their own commune (an admin, for the commune given)."""
    commune_id = who.commune_id if commune_id is None else commune_id
    require(who, "staff", commune_id=commune_id)
    return create_account(username, name, password, "trainer", community.commune_name(commune_id)
                          if commune_id is not None else None)


def reset_password(who: AccountInfo, account_id: int, password: str) -> AccountInfo:
    """Commune staff give one of their commune's trainers a new password (a forgotten one); an admin, anyone's.
    Staff cannot reset another staff member's or an admin's password."""
    target = account(account_id)
    require(who, "staff", commune_id=target.commune_id)
    if who.role != "admin" and target.role != "trainer":
        raise Forbidden(f"{who.username} cannot reset the password of {target.role} {target.username}")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password: at least {MIN_PASSWORD} characters", key="account.password_short",
                           minimum=MIN_PASSWORD)
    logins.set_password(account_id, hash_secret(password))
    lockout.forget(lockout.PASSWORDS, target.username)  # a new password lifts every lock on the account
    return target


def login(username: str, password: str, now: datetime | None = None, *, client: str | None = None) -> AccountInfo:
    """The account, if the password is right; LoginFailed otherwise. ``client`` is the network address the try
    came from (None: unknown, one shared client). Tries are limited by ``lockout.PASSWORDS``: 5 per username
    and address, 50 per username from all addresses, per 15 minutes; an unknown username is counted, answered
    and timed exactly like a real one."""
    name = nfc(username).strip().lower()
    now = now or utcnow()
    turn = lockout.begin(lockout.PASSWORDS, name, client, now)
    if not turn.allowed:  # over the limit: the password is not checked at all
        raise LoginFailed("locked", key="account.locked", minutes=turn.minutes)
    found = logins.credentials(name)
    # an unknown username costs the same one scrypt as a real one (against a hash that matches nothing)
    right = secret_matches(password, found.password_hash if found is not None
                           else hashing.NO_SECRET)
    if found is None or not right:
        if turn.last:
            raise LoginFailed("locked", key="account.locked", minutes=turn.minutes)
        raise LoginFailed("wrong username or password")
    lockout.succeeded(lockout.PASSWORDS, name, client, now)
    if not found.account.active:  # said only to someone who knows the password
        raise LoginFailed("switched off", key="account.switched_off")
    return found.account


def remember_browser(who: AccountInfo) -> str:
    """A token for this browser's cookie, so a reload keeps ``who`` signed in (until SESSION_IDLE unused)."""
    token = secrets.token_urlsafe(32)
    logins.open_account_session(_token_hash(token), who.id)
    return token


def browser_account(token: str | None, now: datetime | None = None, *, touch: bool = True) -> AccountInfo | None:
    """The account this browser's cookie token belongs to, if used within SESSION_IDLE; None otherwise.
    ``touch`` False checks without counting as a use (a projector left on must not keep the laptop signed in)."""
    if not isinstance(token, str) or not token or len(token) > 100:
        return None
    account_id = logins.account_session(_token_hash(token), SESSION_IDLE, now, touch=touch)
    found = logins.get_account(account_id) if account_id is not None else None
    return found if found is not None and found.active else None


def forget_browser(token: str | None) -> None:
    """Sign this browser out (the token stops working)."""
    if token:
        logins.close_account_session(_token_hash(token))


def _token_hash(token: str) -> str:
    # stored hashed: a copy of the database does not sign anyone in
    return hashlib.sha256(token.encode()).hexdigest()


def account(account_id: int) -> AccountInfo:
    """A signed-in account, still there; NotFound otherwise."""
    found = logins.get_account(account_id)
    if found is None:
        raise NotFound(f"account {account_id}", key="account.gone")
    return found


def require(who: AccountInfo, *roles: Role, commune_id: int | None = None) -> None:
    """Forbidden unless ``who`` has one of ``roles`` and (admins aside) works for ``commune_id``; an account
    switched off by its commune's staff may do nothing."""
    if not who.active:
        raise Forbidden(f"{who.username} is switched off")
    if who.role not in roles and who.role != "admin":
        raise Forbidden(f"{who.username} is a {who.role}")
    if commune_id is not None and who.role != "admin" and who.commune_id != commune_id:
        raise Forbidden(f"{who.username} does not work for commune {commune_id}")
