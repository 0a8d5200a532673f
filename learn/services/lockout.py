"""One lock-out policy for secrets typed on a shared network: trainers' and staff's passwords today; residents'
PINs and villages' join codes can move onto it (a ``Policy`` with their own scope, and the learner's or village's
id as the subject).

How a try goes::

    turn = lockout.begin(POLICY, subject, client)      # counted first, atomically
    if not turn.allowed: refuse (turn.minutes)           # the secret is not even checked
    check the secret (always the same work: a hash)
    right -> lockout.succeeded(POLICY, subject, client)   # that client's count goes back to zero
    wrong -> "wrong", or "locked for turn.minutes" when turn.last

The reasoning (issue 14, items 3 and 7):

- **Counted before checking, in one statement.** Each try gets its number from an atomic
  ``INSERT ... ON CONFLICT DO UPDATE ... RETURNING`` (``progress_db.lockout``) before the secret is looked at, and
  only tries numbered within the limit are checked. A hundred guesses at once get the numbers 1 to 100, so five
  are checked, never 73 (the old count-after-checking let every guess that started before the lock through).
- **Per subject as typed, known or not.** The subject is what the person typed (normalised), counted whether or
  not an account has that name, so an unknown username answers the same messages after the same number of tries,
  in the same time, as a real one: the messages do not tell which names exist.
- **Per client: 5 tries per 15 minutes** for one subject from one network address. Then that address waits 15
  minutes (counted from its 5th try) for that subject; other addresses are not affected. So a neighbour on the
  village Wi-Fi who guesses at Chị Mai's username locks out only himself, not Chị Mai on her own phone. A right
  password clears that address's count.
- **Per subject, all clients together: 50 per 15 minutes.** Addresses are cheap on a Wi-Fi (anyone can pick
  another), so the per-client limit alone would let an attacker with many addresses guess without end. The
  ceiling caps guessing at 50 per 15 minutes whatever the number of addresses (only tries within their address's
  own limit count, so it takes at least 10 addresses to reach it; one attacker on one address cannot). Once over
  it, addresses are refused until the window ends, *except* those that got in to this account with the right
  password in the last 30 days (her phone, the commune laptop): they keep their own 5 tries. So a flood from many
  addresses cannot lock the trainer out of the devices she uses; on a new device she waits at most 15 minutes
  after the flood stops, or her commune's staff give her a new password, which clears every count.
- **Per subject, in a day: 60 for residents' secrets.** A PIN or picture password has few values (10,000 and
  1,728): a guesser with several phones who keeps under the 15-minute ceiling would still try them all within
  days. Untrusted addresses together get 60 a day; then only the addresses she got in from keep trying, until a
  day after the 60th, or until her trainer sets her secret again (which forgets every count).
- **What it does not do.** An address is not a person: every connection from the laptop itself (and through a
  proxy that does not pass the visitor's address) is the one client "unknown", and phones behind one shared
  internet address count as one client. An attacker on the LAN can take the address of a trusted phone while it
  is away; he then has that address's 5 tries per 15 minutes, nothing more. 50 guesses per 15 minutes still find
  a password from the top of a common-passwords list: a password must not come from one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from learn.text import nfc
from progress_db import lockout as store
from progress_db.models import utcnow

#: the client of every try whose address is unknown (the laptop itself, or no address given): one shared client
UNKNOWN_CLIENT = "unknown"


@dataclass(frozen=True)
class Policy:
    """How many tries at one kind of secret are checked: ``per_client`` per subject and client address, and
    ``per_subject`` from all addresses together, each per ``period``; a client that got in within ``trust``
    keeps its own tries when the subject's ceiling is reached."""

    scope: str
    per_client: int = 5
    per_subject: int = 50
    period: timedelta = timedelta(minutes=15)
    trust: timedelta = timedelta(days=30)
    #: tries from all untrusted addresses together in a day (None: no daily ceiling): the per-period ceiling,
    #: renewed every period, still lets a patient guesser through a small set of secrets within days
    per_day: int | None = None

    @property
    def daily_scope(self) -> str:
        """Where the daily ceiling is counted."""
        return f"{self.scope}.day"


