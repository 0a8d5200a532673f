"""Voice packs (issue 20): a commune's recorded narration carried to another laptop or the commune server.

A pack is a signed file like a sync bundle (``learn.services.sync``: one line of JSON naming the pack, where and
when it was made and the commune it is for, with its payload's length, SHA-256 and signature, then the payload),
signed and checked with the same keys: a laptop signs with its commune's key, the server with the key it derives
for the commune. The payload is a zip of ``manifest.json`` (format, version, commune, and for each recording its
uid, text, speed, language code and name, lesson, clip, length, size, recorder, time and approval) and the clips,
``audio/<sha-256>.mp3``.

Taking a pack in checks it whole before anything is written: signature, form, every listed clip present and no
other file, each clip's checksum matching its name, sizes within limits, each clip a short MP3 that ffmpeg
decodes, every text, speed and language valid, the commune allowed for the key and for the account. Then the
clips are written into the audio cache (each atomically), then the rows, in one transaction: a row never names a
missing clip. A server keeps one library of voices per commune: the recordings land in the pack's commune. The
same pack twice changes nothing; a recording made later than the one here for the same text replaces it, an
older one does not.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from learn.errors import BundleRejected, InvalidInput, NotFound, VoicePackRejected, VoiceUnavailable
from learn.services import communes, sync, sync_rules
from learn.services import languages as spoken
from learn.services.accounts import require
from learn.services.narration import forget_recordings
from learn.text import nfc
from learn.voice import SPEEDS
from learn.voice.audio import decode_upload, duration
from learn.voice.studio import MAX_TAKE_SECONDS
from learn.voice.tts import speakable
from progress_db import community, languages
from progress_db import sync as sync_store
from progress_db import voice_packs as stored
from progress_db.models import new_uid, utcnow
from progress_db.records import AccountInfo
from progress_db.voice_packs import Counts, Packed

FORMAT = "hoc-so-voices"
VERSION = 1
#: what a pack file's name ends with
SUFFIX = ".hocsovoices"
#: bytes of a pack file: as much as a sync bundle (thousands of clips of about 3 KB a second)
MAX_PACK = sync.MAX_BUNDLE
#: a clip of a minute at 24 kbit/s is 180 KB
MAX_CLIP = 1_000_000
MAX_RECORDINGS = 20_000
MAX_MANIFEST = 16 * 2**20
MAX_TEXT = 2000
#: ffmpeg gets this long to decode one clip (it needs a few hundredths of a second)
DECODE_TIMEOUT = 10.0
#: a clip's decoded length may differ from what the manifest says by this much (MP3 frames, encoder padding)
SECONDS_SLACK = 1.0
#: new clips are decoded together: this much audio, this many clips, to one ffmpeg run
BATCH_SECONDS = 1800.0
BATCH_CLIPS = 500
MANIFEST = "manifest.json"
_AUDIO = re.compile(r"audio/([0-9a-f]{64})\.mp3")
_HEX = re.compile(r"[0-9a-f]{64}")
_UID = re.compile(r"[0-9A-Za-z_-]{1,64}")
_LESSON = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
#: sync's reasons, as a voice pack's
_FROM_SYNC = {"not_a_bundle": "not_a_pack"}

__all__ = ["FORMAT", "MAX_PACK", "Made", "SUFFIX", "Taken", "VoicePackRejected", "export", "pack", "read",
           "count", "for_staff", "receive", "take_in"]


@dataclass(frozen=True)
class Made:
    """A pack made: its commune, how many recordings it holds, whether it is signed, and the recordings left out
    because their clip is no longer in the audio cache."""

    commune: str
    recordings: int
    signed: bool
    missing: int
    data: bytes


@dataclass(frozen=True)
class Taken:
    """A pack taken in: its commune and what it did (see ``progress_db.voice_packs.Counts``)."""

    commune: str
    added: int
    replaced: int
    unchanged: int

    @property
    def changed(self) -> bool:
        """Whether anything changed here."""
        return bool(self.added or self.replaced)


def _rejected(key: str, message: str, **values: object) -> VoicePackRejected:
    return VoicePackRejected(message, f"voicepack.{key}", **values)


def _signing(key: str | sync.SyncKey | None, commune: str) -> sync.SyncKey | None:
    """The key a pack of ``commune`` is signed with: a laptop's own commune key, or the commune's key the
    server derives from its master key (so the commune's laptops can check it too)."""
    signing = sync.parse_key(key) if isinstance(key, str) or key is None else key
    if signing is None or signing.commune is not None:
        if signing is not None and signing.commune != commune:
            raise _rejected("key_commune", f"this key signs for {signing.commune!r} only",
                            commune=signing.commune)
        return signing
    return sync.parse_key(sync.commune_key(signing, commune))


def _clip(audio_dir: Path, name: str) -> bytes | None:
    try:
        data = (audio_dir / name[:2] / f"{name}.mp3").read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == name else None


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat(sep=" ")


def pack(commune: str, key: str | sync.SyncKey | None, audio_dir: Path) -> Made:
    """The voice pack of ``commune``'s recordings (every language), signed with ``key`` when there is one."""
    found = communes.find(commune)
    signing = _signing(key, found.name)
    entries: list[dict[str, object]] = []
    clips: dict[str, bytes] = {}
    missing = 0
    for p in stored.of_commune(found.id):
        data = clips.get(p.audio) if p.audio in clips else _clip(audio_dir, p.audio)
        if data is None:
            missing += 1
            continue
        clips[p.audio] = data
        entries.append({
            "uid": p.uid, "text": p.text, "speed": p.speed, "language": p.language, "language_name": p.language_name,
            "language_uid": p.language_uid, "lesson_id": p.lesson_id, "audio": p.audio, "seconds": p.seconds,
            "size": len(data), "recorder": p.recorder, "recorder_username": p.recorder_username,
            "recorded_at": _time(p.recorded_at), "approved": p.approved_at is not None, "approver": p.approver,
            "approver_username": p.approver_username, "approved_at": _time(p.approved_at)})
    made_at = utcnow()
    manifest = {"format": FORMAT, "version": VERSION, "commune": found.name, "made_at": _time(made_at),
                "recordings": entries}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1), zipfile.ZIP_DEFLATED)
        for name, data in clips.items():  # MP3 does not compress
            z.writestr(f"audio/{name}.mp3", data, zipfile.ZIP_STORED)
    header: dict[str, object] = {"format": FORMAT, "version": VERSION, "bundle": new_uid(),
                                 "origin": sync_store.device_id(), "created_at": _time(made_at),
                                 "commune": found.name}
    data = sync.sealed(header, buffer.getvalue(), signing)
    if len(data) > MAX_PACK:
        raise _rejected("too_large", f"the pack would be {len(data)} bytes", limit=MAX_PACK // 2**20)
    return Made(found.name, len(entries), signing is not None, missing, data)


def export(target: Path, key: str | sync.SyncKey | None, audio_dir: Path, commune: str) -> Made:
    """Write ``commune``'s voice pack to ``target`` (whole or not at all)."""
    made = pack(commune, key, audio_dir)
    sync.write_private(target, made.data)
    return made


def _member(z: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A member's bytes, read in small pieces: never more than it declares (a member that holds more, or other
    bytes than its CRC says, is damaged)."""
    pieces, size = [], 0
    with z.open(info) as f:
        while piece := f.read(1 << 16):
            size += len(piece)
            if size > info.file_size:
                raise zipfile.BadZipFile(f"{info.filename} holds more than it says")
            pieces.append(piece)
    return b"".join(pieces)


def _members(payload: bytes) -> tuple[bytes, dict[str, zipfile.ZipInfo], zipfile.ZipFile]:
    """The manifest's bytes and the clips' entries, by name; refused for any other file, a name twice, a bomb."""
    try:
        z = zipfile.ZipFile(io.BytesIO(payload))
        infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as exc:
        raise _rejected("damaged", f"the pack's files are damaged: {exc}") from exc
    if len(infos) > MAX_RECORDINGS + 1:
        raise _rejected("too_many", f"{len(infos)} files", limit=MAX_RECORDINGS)
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _rejected("files", "a file is in the pack twice")
    clips: dict[str, zipfile.ZipInfo] = {}
    manifest = None
    for info in infos:
        clip = _AUDIO.fullmatch(info.filename)
        if info.filename != MANIFEST and clip is None:  # ../, /etc/…, folders, anything else
            raise _rejected("files", f"unexpected file {info.filename[:80]!r} in the pack")
        if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _rejected("files", f"{info.filename} is encrypted or compressed in an unknown way")
        limit = MAX_MANIFEST if clip is None else MAX_CLIP
        if info.file_size > limit:
            raise _rejected("too_large", f"{info.filename} unpacks to {info.file_size} bytes",
                            limit=MAX_PACK // 2**20)
        if clip is None:
            manifest = info
        else:
            clips[clip.group(1)] = info
    if sum(i.file_size for i in infos) > sync_rules.MAX_UNPACKED:
        raise _rejected("too_large", "the pack unpacks to too much", limit=MAX_PACK // 2**20)
    if manifest is None:
        raise _rejected("not_a_pack", "the pack has no manifest")
    try:
        return _member(z, manifest), clips, z
    except (zipfile.BadZipFile, EOFError, ValueError, OSError, RuntimeError) as exc:
        raise _rejected("damaged", f"the pack's manifest is damaged: {exc}") from exc


def _text(value: object, limit: int, *, empty: bool = True) -> str:
    if not isinstance(value, str) or len(value) > limit or (not empty and not value.strip()):
        raise ValueError("text")
    if value != nfc(value) or any(ord(ch) < 32 for ch in value):
        raise ValueError("text")
    return value


def _when(value: object) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("time")
    when = datetime.fromisoformat(value)
    if when.tzinfo is not None or when > utcnow() + sync_rules.FUTURE:
        raise ValueError("time")
    return when


def _number(value: object, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low < value <= high:
        raise ValueError("number")
    return float(value)


def _entry(number: int, raw: object) -> Packed:
    """One recording of the manifest, checked field by field (VoicePackRejected names the first wrong one)."""
    if not isinstance(raw, dict):
        raise _rejected("bad_entry", f"recording {number} is not a record", number=number, field="-")
    field = ""

    def get(name: str, check: Callable[[object], Any]) -> Any:
        nonlocal field
        field = name
        return check(raw.get(name))

    try:
        uid = get("uid", lambda v: v if isinstance(v, str) and _UID.fullmatch(v) else _wrong())
        text = get("text", lambda v: _text(v, MAX_TEXT, empty=False))
        if speakable(text) != text:  # the tidied text, as recordings keep it
            raise ValueError("text")
        speed = get("speed", lambda v: v if v in SPEEDS else _wrong())
        # a language as the commune's page would add it (``learn.services.languages``), or Vietnamese
        code = get("language", lambda v: v if v == languages.VIETNAMESE or (
            isinstance(v, str) and spoken.clean_code(v) == v) else _wrong())
        vietnamese = code == languages.VIETNAMESE
        name = get("language_name", lambda v: None if vietnamese and v is None else
                   v if not vietnamese and isinstance(v, str) and spoken.clean_name(v) == v else _wrong())
        language_uid = get("language_uid", lambda v: None if v is None or vietnamese else
                           v if isinstance(v, str) and _UID.fullmatch(v) else _wrong())
        lesson = get("lesson_id", lambda v: v if isinstance(v, str) and _LESSON.fullmatch(v) else _wrong())
        audio = get("audio", lambda v: v if isinstance(v, str) and _HEX.fullmatch(v) else _wrong())
        seconds = get("seconds", lambda v: _number(v, 0, MAX_TAKE_SECONDS + SECONDS_SLACK))
        size = int(get("size", lambda v: _number(v, 0, MAX_CLIP) if isinstance(v, int) else _wrong()))
        recorder = get("recorder", lambda v: _text(v, 100))
        recorder_username = get("recorder_username", lambda v: _text(v, 100))
        recorded_at = get("recorded_at", _when)
        approved = get("approved", lambda v: v if isinstance(v, bool) else _wrong())
        approved_at = get("approved_at", lambda v: _when(v) if approved else None if v is None else _wrong())
        approver = get("approver", lambda v: _text(v, 100))
        approver_username = get("approver_username", lambda v: _text(v, 100))
    except (ValueError, VoiceUnavailable, InvalidInput) as exc:
        raise _rejected("bad_entry", f"recording {number}: wrong {field}", number=number, field=field) from exc
    return Packed(uid, text, speed, code, name, language_uid, lesson, audio, seconds, size, recorder_username,
                  recorder, recorded_at, approved_at, approver_username, approver)


def _wrong() -> Any:
    raise ValueError("wrong")


def _manifest(raw: bytes, commune: str) -> list[Packed]:
    try:
        manifest = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as exc:
        raise _rejected("damaged", f"the manifest is not JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise _rejected("not_a_pack", "the manifest is not a voice pack's")
    if manifest.get("version") != VERSION:
        raise _rejected("version", f"manifest version {manifest.get('version')!r}")
    if manifest.get("commune") != commune:
        raise _rejected("other_commune", "the manifest names another commune than the pack")
    entries = manifest.get("recordings")
    if not isinstance(entries, list):
        raise _rejected("not_a_pack", "the manifest lists no recordings")
    if len(entries) > MAX_RECORDINGS:
        raise _rejected("too_many", f"{len(entries)} recordings", limit=MAX_RECORDINGS)
    packed = [_entry(i + 1, raw) for i, raw in enumerate(entries)]
    seen_uids: set[str] = set()
    seen_lines: set[tuple[str, str, str]] = set()
    names: dict[str, tuple[str | None, str | None]] = {}
    for number, p in enumerate(packed, 1):
        line = (p.text, p.speed, p.language)
        if p.uid in seen_uids or line in seen_lines:
            raise _rejected("bad_entry", f"recording {number} is in the pack twice", number=number, field="uid")
        if names.setdefault(p.language, (p.language_name, p.language_uid)) != (p.language_name, p.language_uid):
            raise _rejected("bad_entry", f"recording {number}: language {p.language} named two ways",
                            number=number, field="language_name")
        seen_uids.add(p.uid)
        seen_lines.add(line)
    return packed


def _plausible_mp3(data: bytes) -> bool:
    """An ID3 tag or an MPEG audio layer III frame header at the start."""
    return data[:3] == b"ID3" or (len(data) > 4 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0
                                  and (data[1] >> 1) & 0x3 == 0x1)


_MPEG1_KBITS = (0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
_MPEG2_KBITS = (0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160)
_MPEG_RATES = {3: (44100, 48000, 32000), 2: (22050, 24000, 16000), 0: (11025, 12000, 8000)}


def mp3_seconds(data: bytes) -> float | None:
    """How long an MP3 lasts, counted frame by frame from the headers (an ID3v2 tag first and an ID3v1 tag last
    allowed); None unless the file is nothing but whole MPEG layer III frames of one sample rate."""
    at, end, samples, rate = 0, len(data), 0, 0
    if data[:3] == b"ID3" and end >= 10:
        at = 10 + (data[6] << 21 | data[7] << 14 | data[8] << 7 | data[9]) + (10 if data[5] & 0x10 else 0)
    if end - at >= 128 and data[end - 128:end - 125] == b"TAG":
        end -= 128
    while at < end:
        if end - at < 4 or data[at] != 0xFF or data[at + 1] & 0xE0 != 0xE0:
            return None
        version, layer = (data[at + 1] >> 3) & 3, (data[at + 1] >> 1) & 3
        bits, index, padding = data[at + 2] >> 4, (data[at + 2] >> 2) & 3, (data[at + 2] >> 1) & 1
        if version == 1 or layer != 1 or bits in (0, 15) or index == 3 or rate not in (0, _MPEG_RATES[version][index]):
            return None
        rate = _MPEG_RATES[version][index]
        per_frame = 1152 if version == 3 else 576
        at += per_frame // 8 * (_MPEG1_KBITS if version == 3 else _MPEG2_KBITS)[bits] * 1000 // rate + padding
        samples += per_frame
    return samples / rate if at == end and rate else None


def _check_clip(data: bytes, name: str, uses: list[tuple[int, Packed]]) -> float:
    """A clip's checksum, size, form and length (from its frames, without ffmpeg); its length in seconds."""
    number = uses[0][0]
    if hashlib.sha256(data).hexdigest() != name:
        raise _rejected("damaged", f"clip {name} does not match its checksum")
    if any(p.size != len(data) for _, p in uses):
        raise _rejected("bad_entry", f"clip {name} is not of the size listed", number=number, field="size")
    seconds = mp3_seconds(data) if _plausible_mp3(data) else None
    if seconds is None:
        raise _rejected("bad_audio", f"clip {name} is not an MP3", number=number)
    if seconds > MAX_TAKE_SECONDS + SECONDS_SLACK or any(abs(seconds - p.seconds) > SECONDS_SLACK for _, p in uses):
        raise _rejected("bad_audio", f"clip {name} lasts {seconds:.1f} s, not as listed", number=number)
    return seconds


def _decode_one(data: bytes, name: str, number: int) -> None:
    try:  # bounded like every upload: a minute at most, one thread, MP3 and the few formats browsers make
        pcm = decode_upload(data, 8000, MAX_TAKE_SECONDS + SECONDS_SLACK, DECODE_TIMEOUT)
    except VoiceUnavailable as exc:
        if exc.key == "voice.no_ffmpeg":
            raise VoicePackRejected(str(exc), "voice.no_ffmpeg") from exc
        raise _rejected("bad_audio", f"clip {name}: {exc}", number=number) from exc
    heard = duration(pcm, 8000)
    if heard > MAX_TAKE_SECONDS:
        raise _rejected("bad_audio", f"clip {name} lasts {heard:.1f} s", number=number)


def _decode_batch(batch: list[tuple[str, bytes, int, float]]) -> None:
    """ffmpeg decodes the clips one after the other in one run (one run per clip took 0.1 to 0.2 s: half an hour
    for a pack of 10,000 lines); when the run fails or hears less than the frames promise, each clip alone,
    to name the one at fault."""
    expected = sum(seconds for *_, seconds in batch)
    try:
        pcm = decode_upload(b"".join(data for _, data, _, _ in batch), 8000, expected + SECONDS_SLACK,
                            DECODE_TIMEOUT + expected / 100)
        heard = duration(pcm, 8000)
    except VoiceUnavailable as exc:
        if exc.key == "voice.no_ffmpeg":
            raise VoicePackRejected(str(exc), "voice.no_ffmpeg") from exc
        heard = -1.0
    if abs(heard - expected) <= SECONDS_SLACK + 0.1 * len(batch):
        return
    for name, data, number, _ in batch:
        _decode_one(data, name, number)
    raise _rejected("bad_audio", f"clips from {batch[0][0]} do not decode together", number=batch[0][2])


def _decode_new(clips: dict[str, bytes], lengths: dict[str, float], uses: dict[str, list[tuple[int, Packed]]],
                audio_dir: Path | None) -> None:
    """Every clip not already whole in this audio cache (checked when it came or was recorded here) decoded by
    ffmpeg, in runs of at most ``BATCH_SECONDS`` of audio and ``BATCH_CLIPS`` clips."""
    batch: list[tuple[str, bytes, int, float]] = []
    for name, data in clips.items():
        if audio_dir is not None and _clip(audio_dir, name) is not None:
            continue
        if batch and (len(batch) >= BATCH_CLIPS or sum(x[3] for x in batch) + lengths[name] > BATCH_SECONDS):
            _decode_batch(batch)
            batch = []
        batch.append((name, data, uses[name][0][0], lengths[name]))
    if batch:
        _decode_batch(batch)


def read(data: bytes, key: str | sync.SyncKey | None, only_commune: str | None = None,
         audio_dir: Path | None = None) -> tuple[str, list[Packed], dict[str, bytes]]:
    """Check a pack whole: its commune, recordings and clips (by name); VoicePackRejected says what is wrong.
    ``only_commune``: refuse a pack of any other commune; ``audio_dir``: clips already whole there are not
    decoded again."""
    checking = sync.parse_key(key) if isinstance(key, str) or key is None else key
    try:
        header, payload = sync.opened(data, checking, FORMAT, VERSION, MAX_PACK)
    except BundleRejected as exc:
        reason = exc.key.removeprefix("sync.")
        values = {"limit": MAX_PACK // 2**20} if reason == "too_large" else exc.values
        raise _rejected(_FROM_SYNC.get(reason, reason), str(exc), **values) from exc
    commune = header.get("commune")
    if not isinstance(commune, str) or not commune or len(commune) > 200:
        raise _rejected("not_a_pack", "the pack names no commune")
    if only_commune is not None and commune != only_commune:
        raise _rejected("other_commune", f"the pack is {commune!r}'s, not {only_commune!r}'s")
    raw, members, z = _members(payload)
    packed = _manifest(raw, commune)
    uses: dict[str, list[tuple[int, Packed]]] = {}
    for number, p in enumerate(packed, 1):
        uses.setdefault(p.audio, []).append((number, p))
    if set(uses) != set(members):
        lacking = sorted(set(uses) - set(members))
        raise _rejected("files", f"clips missing: {lacking[:3]}, not listed: {sorted(set(members) - set(uses))[:3]}")
    clips, lengths = {}, {}
    with z:
        for name, info in members.items():
            try:
                clips[name] = _member(z, info)
            except (zipfile.BadZipFile, EOFError, ValueError, OSError, RuntimeError) as exc:
                raise _rejected("damaged", f"clip {name} is damaged: {exc}") from exc
            lengths[name] = _check_clip(clips[name], name, uses[name])
    _decode_new(clips, lengths, uses, audio_dir)
    return commune, packed, clips


def _write_clips(audio_dir: Path, clips: dict[str, bytes]) -> None:
    """Each clip into the audio cache, atomically (a clip already there whole is left as it is)."""
    try:
        for name, data in clips.items():
            if _clip(audio_dir, name) is not None:
                continue
            folder = audio_dir / name[:2]
            folder.mkdir(parents=True, exist_ok=True)
            fd, partial = tempfile.mkstemp(dir=folder, prefix=".part-", suffix=".mp3")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
                os.replace(partial, folder / f"{name}.mp3")
            finally:
                Path(partial).unlink(missing_ok=True)
    except OSError as exc:
        raise VoicePackRejected(f"cannot write the clips: {exc}", "voice.cache_write") from exc


def take_in(data: bytes, key: str | sync.SyncKey | None, audio_dir: Path, only_commune: str | None = None) -> Taken:
    """Check a pack whole, then take its recordings into its commune here: clips first, then the rows in one
    transaction. The same pack twice changes nothing."""
    commune, packed, clips = read(data, key, only_commune, audio_dir)
    commune_id = community.find_commune(commune)
    if commune_id is None:
        raise _rejected("no_commune", f"no commune {commune!r} here", commune=commune)
    _write_clips(audio_dir, clips)
    counts: Counts = stored.take_in(commune_id, packed)
    forget_recordings(commune_id)
    return Taken(commune, counts.added, counts.replaced, counts.unchanged)


def _staff_commune(who: AccountInfo, commune_id: int) -> str:
    require(who, "staff", commune_id=commune_id)
    name = community.commune_name(commune_id)
    if name is None:
        raise NotFound(f"no commune {commune_id}")
    return name


def receive(who: AccountInfo, commune_id: int, data: bytes, key: str | None, audio_dir: Path) -> Taken:
    """A pack uploaded by the commune's staff (or an admin, for the commune on screen): only that commune's."""
    return take_in(data, key, audio_dir, _staff_commune(who, commune_id))


def count(who: AccountInfo, commune_id: int) -> int:
    """How many recordings the commune has to share (for its staff)."""
    _staff_commune(who, commune_id)
    return len(stored.of_commune(commune_id))


def for_staff(who: AccountInfo, commune_id: int, key: str | None, audio_dir: Path) -> bytes:
    """The commune's voice pack, for its staff to download."""
    return pack(_staff_commune(who, commune_id), key, audio_dir).data
