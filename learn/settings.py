"""Settings, read from the environment once at the edge (the app's entry point or the CLI) and passed down.

One table, ``SETTINGS``, says all there is about each environment variable: its name, the ``Settings`` field it
fills, its default, what it means, and how its text becomes a value (which texts are refused, which are closed
sets). It drives ``Settings.from_env``, ``learn settings`` and the README check in tests/test_docs.py: datasette's
``Setting(name, default, help)``, with the parsing added.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from learn.voice.tts import ENGINE_CHOICES, EngineChoice

#: The repository's own lessons, used when LEARN_CONTENT_DIR is not set.
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent.parent / "content" / "vi"

#: The Vietnamese Vosk model `learn models download vi` installs.
DEFAULT_MODEL = "vosk-model-small-vn-0.4"

#: Where a setting's value came from, as `learn settings` says it.
Source = Literal["environment", "default"]


class SettingsError(ValueError):
    """One or more settings have a value they cannot take; the message has one line per setting, each naming
    the variable and what it may be (a secret's value is never in it)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _path(text: str) -> Path:
    return Path(text).expanduser().absolute()


def _database_url(text: str) -> str:
    if not text.startswith(("sqlite:///", "postgresql://", "postgres://")):
        raise ValueError("must start with sqlite:/// (a file) or postgresql:// (a server)")
    return text


def _public_url(text: str) -> str | None:
    if not text:
        return None
    address = urlsplit(text)
    if address.scheme not in ("http", "https") or not address.hostname:
        raise ValueError("must be an address that starts with https:// or http://, such as https://hocso.example.vn")
    return text.rstrip("/")


def _days(text: str) -> int:
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= 3650:
        raise ValueError("must be a whole number of days from 1 to 3650")
    return days


def _optional(text: str) -> str | None:
    return text or None


def hide_password(url: str) -> str:
    """``url`` with its password (in the address or as a ``password=`` parameter) replaced by ``***``; only
    the scheme when it cannot be taken apart."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # e.g. an unclosed [ in the host
        return url.partition(":")[0] + ":***"
    netloc, query = parts.netloc, parts.query
    if password is not None:
        user_info, _, host = netloc.rpartition("@")
        netloc = f"{user_info.partition(':')[0]}:***@{host}"
    pairs = parse_qsl(query, keep_blank_values=True)
    if any(name.lower() == "password" for name, _ in pairs):
        query = urlencode([(name, "***" if name.lower() == "password" else value) for name, value in pairs], safe="*")
    if (netloc, query) == (parts.netloc, parts.query):
        return url
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def _hidden(value: object) -> str:
    return "(set, hidden)" if value else "none"


@dataclass(frozen=True)
class Setting:
    """One environment variable Học Số reads.

    ``default`` is the text used when the variable is unset or blank, read the same way as a value from the
    environment; ``$LEARN_HOME`` in it stands for the data folder and ``$XDG_DATA_HOME`` for the XDG data folder
    (``~/.local/share`` unless set). ``choices``, when given, is the closed set of texts allowed (any case);
    ``parse`` turns the text into the field's value and raises ValueError saying what is allowed. ``show``
    writes a value for `learn settings` (secrets are never written).
    """

    name: str
    field: str
    default: str
    help: str
    parse: Callable[[str], Any] = str
    choices: tuple[str, ...] = ()
    show: Callable[[Any], str] = str

    def read(self, text: str) -> Any:
        """The value for ``text`` (stripped; a choice in any case); ValueError names this setting, says what
        it may be, and quotes the text given (a password in it hidden)."""
        given = text.strip()
        text = given.lower() if self.choices else given
        if self.choices and text not in self.choices:
            allowed = ", ".join(f"'{c}'" for c in self.choices[:-1]) + f" or '{self.choices[-1]}'"
            raise ValueError(f"{self.name} must be {allowed}, not {given!r}")
        try:
            return self.parse(text)
        except ValueError as exc:
            raise ValueError(f"{self.name} {exc}, not {hide_password(given)!r}") from exc


#: Every environment variable Học Số reads, in the order they are read (the README lists them all; a test checks).
SETTINGS: tuple[Setting, ...] = (
    Setting("LEARN_HOME", "home", "$XDG_DATA_HOME/hoc-so",
            "data folder: database, audio cache, models, TLS key (kept 0700); $XDG_DATA_HOME is ~/.local/share "
            "unless set", _path),
    Setting("LEARN_DATABASE_URL", "database_url", "sqlite:///$LEARN_HOME/progress.sqlite3",
            "where progress is stored: sqlite:////absolute/path.sqlite3 or postgresql://user:password@host/db",
            _database_url, show=hide_password),
    Setting("LEARN_CONTENT_DIR", "content_dir", str(DEFAULT_CONTENT_DIR),
            "lesson folder (the repository's content/vi by default)", _path),
    Setting("LEARN_VOSK_MODEL", "vosk_model_dir", f"$LEARN_HOME/models/{DEFAULT_MODEL}",
            "folder of an unpacked Vosk model for spoken answers (`learn models download vi` puts one at the default)",
            _path),
    Setting("LEARN_TTS", "tts", "auto",
            "narration engines: auto (gTTS online, else espeak-ng), gtts, espeak or off", str, ENGINE_CHOICES),
    Setting("LEARN_JOIN_CODE", "join_code_required", "off",
            "required: a village's list of names opens only with its join code or QR card (any server reachable "
            "from the internet); off: anyone on the network sees it", lambda text: text == "required",
            ("off", "required"), show=lambda on: "required" if on else "off"),
    Setting("LEARN_PUBLIC_URL", "public_url", "",
            "the address residents open, printed in the QR cards (default: the address the trainer's browser "
            "used, or this machine's network address when that was localhost)", _public_url,
            show=lambda url: url or "none"),
    Setting("LEARN_SHARED_DEVICES", "shared_devices", "local",
            "which browsers several residents share, so that nobody stays signed in on them (30 minutes unused "
            "signs out): local (the one on this machine, the commune hall's laptop; every phone keeps its "
            "resident signed in), all (every browser: hall tablets) or none", str, ("local", "all", "none")),
    Setting("LEARN_SYNC_KEY", "sync_key", "",
            "signs sync bundles: on the server a master key that never leaves it; on a laptop its commune's key "
            "from `learn sync key --commune NAME` (default: none, bundles carry only a checksum)", _optional,
            show=_hidden),
    Setting("LEARN_UNREVIEWED_VOICES", "unreviewed_voices", "own",
            "recorded narration not yet approved by a second trainer or staff member: own (heard only in its "
            "recorder's own sessions) or use (heard by everyone in the commune)", str, ("own", "use")),
    Setting("LEARN_KEEP_VOICE_DAYS", "keep_voice_days", "30",
            "days what residents said to the recogniser is kept (it comes from a person's voice): older "
            "transcripts are erased at start and once a day; their outcome counts stay", _days),
)


@dataclass(frozen=True)
class Reading:
    """A setting as read: its value, how `learn settings` writes it, and where it came from."""

    setting: Setting
    value: Any
    source: Source

    @property
    def shown(self) -> str:
        """The value as `learn settings` prints it (a secret only says whether it is set)."""
        return self.setting.show(self.value)


def _expand(text: str, env: Mapping[str, str], home: Path | None) -> str:
    if "$XDG_DATA_HOME" in text:
        # Follow the XDG convention so a shared laptop keeps each account's data apart.
        xdg = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "share")
        text = text.replace("$XDG_DATA_HOME", xdg)
    if home is not None:
        text = text.replace("$LEARN_HOME", str(home))
    return text


def read_settings(env: Mapping[str, str] | None = None) -> list[Reading]:
    """Every setting of ``SETTINGS`` read from ``env`` (default: the process environment); SettingsError lists
    every value that cannot be taken, not only the first."""
    env = os.environ if env is None else env
    readings: list[Reading] = []
    problems: list[str] = []
    home: Path | None = None
    for setting in SETTINGS:
        given = env.get(setting.name, "").strip()
        try:
            value = setting.read(given if given else _expand(setting.default, env, home))
        except ValueError as exc:
            problems.append(str(exc))
            continue
        if setting.field == "home":
            home = value
        readings.append(Reading(setting, value, "environment" if given else "default"))
    if problems:
        raise SettingsError(problems)
    return readings


@dataclass(frozen=True)
class Settings:
    """Where Học Số keeps its data and finds its lessons."""

    home: Path
    database_url: str
    content_dir: Path
    vosk_model_dir: Path
    tts: EngineChoice = "auto"
    sync_key: str | None = None
    join_code_required: bool = False
    public_url: str | None = None
    shared_devices: Literal["local", "all", "none"] = "local"
    unreviewed_voices: Literal["own", "use"] = "own"
    keep_voice_days: int = 30

    @property
    def audio_cache_dir(self) -> Path:
        """Folder of synthesised narration, shared by all sessions."""
        return self.home / "audio"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Build settings from ``env`` (default: the process environment), each read as ``SETTINGS`` says;
        SettingsError (a ValueError) when any has a value it cannot take. Nothing is created on disk."""
        return cls(**{reading.setting.field: reading.value for reading in read_settings(env)})
