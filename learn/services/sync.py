"""Offline sync between a trainer's laptop and the commune or province server: one bundle file.

A bundle is one line of JSON (the header) followed by the gzip-compressed JSON records. The header names the
bundle, where and when it was made, the payload's length and SHA-256 and, when the deployment has a sync key
(``LEARN_SYNC_KEY``), an HMAC-SHA256 signature of the header and payload. A bundle that is truncated, damaged or
changed is refused whole, before anything is written; a server with a key refuses unsigned bundles.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import os
import re
import zlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from learn.errors import LearnError
from learn.services.accounts import require
from progress_db import sync as store
from progress_db.models import new_uid, utcnow
from progress_db.queries import AccountInfo

FORMAT = "hoc-so-sync"
VERSION = 1
MAX_BUNDLE = 512 * 1024 * 1024
MAX_RECORDS = 2 * 1024 * 1024 * 1024  # bytes of JSON once decompressed: a "zip bomb" stops here
#: each export starts this long before the last one ended: an answer saved while the last export was being
#: read is not missed (taking a record in twice changes nothing)
OVERLAP = timedelta(hours=1)
_HEX = re.compile(r"^[0-9a-f]{64}$")


class BundleRejected(LearnError):
    """A bundle that was not taken in, and why (a key in the strings catalog); nothing was changed."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message, key=key)


@dataclass(frozen=True)
class Exported:
    """A bundle written: its id, the records in it by kind, and the period it covers."""

    bundle: str
    counts: dict[str, int]
    since: datetime | None
    until: datetime
    path: Path


@dataclass(frozen=True)
class Imported:
    """A bundle taken in: where it came from, what it added, and whether it had been taken in before."""

    bundle: str
    origin: str
    added: dict[str, int]
    matched_learners: int
    already: bool


def _signature(key: str, header: dict[str, object], payload: bytes) -> str:
    signed = json.dumps({k: v for k, v in header.items() if k != "signature"}, sort_keys=True).encode()
    return hmac.new(key.encode(), signed + b"\n" + payload, hashlib.sha256).hexdigest()


def export(target: Path, key: str | None, *, everything: bool = False) -> Exported:
    """Write what this database recorded since its last export (or ``everything``) to ``target``."""
    last = None if everything else store.last_export()
    until = utcnow()
    # a laptop clock put back after an export: times are no longer comparable, so send everything
    since = last - OVERLAP if last is not None and last <= until else None
    records = store.collect(since, until)
    payload = gzip.compress(json.dumps(records, ensure_ascii=False, separators=(",", ":")).encode(), mtime=0)
    header: dict[str, object] = {
        "format": FORMAT, "version": VERSION, "bundle": new_uid(), "origin": store.device_id(),
        "created_at": until.isoformat(sep=" "), "since": since.isoformat(sep=" ") if since else None,
        "payload_bytes": len(payload), "payload_sha256": hashlib.sha256(payload).hexdigest(), "signature": None}
    if key:
        header["signature"] = _signature(key, header, payload)
    partial = target.with_name(f".{target.name}.partial")
    try:
        with open(partial, "wb") as f:
            f.write(json.dumps(header, sort_keys=True).encode() + b"\n" + payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(partial, target)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
    counts = {k: len(v) for k, v in records.items()}
    # the next export starts here only once this one is safely on disk
    store.log("export", str(header["bundle"]), str(header["origin"]), since, until, counts)
    return Exported(str(header["bundle"]), counts, since, until, target)


def read(data: bytes, key: str | None) -> tuple[dict[str, object], dict[str, list[dict[str, object]]]]:
    """Check a bundle whole and return its header and records; BundleRejected says what is wrong."""
    if len(data) > MAX_BUNDLE:
        raise BundleRejected("bundle too large", "sync.too_large")
    line, newline, payload = data.partition(b"\n")
    try:
        header = json.loads(line) if newline else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise BundleRejected("not a Học Số sync bundle", "sync.not_a_bundle")
    if header.get("version") != VERSION:
        raise BundleRejected(f"bundle version {header.get('version')!r} is not {VERSION}", "sync.version")
    if header.get("payload_bytes") != len(payload):
        raise BundleRejected(f"bundle is truncated or padded: {len(payload)} bytes of "
                             f"{header.get('payload_bytes')}", "sync.truncated")
    if header.get("payload_sha256") != hashlib.sha256(payload).hexdigest():
        raise BundleRejected("bundle is damaged: checksum does not match", "sync.damaged")
    signature = header.get("signature")
    if key:
        if not isinstance(signature, str):
            raise BundleRejected("bundle is not signed and this server requires a signature", "sync.unsigned")
        if not _HEX.match(signature) or not hmac.compare_digest(signature, _signature(key, header, payload)):
            raise BundleRejected("bundle signature does not match: changed, or signed with another key",
                                 "sync.bad_signature")
    try:
        unpacker = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        raw = unpacker.decompress(payload, MAX_RECORDS)
        if unpacker.unconsumed_tail:
            raise BundleRejected("bundle records are larger than any commune's", "sync.too_large")
        records = json.loads(raw)
    except (zlib.error, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BundleRejected(f"bundle is damaged: {exc}", "sync.damaged") from exc
    for field in ("bundle", "origin", "created_at"):
        if not isinstance(header.get(field), str):
            raise BundleRejected(f"bundle header has no {field}", "sync.not_a_bundle")
    try:
        datetime.fromisoformat(str(header["created_at"]))
    except ValueError as exc:
        raise BundleRejected("bundle header has a wrong time", "sync.not_a_bundle") from exc
    if not (isinstance(records, dict) and all(isinstance(records.get(k), list) for k in store.KINDS)
            and all(isinstance(r, dict) for k in store.KINDS for r in records[k])):
        raise BundleRejected("bundle records are not in the expected form", "sync.bad_records")
    return header, records


def take_in(data: bytes, key: str | None, only_commune: str | None = None) -> Imported:
    """Check a bundle and take its records in, all or nothing; the same bundle twice changes nothing.
    ``only_commune``: refuse the whole bundle if any record belongs to another commune."""
    header, records = read(data, key)
    bundle, origin = str(header["bundle"]), str(header["origin"])
    if store.imported(bundle):
        return Imported(bundle, origin, dict.fromkeys(store.KINDS, 0), 0, already=True)
    try:
        applied = store.apply(records, only_commune)
    except store.SyncDataError as exc:
        key_name = "sync.other_commune" if "another commune" in str(exc) else "sync.bad_records"
        raise BundleRejected(f"bundle records do not hold together: {exc}", key_name) from exc
    store.log("import", bundle, origin, None, datetime.fromisoformat(str(header["created_at"])), applied.added)
    return Imported(bundle, origin, applied.added, applied.matched_learners, already=False)


def receive(who: AccountInfo, data: bytes, key: str | None) -> Imported:
    """A bundle uploaded by commune staff (or an admin): staff take in only their own commune's records."""
    require(who, "staff")
    return take_in(data, key, None if who.role == "admin" else who.commune)
