"""Offline sync between a trainer's laptop and the commune or province server: one bundle file.

A bundle is one line of JSON (the header) followed by the gzip-compressed JSON records. The header names the
bundle, where and when it was made, the commune it is for (or none), the payload's length and SHA-256 and, when
the deployment has a sync key (``LEARN_SYNC_KEY``), an HMAC-SHA256 signature of the header and payload. A bundle
that is truncated, damaged, changed, too big or wrong in any field is refused whole, before anything is written;
a server with a key refuses unsigned bundles.

Keys. Every laptop holds its key, so a key that signs for every commune would let any laptop write into any
commune. The server's ``LEARN_SYNC_KEY`` is the master key: it never leaves the server. A laptop gets its
commune's key, ``commune:<name>:<HMAC-SHA256(master, "commune:" + name)>`` (`learn sync key --commune NAME`),
and with it signs bundles naming that commune, holding only that commune's records. The server derives the key
of the commune a bundle names, and refuses a bundle with a record outside it. A bundle naming no commune must be
signed with the master key itself (another server's bundle). A laptop's key cannot be turned into another
commune's key or the master key.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from learn.errors import BundleRejected, ImportInterrupted, SyncKeyInvalid
from learn.lessons.catalog import Catalog
from learn.services import sync_rules
from learn.services.accounts import require
from learn.text import nfc
from progress_db import private, sync_in
from progress_db import sync as store
from progress_db.models import new_uid, utcnow
from progress_db.records import AccountInfo

FORMAT = "hoc-so-sync"
VERSION = 1
#: bytes of a bundle file, compressed (a laptop's year is a few MB)
MAX_BUNDLE = sync_rules.MAX_UNPACKED
#: each export starts this long before the last one ended: an answer saved while the last export was being
#: read is not missed (taking a record in twice changes nothing)
OVERLAP = timedelta(hours=1)
_HEX = re.compile(r"[0-9a-f]{64}")  # (used with fullmatch)
_COMMUNE_KEY = "commune:"

__all__ = ["BundleRejected", "Exported", "ImportInterrupted", "Imported", "SyncKey", "commune_key", "export",
           "opened", "parse_key", "read", "receive", "sealed", "take_in", "write_private"]


@dataclass(frozen=True)
class SyncKey:
    """The key bundles are signed and checked with: the server's master key (``commune`` None), or the key of
    one commune printed by `learn sync key` (a laptop's)."""

    secret: str
    commune: str | None = None


def parse_key(value: str | None) -> SyncKey | None:
    """``LEARN_SYNC_KEY`` as a key (None when unset); SyncKeyInvalid for a malformed commune key."""
    if not value:
        return None
    if not value.startswith(_COMMUNE_KEY):
        return SyncKey(value)
    name, colon, secret = nfc(value[len(_COMMUNE_KEY):]).rpartition(":")
    if not colon or not name.strip() or not _HEX.fullmatch(secret):
        raise SyncKeyInvalid("LEARN_SYNC_KEY starts with 'commune:' but is not a commune key from `learn sync key`")
    return SyncKey(secret, name)


def _derived(master: str, commune: str) -> str:
    return hmac.new(master.encode(), (_COMMUNE_KEY + nfc(commune)).encode(), hashlib.sha256).hexdigest()


def commune_key(master: SyncKey | None, commune: str) -> str:
    """The key a laptop of ``commune`` signs its bundles with (the value of its ``LEARN_SYNC_KEY``)."""
    if master is None or master.commune is not None:
        raise SyncKeyInvalid("commune keys are made from the server's master key", key="sync.key_master_needed")
    return f"{_COMMUNE_KEY}{nfc(commune)}:{_derived(master.secret, commune)}"


@dataclass(frozen=True)
class Exported:
    """A bundle written: its id, the records in it by kind, the period it covers, and the communes whose
    records this laptop holds but may not send with its key (left out)."""

    bundle: str
    counts: dict[str, int]
    since: datetime | None
    until: datetime
    path: Path
    commune: str | None = None
    left_out: tuple[str, ...] = ()


@dataclass(frozen=True)
class Imported:
    """A bundle taken in: where it came from, what it added, whether it had been taken in before, and the
    bundles whose import was interrupted earlier and not finished since."""

    bundle: str
    origin: str
    added: dict[str, int]
    matched_learners: int
    already: bool
    unfinished: tuple[str, ...] = ()


def _signature(key: str, header: dict[str, object], payload: bytes) -> str:
    signed = json.dumps({k: v for k, v in header.items() if k != "signature"}, sort_keys=True).encode()
    return hmac.new(key.encode(), signed + b"\n" + payload, hashlib.sha256).hexdigest()


def sealed(header: dict[str, object], payload: bytes, signing: SyncKey | None) -> bytes:
    """A signed file (a sync bundle, a voice pack): ``header`` completed with the payload's length, SHA-256 and
    signature (None without a key), as one line of JSON, then the payload."""
    header.update({"payload_bytes": len(payload), "payload_sha256": hashlib.sha256(payload).hexdigest(),
                   "signature": None})
    if signing:
        header["signature"] = _signature(signing.secret, header, payload)
    return json.dumps(header, sort_keys=True).encode() + b"\n" + payload


def write_private(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` whole or not at all, readable by this account only (0600) from the first
    byte."""
    partial = target.with_name(f".{target.name}.partial")
    try:
        with os.fdopen(private.create(partial), "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, target)
    except OSError:
        partial.unlink(missing_ok=True)
        raise


def export(target: Path, key: str | SyncKey | None, *, everything: bool = False) -> Exported:
    """Write what this database recorded since its last export (or ``everything``) to ``target``; with a
    commune's key, only that commune's records."""
    signing = parse_key(key) if isinstance(key, str) or key is None else key
    last = None if everything else store.last_export()
    until = utcnow()
    # a laptop clock put back after an export: times are no longer comparable, so send everything
    since = last - OVERLAP if last is not None and last <= until else None
    records = store.collect(since, until)
    left_out: list[str] = []
    commune = signing.commune if signing else None
    if commune is not None:
        records, left_out = store.only_commune(records, commune)
    packer = zlib.compressobj(6, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    payload = packer.compress(json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode()) + packer.flush()
    header: dict[str, object] = {
        "format": FORMAT, "version": VERSION, "bundle": new_uid(), "origin": store.device_id(),
        "created_at": until.isoformat(sep=" "), "since": since.isoformat(sep=" ") if since else None,
        "commune": commune}
    # the bundle holds PIN hashes: readable by this account only (0600), from the first byte
    write_private(target, sealed(header, payload, signing))
    counts = {k: len(v) for k, v in records.items()}
    # the next export starts here only once this one is safely on disk
    store.log("export", str(header["bundle"]), str(header["origin"]), since, until, counts)
    return Exported(str(header["bundle"]), counts, since, until, target, commune, tuple(left_out))


def _check_signature(header: dict[str, object], payload: bytes, key: SyncKey | None) -> str | None:
    """Check the signature; return the commune the bundle is for (None: any, signed with the master key)."""
    named = header.get("commune")
    if named is not None and not isinstance(named, str):
        raise BundleRejected("bundle header names no commune", "sync.not_a_bundle")
    if key is None:
        return named
    signature = header.get("signature")
    if not isinstance(signature, str):
        raise BundleRejected("bundle is not signed and this server requires a signature", "sync.unsigned")
    if key.commune is None:  # the server: the key of the commune the bundle names, or the master key
        expected = _derived(key.secret, named) if named is not None else key.secret
    elif named == key.commune:  # a laptop: only its own commune's bundles
        expected = key.secret
    else:
        raise BundleRejected(f"bundle is for commune {named!r}, this key for {key.commune!r}", "sync.other_commune")
    if not _HEX.fullmatch(signature) or not hmac.compare_digest(signature, _signature(expected, header, payload)):
        raise BundleRejected("bundle signature does not match: changed, or signed with another key",
                             "sync.bad_signature")
    return named


def _unpack(payload: bytes) -> bytes:
    """The records' JSON, decompressed as a stream that stops at ``MAX_UNPACKED`` (a "zip bomb" of 2 MB unpacks
    to 2 GB: it is refused after 64 MB of it) or as soon as it is not a bundle's shape (``sync_rules.Shape``)."""
    unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    shape = sync_rules.Shape()
    pieces, size, rest = [], 0, payload
    try:
        while rest and not unpacker.eof:
            piece = unpacker.decompress(rest, 1 << 20)
            rest = unpacker.unconsumed_tail
            size += len(piece)
            if size > sync_rules.MAX_UNPACKED:
                raise BundleRejected(f"bundle records unpack to more than {sync_rules.MAX_UNPACKED} bytes",
                                     "sync.too_large")
            shape.feed(piece)
            pieces.append(piece)
        if not unpacker.eof or unpacker.unused_data:
            raise BundleRejected("bundle records are cut short or followed by other data", "sync.damaged")
    except zlib.error as exc:
        raise BundleRejected(f"bundle is damaged: {exc}", "sync.damaged") from exc
    shape.check()
    raw = b"".join(pieces)
    pieces.clear()
    return raw


def opened(data: bytes, key: SyncKey | None, fmt: str, version: int, limit: int) -> tuple[dict[str, object], bytes]:
    """A signed file's header and payload (see ``sealed``), checked: at most ``limit`` bytes, of format ``fmt``
    and ``version``, whole (length and checksum), signed with ``key`` for the commune it names (as
    ``_check_signature`` says), with an id, an origin and a time not later than now. BundleRejected (a
    ``sync.*`` key) says what is wrong."""
    if len(data) > limit:
        raise BundleRejected("bundle too large", "sync.too_large")
    line, newline, payload = data.partition(b"\n")
    try:
        header = json.loads(line) if newline and len(line) < 4096 else None
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        header = None
    if not isinstance(header, dict) or header.get("format") != fmt:
        raise BundleRejected("not a Học Số sync bundle", "sync.not_a_bundle")
    if header.get("version") != version:
        raise BundleRejected(f"bundle version {header.get('version')!r} is not {version}", "sync.version")
    if header.get("payload_bytes") != len(payload):
        raise BundleRejected(f"bundle is truncated or padded: {len(payload)} bytes of "
                             f"{header.get('payload_bytes')}", "sync.truncated")
    if header.get("payload_sha256") != hashlib.sha256(payload).hexdigest():
        raise BundleRejected("bundle is damaged: checksum does not match", "sync.damaged")
    _check_signature(header, payload, key)
    for field in ("bundle", "origin", "created_at"):
        if not isinstance(header.get(field), str) or len(str(header[field])) > 64:
            raise BundleRejected(f"bundle header has no {field}", "sync.not_a_bundle")
    try:
        made = datetime.fromisoformat(str(header["created_at"]))
    except ValueError as exc:
        raise BundleRejected("bundle header has a wrong time", "sync.not_a_bundle") from exc
    if made.tzinfo is not None or made > utcnow() + sync_rules.FUTURE:
        raise BundleRejected(f"bundle made at {made}, later than now", "sync.future", when=f"{made:%Y-%m-%d %H:%M}")
    return header, payload


def read(data: bytes, key: str | SyncKey | None) -> tuple[dict[str, object], dict[str, list[dict[str, object]]]]:
    """Check a bundle's form whole and return its header and records; BundleRejected says what is wrong."""
    checking = parse_key(key) if isinstance(key, str) or key is None else key
    header, payload = opened(data, checking, FORMAT, VERSION, MAX_BUNDLE)
    raw = _unpack(payload)
    try:
        text = raw.decode("utf-8")
        del raw
        records = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise BundleRejected(f"bundle is damaged: {exc}", "sync.damaged") from exc
    if isinstance(records, dict):
        for kind in store.OPTIONAL_KINDS:  # a bundle made before review answers travelled (issue 18)
            records.setdefault(kind, [])
    if not (isinstance(records, dict) and all(isinstance(records.get(k), list) for k in store.KINDS)
            and all(isinstance(r, dict) for k in store.KINDS for r in records[k])):
        raise BundleRejected("bundle records are not in the expected form", "sync.bad_records")
    return header, records


def take_in(data: bytes, key: str | SyncKey | None, catalog: Catalog, only_commune: str | None = None) -> Imported:
    """Check a bundle and take its records in; the same bundle twice changes nothing. ``only_commune``: refuse
    the whole bundle if any record belongs to another commune (a bundle signed for one commune is always held
    to it). ImportInterrupted if the database failed half-way (take the same bundle in again)."""
    header, records = read(data, key)
    named = header.get("commune")
    if isinstance(named, str):
        if only_commune is not None and only_commune != named:
            raise BundleRejected(f"bundle is for commune {named!r}", "sync.other_commune")
        only_commune = named
    bundle, origin = str(header["bundle"]), str(header["origin"])
    if store.imported(bundle):
        return Imported(bundle, origin, dict.fromkeys(store.KINDS, 0), 0, already=True)
    sync_rules.check_records(records, catalog, utcnow())
    incoming = sync_in.Incoming(bundle, origin, datetime.fromisoformat(str(header["created_at"])),
                                str(header["payload_sha256"]))
    try:
        applied = sync_in.apply(records, incoming, only_commune)
    except store.SyncDataError as exc:
        key_name = {"other_commune": "sync.other_commune", "account": "sync.bad_account"}.get(exc.reason,
                                                                                             "sync.bad_records")
        raise BundleRejected(f"bundle records do not hold together: {exc}", key_name) from exc
    except sync_in.Interrupted as exc:
        raise ImportInterrupted(str(exc), "sync.interrupted") from exc
    return Imported(bundle, origin, applied.added, applied.matched_learners, already=False,
                    unfinished=tuple(sync_in.unfinished()))


def receive(who: AccountInfo, data: bytes, key: str | None, catalog: Catalog) -> Imported:
    """A bundle uploaded by commune staff (or an admin): staff take in only their own commune's records."""
    require(who, "staff")
    return take_in(data, key, catalog, None if who.role == "admin" else who.commune)
