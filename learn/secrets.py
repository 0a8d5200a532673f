"""Hashing secrets (learners' PINs, trainers' passwords) with scrypt, a memory-hard function in the stdlib."""

from __future__ import annotations

import hashlib
import hmac
import secrets

# n=2**14, r=8: 16 MB and about 50 ms per hash; a stolen database does not give secrets away cheaply.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "maxmem": 64 * 1024 * 1024}


def hash_secret(secret: str) -> str:
    """A salted scrypt hash, as ``scrypt$salt$hash`` in hex."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def secret_matches(secret: str, stored: str) -> bool:
    """Whether ``secret`` is the one behind ``stored`` (compared in constant time)."""
    try:
        scheme, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(secret.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
    return hmac.compare_digest(candidate.hex(), digest)
