"""A resident's own phone keeps her signed in: across a reload of the page (phones reload tabs left in the
background), a restart of the server, and days away, until she taps "Đổi người học" on it. A shared browser
(the commune hall's laptop, see ``shared``) never does: there the next resident must not find the last one.

The phone holds a random token in a cookie; the database keeps only its hash, with whose phone it is and when it
was last used. The token stops working when she signs out on the phone, after ``DEVICE_LIFETIME`` unused, when a
trainer sets her PIN or picture password anew, when she is removed or moved away, or when her record is merged
into another."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import re
import secrets
from datetime import datetime, timedelta
from typing import Literal

from learn.tls import local_addresses
from progress_db import devices
from progress_db.records import LearnerInfo

#: a phone unused this long forgets its resident (every use renews it)
DEVICE_LIFETIME = timedelta(days=180)

#: which browsers are shared (LEARN_SHARED_DEVICES): "local", the one on the server's own machine; "all";
#: "none"
SharedDevices = Literal["local", "all", "none"]

# what ``secrets.token_urlsafe(32)`` makes: anything else in the cookie is not ours and is not looked up
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def this_machine(client: str | None) -> bool:
    """Whether ``client`` is the server's own machine: no address (Streamlit gives none for 127.0.0.1 and ::1),
    any loopback address (also IPv4-mapped, as ``--host ::`` shows it), or one of the machine's own addresses (the
    hall laptop opening the LAN address that `learn serve` prints and the QR cards carry). No visitor on the
    Wi-Fi can connect from these."""
    if client is None:
        return True
    try:
        address = ipaddress.ip_address(client.split("%")[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback or str(address) in _own_addresses()


@functools.cache
def _own_addresses() -> frozenset[str]:
    return frozenset(local_addresses())


def shared(mode: SharedDevices, client: str | None) -> bool:
    """Whether a browser is shared by several residents, so that nobody stays signed in on it: ``client`` is
    its network address; with ``local``, a browser on the server's own machine (the commune hall's laptop) is."""
    return mode == "all" or (mode == "local" and this_machine(client))


def well_formed(token: object) -> bool:
    """Whether a cookie's value has the shape of a device token (cookies are the visitor's to write)."""
    return isinstance(token, str) and _TOKEN.match(token) is not None


def remember(person: LearnerInfo, now: datetime | None = None) -> str | None:
    """A new token for this phone's cookie, so that it keeps ``person`` signed in; None if she is gone."""
    token = secrets.token_urlsafe(32)
    return token if devices.open_device(_hash(token), person.id, DEVICE_LIFETIME, now) else None


def resident(token: str | None, now: datetime | None = None, *, touch: bool = True) -> LearnerInfo | None:
    """The resident whose phone holds ``token``, if it still signs her in; None otherwise (and a token that no
    longer does is forgotten). ``touch`` False looks without counting as a use."""
    if not well_formed(token):
        return None
    assert token is not None
    found = devices.device_learner(_hash(token), DEVICE_LIFETIME, now, touch=touch)
    if found is not None and found.left is not None:  # removed on request, or moved away
        devices.close_device(_hash(token))
        return None
    return found


def forget(token: str | None) -> None:
    """This phone no longer signs anyone in."""
    if well_formed(token):
        assert token is not None
        devices.close_device(_hash(token))


def _hash(token: str) -> str:
    # stored hashed: a copy of the database signs nobody in
    return hashlib.sha256(token.encode()).hexdigest()
