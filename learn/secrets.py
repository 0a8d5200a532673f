"""Hashing secrets (learners' PINs, trainers' passwords) with scrypt, a memory-hard function in the stdlib.

A hash at the default cost is ``scrypt$salt$digest`` (what every release has written, so laptops not yet updated
read it and sync it); a hash at another cost names it, ``scrypt$ln=15,r=8,p=1$salt$digest``, so that a later
release can raise the cost without locking anyone out (the test suite hashes its own at a lower one)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass


@dataclass(frozen=True)
class Cost:
    """scrypt's work factor: N = 2**ln, block size r, parallelism p."""

    ln: int = 14
    r: int = 8
    p: int = 1

    def __str__(self) -> str:
        return f"ln={self.ln},r={self.r},p={self.p}"

    @property
    def memory(self) -> int:
        """The bytes one hash takes (128 * r * N)."""
        return 128 * self.r * 2**self.ln

    @property
    def work(self) -> int:
        """How much one hash computes (N * r * p)."""
        return 2**self.ln * self.r * self.p


#: 16 MB and about 50 ms per hash: a stolen database does not give secrets away cheaply
DEFAULT_COST = Cost()
#: what new hashes are made at (the test suite lowers it for its own accounts: see tests/conftest.py)
COST = DEFAULT_COST
_MAX_MEMORY = 64 * 1024 * 1024  # a hash naming more (from a damaged or hostile row) never matches
_MAX_WORK = 4 * DEFAULT_COST.work  # nor one naming more work: a guess against it costs at most 4 default ones


def hash_secret(secret: str) -> str:
    """A salted scrypt hash, as ``scrypt$salt$hash`` in hex (``scrypt$<cost>$salt$hash`` at another cost)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=2**COST.ln, r=COST.r, p=COST.p, maxmem=_MAX_MEMORY)
    named = "" if COST == DEFAULT_COST else f"{COST}$"
    return f"scrypt${named}{salt.hex()}${digest.hex()}"


#: a hash that matches nothing, at the default cost (an unknown username is checked against it: it costs what a
#: real account's check does)
NO_SECRET = "scrypt$" + "00" * 16 + "$" + "00" * 64


def _cost(text: str) -> Cost | None:
    try:
        values = dict(part.split("=", 1) for part in text.split(","))
        cost = Cost(int(values.pop("ln")), int(values.pop("r")), int(values.pop("p")))
    except (KeyError, ValueError):
        return None
    if values or not (1 <= cost.ln <= 20 and 1 <= cost.r <= 32 and 1 <= cost.p <= 4) \
            or cost.memory > _MAX_MEMORY or cost.work > _MAX_WORK:
        return None
    return cost


def secret_matches(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one behind ``stored`` (compared in constant time)."""
    parts = stored.split("$")
    if len(parts) == 3:
        scheme, salt, digest = parts
        cost: Cost | None = DEFAULT_COST
    elif len(parts) == 4:
        scheme, named, salt, digest = parts
        cost = _cost(named)
    else:
        return False
    if scheme != "scrypt" or cost is None:
        return False
    try:
        candidate = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), n=2**cost.ln, r=cost.r, p=cost.p,
                                   maxmem=_MAX_MEMORY)
    except ValueError:
        return False
    return hmac.compare_digest(candidate.hex(), digest)
