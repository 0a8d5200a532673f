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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from learn.errors import LearnError
from learn.services.accounts import require
from progress_db import sync as store
from progress_db.models import new_uid, utcnow
from progress_db.queries import AccountInfo

FORMAT = "hoc-so-sync"
VERSION = 1
MAX_BUNDLE = 512 * 1024 * 1024


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
    since = None if everything else store.last_export()
    until = utcnow()
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
        if not hmac.compare_digest(signature, _signature(key, header, payload)):
            raise BundleRejected("bundle signature does not match: changed, or signed with another key",
                                 "sync.bad_signature")
    try:
        records = json.loads(gzip.decompress(payload))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BundleRejected(f"bundle is damaged: {exc}", "sync.damaged") from exc
    if not (isinstance(records, dict) and all(isinstance(records.get(k), list) for k in store.KINDS)
            and all(isinstance(r, dict) for k in store.KINDS for r in records[k])):
        raise BundleRejected("bundle records are not in the expected form", "sync.bad_records")
    return header, records


def take_in(data: bytes, key: str | None) -> Imported:
    """Check a bundle and take its records in, all or nothing; the same bundle twice changes nothing."""
    header, records = read(data, key)
    bundle, origin = str(header["bundle"]), str(header["origin"])
    if store.imported(bundle):
        return Imported(bundle, origin, dict.fromkeys(store.KINDS, 0), 0, already=True)
    try:
        applied = store.apply(records)
    except store.SyncDataError as exc:
        raise BundleRejected(f"bundle records do not hold together: {exc}", "sync.bad_records") from exc
    created = header.get("created_at")
    store.log("import", bundle, origin, None,
              datetime.fromisoformat(created) if isinstance(created, str) else utcnow(), applied.added)
    return Imported(bundle, origin, applied.added, applied.matched_learners, already=False)


def receive(who: AccountInfo, data: bytes, key: str | None) -> Imported:
    """A bundle uploaded by commune staff (or an admin): staff take in only their own commune's records."""
    require(who, "staff")
    if who.role != "admin":
        _, records = read(data, key)
        names = {str(c.get("name")) for c in records["communes"]}
        if names - {who.commune}:
            raise BundleRejected(f"bundle holds records of {sorted(names - {who.commune})}", "sync.other_commune")
    return take_in(data, key)
