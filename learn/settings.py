"""Settings, read from the environment once at the edge (the app's entry point or the CLI) and passed down."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: The repository's own lessons, used when LEARN_CONTENT_DIR is not set.
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "vi"

#: The Vietnamese Vosk model `learn models download vi` installs.
DEFAULT_MODEL = "vosk-model-small-vn-0.4"

#: Every environment variable Học Số reads, with what it means (the README lists them all; a test checks).
ENVIRONMENT = {
    "LEARN_HOME": "data folder: database, audio cache, models (default ~/.local/share/hoc-so)",
    "LEARN_DATABASE_URL": "database URL (default sqlite:///$LEARN_HOME/progress.sqlite3)",
    "LEARN_CONTENT_DIR": "lesson folder (default: the repository's content/vi)",
    "LEARN_VOSK_MODEL": "folder of an unpacked Vosk model for spoken answers "
                        "(default: $LEARN_HOME/models/vosk-model-small-vn-0.4, from `learn models download vi`)",
    "LEARN_TTS": "narration engines: auto (gTTS online, else espeak-ng), gtts, espeak or off (default auto)",
    "LEARN_JOIN_CODE": "required: a village's list of names opens only with its join code or QR card (set it on "
                       "any server reachable from the internet); off: anyone on the network sees it (default off)",
    "LEARN_PUBLIC_URL": "the address residents open, printed in the QR cards (default: the address the trainer's "
                        "browser used, or this machine's network address when that was localhost)",
    "LEARN_SYNC_KEY": "signs sync bundles: on the server a master key that never leaves it (a server with a key "
                      "refuses unsigned or wrongly signed bundles); on a laptop its commune's key from "
                      "`learn sync key --commune NAME`, which signs that commune's bundles only (default: none, "
                      "bundles carry only a checksum)",
}


def _default_home(env: Mapping[str, str]) -> Path:
    # Follow the XDG convention so a shared laptop keeps each account's data apart.
    base = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "share")
    return Path(base) / "hoc-so"


def _join_code(value: str | None) -> bool:
    choice = (value or "off").strip().lower()
    if choice not in ("off", "required"):
        raise ValueError(f"LEARN_JOIN_CODE must be 'off' or 'required', not {value!r}")
    return choice == "required"


@dataclass(frozen=True)
class Settings:
    """Where Học Số keeps its data and finds its lessons."""

    home: Path
    database_url: str
    content_dir: Path
    vosk_model_dir: Path
    tts: str = "auto"
    sync_key: str | None = None
    join_code_required: bool = False
    public_url: str | None = None

    @property
    def audio_cache_dir(self) -> Path:
        """Folder of synthesised narration, shared by all sessions."""
        return self.home / "audio"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default: the process environment); nothing is created on disk."""
        env = os.environ if env is None else env
        home = Path(env["LEARN_HOME"]).expanduser() if env.get("LEARN_HOME") else _default_home(env)
        home = home.absolute()
        url = env.get("LEARN_DATABASE_URL") or f"sqlite:///{home / 'progress.sqlite3'}"
        content = env.get("LEARN_CONTENT_DIR")
        model = env.get("LEARN_VOSK_MODEL")
        return cls(
            home=home,
            database_url=url,
            content_dir=Path(content).expanduser().absolute() if content else DEFAULT_CONTENT_DIR,
            vosk_model_dir=Path(model).expanduser().absolute() if model else home / "models" / DEFAULT_MODEL,
            tts=(env.get("LEARN_TTS") or "auto").strip().lower(),
            sync_key=env.get("LEARN_SYNC_KEY") or None,
            join_code_required=_join_code(env.get("LEARN_JOIN_CODE")),
            public_url=(env.get("LEARN_PUBLIC_URL") or "").strip().rstrip("/") or None,
        )
