"""`learn models download`: checksum, size, atomic unpacking, refusing damaged or unsafe zips.

The official server cannot be reached here, so the real download code fetches from a local HTTP server
serving zips made by the test (with the layout of a Vosk model, not a working one)."""

from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from learn.errors import VoiceUnavailable
from learn.voice.asr import MODEL_FILES, model_problems
from learn.voice.models import MODELS, ModelSpec, download


def model_zip(top: str = "vosk-model-small-vn-0.4", extra: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name in (*MODEL_FILES, "graph/HCLr.fst", "graph/Gr.fst", "README"):
            z.writestr(f"{top}/{name}", f"content of {name}\n")
        for name, text in (extra or {}).items():
            z.writestr(name, text)
    return buffer.getvalue()


@pytest.fixture
def serve() -> Iterator[dict[str, bytes]]:
    files: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body = files.get(self.path)
            self.send_response(200 if body is not None else 404)
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    files["__base__"] = f"http://127.0.0.1:{server.server_address[1]}".encode()
    yield files
    server.shutdown()


def spec_for(files: dict[str, bytes], data: bytes, path: str = "/model.zip", sha: str | None = None) -> ModelSpec:
    files[path] = data
    return ModelSpec("vosk-model-small-vn-0.4", files["__base__"].decode() + path,
                     sha or hashlib.sha256(data).hexdigest(), len(data))


def test_the_official_model_is_pinned() -> None:
    spec = MODELS["vi"]
    assert spec.url == "https://alphacephei.com/vosk/models/vosk-model-small-vn-0.4.zip"
    assert (spec.size, spec.sha256[:12]) == (33_656_337, "efe5c8494212")


def test_a_good_download_is_unpacked_into_place(serve, tmp_path: Path) -> None:
    seen = []
    folder = download(spec_for(serve, model_zip()), tmp_path / "models", progress=seen.append)
    assert folder == tmp_path / "models" / "vosk-model-small-vn-0.4" and model_problems(folder) == []
    assert sum(seen) == len(serve["/model.zip"])
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["vosk-model-small-vn-0.4"]  # nothing left over
    del serve["/model.zip"]  # installed: a second call does not download again
    assert download(spec_for(serve, b"", path="/gone.zip"), tmp_path / "models") == folder


@pytest.mark.parametrize(("case", "message"), [
    ("checksum", "the download is damaged or not the official model"),
    ("truncated", "the download is damaged or not the official model"),
    ("not-zip", "the model zip cannot be opened"),
    ("unsafe", "unsafe path in the model zip: ../../evil"),
    ("empty-zip", "the zip does not hold a Vosk model"),
    ("missing", "could not download"),
])
def test_a_bad_download_is_refused_and_leaves_nothing(serve, tmp_path: Path, case: str, message: str) -> None:
    good = model_zip()
    spec = {
        "checksum": lambda: spec_for(serve, good, sha="0" * 64),
        "truncated": lambda: ModelSpec("vosk-model-small-vn-0.4", spec_for(serve, good[:1000]).url,
                                       hashlib.sha256(good).hexdigest(), len(good)),
        "not-zip": lambda: spec_for(serve, b"<html>captive portal login</html>"),
        "unsafe": lambda: spec_for(serve, model_zip(extra={"../../evil": "x"})),
        "empty-zip": lambda: spec_for(serve, model_zip(top="x", extra={})[:0] or _empty_zip()),
        "missing": lambda: ModelSpec("vosk-model-small-vn-0.4", serve["__base__"].decode() + "/nope.zip", "0", 1),
    }[case]()
    with pytest.raises(VoiceUnavailable) as exc:
        download(spec, tmp_path / "models")
    assert message in str(exc.value)
    assert not (tmp_path / "models" / "vosk-model-small-vn-0.4").exists()
    assert list((tmp_path / "models").glob(".download-*")) == []
    assert not (tmp_path / "evil").exists()


def _empty_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("readme.txt", "no model here")
    return buffer.getvalue()
