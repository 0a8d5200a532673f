"""Streamlit's scripts, compressed once and kept: a village phone on 3G downloads about a third of the bytes.

Streamlit serves its 2.6 MB of JavaScript uncompressed on purpose and leaves compression to a reverse proxy; a
laptop in the commune hall has none. This ASGI middleware answers ``/static/...`` requests for text assets with a
Brotli (or gzip) copy made the first time it is asked for and kept in memory and in ``$LEARN_HOME/static-cache``,
so the CPU cost is paid once per Streamlit release, not per visitor. Anything else goes on to Streamlit untouched.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
import re
import tempfile
import threading
from pathlib import Path

import streamlit

from learn.app import fonts

try:
    import brotli
except ImportError:  # pragma: no cover - brotli is a dependency; gzip still works without it
    brotli = None

STATIC = Path(streamlit.__file__).resolve().parent / "static"
OURS = Path(__file__).resolve().parent.parent  # the learn package: where our icon names are
COMPRESSIBLE = {".js", ".mjs", ".css", ".svg", ".json", ".map", ".txt", ".ttf", ".otf", ".html"}
IMMUTABLE = "public, immutable, max-age=31536000"
#: narration clips: /audio/<the sha-256 the audio cache names them by>.mp3
AUDIO_PATH = re.compile(r"^/audio/([0-9a-f]{64})\.mp3$")
RANGE = re.compile(r"^bytes=(\d+)-(\d*)$")


class PrecompressedStatic:
    """ASGI middleware serving compressed copies of Streamlit's static text assets."""

    def __init__(self, app, cache_dir: Path | None = None, static_dir: Path = STATIC,  # type: ignore[no-untyped-def]
                 audio_dir: Path | None = None) -> None:
        self.app = app
        self.audio_dir = audio_dir
        self.static_dir = static_dir.resolve()
        self.cache_dir = cache_dir
        self._memory: dict[tuple[str, str], tuple[bytes, str]] = {}
        self._pending: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        media = self.static_dir / "static" / "media"
        ours = fonts.icon_names([], sorted(OURS.rglob("*.py")))
        self._fonts: dict[Path, str] = {}  # font file -> tag of its cut copy
        for pattern, kind in ((fonts.ICON_FONT, "icons"), (fonts.TEXT_FONT, "text")):
            for file in media.glob(pattern):
                self._fonts[file.resolve()] = _tag(file, f"{fonts.VERSION}:{kind}:{sorted(ours)}")

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        path = scope.get("path", "") if scope["type"] == "http" else ""
        clip = AUDIO_PATH.match(path)
        if clip and self.audio_dir is not None and scope.get("method") in ("GET", "HEAD"):
            await self._audio(scope, send, clip[1])
            return
        if not path.startswith("/static/") or scope.get("method") not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        file = (self.static_dir / path.lstrip("/")).resolve()
        cut = self._cut_font(file)
        if cut is not None:
            await self._send(scope, send, cut, "font/woff2", None, "public, max-age=86400")
            return
        encoding = self._encoding(scope)
        if (encoding is None or file.suffix not in COMPRESSIBLE or not file.is_relative_to(self.static_dir)
                or not file.is_file()):
            await self.app(scope, receive, send)
            return
        await self._send(scope, send, self._compressed(file, encoding),
                         mimetypes.guess_type(file.name)[0] or "application/octet-stream", encoding, IMMUTABLE)

    @staticmethod
    async def _send(scope, send, found: tuple[bytes, str], kind: str, encoding: str | None,  # type: ignore[no-untyped-def]
                    cache: str) -> None:
        body, etag = found
        headers = [(b"content-type", kind.encode()), (b"vary", b"Accept-Encoding"), (b"cache-control", cache.encode()),
                   (b"etag", etag.encode())]
        if encoding:
            headers.append((b"content-encoding", encoding.encode()))
        request_headers = dict(scope.get("headers", []))
        if request_headers.get(b"if-none-match", b"").decode() == etag:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    async def _audio(self, scope, send, key: str) -> None:  # type: ignore[no-untyped-def]
        """A narration clip, named by the hash of what it says: the same name is always the same sound, so
        phones keep it (a replay or a second visit costs no data)."""
        assert self.audio_dir is not None
        try:
            data = (self.audio_dir / key[:2] / f"{key}.mp3").read_bytes()
        except OSError:
            await send({"type": "http.response.start", "status": 404, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})
            return
        headers = [(b"content-type", b"audio/mpeg"), (b"accept-ranges", b"bytes"),
                   (b"cache-control", IMMUTABLE.encode()), (b"etag", f'"{key}"'.encode())]
        status, body = 200, data
        wanted = RANGE.match(dict(scope.get("headers", [])).get(b"range", b"").decode())
        if wanted:  # players ask for parts of a clip to seek
            start = int(wanted[1])
            end = min(int(wanted[2]) if wanted[2] else len(data) - 1, len(data) - 1)
            if start > end:
                await send({"type": "http.response.start", "status": 416,
                            "headers": [(b"content-range", f"bytes */{len(data)}".encode())]})
                await send({"type": "http.response.body", "body": b""})
                return
            status, body = 206, data[start:end + 1]
            headers.append((b"content-range", f"bytes {start}-{end}/{len(data)}".encode()))
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})

    @staticmethod
    def _encoding(scope) -> str | None:  # type: ignore[no-untyped-def]
        accepted = dict(scope.get("headers", [])).get(b"accept-encoding", b"").decode().lower()
        offered = {part.split(";")[0].strip() for part in accepted.split(",")}
        if "br" in offered and brotli is not None:
            return "br"
        return "gzip" if "gzip" in offered else None

    def _compressed(self, file: Path, encoding: str) -> tuple[bytes, str]:
        """The file compressed: the best copy when it is ready, otherwise a quick one made now while the best
        one is made on a background thread (so the first phone does not wait for it)."""
        key = (str(file), encoding)
        found = self._memory.get(key)
        if found is not None:
            return found
        tag = _tag(file, encoding)
        raw = file.read_bytes()
        best = self._from_disk(tag)
        if best is not None and _decompresses_to(best, encoding, raw):
            self._memory[key] = (best, f'"{tag}"')
            return self._memory[key]
        quick = brotli.compress(raw, quality=5) if encoding == "br" else gzip.compress(raw, 6, mtime=0)
        with self._lock:
            if key not in self._pending:
                self._pending.add(key)
                threading.Thread(target=self._best, args=(key, raw, encoding, tag), daemon=True).start()
        return quick, f'"{tag}-q"'

    def _cut_font(self, file: Path) -> tuple[bytes, str] | None:
        """The cut copy of one of Streamlit's fonts, once it has been made (None: serve the full font)."""
        tag = self._fonts.get(file)
        if tag is None:
            return None
        found = self._memory.get((str(file), "cut"))
        if found is None:
            body = self._from_disk(tag)
            if body is None or not fonts.looks_whole(body):
                return None
            found = self._memory[(str(file), "cut")] = (body, f'"{tag}"')
        return found

    def warm_fonts(self) -> None:
        """Make the cut fonts now (a few seconds, once per Streamlit release)."""
        scripts = sorted((self.static_dir / "static" / "js").glob("*.js"))
        wanted = fonts.icon_names(scripts, sorted(OURS.rglob("*.py")))
        for file, tag in self._fonts.items():
            kept = self._from_disk(tag)
            if kept is not None and fonts.looks_whole(kept):
                continue
            data = file.read_bytes()
            cut = fonts.cut_icon_font(data, wanted) if fonts.ICON_FONT.split(".")[0] in file.name \
                else fonts.cut_text_font(data)
            self._to_disk(tag, cut)

    def _best(self, key: tuple[str, str], raw: bytes, encoding: str, tag: str) -> None:
        body = brotli.compress(raw, quality=11) if encoding == "br" else gzip.compress(raw, 9, mtime=0)
        self._to_disk(tag, body)
        self._memory[key] = (body, f'"{tag}"')

    def warm(self, paths: list[str]) -> None:
        """Make the best copies of these static paths now (on a background thread at start-up)."""
        for path in paths:
            file = (self.static_dir / path.lstrip("/")).resolve()
            if file.suffix in COMPRESSIBLE and file.is_relative_to(self.static_dir) and file.is_file():
                for encoding in (("br", "gzip") if brotli is not None else ("gzip",)):
                    tag = _tag(file, encoding)
                    kept = self._from_disk(tag)
                    raw = file.read_bytes()
                    if (str(file), encoding) not in self._memory and not (
                            kept is not None and _decompresses_to(kept, encoding, raw)):
                        self._best((str(file), encoding), raw, encoding, tag)


    def _from_disk(self, tag: str) -> bytes | None:
        if self.cache_dir is None:
            return None
        try:
            return (self.cache_dir / tag).read_bytes()
        except OSError:
            return None

    def _to_disk(self, tag: str, body: bytes) -> None:
        if self.cache_dir is None:
            return
        partial = None
        try:  # a full or read-only disk only costs the next start a recompression
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.cache_dir, prefix=f".{tag}.", delete=False) as out:
                partial = Path(out.name)
                out.write(body)
                out.flush()
                os.fsync(out.fileno())  # a power cut must not leave a short file to be served for a year
            os.replace(partial, self.cache_dir / tag)
        except OSError:
            if partial is not None:
                partial.unlink(missing_ok=True)


def _tag(file: Path, variant: str) -> str:
    """The name of a kept copy: the file's identity (a new Streamlit release changes it) and the variant."""
    stat = file.stat()
    return hashlib.sha256(f"{file}:{stat.st_size}:{stat.st_mtime_ns}:{variant}".encode()).hexdigest()[:32]


def _decompresses_to(body: bytes, encoding: str, raw: bytes) -> bool:
    """Whether a kept copy is whole (checked once per process per file, before it is served for a year)."""
    try:
        return (brotli.decompress(body) if encoding == "br" else gzip.decompress(body)) == raw
    except Exception:  # noqa: BLE001 - any damage at all means: make it again
        return False


def first_screen_assets(static_dir: Path = STATIC) -> list[str]:
    """The scripts and styles index.html names: what every first visit downloads."""
    import re

    index = (static_dir / "index.html").read_text(encoding="utf-8")
    return re.findall(r'(?:src|href)="\.?(/?static/[^"]+)"', index)
