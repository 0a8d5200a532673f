"""Domain errors. Each carries a message key for the UI catalog and English text for logs and the CLI."""

from __future__ import annotations

from typing import Any


class LearnError(Exception):
    """Base class of every error the app and CLI map to a user-facing message."""

    #: key in ``learn.strings_vi`` for the message a resident or trainer reads
    key = "error.generic"

    def __init__(self, message: str, *, key: str | None = None, **values: Any) -> None:
        super().__init__(message)
        if key is not None:
            self.key = key
        self.values = values


class LessonError(LearnError):
    """A lesson file cannot be read; ``line`` is 1-based, or None for the whole file."""

    key = "error.lesson"

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


class NotFound(LearnError):
    """A village, learner or lesson that does not exist (or no longer exists)."""

    key = "error.not_found"


class InvalidInput(LearnError):
    """Input a person typed that cannot be accepted; the key names the reason."""

    key = "error.invalid"


class WrongPin(LearnError):
    """The PIN typed does not match the learner's PIN."""

    key = "learner.pin_wrong"


class Locked(LearnError):
    """Too many wrong secrets: refused for some minutes (``values['minutes']``)."""

    def __init__(self, message: str, minutes: int) -> None:
        super().__init__(message, minutes=minutes)


class PinLocked(Locked):
    """Too many wrong PINs: the PIN is refused for some minutes."""

    key = "learner.pin_locked"


class VoiceUnavailable(LearnError):
    """No speech engine or model can serve this request; the lesson continues as text."""

    key = "voice.unavailable"


class RecordingRefused(LearnError):
    """A narration recording that cannot be kept (silent, too long, too big, not audio); nothing is stored."""

    key = "recording.broken"


class JoinCodeNeeded(LearnError):
    """This server shows a village's names only after its join code (or the QR card's link)."""

    key = "village.code_needed"


class WrongJoinCode(LearnError):
    """The join code typed is not the village's."""

    key = "village.code_wrong"


class JoinLocked(Locked):
    """Too many wrong join codes for this village: codes are refused for some minutes."""

    key = "village.code_locked"


class LoginFailed(LearnError):
    """Wrong username or password (never which of the two), or too many tries."""

    key = "account.login_failed"


class Forbidden(LearnError):
    """The signed-in account may not do this (another role, or another commune)."""

    key = "account.forbidden"


class BundleRejected(LearnError):
    """A sync bundle that was not taken in, and why (a key in the strings catalog); nothing was changed."""

    def __init__(self, message: str, key: str, **values: object) -> None:
        super().__init__(message, key=key, **values)


class ImportInterrupted(BundleRejected):
    """Taking a bundle in stopped half-way (the database failed): what was written is kept and whole, and
    taking the same file in again finishes it."""


class VoicePackRejected(LearnError):
    """A voice pack (the tech team's recordings, issue 20) that was not taken in or made, and why (a key in the
    strings catalog); nothing was changed."""

    def __init__(self, message: str, key: str, **values: object) -> None:
        super().__init__(message, key=key, **values)


class SyncKeyInvalid(LearnError):
    """``LEARN_SYNC_KEY`` looks like a commune's key but is not one, or a command needs the master key."""

    key = "sync.key_invalid"


class CertificateError(LearnError):
    """No certificate could be made or used for HTTPS."""

    key = "cli.certificate"