#: trainers', staff members' and admins' passwords
PASSWORDS = Policy("password")
#: residents' 4-digit PINs and 3-picture passwords (the subject is the learner): few values, so few tries, and
#: at most 60 a day from addresses she never got in from (20 per 15 minutes alone would be 1,920 a day: more
#: than the 1,728 picture passwords); her own phone keeps its own tries
PINS = Policy("pin", per_client=5, per_subject=20, per_day=60)
#: villages' 6-digit join codes (the subject is the village): a million values; phones that opened it keep theirs
JOIN_CODES = Policy("join", per_client=20, per_subject=60, period=timedelta(minutes=10))


@dataclass(frozen=True)
class Turn:
    """What a try may do: ``allowed`` to check the secret (else refused, for ``minutes``); ``last`` when this is
    the client's last allowed try for now, so a wrong secret should say "locked for ``minutes``"."""

    allowed: bool
    last: bool = False
    minutes: int = 0


def subject_key(subject: str) -> str:
    """What is stored for a subject: a SHA-256 of it normalised (NFC, trimmed, lower case), never the text."""
    return hashlib.sha256(nfc(subject).strip().lower().encode()).hexdigest()


def client_key(client: str | None) -> str:
    """A client's address as counted; no address at all is the one shared unknown client."""
    address = client.strip()[:64] if isinstance(client, str) else ""
    return address if address and address != store.ALL_CLIENTS else UNKNOWN_CLIENT


def begin(policy: Policy, subject: str, client: str | None = None, now: datetime | None = None) -> Turn:
    """Count one try at ``subject``'s secret from ``client`` (before it is checked) and say whether to check it."""
    now = now or utcnow()
    key, address = subject_key(subject), client_key(client)
    mine = store.count_try(policy.scope, key, address, now, policy.period, policy.per_client)
    if mine.tries == 1:  # a new window: old counters of any subject can go (they never hold a typed name long)
        store.prune(policy.scope, now - policy.period, now - policy.trust)
    if mine.tries > policy.per_client:
        return Turn(False, minutes=_minutes(mine.window_start + policy.period - now, policy.period))
    everyone = store.count_try(policy.scope, key, store.ALL_CLIENTS, now, policy.period, policy.per_subject)
    trusted = mine.trusted_at is not None and mine.trusted_at > now - policy.trust
    ceiling = _minutes(everyone.window_start + policy.period - now, policy.period)
    if everyone.tries > policy.per_subject and not trusted:
        return Turn(False, minutes=ceiling)
    if policy.per_day is not None and not trusted:
        day = timedelta(days=1)
        daily = store.count_try(policy.daily_scope, key, store.ALL_CLIENTS, now, day, policy.per_day)
        if daily.tries == 1:
            store.prune(policy.daily_scope, now - day, now - policy.trust)
        if daily.tries > policy.per_day:
            return Turn(False, minutes=_minutes(daily.window_start + day - now, day))
        if daily.tries == policy.per_day:
            return Turn(True, last=True, minutes=_minutes(day, day))
    if mine.tries == policy.per_client:
        return Turn(True, last=True, minutes=_minutes(policy.period, policy.period))
    if everyone.tries == policy.per_subject and not trusted:
        return Turn(True, last=True, minutes=ceiling)
    return Turn(True)


def succeeded(policy: Policy, subject: str, client: str | None = None, now: datetime | None = None) -> None:
    """The secret was right: clear this client's count and trust it; the try does not count as a guess."""
    key = subject_key(subject)
    store.trust(policy.scope, key, client_key(client), now or utcnow())
    store.uncount(policy.scope, key, store.ALL_CLIENTS)


def forget(policy: Policy, subject: str) -> None:
    """The subject's secret changed: forget every count and trust for it."""
    store.forget(policy.scope, subject_key(subject))
    if policy.per_day is not None:
        store.forget(policy.daily_scope, subject_key(subject))


def tries(policy: Policy, subject: str) -> dict[str, int]:
    """Tries counted for ``subject`` by client (``"*"`` for all together), for tests and troubleshooting."""
    return store.tries(policy.scope, subject_key(subject))


def _minutes(left: timedelta, period: timedelta) -> int:
    """Whole minutes to wait, at least 1 and never more than the period (a try that read the clock just before
    a simultaneous one restarted the window would otherwise be told 16 minutes of 15)."""
    return max(1, ceil(min(left, period).total_seconds() / 60))
