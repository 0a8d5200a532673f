"""Getting a Vosk model onto a laptop: the official download, checked and unpacked atomically."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from learn.errors import VoiceUnavailable
from learn.voice.asr import model_problems


@dataclass(frozen=True)
class ModelSpec:
    """A published model: where it is and the checksum of its zip."""

    name: str
    url: str
    sha256: str
    size: int


#: As published (see ../shared/models/README.md); Apache-2.0.
MODELS = {
    "vi": ModelSpec("vosk-model-small-vn-0.4", "https://alphacephei.com/vosk/models/vosk-model-small-vn-0.4.zip",
                    "efe5c8494212110471a79befc48c79da679e5b1fc52a4ffb500222ff86d622e5", 33_656_337),
}


def _safe_members(archive: zipfile.ZipFile) -> None:
    for name in archive.namelist():
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts:
            raise VoiceUnavailable(f"unsafe path in the model zip: {name}")


def download(spec: ModelSpec, models_dir: Path, progress: Callable[[int], None] | None = None,
             timeout: float = 60.0) -> Path:
    """Download, verify (size and SHA-256) and unpack ``spec`` into ``models_dir/spec.name``; return that folder.

    Nothing is left behind on failure, and an existing complete model is kept as it is.
    """
    target = models_dir / spec.name
    if not model_problems(target):
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".download-") as work:
        archive_path = Path(work) / "model.zip"
        digest = hashlib.sha256()
        try:
            with urllib.request.urlopen(spec.url, timeout=timeout) as response, archive_path.open("wb") as out:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(chunk)
                    if progress:
                        progress(len(chunk))
        except OSError as exc:
            raise VoiceUnavailable(f"could not download {spec.url}: {exc}") from exc
        size = archive_path.stat().st_size
        if size != spec.size or digest.hexdigest() != spec.sha256:
            raise VoiceUnavailable(f"the download is damaged or not the official model ({size} bytes, "
                                   f"SHA-256 {digest.hexdigest()}; expected {spec.size} bytes, {spec.sha256})")
        unpacked = Path(work) / "unpacked"
        try:
            with zipfile.ZipFile(archive_path) as archive:
                _safe_members(archive)
                archive.extractall(unpacked)
        except zipfile.BadZipFile as exc:
            raise VoiceUnavailable(f"the model zip cannot be opened: {exc}") from exc
        entries = list(unpacked.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else unpacked
        problems = model_problems(root)
        if problems:
            raise VoiceUnavailable(f"the zip does not hold a Vosk model: {'; '.join(problems)}")
        if target.exists():  # an incomplete earlier attempt
            shutil.rmtree(target)
        os.replace(root, target)
    return target
